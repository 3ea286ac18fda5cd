// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest for dmacopy: each DMA channel as /dev/dmacopyN, on every board the
 * driver supports (ZynqMP/Versal ZDMA, Raspberry Pi BCM2835 DMA).
 *
 * The contract under test is include/uapi/linux/dmacopy.h (ABI version 1).
 *
 * The spec it implements is shared/spec/abi.md; the tests are written against
 * it, not against any one version of the driver. Where the spec lists errors
 * (its errno table) or promises behaviour (its "Unbind and unload" section),
 * a test below produces each case for real; see the comment over each group.
 *
 * What differs between boards is read, not assumed (dmacopy_board.h): the
 * nodes are the /dev/dmacopyN that exist, each node's controller family is
 * INFO's `controller` (which hw_status bits mean done and error, which inject
 * words it offers, whether a copy can complete by polling), DMA-mode requests
 * use INFO's `align`, and a node's platform device is its sysfs device link
 * (unbinding a device takes all of its nodes away). A test that needs what a
 * board lacks skips and names the controller.
 *
 * Environment:
 *   DMACOPY_CHANNELS       number of /dev/dmacopyN nodes expected (optional: by
 *                          default, those of the devices bound to the driver)
 *   DMACOPY_MODULE         path of dmacopy.ko, for the reload test
 *   DMACOPY_MODULE_PARAMS  module parameters for that insmod (optional)
 *
 * Tests that read debugfs (stats, inject), unbind devices or reload the
 * module need root and skip otherwise. Tests that look at statistics deltas
 * or unbind a device each use a node of their own (see the NODE_* numbers),
 * and the tests run one after the other.
 *
 * Counters for the summary of `make test` are printed as
 * "# dmacopy-count: NAME=VALUE" lines.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmacopy.h>

#include "kselftest_harness.h"
#include "dmacopy_board.h"
#include "dmacopy_common.h"

/* Which node each stateful test uses (modulo the number of nodes). */
#define NODE_COPY	0	/* copy_*, views_agree, threads_one_node */
#define NODE_STORM	1	/* signal_storm_* */
#define NODE_FAULT	2	/* inject_readback, fault_* */
#define NODE_STATS	3	/* stats_counts */
#define NODE_STALL	4	/* fault_stall_* (except fault_stall_unbind) */
#define NODE_UNBIND	5	/* unbind_*, fault_stall_unbind */
#define NODE_LOG	6	/* log_* */


#define MAX_ELAPSED_NS	(10 * NSEC_PER_SEC)

/* Bytes checked (and restored) on each side of a copy's destination. */
#define GUARD		64
/* view_check() guard meaning "the whole view". */
#define GUARD_ALL	UINT64_MAX

#define U64(x)		((unsigned long long)(x))

/* ------------------------------------------------------------------------ */
/* The ABI, checked at build time against the numbers in the spec.           */

/*
 * The spec's layout of the ioctls that the driver does not implement yet
 * (their caps bits are clear), so that their numbers can be tried whether or
 * not the header carries them.
 */
struct spec_copy_user {
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

struct spec_batch {
	__u64 copies;
	__u32 count;
	__u32 flags;
	__u64 timeout_ns;
	__u64 elapsed_ns;
	__u32 done;
	__u32 reserved;
};

#define SPEC_IOC_MAGIC		0xDC
#define SPEC_IOC_COPY_USER	_IOWR(SPEC_IOC_MAGIC, 0x02, struct spec_copy_user)
#define SPEC_IOC_COPY_BATCH	_IOWR(SPEC_IOC_MAGIC, 0x03, struct spec_batch)
#define SPEC_CAP_MMAP		(1U << 0)
#define SPEC_CAP_COPY_USER	(1U << 1)
#define SPEC_CAP_SG		(1U << 2)
#define SPEC_CAP_BATCH		(1U << 3)
#define SPEC_BATCH_MAX		256

#define OFF(type, field, want) \
	_Static_assert(offsetof(struct type, field) == (want), #type "." #field " at " #want)

_Static_assert(DMACOPY_ABI_VERSION == 1, "ABI version 1");
_Static_assert(DMACOPY_IOC_MAGIC == SPEC_IOC_MAGIC, "magic 0xDC");
_Static_assert(DMACOPY_MODE_DMA == 0 && DMACOPY_MODE_CPU == 1 && DMACOPY_MODE_AUTO == 2,
	       "mode values");
_Static_assert(DMACOPY_CAP_MMAP == SPEC_CAP_MMAP, "DMACOPY_CAP_MMAP");
#ifdef DMACOPY_CAP_COPY_USER
_Static_assert(DMACOPY_CAP_COPY_USER == SPEC_CAP_COPY_USER, "DMACOPY_CAP_COPY_USER");
#endif
#ifdef DMACOPY_CAP_SG
_Static_assert(DMACOPY_CAP_SG == SPEC_CAP_SG, "DMACOPY_CAP_SG");
#endif
#ifdef DMACOPY_CAP_BATCH
_Static_assert(DMACOPY_CAP_BATCH == SPEC_CAP_BATCH, "DMACOPY_CAP_BATCH");
#endif

_Static_assert(sizeof(struct dmacopy_info) == 96, "dmacopy_info is 96 bytes");
OFF(dmacopy_info, abi_version, 0);
OFF(dmacopy_info, caps, 4);
OFF(dmacopy_info, buf_size, 8);
OFF(dmacopy_info, max_len, 16);
OFF(dmacopy_info, reg_base, 24);
OFF(dmacopy_info, irq, 32);
OFF(dmacopy_info, align, 36);
OFF(dmacopy_info, auto_threshold, 40);
OFF(dmacopy_info, controller, 48);
OFF(dmacopy_info, reserved, 64);
_Static_assert(sizeof(((struct dmacopy_info *)0)->controller) == 16, "controller[16]");

_Static_assert(sizeof(struct dmacopy_copy) == 72, "dmacopy_copy is 72 bytes");
OFF(dmacopy_copy, src_off, 0);
OFF(dmacopy_copy, dst_off, 8);
OFF(dmacopy_copy, len, 16);
OFF(dmacopy_copy, mode, 24);
OFF(dmacopy_copy, flags, 28);
OFF(dmacopy_copy, timeout_ns, 32);
OFF(dmacopy_copy, elapsed_ns, 40);
OFF(dmacopy_copy, mode_used, 48);
OFF(dmacopy_copy, hw_status, 52);
OFF(dmacopy_copy, reserved, 56);

_Static_assert(sizeof(struct spec_copy_user) == 72, "dmacopy_copy_user is 72 bytes");
_Static_assert(sizeof(struct spec_batch) == 40, "dmacopy_batch is 40 bytes");
OFF(spec_batch, count, 8);
OFF(spec_batch, timeout_ns, 16);
OFF(spec_batch, done, 32);

/* The encodings, as numbers (arm64, like every architecture with the generic ioctl.h). */
_Static_assert(DMACOPY_IOC_INFO == 0x8060DC00U, "DMACOPY_IOC_INFO");
_Static_assert(DMACOPY_IOC_COPY == 0xC048DC01U, "DMACOPY_IOC_COPY");
_Static_assert(SPEC_IOC_COPY_USER == 0xC048DC02U, "DMACOPY_IOC_COPY_USER");
_Static_assert(SPEC_IOC_COPY_BATCH == 0xC028DC03U, "DMACOPY_IOC_COPY_BATCH");

#ifdef DMACOPY_IOC_COPY_USER
_Static_assert(sizeof(struct dmacopy_copy_user) == 72, "dmacopy_copy_user is 72 bytes");
_Static_assert(DMACOPY_IOC_COPY_USER == SPEC_IOC_COPY_USER, "DMACOPY_IOC_COPY_USER");
OFF(dmacopy_copy_user, src, 0);
OFF(dmacopy_copy_user, dst, 8);
OFF(dmacopy_copy_user, len, 16);
OFF(dmacopy_copy_user, mode, 24);
OFF(dmacopy_copy_user, timeout_ns, 32);
OFF(dmacopy_copy_user, hw_status, 52);
OFF(dmacopy_copy_user, reserved, 56);
#endif
#ifdef DMACOPY_IOC_COPY_BATCH
_Static_assert(sizeof(struct dmacopy_batch) == 40, "dmacopy_batch is 40 bytes");
_Static_assert(DMACOPY_IOC_COPY_BATCH == SPEC_IOC_COPY_BATCH, "DMACOPY_IOC_COPY_BATCH");
OFF(dmacopy_batch, copies, 0);
OFF(dmacopy_batch, count, 8);
OFF(dmacopy_batch, flags, 12);
OFF(dmacopy_batch, timeout_ns, 16);
OFF(dmacopy_batch, elapsed_ns, 24);
OFF(dmacopy_batch, done, 32);
OFF(dmacopy_batch, reserved, 36);
#endif
#ifdef DMACOPY_BATCH_MAX
_Static_assert(DMACOPY_BATCH_MAX == SPEC_BATCH_MAX, "DMACOPY_BATCH_MAX");
#endif

/*
 * DMACOPY_SCALE (percent, 10..100, default 100) scales the longest loops (signal storms, fault
 * floods) for slow kernels, e.g. the debug kernel with KASAN; the floors keep every assertion
 * meaningful.
 */
static unsigned int scaled(unsigned int n, unsigned int floor)
{
	const char *env = getenv("DMACOPY_SCALE");
	unsigned long pct = env ? strtoul(env, NULL, 10) : 100;

	if (pct < 10 || pct > 100)
		pct = 100;
	n = (unsigned int)(n * pct / 100);
	return n < floor ? floor : n;
}

/* ------------------------------------------------------------------------ */
/* ioctl wrappers: 0 on success, else the errno (or -ret for ret > 0).       */

/* ------------------------------------------------------------------------ */
/* Alignment: "in DMA mode, src_off, dst_off and len must be multiples of    */
/* align"; AUTO is DMA from its threshold on, so there the same holds.      */

static uint64_t info_align(const struct dmacopy_info *info)
{
	return info->align ? info->align : 1;
}

/* Whether a DMA-mode copy may have these offsets and this length. */
static bool dma_aligned(const struct dmacopy_info *info, uint64_t src_off, uint64_t dst_off,
			uint64_t len)
{
	uint64_t a = info_align(info);

	return src_off % a == 0 && dst_off % a == 0 && len % a == 0;
}

/* The mode that a successful copy of in must have used. */
static __u32 mode_wanted(const struct dmacopy_copy *in, const struct dmacopy_info *info)
{
	if (in->mode != DMACOPY_MODE_AUTO)
		return in->mode;
	return in->len < info->auto_threshold ? DMACOPY_MODE_CPU : DMACOPY_MODE_DMA;
}

/*
 * A DMA-mode copy moved onto the alignment: the offsets down, the length up
 * to a multiple of align (or down, where up would pass the end of a buffer
 * of size bytes, a multiple of align). With align 1, unchanged.
 */
static void align_dma(const struct dmacopy_info *info, uint64_t size, uint64_t *src_off,
		      uint64_t *dst_off, uint64_t *len)
{
	uint64_t a = info_align(info);

	*src_off -= *src_off % a;
	*dst_off -= *dst_off % a;
	*len += (a - *len % a) % a;
	while (*len > a && (*src_off + *len > size || *dst_off + *len > size))
		*len -= a;
}

/*
 * Checks the out fields of a successful copy: in fields echoed unchanged,
 * the mode the driver must have picked, hw_status (the controller's done
 * bits, none of its error bits), elapsed_ns, reserved.
 */
static bool copy_out_ok(const struct dmacopy_copy *in,
			const struct dmacopy_copy *out,
			const struct dmacopy_info *info, char *msg, size_t msglen)
{
	const struct dmacopy_ctl *ctl = board_ctl(info->controller);
	__u32 want = mode_wanted(in, info);

	if (!ctl) {
		snprintf(msg, msglen, "unknown controller '%.16s'", info->controller);
		return false;
	}
	if (out->src_off != in->src_off || out->dst_off != in->dst_off ||
	    out->len != in->len || out->mode != in->mode ||
	    out->flags != in->flags || out->timeout_ns != in->timeout_ns) {
		snprintf(msg, msglen, "in fields changed by the copy");
		return false;
	}
	if (out->mode_used != want) {
		snprintf(msg, msglen, "mode %u len %llu: mode_used %u, want %u",
			 in->mode, U64(in->len), out->mode_used, want);
		return false;
	}
	if (want == DMACOPY_MODE_CPU && out->hw_status != 0) {
		snprintf(msg, msglen, "CPU copy: hw_status %#x, want 0",
			 out->hw_status);
		return false;
	}
	if (want == DMACOPY_MODE_DMA &&
	    ((out->hw_status & ctl->hw_done) != ctl->hw_done || (out->hw_status & ctl->hw_err))) {
		snprintf(msg, msglen,
			 "DMA copy: hw_status %#x, want %s's done bits (%#x) and no error bit (%#x)",
			 out->hw_status, ctl->name, ctl->hw_done, ctl->hw_err);
		return false;
	}
	if (out->elapsed_ns >= MAX_ELAPSED_NS) {
		snprintf(msg, msglen, "elapsed_ns %llu is not below 10 s",
			 U64(out->elapsed_ns));
		return false;
	}
	if (out->reserved[0] || out->reserved[1]) {
		snprintf(msg, msglen, "reserved out fields %#llx %#llx, want 0",
			 U64(out->reserved[0]), U64(out->reserved[1]));
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* Buffer patterns and checks.                                               */

static inline uint8_t src_pat(uint64_t i)
{
	return (uint8_t)(((i * 131 + 7) & 0xff) ^ (i >> 8));
}

static inline uint8_t dst_pat(uint64_t i)
{
	return (uint8_t)((0xa5 ^ (i * 17)) & 0xff);
}

/*
 * The part [lo, hi) of SRC and the same part of DST that one checker owns,
 * with its patterns: SRC[i] = src_pat(i) ^ seed, DST[i] = dst_pat(i) ^ seed.
 */
struct view {
	volatile uint8_t *src, *dst;
	uint64_t lo, hi;
	uint8_t seed;
};

static inline uint8_t vsrc(const struct view *v, uint64_t i)
{
	return src_pat(i) ^ v->seed;
}

static inline uint8_t vdst(const struct view *v, uint64_t i)
{
	return dst_pat(i) ^ v->seed;
}

/* Writes both patterns over the whole view. */
static void view_fill(const struct view *v)
{
	uint64_t i;

	for (i = v->lo; i < v->hi; i++) {
		v->src[i] = vsrc(v, i);
		v->dst[i] = vdst(v, i);
	}
}

/* [off - guard, off + len + guard), clamped to the view. */
static void view_window(const struct view *v, uint64_t off, uint64_t len,
			uint64_t guard, uint64_t *a, uint64_t *b)
{
	uint64_t end = off + len;

	*a = off - v->lo > guard ? off - guard : v->lo;
	*b = v->hi - end > guard ? end + guard : v->hi;
}

/* Puts the DST pattern back around a copy's destination. */
static void view_restore(const struct view *v, uint64_t dst_off, uint64_t len,
			 uint64_t guard)
{
	uint64_t a, b, i;

	view_window(v, dst_off, len, guard, &a, &b);
	for (i = a; i < b; i++)
		v->dst[i] = vdst(v, i);
}

/*
 * After a copy of len bytes from SRC[src_off] to DST[dst_off] (len 0: none):
 * DST[dst_off, +len) must hold the SRC pattern, DST around it the DST pattern
 * and SRC around the source range its own pattern, within guard bytes (or the
 * whole view with GUARD_ALL). Describes the first bad byte in msg.
 */
static bool view_check(const struct view *v, uint64_t src_off, uint64_t dst_off,
		       uint64_t len, uint64_t guard, char *msg, size_t msglen)
{
	uint64_t a, b, i;

	view_window(v, dst_off, len, guard, &a, &b);
	for (i = a; i < b; i++) {
		bool inside = i >= dst_off && i - dst_off < len;
		uint8_t want = inside ? vsrc(v, src_off + (i - dst_off)) : vdst(v, i);
		uint8_t got = v->dst[i];

		if (got != want) {
			snprintf(msg, msglen,
				 "DST[%" PRIu64 "] = 0x%02x, want 0x%02x (%s the copy src_off %" PRIu64
				 " dst_off %" PRIu64 " len %" PRIu64 ")",
				 i, got, want, inside ? "inside" : "outside",
				 src_off, dst_off, len);
			return false;
		}
	}
	view_window(v, src_off, len, guard, &a, &b);
	for (i = a; i < b; i++) {
		uint8_t got = v->src[i];

		if (got != vsrc(v, i)) {
			snprintf(msg, msglen,
				 "SRC[%" PRIu64 "] = 0x%02x changed, want 0x%02x (copy src_off %" PRIu64
				 " dst_off %" PRIu64 " len %" PRIu64 ")",
				 i, got, vsrc(v, i), src_off, dst_off, len);
			return false;
		}
	}
	return true;
}

/* The whole view still holds its patterns. */
static bool view_check_all(const struct view *v, char *msg, size_t msglen)
{
	return view_check(v, v->lo, v->lo, 0, GUARD_ALL, msg, msglen);
}

#define ASSERT_VIEW(v, s, d, len, guard) do { \
	char __msg[256]; \
	bool __ok = view_check((v), (s), (d), (len), (guard), __msg, sizeof(__msg)); \
	ASSERT_TRUE(__ok) TH_LOG("%s", __msg); \
} while (0)

#define ASSERT_VIEW_ALL(v) do { \
	char __msg[256]; \
	bool __ok = view_check_all((v), __msg, sizeof(__msg)); \
	ASSERT_TRUE(__ok) TH_LOG("%s", __msg); \
} while (0)

/* ------------------------------------------------------------------------ */
/* Nodes.                                                                    */

struct node {
	int idx;
	int fd;
	struct dmacopy_info info;
	const struct dmacopy_ctl *ctl;	/* its controller family, by INFO */
	uint64_t size;			/* buf_size */
	uint8_t *win;			/* the whole window, 2 * size bytes */
	volatile uint8_t *src, *dst;
};

/* Opens /dev/dmacopy<idx>, reads its INFO and maps its whole window. */
static void node_open(struct __test_metadata *_metadata, struct node *n, int idx)
{
	long page = sysconf(_SC_PAGESIZE);
	int ret;

	memset(n, 0, sizeof(*n));
	n->idx = idx;
	n->fd = open_node(idx);
	ASSERT_LE(0, n->fd) TH_LOG("open /dev/dmacopy%d: %s", idx, strerror(errno));
	ret = dc_info(n->fd, &n->info);
	ASSERT_EQ(0, ret) TH_LOG("INFO on /dev/dmacopy%d: %s", idx, strerror(ret));
	n->ctl = board_ctl(n->info.controller);
	ASSERT_NE(NULL, n->ctl) TH_LOG("/dev/dmacopy%d: unknown controller '%.16s'", idx,
				       n->info.controller);
	n->size = n->info.buf_size;
	ASSERT_NE(0U, n->size);
	ASSERT_EQ(0U, n->size % (uint64_t)page);
	n->win = mmap(NULL, 2 * n->size, PROT_READ | PROT_WRITE, MAP_SHARED, n->fd, 0);
	ASSERT_NE(MAP_FAILED, n->win) TH_LOG("mmap of /dev/dmacopy%d: %s", idx,
					     strerror(errno));
	n->src = n->win;
	n->dst = n->win + n->size;
}

static void node_close(struct node *n)
{
	if (n->win && n->win != MAP_FAILED)
		munmap(n->win, 2 * n->size);
	if (n->fd >= 0)
		close(n->fd);
	n->win = NULL;
	n->fd = -1;
}

static struct view node_view(const struct node *n, uint8_t seed)
{
	struct view v = {
		.src = n->src,
		.dst = n->dst,
		.lo = 0,
		.hi = n->size,
		.seed = seed,
	};

	return v;
}

/* Fills SRC with src_pat and DST with dst_pat over the whole buffers. */
static struct view fill(const struct node *n)
{
	struct view v = node_view(n, 0);

	view_fill(&v);
	return v;
}

/* One copy that must succeed: result, out fields, data; then DST restored. */
static void copy_checked(struct __test_metadata *_metadata, const struct node *n,
			 const struct view *v, uint64_t src_off, uint64_t dst_off,
			 uint64_t len, __u32 mode)
{
	struct dmacopy_copy in = mkcopy(src_off, dst_off, len, mode);
	struct dmacopy_copy c = in;
	char msg[256];
	int ret;

	ret = dc_copy(n->fd, &c);
	ASSERT_EQ(0, ret) TH_LOG("copy mode %u src_off %" PRIu64 " dst_off %" PRIu64
				 " len %" PRIu64 " on /dev/dmacopy%d: %s",
				 mode, src_off, dst_off, len, n->idx, strerror(ret));
	ASSERT_TRUE(copy_out_ok(&in, &c, &n->info, msg, sizeof(msg)))
		TH_LOG("%s", msg);
	ASSERT_VIEW(v, src_off, dst_off, len, GUARD);
	view_restore(v, dst_off, len, GUARD);
}

/*
 * copy_checked() in DMA mode, of the copy moved onto the node's alignment
 * (align_dma(): with align 1, the copy as given).
 */
static void copy_checked_dma(struct __test_metadata *_metadata, const struct node *n,
			     const struct view *v, uint64_t src_off, uint64_t dst_off,
			     uint64_t len)
{
	align_dma(&n->info, n->size, &src_off, &dst_off, &len);
	copy_checked(_metadata, n, v, src_off, dst_off, len, DMACOPY_MODE_DMA);
}

/*
 * A copy in DMA mode (mode DMA, or AUTO at or above its threshold) that is
 * misaligned: EINVAL, and nothing was copied (DST around the destination, len
 * bytes and GUARD more on each side, unchanged).
 */
static void copy_misaligned_mode(struct __test_metadata *_metadata, const struct node *n,
				 const struct view *v, uint64_t src_off, uint64_t dst_off,
				 uint64_t len, __u32 mode)
{
	struct dmacopy_copy c = mkcopy(src_off, dst_off, len, mode);
	int ret;

	ASSERT_FALSE(dma_aligned(&n->info, src_off, dst_off, len));
	ASSERT_EQ((__u32)DMACOPY_MODE_DMA, mode_wanted(&c, &n->info));
	ret = dc_copy(n->fd, &c);
	ASSERT_EQ(EINVAL, ret) TH_LOG("misaligned copy in mode %u (DMA) src_off %" PRIu64
				      " dst_off %" PRIu64 " len %" PRIu64 " (align %u,"
				      " auto_threshold %llu) on /dev/dmacopy%d: %s",
				      mode, src_off, dst_off, len, n->info.align,
				      U64(n->info.auto_threshold), n->idx, strerror(ret));
	ASSERT_VIEW(v, src_off, dst_off, 0, len + GUARD);
}

static void copy_misaligned(struct __test_metadata *_metadata, const struct node *n,
			    const struct view *v, uint64_t src_off, uint64_t dst_off,
			    uint64_t len)
{
	copy_misaligned_mode(_metadata, n, v, src_off, dst_off, len, DMACOPY_MODE_DMA);
}

/*
 * An AUTO copy: misaligned at or above the threshold (DMA mode), EINVAL and
 * nothing copied; otherwise it works, by the mode mode_wanted() says.
 */
static void copy_checked_auto(struct __test_metadata *_metadata, const struct node *n,
			      const struct view *v, uint64_t src_off, uint64_t dst_off,
			      uint64_t len)
{
	struct dmacopy_copy c = mkcopy(src_off, dst_off, len, DMACOPY_MODE_AUTO);

	if (!dma_aligned(&n->info, src_off, dst_off, len) &&
	    mode_wanted(&c, &n->info) == DMACOPY_MODE_DMA)
		copy_misaligned_mode(_metadata, n, v, src_off, dst_off, len, DMACOPY_MODE_AUTO);
	else
		copy_checked(_metadata, n, v, src_off, dst_off, len, DMACOPY_MODE_AUTO);
}

/* ------------------------------------------------------------------------ */
/* debugfs.                                                                  */

enum {
	ST_DMA_COPIES, ST_CPU_COPIES, ST_DMA_BYTES, ST_CPU_BYTES, ST_ERRORS,
	ST_TIMEOUTS, ST_INTERRUPTED, ST_IRQS, ST_SPURIOUS_IRQS, ST_LAST_NS,
	ST_MAX_NS, ST_COUNT
};

static const char *const stat_names[ST_COUNT] = {
	"dma_copies", "cpu_copies", "dma_bytes", "cpu_bytes", "errors",
	"timeouts", "interrupted", "irqs", "spurious_irqs", "last_ns", "max_ns",
};

struct stats {
	uint64_t v[ST_COUNT];
};

#define DELTA(a, b, k)	((b).v[k] - (a).v[k])

/* Parses stats of node idx: every counter exactly once. 0 or errno. */
static int read_stats(int idx, struct stats *st)
{
	bool seen[ST_COUNT] = { false };
	char path[128], buf[2048], *line, *save = NULL;
	int ret, k;

	memset(st, 0xcc, sizeof(*st));
	debugfs_path(path, sizeof(path), idx, "stats");
	ret = read_text(path, buf, sizeof(buf));
	if (ret)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		uint64_t val;

		if (sscanf(line, "%63[^:]: %" SCNu64, name, &val) != 2)
			return EBADMSG;
		for (k = 0; k < ST_COUNT; k++)
			if (!strcmp(name, stat_names[k]))
				break;
		if (k == ST_COUNT || seen[k])
			return EBADMSG;
		seen[k] = true;
		st->v[k] = val;
	}
	for (k = 0; k < ST_COUNT; k++)
		if (!seen[k])
			return ENODATA;
	return 0;
}

/* Writes one word to inject of node idx. 0 or errno. */
static int write_inject(int idx, const char *word)
{
	char path[128];
	ssize_t n;
	int fd, ret = 0;

	debugfs_path(path, sizeof(path), idx, "inject");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, word, strlen(word));
	if (n < 0)
		ret = errno;
	else if ((size_t)n != strlen(word))
		ret = EIO;
	close(fd);
	return ret;
}

/* Reads inject of node idx without its newline. 0 or errno. */
static int read_inject(int idx, char *buf, size_t len)
{
	char path[128];
	int ret;

	debugfs_path(path, sizeof(path), idx, "inject");
	ret = read_text(path, buf, len);
	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

#define ASSERT_INJECT(idx, want) do { \
	char __buf[64]; \
	int __ret = read_inject((idx), __buf, sizeof(__buf)); \
	ASSERT_EQ(0, __ret) TH_LOG("read inject: %s", strerror(__ret)); \
	ASSERT_STREQ((want), __buf); \
} while (0)

#define ARM(self, idx, word) do { \
	int __ret = write_inject((idx), (word)); \
	ASSERT_EQ(0, __ret) TH_LOG("write '%s' to inject: %s", (word), strerror(__ret)); \
	(self)->armed = (idx); \
} while (0)

#define READ_STATS(idx, st) do { \
	int __ret = read_stats((idx), (st)); \
	ASSERT_EQ(0, __ret) TH_LOG("stats of dmacopy%d: %s", (idx), strerror(__ret)); \
} while (0)

/* ------------------------------------------------------------------------ */
/* Copy jobs shared by threads and processes (no harness calls inside).      */

struct job {
	pthread_t thread;
	int fd;
	struct view v;
	struct dmacopy_info info;	/* the node's */
	uint64_t max_len;	/* usual length bound */
	int big_every;		/* every n-th copy may span the whole view; 0: never */
	int iters;
	bool alternate;		/* DMA and CPU in turn; else DMA only */
	uint32_t rng;
	int done;		/* copies that passed */
	int failed;
	char msg[384];
};

static int run_job(struct job *j)
{
	uint64_t span = j->v.hi - j->v.lo;
	char why[256];
	int it;

	view_fill(&j->v);
	for (it = 0; it < j->iters; it++) {
		uint64_t maxl = min_u64(span, j->max_len);
		uint64_t len, s, d;
		struct dmacopy_copy in, c;
		__u32 mode;
		int ret;

		if (j->big_every && it % j->big_every == 0)
			maxl = span;
		len = 1 + rnd_below(&j->rng, maxl);
		s = j->v.lo + rnd_below(&j->rng, span - len + 1);
		d = j->v.lo + rnd_below(&j->rng, span - len + 1);
		mode = j->alternate && (it & 1) ? DMACOPY_MODE_CPU : DMACOPY_MODE_DMA;
		/* The slice's bounds are multiples of align: the copy stays inside. */
		if (mode == DMACOPY_MODE_DMA)
			align_dma(&j->info, j->v.hi, &s, &d, &len);
		in = mkcopy(s, d, len, mode);
		c = in;
		ret = dc_copy(j->fd, &c);
		if (ret) {
			snprintf(j->msg, sizeof(j->msg),
				 "copy %d (mode %u src_off %" PRIu64 " dst_off %" PRIu64
				 " len %" PRIu64 "): %s", it, mode, s, d, len, strerror(ret));
			goto fail;
		}
		if (!copy_out_ok(&in, &c, &j->info, why, sizeof(why)) ||
		    !view_check(&j->v, s, d, len, GUARD, why, sizeof(why))) {
			snprintf(j->msg, sizeof(j->msg), "copy %d (mode %u): %s", it, mode, why);
			goto fail;
		}
		view_restore(&j->v, d, len, GUARD);
		j->done++;
	}
	if (!view_check_all(&j->v, why, sizeof(why))) {
		snprintf(j->msg, sizeof(j->msg), "after %d copies: %s", it, why);
		goto fail;
	}
	return 0;
fail:
	j->failed = 1;
	return -1;
}

static void *job_thread(void *arg)
{
	run_job(arg);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* sysfs: binding devices, the module.                                       */

#define DRV_DIR		BOARD_DRV_DIR
#define DEV_DIR		BOARD_DEV_DIR

/* "<hex>.<name>" -> hex; false if the name does not look like that. */
static bool parse_platform_name(const char *name, uint64_t *addr)
{
	char *end;

	errno = 0;
	*addr = strtoull(name, &end, 16);
	return !errno && end != name && *end == '.';
}

/*
 * The nodes of platform device name (by their sysfs device link), at most
 * max, in *idx; their number.
 */
static int device_nodes(const char *name, int *idx, int max)
{
	char dev[128];
	int i, n = 0;

	for (i = 0; i < MAX_CHANNELS && n < max; i++)
		if (!board_node_dev(i, dev, sizeof(dev)) && !strcmp(dev, name))
			idx[n++] = i;
	return n;
}

static long delete_module(const char *name, unsigned int flags)
{
	return syscall(__NR_delete_module, name, flags);
}

/*
 * Unloads the module and loads ko with params and more (either may be NULL),
 * then waits until there are as many nodes as the argument nodes says. 0, or -1 with why in
 * msg.
 */
static int module_reload(const char *ko, const char *params, const char *more, int nodes,
			 char *msg, size_t len)
{
	char cmd[1024];
	int ret;

	if (!ko || strlen(ko) + (params ? strlen(params) : 0) + (more ? strlen(more) : 0) >
		   sizeof(cmd) - 64) {
		snprintf(msg, len, "no DMACOPY_MODULE, or it is too long");
		return -1;
	}
	if (delete_module("dmacopy", O_NONBLOCK) && errno != ENOENT) {
		snprintf(msg, len, "delete_module(dmacopy): %s", strerror(errno));
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "insmod '%s'", ko);
	/*
	 * A parameter in more replaces the same one in params: the module refuses
	 * a parameter given twice (EEXIST).
	 */
	if (params) {
		char copy[512], *tok, *save = NULL;

		snprintf(copy, sizeof(copy), "%s", params);
		for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			size_t klen = strcspn(tok, "=");

			if (more && !strncmp(more, tok, klen) && more[klen] == '=')
				continue;
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", tok);
		}
	}
	if (more)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", more);
	ret = system(cmd);
	if (!WIFEXITED(ret) || WEXITSTATUS(ret)) {
		snprintf(msg, len, "%.200s: status %#x", cmd, ret);
		return -1;
	}
	if (!wait_nodes(nodes, 10000)) {
		snprintf(msg, len, "%.200s: %d nodes, want %d", cmd, board_count_nodes("/dev", NULL),
			 nodes);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */

FIXTURE(dmacopy) {
	int nchan;	/* the /dev/dmacopyN nodes */
	int armed;	/* node whose inject a test armed, or -1 */
	int armed2;	/* a second one, or -1 */
	bool unbound;	/* the test unbinds a device */
	bool reloaded;	/* the test loaded the module with other parameters */
};

FIXTURE_SETUP(dmacopy)
{
	int bound, top;

	self->armed = -1;
	self->armed2 = -1;
	self->unbound = false;
	self->reloaded = false;

	/* A test before this one may have failed with a device unbound. */
	if (geteuid() == 0) {
		bound = bind_orphans();
		if (bound) {
			TH_LOG("bound %d device(s) left unbound by an earlier test", bound);
			wait_nodes(board_expected_nodes(), 5000);
		}
	}
	/* The nodes that exist (the nodes test checks that they are the right ones). */
	self->nchan = board_count_nodes("/dev", &top);
	ASSERT_LE(1, self->nchan) TH_LOG("no /dev/dmacopyN: is dmacopy loaded and bound to a DMA controller?");
	ASSERT_GE(MAX_CHANNELS, top) TH_LOG("/dev/dmacopy%d: more nodes than the tests handle (%d)",
					   top - 1, MAX_CHANNELS);
}

FIXTURE_TEARDOWN(dmacopy)
{
	/* Never leave a fault armed, or a channel unbound, for the tests that follow. */
	if (self->armed >= 0)
		write_inject(self->armed, "none");
	if (self->armed2 >= 0)
		write_inject(self->armed2, "none");
	if (self->unbound)
		bind_orphans();
	if (self->reloaded) {
		char msg[256];

		if (module_reload(getenv("DMACOPY_MODULE"), getenv("DMACOPY_MODULE_PARAMS"), NULL,
				  self->nchan, msg, sizeof(msg)))
			TH_LOG("cannot load the module as it was: %s", msg);
	}
}

/* Node of a stateful test, folded onto the nodes that exist. */
static int node_for(const FIXTURE_DATA(dmacopy) *self, int want)
{
	return want % self->nchan;
}

/* ------------------------------------------------------------------------ */
/* Nodes and INFO.                                                           */

/*
 * "One misc device per DMA channel that the driver has bound: /dev/dmacopy0,
 * /dev/dmacopy1, ...": numbered without a gap, one per hardware channel of
 * every device bound to the driver (a ZDMA device is one channel; a BCM2835
 * device has the channels of its brcm,dma-channel-mask), each node's sysfs
 * device a bound controller of a known family.
 */
TEST_F_TIMEOUT(dmacopy, nodes, 30)
{
	const char *env = getenv("DMACOPY_CHANNELS");
	char path[64], dev[128];
	struct stat st;
	int i, ret, err, top, want;

	board_count_nodes("/dev", &top);
	EXPECT_EQ(self->nchan, top) TH_LOG("%d nodes, but the highest is /dev/dmacopy%d: a gap",
					   self->nchan, top - 1);
	for (i = 0; i < self->nchan; i++) {
		node_path(path, sizeof(path), i);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_TRUE(S_ISCHR(st.st_mode)) TH_LOG("%s is not a char device", path);
		/* A misc device. */
		EXPECT_EQ(10U, major(st.st_rdev)) TH_LOG("%s", path);
		ret = board_node_dev(i, dev, sizeof(dev));
		ASSERT_EQ(0, ret) TH_LOG(BOARD_MISC_DIR "/dmacopy%d/device: %s", i, strerror(ret));
		EXPECT_TRUE(board_dev_bound(dev)) TH_LOG("%s (of %s) is not bound to dmacopy", dev, path);
		EXPECT_NE(NULL, board_dev_ctl(dev))
			TH_LOG("%s (of %s) is not a DMA controller of a known family", dev, path);
	}
	node_path(path, sizeof(path), self->nchan);
	ret = stat(path, &st);
	err = errno;
	EXPECT_EQ(-1, ret) TH_LOG("%s exists: more nodes than the %d counted", path, self->nchan);
	if (ret == -1) {
		EXPECT_EQ(ENOENT, err) TH_LOG("stat %s: %s", path, strerror(err));
	}
	EXPECT_EQ(self->nchan, board_count_nodes(BOARD_MISC_DIR, NULL))
		TH_LOG("misc devices named dmacopyN in " BOARD_MISC_DIR);
	want = board_expected_nodes();
	EXPECT_EQ(want, self->nchan)
		TH_LOG("the devices bound to dmacopy have %d channels by their device tree, and %d nodes",
		       want, self->nchan);
	if (env && *env) {
		EXPECT_EQ(strtol(env, NULL, 10), self->nchan) TH_LOG("DMACOPY_CHANNELS=%s", env);
	}
	TH_LOG("%d nodes", self->nchan);
}

/*
 * INFO of every node: the spec's fields, a controller of a known family
 * that is its platform device's (by compatible), that family's align, a
 * reg_base that is one of the device's hardware channels (every channel of a
 * bound device has its node), and an irq of its own, except where the device
 * tree gives several channels one (BCM2835 channels 11 to 14).
 */
TEST_F_TIMEOUT(dmacopy, info_fields, 30)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t reg_base[MAX_CHANNELS], buf_size = 0;
	const struct dmacopy_ctl *ctls[MAX_CHANNELS];
	char devs[MAX_CHANNELS][128];
	int hw[MAX_CHANNELS];
	__u32 irq[MAX_CHANNELS];
	int i, j, fd, ret;

	for (i = 0; i < self->nchan; i++) {
		const struct dmacopy_ctl *ctl;
		struct dmacopy_info info;
		const char *nul;
		size_t k;

		fd = open_node(i);
		ASSERT_LE(0, fd) TH_LOG("open /dev/dmacopy%d: %s", i, strerror(errno));
		ret = dc_info(fd, &info);
		ASSERT_EQ(0, ret) TH_LOG("INFO on /dev/dmacopy%d: %s", i, strerror(ret));
		close(fd);

		EXPECT_EQ((__u32)DMACOPY_ABI_VERSION, info.abi_version);
		/* Both families run COPY_USER and batches as descriptor chains. */
		EXPECT_EQ(DMACOPY_CAP_MMAP | DMACOPY_CAP_COPY_USER | DMACOPY_CAP_SG |
			  DMACOPY_CAP_BATCH, info.caps);
		ASSERT_LT(0U, info.buf_size);
		EXPECT_EQ(0U, info.buf_size % (uint64_t)page)
			TH_LOG("buf_size %llu is not a multiple of the page size %ld",
			       U64(info.buf_size), page);
		EXPECT_EQ(info.buf_size, info.max_len);
		/* One module parameter for every channel. */
		if (i == 0)
			buf_size = info.buf_size;
		EXPECT_EQ(buf_size, info.buf_size) TH_LOG("/dev/dmacopy%d", i);

		nul = memchr(info.controller, '\0', sizeof(info.controller));
		ASSERT_NE(NULL, nul) TH_LOG("controller is not NUL-terminated");
		ctl = board_ctl(info.controller);
		ASSERT_NE(NULL, ctl) TH_LOG("/dev/dmacopy%d: controller '%s' is none of the known",
					    i, info.controller);
		ctls[i] = ctl;
		EXPECT_EQ(ctl->align, info.align) TH_LOG("/dev/dmacopy%d (%s)", i, ctl->name);
		ret = board_node_dev(i, devs[i], sizeof(devs[i]));
		ASSERT_EQ(0, ret) TH_LOG(BOARD_MISC_DIR "/dmacopy%d/device: %s", i, strerror(ret));
		EXPECT_EQ(ctl, board_dev_ctl(devs[i]))
			TH_LOG("/dev/dmacopy%d: controller %s, but its device %s is not %s",
			       i, ctl->name, devs[i], ctl->compatible);
		hw[i] = board_hw_chan(ctl, devs[i], info.reg_base);
		EXPECT_LE(0, hw[i]) TH_LOG("/dev/dmacopy%d: reg_base %#llx is none of %s's channels"
					   " (%s mask %#x)", i, U64(info.reg_base), devs[i],
					   ctl->chan_mask_prop ? ctl->chan_mask_prop : "one channel",
					   board_dev_chans(ctl, devs[i]));
		/* Nothing but zeros after the NUL: no stale kernel bytes. */
		for (k = (size_t)(nul - info.controller); k < sizeof(info.controller); k++) {
			EXPECT_EQ(0, info.controller[k]) TH_LOG("controller[%zu]", k);
		}
		for (k = 0; k < ARRAY_SIZE(info.reserved); k++) {
			EXPECT_EQ(0U, info.reserved[k]) TH_LOG("reserved[%zu]", k);
		}

		reg_base[i] = info.reg_base;
		irq[i] = info.irq;
		TH_LOG("dmacopy%d: %s %s channel %d reg_base %#llx irq %u buf_size %llu align %u"
		       " auto_threshold %llu", i, info.controller, devs[i], hw[i],
		       U64(info.reg_base), info.irq, U64(info.buf_size), info.align,
		       U64(info.auto_threshold));
	}
	for (i = 0; i < self->nchan; i++) {
		uint32_t seen = 0;

		for (j = 0; j < self->nchan; j++) {
			bool share;

			if (!strcmp(devs[i], devs[j]) && hw[j] >= 0)
				seen |= 1U << hw[j];
			if (j <= i)
				continue;
			EXPECT_NE(reg_base[i], reg_base[j])
				TH_LOG("dmacopy%d and dmacopy%d share reg_base", i, j);
			share = !strcmp(devs[i], devs[j]) && hw[i] >= 0 && hw[j] >= 0 &&
				(ctls[i]->shared_irq_chans >> hw[i] & 1) &&
				(ctls[j]->shared_irq_chans >> hw[j] & 1);
			if (share) {
				EXPECT_EQ(irq[i], irq[j])
					TH_LOG("dmacopy%d and dmacopy%d (%s channels %d and %d) do not"
					       " share their interrupt", i, j, devs[i], hw[i], hw[j]);
			} else {
				EXPECT_NE(irq[i], irq[j])
					TH_LOG("dmacopy%d and dmacopy%d share irq", i, j);
			}
		}
		/* Every hardware channel of the device has a node. */
		EXPECT_EQ(board_dev_chans(ctls[i], devs[i]), seen)
			TH_LOG("%s: channels with a node %#x, in its device tree %#x", devs[i], seen,
			       board_dev_chans(ctls[i], devs[i]));
	}
}

/*
 * The driver's sysfs directory lists the platform devices bound to it; their
 * channels are the nodes, each node's device link names one of them, and
 * /proc/interrupts has each node's irq with one dmacopy handler per node that
 * reports it (a shared interrupt has one per channel that shares it).
 */
TEST_F_TIMEOUT(dmacopy, info_matches_sysfs, 30)
{
	static const char drv_dir[] = DRV_DIR;
	char bound[MAX_CHANNELS][128], dev[128];
	__u32 irq[MAX_CHANNELS];
	int nbound = 0, nodes = 0, i, j, fd, ret;
	struct dirent *de;
	char line[1024];
	FILE *f;
	DIR *d;

	/* The platform devices bound to the driver, named "<address>.<node name>". */
	d = opendir(drv_dir);
	ASSERT_NE(NULL, d) TH_LOG("%s: %s", drv_dir, strerror(errno));
	while ((de = readdir(d))) {
		uint64_t addr;

		if (de->d_type != DT_LNK || !strcmp(de->d_name, "module"))
			continue;
		EXPECT_TRUE(parse_platform_name(de->d_name, &addr))
			TH_LOG("unexpected entry %s/%s", drv_dir, de->d_name);
		EXPECT_NE(NULL, board_dev_ctl(de->d_name))
			TH_LOG("%s/%s is not a DMA controller of a known family", drv_dir,
			       de->d_name);
		if (!parse_platform_name(de->d_name, &addr) || strlen(de->d_name) >= sizeof(dev))
			continue;
		ASSERT_GT(ARRAY_SIZE(bound), (size_t)nbound);
		snprintf(bound[nbound++], sizeof(bound[0]), "%s", de->d_name);
		nodes += board_dev_nodes(de->d_name);
	}
	closedir(d);
	EXPECT_EQ(self->nchan, nodes) TH_LOG("the %d devices bound in %s have %d channels",
					     nbound, drv_dir, nodes);

	for (i = 0; i < self->nchan; i++) {
		struct dmacopy_info info;
		bool found = false;

		fd = open_node(i);
		ASSERT_LE(0, fd) TH_LOG("open /dev/dmacopy%d: %s", i, strerror(errno));
		ret = dc_info(fd, &info);
		ASSERT_EQ(0, ret) TH_LOG("INFO: %s", strerror(ret));
		close(fd);
		irq[i] = info.irq;

		ret = board_node_dev(i, dev, sizeof(dev));
		ASSERT_EQ(0, ret) TH_LOG(BOARD_MISC_DIR "/dmacopy%d/device: %s", i, strerror(ret));
		for (j = 0; j < nbound; j++)
			found |= !strcmp(bound[j], dev);
		EXPECT_TRUE(found) TH_LOG("dmacopy%d: its device %s is not in %s", i, dev, drv_dir);
	}
	for (i = 0; i < self->nchan; i++) {
		char want[32];
		int sharers = 0, handlers = -1;

		for (j = 0; j < self->nchan; j++)
			sharers += irq[j] == irq[i];
		/* /proc/interrupts: a line "<irq>: ... dmacopy[, dmacopy ...]". */
		snprintf(want, sizeof(want), "%u:", irq[i]);
		f = fopen("/proc/interrupts", "re");
		ASSERT_NE(NULL, f) TH_LOG("/proc/interrupts: %s", strerror(errno));
		while (fgets(line, sizeof(line), f)) {
			char first[32];
			const char *p;

			if (sscanf(line, "%31s", first) != 1 || strcmp(first, want))
				continue;
			for (handlers = 0, p = line; (p = strstr(p, "dmacopy")); p++)
				handlers++;
			break;
		}
		fclose(f);
		EXPECT_EQ(sharers, handlers)
			TH_LOG("dmacopy%d: irq %u of %d node(s): %d dmacopy handlers in /proc/interrupts"
			       " (-1: no line)", i, irq[i], sharers, handlers);
	}
}

/* ------------------------------------------------------------------------ */
/* ioctl decoding and argument checks.                                       */

/*
 * Errno table, row ENOTTY: "unknown command, including a known number with the
 * wrong size or direction"; COPY_USER and COPY_BATCH are unknown commands
 * while their caps bits are clear.
 */
TEST_F_TIMEOUT(dmacopy, unknown_ioctl_enotty, 60)
{
	static const unsigned int dirs[] = { _IOC_NONE, _IOC_READ, _IOC_WRITE,
					     _IOC_READ | _IOC_WRITE };
	static const unsigned int sizes[] = { 0, 1, 8, 40, 64, 72, 96, 128 };
	struct spec_copy_user cu;
	struct spec_batch batch;
	struct dmacopy_copy entry;
	struct dmacopy_info info;
	/* Room for any of the structs, so only the command can be wrong. */
	uint64_t buf[32], zero[32];
	unsigned int nr, d, k, tried = 0;
	int fd, ret;

	fd = open_node(0);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ret = dc_info(fd, &info);
	ASSERT_EQ(0, ret);
	memset(buf, 0, sizeof(buf));
	memset(zero, 0, sizeof(zero));

	ret = ioctl_result(ioctl(fd, _IO(DMACOPY_IOC_MAGIC, 0x7f), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("_IO(0xDC, 0x7f)");
	ret = ioctl_result(ioctl(fd, _IO(DMACOPY_IOC_MAGIC, 0x00), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("_IO(0xDC, 0), INFO without size and direction");
	ret = ioctl_result(ioctl(fd, _IOR(DMACOPY_IOC_MAGIC, 0x00, char[8]), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("INFO with a wrong size");
	ret = ioctl_result(ioctl(fd, _IOW(DMACOPY_IOC_MAGIC, 0x00, struct dmacopy_info), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("INFO with the wrong direction (_IOW)");
	ret = ioctl_result(ioctl(fd, _IOWR(DMACOPY_IOC_MAGIC, 0x00, struct dmacopy_info), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("INFO with the wrong direction (_IOWR)");
	ret = ioctl_result(ioctl(fd, _IOR('x', 0x00, struct dmacopy_info), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("INFO number with another magic");
	ret = ioctl_result(ioctl(fd, _IOWR(DMACOPY_IOC_MAGIC, 0x01, char[64]), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("COPY with a wrong size");
	ret = ioctl_result(ioctl(fd, _IOR(DMACOPY_IOC_MAGIC, 0x01, struct dmacopy_copy), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("COPY with the wrong direction (_IOR)");
	ret = ioctl_result(ioctl(fd, _IOW(DMACOPY_IOC_MAGIC, 0x01, struct dmacopy_copy), buf));
	EXPECT_EQ(ENOTTY, ret) TH_LOG("COPY with the wrong direction (_IOW)");

	/* Every number of the magic, every direction, a few sizes: only the two known. */
	for (nr = 0; nr < 256; nr++) {
		for (d = 0; d < ARRAY_SIZE(dirs); d++) {
			for (k = 0; k < ARRAY_SIZE(sizes); k++) {
				unsigned long cmd = _IOC(dirs[d], DMACOPY_IOC_MAGIC, nr, sizes[k]);

				if (cmd == DMACOPY_IOC_INFO || cmd == DMACOPY_IOC_COPY)
					continue;
				if ((cmd == SPEC_IOC_COPY_USER && (info.caps & SPEC_CAP_COPY_USER)) ||
				    (cmd == SPEC_IOC_COPY_BATCH && (info.caps & SPEC_CAP_BATCH)))
					continue;
				ret = ioctl_result(ioctl(fd, cmd, buf));
				tried++;
				ASSERT_EQ(ENOTTY, ret) TH_LOG("cmd %#lx (nr %#x dir %u size %u)",
							      cmd, nr, dirs[d], sizes[k]);
			}
		}
	}
	/* An unknown command wrote nothing. */
	ASSERT_EQ(0, memcmp(buf, zero, sizeof(buf)));
	TH_LOG("%u unknown commands refused with ENOTTY", tried);

	/* The spec's COPY_USER and COPY_BATCH, well formed, while their caps bits are clear. */
	if (!(info.caps & SPEC_CAP_COPY_USER)) {
		memset(&cu, 0, sizeof(cu));
		cu.src = (uintptr_t)buf;
		cu.dst = (uintptr_t)buf + 64;
		cu.len = 8;
		ret = ioctl_result(ioctl(fd, SPEC_IOC_COPY_USER, &cu));
		EXPECT_EQ(ENOTTY, ret) TH_LOG("COPY_USER without DMACOPY_CAP_COPY_USER");
		ret = ioctl_result(ioctl(fd, _IOWR(DMACOPY_IOC_MAGIC, 0x02, char[64]), &cu));
		EXPECT_EQ(ENOTTY, ret) TH_LOG("COPY_USER number, wrong size");
	} else {
		TH_LOG("caps has COPY_USER: its ENOTTY case does not apply");
	}
	if (!(info.caps & SPEC_CAP_BATCH)) {
		entry = mkcopy(0, 0, 16, DMACOPY_MODE_CPU);
		memset(&batch, 0, sizeof(batch));
		batch.copies = (uintptr_t)&entry;
		batch.count = 1;
		ret = ioctl_result(ioctl(fd, SPEC_IOC_COPY_BATCH, &batch));
		EXPECT_EQ(ENOTTY, ret) TH_LOG("COPY_BATCH without DMACOPY_CAP_BATCH");
		EXPECT_EQ(0U, batch.done);
		ret = ioctl_result(ioctl(fd, _IOW(DMACOPY_IOC_MAGIC, 0x03, struct spec_batch),
					 &batch));
		EXPECT_EQ(ENOTTY, ret) TH_LOG("COPY_BATCH number, wrong direction");
	} else {
		TH_LOG("caps has BATCH: its ENOTTY case does not apply");
	}

	/* INFO still works after all that. */
	EXPECT_EQ(0, dc_info(fd, &info));
	close(fd);
}

TEST_F_TIMEOUT(dmacopy, bad_pointer_efault, 30)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dmacopy_copy *c;
	struct node n;
	uint8_t *p;
	int ret;

	node_open(_metadata, &n, node_for(self, NODE_COPY));
	fill(&n);

	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_INFO, (void *)8));
	EXPECT_EQ(EFAULT, ret) TH_LOG("INFO to address 8");
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY, (void *)8));
	EXPECT_EQ(EFAULT, ret) TH_LOG("COPY from address 8");
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, ret) TH_LOG("INFO to NULL");

	/* Page 0 RW, page 1 PROT_NONE. */
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + page, page, PROT_NONE));

	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_INFO, p + page));
	EXPECT_EQ(EFAULT, ret) TH_LOG("INFO to a PROT_NONE page");
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY, p + page));
	EXPECT_EQ(EFAULT, ret) TH_LOG("COPY from a PROT_NONE page");

	/* Straddling into the PROT_NONE page. */
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_INFO, p + page - 8));
	EXPECT_EQ(EFAULT, ret) TH_LOG("INFO straddling into a PROT_NONE page");
	c = (struct dmacopy_copy *)(p + page - 8);
	memset(p + page - 8, 0, 8);
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY, c));
	EXPECT_EQ(EFAULT, ret) TH_LOG("COPY straddling into a PROT_NONE page");

	/* A valid request in a read-only page: the out fields cannot be written. */
	c = (struct dmacopy_copy *)p;
	*c = mkcopy(0, 0, 1, DMACOPY_MODE_CPU);
	ASSERT_EQ(0, mprotect(p, page, PROT_READ));
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY, c));
	EXPECT_EQ(EFAULT, ret) TH_LOG("COPY with a read-only argument");
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_INFO, p));
	EXPECT_EQ(EFAULT, ret) TH_LOG("INFO to a read-only page");

	munmap(p, 2 * page);

	/* The node still works. */
	{
		struct view v = fill(&n);

		copy_checked_dma(_metadata, &n, &v, 3, 5, min_u64(n.size - 5, 4096));
	}
	node_close(&n);
}

/* ------------------------------------------------------------------------ */
/* Copies.                                                                   */

static const struct {
	uint64_t src_off, dst_off;
} small_offs[] = {
	{ 0, 0 }, { 1, 3 }, { 4095, 5 }, { 6, 4093 },
	{ 2, 2 }, { 513, 8 }, { 4096, 4097 }, { 1000, 3001 },
};

/* off, moved back so that [off, off + len) fits in size bytes. */
static uint64_t fit(uint64_t off, uint64_t len, uint64_t size)
{
	return off + len <= size ? off : size - len;
}

/*
 * One copy of a length sweep. In DMA mode on a controller with align > 1, a
 * misaligned copy must fail with EINVAL and copy nothing; the copy moved onto
 * the alignment is made instead; the same for AUTO from its threshold on
 * (DMA mode), while below it AUTO takes any copy, by the CPU.
 */
static void sweep_copy(struct __test_metadata *_metadata, const struct node *n,
		       const struct view *v, uint64_t src_off, uint64_t dst_off, uint64_t len,
		       __u32 mode, unsigned int *ncopies, unsigned int *refused)
{
	struct dmacopy_copy in = mkcopy(src_off, dst_off, len, mode);

	if (mode_wanted(&in, &n->info) == DMACOPY_MODE_DMA &&
	    !dma_aligned(&n->info, src_off, dst_off, len)) {
		copy_misaligned_mode(_metadata, n, v, src_off, dst_off, len, mode);
		(*refused)++;
		align_dma(&n->info, n->size, &src_off, &dst_off, &len);
	}
	copy_checked(_metadata, n, v, src_off, dst_off, len, mode);
	(*ncopies)++;
}

static void run_copy_lengths(struct __test_metadata *_metadata, int idx, __u32 mode)
{
	struct node n;
	struct view v;
	uint64_t len, small, size;
	unsigned int k, ncopies = 0, refused = 0;

	node_open(_metadata, &n, idx);
	size = n.size;
	v = fill(&n);

	/* Every length up to 4096, at offsets mixing odd and even. */
	small = min_u64(4096, size);
	for (len = 1; len <= small; len++) {
		unsigned int o = (unsigned int)(len % ARRAY_SIZE(small_offs));

		sweep_copy(_metadata, &n, &v, fit(small_offs[o].src_off, len, size),
			   fit(small_offs[o].dst_off, len, size), len, mode, &ncopies, &refused);
	}
	ASSERT_VIEW_ALL(&v);

	/* Powers of two and their odd neighbours, up to buf_size. */
	for (k = 12; k < 63 && (1ULL << k) <= size; k++) {
		uint64_t p = 1ULL << k;
		uint64_t lens[] = { p - 1, p, p + 1, 3 * p + 5 };
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(lens); i++) {
			len = lens[i];
			if (len > size)
				continue;
			sweep_copy(_metadata, &n, &v, 0, 0, len, mode, &ncopies, &refused);
			sweep_copy(_metadata, &n, &v, size - len, (size - len) / 3, len, mode,
				   &ncopies, &refused);
		}
	}
	/* The whole buffer, and one byte less at both ends. */
	sweep_copy(_metadata, &n, &v, 0, 0, size, mode, &ncopies, &refused);
	sweep_copy(_metadata, &n, &v, 1, 0, size - 1, mode, &ncopies, &refused);
	sweep_copy(_metadata, &n, &v, 0, 1, size - 1, mode, &ncopies, &refused);
	ASSERT_VIEW_ALL(&v);
	TH_LOG("%u copies in mode %u, buf_size %" PRIu64 ", auto_threshold %llu, align %u"
	       " (%u misaligned DMA copies refused)", ncopies, mode, size,
	       U64(n.info.auto_threshold), n.info.align, refused);
	if (mode == DMACOPY_MODE_DMA && n.info.align > 1) {
		EXPECT_LT(0U, refused);
	}
	node_close(&n);
}

TEST_F_TIMEOUT(dmacopy, copy_lengths_dma, 180)
{
	run_copy_lengths(_metadata, node_for(self, NODE_COPY), DMACOPY_MODE_DMA);
}

TEST_F_TIMEOUT(dmacopy, copy_lengths_cpu, 180)
{
	run_copy_lengths(_metadata, node_for(self, NODE_COPY), DMACOPY_MODE_CPU);
}

TEST_F_TIMEOUT(dmacopy, copy_lengths_auto, 180)
{
	run_copy_lengths(_metadata, node_for(self, NODE_COPY), DMACOPY_MODE_AUTO);
}

TEST_F_TIMEOUT(dmacopy, copy_errno, 120)
{
	static const __u32 modes[] = {
		DMACOPY_MODE_DMA, DMACOPY_MODE_CPU, DMACOPY_MODE_AUTO,
	};
	struct node n;
	struct view v;
	uint64_t size, al;
	unsigned int i, m;

	node_open(_metadata, &n, node_for(self, NODE_COPY));
	size = n.size;
	al = info_align(&n.info);
	v = fill(&n);

	struct {
		const char *what;
		struct dmacopy_copy c;
		bool mode_row;	/* c.mode is the invalid part */
	} rows[] = {
		{ "len 0", mkcopy(0, 0, 0, 0), false },
		{ "len buf_size + 1", mkcopy(0, 0, size + 1, 0), false },
		{ "src_off buf_size, len 1", mkcopy(size, 0, 1, 0), false },
		{ "dst_off buf_size, len 1", mkcopy(0, size, 1, 0), false },
		{ "src_off 1, len buf_size", mkcopy(1, 0, size, 0), false },
		{ "dst_off 1, len buf_size", mkcopy(0, 1, size, 0), false },
		{ "dst_off + len = buf_size + 1", mkcopy(0, size - 1, 2, 0), false },
		{ "src_off + len = buf_size + 1", mkcopy(size - 3, 0, 4, 0), false },
		{ "src_off UINT64_MAX - 1, len 4", mkcopy(UINT64_MAX - 1, 0, 4, 0), false },
		{ "dst_off UINT64_MAX, len 1", mkcopy(0, UINT64_MAX, 1, 0), false },
		{ "src_off 2^63, len 2^63", mkcopy(1ULL << 63, 0, 1ULL << 63, 0), false },
		{ "len UINT64_MAX", mkcopy(0, 0, UINT64_MAX, 0), false },
		{ "mode 3", mkcopy(0, 0, 16, 3), true },
		{ "mode 0xffffffff", mkcopy(0, 0, 16, 0xffffffffU), true },
		{ "flags 1", mkcopy(0, 0, 16, 0), false },
		{ "flags 0x80000000", mkcopy(0, 0, 16, 0), false },
		{ "reserved[0] 1", mkcopy(0, 0, 16, 0), false },
		{ "reserved[1] 1", mkcopy(0, 0, 16, 0), false },
		/* The range rows again, aligned: refused for the range, not the alignment. */
		{ "len buf_size + align", mkcopy(0, 0, size + al, 0), false },
		{ "src_off buf_size, len align", mkcopy(size, 0, al, 0), false },
		{ "dst_off buf_size, len align", mkcopy(0, size, al, 0), false },
		{ "src_off align, len buf_size", mkcopy(al, 0, size, 0), false },
		{ "dst_off align, len buf_size", mkcopy(0, al, size, 0), false },
		{ "dst_off + len = buf_size + align", mkcopy(0, size - al, 2 * al, 0), false },
		{ "src_off + len = buf_size + align", mkcopy(size - al, 0, 2 * al, 0), false },
	};
	rows[14].c.flags = 1;
	rows[15].c.flags = 0x80000000U;
	rows[16].c.reserved[0] = 1;
	rows[17].c.reserved[1] = 1;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		for (m = 0; m < (rows[i].mode_row ? 1 : ARRAY_SIZE(modes)); m++) {
			struct dmacopy_copy c = rows[i].c;
			int ret;

			if (!rows[i].mode_row)
				c.mode = modes[m];
			ret = dc_copy(n.fd, &c);
			ASSERT_EQ(EINVAL, ret) TH_LOG("%s, mode %u: %s", rows[i].what, c.mode,
						      strerror(ret));
			/* Nothing was copied, not even partly. */
			ASSERT_VIEW_ALL(&v);
		}
	}

	/*
	 * "misaligned in DMA mode": with align > 1 (BCM2835: 4), an offset or
	 * length that is not a multiple fails in DMA mode, and nothing is copied;
	 * the CPU takes it, and so does AUTO below its threshold (from there on
	 * AUTO is DMA mode, and refuses it the same way).
	 * With align 1 (ZDMA) nothing is misaligned: odd offsets and lengths work
	 * by DMA (copy_lengths_dma does the rest).
	 */
	if (al > 1) {
		struct {
			uint64_t s, d, len;
		} bad[] = {
			{ 1, 0, al }, { 0, 1, al }, { 0, 0, al + 1 }, { al, al, 1 },
			{ 0, 0, 1 }, { al + 2, 0, 2 * al }, { 3, 5, 7 }, { 0, 0, size - 1 },
			{ size - 2 * al, al - 1, al }, { 1, 0, size - 1 },
		};

		ASSERT_GT(size, 4 * al);
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			copy_misaligned(_metadata, &n, &v, bad[i].s, bad[i].d, bad[i].len);
			ASSERT_VIEW_ALL(&v);
			copy_checked(_metadata, &n, &v, bad[i].s, bad[i].d, bad[i].len,
				     DMACOPY_MODE_CPU);
			/* AUTO: by the CPU below its threshold, EINVAL from there on. */
			copy_checked_auto(_metadata, &n, &v, bad[i].s, bad[i].d, bad[i].len);
		}
		/* The same length aligned, where AUTO picks DMA by length. */
		if (n.info.auto_threshold <= size - al) {
			copy_checked(_metadata, &n, &v, 0, 0, size - al, DMACOPY_MODE_AUTO);
			TH_LOG("AUTO, %" PRIu64 " bytes (auto_threshold %llu): DMA when aligned, EINVAL"
			       " when not", size - al, U64(n.info.auto_threshold));
		} else {
			TH_LOG("auto_threshold %llu is above buf_size - align: AUTO copies every"
			       " length here with the CPU, misaligned or not",
			       U64(n.info.auto_threshold));
		}
	} else {
		ASSERT_EQ(1U, n.info.align);
		copy_checked(_metadata, &n, &v, 1, 3, 5, DMACOPY_MODE_DMA);
		copy_checked(_metadata, &n, &v, size - 7, 5, 7, DMACOPY_MODE_DMA);
	}

	/* Just inside every limit (in DMA mode, by whole multiples of align). */
	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		uint64_t step = modes[m] == DMACOPY_MODE_DMA ? al : 1;

		copy_checked(_metadata, &n, &v, 0, 0, size, modes[m]);
		copy_checked(_metadata, &n, &v, size - step, 0, step, modes[m]);
		copy_checked(_metadata, &n, &v, 0, size - step, step, modes[m]);
		copy_checked(_metadata, &n, &v, size - 4096, size - 4096, 4096, modes[m]);
	}
	/* And ordinary copies still work. */
	copy_checked_dma(_metadata, &n, &v, 1, 2, min_u64(size - 2, 8192));
	copy_checked(_metadata, &n, &v, 7, 3, min_u64(size - 7, 8192), DMACOPY_MODE_CPU);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
}

/* Index of the first difference of a and b (len if none). */
static size_t first_diff(const volatile uint8_t *a, const volatile uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			break;
	return i;
}

TEST_F_TIMEOUT(dmacopy, views_agree, 120)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *buf, *data, *m;
	struct node n;
	struct view v;
	uint64_t size, len, off, al, s0 = 100, d0 = 0, l0, d1;
	ssize_t ret;
	size_t i, at;

	node_open(_metadata, &n, node_for(self, NODE_COPY));
	size = n.size;
	al = info_align(&n.info);
	v = fill(&n);
	buf = malloc(size + 256);
	data = malloc(size);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, data);

	/* DST gets bytes by DMA and by CPU; DST is not restored afterwards. */
	len = min_u64(size / 2, 50000);
	l0 = len - 100;
	align_dma(&n.info, size, &s0, &d0, &l0);
	copy_checked(_metadata, &n, &v, s0, d0, l0, DMACOPY_MODE_DMA);
	copy_checked(_metadata, &n, &v, size / 2 + 1, size / 2 + 3, size / 2 - 3,
		     DMACOPY_MODE_CPU);
	{
		struct dmacopy_copy c = mkcopy(s0, d0, l0, DMACOPY_MODE_DMA);

		ASSERT_EQ(0, dc_copy(n.fd, &c));
		c = mkcopy(size / 2 + 1, size / 2 + 3, size / 2 - 3, DMACOPY_MODE_CPU);
		ASSERT_EQ(0, dc_copy(n.fd, &c));
	}

	/* pread of the DST and SRC parts of the window = the mapping. */
	memset(buf, 0xcc, size);
	ret = pread(n.fd, buf, size, (off_t)size);
	ASSERT_EQ((ssize_t)size, ret) TH_LOG("pread of DST: %s", strerror(errno));
	at = first_diff(buf, n.dst, size);
	ASSERT_EQ(size, at) TH_LOG("pread DST[%zu] = 0x%02x, mapping 0x%02x",
				   at, buf[at], n.dst[at]);
	memset(buf, 0xcc, size);
	ret = pread(n.fd, buf, size, 0);
	ASSERT_EQ((ssize_t)size, ret) TH_LOG("pread of SRC: %s", strerror(errno));
	at = first_diff(buf, n.src, size);
	ASSERT_EQ(size, at) TH_LOG("pread SRC[%zu] = 0x%02x, mapping 0x%02x",
				   at, buf[at], n.src[at]);

	/* pwrite into SRC and into DST shows in the mapping. */
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	off = size > 8192 ? 4097 : 1;
	len = 777;
	d1 = 1000;
	/* The copy below is a DMA copy: on the alignment. */
	off += (al - off % al) % al;
	len -= len % al;
	d1 -= d1 % al;
	ret = pwrite(n.fd, data, len, (off_t)off);
	ASSERT_EQ((ssize_t)len, ret) TH_LOG("pwrite into SRC: %s", strerror(errno));
	at = first_diff(data, n.src + off, len);
	ASSERT_EQ(len, at) TH_LOG("SRC after pwrite, byte %zu", at);
	ret = pwrite(n.fd, data, 333, (off_t)(size + 13));
	ASSERT_EQ(333, ret) TH_LOG("pwrite into DST: %s", strerror(errno));
	at = first_diff(data, n.dst + 13, 333);
	ASSERT_EQ(333U, at) TH_LOG("DST after pwrite, byte %zu", at);
	/* ...and a copy sees what pwrite put in SRC. */
	{
		struct dmacopy_copy c = mkcopy(off, d1, len, DMACOPY_MODE_DMA);

		ASSERT_EQ(0, dc_copy(n.fd, &c));
		at = first_diff(data, n.dst + d1, len);
		ASSERT_EQ(len, at) TH_LOG("DST after copying pwritten SRC, byte %zu", at);
	}

	/* The end of the window. */
	ASSERT_EQ((off_t)(2 * size), lseek(n.fd, 0, SEEK_END));
	ASSERT_EQ(0, read(n.fd, buf, 16)) TH_LOG("read at the end");
	ASSERT_EQ((off_t)(2 * size - 10), lseek(n.fd, -10, SEEK_END));
	memset(buf, 0xcc, 100);
	ASSERT_EQ(10, read(n.fd, buf, 100)) TH_LOG("read crossing the end");
	ASSERT_EQ(10U, first_diff(buf, n.dst + size - 10, 10));
	ASSERT_EQ(0, read(n.fd, buf, 100)) TH_LOG("read after the end");

	ASSERT_EQ(0, pread(n.fd, buf, 16, (off_t)(2 * size)));
	ASSERT_EQ(0, pread(n.fd, buf, 16, (off_t)(2 * size + 4096)));
	memset(buf, 0xcc, 100);
	ASSERT_EQ(37, pread(n.fd, buf, 100, (off_t)(2 * size - 37)))
		TH_LOG("pread crossing the end must return the remaining 37 bytes");
	ASSERT_EQ(37U, first_diff(buf, n.dst + size - 37, 37));
	ASSERT_EQ(0xcc, buf[37]) TH_LOG("pread wrote past what it returned");

	errno = 0;
	ASSERT_EQ(-1, pwrite(n.fd, data, 16, (off_t)(2 * size)));
	ASSERT_EQ(ENOSPC, errno) TH_LOG("pwrite at the end: %s", strerror(errno));
	errno = 0;
	ASSERT_EQ(-1, pwrite(n.fd, data, 1, (off_t)(2 * size + 4096)));
	ASSERT_EQ(ENOSPC, errno) TH_LOG("pwrite past the end: %s", strerror(errno));
	ASSERT_EQ(10, pwrite(n.fd, data, 100, (off_t)(2 * size - 10)))
		TH_LOG("pwrite crossing the end: %s", strerror(errno));
	ASSERT_EQ(10U, first_diff(data, n.dst + size - 10, 10));

	/* mmap: MAP_SHARED only, within the window. */
	m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE, n.fd, 0);
	EXPECT_EQ(MAP_FAILED, m) TH_LOG("MAP_PRIVATE mapping accepted");
	if (m == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno) TH_LOG("MAP_PRIVATE: %s", strerror(errno));
	} else {
		munmap(m, (size_t)page);
	}
	m = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, n.fd, 0);
	EXPECT_EQ(MAP_FAILED, m) TH_LOG("read-only MAP_PRIVATE mapping accepted");
	if (m == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno) TH_LOG("MAP_PRIVATE: %s", strerror(errno));
	} else {
		munmap(m, (size_t)page);
	}

	m = mmap(NULL, 2 * size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, n.fd, 0);
	EXPECT_EQ(MAP_FAILED, m) TH_LOG("mapping of 2 * buf_size + 4096 accepted");
	if (m == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno) TH_LOG("too long: %s", strerror(errno));
	} else {
		munmap(m, 2 * size + 4096);
	}
	m = mmap(NULL, size + (size_t)page, PROT_READ, MAP_SHARED, n.fd, (off_t)size);
	EXPECT_EQ(MAP_FAILED, m) TH_LOG("mapping from buf_size past the end accepted");
	if (m == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno) TH_LOG("from buf_size: %s", strerror(errno));
	} else {
		munmap(m, size + (size_t)page);
	}
	m = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, n.fd, (off_t)(2 * size));
	EXPECT_EQ(MAP_FAILED, m) TH_LOG("mapping at the end accepted");
	if (m == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno) TH_LOG("at the end: %s", strerror(errno));
	} else {
		munmap(m, (size_t)page);
	}

	/* Offset buf_size maps DST. */
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, n.fd, (off_t)size);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mapping DST alone: %s", strerror(errno));
	at = first_diff(m, n.dst, size);
	ASSERT_EQ(size, at) TH_LOG("DST mapping [%zu] = 0x%02x, full mapping 0x%02x",
				   at, m[at], n.dst[at]);
	m[5] = (uint8_t)~n.dst[5];
	ASSERT_EQ(m[5], n.dst[5]);
	n.dst[size - 1] = (uint8_t)~m[size - 1];
	ASSERT_EQ(n.dst[size - 1], m[size - 1]);
	ASSERT_EQ(1, pread(n.fd, buf, 1, (off_t)(size + 5)));
	ASSERT_EQ(m[5], buf[0]);
	munmap(m, size);

	free(buf);
	free(data);
	node_close(&n);
}

#define NTHREADS	8

TEST_F_TIMEOUT(dmacopy, threads_one_node, 180)
{
	struct job jobs[NTHREADS];
	uint64_t slice;
	struct node n;
	int t, done = 0;

	node_open(_metadata, &n, node_for(self, NODE_COPY));
	slice = n.size / NTHREADS;
	ASSERT_LT(0U, slice);

	memset(jobs, 0, sizeof(jobs));
	for (t = 0; t < NTHREADS; t++) {
		struct job *j = &jobs[t];

		/* Half share the fixture's file, half open their own. */
		j->fd = t & 1 ? open_node(n.idx) : n.fd;
		ASSERT_LE(0, j->fd) TH_LOG("open: %s", strerror(errno));
		j->v = node_view(&n, (uint8_t)(0x11 * (t + 1)));
		j->v.lo = (uint64_t)t * slice;
		j->v.hi = j->v.lo + slice;
		j->info = n.info;
		j->max_len = 8192;
		j->big_every = 4;
		j->iters = 200;
		j->alternate = true;
		j->rng = 0x9e3779b9U ^ (uint32_t)(t * 7919 + 1);
	}
	for (t = 0; t < NTHREADS; t++) {
		ASSERT_EQ(0, pthread_create(&jobs[t].thread, NULL, job_thread, &jobs[t]));
	}
	for (t = 0; t < NTHREADS; t++) {
		pthread_join(jobs[t].thread, NULL);
		if (jobs[t].fd != n.fd)
			close(jobs[t].fd);
	}
	for (t = 0; t < NTHREADS; t++) {
		EXPECT_EQ(0, jobs[t].failed) TH_LOG("thread %d, slice [%" PRIu64 ", %" PRIu64
						    "): %s", t, jobs[t].v.lo, jobs[t].v.hi,
						    jobs[t].msg);
		EXPECT_EQ(jobs[t].iters, jobs[t].done) TH_LOG("thread %d", t);
		done += jobs[t].done;
	}
	TH_LOG("%d copies by %d threads on /dev/dmacopy%d", done, NTHREADS, n.idx);
	node_close(&n);
}

/* Body of one child of all_channels_parallel: its exit code. */
static int channel_child(int idx)
{
	struct dmacopy_info info;
	struct job j;
	uint64_t size;
	void *win;
	int fd, ret;

	memset(&j, 0, sizeof(j));
	fd = open_node(idx);
	if (fd < 0) {
		fprintf(stderr, "# dmacopy%d: open: %s\n", idx, strerror(errno));
		return 1;
	}
	ret = dc_info(fd, &info);
	if (ret) {
		fprintf(stderr, "# dmacopy%d: INFO: %s\n", idx, strerror(ret));
		return 1;
	}
	size = info.buf_size;
	win = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (win == MAP_FAILED) {
		fprintf(stderr, "# dmacopy%d: mmap: %s\n", idx, strerror(errno));
		return 1;
	}
	j.fd = fd;
	j.v.src = win;
	j.v.dst = (uint8_t *)win + size;
	j.v.lo = 0;
	j.v.hi = size;
	j.v.seed = (uint8_t)(0x1d * idx);
	j.info = info;
	j.max_len = 65536;
	j.iters = 300;
	j.alternate = false;
	j.rng = 0x2545f491U + (uint32_t)idx * 0x6b43a9b5U;
	if (run_job(&j)) {
		fprintf(stderr, "# dmacopy%d: %s\n", idx, j.msg);
		return 1;
	}
	munmap(win, 2 * size);
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(dmacopy, all_channels_parallel, 180)
{
	pid_t pids[MAX_CHANNELS];
	int i, status;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < self->nchan; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]) TH_LOG("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			int code = channel_child(i);

			fflush(stderr);
			_exit(code);
		}
	}
	for (i = 0; i < self->nchan; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("child for /dev/dmacopy%d: status %#x", i, status);
	}
}

/* ------------------------------------------------------------------------ */
/* Signals.                                                                  */

#define STORM_COPIES		((int)scaled(3000, 300))
/* ...or as many as fit in this time (a debug kernel is many times slower). */
#define STORM_SECONDS		60
#define STORM_PERIOD_NS		20000
/* SA_RESTART only: disarm the timer when no ioctl has returned for this long,
 * so that a copy longer than the period on real hardware cannot be restarted
 * forever.
 */
#define STORM_STALL_NS		NSEC_PER_SEC

static timer_t storm_timer;
static unsigned long storm_sigs;	/* signals handled */
static uint64_t storm_mark;		/* now_ns() when an ioctl last returned */
static int storm_guard;
static int storm_stalled;

static void storm_handler(int sig)
{
	static const struct itimerspec off;

	(void)sig;
	__atomic_add_fetch(&storm_sigs, 1, __ATOMIC_RELAXED);
	/* clock_gettime() is async-signal-safe. */
	if (__atomic_load_n(&storm_guard, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&storm_stalled, __ATOMIC_RELAXED) &&
	    now_ns() - __atomic_load_n(&storm_mark, __ATOMIC_RELAXED) > STORM_STALL_NS) {
		timer_settime(storm_timer, 0, &off, NULL);
		__atomic_store_n(&storm_stalled, 1, __ATOMIC_RELAXED);
	}
}

static void run_signal_storm(struct __test_metadata *_metadata, int idx, bool restart)
{
	struct itimerspec period = {
		.it_interval = { .tv_sec = 0, .tv_nsec = STORM_PERIOD_NS },
		.it_value = { .tv_sec = 0, .tv_nsec = STORM_PERIOD_NS },
	};
	struct itimerspec off;
	struct sigaction sa;
	struct sigevent sev;
	int i, ok = 0, eintr = 0, stalls = 0;
	uint32_t rng = 12345;
	struct node n;
	struct view v;
	char msg[256];
	uint64_t maxl, t0;

	node_open(_metadata, &n, idx);
	v = fill(&n);
	maxl = min_u64(65536, n.size);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = storm_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGRTMIN, &sa, NULL));

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	ASSERT_EQ(0, timer_create(CLOCK_MONOTONIC, &sev, &storm_timer))
		TH_LOG("timer_create: %s", strerror(errno));
	storm_sigs = 0;
	storm_mark = now_ns();
	storm_stalled = 0;
	storm_guard = restart;
	t0 = now_ns();
	ASSERT_EQ(0, timer_settime(storm_timer, 0, &period, NULL));

	for (i = 0; i < STORM_COPIES && now_ns() - t0 < STORM_SECONDS * NSEC_PER_SEC; i++) {
		uint64_t len = maxl > 4096 ? 4096 + rnd_below(&rng, maxl - 4096 + 1) : maxl;
		uint64_t s = rnd_below(&rng, n.size - len + 1);
		uint64_t d = rnd_below(&rng, n.size - len + 1);
		struct dmacopy_copy in, c;
		int ret;

		align_dma(&n.info, n.size, &s, &d, &len);
		in = mkcopy(s, d, len, DMACOPY_MODE_DMA);
		c = in;

		ret = dc_copy(n.fd, &c);
		__atomic_store_n(&storm_mark, now_ns(), __ATOMIC_RELAXED);
		if (__atomic_load_n(&storm_stalled, __ATOMIC_RELAXED)) {
			stalls++;
			__atomic_store_n(&storm_stalled, 0, __ATOMIC_RELAXED);
			ASSERT_EQ(0, timer_settime(storm_timer, 0, &period, NULL));
		}
		if (ret == 0) {
			ASSERT_TRUE(copy_out_ok(&in, &c, &n.info, msg, sizeof(msg)))
				TH_LOG("copy %d: %s", i, msg);
			ASSERT_VIEW(&v, s, d, len, GUARD);
			ok++;
		} else {
			/* EINTR only; 512 would be ERESTARTSYS leaking out. */
			ASSERT_EQ(EINTR, ret) TH_LOG("copy %d (src_off %" PRIu64 " dst_off %" PRIu64
						     " len %" PRIu64 "): errno %d (%s)",
						     i, s, d, len, ret, strerror(ret));
			eintr++;
		}
		/* A stopped copy may have written part of DST. */
		view_restore(&v, d, len, GUARD);
	}

	memset(&off, 0, sizeof(off));
	timer_settime(storm_timer, 0, &off, NULL);
	timer_delete(storm_timer);
	signal(SIGRTMIN, SIG_IGN);

	TH_LOG("%s: %d copies done, %d EINTR, %lu signals, %d stalls broken, in %" PRIu64 " ms",
	       restart ? "SA_RESTART" : "no SA_RESTART", ok, eintr, storm_sigs, stalls,
	       (uint64_t)((now_ns() - t0) / NSEC_PER_MSEC));
	EXPECT_LT(0U, storm_sigs) TH_LOG("the timer never fired");
	ASSERT_LE(1, ok);
	if (restart) {
		EXPECT_EQ(0, eintr) TH_LOG("EINTR under SA_RESTART: the call must be restarted");
	}
	/* Every interrupted copy was stopped: all of DST is back to its pattern. */
	ASSERT_VIEW_ALL(&v);
	/* And the channel still works. */
	copy_checked(_metadata, &n, &v, 0, 0, maxl, DMACOPY_MODE_DMA);
	node_close(&n);
}

TEST_F_TIMEOUT(dmacopy, signal_storm_no_restart, 180)
{
	run_signal_storm(_metadata, node_for(self, NODE_STORM), false);
}

TEST_F_TIMEOUT(dmacopy, signal_storm_restart, 180)
{
	run_signal_storm(_metadata, node_for(self, NODE_STORM), true);
}

/* ------------------------------------------------------------------------ */
/* debugfs: statistics and fault injection.                                  */

#define NEED_DEBUGFS(idx) do { \
	char __why[256]; \
	if (!debugfs_usable((idx), "stats", R_OK, __why, sizeof(__why))) \
		SKIP(return, "%s", __why); \
} while (0)

TEST_F_TIMEOUT(dmacopy, stats_counts, 60)
{
	int idx = node_for(self, NODE_STATS), i;
	struct stats a, b;
	struct dmacopy_copy c;
	uint64_t last_elapsed = 0;
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	READ_STATS(idx, &a);

	/* CPU first, so that last_ns is the time of a DMA copy. */
	for (i = 0; i < 7; i++) {
		c = mkcopy(333 * (uint64_t)i % (n.size - 333),
			   (401 * (uint64_t)i + 7) % (n.size - 333), 333, DMACOPY_MODE_CPU);
		ASSERT_EQ(0, dc_copy(n.fd, &c));
		ASSERT_VIEW(&v, c.src_off, c.dst_off, 333, GUARD);
		view_restore(&v, c.dst_off, 333, GUARD);
	}
	for (i = 0; i < 10; i++) {
		uint64_t s = (1000 * (uint64_t)i + 1) % (n.size - 1000);
		uint64_t d = 1000 * (uint64_t)i % (n.size - 1000), len = 1000;

		align_dma(&n.info, n.size, &s, &d, &len);
		ASSERT_EQ(1000U, len);
		c = mkcopy(s, d, len, DMACOPY_MODE_DMA);
		ASSERT_EQ(0, dc_copy(n.fd, &c));
		ASSERT_VIEW(&v, c.src_off, c.dst_off, 1000, GUARD);
		view_restore(&v, c.dst_off, 1000, GUARD);
		last_elapsed = c.elapsed_ns;
	}
	READ_STATS(idx, &b);

	EXPECT_EQ(10U, DELTA(a, b, ST_DMA_COPIES));
	EXPECT_EQ(10000U, DELTA(a, b, ST_DMA_BYTES));
	EXPECT_EQ(7U, DELTA(a, b, ST_CPU_COPIES));
	EXPECT_EQ(2331U, DELTA(a, b, ST_CPU_BYTES));
	if (n.ctl->irq_every_copy) {
		/* Each DMA copy completes by its one interrupt. */
		EXPECT_EQ(10U, DELTA(a, b, ST_IRQS)) TH_LOG("%s", n.ctl->name);
	} else {
		/* Each DMA copy completes by polling or by one interrupt. */
		EXPECT_GE(10U, DELTA(a, b, ST_IRQS));
	}
	EXPECT_EQ(0U, DELTA(a, b, ST_SPURIOUS_IRQS));
	EXPECT_EQ(0U, DELTA(a, b, ST_ERRORS));
	EXPECT_EQ(0U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(0U, DELTA(a, b, ST_INTERRUPTED));
	EXPECT_LT(0U, b.v[ST_LAST_NS]);
	EXPECT_LE(b.v[ST_LAST_NS], b.v[ST_MAX_NS]);
	EXPECT_LE(a.v[ST_MAX_NS], b.v[ST_MAX_NS]) TH_LOG("max_ns went down");
	/* last_ns is the time of the last copy, as that copy reported it. */
	EXPECT_EQ(last_elapsed, b.v[ST_LAST_NS]);
	node_close(&n);
}

/*
 * debugfs inject: every word of the spec that the controller offers reads
 * back (ZDMA offers them all, stall included: QEMU's ZDMA can be made to
 * stall; BCM2835 has no counter-overflow notices, so no `overflow`); a word
 * of the spec it does not offer, and anything else, an empty write and a
 * too-long one included, fails with EINVAL and changes nothing.
 */
TEST_F_TIMEOUT(dmacopy, inject_readback, 30)
{
	static const char *const bad[] = {
		"bogus", "timeoutx", "", "\n", " ", "stal", "error error",
		"overflowoverflowoverflowoverflow",
	};
	int idx = node_for(self, NODE_FAULT);
	const struct dmacopy_ctl *ctl;
	char path[128], big[4096];
	unsigned int i, offered = 0;
	struct dmacopy_info info;
	ssize_t n;
	int fd;

	NEED_DEBUGFS(idx);
	fd = open_node(idx);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, dc_info(fd, &info));
	close(fd);
	ctl = board_ctl(info.controller);
	ASSERT_NE(NULL, ctl) TH_LOG("unknown controller '%.16s'", info.controller);

	/* Every word of the spec, "none" last: offered ones arm, the others are refused. */
	for (i = 1; i <= ARRAY_SIZE(board_inject_words); i++) {
		const char *word = board_inject_words[i % ARRAY_SIZE(board_inject_words)];

		if (board_offers(ctl, word)) {
			ARM(self, idx, word);
			ASSERT_INJECT(idx, word);
			offered++;
		} else {
			char before[64];
			int ret = read_inject(idx, before, sizeof(before));

			ASSERT_EQ(0, ret) TH_LOG("read inject: %s", strerror(ret));
			EXPECT_EQ(EINVAL, write_inject(idx, word))
				TH_LOG("'%s', which %s does not offer", word, ctl->name);
			ASSERT_INJECT(idx, before);
			TH_LOG("%s does not offer '%s': EINVAL", ctl->name, word);
		}
	}
	/* The table names nothing outside the spec. */
	for (i = 0; ctl->inject[i]; i++)
		;
	EXPECT_EQ(i, offered);
	ASSERT_INJECT(idx, "none");

	/* A trailing newline, as echo writes it, is accepted. */
	ARM(self, idx, "stall\n");
	ASSERT_INJECT(idx, "stall");
	if (board_offers(ctl, "overflow")) {
		ARM(self, idx, "overflow\n");
		ASSERT_INJECT(idx, "overflow");
	} else {
		EXPECT_EQ(EINVAL, write_inject(idx, "overflow\n"));
		ASSERT_INJECT(idx, "stall");
	}
	ARM(self, idx, "error\n");
	ASSERT_INJECT(idx, "error");

	/* Unknown words are refused and change nothing. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(EINVAL, write_inject(idx, bad[i])) TH_LOG("word '%s'", bad[i]);
		ASSERT_INJECT(idx, "error");
	}
	/* A page of text. */
	memset(big, 'a', sizeof(big));
	debugfs_path(path, sizeof(path), idx, "inject");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	n = write(fd, big, sizeof(big));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINVAL, errno) TH_LOG("a 4096-byte write: %zd, %s", n, strerror(errno));
	memcpy(big, "timeout", 7);
	n = write(fd, big, sizeof(big));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINVAL, errno) TH_LOG("'timeout' and 4089 more bytes: %zd, %s", n,
					strerror(errno));
	close(fd);
	ASSERT_INJECT(idx, "error");

	ARM(self, idx, "none");
	ASSERT_INJECT(idx, "none");
}

/*
 * Both completion paths of a DMA copy. The driver polls briefly for the
 * completion of a copy expected to end within microseconds, and otherwise (or
 * when the poll runs out) sleeps until the completion interrupt. On QEMU every
 * copy ends inside the register write that starts it, so polling finds it;
 * `inject slow` makes one copy outlast the poll, so that it ends by its
 * interrupt. A copy whose own timeout is shorter than the poll times out in
 * the poll, without ever taking the interrupt path; the channel is reset and
 * works. Signals and timeouts while waiting for the interrupt are the stall
 * and timeout tests below.
 *
 * A BCM2835 channel cannot be polled: the interrupt enable of a copy is in its
 * control block, so it cannot be turned on after the start. Every DMA copy
 * completes by its interrupt, exactly one each, and `slow` changes nothing
 * visible; the polled part is left out there.
 */
TEST_F_TIMEOUT(dmacopy, completion_paths, 60)
{
	int idx = node_for(self, NODE_STATS), i, ret;
	struct dmacopy_copy c;
	struct stats a, b;
	struct node n;
	struct view v;
	uint64_t len;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(4096, n.size);
	ARM(self, idx, "none");

	READ_STATS(idx, &a);
	for (i = 0; i < 20; i++)
		copy_checked_dma(_metadata, &n, &v, 64 * i, 128 * i, len - 256);
	READ_STATS(idx, &b);
	EXPECT_EQ(20U, DELTA(a, b, ST_DMA_COPIES));
	EXPECT_EQ(0U, DELTA(a, b, ST_SPURIOUS_IRQS));
	if (n.ctl->irq_every_copy) {
		/* By the interrupt: exactly one each. */
		EXPECT_EQ(20U, DELTA(a, b, ST_IRQS));
		TH_LOG("%s: every DMA copy completes by its interrupt; no polled part",
		       n.ctl->name);
	} else {
		/*
		 * By polling, or by the interrupt when the poll runs out: at most one
		 * each, and a copy that ends within microseconds (QEMU's end inside the
		 * register write that starts them) is found by the poll.
		 */
		EXPECT_GE(20U, DELTA(a, b, ST_IRQS));
		EXPECT_GT(20U, DELTA(a, b, ST_IRQS)) TH_LOG("no copy completed by polling");
	}

	/* By the interrupt: exactly one each, and the data is right. */
	for (i = 0; i < 5; i++) {
		READ_STATS(idx, &a);
		ARM(self, idx, "slow");
		copy_checked_dma(_metadata, &n, &v, 3 * i + 1, 5 * i, len - 64);
		ASSERT_INJECT(idx, "none");
		READ_STATS(idx, &b);
		EXPECT_EQ(1U, DELTA(a, b, ST_DMA_COPIES));
		EXPECT_EQ(1U, DELTA(a, b, ST_IRQS)) TH_LOG("copy %d", i);
		EXPECT_EQ(0U, DELTA(a, b, ST_SPURIOUS_IRQS));
	}

	/*
	 * A stalled copy whose 1 us timeout passes while polling: no interrupt path
	 * (on a controller without polling, no interrupt comes either).
	 */
	READ_STATS(idx, &a);
	ARM(self, idx, "stall");
	c = mkcopy(0, 0, len, DMACOPY_MODE_DMA);
	c.timeout_ns = 1000;
	ret = dc_copy(n.fd, &c);
	ASSERT_EQ(ETIMEDOUT, ret) TH_LOG("stalled copy, 1 us timeout: %s", strerror(ret));
	EXPECT_EQ((__u32)DMACOPY_MODE_DMA, c.mode_used);
	READ_STATS(idx, &b);
	EXPECT_EQ(1U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(0U, DELTA(a, b, ST_IRQS));
	EXPECT_EQ(0U, DELTA(a, b, ST_DMA_COPIES));
	ASSERT_INJECT(idx, "none");

	/* Reset: both paths work again. */
	view_restore(&v, 0, len, GUARD);
	copy_checked(_metadata, &n, &v, 0, 0, len, DMACOPY_MODE_DMA);
	ARM(self, idx, "slow");
	copy_checked_dma(_metadata, &n, &v, 7, 9, len - 16);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", 6);
}

TEST_F_TIMEOUT(dmacopy, fault_timeout, 60)
{
	int idx = node_for(self, NODE_FAULT), ret;
	struct dmacopy_copy c;
	uint64_t len, t0, wall;
	struct stats a, b;
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(65536, n.size);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	ARM(self, idx, "timeout\n");
	ASSERT_INJECT(idx, "timeout");
	c = mkcopy(0, 0, len, DMACOPY_MODE_DMA);
	c.timeout_ns = 50 * NSEC_PER_MSEC;
	t0 = now_ns();
	ret = dc_copy(n.fd, &c);
	wall = now_ns() - t0;
	ASSERT_EQ(ETIMEDOUT, ret) TH_LOG("copy with an ignored interrupt: %s", strerror(ret));
	/* The out fields are written on ETIMEDOUT too. */
	EXPECT_EQ((__u32)DMACOPY_MODE_DMA, c.mode_used);
	EXPECT_GT(MAX_ELAPSED_NS, c.elapsed_ns);
	EXPECT_EQ(0U, c.reserved[0]);
	EXPECT_EQ(0U, c.reserved[1]);
	/* It waited for the timeout (40 ms allows for HZ=100 rounding), not much longer. */
	EXPECT_LE(40 * NSEC_PER_MSEC, wall) TH_LOG("returned after %" PRIu64 " ns", wall);
	EXPECT_GT(5 * NSEC_PER_SEC, wall) TH_LOG("returned after %" PRIu64 " ns", wall);
	ASSERT_INJECT(idx, "none");
	READ_STATS(idx, &b);
	EXPECT_EQ(1U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(0U, DELTA(a, b, ST_DMA_COPIES));
	EXPECT_EQ(0U, DELTA(a, b, ST_ERRORS));

	/* The channel was reset: the next copies work. */
	view_restore(&v, 0, len, GUARD);
	copy_checked_dma(_metadata, &n, &v, 17, 3, len - 17);
	copy_checked(_metadata, &n, &v, 0, 0, len, DMACOPY_MODE_DMA);
	copy_checked(_metadata, &n, &v, 1, 2, 1000, DMACOPY_MODE_CPU);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", 1);
}

TEST_F_TIMEOUT(dmacopy, fault_error, 60)
{
	int idx = node_for(self, NODE_FAULT), ret;
	struct dmacopy_copy c;
	struct stats a, b;
	struct node n;
	struct view v;
	uint64_t len;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(65536, n.size);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	ARM(self, idx, "error");
	ASSERT_INJECT(idx, "error");
	c = mkcopy(0, 0, len, DMACOPY_MODE_DMA);
	ret = dc_copy(n.fd, &c);
	ASSERT_EQ(EIO, ret) TH_LOG("copy with an injected error: %s", strerror(ret));
	/* The out fields are written on EIO too, with the error bit. */
	EXPECT_EQ((__u32)DMACOPY_MODE_DMA, c.mode_used);
	EXPECT_EQ(n.ctl->hw_injected_err, c.hw_status & n.ctl->hw_injected_err)
		TH_LOG("hw_status %#x, want %s's injected error bit %#x", c.hw_status,
		       n.ctl->name, n.ctl->hw_injected_err);
	EXPECT_TRUE(!!(c.hw_status & n.ctl->hw_err)) TH_LOG("hw_status %#x", c.hw_status);
	EXPECT_GT(MAX_ELAPSED_NS, c.elapsed_ns);
	EXPECT_EQ(0U, c.reserved[0]);
	EXPECT_EQ(0U, c.reserved[1]);
	ASSERT_INJECT(idx, "none");
	READ_STATS(idx, &b);
	EXPECT_EQ(1U, DELTA(a, b, ST_ERRORS));
	EXPECT_EQ(0U, DELTA(a, b, ST_DMA_COPIES));
	EXPECT_EQ(0U, DELTA(a, b, ST_TIMEOUTS));

	view_restore(&v, 0, len, GUARD);
	copy_checked_dma(_metadata, &n, &v, 5, 9, len - 9);
	copy_checked(_metadata, &n, &v, 0, 0, len, DMACOPY_MODE_AUTO);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", 1);
}

static volatile sig_atomic_t usr1_count;

static void usr1_handler(int sig)
{
	(void)sig;
	usr1_count++;
}

struct kicker {
	pthread_t target;
	int stop;
	int max;	/* signals to send at most; 0: no limit */
};

/* Sends SIGUSR1 to the target every 100 ms until told to stop (or max are sent). */
static void *kicker_thread(void *arg)
{
	struct kicker *k = arg;
	int sent = 0;

	sleep_ms(100);
	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE) && (!k->max || sent < k->max)) {
		pthread_kill(k->target, SIGUSR1);
		sent++;
		sleep_ms(100);
	}
	return NULL;
}

TEST_F_TIMEOUT(dmacopy, fault_signal_during_wait, 60)
{
	int idx = node_for(self, NODE_FAULT), ret;
	struct kicker k = { .stop = 0 };
	struct dmacopy_copy c;
	struct sigaction sa;
	struct stats a, b;
	pthread_t th;
	uint64_t len, t0, wall;
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(65536, n.size);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sa.sa_flags = 0;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	ARM(self, idx, "timeout");
	k.target = pthread_self();
	ASSERT_EQ(0, pthread_create(&th, NULL, kicker_thread, &k));
	c = mkcopy(0, 0, len, DMACOPY_MODE_DMA);
	c.timeout_ns = 5 * NSEC_PER_SEC;
	t0 = now_ns();
	ret = dc_copy(n.fd, &c);
	wall = now_ns() - t0;
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);

	ASSERT_EQ(EINTR, ret) TH_LOG("copy waiting for an ignored interrupt, then a signal: "
				     "%s after %" PRIu64 " ns", strerror(ret), wall);
	EXPECT_GT(2 * NSEC_PER_SEC, wall) TH_LOG("EINTR only after %" PRIu64 " ns", wall);
	EXPECT_LE(1, usr1_count);
	ASSERT_INJECT(idx, "none");
	READ_STATS(idx, &b);
	EXPECT_EQ(1U, DELTA(a, b, ST_INTERRUPTED));
	EXPECT_EQ(0U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(0U, DELTA(a, b, ST_ERRORS));
	EXPECT_EQ(0U, DELTA(a, b, ST_DMA_COPIES));

	signal(SIGUSR1, SIG_IGN);
	view_restore(&v, 0, len, GUARD);
	copy_checked_dma(_metadata, &n, &v, 11, 0, len - 11);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", 1);
}

/*
 * inject spurious: "an interrupt arrives with no copy in flight". It is
 * counted once, on this channel, and the copy that follows succeeds (by its
 * one interrupt on a controller that cannot poll).
 */
TEST_F_TIMEOUT(dmacopy, fault_spurious, 60)
{
	int idx = node_for(self, NODE_FAULT);
	struct stats a, b;
	struct node n;
	struct view v;
	uint64_t len;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(65536, n.size);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	ARM(self, idx, "spurious");
	ASSERT_INJECT(idx, "spurious");
	copy_checked_dma(_metadata, &n, &v, 3, 1, len - 3);
	ASSERT_INJECT(idx, "none");
	READ_STATS(idx, &b);
	EXPECT_EQ(1U, DELTA(a, b, ST_SPURIOUS_IRQS));
	if (n.ctl->irq_every_copy) {
		EXPECT_EQ(1U, DELTA(a, b, ST_IRQS));
	} else {
		EXPECT_GE(1U, DELTA(a, b, ST_IRQS));
	}
	EXPECT_EQ(1U, DELTA(a, b, ST_DMA_COPIES));
	EXPECT_EQ(0U, DELTA(a, b, ST_ERRORS));
	EXPECT_EQ(0U, DELTA(a, b, ST_TIMEOUTS));

	copy_checked(_metadata, &n, &v, 0, 0, len, DMACOPY_MODE_DMA);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", 1);
}

/*
 * A shared interrupt (BCM2835 channels 11 to 14: one line, requested as
 * shared): every handler on the line runs for each interrupt, and each channel
 * counts only its own. Copies on one channel add to its irqs and to no other
 * channel's; a spurious interrupt injected on one channel is counted on that
 * channel only; copies on all of them at once all complete, verified, each
 * counted where it ran. The exact irqs count is that of a controller whose
 * copies all complete by interrupt; one that polls counts at most one each.
 */
#define SHARED_COPIES	5U
#define SHARED_PARALLEL	50

TEST_F_TIMEOUT(dmacopy, shared_irq, 120)
{
	struct dmacopy_info info[MAX_CHANNELS];
	struct stats a[MAX_CHANNELS], b[MAX_CHANNELS];
	struct node n[MAX_CHANNELS];
	struct job jobs[MAX_CHANNELS];
	struct view v[MAX_CHANNELS];
	int grp[MAX_CHANNELS], ng = 0, i, j, k, m, fd, ret;
	const struct dmacopy_ctl *ctl = NULL;

	for (i = 0; i < self->nchan; i++) {
		fd = open_node(i);
		ASSERT_LE(0, fd) TH_LOG("open /dev/dmacopy%d: %s", i, strerror(errno));
		ret = dc_info(fd, &info[i]);
		close(fd);
		ASSERT_EQ(0, ret) TH_LOG("INFO on /dev/dmacopy%d: %s", i, strerror(ret));
		ctl = ctl ? ctl : board_ctl(info[i].controller);
	}
	/* The first interrupt that two nodes or more report. */
	for (i = 0; i < self->nchan && ng < 2; i++) {
		ng = 0;
		for (j = 0; j < self->nchan; j++)
			if (info[j].irq == info[i].irq)
				grp[ng++] = j;
	}
	if (ng < 2)
		SKIP(return, "no two nodes share an interrupt here (%s: one per channel)",
		     ctl ? ctl->name : "unknown controller");
	NEED_DEBUGFS(grp[0]);
	TH_LOG("irq %u: %d nodes, /dev/dmacopy%d to /dev/dmacopy%d", info[grp[0]].irq, ng,
	       grp[0], grp[ng - 1]);
	for (k = 0; k < ng; k++) {
		node_open(_metadata, &n[k], grp[k]);
		v[k] = node_view(&n[k], (uint8_t)(0x29 * (k + 1)));
		v[k].hi = min_u64(n[k].size, 262144);
		view_fill(&v[k]);
	}

	/* Copies on one channel at a time. */
	for (m = 0; m < ng; m++) {
		for (k = 0; k < ng; k++)
			READ_STATS(grp[k], &a[k]);
		for (i = 0; i < (int)SHARED_COPIES; i++)
			copy_checked_dma(_metadata, &n[m], &v[m], 64 * (uint64_t)i + 4,
					 4096 * (uint64_t)i, 4096);
		for (k = 0; k < ng; k++) {
			READ_STATS(grp[k], &b[k]);
			EXPECT_EQ(k == m ? SHARED_COPIES : 0U, DELTA(a[k], b[k], ST_DMA_COPIES))
				TH_LOG("dmacopy%d, after copies on dmacopy%d", grp[k], grp[m]);
			EXPECT_EQ(0U, DELTA(a[k], b[k], ST_SPURIOUS_IRQS))
				TH_LOG("dmacopy%d, after copies on dmacopy%d", grp[k], grp[m]);
			if (k != m) {
				EXPECT_EQ(0U, DELTA(a[k], b[k], ST_IRQS))
					TH_LOG("dmacopy%d counted an interrupt of dmacopy%d",
					       grp[k], grp[m]);
			} else if (n[m].ctl->irq_every_copy) {
				EXPECT_EQ(SHARED_COPIES, DELTA(a[k], b[k], ST_IRQS))
					TH_LOG("dmacopy%d", grp[m]);
			} else {
				EXPECT_GE(SHARED_COPIES, DELTA(a[k], b[k], ST_IRQS))
					TH_LOG("dmacopy%d", grp[m]);
			}
		}
	}

	/* A spurious interrupt on one channel: that channel counts it, no other. */
	for (m = 0; m < ng; m++) {
		for (k = 0; k < ng; k++)
			READ_STATS(grp[k], &a[k]);
		ARM(self, grp[m], "spurious");
		copy_checked_dma(_metadata, &n[m], &v[m], 8, 12, 8192);
		ASSERT_INJECT(grp[m], "none");
		for (k = 0; k < ng; k++) {
			READ_STATS(grp[k], &b[k]);
			EXPECT_EQ(k == m ? 1U : 0U, DELTA(a[k], b[k], ST_SPURIOUS_IRQS))
				TH_LOG("dmacopy%d, spurious interrupt injected on dmacopy%d",
				       grp[k], grp[m]);
			EXPECT_EQ(k == m ? 1U : 0U, DELTA(a[k], b[k], ST_DMA_COPIES))
				TH_LOG("dmacopy%d", grp[k]);
			if (k != m) {
				EXPECT_EQ(0U, DELTA(a[k], b[k], ST_IRQS)) TH_LOG("dmacopy%d", grp[k]);
			} else if (n[m].ctl->irq_every_copy) {
				EXPECT_EQ(1U, DELTA(a[k], b[k], ST_IRQS)) TH_LOG("dmacopy%d", grp[m]);
			}
		}
	}

	/* All of them at once. */
	for (k = 0; k < ng; k++)
		READ_STATS(grp[k], &a[k]);
	memset(jobs, 0, sizeof(jobs));
	for (k = 0; k < ng; k++) {
		jobs[k].fd = n[k].fd;
		jobs[k].v = v[k];
		jobs[k].info = n[k].info;
		jobs[k].max_len = 65536;
		jobs[k].iters = SHARED_PARALLEL;
		jobs[k].rng = 0x5eed1234U + (uint32_t)k * 0x9e3779b9U;
		ASSERT_EQ(0, pthread_create(&jobs[k].thread, NULL, job_thread, &jobs[k]));
	}
	for (k = 0; k < ng; k++)
		pthread_join(jobs[k].thread, NULL);
	for (k = 0; k < ng; k++) {
		READ_STATS(grp[k], &b[k]);
		EXPECT_EQ(0, jobs[k].failed) TH_LOG("dmacopy%d: %s", grp[k], jobs[k].msg);
		EXPECT_EQ(SHARED_PARALLEL, jobs[k].done) TH_LOG("dmacopy%d", grp[k]);
		EXPECT_EQ((uint64_t)jobs[k].done, DELTA(a[k], b[k], ST_DMA_COPIES))
			TH_LOG("dmacopy%d", grp[k]);
		EXPECT_EQ(0U, DELTA(a[k], b[k], ST_SPURIOUS_IRQS)) TH_LOG("dmacopy%d", grp[k]);
		EXPECT_EQ(0U, DELTA(a[k], b[k], ST_ERRORS)) TH_LOG("dmacopy%d", grp[k]);
		if (n[k].ctl->irq_every_copy) {
			EXPECT_EQ((uint64_t)jobs[k].done, DELTA(a[k], b[k], ST_IRQS))
				TH_LOG("dmacopy%d", grp[k]);
		} else {
			EXPECT_GE((uint64_t)jobs[k].done, DELTA(a[k], b[k], ST_IRQS))
				TH_LOG("dmacopy%d", grp[k]);
		}
	}
	for (k = 0; k < ng; k++) {
		ASSERT_VIEW_ALL(&v[k]);
		node_close(&n[k]);
	}
	print_count("injected_faults", (unsigned long)ng);
}

/* ------------------------------------------------------------------------ */
/* Stalls: the controller stops without completing (inject stall).           */

/* A copy run by a thread of its own, so that the test can act meanwhile. */
struct staller {
	pthread_t thread;
	int fd;
	struct dmacopy_copy c;
	int ret;
	uint64_t wall;
	uint64_t end_ns;	/* now_ns() when the copy returned */
	int done;
};

static void *staller_thread(void *arg)
{
	struct staller *s = arg;
	uint64_t t0 = now_ns();

	s->ret = dc_copy(s->fd, &s->c);
	s->end_ns = now_ns();
	s->wall = s->end_ns - t0;
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool staller_done(struct staller *s)
{
	return __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
}

/* Waits up to ms for the staller's copy to return. */
static bool staller_wait(struct staller *s, int ms)
{
	while (!staller_done(s) && ms > 0) {
		sleep_ms(10);
		ms -= 10;
	}
	return staller_done(s);
}

/*
 * Errno table, row ETIMEDOUT, with a controller that really hangs: "the
 * channel was stopped and reset, and the next copy works". On QEMU's ZDMA,
 * inject stall pauses the channel without DMA_DONE (a HALT descriptor
 * command), and a paused channel ignores a new enable until it is stopped and
 * reset: the copies after the timeout work only if the timeout path does
 * that for real (inject timeout cannot tell, the copy it spoils has finished).
 */
TEST_F_TIMEOUT(dmacopy, fault_stall_timeout, 90)
{
	int idx = node_for(self, NODE_STALL), round, ret, faults = 0;
	uint64_t len, t0, wall, good = 0;
	struct dmacopy_copy c;
	struct stats a, b;
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(65536, n.size);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	for (round = 0; round < 3; round++) {
		uint64_t s = 4096 * (uint64_t)round + (uint64_t)round, d = 3 * (uint64_t)round;
		uint64_t l = len - s;

		align_dma(&n.info, n.size, &s, &d, &l);
		ARM(self, idx, "stall");
		ASSERT_INJECT(idx, "stall");
		faults++;
		c = mkcopy(s, d, l, DMACOPY_MODE_DMA);
		c.timeout_ns = 50 * NSEC_PER_MSEC;
		t0 = now_ns();
		ret = dc_copy(n.fd, &c);
		wall = now_ns() - t0;
		ASSERT_EQ(ETIMEDOUT, ret) TH_LOG("round %d: stalled copy: %s after %" PRIu64 " ns",
						 round, strerror(ret), wall);
		/* The out fields are written on ETIMEDOUT too. */
		EXPECT_EQ((__u32)DMACOPY_MODE_DMA, c.mode_used);
		EXPECT_GT(MAX_ELAPSED_NS, c.elapsed_ns);
		EXPECT_EQ(0U, c.hw_status & n.ctl->hw_done)
			TH_LOG("a stalled copy reports %s's done bits %#x: hw_status %#x",
			       n.ctl->name, n.ctl->hw_done, c.hw_status);
		EXPECT_EQ(0U, c.reserved[0]);
		EXPECT_EQ(0U, c.reserved[1]);
		EXPECT_LE(40 * NSEC_PER_MSEC, wall) TH_LOG("returned after %" PRIu64 " ns", wall);
		EXPECT_GT(5 * NSEC_PER_SEC, wall) TH_LOG("returned after %" PRIu64 " ns", wall);
		ASSERT_INJECT(idx, "none");
		/* A stalled copy may have written part of DST. */
		view_restore(&v, d, l, GUARD);

		/* The channel was stopped and reset: the next copies work, at once. */
		copy_checked(_metadata, &n, &v, 0, 0, len, DMACOPY_MODE_DMA);
		copy_checked_dma(_metadata, &n, &v, 17, 3, len - 17);
		copy_checked_dma(_metadata, &n, &v, 1, 2, 1);
		copy_checked(_metadata, &n, &v, 0, 0, n.size, DMACOPY_MODE_DMA);
		copy_checked(_metadata, &n, &v, 5, 5, 4000, DMACOPY_MODE_CPU);
		good += 4;
	}
	READ_STATS(idx, &b);
	EXPECT_EQ(3U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(good, DELTA(a, b, ST_DMA_COPIES));
	EXPECT_EQ(0U, DELTA(a, b, ST_ERRORS));
	EXPECT_EQ(0U, DELTA(a, b, ST_INTERRUPTED));
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", faults);
}

/*
 * Errno table, row EINTR, with a controller that really hangs: a signal
 * while the copy waits ends it with EINTR (never the kernel's internal 512),
 * or, under SA_RESTART, restarts it transparently; either way "the transfer is
 * stopped before the call returns", so the next copy works.
 *
 * Under SA_RESTART: the stall armed one DMA copy, the first attempt, which the
 * signal interrupted; the restarted call is a new copy with nothing armed, so
 * it completes, with the right data, long before the 5 s timeout (a driver
 * that did not reset the paused channel would time out instead).
 */
static void run_stall_signal(struct __test_metadata *_metadata,
			     FIXTURE_DATA(dmacopy) *self, bool restart)
{
	int idx = node_for(self, NODE_STALL), ret;
	struct kicker k = { .stop = 0 };
	struct dmacopy_copy in, c;
	struct sigaction sa;
	struct stats a, b;
	uint64_t len, t0, wall, s0, d0, l0;
	char msg[256];
	pthread_t th;
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(65536, n.size);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	ARM(self, idx, "stall");
	k.target = pthread_self();
	/*
	 * A few signals, not a stream: under SA_RESTART a restarted copy that
	 * finds the channel still paused then ends at its timeout, rather than
	 * being restarted for ever.
	 */
	k.max = 5;
	s0 = 7;
	d0 = 0;
	l0 = len - 7;
	align_dma(&n.info, n.size, &s0, &d0, &l0);
	in = mkcopy(s0, d0, l0, DMACOPY_MODE_DMA);
	in.timeout_ns = 5 * NSEC_PER_SEC;
	ASSERT_EQ(0, pthread_create(&th, NULL, kicker_thread, &k));
	c = in;
	t0 = now_ns();
	ret = dc_copy(n.fd, &c);
	wall = now_ns() - t0;
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	signal(SIGUSR1, SIG_IGN);

	EXPECT_LE(1, usr1_count) TH_LOG("no signal was delivered");
	ASSERT_INJECT(idx, "none");
	READ_STATS(idx, &b);
	if (!restart) {
		ASSERT_EQ(EINTR, ret) TH_LOG("stalled copy, then a signal: errno %d (%s) after %"
					     PRIu64 " ns", ret, strerror(ret), wall);
		EXPECT_EQ(1U, DELTA(a, b, ST_INTERRUPTED));
		EXPECT_EQ(0U, DELTA(a, b, ST_DMA_COPIES));
	} else {
		ASSERT_EQ(0, ret) TH_LOG("stalled copy, a signal, SA_RESTART: errno %d (%s) after %"
					 PRIu64 " ns", ret, strerror(ret), wall);
		ASSERT_TRUE(copy_out_ok(&in, &c, &n.info, msg, sizeof(msg)))
			TH_LOG("%s", msg);
		ASSERT_VIEW(&v, in.src_off, in.dst_off, in.len, GUARD);
		EXPECT_LE(1U, DELTA(a, b, ST_INTERRUPTED));
		EXPECT_EQ(1U, DELTA(a, b, ST_DMA_COPIES));
	}
	/* Ended by the signal (and a restarted copy), well before the 5 s timeout. */
	EXPECT_GT(2 * NSEC_PER_SEC, wall) TH_LOG("returned after %" PRIu64 " ns", wall);
	EXPECT_EQ(0U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(0U, DELTA(a, b, ST_ERRORS));

	/* The transfer was stopped: the next copies work. */
	view_restore(&v, in.dst_off, in.len, GUARD);
	copy_checked(_metadata, &n, &v, 0, 0, len, DMACOPY_MODE_DMA);
	copy_checked_dma(_metadata, &n, &v, 11, 1, len - 11);
	copy_checked(_metadata, &n, &v, 0, 0, n.size, DMACOPY_MODE_DMA);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", 1);
}

TEST_F_TIMEOUT(dmacopy, fault_stall_signal, 60)
{
	run_stall_signal(_metadata, self, false);
}

TEST_F_TIMEOUT(dmacopy, fault_stall_signal_restart, 60)
{
	run_stall_signal(_metadata, self, true);
}

/*
 * "Copies on one channel run one at a time, in arrival order; waiting for
 * one's turn is interruptible by signals": a copy stalls the channel, and a
 * second copy that waits for its turn behind it ends with EINTR when a
 * signal comes, while the first still holds the channel.
 */
TEST_F_TIMEOUT(dmacopy, fault_stall_turn_signal, 60)
{
	int idx = node_for(self, NODE_STALL), ret;
	struct kicker k = { .stop = 0 };
	struct staller st;
	struct dmacopy_copy c;
	struct sigaction sa;
	struct stats a, b;
	uint64_t len, t0, wall, s0, d0, l0;
	bool first_done;
	pthread_t th;
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	len = min_u64(65536, n.size);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	/* The first copy stalls the channel for 1.5 s. */
	ARM(self, idx, "stall");
	memset(&st, 0, sizeof(st));
	st.fd = n.fd;
	st.c = mkcopy(0, 0, len, DMACOPY_MODE_DMA);
	st.c.timeout_ns = 1500 * NSEC_PER_MSEC;
	ASSERT_EQ(0, pthread_create(&st.thread, NULL, staller_thread, &st));
	sleep_ms(200);
	ASSERT_FALSE(staller_done(&st)) TH_LOG("the stalled copy returned %s after %" PRIu64
					       " ns", strerror(st.ret), st.wall);

	/* The second waits for its turn; signals from 100 ms on. */
	k.target = pthread_self();
	s0 = 1;
	d0 = 1;
	l0 = len - 1;
	align_dma(&n.info, n.size, &s0, &d0, &l0);
	c = mkcopy(s0, d0, l0, DMACOPY_MODE_DMA);
	ASSERT_EQ(0, pthread_create(&th, NULL, kicker_thread, &k));
	t0 = now_ns();
	ret = dc_copy(n.fd, &c);
	wall = now_ns() - t0;
	first_done = staller_done(&st);
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	signal(SIGUSR1, SIG_IGN);

	EXPECT_EQ(EINTR, ret) TH_LOG("copy waiting for its turn, then a signal: errno %d (%s)"
				     " after %" PRIu64 " ns", ret, strerror(ret), wall);
	EXPECT_FALSE(first_done) TH_LOG("the second copy returned only after the first");
	EXPECT_GT(1000 * NSEC_PER_MSEC, wall) TH_LOG("returned after %" PRIu64 " ns", wall);

	/* The first ends with ETIMEDOUT. */
	ASSERT_TRUE(staller_wait(&st, 10000)) TH_LOG("the stalled copy is still waiting");
	pthread_join(st.thread, NULL);
	EXPECT_EQ(ETIMEDOUT, st.ret) TH_LOG("stalled copy: %s", strerror(st.ret));
	ASSERT_INJECT(idx, "none");
	READ_STATS(idx, &b);
	EXPECT_EQ(1U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(1U, DELTA(a, b, ST_INTERRUPTED));
	EXPECT_EQ(0U, DELTA(a, b, ST_DMA_COPIES));

	view_restore(&v, 0, len, GUARD);
	copy_checked(_metadata, &n, &v, 0, 0, len, DMACOPY_MODE_DMA);
	copy_checked_dma(_metadata, &n, &v, 3, 9, len - 9);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", 1);
}

/*
 * inject overflow: ZDMA's byte counter and interrupt accounting overflow
 * notices (BYTE_CNT_OVRFL, IRQ_SRC_ACCT_ERR, IRQ_DST_ACCT_ERR), which a real
 * board raises every 4 GiB moved, are not errors: the copy succeeds, reports
 * them in hw_status, and counts as a good copy. The armed fault waits for a
 * DMA copy: a CPU copy in between leaves it armed. A controller without such
 * notices (BCM2835) does not offer the word (inject_readback checks EINVAL).
 */
TEST_F_TIMEOUT(dmacopy, fault_overflow, 60)
{
	static const struct {
		uint64_t s, d;
		__u32 mode;
	} rounds[] = {
		{ 5, 7, DMACOPY_MODE_DMA }, { 0, 0, DMACOPY_MODE_DMA }, { 1, 0, DMACOPY_MODE_AUTO },
	};
	int idx = node_for(self, NODE_FAULT), ret;
	uint64_t len, bytes = 0;
	struct stats a, b;
	unsigned int r;
	char msg[256];
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	if (!board_offers(n.ctl, "overflow")) {
		node_close(&n);
		SKIP(return, "%s (%s) has no counter-overflow notices: inject overflow is not offered",
		     n.ctl->name, n.ctl->board);
	}
	v = fill(&n);
	/* Long enough for AUTO to use DMA. */
	len = n.size;
	ARM(self, idx, "none");
	READ_STATS(idx, &a);

	for (r = 0; r < ARRAY_SIZE(rounds); r++) {
		uint64_t s = rounds[r].s, d = rounds[r].d, l = len - rounds[r].s - rounds[r].d;
		struct dmacopy_copy in, c;

		/* AUTO too: only an aligned copy can go by DMA. */
		align_dma(&n.info, n.size, &s, &d, &l);
		in = mkcopy(s, d, l, rounds[r].mode);

		/* AUTO only where it picks DMA (the threshold may be above buf_size). */
		if (in.mode == DMACOPY_MODE_AUTO && in.len < n.info.auto_threshold)
			in.mode = DMACOPY_MODE_DMA;
		c = in;

		ARM(self, idx, "overflow");
		ASSERT_INJECT(idx, "overflow");
		if (r == 0) {
			/* Not a DMA copy: the fault stays armed. */
			copy_checked(_metadata, &n, &v, 2, 3, 1000, DMACOPY_MODE_CPU);
			ASSERT_INJECT(idx, "overflow");
		}
		ret = dc_copy(n.fd, &c);
		ASSERT_EQ(0, ret) TH_LOG("copy with the overflow notices set: %s", strerror(ret));
		EXPECT_EQ((__u32)DMACOPY_MODE_DMA, c.mode_used);
		EXPECT_EQ(n.ctl->hw_done, c.hw_status & n.ctl->hw_done)
			TH_LOG("hw_status %#x", c.hw_status);
		EXPECT_NE(0U, c.hw_status & n.ctl->hw_ovfl)
			TH_LOG("hw_status %#x has none of the overflow notices %#x",
			       c.hw_status, n.ctl->hw_ovfl);
		EXPECT_EQ(0U, c.hw_status & n.ctl->hw_err) TH_LOG("hw_status %#x", c.hw_status);
		ASSERT_TRUE(copy_out_ok(&in, &c, &n.info, msg, sizeof(msg)))
			TH_LOG("%s", msg);
		ASSERT_VIEW(&v, in.src_off, in.dst_off, in.len, GUARD);
		view_restore(&v, in.dst_off, in.len, GUARD);
		ASSERT_INJECT(idx, "none");
		bytes += in.len;
	}
	READ_STATS(idx, &b);
	EXPECT_EQ(0U, DELTA(a, b, ST_ERRORS));
	EXPECT_EQ(0U, DELTA(a, b, ST_TIMEOUTS));
	EXPECT_EQ(ARRAY_SIZE(rounds), DELTA(a, b, ST_DMA_COPIES));
	EXPECT_EQ(bytes, DELTA(a, b, ST_DMA_BYTES));

	/* And the copies after are ordinary. */
	copy_checked_dma(_metadata, &n, &v, 9, 4, 10000);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", ARRAY_SIZE(rounds));
}

/* ------------------------------------------------------------------------ */
/* The kernel log: failures that a user can cause do not flood it.           */

/*
 * Allowed log records for a burst of failures that lasted wall ns: what the
 * kernel's default rate limit lets through (10 messages per 5 s, and a
 * "callbacks suppressed" line), with room for an unrelated message or two.
 */
static int log_allowance(uint64_t wall)
{
	return 20 + 12 * (int)(wall / (5 * NSEC_PER_SEC));
}

#define LOG_FLOOD_COPIES	((int)scaled(500, 100))

static void run_log_flood(struct __test_metadata *_metadata, FIXTURE_DATA(dmacopy) *self,
			  const char *word)
{
	int idx = node_for(self, NODE_LOG), kfd, i, lines, want;
	bool timeout = !strcmp(word, "timeout");
	struct stats a, b;
	char text[1024];
	uint64_t t0, wall;
	struct node n;
	struct view v;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	v = fill(&n);
	ARM(self, idx, "none");
	READ_STATS(idx, &a);
	kfd = kmsg_open();
	ASSERT_LE(0, kfd) TH_LOG("/dev/kmsg: %s", strerror(errno));

	t0 = now_ns();
	for (i = 0; i < LOG_FLOOD_COPIES; i++) {
		struct dmacopy_copy c = mkcopy(0, 0, 4096, DMACOPY_MODE_DMA);
		int ret;

		ARM(self, idx, word);
		if (timeout)
			c.timeout_ns = 1;	/* the shortest wait there is */
		ret = dc_copy(n.fd, &c);
		ASSERT_EQ(timeout ? ETIMEDOUT : EIO, ret) TH_LOG("copy %d with '%s' armed: %s",
								 i, word, strerror(ret));
		view_restore(&v, 0, 4096, GUARD);
	}
	wall = now_ns() - t0;
	lines = kmsg_count(kfd, text, sizeof(text));
	close(kfd);
	want = log_allowance(wall);
	TH_LOG("%d failed copies ('%s') in %" PRIu64 " ms: %d log records",
	       LOG_FLOOD_COPIES, word, (uint64_t)(wall / NSEC_PER_MSEC), lines);
	EXPECT_GE(want, lines) TH_LOG("the kernel log grew by %d records (at most %d): %s",
				      lines, want, text);
	READ_STATS(idx, &b);
	EXPECT_EQ((uint64_t)LOG_FLOOD_COPIES, DELTA(a, b, timeout ? ST_TIMEOUTS : ST_ERRORS));

	/* The counters are the record; the channel still works. */
	copy_checked_dma(_metadata, &n, &v, 1, 2, 8192);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
	print_count("injected_faults", LOG_FLOOD_COPIES);
}

TEST_F_TIMEOUT(dmacopy, log_flood_error, 120)
{
	run_log_flood(_metadata, self, "error");
}

TEST_F_TIMEOUT(dmacopy, log_flood_timeout, 180)
{
	run_log_flood(_metadata, self, "timeout");
}

/* Bad requests of every kind, many times: the log stays (nearly) quiet. */
TEST_F_TIMEOUT(dmacopy, log_flood_bad_input, 120)
{
	long page = sysconf(_SC_PAGESIZE);
	int idx = node_for(self, NODE_LOG), kfd, i, lines, want;
	uint64_t t0, wall, size;
	char text[1024], byte = 0;
	struct node n;
	void *m;

	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	size = n.size;
	kfd = kmsg_open();
	ASSERT_LE(0, kfd) TH_LOG("/dev/kmsg: %s", strerror(errno));

	t0 = now_ns();
	for (i = 0; i < LOG_FLOOD_COPIES; i++) {
		struct dmacopy_copy c;

		switch (i % 5) {
		case 0:
			c = mkcopy(0, 0, 0, DMACOPY_MODE_DMA);
			break;
		case 1:
			c = mkcopy(size, 0, 1, DMACOPY_MODE_DMA);
			break;
		case 2:
			c = mkcopy(0, 0, 16, 7);
			break;
		case 3:
			c = mkcopy(0, 0, 16, DMACOPY_MODE_DMA);
			c.flags = 1;
			break;
		default:
			c = mkcopy(0, 0, 16, DMACOPY_MODE_CPU);
			c.reserved[1] = 1;
			break;
		}
		ASSERT_EQ(EINVAL, dc_copy(n.fd, &c)) TH_LOG("bad request %d", i);
	}
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(ENOTTY, ioctl_result(ioctl(n.fd, _IO(DMACOPY_IOC_MAGIC, 0x40 + i % 64))));
		ASSERT_EQ(EFAULT, ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY, (void *)8)));
		ASSERT_EQ(-1, pwrite(n.fd, &byte, 1, (off_t)(2 * size)));
		ASSERT_EQ(ENOSPC, errno);
		m = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, n.fd, (off_t)(2 * size));
		ASSERT_EQ(MAP_FAILED, m);
		ASSERT_EQ(EINVAL, write_inject(idx, "bogus"));
	}
	wall = now_ns() - t0;
	lines = kmsg_count(kfd, text, sizeof(text));
	close(kfd);
	want = log_allowance(wall);
	TH_LOG("%d bad requests in %" PRIu64 " ms: %d log records", LOG_FLOOD_COPIES + 500,
	       (uint64_t)(wall / NSEC_PER_MSEC), lines);
	EXPECT_GE(want, lines) TH_LOG("the kernel log grew by %d records (at most %d): %s",
				      lines, want, text);
	node_close(&n);
}

/* ------------------------------------------------------------------------ */
/* Unbind and unload (spec section of that name), one claim at a time.      */

static sigjmp_buf touch_env;
static volatile sig_atomic_t touch_sig;

static void touch_handler(int sig)
{
	touch_sig = sig;
	siglongjmp(touch_env, 1);
}

/* Reads (or writes) the byte at p: the signal that raised, 0 if none. */
static int touch(volatile uint8_t *p, bool write)
{
	struct sigaction sa, old_bus, old_segv;
	volatile int sig = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = touch_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	touch_sig = 0;
	if (sigsetjmp(touch_env, 1) == 0) {
		if (write)
			*p = 0x5a;
		else
			(void)*p;
	} else {
		sig = touch_sig;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

/* MemFree of /proc/meminfo in KiB, -1 if it cannot be read. */
static long long mem_free_kib(void)
{
	char line[256];
	long long kib = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

#define NEED_ROOT(what) do { \
	if (geteuid() != 0) \
		SKIP(return, "needs root to %s", (what)); \
	if (access(DRV_DIR "/unbind", W_OK)) \
		SKIP(return, DRV_DIR "/unbind: %s", strerror(errno)); \
} while (0)

/* Unbinds the platform device name; the test's teardown binds it again if it fails. */
#define UNBIND(self, name) do { \
	uint64_t __t0 = now_ns(), __wall; \
	int __ret; \
	(self)->unbound = true; \
	__ret = write_text(DRV_DIR "/unbind", (name)); \
	__wall = now_ns() - __t0; \
	ASSERT_EQ(0, __ret) TH_LOG("unbind %s: %s", (name), strerror(__ret)); \
	EXPECT_GT(5 * NSEC_PER_SEC, __wall) TH_LOG("unbind took %" PRIu64 " ns", __wall); \
} while (0)

/* Binds name again: "Binding again gives a working node"; its index in *idx. */
#define REBIND(self, name, reg_base, idx) do { \
	int __ret = write_text(DRV_DIR "/bind", (name)); \
	ASSERT_EQ(0, __ret) TH_LOG("bind %s: %s", (name), strerror(__ret)); \
	*(idx) = find_node((reg_base), 5000); \
	ASSERT_LE(0, *(idx)) TH_LOG("no node for %s after bind", (name)); \
	(self)->unbound = false; \
} while (0)

#define EXPECT_ENODEV(call, what) do { \
	long __r; \
	errno = 0; \
	__r = (long)(call); \
	EXPECT_EQ(-1L, __r) TH_LOG("%s after unbind: returned %ld", (what), __r); \
	EXPECT_EQ(ENODEV, errno) TH_LOG("%s after unbind: %s", (what), strerror(errno)); \
} while (0)

/*
 * The node that binding gave back: INFO as before the unbind, fresh zeroed
 * buffers, and copies in every mode, verified.
 */
static void check_rebound(struct __test_metadata *_metadata, int idx,
			  const struct dmacopy_info *before)
{
	struct dmacopy_info info;
	struct node n;
	struct view v;
	uint64_t at;
	size_t k;

	node_open(_metadata, &n, idx);
	info = n.info;
	EXPECT_EQ((__u32)DMACOPY_ABI_VERSION, info.abi_version);
	EXPECT_EQ(before->caps, info.caps);
	EXPECT_EQ(before->buf_size, info.buf_size);
	EXPECT_EQ(before->max_len, info.max_len);
	EXPECT_EQ(before->reg_base, info.reg_base);
	EXPECT_EQ(before->irq, info.irq);
	EXPECT_EQ(before->align, info.align);
	EXPECT_LT(0U, info.auto_threshold);
	EXPECT_STREQ(before->controller, info.controller);
	for (k = 0; k < ARRAY_SIZE(info.reserved); k++) {
		EXPECT_EQ(0U, info.reserved[k]) TH_LOG("reserved[%zu]", k);
	}
	/* The buffers are allocated at probe and zeroed then. */
	for (at = 0; at < 2 * n.size; at++)
		if (n.win[at])
			break;
	EXPECT_EQ(2 * n.size, at) TH_LOG("dmacopy%d: window byte %" PRIu64 " is 0x%02x, not 0",
					 idx, at, at < 2 * n.size ? n.win[at] : 0);

	v = fill(&n);
	copy_checked(_metadata, &n, &v, 0, 0, n.size, DMACOPY_MODE_DMA);
	copy_checked_dma(_metadata, &n, &v, 1, 2, min_u64(n.size - 2, 65536));
	copy_checked(_metadata, &n, &v, 3, 1, min_u64(n.size - 3, 5000), DMACOPY_MODE_CPU);
	/* AUTO: by the CPU below its threshold; from it on, DMA mode (EINVAL if misaligned). */
	copy_checked_auto(_metadata, &n, &v, 0, 7, n.size - 7);
	ASSERT_VIEW_ALL(&v);
	node_close(&n);
}

/*
 * The other nodes of a device that a test unbinds (a BCM2835 controller is
 * one device with all its channels; a ZDMA device has none besides): each
 * open, with a page of its window mapped, across the unbind.
 */
struct siblings {
	int n;
	int idx[MAX_CHANNELS];
	int fd[MAX_CHANNELS];
	volatile uint8_t *map[MAX_CHANNELS];
	struct dmacopy_info info[MAX_CHANNELS];
};

static void siblings_open(struct __test_metadata *_metadata, const char *name, int except,
			  struct siblings *sib)
{
	int idx[MAX_CHANNELS], n, i, ret;

	memset(sib, 0, sizeof(*sib));
	n = device_nodes(name, idx, MAX_CHANNELS);
	for (i = 0; i < n; i++) {
		int k = sib->n;

		if (idx[i] == except)
			continue;
		sib->idx[k] = idx[i];
		sib->fd[k] = open_node(idx[i]);
		ASSERT_LE(0, sib->fd[k]) TH_LOG("open /dev/dmacopy%d: %s", idx[i], strerror(errno));
		sib->n++;
		ret = dc_info(sib->fd[k], &sib->info[k]);
		ASSERT_EQ(0, ret) TH_LOG("INFO on /dev/dmacopy%d: %s", idx[i], strerror(ret));
		sib->map[k] = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED,
				   sib->fd[k], 0);
		ASSERT_NE(MAP_FAILED, (void *)sib->map[k])
			TH_LOG("mmap of /dev/dmacopy%d: %s", idx[i], strerror(errno));
		(void)sib->map[k][0];
	}
}

/*
 * After the unbind, every other node of the device went too: its node is
 * gone, its open file fails with ENODEV, its mapping raises SIGBUS; close and
 * munmap work.
 */
static void siblings_gone(struct __test_metadata *_metadata, struct siblings *sib)
{
	struct dmacopy_info info;
	struct dmacopy_copy c;
	char path[64];
	int k;

	for (k = 0; k < sib->n; k++) {
		node_path(path, sizeof(path), sib->idx[k]);
		EXPECT_TRUE(wait_path(path, false, 5000))
			TH_LOG("%s, of the same device, still there after unbind", path);
		memset(&info, 0xcc, sizeof(info));
		EXPECT_ENODEV(ioctl(sib->fd[k], DMACOPY_IOC_INFO, &info), path);
		c = mkcopy(0, 0, 4096, DMACOPY_MODE_DMA);
		EXPECT_ENODEV(ioctl(sib->fd[k], DMACOPY_IOC_COPY, &c), path);
		EXPECT_EQ(SIGBUS, touch(sib->map[k], false))
			TH_LOG("read through a mapping of %s after unbind", path);
		EXPECT_EQ(0, munmap((void *)sib->map[k], (size_t)sysconf(_SC_PAGESIZE)));
		EXPECT_EQ(0, close(sib->fd[k]));
	}
}

/*
 * After the bind, every other node of the device is back, found by its
 * reg_base (at the number it had: the lowest free, in probe order), with the
 * INFO it had, and copies by DMA and CPU.
 */
static void siblings_back(struct __test_metadata *_metadata, const struct siblings *sib)
{
	int k, idx;

	for (k = 0; k < sib->n; k++) {
		const struct dmacopy_info *before = &sib->info[k];
		struct node n;
		struct view v;

		idx = find_node(before->reg_base, 5000);
		ASSERT_LE(0, idx) TH_LOG("no node with reg_base %#llx (was /dev/dmacopy%d) after bind",
					 U64(before->reg_base), sib->idx[k]);
		EXPECT_EQ(sib->idx[k], idx) TH_LOG("reg_base %#llx came back as /dev/dmacopy%d",
						   U64(before->reg_base), idx);
		node_open(_metadata, &n, idx);
		EXPECT_EQ(before->irq, n.info.irq);
		EXPECT_EQ(before->buf_size, n.info.buf_size);
		EXPECT_EQ(before->align, n.info.align);
		EXPECT_STREQ(before->controller, n.info.controller);
		v = node_view(&n, (uint8_t)(0x3b * k));
		v.hi = min_u64(n.size, 65536);
		view_fill(&v);
		copy_checked_dma(_metadata, &n, &v, 5, 1, v.hi - 8);
		copy_checked(_metadata, &n, &v, 3, 1, v.hi - 5, DMACOPY_MODE_CPU);
		ASSERT_VIEW_ALL(&v);
		node_close(&n);
	}
}

/*
 * Unbinding a channel while files are open and mapped: "the hardware is
 * stopped, every mapping of the window is revoked (a later access through an
 * old mapping raises SIGBUS ...), and every later call on a file that is
 * still open fails with ENODEV; close and munmap always work. Binding again
 * gives a working node. rmmod fails ... while any file of the module is open"
 * (here: a file whose channel is gone). The unbind is of the node's platform
 * device: on a controller with many channels per device (BCM2835), every
 * node of the device goes, and comes back with the bind.
 */
TEST_F_TIMEOUT(dmacopy, unbind_open_file, 120)
{
	long page = sysconf(_SC_PAGESIZE);
	int idx = node_for(self, NODE_UNBIND), fd2, fd3, new_idx, ret;
	struct dmacopy_info before, info;
	long long free0, free1;
	volatile uint8_t *m2, *m3;
	char name[128], path[64], buf[64];
	struct siblings sib;
	struct dmacopy_copy c;
	uint64_t size;
	struct node n;
	struct view v;
	void *m;

	NEED_ROOT("unbind a channel");
	node_open(_metadata, &n, idx);
	before = n.info;
	size = n.size;
	ret = board_node_dev(idx, name, sizeof(name));
	ASSERT_EQ(0, ret) TH_LOG("the device of /dev/dmacopy%d: %s", idx, strerror(ret));
	node_path(path, sizeof(path), idx);
	siblings_open(_metadata, name, idx, &sib);
	TH_LOG("unbinding %s: /dev/dmacopy%d and %d other node(s)", name, idx, sib.n);
	v = fill(&n);
	copy_checked(_metadata, &n, &v, 0, 0, 4096, DMACOPY_MODE_DMA);

	/* A second file with a mapping of DST alone, and a mapping whose file is closed. */
	fd2 = open_node(idx);
	ASSERT_LE(0, fd2);
	m2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, (off_t)size);
	ASSERT_NE(MAP_FAILED, (void *)m2) TH_LOG("mmap of DST: %s", strerror(errno));
	fd3 = open_node(idx);
	ASSERT_LE(0, fd3);
	m3 = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd3, 0);
	ASSERT_NE(MAP_FAILED, (void *)m3) TH_LOG("mmap of SRC: %s", strerror(errno));
	ASSERT_EQ(0, close(fd3));
	ASSERT_EQ(n.dst[5], m2[5]);
	ASSERT_EQ(n.src[5], m3[5]);

	free0 = mem_free_kib();
	UNBIND(self, name);
	free1 = mem_free_kib();
	EXPECT_TRUE(wait_path(path, false, 5000)) TH_LOG("%s still there after unbind", path);
	/*
	 * "The buffers are freed while the device is still bound": by the time
	 * unbind returns, not at the last close or munmap (which have not come
	 * yet). Half the window of each channel is far above what anything else
	 * allocates or frees meanwhile in an idle guest.
	 */
	ASSERT_LE(0, free0);
	TH_LOG("MemFree grew by %lld KiB at unbind", free1 - free0);
	EXPECT_LE((long long)((uint64_t)(sib.n + 1) * size / 1024), free1 - free0)
		TH_LOG("MemFree grew by %lld KiB at unbind; the buffers are %d x 2 x %" PRIu64
		       " KiB", free1 - free0, sib.n + 1, size / 1024);

	/* Every later call on a file that is still open fails with ENODEV. */
	memset(&info, 0xcc, sizeof(info));
	EXPECT_ENODEV(ioctl(n.fd, DMACOPY_IOC_INFO, &info), "INFO");
	c = mkcopy(0, 0, 4096, DMACOPY_MODE_DMA);
	EXPECT_ENODEV(ioctl(n.fd, DMACOPY_IOC_COPY, &c), "COPY (DMA)");
	c = mkcopy(0, 0, 4096, DMACOPY_MODE_CPU);
	EXPECT_ENODEV(ioctl(n.fd, DMACOPY_IOC_COPY, &c), "COPY (CPU)");
	c = mkcopy(1, 1, 100, DMACOPY_MODE_AUTO);
	EXPECT_ENODEV(ioctl(n.fd, DMACOPY_IOC_COPY, &c), "COPY (AUTO)");
	c = mkcopy(0, 0, 0, DMACOPY_MODE_DMA);
	EXPECT_ENODEV(ioctl(n.fd, DMACOPY_IOC_COPY, &c), "COPY (len 0)");
	EXPECT_ENODEV(read(n.fd, buf, sizeof(buf)), "read");
	EXPECT_ENODEV(write(n.fd, buf, sizeof(buf)), "write");
	EXPECT_ENODEV(pread(n.fd, buf, sizeof(buf), 0), "pread");
	EXPECT_ENODEV(pread(n.fd, buf, sizeof(buf), (off_t)size), "pread of DST");
	EXPECT_ENODEV(pwrite(n.fd, buf, sizeof(buf), 0), "pwrite");
	EXPECT_ENODEV(pwrite(n.fd, buf, sizeof(buf), (off_t)size), "pwrite of DST");
	EXPECT_ENODEV(lseek(n.fd, 0, SEEK_SET), "lseek(0, SEEK_SET)");
	EXPECT_ENODEV(lseek(n.fd, 0, SEEK_END), "lseek(0, SEEK_END)");
	errno = 0;
	m = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, n.fd, 0);
	EXPECT_EQ(MAP_FAILED, m) TH_LOG("a new mapping after unbind");
	EXPECT_EQ(ENODEV, errno) TH_LOG("mmap after unbind: %s", strerror(errno));
	if (m != MAP_FAILED)
		munmap(m, (size_t)page);
	EXPECT_ENODEV(ioctl(fd2, DMACOPY_IOC_INFO, &info), "INFO on a second file");
	EXPECT_ENODEV(pread(fd2, buf, 1, 0), "pread on a second file");
	/* The node is gone. */
	errno = 0;
	fd3 = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, fd3) TH_LOG("%s opened after unbind", path);
	if (fd3 >= 0)
		close(fd3);

	/* Every mapping of the window was revoked: a touch raises SIGBUS. */
	EXPECT_EQ(SIGBUS, touch(n.src, false)) TH_LOG("read of SRC through the old mapping");
	EXPECT_EQ(SIGBUS, touch(n.dst + size - 1, true))
		TH_LOG("write of DST through the old mapping");
	EXPECT_EQ(SIGBUS, touch(m2 + 5, false)) TH_LOG("read through the second file's mapping");
	EXPECT_EQ(SIGBUS, touch(m2, true)) TH_LOG("write through the second file's mapping");
	EXPECT_EQ(SIGBUS, touch(m3, false)) TH_LOG("read through a mapping of a closed file");

	/* Every other node of the device went with it. */
	siblings_gone(_metadata, &sib);

	/* A file of the module is open, even if its channel is gone: no unload. */
	if (module_loaded("dmacopy")) {
		errno = 0;
		ret = (int)delete_module("dmacopy", O_NONBLOCK);
		EXPECT_EQ(-1, ret) TH_LOG("the module was removed with a file open");
		EXPECT_TRUE(errno == EBUSY || errno == EAGAIN)
			TH_LOG("delete_module with a file open: %s", strerror(errno));
		ASSERT_TRUE(module_loaded("dmacopy"));
	}

	/* close and munmap always work. */
	EXPECT_EQ(0, munmap((void *)m3, (size_t)page)) TH_LOG("munmap: %s", strerror(errno));
	EXPECT_EQ(0, munmap((void *)m2, size)) TH_LOG("munmap: %s", strerror(errno));
	EXPECT_EQ(0, munmap(n.win, 2 * size)) TH_LOG("munmap: %s", strerror(errno));
	n.win = NULL;
	EXPECT_EQ(0, close(fd2)) TH_LOG("close: %s", strerror(errno));
	EXPECT_EQ(0, close(n.fd)) TH_LOG("close: %s", strerror(errno));
	n.fd = -1;

	REBIND(self, name, before.reg_base, &new_idx);
	EXPECT_EQ(idx, new_idx) TH_LOG("the channel came back as /dev/dmacopy%d", new_idx);
	check_rebound(_metadata, new_idx, &before);
	siblings_back(_metadata, &sib);
	print_count("unbind_rounds", 1);
}

/*
 * "Copies in flight end with ENODEV (or complete), the hardware is stopped":
 * a copy stalled in the controller, waiting with a 10 s timeout, and a copy
 * queued behind it end with ENODEV as soon as their channel is unbound (by
 * the time the unbind returns: the buffers are freed while the device is
 * still bound, so no copy can still be using them);
 * binding again gives a channel that copies. (Whether unbind itself stopped
 * the paused channel cannot be seen from here when probe resets it.) Where
 * the device has other channels, one of them has a stalled copy too, which
 * the same unbind ends the same way.
 */
TEST_F_TIMEOUT(dmacopy, fault_stall_unbind, 120)
{
	int idx = node_for(self, NODE_UNBIND), new_idx, ret, i, nst = 2;
	struct dmacopy_info before;
	struct siblings sib;
	struct staller st[3];
	struct dmacopy_copy c;
	char name[128];
	uint64_t t0, t1, late;
	struct node n;

	NEED_ROOT("unbind a channel");
	NEED_DEBUGFS(idx);
	node_open(_metadata, &n, idx);
	before = n.info;
	ret = board_node_dev(idx, name, sizeof(name));
	ASSERT_EQ(0, ret) TH_LOG("the device of /dev/dmacopy%d: %s", idx, strerror(ret));
	siblings_open(_metadata, name, idx, &sib);
	fill(&n);
	ARM(self, idx, "none");

	/* The first copy stalls in the controller; the second waits for its turn. */
	ARM(self, idx, "stall");
	if (sib.n) {
		/* The third stalls another channel of the device. */
		int ret2 = write_inject(sib.idx[0], "stall");

		self->armed2 = sib.idx[0];
		ASSERT_EQ(0, ret2) TH_LOG("inject stall on /dev/dmacopy%d: %s", sib.idx[0],
					  strerror(ret2));
		nst = 3;
	}
	memset(st, 0, sizeof(st));
	for (i = 0; i < nst; i++) {
		st[i].fd = i < 2 ? n.fd : sib.fd[0];
		st[i].c = mkcopy(0, 0, min_u64(65536, n.size), DMACOPY_MODE_DMA);
		st[i].c.timeout_ns = 10 * NSEC_PER_SEC;
		ASSERT_EQ(0, pthread_create(&st[i].thread, NULL, staller_thread, &st[i]));
		sleep_ms(100);
	}
	sleep_ms(50);
	for (i = 0; i < nst; i++) {
		ASSERT_FALSE(staller_done(&st[i]))
			TH_LOG("copy %d returned %s after %" PRIu64 " ns, before the unbind",
			       i, strerror(st[i].ret), st[i].wall);
	}

	t0 = now_ns();
	UNBIND(self, name);
	t1 = now_ns();
	self->armed = -1;	/* its inject is gone with it */
	self->armed2 = -1;
	TH_LOG("unbind of %s (%d node(s)) took %" PRIu64 " ms", name, sib.n + 1,
	       (uint64_t)((t1 - t0) / NSEC_PER_MSEC));
	for (i = 0; i < nst; i++) {
		static const char *const what[] = {
			"in flight", "waiting for its turn", "in flight on another channel",
		};

		ASSERT_TRUE(staller_wait(&st[i], 12000))
			TH_LOG("copy %d still waits after the unbind", i);
		pthread_join(st[i].thread, NULL);
		EXPECT_EQ(ENODEV, st[i].ret) TH_LOG("copy %d (%s) at unbind: errno %d (%s)", i,
						    what[i], st[i].ret, strerror(st[i].ret));
		/*
		 * Ended by the unbind, before it returned (500 ms allow for the thread's
		 * own return to user space), not at its 10 s timeout.
		 */
		late = st[i].end_ns > t1 ? st[i].end_ns - t1 : 0;
		EXPECT_GT(500 * NSEC_PER_MSEC, late)
			TH_LOG("copy %d returned %" PRIu64 " ms after the unbind did (which took %"
			       PRIu64 " ms)", i, (uint64_t)(late / NSEC_PER_MSEC), (uint64_t)((t1 - t0) / NSEC_PER_MSEC));
		EXPECT_GT(st[i].c.timeout_ns / 2, st[i].wall)
			TH_LOG("copy %d returned after %" PRIu64 " ms", i, (uint64_t)(st[i].wall / NSEC_PER_MSEC));
	}

	c = mkcopy(0, 0, 4096, DMACOPY_MODE_DMA);
	EXPECT_ENODEV(ioctl(n.fd, DMACOPY_IOC_COPY, &c), "COPY");
	node_close(&n);
	siblings_gone(_metadata, &sib);

	REBIND(self, name, before.reg_base, &new_idx);
	EXPECT_EQ(idx, new_idx) TH_LOG("the channel came back as /dev/dmacopy%d", new_idx);
	check_rebound(_metadata, new_idx, &before);
	siblings_back(_metadata, &sib);
	print_count("unbind_rounds", 1);
	print_count("injected_faults", nst - 1);
}

/* ------------------------------------------------------------------------ */
/* Module reloads. Keep these tests last: they take every node away a while. */

#define NEED_RELOAD() do { \
	const char *__ko = getenv("DMACOPY_MODULE"); \
	if (geteuid() != 0) \
		SKIP(return, "needs root to reload the module"); \
	if (!__ko || !*__ko) \
		SKIP(return, "set DMACOPY_MODULE to the path of dmacopy.ko"); \
	if (access(__ko, R_OK)) \
		SKIP(return, "DMACOPY_MODULE=%s: %s", __ko, strerror(errno)); \
	if (system("command -v insmod >/dev/null 2>&1")) \
		SKIP(return, "insmod not found"); \
	if (!module_loaded("dmacopy")) \
		SKIP(return, "dmacopy is not loaded as a module"); \
} while (0)

#define AUTO_MISALIGNED_THRESHOLD	4096U

/*
 * AUTO is "CPU below auto_threshold bytes, DMA from there on", and a request
 * misaligned in DMA mode gets EINVAL: with align > 1, and the module loaded with a low
 * auto_threshold (the measured one may be above buf_size, as on QEMU's
 * raspi3b, where AUTO would take the CPU for every length anyway), an aligned
 * AUTO copy at or above the threshold goes by DMA, the same copies misaligned
 * by a byte get EINVAL and copy nothing, up to the whole buffer, and shorter
 * ones go by the CPU, misaligned or not; the statistics
 * count them so. The module is loaded as it was afterwards.
 */
TEST_F_TIMEOUT(dmacopy, auto_misaligned, 180)
{
	const char *params = getenv("DMACOPY_MODULE_PARAMS");
	struct stats a, b;
	char msg[256], more[64];
	uint64_t size, al, dma = 0, cpu = 0, rejected = 0;
	struct dmacopy_info info;
	struct node n;
	struct view v;
	unsigned int i;
	bool stats;
	int fd, ret;

	NEED_RELOAD();
	fd = open_node(0);
	ASSERT_LE(0, fd) TH_LOG("open /dev/dmacopy0: %s", strerror(errno));
	ASSERT_EQ(0, dc_info(fd, &info));
	close(fd);
	if (info.align <= 1)
		SKIP(return, "align %u (%.16s): no request is misaligned for DMA", info.align,
		     info.controller);

	snprintf(more, sizeof(more), "auto_threshold=%u", AUTO_MISALIGNED_THRESHOLD);
	self->reloaded = true;
	ret = module_reload(getenv("DMACOPY_MODULE"), params, more, self->nchan, msg,
			    sizeof(msg));
	ASSERT_EQ(0, ret) TH_LOG("%s", msg);

	node_open(_metadata, &n, 0);
	EXPECT_EQ(AUTO_MISALIGNED_THRESHOLD, n.info.auto_threshold);
	size = n.size;
	al = info_align(&n.info);
	ASSERT_LT(4 * AUTO_MISALIGNED_THRESHOLD, size);
	v = fill(&n);
	msg[0] = '\0';
	stats = debugfs_usable(0, "stats", R_OK, msg, sizeof(msg));
	if (stats)
		READ_STATS(0, &a);
	else
		TH_LOG("statistics not checked: %s", msg);
	{
		static const struct {
			uint64_t s, d, len;
		} rounds[] = {
			{ 0, 0, AUTO_MISALIGNED_THRESHOLD }, { 1, 0, AUTO_MISALIGNED_THRESHOLD },
			{ 0, 0, AUTO_MISALIGNED_THRESHOLD + 1 }, { 8, 2, 2 * AUTO_MISALIGNED_THRESHOLD },
			{ 0, 0, 1024 }, { 3, 5, 1024 }, { 4096, 8192, 3 * AUTO_MISALIGNED_THRESHOLD },
			{ 4097, 8192, 3 * AUTO_MISALIGNED_THRESHOLD }, { 0, 0, 0 }, { 0, 0, 0 },
			{ 0, 0, 0 },
		};

		for (i = 0; i < ARRAY_SIZE(rounds); i++) {
			uint64_t s = rounds[i].s, d = rounds[i].d, len = rounds[i].len;
			struct dmacopy_copy in;

			/* The last three: the whole buffer, aligned, then a byte off each way. */
			if (!len) {
				s = i == ARRAY_SIZE(rounds) - 2;
				d = i == ARRAY_SIZE(rounds) - 1;
				len = size - (s || d ? al : 0);
			}
			in = mkcopy(s, d, len, DMACOPY_MODE_AUTO);
			/* Misaligned at or above the threshold: DMA mode, so EINVAL. */
			if (mode_wanted(&in, &n.info) == DMACOPY_MODE_CPU)
				cpu++;
			else if (dma_aligned(&n.info, s, d, len))
				dma++;
			else
				rejected++;
			copy_checked_auto(_metadata, &n, &v, s, d, len);
		}
	}
	TH_LOG("AUTO with auto_threshold %u, align %" PRIu64 ": %" PRIu64 " copies by DMA, %"
	       PRIu64 " by the CPU, %" PRIu64 " misaligned from the threshold on refused",
	       AUTO_MISALIGNED_THRESHOLD, al, dma, cpu, rejected);
	EXPECT_EQ(3U, dma);
	EXPECT_EQ(6U, rejected);
	if (stats) {
		READ_STATS(0, &b);
		EXPECT_EQ(dma, DELTA(a, b, ST_DMA_COPIES));
		EXPECT_EQ(cpu, DELTA(a, b, ST_CPU_COPIES));
	}
	ASSERT_VIEW_ALL(&v);
	node_close(&n);

	ret = module_reload(getenv("DMACOPY_MODULE"), params, NULL, self->nchan, msg,
			    sizeof(msg));
	ASSERT_EQ(0, ret) TH_LOG("%s", msg);
	self->reloaded = false;
	print_count("load_cycles", 2);
}

/* Module reload, as a user does it. Keep this test last. */

TEST_F_TIMEOUT(dmacopy, reload, 120)
{
	const char *ko = getenv("DMACOPY_MODULE");
	const char *params = getenv("DMACOPY_MODULE_PARAMS");
	struct dmacopy_info old[MAX_CHANNELS];
	uint64_t old_size = 0;
	char cmd[1024], path[64];
	int i, ret;

	if (geteuid() != 0)
		SKIP(return, "needs root to reload the module");
	if (!ko || !*ko)
		SKIP(return, "set DMACOPY_MODULE to the path of dmacopy.ko");
	if (access(ko, R_OK))
		SKIP(return, "DMACOPY_MODULE=%s: %s", ko, strerror(errno));
	if (system("command -v rmmod >/dev/null 2>&1 && command -v insmod >/dev/null 2>&1"))
		SKIP(return, "rmmod or insmod not found");
	if (!module_loaded("dmacopy"))
		SKIP(return, "dmacopy is not loaded as a module");
	ASSERT_GT(sizeof(cmd) - 64, strlen(ko) + (params ? strlen(params) : 0))
		TH_LOG("DMACOPY_MODULE path too long");
	/* What each node is before: the same channels come back. */
	for (i = 0; i < self->nchan; i++) {
		int fd = open_node(i);

		ASSERT_LE(0, fd) TH_LOG("open /dev/dmacopy%d: %s", i, strerror(errno));
		ret = dc_info(fd, &old[i]);
		close(fd);
		ASSERT_EQ(0, ret) TH_LOG("INFO on /dev/dmacopy%d: %s", i, strerror(ret));
	}

	/*
	 * "rmmod fails ... while any file of the module is open": an open file,
	 * then a mapping alone (its file closed, the mapping holds it), keep the
	 * module in; the file still works after the refusal.
	 */
	{
		struct node n;
		struct view v;
		void *m;

		node_open(_metadata, &n, 0);
		old_size = n.size;
		v = fill(&n);
		errno = 0;
		ret = (int)delete_module("dmacopy", O_NONBLOCK);
		EXPECT_EQ(-1, ret) TH_LOG("the module was removed with a file open");
		/* The kernel says EWOULDBLOCK (= EAGAIN) for a module in use. */
		EXPECT_TRUE(errno == EBUSY || errno == EAGAIN)
			TH_LOG("delete_module with a file open: %s", strerror(errno));
		ASSERT_TRUE(module_loaded("dmacopy")) TH_LOG("no module left to test");
		copy_checked_dma(_metadata, &n, &v, 1, 2, min_u64(n.size - 2, 4096));

		m = mmap(NULL, n.size, PROT_READ, MAP_SHARED, n.fd, (off_t)n.size);
		ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap of DST: %s", strerror(errno));
		node_close(&n);
		errno = 0;
		ret = (int)delete_module("dmacopy", O_NONBLOCK);
		EXPECT_EQ(-1, ret) TH_LOG("the module was removed with a mapping in place");
		EXPECT_TRUE(errno == EBUSY || errno == EAGAIN)
			TH_LOG("delete_module with a mapping: %s", strerror(errno));
		ASSERT_TRUE(module_loaded("dmacopy")) TH_LOG("no module left to test");
		EXPECT_EQ(0, munmap(m, old_size));
	}

	/* And with nothing open, it goes. */
	errno = 0;
	ret = (int)delete_module("dmacopy", O_NONBLOCK);
	ASSERT_EQ(0, ret) TH_LOG("delete_module(dmacopy) with every file closed: %s",
				 strerror(errno));
	EXPECT_FALSE(module_loaded("dmacopy"));
	for (i = 0; i < self->nchan; i++) {
		node_path(path, sizeof(path), i);
		EXPECT_TRUE(wait_path(path, false, 5000)) TH_LOG("%s still there after rmmod", path);
	}

	snprintf(cmd, sizeof(cmd), "insmod '%s' %s", ko, params ? params : "");
	ret = system(cmd);
	ASSERT_TRUE(WIFEXITED(ret) && WEXITSTATUS(ret) == 0)
		TH_LOG("%s: status %#x; the module is NOT loaded now", cmd, ret);
	ASSERT_TRUE(module_loaded("dmacopy"));

	for (i = 0; i < self->nchan; i++) {
		struct dmacopy_info info;
		struct node n;
		struct view v;
		size_t at;

		node_path(path, sizeof(path), i);
		ASSERT_TRUE(wait_path(path, true, 5000)) TH_LOG("%s missing after insmod", path);
		node_open(_metadata, &n, i);
		ret = dc_info(n.fd, &info);
		ASSERT_EQ(0, ret);
		EXPECT_EQ((__u32)DMACOPY_ABI_VERSION, info.abi_version);
		EXPECT_STREQ(old[i].controller, info.controller);
		EXPECT_EQ(old[i].reg_base, info.reg_base) TH_LOG("/dev/dmacopy%d", i);
		EXPECT_EQ(old[i].irq, info.irq) TH_LOG("/dev/dmacopy%d", i);
		if (i == 0 && old_size && old_size != info.buf_size)
			TH_LOG("buf_size %llu after reload, %" PRIu64 " before (module parameters?)",
			       U64(info.buf_size), old_size);

		/* Fresh buffers are zeroed at probe. */
		for (at = 0; at < 2 * n.size; at++)
			if (n.win[at])
				break;
		EXPECT_EQ(2 * n.size, at) TH_LOG("dmacopy%d: window byte %zu is 0x%02x, not 0",
						 i, at, at < 2 * n.size ? n.win[at] : 0);

		v = fill(&n);
		copy_checked_dma(_metadata, &n, &v, 1, 2, min_u64(n.size - 2, 4096));
		node_close(&n);
	}
	node_path(path, sizeof(path), self->nchan);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s exists after reload", path);
	print_count("load_cycles", 1);
}

TEST_HARNESS_MAIN
