/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dmacopy ABI (version 1) as literal values, written from the spec and
 * not from <linux/dmacopy.h>: every struct size, every field's offset and
 * type, every constant and every ioctl number. layout.c (C11) and layout.cc
 * (C++11) check the header against these lists at compile time and again at
 * run time. The Rust mirror (tools/dmacopy/src/uapi.rs) carries the same
 * numbers in its unit tests.
 *
 * The lists are X-macros: the includer defines what each entry becomes.
 */
#ifndef DMACOPY_TEST_ABI_H
#define DMACOPY_TEST_ABI_H

/* STRUCT(name, size in bytes) */
#define DMACOPY_ABI_STRUCTS(STRUCT)		\
	STRUCT(dmacopy_info, 96)		\
	STRUCT(dmacopy_copy, 72)		\
	STRUCT(dmacopy_copy_user, 72)		\
	STRUCT(dmacopy_batch, 40)

/*
 * FIELD(struct, member, offset, type)
 * ARRAY(struct, member, offset, element type, elements)
 * Together they cover every byte of every struct: no implicit padding.
 */
#define DMACOPY_ABI_FIELDS(FIELD, ARRAY)				\
	FIELD(dmacopy_info, abi_version, 0, __u32)			\
	FIELD(dmacopy_info, caps, 4, __u32)				\
	FIELD(dmacopy_info, buf_size, 8, __u64)				\
	FIELD(dmacopy_info, max_len, 16, __u64)				\
	FIELD(dmacopy_info, reg_base, 24, __u64)			\
	FIELD(dmacopy_info, irq, 32, __u32)				\
	FIELD(dmacopy_info, align, 36, __u32)				\
	FIELD(dmacopy_info, auto_threshold, 40, __u64)			\
	ARRAY(dmacopy_info, controller, 48, char, 16)			\
	ARRAY(dmacopy_info, reserved, 64, __u64, 4)			\
									\
	FIELD(dmacopy_copy, src_off, 0, __u64)				\
	FIELD(dmacopy_copy, dst_off, 8, __u64)				\
	FIELD(dmacopy_copy, len, 16, __u64)				\
	FIELD(dmacopy_copy, mode, 24, __u32)				\
	FIELD(dmacopy_copy, flags, 28, __u32)				\
	FIELD(dmacopy_copy, timeout_ns, 32, __u64)			\
	FIELD(dmacopy_copy, elapsed_ns, 40, __u64)			\
	FIELD(dmacopy_copy, mode_used, 48, __u32)			\
	FIELD(dmacopy_copy, hw_status, 52, __u32)			\
	ARRAY(dmacopy_copy, reserved, 56, __u64, 2)			\
									\
	FIELD(dmacopy_copy_user, src, 0, __u64)				\
	FIELD(dmacopy_copy_user, dst, 8, __u64)				\
	FIELD(dmacopy_copy_user, len, 16, __u64)			\
	FIELD(dmacopy_copy_user, mode, 24, __u32)			\
	FIELD(dmacopy_copy_user, flags, 28, __u32)			\
	FIELD(dmacopy_copy_user, timeout_ns, 32, __u64)			\
	FIELD(dmacopy_copy_user, elapsed_ns, 40, __u64)			\
	FIELD(dmacopy_copy_user, mode_used, 48, __u32)			\
	FIELD(dmacopy_copy_user, hw_status, 52, __u32)			\
	ARRAY(dmacopy_copy_user, reserved, 56, __u64, 2)		\
									\
	FIELD(dmacopy_batch, copies, 0, __u64)				\
	FIELD(dmacopy_batch, count, 8, __u32)				\
	FIELD(dmacopy_batch, flags, 12, __u32)				\
	FIELD(dmacopy_batch, timeout_ns, 16, __u64)			\
	FIELD(dmacopy_batch, elapsed_ns, 24, __u64)			\
	FIELD(dmacopy_batch, done, 32, __u32)				\
	FIELD(dmacopy_batch, reserved, 36, __u32)

/*
 * VALUE(expression, expected)
 *
 * The ioctl numbers are those of the generic encoding
 * (include/uapi/asm-generic/ioctl.h: nr in bits 0-7, type 8-15, size 16-29,
 * direction 30-31; _IOC_READ 2, _IOC_WRITE 1), which arm64, x86, riscv and
 * most architectures use: _IOR(0xDC, 0, 96) is 0x8060dc00. The _IOC_*
 * decompositions after them hold on every architecture.
 */
#define DMACOPY_ABI_VALUES(VALUE)					\
	VALUE(DMACOPY_ABI_VERSION, 1)					\
	VALUE(DMACOPY_CAP_MMAP, 0x1)					\
	VALUE(DMACOPY_CAP_COPY_USER, 0x2)				\
	VALUE(DMACOPY_CAP_SG, 0x4)					\
	VALUE(DMACOPY_CAP_BATCH, 0x8)					\
	VALUE(DMACOPY_MODE_DMA, 0)					\
	VALUE(DMACOPY_MODE_CPU, 1)					\
	VALUE(DMACOPY_MODE_AUTO, 2)					\
	VALUE(DMACOPY_CONTROLLER_LEN, 16)				\
	VALUE(DMACOPY_COPY_USER_MAX_LEN, 1073741824)			\
	VALUE(DMACOPY_BATCH_MAX, 256)					\
	VALUE(DMACOPY_IOC_MAGIC, 0xdc)					\
	VALUE(DMACOPY_IOC_INFO, 0x8060dc00)				\
	VALUE(DMACOPY_IOC_COPY, 0xc048dc01)				\
	VALUE(DMACOPY_IOC_COPY_USER, 0xc048dc02)			\
	VALUE(DMACOPY_IOC_COPY_BATCH, 0xc028dc03)			\
	VALUE(_IOC_DIR(DMACOPY_IOC_INFO), _IOC_READ)			\
	VALUE(_IOC_TYPE(DMACOPY_IOC_INFO), 0xdc)			\
	VALUE(_IOC_NR(DMACOPY_IOC_INFO), 0)				\
	VALUE(_IOC_SIZE(DMACOPY_IOC_INFO), 96)				\
	VALUE(_IOC_DIR(DMACOPY_IOC_COPY), _IOC_READ | _IOC_WRITE)	\
	VALUE(_IOC_TYPE(DMACOPY_IOC_COPY), 0xdc)			\
	VALUE(_IOC_NR(DMACOPY_IOC_COPY), 1)				\
	VALUE(_IOC_SIZE(DMACOPY_IOC_COPY), 72)				\
	VALUE(_IOC_DIR(DMACOPY_IOC_COPY_USER), _IOC_READ | _IOC_WRITE)	\
	VALUE(_IOC_TYPE(DMACOPY_IOC_COPY_USER), 0xdc)			\
	VALUE(_IOC_NR(DMACOPY_IOC_COPY_USER), 2)			\
	VALUE(_IOC_SIZE(DMACOPY_IOC_COPY_USER), 72)			\
	VALUE(_IOC_DIR(DMACOPY_IOC_COPY_BATCH), _IOC_READ | _IOC_WRITE)	\
	VALUE(_IOC_TYPE(DMACOPY_IOC_COPY_BATCH), 0xdc)			\
	VALUE(_IOC_NR(DMACOPY_IOC_COPY_BATCH), 3)			\
	VALUE(_IOC_SIZE(DMACOPY_IOC_COPY_BATCH), 40)

#endif /* DMACOPY_TEST_ABI_H */
