/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/dmacopy.h> as every user includes it: check.sh compiles this file
 * as C89 to C17 and as C++98 to C++20, with gcc, clang, g++ and clang++, with
 * -Wall -Wextra -pedantic -Wpadded -Werror and no libc (-nostdinc, only the
 * kernel's uapi headers), as the kernel's own header test does. The header
 * is included twice (its guard) and every name in it is used once.
 */
#include <linux/dmacopy.h>
#include <linux/dmacopy.h>

unsigned long dmacopy_use_all(struct dmacopy_info *info,
			      struct dmacopy_copy *copy,
			      struct dmacopy_copy_user *copy_user,
			      struct dmacopy_batch *batch);

unsigned long dmacopy_use_all(struct dmacopy_info *info,
			      struct dmacopy_copy *copy,
			      struct dmacopy_copy_user *copy_user,
			      struct dmacopy_batch *batch)
{
	info->abi_version = DMACOPY_ABI_VERSION;
	info->caps = DMACOPY_CAP_MMAP | DMACOPY_CAP_COPY_USER | DMACOPY_CAP_SG |
		     DMACOPY_CAP_BATCH;
	info->buf_size = info->max_len = info->reg_base = 0;
	info->irq = info->align = 0;
	info->auto_threshold = 0;
	info->controller[DMACOPY_CONTROLLER_LEN - 1] = '\0';
	info->reserved[3] = 0;

	copy->src_off = copy->dst_off = copy->len = 0;
	copy->mode = DMACOPY_MODE_DMA;
	copy->flags = 0;
	copy->timeout_ns = copy->elapsed_ns = 0;
	copy->mode_used = DMACOPY_MODE_CPU;
	copy->hw_status = 0;
	copy->reserved[1] = 0;

	copy_user->src = copy_user->dst = 0;
	copy_user->len = DMACOPY_COPY_USER_MAX_LEN;
	copy_user->mode = DMACOPY_MODE_AUTO;
	copy_user->flags = 0;
	copy_user->timeout_ns = copy_user->elapsed_ns = 0;
	copy_user->mode_used = copy_user->hw_status = 0;
	copy_user->reserved[1] = 0;

	batch->copies = 0;
	batch->count = DMACOPY_BATCH_MAX;
	batch->flags = 0;
	batch->timeout_ns = batch->elapsed_ns = 0;
	batch->done = batch->reserved = 0;

	return DMACOPY_IOC_MAGIC + DMACOPY_IOC_INFO + DMACOPY_IOC_COPY +
	       DMACOPY_IOC_COPY_USER + DMACOPY_IOC_COPY_BATCH;
}
