/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dmacopy: copy memory with a DMA controller from user space.
 *
 * User-space ABI, version 1. This header is the code form of the contract in
 * the project's spec (shared/spec/abi.md); the two always agree.
 *
 * Each bound DMA channel is a misc device /dev/dmacopyN. The device file is a
 * window of 2 * buf_size bytes: [0, buf_size) is the channel's SRC buffer,
 * [buf_size, 2 * buf_size) its DST buffer. Both are coherent DMA buffers,
 * zeroed at probe. mmap(2) (MAP_SHARED, page-aligned, inside the window),
 * read(2)/write(2)/pread(2)/pwrite(2)/lseek(2) all use these offsets.
 *
 * Errors (every command):
 *   ENOTTY     unknown command, or a known number with the wrong size/direction
 *   EFAULT     the argument (or a COPY_USER range) is not accessible
 *   EINVAL     len 0 or above the limit; offset + len past the end of its
 *              buffer; unknown mode; nonzero flags or reserved; misaligned in
 *              DMA mode; overlapping COPY_USER ranges
 *   ETIMEDOUT  no completion in time; the channel was stopped and reset
 *   EIO        the controller reported an error (hw_status has its bits); the
 *              channel was reset
 *   EINTR      a signal arrived while waiting; the transfer was stopped
 *   ENODEV     the channel was unbound or the module is going away
 * The out fields of the copy structs are written back on success, EIO and
 * ETIMEDOUT.
 */
#ifndef _UAPI_LINUX_DMACOPY_H
#define _UAPI_LINUX_DMACOPY_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DMACOPY_ABI_VERSION	1

/* struct dmacopy_info.caps */
#define DMACOPY_CAP_MMAP	(1U << 0)	/* the window can be mmap()ed */
#define DMACOPY_CAP_COPY_USER	(1U << 1)	/* DMACOPY_IOC_COPY_USER exists */
#define DMACOPY_CAP_SG		(1U << 2)	/* scatter-gather mode is used */

/* struct dmacopy_copy.mode, .mode_used */
#define DMACOPY_MODE_DMA	0	/* the DMA controller; completion by IRQ */
#define DMACOPY_MODE_CPU	1	/* the CPU; no controller involved */
#define DMACOPY_MODE_AUTO	2	/* CPU below auto_threshold, else DMA */

#define DMACOPY_CONTROLLER_LEN	16

/**
 * struct dmacopy_info - what a node drives (DMACOPY_IOC_INFO, out)
 * @abi_version:    DMACOPY_ABI_VERSION
 * @caps:           DMACOPY_CAP_* bits
 * @buf_size:       bytes in SRC, and in DST
 * @max_len:        largest len DMACOPY_IOC_COPY accepts (= buf_size)
 * @reg_base:       physical address of the channel's registers
 * @irq:            Linux IRQ number of the channel
 * @align:          in DMA mode, src_off, dst_off and len must be multiples
 *                  of this (1: any)
 * @auto_threshold: DMACOPY_MODE_AUTO copies shorter than this with the CPU
 * @controller:     NUL-terminated controller model, e.g. "zynqmp-zdma"
 * @reserved:       zero
 */
struct dmacopy_info {
	__u32 abi_version;
	__u32 caps;
	__u64 buf_size;
	__u64 max_len;
	__u64 reg_base;
	__u32 irq;
	__u32 align;
	__u64 auto_threshold;
	char controller[DMACOPY_CONTROLLER_LEN];
	__u64 reserved[4];
};

/**
 * struct dmacopy_copy - one copy from SRC to DST (DMACOPY_IOC_COPY, in/out)
 * @src_off:    in: offset into SRC
 * @dst_off:    in: offset into DST
 * @len:        in: bytes to copy, 1 ..= max_len
 * @mode:       in: DMACOPY_MODE_*
 * @flags:      in: zero
 * @timeout_ns: in: 0 for the module's timeout_ms
 * @elapsed_ns: out: start of the copy to its completion, measured in the kernel
 * @mode_used:  out: DMACOPY_MODE_DMA or DMACOPY_MODE_CPU
 * @hw_status:  out: the controller's raw interrupt status at completion;
 *              0 in CPU mode
 * @reserved:   in/out: zero
 */
struct dmacopy_copy {
	__u64 src_off;
	__u64 dst_off;
	__u64 len;
	__u32 mode;
	__u32 flags;
	__u64 timeout_ns;
	__u64 elapsed_ns;
	__u32 mode_used;
	__u32 hw_status;
	__u64 reserved[2];
};

/**
 * struct dmacopy_copy_user - a copy between user buffers
 *                            (DMACOPY_IOC_COPY_USER, in/out)
 * @src:        in: user-space address of the source
 * @dst:        in: user-space address of the destination; must not overlap
 *              the source
 * @len:        in: bytes to copy, 1 ..= 1 GiB
 * Other fields as in struct dmacopy_copy.
 */
struct dmacopy_copy_user {
	__u64 src;
	__u64 dst;
	__u64 len;
	__u32 mode;
	__u32 flags;
	__u64 timeout_ns;
	__u64 elapsed_ns;
	__u32 mode_used;
	__u32 hw_status;
	__u64 reserved[2];
};

#define DMACOPY_COPY_USER_MAX_LEN	(1ULL << 30)

#define DMACOPY_IOC_MAGIC	0xDC

#define DMACOPY_IOC_INFO	_IOR(DMACOPY_IOC_MAGIC, 0x00, struct dmacopy_info)
#define DMACOPY_IOC_COPY	_IOWR(DMACOPY_IOC_MAGIC, 0x01, struct dmacopy_copy)
#define DMACOPY_IOC_COPY_USER	_IOWR(DMACOPY_IOC_MAGIC, 0x02, struct dmacopy_copy_user)

_Static_assert(sizeof(struct dmacopy_info) == 96, "dmacopy_info is 96 bytes");
_Static_assert(sizeof(struct dmacopy_copy) == 72, "dmacopy_copy is 72 bytes");
_Static_assert(sizeof(struct dmacopy_copy_user) == 72, "dmacopy_copy_user is 72 bytes");

#endif /* _UAPI_LINUX_DMACOPY_H */
