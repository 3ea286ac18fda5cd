/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dmacopy: copy memory with a DMA controller from user space.
 *
 * User-space ABI, version 1 (DMACOPY_ABI_VERSION). This header is the
 * contract in code; it is plain C89 and C++98 with the kernel's uapi types
 * only. The struct sizes, field offsets and ioctl numbers are checked by the
 * tests (tests/uapi/ in the dmacopy sources), not here. The whole ABI, with
 * C and Rust examples: Documentation/userspace-api/dmacopy.rst (same sources).
 *
 * Device nodes. Each DMA channel that the driver has bound is a misc device
 * /dev/dmacopy0, /dev/dmacopy1, ..., numbered in probe order;
 * DMACOPY_IOC_INFO tells which hardware channel a node drives. Any number of
 * processes and threads may open and use one node. Copies on one channel run
 * one at a time, in arrival order; waiting for one's turn is interruptible.
 *
 * The buffer window. Each channel owns two coherent DMA buffers of buf_size
 * bytes (see struct dmacopy_info), zeroed when the channel is probed: SRC and
 * DST. The device file is a window of 2 * buf_size bytes: [0, buf_size) is
 * SRC, [buf_size, 2 * buf_size) is DST.
 *   mmap(2)     MAP_SHARED only, any page-aligned part of the window; a
 *               mapping that reaches past the window fails with EINVAL.
 *   read(2), write(2), pread(2), pwrite(2), lseek(2)
 *               the same offsets. A read at or past the end returns 0; a
 *               write that starts at or past the end fails with ENOSPC; a
 *               read or write that crosses the end is short.
 *
 * Unbind. A channel may be unbound (sysfs) while files are open: copies in
 * flight end with ENODEV (or complete), every mapping of the window is
 * revoked (a later access through an old mapping raises SIGBUS), and every
 * later call on a file that is still open fails with ENODEV; close(2) and
 * munmap(2) always work. Binding again gives a working node.
 *
 * ioctls. Each command is documented with its argument struct below:
 * what it does, its fields (in, out), and its errors. Every command can
 * also fail with:
 *   ENOTTY   unknown command, including a known number with the wrong size
 *            or direction, and a command this driver does not implement
 *            (see the DMACOPY_CAP_* bits)
 *   EFAULT   the argument struct is not accessible
 *   ENODEV   the channel was unbound, or its module is going away, while
 *            the file was open
 * Every "reserved" field must be zero on input (else EINVAL) and is zero on
 * output. Module parameters, debugfs and sysfs are the driver's
 * administration interface rather than this ABI; they are documented with it
 * in Documentation/userspace-api/dmacopy.rst in the dmacopy sources.
 */
#ifndef _UAPI_LINUX_DMACOPY_H
#define _UAPI_LINUX_DMACOPY_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DMACOPY_ABI_VERSION	1

/* struct dmacopy_info.caps: a bit is set only when the driver implements it */
#define DMACOPY_CAP_MMAP	(1U << 0)	/* the window can be mmap()ed */
#define DMACOPY_CAP_COPY_USER	(1U << 1)	/* DMACOPY_IOC_COPY_USER works */
#define DMACOPY_CAP_SG		(1U << 2)	/* scatter-gather mode is used */
#define DMACOPY_CAP_BATCH	(1U << 3)	/* DMACOPY_IOC_COPY_BATCH works */

/* struct dmacopy_copy.mode, .mode_used (and the same in copy_user) */
#define DMACOPY_MODE_DMA	0	/* the DMA controller; completion by IRQ */
#define DMACOPY_MODE_CPU	1	/* the CPU; no controller involved */
#define DMACOPY_MODE_AUTO	2	/* CPU below auto_threshold, else DMA */

/* Bytes in struct dmacopy_info.controller, the terminating NUL included. */
#define DMACOPY_CONTROLLER_LEN	16

/* Largest struct dmacopy_copy_user.len: 1 GiB. */
#define DMACOPY_COPY_USER_MAX_LEN	(1U << 30)

/* Largest struct dmacopy_batch.count. */
#define DMACOPY_BATCH_MAX	256

/**
 * struct dmacopy_info - argument of DMACOPY_IOC_INFO
 * @abi_version:    out: DMACOPY_ABI_VERSION
 * @caps:           out: DMACOPY_CAP_* bits
 * @buf_size:       out: bytes in SRC, and in DST
 * @max_len:        out: largest len that DMACOPY_IOC_COPY accepts
 *                  (= buf_size)
 * @reg_base:       out: physical address of the channel's registers
 * @irq:            out: Linux IRQ number of the channel
 * @align:          out: in DMA mode, src_off, dst_off and len must be
 *                  multiples of this (1: any; 4 on the BCM2835), also
 *                  when AUTO picks DMA
 * @auto_threshold: out: DMACOPY_MODE_AUTO copies shorter than this with the
 *                  CPU
 * @controller:     out: NUL-terminated model of the controller, e.g.
 *                  "zynqmp-zdma" or "bcm2835-dma"
 * @reserved:       out: zero
 *
 * DMACOPY_IOC_INFO describes the channel that the node drives and what the
 * driver implements. Every field is output; the kernel reads nothing.
 * No errors besides the common ones.
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
 * struct dmacopy_copy - argument of DMACOPY_IOC_COPY
 * @src_off:    in: offset into SRC
 * @dst_off:    in: offset into DST
 * @len:        in: bytes to copy, 1 ..= max_len
 * @mode:       in: DMACOPY_MODE_*
 * @flags:      in: zero (room for future flags)
 * @timeout_ns: in: bound on the wait for completion; 0: the module's
 *              timeout_ms
 * @elapsed_ns: out: from the start of the copy to its completion, measured
 *              in the kernel
 * @mode_used:  out: DMACOPY_MODE_DMA or DMACOPY_MODE_CPU
 * @hw_status:  out: the controller's raw interrupt status at completion
 *              (ZDMA: ZDMA_CH_ISR; BCM2835: CS); 0 in CPU mode
 * @reserved:   in/out: zero
 *
 * DMACOPY_IOC_COPY copies @len bytes from SRC at @src_off to DST at
 * @dst_off, with the controller or the CPU as @mode says, and returns when
 * the copy is complete. The out fields are written back on success and also
 * on EIO and ETIMEDOUT.
 *
 * Errors, besides the common ones:
 *   EINVAL     @len is 0 or above max_len; @src_off + @len or
 *              @dst_off + @len passes buf_size (checked without overflow);
 *              unknown @mode; nonzero @flags or @reserved; in DMA mode,
 *              @src_off, @dst_off or @len not a multiple of align
 *   ETIMEDOUT  the controller did not complete in time; the channel was
 *              stopped and reset, and the next copy works
 *   EIO        the controller reported an error (@hw_status has its bits);
 *              the channel was reset, and the next copy works
 *   EINTR      a signal arrived while waiting (restarted transparently
 *              under SA_RESTART); the transfer was stopped first
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
 * struct dmacopy_copy_user - argument of DMACOPY_IOC_COPY_USER
 * @src:        in: user-space address of the source
 * @dst:        in: user-space address of the destination; the two ranges
 *              must not overlap
 * @len:        in: bytes to copy, 1 ..= DMACOPY_COPY_USER_MAX_LEN
 * @mode:       in: as in struct dmacopy_copy
 * @flags:      in: as in struct dmacopy_copy
 * @timeout_ns: in: as in struct dmacopy_copy
 * @elapsed_ns: out: as in struct dmacopy_copy
 * @mode_used:  out: as in struct dmacopy_copy
 * @hw_status:  out: as in struct dmacopy_copy
 * @reserved:   in/out: zero
 *
 * Present when dmacopy_info.caps has DMACOPY_CAP_COPY_USER (an older driver
 * fails it with ENOTTY).
 *
 * DMACOPY_IOC_COPY_USER copies @len bytes between two buffers of the
 * calling process, as DMACOPY_IOC_COPY does between SRC and DST. In DMA mode
 * the driver may move the bytes without going through SRC/DST (pinned user
 * pages and the controller's scatter-gather mode); the result is identical
 * either way. The pages are pinned for the duration of the call (the source
 * needs read access, the destination write access) and unpinned on every
 * path. The out fields are written back as for DMACOPY_IOC_COPY.
 *
 * Any alignment is accepted in every mode. In DMA mode, the bytes of the
 * destination outside whole DMA cache lines (at most 127 at each end on
 * arm64: on a SoC whose DMA is not cache-coherent, a line shared with other
 * data could lose what the controller wrote), and all of a copy whose two
 * ranges are misaligned with each other modulo align (on a controller whose
 * align is above 1), are copied by the CPU, with the same result; @mode_used
 * is DMACOPY_MODE_CPU only when no byte went by DMA (a destination that holds
 * no whole DMA cache line, or ranges misaligned with each other). The pages
 * are pinned and mapped 1 MiB of each range at a time; @timeout_ns bounds
 * each transfer of the controller (one per descriptor chain), and a signal is
 * acted on between chunks and while waiting. @hw_status is that of the last chain.
 *
 * Errors: those of DMACOPY_IOC_COPY, with @len limited by
 * DMACOPY_COPY_USER_MAX_LEN in place of max_len, and also:
 *   EFAULT     a range is not accessible as it needs to be
 *   EINVAL     the ranges overlap
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

/**
 * struct dmacopy_batch - argument of DMACOPY_IOC_COPY_BATCH
 * @copies:     in: user-space address of an array of @count
 *              struct dmacopy_copy
 * @count:      in: entries, 1 ..= DMACOPY_BATCH_MAX
 * @flags:      in: zero
 * @timeout_ns: in: bound for the whole batch; 0: the module's timeout_ms
 * @elapsed_ns: out: from the start of the first entry to the completion of
 *              the last
 * @done:       out: leading entries that completed, 0 ..= @count
 * @reserved:   in/out: zero
 *
 * Present when dmacopy_info.caps has DMACOPY_CAP_BATCH (an older driver
 * fails it with ENOTTY).
 *
 * DMACOPY_IOC_COPY_BATCH runs several copies between SRC and DST in one
 * call. Every entry is checked as for DMACOPY_IOC_COPY (and its own
 * timeout_ns must be 0) before any runs. The entries run in array order, in
 * one turn of the channel: no other caller's copy runs between them, and the
 * result is that of running them one after the other. Each completed
 * entry's out fields are written back. The batch's out fields are written
 * back on success and also on EIO, ETIMEDOUT and EINTR; then @done says how
 * many leading entries completed: theirs are valid, the rest are untouched.
 *
 * Consecutive DMA entries go to the controller as one descriptor chain with
 * one completion: each of them reports the chain's elapsed_ns (from the
 * chain's start to its completion) and hw_status, and a chain that fails
 * completes none of its entries (@done stops at its first entry; their bytes
 * in DST may be partly written). An injected fault applies to the first
 * chain of the batch. The array and the batch itself must be writable:
 * otherwise EFAULT, with nothing copied. A batch that completed entries before
 * a signal is not restarted, even under SA_RESTART: it fails with EINTR and
 * @done says what ran.
 *
 * Errors: those of DMACOPY_IOC_COPY, and also:
 *   EFAULT     the array is not accessible
 *   EINVAL     @count is 0 or above DMACOPY_BATCH_MAX; nonzero @flags or
 *              @reserved; any bad entry (then nothing is copied)
 */
struct dmacopy_batch {
	__u64 copies;
	__u32 count;
	__u32 flags;
	__u64 timeout_ns;
	__u64 elapsed_ns;
	__u32 done;
	__u32 reserved;
};

#define DMACOPY_IOC_MAGIC	0xDC

#define DMACOPY_IOC_INFO	_IOR(DMACOPY_IOC_MAGIC, 0x00, struct dmacopy_info)
#define DMACOPY_IOC_COPY	_IOWR(DMACOPY_IOC_MAGIC, 0x01, struct dmacopy_copy)
#define DMACOPY_IOC_COPY_USER	_IOWR(DMACOPY_IOC_MAGIC, 0x02, struct dmacopy_copy_user)
#define DMACOPY_IOC_COPY_BATCH	_IOWR(DMACOPY_IOC_MAGIC, 0x03, struct dmacopy_batch)

#endif /* _UAPI_LINUX_DMACOPY_H */
