// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest for dmacopy's zero-copy ioctls, on every board the driver supports:
 *
 *   DMACOPY_IOC_COPY_USER   a copy between two ranges of the caller's own memory (pinned user
 *                           pages and the controller's scatter-gather mode in DMA mode)
 *   DMACOPY_IOC_COPY_BATCH  up to 256 SRC-to-DST copies in one call, in one turn of the channel
 *
 * The contract under test is include/uapi/linux/dmacopy.h and shared/spec/abi.md (sections
 * "struct dmacopy_copy_user", "struct dmacopy_batch" and "Errors"). Each ioctl is tested only
 * where the driver claims it (DMACOPY_CAP_COPY_USER, DMACOPY_CAP_BATCH in INFO.caps); without
 * the bit a test skips and says so (dmacopy_test checks that the ioctl is ENOTTY then).
 *
 * Every COPY_USER that must succeed is checked in full (cu_check()): the call returns 0, the in
 * fields come back unchanged and the out fields are right (mode_used by the mode,
 * INFO.auto_threshold and, in DMA mode, whether the controller moves any byte: the header has
 * the bytes outside whole DMA cache lines of the destination, and all of a copy whose ranges are
 * misaligned with each other modulo align, go by the CPU, and mode_used CPU only when no byte
 * went by DMA; hw_status 0 then, else the controller's done bits and none of its error bits;
 * elapsed_ns within the call's wall time, reserved zero), every byte of the destination equals
 * the source, GUARD bytes on each side of the destination are untouched, and the source (with
 * GUARD bytes around it) is unchanged. The buffers live between PROT_NONE pages. On a
 * controller with INFO.align above 1 (BCM2835: 4) COPY_USER still takes any alignment: the
 * misaligned cases must succeed there too.
 *
 * Pinned pages: every COPY_USER test ends by checking that the kernel's count of pinned user
 * pages (/proc/vmstat nr_foll_pin_acquired - nr_foll_pin_released, folded with
 * /proc/sys/vm/stat_refresh) is what it was when the test started: the driver unpinned every
 * page on every path (errors, signals, timeouts, a killed process, unbind).
 *
 * Environment:
 *   DMACOPY_SCALE   percent (10..100, default 100): scales the longest loops and the largest
 *                   COPY_USER (64 MiB at 100) for slow kernels (the debug kernel runs at 20)
 *
 * Tests that read debugfs (inject, stats), unbind a device or count pinned pages need root;
 * the first two skip without it. Tests that arm faults or unbind use a node of their own (the
 * NODE_* numbers, folded onto the nodes that exist), and the tests run one after the other.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
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
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmacopy.h>

#include "kselftest_harness.h"
#include "dmacopy_board.h"
#include "dmacopy_common.h"

/* Which node each stateful test uses (modulo the number of nodes). */
#define NODE_COPY	0	/* cu_* data tests, batch_* data tests */
#define NODE_STORM	1	/* cu_signal_storm_* */
#define NODE_FAULT	2	/* cu_fault_*, batch_fault_* */
#define NODE_BATCH	3	/* batch_* */
#define NODE_STALL	4	/* cu_stall_kill, batch_timeout_* */
#define NODE_UNBIND	5	/* cu_unbind_in_flight */
#define NODE_LOG	6	/* log_quiet */



/* Bytes checked on each side of a destination (and of a source). */
#define GUARD		64

/* The largest COPY_USER of the length sweep at DMACOPY_SCALE=100. */
#define CU_MAX_LEN	(64ULL << 20)
/* A COPY_USER above this gets a timeout of its own: emulated DMA is slow. */
#define CU_BIG		(1ULL << 20)
#define CU_BIG_TIMEOUT	(60 * NSEC_PER_SEC)

#define U64(x)		((unsigned long long)(x))

/* Out fields are pre-filled with this byte where the spec says they stay untouched. */
#define MARK		0x5a

static size_t page_size;

/* ------------------------------------------------------------------------ */
/* Small things.                                                             */

/* DMACOPY_SCALE in percent, 10..100 (default 100). */
static unsigned int scale_pct(void)
{
	const char *env = getenv("DMACOPY_SCALE");
	unsigned long pct = env ? strtoul(env, NULL, 10) : 100;

	return pct < 10 || pct > 100 ? 100 : (unsigned int)pct;
}

static unsigned int scaled(unsigned int n, unsigned int floor)
{
	n = (unsigned int)((uint64_t)n * scale_pct() / 100);
	return n < floor ? floor : n;
}

/* Every step-th case of a sweep: 1 at full scale, 5 at DMACOPY_SCALE=20. */
static unsigned int sweep_step(void)
{
	return 100 / scale_pct();
}

/* ------------------------------------------------------------------------ */
/* Patterns: byte i of a buffer with seed s is byte i % 8 of word(s, i / 8).  */

static inline uint64_t pat_word(uint64_t seed, uint64_t w)
{
	uint64_t x = w * 0x9e3779b97f4a7c15ULL + seed * 0xd1b54a32d192ed03ULL + 1;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

static inline uint8_t pat_byte(uint64_t seed, uint64_t i)
{
	uint64_t w = pat_word(seed, i >> 3);

	return ((const uint8_t *)&w)[i & 7];
}

/* Writes the pattern of seed to base[a, b). */
static void pat_fill(uint8_t *base, size_t a, size_t b, uint64_t seed)
{
	size_t i = a;

	for (; i < b && (i & 7); i++)
		base[i] = pat_byte(seed, i);
	for (; i + 8 <= b; i += 8) {
		uint64_t v = pat_word(seed, i >> 3);

		memcpy(base + i, &v, 8);
	}
	for (; i < b; i++)
		base[i] = pat_byte(seed, i);
}

/* The first index in [a, b) where base does not hold the pattern of seed; SIZE_MAX if none. */
static size_t pat_mismatch(const uint8_t *base, size_t a, size_t b, uint64_t seed)
{
	size_t i = a;

	for (; i < b && (i & 7); i++)
		if (base[i] != pat_byte(seed, i))
			return i;
	for (; i + 8 <= b; i += 8) {
		uint64_t v = pat_word(seed, i >> 3), got;

		memcpy(&got, base + i, 8);
		if (got != v)
			break;
	}
	for (; i < b; i++)
		if (base[i] != pat_byte(seed, i))
			return i;
	return SIZE_MAX;
}

/* The first index in [a, b) where base is not zero; SIZE_MAX if none. */
static size_t zero_mismatch(const uint8_t *base, size_t a, size_t b)
{
	for (; a < b; a++)
		if (base[a])
			return a;
	return SIZE_MAX;
}

/* The first index where a and b differ; len if none. */
static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i = 0;

	/* memcmp is fast; find the byte only when there is one. */
	if (!memcmp(a, b, len))
		return len;
	while (i < len && a[i] == b[i])
		i++;
	return i;
}

/* ------------------------------------------------------------------------ */
/* Memory: regions between PROT_NONE pages.                                  */

/*
 * Bytes [0, size) at p, with a PROT_NONE page on each side (map, maplen: the whole mapping;
 * NULL when p is memory the test made otherwise). seed: the pattern of its content.
 */
struct region {
	uint8_t *p;
	size_t size;
	uint64_t seed;
	uint8_t *map;
	size_t maplen;
};

static size_t page_up(size_t n)
{
	return (n + page_size - 1) / page_size * page_size;
}

/* An anonymous private region of size bytes (none touched yet); false with errno. */
static bool region_alloc(struct region *r, size_t size, uint64_t seed)
{
	size_t body = page_up(size ? size : 1);

	memset(r, 0, sizeof(*r));
	r->maplen = body + 2 * page_size;
	r->map = mmap(NULL, r->maplen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return false;
	}
	if (mprotect(r->map + page_size, body, PROT_READ | PROT_WRITE)) {
		int err = errno;

		munmap(r->map, r->maplen);
		r->map = NULL;
		errno = err;
		return false;
	}
	r->p = r->map + page_size;
	r->size = size;
	r->seed = seed;
	return true;
}

static void region_free(struct region *r)
{
	if (r->map)
		munmap(r->map, r->maplen);
	r->map = NULL;
	r->p = NULL;
}

/* A region over memory the test mapped itself. */
static struct region region_at(void *p, size_t size, uint64_t seed)
{
	struct region r = { .p = p, .size = size, .seed = seed };

	return r;
}

#define REGION(r, size, seed) do { \
	ASSERT_TRUE(region_alloc((r), (size), (seed))) \
		TH_LOG("mmap of %zu bytes: %s", (size_t)(size), strerror(errno)); \
} while (0)

/* [off - GUARD, off + len + GUARD), clamped to [0, size). */
static void guard_window(size_t size, size_t off, size_t len, size_t *a, size_t *b)
{
	*a = off > GUARD ? off - GUARD : 0;
	*b = size - (off + len) > GUARD ? off + len + GUARD : size;
}

/* ------------------------------------------------------------------------ */
/* Pinned user pages, system-wide (the guest runs nothing else that pins).   */

struct pins {
	bool ok;
	uint64_t acquired, released;
};

static void pins_read(struct pins *p)
{
	char line[256];
	int seen = 0;
	FILE *f;

	memset(p, 0, sizeof(*p));
	/* Folds every CPU's pending counts into the totals (root only). */
	write_text("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/vmstat", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "nr_foll_pin_acquired %llu", &v) == 1) {
			p->acquired = v;
			seen |= 1;
		} else if (sscanf(line, "nr_foll_pin_released %llu", &v) == 1) {
			p->released = v;
			seen |= 2;
		}
	}
	fclose(f);
	p->ok = seen == 3 && geteuid() == 0;
}

/* Pages pinned now, less those pinned at a; what was pinned since a in *got. */
static long long pins_held_since(const struct pins *a, const struct pins *b, uint64_t *got)
{
	*got = b->acquired - a->acquired;
	return (long long)(b->acquired - b->released) - (long long)(a->acquired - a->released);
}

/*
 * Every page that the driver pinned since the fixture's start is unpinned again. A pin is
 * dropped as the call returns; the killed and unbound cases give it a moment.
 */
#define EXPECT_UNPINNED(self, what) do { \
	struct pins __b; \
	uint64_t __got = 0; \
	long long __held = 0; \
	int __try; \
	for (__try = 0; __try < 50; __try++) { \
		pins_read(&__b); \
		if (!__b.ok || !(self)->pins.ok) \
			break; \
		__held = pins_held_since(&(self)->pins, &__b, &__got); \
		if (!__held) \
			break; \
		sleep_ms(20); \
	} \
	if (__b.ok && (self)->pins.ok) { \
		EXPECT_EQ(0LL, __held) TH_LOG("%s: %lld user pages still pinned (of %" PRIu64 \
					      " pinned since the test started)", (what), __held, __got); \
		TH_LOG("%s: %" PRIu64 " user pages pinned and unpinned", (what), __got); \
	} else { \
		TH_LOG("%s: pinned pages not counted (needs root and /proc/vmstat nr_foll_pin_*)", \
		       (what)); \
	} \
} while (0)

/* ------------------------------------------------------------------------ */
/* ioctls: 0 on success, else the errno (or -ret for ret > 0).               */

static struct dmacopy_copy_user mkcu(const void *src, void *dst, uint64_t len, __u32 mode)
{
	struct dmacopy_copy_user c;

	memset(&c, 0, sizeof(c));
	c.src = (uintptr_t)src;
	c.dst = (uintptr_t)dst;
	c.len = len;
	c.mode = mode;
	return c;
}

/* COPY_USER with the out fields poisoned, so that stale values show. */
static int cu_call(int fd, struct dmacopy_copy_user *c)
{
	memset(&c->elapsed_ns, 0xcc, sizeof(c->elapsed_ns));
	memset(&c->mode_used, 0xcc, sizeof(c->mode_used));
	memset(&c->hw_status, 0xcc, sizeof(c->hw_status));
	return ioctl_result(ioctl(fd, DMACOPY_IOC_COPY_USER, c));
}

/* Entries' out fields all set to MARK bytes. */
static void mark_outs(struct dmacopy_copy *e, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		memset(&e[i].elapsed_ns, MARK, sizeof(e[i].elapsed_ns));
		memset(&e[i].mode_used, MARK, sizeof(e[i].mode_used));
		memset(&e[i].hw_status, MARK, sizeof(e[i].hw_status));
	}
}

static bool outs_marked(const struct dmacopy_copy *e)
{
	struct dmacopy_copy m;

	memset(&m, MARK, sizeof(m));
	return !memcmp(&e->elapsed_ns, &m.elapsed_ns, sizeof(e->elapsed_ns)) &&
	       !memcmp(&e->mode_used, &m.mode_used, sizeof(e->mode_used)) &&
	       !memcmp(&e->hw_status, &m.hw_status, sizeof(e->hw_status));
}

static struct dmacopy_batch mkbatch(struct dmacopy_copy *e, unsigned int count)
{
	struct dmacopy_batch b;

	memset(&b, 0, sizeof(b));
	b.copies = (uintptr_t)e;
	b.count = count;
	return b;
}

/* COPY_BATCH with the batch's out fields poisoned. */
static int batch_call(int fd, struct dmacopy_batch *b)
{
	memset(&b->elapsed_ns, 0xcc, sizeof(b->elapsed_ns));
	memset(&b->done, 0xcc, sizeof(b->done));
	return ioctl_result(ioctl(fd, DMACOPY_IOC_COPY_BATCH, b));
}

/* ------------------------------------------------------------------------ */
/* Nodes.                                                                    */

struct node {
	int idx;
	int fd;
	struct dmacopy_info info;
	const struct dmacopy_ctl *ctl;
	uint64_t size;			/* buf_size */
	uint8_t *win;			/* the window, when mapped */
	uint8_t *src, *dst;
};

/* Opens /dev/dmacopy<idx> and reads INFO; maps the whole window if map. */
static void node_open(struct __test_metadata *_metadata, struct node *n, int idx, bool map)
{
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
	if (!map)
		return;
	n->win = mmap(NULL, 2 * n->size, PROT_READ | PROT_WRITE, MAP_SHARED, n->fd, 0);
	ASSERT_NE(MAP_FAILED, n->win) TH_LOG("mmap of /dev/dmacopy%d: %s", idx, strerror(errno));
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

static uint64_t node_align(const struct node *n)
{
	return n->info.align ? n->info.align : 1;
}

static __u32 mode_wanted(__u32 mode, uint64_t len, const struct dmacopy_info *info)
{
	if (mode != DMACOPY_MODE_AUTO)
		return mode;
	return len < info->auto_threshold ? DMACOPY_MODE_CPU : DMACOPY_MODE_DMA;
}

static const char *mode_name(__u32 mode)
{
	switch (mode) {
	case DMACOPY_MODE_DMA:
		return "DMA";
	case DMACOPY_MODE_CPU:
		return "CPU";
	case DMACOPY_MODE_AUTO:
		return "AUTO";
	}
	return "?";
}

/* The checks of "DMA mode" hw_status: the controller's done bits, none of its error bits. */
static bool hw_done_ok(const struct node *n, __u32 hw)
{
	return (hw & n->ctl->hw_done) == n->ctl->hw_done && !(hw & n->ctl->hw_err);
}

/*
 * ARCH_DMA_MINALIGN on arm64. The header: in DMA mode "the bytes of the destination outside
 * whole DMA cache lines (at most 127 at each end on arm64) ... and all of a copy whose two
 * ranges are misaligned with each other modulo align ... are copied by the CPU"; "@mode_used is
 * DMACOPY_MODE_CPU only when no byte went by DMA".
 */
#define DMA_LINE	128

/* Whether a COPY_USER in DMA mode has the controller move any byte (see DMA_LINE). */
static bool cu_dma_moves(const struct node *n, uint64_t src, uint64_t dst, uint64_t len)
{
	uint64_t a = node_align(n), line = a < DMA_LINE ? DMA_LINE : a;
	uint64_t first = (dst + line - 1) / line * line;

	if ((src ^ dst) % a)
		return false;
	return first - dst < len && len - (first - dst) >= line;
}

/* The mode_used of a COPY_USER that succeeded. */
static __u32 cu_mode_wanted(const struct node *n, const struct dmacopy_copy_user *in)
{
	__u32 want = mode_wanted(in->mode, in->len, &n->info);

	if (want == DMACOPY_MODE_DMA && !cu_dma_moves(n, in->src, in->dst, in->len))
		return DMACOPY_MODE_CPU;
	return want;
}

/*
 * The out fields of a COPY_USER that returned 0 after wall ns, and its in fields echoed:
 * mode_used as cu_mode_wanted() says; hw_status 0 when no byte went by DMA, else the
 * controller's done bits and none of its error bits.
 */
static bool cu_out_ok(const struct node *n, const struct dmacopy_copy_user *in,
		      const struct dmacopy_copy_user *out, uint64_t wall, char *msg, size_t len)
{
	__u32 want = cu_mode_wanted(n, in);
	uint64_t a = node_align(n);

	if (out->src != in->src || out->dst != in->dst || out->len != in->len ||
	    out->mode != in->mode || out->flags != in->flags || out->timeout_ns != in->timeout_ns) {
		snprintf(msg, len, "in fields changed by the call");
		return false;
	}
	if (out->mode_used != want) {
		snprintf(msg, len, "mode %s len %llu, src %% %u = %llu, dst %% %u = %llu (auto_threshold"
			 " %llu, align %llu): mode_used %u, want %u", mode_name(in->mode),
			 U64(in->len), DMA_LINE, U64(in->src % DMA_LINE), DMA_LINE,
			 U64(in->dst % DMA_LINE), U64(n->info.auto_threshold), U64(a),
			 out->mode_used, want);
		return false;
	}
	if (want == DMACOPY_MODE_CPU && out->hw_status) {
		snprintf(msg, len, "copy by the CPU (mode %s len %llu): hw_status %#x, want 0",
			 mode_name(in->mode), U64(in->len), out->hw_status);
		return false;
	}
	if (want == DMACOPY_MODE_DMA && !hw_done_ok(n, out->hw_status)) {
		snprintf(msg, len, "DMA copy (len %llu): hw_status %#x, want %s's done bits %#x and"
			 " no error bit %#x", U64(in->len), out->hw_status, n->ctl->name,
			 n->ctl->hw_done, n->ctl->hw_err);
		return false;
	}
	if (out->elapsed_ns > wall) {
		snprintf(msg, len, "elapsed_ns %llu, more than the call's wall time %llu ns",
			 U64(out->elapsed_ns), U64(wall));
		return false;
	}
	if (out->reserved[0] || out->reserved[1]) {
		snprintf(msg, len, "reserved out fields %#llx %#llx, want 0",
			 U64(out->reserved[0]), U64(out->reserved[1]));
		return false;
	}
	return true;
}

/* How a cu_check() finds and leaves its buffers. */
#define CU_SRC_READY	(1U << 0)	/* the source already holds its pattern (read-only) */
#define CU_SRC_ZERO	(1U << 1)	/* the source was never touched: zeros */
#define CU_DST_FRESH	(1U << 2)	/* the destination was never touched: zeros around it */
#define CU_DST_READY	(1U << 3)	/* the destination already holds its pattern (fork) */

/*
 * One COPY_USER that must succeed, checked in full: len bytes from S->p + so to D->p + dof in
 * mode (timeout_ns 0, or CU_BIG_TIMEOUT above CU_BIG bytes). Fills the source and the
 * destination (with GUARD bytes around each) with their patterns first (see flags). false,
 * with what was wrong in msg, on failure. No harness calls: threads use it.
 */
static bool cu_check(const struct node *n, const struct region *S, size_t so,
		     const struct region *D, size_t dof, size_t len, __u32 mode, unsigned int flags,
		     char *msg, size_t msglen)
{
	struct dmacopy_copy_user in, c;
	size_t sa, sb, da, db, at;
	char why[256];
	uint64_t t0, wall;
	int ret;

	guard_window(S->size, so, len, &sa, &sb);
	guard_window(D->size, dof, len, &da, &db);
	if (!(flags & (CU_SRC_READY | CU_SRC_ZERO)))
		pat_fill(S->p, sa, sb, S->seed);
	if (!(flags & (CU_DST_FRESH | CU_DST_READY)))
		pat_fill(D->p, da, db, D->seed);

	in = mkcu(S->p + so, D->p + dof, len, mode);
	if (len > CU_BIG)
		in.timeout_ns = CU_BIG_TIMEOUT;
	c = in;
	t0 = now_ns();
	ret = cu_call(n->fd, &c);
	wall = now_ns() - t0;
	if (ret) {
		snprintf(msg, msglen, "COPY_USER %s len %zu src %p (page offset %zu) dst %p"
			 " (page offset %zu) on /dev/dmacopy%d: errno %d (%s)", mode_name(mode),
			 len, (void *)(S->p + so), (size_t)((uintptr_t)(S->p + so) % page_size),
			 (void *)(D->p + dof), (size_t)((uintptr_t)(D->p + dof) % page_size),
			 n->idx, ret, strerror(ret));
		return false;
	}
	if (!cu_out_ok(n, &in, &c, wall, why, sizeof(why))) {
		snprintf(msg, msglen, "COPY_USER %s len %zu src %p dst %p: %s", mode_name(mode), len,
			 (void *)(S->p + so), (void *)(D->p + dof), why);
		return false;
	}
	/* The source (and around it) unchanged. */
	at = flags & CU_SRC_ZERO ? zero_mismatch(S->p, sa, sb) : pat_mismatch(S->p, sa, sb, S->seed);
	if (at != SIZE_MAX) {
		snprintf(msg, msglen, "COPY_USER %s len %zu: source byte %zd (of [%zu, +%zu)) changed"
			 " to 0x%02x", mode_name(mode), len, (ssize_t)(at - so), so, len, S->p[at]);
		return false;
	}
	/* Every byte of the destination. */
	at = first_diff(D->p + dof, S->p + so, len);
	if (at != len) {
		snprintf(msg, msglen, "COPY_USER %s len %zu src %p dst %p: dst[%zu] = 0x%02x, want"
			 " 0x%02x (src[%zu])", mode_name(mode), len, (void *)(S->p + so),
			 (void *)(D->p + dof), at, D->p[dof + at], S->p[so + at], at);
		return false;
	}
	/* And nothing around it. */
	if (flags & CU_DST_FRESH) {
		at = zero_mismatch(D->p, da, dof);
		if (at == SIZE_MAX)
			at = zero_mismatch(D->p, dof + len, db);
	} else {
		at = pat_mismatch(D->p, da, dof, D->seed);
		if (at == SIZE_MAX)
			at = pat_mismatch(D->p, dof + len, db, D->seed);
	}
	if (at != SIZE_MAX) {
		snprintf(msg, msglen, "COPY_USER %s len %zu dst %p: byte %zd from the destination's"
			 " start (outside it) was written: 0x%02x", mode_name(mode), len,
			 (void *)(D->p + dof), (ssize_t)at - (ssize_t)dof, D->p[at]);
		return false;
	}
	return true;
}

#define CU_CHECK(n, S, so, D, dof, len, mode, flags) do { \
	char __msg[512]; \
	bool __ok = cu_check((n), (S), (so), (D), (dof), (len), (mode), (flags), __msg, \
			     sizeof(__msg)); \
	ASSERT_TRUE(__ok) TH_LOG("%s", __msg); \
} while (0)

/* A COPY_USER that must fail with want, changing nothing in the destination's window. */
static bool cu_fails(const struct node *n, const void *src, void *dst, uint64_t len, __u32 mode,
		     int want, char *msg, size_t msglen)
{
	struct dmacopy_copy_user c = mkcu(src, dst, len, mode);
	int ret = cu_call(n->fd, &c);

	if (ret != want) {
		snprintf(msg, msglen, "COPY_USER %s src %p dst %p len %llu: errno %d (%s), want %d"
			 " (%s)", mode_name(mode), src, dst, U64(len), ret, strerror(ret), want,
			 strerror(want));
		return false;
	}
	return true;
}

#define CU_FAILS(n, src, dst, len, mode, want) do { \
	char __msg[256]; \
	bool __ok = cu_fails((n), (src), (dst), (len), (mode), (want), __msg, sizeof(__msg)); \
	EXPECT_TRUE(__ok) TH_LOG("%s", __msg); \
} while (0)

/* ------------------------------------------------------------------------ */
/* debugfs.                                                                  */

static int write_inject(int idx, const char *word)
{
	char path[128];

	debugfs_path(path, sizeof(path), idx, "inject");
	return write_text(path, word);
}

/* One counter of the node's debugfs stats; -1 if it cannot be read. */
static long long read_stat(int idx, const char *name)
{
	char path[128], line[256];
	size_t len = strlen(name);
	long long v = -1;
	FILE *f;

	debugfs_path(path, sizeof(path), idx, "stats");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = strtoll(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

#define NEED_DEBUGFS(idx) do { \
	char __why[256]; \
	if (!debugfs_usable((idx), "inject", W_OK, __why, sizeof(__why))) \
		SKIP(return, "%s", __why); \
} while (0)

#define ARM(self, idx, word) do { \
	int __ret = write_inject((idx), (word)); \
	ASSERT_EQ(0, __ret) TH_LOG("write '%s' to inject of dmacopy%d: %s", (word), (idx), \
				   strerror(__ret)); \
	(self)->armed = (idx); \
} while (0)

/* ------------------------------------------------------------------------ */
/* sysfs.                                                                    */

/* ------------------------------------------------------------------------ */
/* The kernel log.                                                           */

/* ------------------------------------------------------------------------ */

FIXTURE(zc) {
	int nchan;
	int armed;		/* node whose inject a test armed, or -1 */
	bool unbound;
	struct pins pins;	/* at the start */
};

FIXTURE_SETUP(zc)
{
	int top;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	self->armed = -1;
	self->unbound = false;
	if (geteuid() == 0 && bind_orphans()) {
		TH_LOG("bound device(s) left unbound by an earlier test");
		wait_nodes(board_expected_nodes(), 5000);
	}
	self->nchan = board_count_nodes("/dev", &top);
	ASSERT_LE(1, self->nchan) TH_LOG("no /dev/dmacopyN: is dmacopy loaded and bound?");
	ASSERT_GE(MAX_CHANNELS, top);
	pins_read(&self->pins);
}

FIXTURE_TEARDOWN(zc)
{
	if (self->armed >= 0)
		write_inject(self->armed, "none");
	if (self->unbound)
		bind_orphans();
}

static int node_for(const FIXTURE_DATA(zc) *self, int want)
{
	return want % self->nchan;
}

#define CAP_SKIP_COPY_USER(n) do { \
	if (!((n)->info.caps & DMACOPY_CAP_COPY_USER)) \
		SKIP(node_close(n); return, \
		     "/dev/dmacopy%d (%s): caps %#x has no DMACOPY_CAP_COPY_USER: the driver does" \
		     " not implement COPY_USER yet", (n)->idx, (n)->ctl->name, (n)->info.caps); \
} while (0)

#define CAP_SKIP_BATCH(n) do { \
	if (!((n)->info.caps & DMACOPY_CAP_BATCH)) \
		SKIP(node_close(n); return, \
		     "/dev/dmacopy%d (%s): caps %#x has no DMACOPY_CAP_BATCH: the driver does" \
		     " not implement COPY_BATCH yet", (n)->idx, (n)->ctl->name, (n)->info.caps); \
} while (0)

/* Opens a test's node for COPY_USER (skips without the caps bit). */
#define OPEN_CU(n, which) do { \
	node_open(_metadata, (n), node_for(self, (which)), false); \
	CAP_SKIP_COPY_USER(n); \
} while (0)

/* Opens a test's node for COPY_BATCH, its window mapped. */
#define OPEN_BATCH(n, which) do { \
	node_open(_metadata, (n), node_for(self, (which)), true); \
	CAP_SKIP_BATCH(n); \
} while (0)

static const __u32 all_modes[] = { DMACOPY_MODE_DMA, DMACOPY_MODE_CPU, DMACOPY_MODE_AUTO };

/* ------------------------------------------------------------------------ */
/* COPY_USER: lengths.                                                       */

/* Source and destination offsets of the short copies: page offsets apart, across pages. */
static const struct {
	size_t so, dof;
} short_offs[] = {
	{ 64, 64 }, { 4095, 1 }, { 1, 4095 }, { 4096 - 7, 8192 - 3 }, { 2048 + 5, 37 },
	{ 4096, 8192 }, { 100, 3000 }, { 4032, 4033 }, { 8191, 4097 }, { 3, 6 },
};

/* The largest COPY_USER of the sweep: CU_MAX_LEN scaled, a power of two, at least 1 MiB. */
static uint64_t cu_max_len(void)
{
	uint64_t want = CU_MAX_LEN * scale_pct() / 100, p = 1ULL << 20;

	while (p * 2 <= want)
		p *= 2;
	return p;
}

static void run_cu_lengths(struct __test_metadata *_metadata, FIXTURE_DATA(zc) *self, __u32 mode)
{
	uint64_t max = cu_max_len(), done = 0, bytes = 0, t0 = now_ns();
	struct region S, D;
	unsigned int k, o;
	struct node n;
	size_t len;

	OPEN_CU(&n, NODE_COPY);
	/*
	 * Every length from 1 to 4096, at page offsets of their own, across pages (every length to
	 * 256, then every sweep_step()-th, at a DMACOPY_SCALE below 100).
	 */
	REGION(&S, 4 * 4096 + 8192, 0x51);
	REGION(&D, 4 * 4096 + 8192, 0xd1);
	for (len = 1; len <= 4096; len += len < 256 ? 1 : sweep_step()) {
		o = (unsigned int)(len % ARRAY_SIZE(short_offs));
		CU_CHECK(&n, &S, short_offs[o].so, &D, short_offs[o].dof, len, mode, 0);
		done++;
		bytes += len;
	}
	region_free(&S);
	region_free(&D);

	/* Powers of two and odd lengths up to max, at odd page offsets. */
	REGION(&S, max + 4 * page_size, 0x52);
	REGION(&D, max + 4 * page_size, 0xd2);
	for (k = 12; (1ULL << k) <= max; k++) {
		uint64_t p = 1ULL << k;
		uint64_t big[] = { p, k & 1 ? p + 1 : p - 1 };
		uint64_t small[] = { p - 1, p, p + 1, 3 * p + 5 };
		const uint64_t *lens = k < 20 ? small : big;
		unsigned int i, nl = k < 20 ? ARRAY_SIZE(small) : ARRAY_SIZE(big);

		for (i = 0; i < nl; i++) {
			size_t so = (size_t)(k * 131 + i * 7) % page_size + GUARD;
			size_t dof = (size_t)(k * 61 + i * 1001) % page_size + GUARD;

			if (lens[i] > max)
				continue;
			CU_CHECK(&n, &S, so, &D, dof, lens[i], mode, 0);
			done++;
			bytes += lens[i];
		}
	}
	/* The largest, from page boundary to page boundary. */
	CU_CHECK(&n, &S, page_size, &D, page_size, max, mode, 0);
	done++;
	bytes += max;
	region_free(&S);
	region_free(&D);
	TH_LOG("%" PRIu64 " COPY_USER in mode %s, %" PRIu64 " MiB, up to %" PRIu64 " MiB at once,"
	       " in %" PRIu64 " ms (align %u, auto_threshold %llu)", done, mode_name(mode),
	       bytes >> 20, max >> 20, (now_ns() - t0) / NSEC_PER_MSEC, n.info.align,
	       U64(n.info.auto_threshold));
	EXPECT_UNPINNED(self, "lengths");
	node_close(&n);
}

TEST_F_TIMEOUT(zc, cu_lengths_dma, 300)
{
	run_cu_lengths(_metadata, self, DMACOPY_MODE_DMA);
}

TEST_F_TIMEOUT(zc, cu_lengths_cpu, 300)
{
	run_cu_lengths(_metadata, self, DMACOPY_MODE_CPU);
}

TEST_F_TIMEOUT(zc, cu_lengths_auto, 300)
{
	run_cu_lengths(_metadata, self, DMACOPY_MODE_AUTO);
}

/* ------------------------------------------------------------------------ */
/* COPY_USER: alignments.                                                    */

static const size_t align_lens[] = {
	1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
	255, 256, 257, 1000, 4095, 4096, 4097, 8191, 12289,
};

/*
 * Every alignment mod 64 of source and destination: all 64 x 64 pairs, each with a length of
 * align_lens in turn and at page offsets that vary with it; then each length with source and
 * destination alike mod 64 and unlike, at every source alignment. DMACOPY_SCALE thins both.
 */
static void run_cu_align(struct __test_metadata *_metadata, FIXTURE_DATA(zc) *self, __u32 mode)
{
	unsigned int p, s, l, step = sweep_step(), done = 0;
	struct region S, D;
	struct node n;

	OPEN_CU(&n, NODE_COPY);
	REGION(&S, 8 * 4096 + 12289, 0x61);
	REGION(&D, 8 * 4096 + 12289, 0xe1);
	for (p = 0; p < 64 * 64; p += step) {
		size_t len = align_lens[(p + p / 64 * 5) % ARRAY_SIZE(align_lens)];
		size_t so = 4096 + 64 * ((p * 13) % 64) + p / 64;
		size_t dof = 4096 + 64 * ((p * 29) % 64) + p % 64;

		CU_CHECK(&n, &S, so, &D, dof, len, mode, 0);
		done++;
	}
	for (l = 0; l < ARRAY_SIZE(align_lens); l++) {
		for (s = 0; s < 64; s += step) {
			CU_CHECK(&n, &S, 4096 + s, &D, 8192 + s, align_lens[l], mode, 0);
			CU_CHECK(&n, &S, 4096 + s, &D, 4096 + 63 - s, align_lens[l], mode, 0);
			done += 2;
		}
	}
	region_free(&S);
	region_free(&D);
	TH_LOG("%u COPY_USER in mode %s at alignments mod 64 (step %u)", done, mode_name(mode),
	       step);
	EXPECT_UNPINNED(self, "alignments");
	node_close(&n);
}

TEST_F_TIMEOUT(zc, cu_align_dma, 300)
{
	run_cu_align(_metadata, self, DMACOPY_MODE_DMA);
}

TEST_F_TIMEOUT(zc, cu_align_cpu, 300)
{
	run_cu_align(_metadata, self, DMACOPY_MODE_CPU);
}

TEST_F_TIMEOUT(zc, cu_align_auto, 300)
{
	run_cu_align(_metadata, self, DMACOPY_MODE_AUTO);
}

/* ------------------------------------------------------------------------ */
/* COPY_USER: many pages, page offsets, kinds of memory.                    */

/* Ranges across many pages, source and destination at different page offsets. */
TEST_F_TIMEOUT(zc, cu_pages, 180)
{
	static const struct {
		size_t so, dof, len;
	} cases[] = {
		{ 4095, 1, 37 * 4096 + 123 },
		{ 1, 4095, 37 * 4096 + 123 },
		{ 2048 + 3, 100, 256 * 4096 + 5 },
		{ 4095, 4095, 2 * 4096 },
		{ 4094, 4095, 3 },
		{ 4096, 8191, 4096 + 1 },
		{ 17, 4096 - 17, 1025 * 4096 + 777 },
		{ 0, 0, 300 * 4096 },
		{ 4096 - 64, 64, 64 * 4096 - 1 },
	};
	struct region S, D;
	unsigned int i, m;
	struct node n;

	OPEN_CU(&n, NODE_COPY);
	REGION(&S, 1030 * 4096 + 8192, 0x71);
	REGION(&D, 1030 * 4096 + 8192, 0xf1);
	for (m = 0; m < ARRAY_SIZE(all_modes); m++)
		for (i = 0; i < ARRAY_SIZE(cases); i++)
			CU_CHECK(&n, &S, cases[i].so, &D, cases[i].dof, cases[i].len, all_modes[m], 0);
	region_free(&S);
	region_free(&D);
	EXPECT_UNPINNED(self, "pages");
	node_close(&n);
}

/* Each mode, and both directions (the memory as source, then as destination). */
static void cu_both_ways(struct __test_metadata *_metadata, const struct node *n,
			 const struct region *M, const struct region *plain, size_t len,
			 unsigned int m_flags, const char *what)
{
	unsigned int m;

	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		char msg[512];
		bool ok = cu_check(n, M, 3, plain, 5, len, all_modes[m], 0, msg, sizeof(msg));

		ASSERT_TRUE(ok) TH_LOG("%s as the source: %s", what, msg);
		ok = cu_check(n, plain, 7, M, 1, len, all_modes[m], m_flags, msg, sizeof(msg));
		ASSERT_TRUE(ok) TH_LOG("%s as the destination: %s", what, msg);
	}
}

#define HUGE_SIZE (2UL << 20)
/* Two huge pages: copies cross the boundary between them. */
#define HUGE_AREA (2 * HUGE_SIZE)
#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/*
 * Whether [p, p + len) (huge-page aligned) is backed by huge pages: every page present, each
 * huge page's frames consecutive from a huge-page-aligned frame (/proc/self/pagemap; frame
 * numbers need CAP_SYS_ADMIN). Otherwise false, and why in msg.
 */
static bool thp_backed(const uint8_t *p, size_t len, char *msg, size_t msg_len)
{
	size_t per_huge = HUGE_SIZE / page_size, i;
	uint64_t first = 0;
	bool ok = true;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, msg_len, "/proc/self/pagemap: %s", strerror(errno));
		return false;
	}
	for (i = 0; ok && i < len / page_size; i++) {
		uint64_t e, pfn;

		if (pread(fd, &e, sizeof(e), (off_t)(((uintptr_t)p / page_size + i) * sizeof(e))) !=
		    (ssize_t)sizeof(e)) {
			snprintf(msg, msg_len, "reading /proc/self/pagemap: %s", strerror(errno));
			ok = false;
			continue;
		}
		pfn = e & ((1ULL << 55) - 1);
		if (!(e >> 63) || !pfn) {
			snprintf(msg, msg_len, "page %zu: %s", i, !(e >> 63) ?
				 "not present" : "no frame number (not root?)");
			ok = false;
		} else if (i % per_huge == 0) {
			first = pfn;
			if (pfn % per_huge) {
				snprintf(msg, msg_len, "page %zu: frame %#" PRIx64
					 " does not start a huge page", i, pfn);
				ok = false;
			}
		} else if (pfn != first + i % per_huge) {
			snprintf(msg, msg_len, "page %zu: frame %#" PRIx64 ", not %#" PRIx64
				 ": small pages", i, pfn, first + i % per_huge);
			ok = false;
		}
	}
	close(fd);
	return ok;
}

/*
 * HUGE_AREA bytes of anonymous memory backed by transparent huge pages (madvise(MADV_HUGEPAGE),
 * huge-page aligned inside a larger mapping, returned in *map, HUGE_AREA + HUGE_SIZE long), or
 * NULL and why in msg: no THP in the kernel, THP disabled, or no huge page was free.
 */
static uint8_t *thp_area(uint8_t **map, char *msg, size_t msg_len)
{
	char mode[128];
	uint8_t *m, *a;

	if (read_text(THP_ENABLED, mode, sizeof(mode))) {
		snprintf(msg, msg_len, "this kernel has no THP (%s)", THP_ENABLED);
		return NULL;
	}
	if (strstr(mode, "[never]")) {
		snprintf(msg, msg_len, "THP is disabled (%s: %s)", THP_ENABLED, mode);
		return NULL;
	}
	m = mmap(NULL, HUGE_AREA + HUGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		snprintf(msg, msg_len, "mmap: %s", strerror(errno));
		return NULL;
	}
	a = (uint8_t *)(((uintptr_t)m + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (madvise(a, HUGE_AREA, MADV_HUGEPAGE)) {
		snprintf(msg, msg_len, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
		munmap(m, HUGE_AREA + HUGE_SIZE);
		return NULL;
	}
	memset(a, 0x5c, HUGE_AREA);
	if (!thp_backed(a, HUGE_AREA, msg, msg_len)) {
		munmap(m, HUGE_AREA + HUGE_SIZE);
		return NULL;
	}
	*map = m;
	return a;
}

/*
 * COPY_USER in every mode from and to the huge-page memory at a (HUGE_AREA bytes), across the
 * boundary of its two huge pages, at odd offsets and lengths.
 */
static void huge_both_ways(struct __test_metadata *_metadata, const struct node *n, uint8_t *a,
			   const char *what)
{
	struct region D2, M;
	char msg[512];
	unsigned int m;

	REGION(&D2, HUGE_AREA + 64, 0x8b);
	M = region_at(a, HUGE_AREA, 0x8c);
	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		bool ok = cu_check(n, &M, HUGE_SIZE - 12345, &D2, 7, 1UL << 20,
				   all_modes[m], 0, msg, sizeof(msg));

		ASSERT_TRUE(ok) TH_LOG("%s as the source: %s", what, msg);
		ok = cu_check(n, &D2, 3, &M, HUGE_SIZE - 4097, (1UL << 20) + 5,
			      all_modes[m], 0, msg, sizeof(msg));
		ASSERT_TRUE(ok) TH_LOG("%s as the destination: %s", what, msg);
		/* Whole huge pages, aligned: the largest contiguous segments. */
		ok = cu_check(n, &M, 0, &D2, 64, HUGE_AREA, all_modes[m], 0, msg, sizeof(msg));
		ASSERT_TRUE(ok) TH_LOG("%s, all of it, as the source: %s", what, msg);
		ok = cu_check(n, &D2, 0, &M, 0, HUGE_AREA, all_modes[m], 0, msg, sizeof(msg));
		ASSERT_TRUE(ok) TH_LOG("%s, all of it, as the destination: %s", what, msg);
	}
	TH_LOG("%s: copied from and to them", what);
	region_free(&D2);
}

/*
 * Memory that is not one plain anonymous mapping: moved by mremap(), grown by mremap() (its
 * new pages untouched), two mappings of different kinds (anonymous and shmem) made adjacent,
 * memfd (shared), shared anonymous, a read-only source, a source never touched (the zero
 * page), a destination never touched, the stack, and huge pages (hugetlbfs and transparent)
 * where the kernel has them.
 */
TEST_F_TIMEOUT(zc, cu_memory_kinds, 180)
{
	size_t len = 40 * page_size + 77, area = 64 * page_size;
	struct region plain, M, S2, D2;
	uint8_t *a, *b, *res;
	char msg[512], old_nr[32];
	bool set_nr = false;
	unsigned int m;
	struct node n;
	int mfd;

	OPEN_CU(&n, NODE_COPY);
	REGION(&plain, area, 0x81);

	/* mremap()ed: filled, then moved to another address. */
	a = mmap(NULL, area, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	memset(a, 0x33, area);
	res = mmap(NULL, 2 * area, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	b = mremap(a, area, area, MREMAP_MAYMOVE | MREMAP_FIXED, res + page_size);
	ASSERT_EQ((void *)(res + page_size), (void *)b) TH_LOG("mremap: %s", strerror(errno));
	M = region_at(b, area, 0x82);
	cu_both_ways(_metadata, &n, &M, &plain, len, 0, "moved (mremap) memory");

	/* Grown by mremap() (moved: the reservation is in the way): across the old end. */
	b = mremap(b, area, 2 * area - 2 * page_size, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, b) TH_LOG("mremap to grow: %s", strerror(errno));
	M = region_at(b, 2 * area - 2 * page_size, 0x83);
	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		bool ok = cu_check(&n, &plain, 9, &M, area - 3 * page_size - 5, 6 * page_size + 11,
				   all_modes[m], 0, msg, sizeof(msg));

		ASSERT_TRUE(ok) TH_LOG("grown (mremap) memory: %s", msg);
	}
	munmap(b, 2 * area - 2 * page_size);
	munmap(res, 2 * area);

	/* An anonymous mapping and a memfd one, adjacent: one range over two kinds of memory. */
	mfd = memfd_create("dmacopy_zerocopy", MFD_CLOEXEC);
	ASSERT_LE(0, mfd) TH_LOG("memfd_create: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(mfd, (off_t)area));
	res = mmap(NULL, 2 * area + 2 * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	a = mmap(res + page_size, area, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	b = mmap(res + page_size + area, area, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 mfd, 0);
	ASSERT_NE(MAP_FAILED, b) TH_LOG("mmap of the memfd: %s", strerror(errno));
	M = region_at(a, 2 * area, 0x84);
	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		bool ok = cu_check(&n, &M, area - 5 * page_size - 3, &plain, 1, 11 * page_size,
				   all_modes[m], 0, msg, sizeof(msg));

		ASSERT_TRUE(ok) TH_LOG("anonymous + memfd as the source: %s", msg);
		ok = cu_check(&n, &plain, 2, &M, area - 4 * page_size + 1, 9 * page_size + 5,
			      all_modes[m], 0, msg, sizeof(msg));
		ASSERT_TRUE(ok) TH_LOG("anonymous + memfd as the destination: %s", msg);
	}
	/* The memfd alone. */
	M = region_at(b, area, 0x85);
	cu_both_ways(_metadata, &n, &M, &plain, len, 0, "memfd (shared) memory");
	munmap(res, 2 * area + 2 * page_size);
	close(mfd);

	/* Shared anonymous memory. */
	a = mmap(NULL, area, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	M = region_at(a, area, 0x86);
	cu_both_ways(_metadata, &n, &M, &plain, len, 0, "shared anonymous memory");
	munmap(a, area);

	/* A read-only source: "the source needs read access". */
	REGION(&S2, area, 0x87);
	pat_fill(S2.p, 0, area, S2.seed);
	ASSERT_EQ(0, mprotect(S2.p, page_up(area), PROT_READ));
	for (m = 0; m < ARRAY_SIZE(all_modes); m++)
		CU_CHECK(&n, &S2, 11, &plain, 13, len, all_modes[m], CU_SRC_READY);
	region_free(&S2);

	/* A source never touched reads as zeros; a destination never touched gets the data. */
	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		REGION(&S2, area, 0x88);
		REGION(&D2, area, 0x89);
		CU_CHECK(&n, &S2, page_size + 1, &plain, 3, len, all_modes[m], CU_SRC_ZERO);
		CU_CHECK(&n, &plain, 1, &D2, page_size - 1, len, all_modes[m], CU_DST_FRESH);
		region_free(&S2);
		region_free(&D2);
	}

	/* The stack. */
	{
		uint8_t stack[3 * 4096 + 64];
		struct region St = region_at(stack, sizeof(stack), 0x8a);

		cu_both_ways(_metadata, &n, &St, &plain, 2 * 4096 + 3, 0, "stack memory");
	}

	/* Huge pages: hugetlbfs (MAP_HUGETLB), then transparent huge pages. */
	a = mmap(NULL, HUGE_AREA, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (a == MAP_FAILED && geteuid() == 0 &&
	    read_text(NR_HUGEPAGES, old_nr, sizeof(old_nr)) == 0 &&
	    write_text(NR_HUGEPAGES, "2") == 0) {
		set_nr = true;
		a = mmap(NULL, HUGE_AREA, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	}
	if (a == MAP_FAILED) {
		TH_LOG("MAP_HUGETLB: %s (this kernel has %s): the hugetlbfs case is skipped",
		       strerror(errno), access(NR_HUGEPAGES, F_OK) ?
		       "no hugetlbfs" : "no free huge page");
	} else {
		huge_both_ways(_metadata, &n, a, "hugetlbfs (MAP_HUGETLB) pages");
		munmap(a, HUGE_AREA);
	}
	if (set_nr)
		write_text(NR_HUGEPAGES, old_nr);

	a = thp_area(&res, msg, sizeof(msg));
	if (!a) {
		TH_LOG("transparent huge pages: %s: the THP case is skipped", msg);
	} else {
		huge_both_ways(_metadata, &n, a, "transparent huge pages");
		/* Still huge after the copies: nothing split them. */
		ASSERT_TRUE(thp_backed(a, HUGE_AREA, msg, sizeof(msg)))
			TH_LOG("after the copies: %s", msg);
		munmap(res, HUGE_AREA + HUGE_SIZE);
	}
	region_free(&plain);
	EXPECT_UNPINNED(self, "memory kinds");
	node_close(&n);
}

/*
 * After fork() the pages are shared copy-on-write: a COPY_USER into the parent's memory in DMA
 * mode must write the parent's pages only (the pin for writing breaks the sharing), and the
 * same for the child.
 */
TEST_F_TIMEOUT(zc, cu_fork_cow, 60)
{
	size_t area = 16 * page_size, len = 5 * page_size + 3;
	int to_child[2], to_parent[2], status;
	struct region S, D;
	struct node n;
	char c = 0;
	pid_t pid;

	OPEN_CU(&n, NODE_COPY);
	REGION(&S, area, 0x91);
	REGION(&D, area, 0x92);
	pat_fill(S.p, 0, area, S.seed);
	pat_fill(D.p, 0, area, D.seed);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char msg[512];
		size_t at;
		int code = 0;

		/* Wait for the parent's copy, then look at this side's D: untouched. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(10);
		at = pat_mismatch(D.p, 0, area, D.seed);
		if (at != SIZE_MAX) {
			fprintf(stderr, "# child: its D[%zu] changed by the parent's COPY_USER\n", at);
			code = 11;
		}
		/* Now the child copies into its own D, which the parent checks. */
		if (!code && !cu_check(&n, &S, 100, &D, 200, len, DMACOPY_MODE_DMA,
				       CU_SRC_READY | CU_DST_READY, msg, sizeof(msg))) {
			fprintf(stderr, "# child: %s\n", msg);
			code = 12;
		}
		if (write(to_parent[1], &c, 1) != 1)
			code = 13;
		fflush(stderr);
		_exit(code);
	}
	/*
	 * The parent copies into its D, whose pages are shared with the child until the pin
	 * (nothing is written to S or D before the call).
	 */
	CU_CHECK(&n, &S, 7, &D, 3 * page_size + 1, len, DMACOPY_MODE_DMA,
		 CU_SRC_READY | CU_DST_READY);
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child: status %#x (see its message)", status);
	/* The child's copy did not reach the parent's D: still the parent's own copy only. */
	{
		size_t at = first_diff(D.p + 3 * page_size + 1, S.p + 7, len);

		EXPECT_EQ(len, at) TH_LOG("parent's copy changed at %zu", at);
		at = pat_mismatch(D.p, 0, 3 * page_size + 1, D.seed);
		EXPECT_EQ(SIZE_MAX, at) TH_LOG("parent's D[%zu] changed (by the child?)", at);
		at = pat_mismatch(D.p, 3 * page_size + 1 + len, area, D.seed);
		EXPECT_EQ(SIZE_MAX, at) TH_LOG("parent's D[%zu] changed (by the child?)", at);
	}
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	region_free(&S);
	region_free(&D);
	EXPECT_UNPINNED(self, "fork");
	node_close(&n);
}

/* A COPY_USER on every node: each channel does it. */
TEST_F_TIMEOUT(zc, cu_every_node, 120)
{
	struct region S, D;
	__u32 caps0 = 0;
	int i, tried = 0;

	REGION(&S, 32 * page_size, 0xa1);
	REGION(&D, 32 * page_size, 0xa2);
	for (i = 0; i < MAX_CHANNELS; i++) {
		struct node n;
		int fd = open_node(i);

		if (fd < 0)
			continue;
		close(fd);
		node_open(_metadata, &n, i, false);
		if (!tried++)
			caps0 = n.info.caps;
		EXPECT_EQ(caps0, n.info.caps) TH_LOG("/dev/dmacopy%d: caps %#x, another node %#x",
						     i, n.info.caps, caps0);
		if (!(n.info.caps & DMACOPY_CAP_COPY_USER)) {
			node_close(&n);
			continue;
		}
		CU_CHECK(&n, &S, 5, &D, page_size - 7, 16 * page_size + 3, DMACOPY_MODE_DMA, 0);
		CU_CHECK(&n, &S, 4 * page_size, &D, 8 * page_size, 16 * page_size,
			 DMACOPY_MODE_DMA, 0);
		CU_CHECK(&n, &S, 1, &D, 2, 5000, DMACOPY_MODE_CPU, 0);
		CU_CHECK(&n, &S, 3, &D, 3, 100, DMACOPY_MODE_AUTO, 0);
		node_close(&n);
	}
	region_free(&S);
	region_free(&D);
	if (!(caps0 & DMACOPY_CAP_COPY_USER))
		SKIP(return, "caps %#x has no DMACOPY_CAP_COPY_USER: the driver does not implement"
		     " COPY_USER yet", caps0);
	TH_LOG("COPY_USER on %d node(s)", tried);
	EXPECT_UNPINNED(self, "every node");
}

/* Threads copying at once on one node, and one on another node. */
struct cu_job {
	pthread_t thread;
	const struct node *n;
	struct region S, D;
	int iters, done;
	uint32_t rng;
	char msg[512];
	int failed;
};

static void *cu_job_thread(void *arg)
{
	struct cu_job *j = arg;
	int it;

	for (it = 0; it < j->iters; it++) {
		size_t len = 1 + (size_t)rnd_below(&j->rng, 256 * 1024);
		size_t so = (size_t)rnd_below(&j->rng, j->S.size - len + 1);
		size_t dof = (size_t)rnd_below(&j->rng, j->D.size - len + 1);
		__u32 mode = all_modes[rnd_below(&j->rng, 3)];

		if (!cu_check(j->n, &j->S, so, &j->D, dof, len, mode, 0, j->msg, sizeof(j->msg))) {
			j->failed = 1;
			return NULL;
		}
		j->done++;
	}
	return NULL;
}

#define CU_THREADS	5

TEST_F_TIMEOUT(zc, cu_threads, 180)
{
	struct cu_job jobs[CU_THREADS];
	struct node n, other;
	int t, done = 0;

	OPEN_CU(&n, NODE_COPY);
	node_open(_metadata, &other, (n.idx + 1) % self->nchan, false);
	memset(jobs, 0, sizeof(jobs));
	for (t = 0; t < CU_THREADS; t++) {
		struct cu_job *j = &jobs[t];

		/* The last thread uses another node (the same one if there is only one). */
		j->n = t == CU_THREADS - 1 ? &other : &n;
		REGION(&j->S, 512 * 1024, 0xb0 + (uint64_t)t);
		REGION(&j->D, 512 * 1024, 0xc0 + (uint64_t)t);
		j->iters = (int)scaled(200, 30);
		j->rng = 0x9e3779b9U ^ (uint32_t)(t * 7919 + 1);
	}
	for (t = 0; t < CU_THREADS; t++)
		ASSERT_EQ(0, pthread_create(&jobs[t].thread, NULL, cu_job_thread, &jobs[t]));
	for (t = 0; t < CU_THREADS; t++)
		pthread_join(jobs[t].thread, NULL);
	for (t = 0; t < CU_THREADS; t++) {
		EXPECT_EQ(0, jobs[t].failed) TH_LOG("thread %d: %s", t, jobs[t].msg);
		done += jobs[t].done;
		region_free(&jobs[t].S);
		region_free(&jobs[t].D);
	}
	TH_LOG("%d COPY_USER by %d threads on /dev/dmacopy%d and /dev/dmacopy%d", done,
	       CU_THREADS, n.idx, other.idx);
	node_close(&other);
	EXPECT_UNPINNED(self, "threads");
	node_close(&n);
}

/* ------------------------------------------------------------------------ */
/* COPY_USER: errors.                                                        */

/* The destination's window still holds its pattern: nothing was copied. */
#define EXPECT_UNTOUCHED(R, what) do { \
	size_t __at = pat_mismatch((R)->p, 0, (R)->size, (R)->seed); \
	EXPECT_EQ(SIZE_MAX, __at) TH_LOG("%s: byte %zu written by a call that failed", (what), \
					 __at); \
	if (__at != SIZE_MAX) \
		pat_fill((R)->p, 0, (R)->size, (R)->seed); \
} while (0)

/*
 * A COPY_USER between two ranges of one buffer R that must succeed (they do not overlap):
 * R afterwards is R before with the bytes copied, nothing else.
 */
static bool cu_same_buf(const struct node *n, const struct region *R, size_t so, size_t dof,
			size_t len, __u32 mode, char *msg, size_t msglen)
{
	struct dmacopy_copy_user in, c;
	uint8_t *model = malloc(R->size);
	uint64_t t0, wall;
	char why[256];
	size_t at;
	int ret;

	if (!model) {
		snprintf(msg, msglen, "malloc");
		return false;
	}
	pat_fill(R->p, 0, R->size, R->seed);
	memcpy(model, R->p, R->size);
	memcpy(model + dof, R->p + so, len);
	in = mkcu(R->p + so, R->p + dof, len, mode);
	c = in;
	t0 = now_ns();
	ret = cu_call(n->fd, &c);
	wall = now_ns() - t0;
	if (ret) {
		snprintf(msg, msglen, "COPY_USER %s within one buffer, src +%zu dst +%zu len %zu"
			 " (apart): errno %d (%s)", mode_name(mode), so, dof, len, ret,
			 strerror(ret));
		free(model);
		return false;
	}
	if (!cu_out_ok(n, &in, &c, wall, why, sizeof(why))) {
		snprintf(msg, msglen, "COPY_USER within one buffer: %s", why);
		free(model);
		return false;
	}
	at = first_diff(R->p, model, R->size);
	free(model);
	if (at != R->size) {
		snprintf(msg, msglen, "COPY_USER %s within one buffer, src +%zu dst +%zu len %zu:"
			 " byte %zu wrong", mode_name(mode), so, dof, len, at);
		return false;
	}
	pat_fill(R->p, 0, R->size, R->seed);
	return true;
}

/*
 * EINVAL: len 0 and above 1 GiB, unknown mode, nonzero flags or reserved, overlapping ranges
 * (identical, partly either way, one inside the other, by one byte); nothing is written.
 * Adjacent ranges do not overlap and work.
 */
TEST_F_TIMEOUT(zc, cu_errno_einval, 120)
{
	static const __u32 bad_modes[] = { 3, 4, 0x100, 0xffffffffU };
	size_t area = 64 * page_size, len = 8 * page_size + 3;
	struct dmacopy_copy_user c;
	struct region S, D, O;
	unsigned int m, i, b;
	uint8_t *big_s, *big_d;
	size_t big = ((size_t)DMACOPY_COPY_USER_MAX_LEN) + page_size;
	struct node n;
	int ret;

	OPEN_CU(&n, NODE_COPY);
	REGION(&S, area, 0xa5);
	REGION(&D, area, 0xa6);
	REGION(&O, area, 0xa7);
	pat_fill(S.p, 0, area, S.seed);
	pat_fill(D.p, 0, area, D.seed);
	pat_fill(O.p, 0, area, O.seed);

	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		__u32 mode = all_modes[m];
		struct {
			size_t s, d, l;
			const char *what;
		} overlaps[] = {
			{ 0, 0, len, "identical ranges" },
			{ 100, 100 + len / 2, len, "destination starts inside the source" },
			{ 100 + len / 2, 100, len, "source starts inside the destination" },
			{ 100, 100 + len - 1, len, "the last source byte is the first destination's" },
			{ 100 + len - 1, 100, len, "the last destination byte is the first source's" },
			{ 0, 4096, 3 * 4096, "destination inside the source (page-aligned)" },
			{ 4096, 4096 - 1, 3 * 4096, "source inside the destination but for a byte" },
			{ 5, 7, 3, "by one byte, 3 bytes long" },
			/* Adjacent, either way, and a byte apart: these work. */
			{ 100, 100 + len, len, "" },
			{ 100 + len, 100, len, "" },
			{ 1000, 1001, 1, "" },
			{ 1001, 1000, 1, "" },
			{ 6, 9, 3, "" },
		};

		/* len 0, len above the limit (the ranges accessible: the length is what is wrong). */
		CU_FAILS(&n, S.p, D.p, 0, mode, EINVAL);
		EXPECT_UNTOUCHED(&D, "len 0");
		for (i = 0; i < ARRAY_SIZE(bad_modes); i++) {
			c = mkcu(S.p, D.p, len, bad_modes[i]);
			ret = cu_call(n.fd, &c);
			EXPECT_EQ(EINVAL, ret) TH_LOG("mode %#x: %s", bad_modes[i], strerror(ret));
		}
		EXPECT_UNTOUCHED(&D, "unknown mode");
		for (b = 0; b < 32; b++) {
			c = mkcu(S.p, D.p, len, mode);
			c.flags = 1U << b;
			ret = cu_call(n.fd, &c);
			EXPECT_EQ(EINVAL, ret) TH_LOG("%s, flags %#x: %s", mode_name(mode), c.flags,
						      strerror(ret));
		}
		for (i = 0; i < 2; i++) {
			c = mkcu(S.p, D.p, len, mode);
			c.reserved[i] = i ? 1ULL << 63 : 1;
			ret = cu_call(n.fd, &c);
			EXPECT_EQ(EINVAL, ret) TH_LOG("%s, reserved[%u] %#llx: %s", mode_name(mode), i,
						      U64(c.reserved[i]), strerror(ret));
		}
		EXPECT_UNTOUCHED(&D, "flags or reserved");

		/* Overlapping ranges, in one buffer. */
		for (i = 0; i < ARRAY_SIZE(overlaps); i++) {
			if (!overlaps[i].what[0]) {
				char msg[512];
				bool ok = cu_same_buf(&n, &O, overlaps[i].s, overlaps[i].d,
						      overlaps[i].l, mode, msg, sizeof(msg));

				EXPECT_TRUE(ok) TH_LOG("%s", msg);
				continue;
			}
			pat_fill(O.p, 0, area, O.seed);
			c = mkcu(O.p + overlaps[i].s, O.p + overlaps[i].d, overlaps[i].l, mode);
			ret = cu_call(n.fd, &c);
			EXPECT_EQ(EINVAL, ret) TH_LOG("%s, %s (src +%zu dst +%zu len %zu): %s",
						      mode_name(mode), overlaps[i].what, overlaps[i].s,
						      overlaps[i].d, overlaps[i].l, strerror(ret));
			EXPECT_UNTOUCHED(&O, overlaps[i].what);
		}
	}

	/*
	 * Above 1 GiB, with both ranges mapped (never touched: the source read-only, no memory
	 * is used unless the driver wrongly copies): EINVAL, not EFAULT.
	 */
	big_s = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, big_s) TH_LOG("mmap of 1 GiB: %s", strerror(errno));
	big_d = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	ASSERT_NE(MAP_FAILED, big_d) TH_LOG("mmap of 1 GiB: %s", strerror(errno));
	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		static const uint64_t lens[] = {
			DMACOPY_COPY_USER_MAX_LEN + 1ULL, DMACOPY_COPY_USER_MAX_LEN + 4096ULL,
			1ULL << 40, 1ULL << 63, UINT64_MAX,
		};

		for (i = 0; i < ARRAY_SIZE(lens); i++)
			CU_FAILS(&n, big_s, big_d, lens[i], all_modes[m], EINVAL);
	}
	munmap(big_s, big);
	munmap(big_d, big);

	/* The channel works. */
	CU_CHECK(&n, &S, 1, &D, 2, len, DMACOPY_MODE_DMA, 0);
	region_free(&S);
	region_free(&D);
	region_free(&O);
	EXPECT_UNPINNED(self, "EINVAL");
	node_close(&n);
}

/*
 * EFAULT: "a COPY_USER range is not accessible as it needs to be": a read-only destination,
 * unmapped and PROT_NONE ranges (wholly or their last page), NULL, kernel addresses, a range
 * that wraps; the argument struct itself. A limit-sized len is not EINVAL.
 */
TEST_F_TIMEOUT(zc, cu_errno_efault, 120)
{
	size_t area = 16 * page_size, len = 3 * page_size + 5;
	struct region S, D, RO;
	struct dmacopy_copy_user *cp;
	uint8_t *hole, *lim_s, *lim_d;
	size_t lim = (size_t)DMACOPY_COPY_USER_MAX_LEN + page_size;
	unsigned char vec[1];
	unsigned int m;
	struct node n;
	int ret;

	OPEN_CU(&n, NODE_COPY);
	REGION(&S, area, 0xb5);
	REGION(&D, area, 0xb6);
	REGION(&RO, area, 0xb7);
	pat_fill(S.p, 0, area, S.seed);
	pat_fill(D.p, 0, area, D.seed);
	pat_fill(RO.p, 0, area, RO.seed);
	ASSERT_EQ(0, mprotect(RO.p, area, PROT_READ));
	/*
	 * An unmapped hole between two PROT_NONE mappings (so that only a mapping as small as it
	 * could land there; this test maps nothing before its uses).
	 */
	hole = mmap(NULL, 3 * area, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	hole += area;
	ASSERT_EQ(0, munmap(hole, area));
	ASSERT_EQ(-1, mincore(hole, page_size, vec));
	ASSERT_EQ(ENOMEM, errno) TH_LOG("the hole at %p is mapped", (void *)hole);

	for (m = 0; m < ARRAY_SIZE(all_modes); m++) {
		__u32 mode = all_modes[m];

		/*
		 * A read-only destination: wholly, or its last page (never written: a DMA write
		 * there would mean the pages were not pinned for writing).
		 */
		CU_FAILS(&n, S.p, RO.p + 1, len, mode, EFAULT);
		CU_FAILS(&n, S.p, RO.p + area - page_size - 1, 2, mode, EFAULT);
		EXPECT_UNTOUCHED(&RO, "read-only destination");
		/*
		 * Ranges whose end is not accessible (the destination's end in a PROT_NONE page,
		 * the source's end unmapped). A CPU copy may have written the accessible part of the
		 * destination first: the spec does not say it may not.
		 */
		CU_FAILS(&n, S.p, D.p + area - page_size - 100, len, mode, EFAULT);
		CU_FAILS(&n, S.p, D.p + area - 2 * page_size, len, mode, EFAULT);
		CU_FAILS(&n, S.p + area - 2 * page_size, D.p, len, mode, EFAULT);
		pat_fill(D.p, 0, area, D.seed);
		/* Ranges not accessible from their first byte: unmapped, PROT_NONE. */
		CU_FAILS(&n, hole, D.p, len, mode, EFAULT);
		CU_FAILS(&n, S.p, hole + 3, len, mode, EFAULT);
		CU_FAILS(&n, S.p - 1, D.p, len, mode, EFAULT);
		CU_FAILS(&n, S.p, D.p - page_size, len, mode, EFAULT);
		/* NULL, the kernel's half, a range that wraps. */
		CU_FAILS(&n, NULL, D.p, len, mode, EFAULT);
		CU_FAILS(&n, S.p, NULL, len, mode, EFAULT);
		CU_FAILS(&n, (void *)8, D.p, 8, mode, EFAULT);
		CU_FAILS(&n, (void *)0xffff000000001000ULL, D.p, len, mode, EFAULT);
		CU_FAILS(&n, S.p, (void *)0xffff000000001000ULL, len, mode, EFAULT);
		CU_FAILS(&n, (void *)(UINTPTR_MAX - 100), D.p, 4096, mode, EFAULT);
		CU_FAILS(&n, S.p, (void *)(UINTPTR_MAX - 100), 4096, mode, EFAULT);
		/* In the last pages: the range does not wrap, rounded out to pages it does. */
		CU_FAILS(&n, (void *)(UINTPTR_MAX - 0x1c2a), D.p, 0x1a70, mode, EFAULT);
		CU_FAILS(&n, S.p, (void *)(UINTPTR_MAX - 0x1c2a), 0x1a70, mode, EFAULT);
		EXPECT_UNTOUCHED(&D, "a range not accessible from its first byte");
	}

	/*
	 * len = the limit, 1 GiB: allowed as a length, so the error is the ranges' (the source's
	 * first page and the destination's first page mapped, the rest PROT_NONE).
	 */
	lim_s = mmap(NULL, lim, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, lim_s);
	lim_d = mmap(NULL, lim, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, lim_d);
	ASSERT_EQ(0, mprotect(lim_s, page_size, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, mprotect(lim_d, page_size, PROT_READ | PROT_WRITE));
	for (m = 0; m < ARRAY_SIZE(all_modes); m++)
		CU_FAILS(&n, lim_s, lim_d, DMACOPY_COPY_USER_MAX_LEN, all_modes[m], EFAULT);
	munmap(lim_s, lim);
	munmap(lim_d, lim);

	/* The argument struct: NULL, unmapped, read-only (the out fields cannot be written). */
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY_USER, NULL));
	EXPECT_EQ(EFAULT, ret) TH_LOG("NULL argument: %s", strerror(ret));
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY_USER, hole));
	EXPECT_EQ(EFAULT, ret) TH_LOG("unmapped argument: %s", strerror(ret));
	cp = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cp);
	*cp = mkcu(S.p, D.p, len, DMACOPY_MODE_CPU);
	ASSERT_EQ(0, mprotect(cp, page_size, PROT_READ));
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY_USER, cp));
	EXPECT_EQ(EFAULT, ret) TH_LOG("read-only argument: %s", strerror(ret));
	munmap(cp, page_size);
	/* The struct across the end of a mapping. */
	cp = (struct dmacopy_copy_user *)(S.p + area - 16);
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY_USER, cp));
	EXPECT_EQ(EFAULT, ret) TH_LOG("argument across the end of a mapping: %s", strerror(ret));

	/* The channel works, by every mode. */
	for (m = 0; m < ARRAY_SIZE(all_modes); m++)
		CU_CHECK(&n, &S, 1, &D, 2, len, all_modes[m], 0);
	ASSERT_EQ(-1, mincore(hole, page_size, vec)) TH_LOG("the hole got mapped meanwhile");
	munmap(hole - area, area);
	munmap(hole + area, area);
	region_free(&S);
	region_free(&D);
	region_free(&RO);
	EXPECT_UNPINNED(self, "EFAULT");
	node_close(&n);
}

/* ------------------------------------------------------------------------ */
/* COPY_USER: faults.                                                        */

/*
 * inject timeout (the completion interrupt is ignored) and error (the copy completes flagged
 * with an error), on a COPY_USER in DMA mode that the controller surely moves (aligned): the
 * errno, the out fields written back (mode_used DMA; on EIO hw_status with the controller's
 * injected error bit), the destination's surroundings untouched, the pages unpinned, and the
 * next copies work.
 */
static void run_cu_fault(struct __test_metadata *_metadata, FIXTURE_DATA(zc) *self,
			 const char *word)
{
	bool timeout = !strcmp(word, "timeout") || !strcmp(word, "stall");
	int want = timeout ? ETIMEDOUT : EIO, ret, round;
	size_t len = 64 * 1024, area = len + 8 * page_size;
	struct dmacopy_copy_user in, c;
	long long st0, st1;
	const char *stat = timeout ? "timeouts" : "errors";
	struct region S, D;
	uint64_t t0, wall;
	struct node n;
	size_t at;

	node_open(_metadata, &n, node_for(self, NODE_FAULT), false);
	CAP_SKIP_COPY_USER(&n);
	NEED_DEBUGFS(n.idx);
	if (!board_offers(n.ctl, word))
		SKIP(return, "%s does not offer inject %s", n.ctl->name, word);
	REGION(&S, area, 0xc5);
	REGION(&D, area, 0xc6);
	ARM(self, n.idx, "none");
	st0 = read_stat(n.idx, stat);

	for (round = 0; round < 2; round++) {
		/* Round 1: across pages at page offsets that differ, still aligned. */
		size_t so = round ? 2 * page_size + 64 : page_size;
		size_t dof = round ? 3 * page_size - 256 : page_size;
		size_t l = round ? len - 64 : len;

		pat_fill(S.p, 0, area, S.seed);
		pat_fill(D.p, 0, area, D.seed);
		ARM(self, n.idx, word);
		in = mkcu(S.p + so, D.p + dof, l, DMACOPY_MODE_DMA);
		in.timeout_ns = 100 * NSEC_PER_MSEC;
		c = in;
		t0 = now_ns();
		ret = cu_call(n.fd, &c);
		wall = now_ns() - t0;
		ASSERT_EQ(want, ret) TH_LOG("COPY_USER (DMA, len %zu, timeout 100 ms) with '%s'"
					    " armed: errno %d (%s) after %" PRIu64 " ms", l, word,
					    ret, strerror(ret), wall / NSEC_PER_MSEC);
		/* The out fields are written back on EIO and ETIMEDOUT too. */
		EXPECT_EQ((__u32)DMACOPY_MODE_DMA, c.mode_used);
		EXPECT_GE(wall, c.elapsed_ns);
		EXPECT_EQ(0U, c.reserved[0]);
		EXPECT_EQ(0U, c.reserved[1]);
		EXPECT_EQ(in.src, c.src);
		EXPECT_EQ(in.dst, c.dst);
		EXPECT_EQ(in.len, c.len);
		if (timeout) {
			/* It waited for the timeout (80 ms allow for HZ=100 rounding), not much longer. */
			EXPECT_LE(80 * NSEC_PER_MSEC, wall)
				TH_LOG("round %d ('%s', src page offset %zu, dst page offset %zu, len"
				       " %zu, timeout_ns 100 ms): ETIMEDOUT after %" PRIu64 " ns,"
				       " elapsed_ns %llu", round, word, so % page_size,
				       dof % page_size, l, wall, U64(c.elapsed_ns));
			EXPECT_GT(5 * NSEC_PER_SEC, wall) TH_LOG("round %d: ETIMEDOUT after %" PRIu64
								  " ns", round, wall);
		} else {
			EXPECT_EQ(n.ctl->hw_injected_err, c.hw_status & n.ctl->hw_injected_err)
				TH_LOG("hw_status %#x, want %s's injected error bit %#x",
				       c.hw_status, n.ctl->name, n.ctl->hw_injected_err);
			EXPECT_NE(0U, c.hw_status & n.ctl->hw_err);
		}
		/* The source is unchanged, and nothing outside the destination was written. */
		at = pat_mismatch(S.p, 0, area, S.seed);
		EXPECT_EQ(SIZE_MAX, at) TH_LOG("source byte %zu changed", at);
		at = pat_mismatch(D.p, 0, dof, D.seed);
		if (at == SIZE_MAX)
			at = pat_mismatch(D.p, dof + l, area, D.seed);
		EXPECT_EQ(SIZE_MAX, at) TH_LOG("destination region byte %zu (outside the range)"
					       " written", at);

		/* The channel was reset: the next copies work at once, by every mode. */
		CU_CHECK(&n, &S, so + 1, &D, dof, l - 1, DMACOPY_MODE_DMA, 0);
		CU_CHECK(&n, &S, so, &D, dof, l, DMACOPY_MODE_DMA, 0);
		CU_CHECK(&n, &S, 3, &D, 5, 1000, DMACOPY_MODE_CPU, 0);
		CU_CHECK(&n, &S, 3, &D, 5, l, DMACOPY_MODE_AUTO, 0);
	}
	st1 = read_stat(n.idx, stat);
	if (st0 >= 0 && st1 >= 0) {
		EXPECT_EQ(2, st1 - st0) TH_LOG("stats %s grew by %lld", stat, st1 - st0);
	}
	region_free(&S);
	region_free(&D);
	EXPECT_UNPINNED(self, word);
	node_close(&n);
	print_count("injected_faults", 2);
}

TEST_F_TIMEOUT(zc, cu_fault_timeout, 60)
{
	run_cu_fault(_metadata, self, "timeout");
}

TEST_F_TIMEOUT(zc, cu_fault_error, 60)
{
	run_cu_fault(_metadata, self, "error");
}

/* A controller that really hangs: the timeout stops and resets it, the pages are unpinned. */
TEST_F_TIMEOUT(zc, cu_fault_stall, 60)
{
	run_cu_fault(_metadata, self, "stall");
}

/*
 * A process killed while its COPY_USER waits on a stalled controller: it dies at once (the
 * wait is killable), its pages are unpinned, and the channel works for the next caller (the
 * transfer was stopped).
 */
TEST_F_TIMEOUT(zc, cu_stall_kill, 60)
{
	size_t len = 1 << 20;
	struct region S, D;
	int status, i, ret;
	uint64_t t0, wall;
	struct node n;
	pid_t pid;

	node_open(_metadata, &n, node_for(self, NODE_STALL), false);
	CAP_SKIP_COPY_USER(&n);
	NEED_DEBUGFS(n.idx);
	if (!board_offers(n.ctl, "stall"))
		SKIP(return, "%s does not offer inject stall", n.ctl->name);
	REGION(&S, len, 0xd5);
	REGION(&D, len, 0xd6);
	pat_fill(S.p, 0, len, S.seed);
	pat_fill(D.p, 0, len, D.seed);
	ARM(self, n.idx, "none");
	ARM(self, n.idx, "stall");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct dmacopy_copy_user c = mkcu(S.p, D.p, len, DMACOPY_MODE_DMA);

		c.timeout_ns = 20 * NSEC_PER_SEC;
		ret = cu_call(n.fd, &c);
		fprintf(stderr, "# child: COPY_USER on a stalled channel returned: %s\n",
			strerror(ret));
		_exit(1);
	}
	sleep_ms(300);
	ret = waitpid(pid, &status, WNOHANG);
	ASSERT_EQ(0, ret) TH_LOG("the child's copy ended before the kill (status %#x)", status);
	t0 = now_ns();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	for (i = 0; i < 500; i++) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret)
			break;
		sleep_ms(10);
	}
	wall = now_ns() - t0;
	ASSERT_EQ(pid, ret) TH_LOG("the killed child still waits after 5 s");
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("status %#x", status);
	TH_LOG("the killed child was gone after %" PRIu64 " ms", wall / NSEC_PER_MSEC);
	EXPECT_UNPINNED(self, "killed during a stalled COPY_USER");

	/* The next caller's copies work, at once. */
	write_inject(n.idx, "none");
	CU_CHECK(&n, &S, 0, &D, 0, len, DMACOPY_MODE_DMA, 0);
	CU_CHECK(&n, &S, 5, &D, 9, len - 9, DMACOPY_MODE_DMA, 0);
	region_free(&S);
	region_free(&D);
	EXPECT_UNPINNED(self, "after");
	node_close(&n);
	print_count("injected_faults", 1);
}

/* ------------------------------------------------------------------------ */
/* COPY_USER: a signal storm.                                               */

#define STORM_COPIES		((int)scaled(1500, 150))
#define STORM_SECONDS		scaled(25, 10)
/* 50 us, longer at a DMACOPY_SCALE below 100: a slow kernel must still make progress. */
#define STORM_PERIOD_US		(50 * 100 / (int)scale_pct())
/* SA_RESTART only: stop the timer when no call has returned for this long (see below). */
#define STORM_STALL_NS		NSEC_PER_SEC

static unsigned long storm_sigs;
static uint64_t storm_mark;
static int storm_guard;
static int storm_stalled;

static void storm_handler(int sig)
{
	static const struct itimerval off;

	(void)sig;
	__atomic_add_fetch(&storm_sigs, 1, __ATOMIC_RELAXED);
	/*
	 * Under SA_RESTART a copy longer than the period would be restarted forever; the storm
	 * pauses then (the handler's clock_gettime and setitimer are async-signal-safe).
	 */
	if (__atomic_load_n(&storm_guard, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&storm_stalled, __ATOMIC_RELAXED) &&
	    now_ns() - __atomic_load_n(&storm_mark, __ATOMIC_RELAXED) > STORM_STALL_NS) {
		setitimer(ITIMER_REAL, &off, NULL);
		__atomic_store_n(&storm_stalled, 1, __ATOMIC_RELAXED);
	}
}

/*
 * SIGALRM every STORM_PERIOD_US while COPY_USER runs in a loop (random lengths up to 256 KiB
 * and now and then over 1 MiB, random alignments, DMA mostly): without SA_RESTART every call returns 0 (with the data
 * right) or EINTR, never another error; with SA_RESTART every call returns 0. The pages are
 * unpinned after all of them.
 */
static void run_cu_storm(struct __test_metadata *_metadata, FIXTURE_DATA(zc) *self,
			 bool restart)
{
	struct itimerval period = {
		.it_interval = { .tv_sec = 0, .tv_usec = STORM_PERIOD_US },
		.it_value = { .tv_sec = 0, .tv_usec = STORM_PERIOD_US },
	};
	struct itimerval off;
	size_t area = 3 << 20;
	int i, ok = 0, eintr = 0, stalls = 0;
	uint32_t rng = 4242;
	struct sigaction sa;
	struct region S, D;
	uint64_t t0;
	struct node n;

	OPEN_CU(&n, NODE_STORM);
	REGION(&S, area, 0xe5);
	REGION(&D, area, 0xe6);
	pat_fill(S.p, 0, area, S.seed);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = storm_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	storm_sigs = 0;
	storm_mark = now_ns();
	storm_stalled = 0;
	storm_guard = restart;
	t0 = now_ns();
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &period, NULL));

	for (i = 0; i < STORM_COPIES && now_ns() - t0 < STORM_SECONDS * NSEC_PER_SEC; i++) {
		/* Every 32nd over 1 MiB: a copy of several chunks, interruptible between them. */
		size_t len = i % 32 == 31 ? (1 << 20) + (size_t)rnd_below(&rng, 3 << 19) :
			     1 + (size_t)rnd_below(&rng, 256 * 1024);
		size_t so = (size_t)rnd_below(&rng, area - len + 1);
		size_t dof = (size_t)rnd_below(&rng, area - len + 1);
		__u32 mode = i % 8 == 7 ? DMACOPY_MODE_AUTO : DMACOPY_MODE_DMA;
		struct dmacopy_copy_user in, c;
		size_t da, db, at;
		uint64_t c0 = now_ns(), wall;
		char msg[256];
		int ret;

		guard_window(area, dof, len, &da, &db);
		pat_fill(D.p, da, db, D.seed);
		in = mkcu(S.p + so, D.p + dof, len, mode);
		c = in;
		ret = cu_call(n.fd, &c);
		wall = now_ns() - c0;
		__atomic_store_n(&storm_mark, now_ns(), __ATOMIC_RELAXED);
		if (__atomic_load_n(&storm_stalled, __ATOMIC_RELAXED)) {
			stalls++;
			__atomic_store_n(&storm_stalled, 0, __ATOMIC_RELAXED);
			ASSERT_EQ(0, setitimer(ITIMER_REAL, &period, NULL));
		}
		if (ret == 0) {
			ASSERT_TRUE(cu_out_ok(&n, &in, &c, wall, msg, sizeof(msg)))
				TH_LOG("copy %d: %s", i, msg);
			at = first_diff(D.p + dof, S.p + so, len);
			ASSERT_EQ(len, at) TH_LOG("copy %d (len %zu): dst[%zu] wrong", i, len, at);
			at = pat_mismatch(D.p, da, dof, D.seed);
			if (at == SIZE_MAX)
				at = pat_mismatch(D.p, dof + len, db, D.seed);
			ASSERT_EQ(SIZE_MAX, at) TH_LOG("copy %d: byte outside the destination"
						       " written", i);
			ok++;
		} else {
			/* EINTR only; 512 would be ERESTARTSYS leaking out. */
			ASSERT_EQ(EINTR, ret) TH_LOG("copy %d (%s len %zu): errno %d (%s)", i,
						     mode_name(mode), len, ret, strerror(ret));
			eintr++;
		}
		at = pat_mismatch(S.p, so, so + len, S.seed);
		ASSERT_EQ(SIZE_MAX, at) TH_LOG("copy %d: source byte changed", i);
	}
	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);

	TH_LOG("%s: %d COPY_USER done, %d EINTR, %lu signals, %d stalls broken, in %" PRIu64
	       " ms", restart ? "SA_RESTART" : "no SA_RESTART", ok, eintr, storm_sigs, stalls,
	       (now_ns() - t0) / NSEC_PER_MSEC);
	EXPECT_LT(0U, storm_sigs) TH_LOG("the timer never fired");
	ASSERT_LE(1, ok);
	if (restart) {
		EXPECT_EQ(0, eintr) TH_LOG("EINTR under SA_RESTART: the call must be restarted");
	}
	/* The channel still works. */
	CU_CHECK(&n, &S, 1, &D, 3, 200000, DMACOPY_MODE_DMA, 0);
	region_free(&S);
	region_free(&D);
	EXPECT_UNPINNED(self, "signal storm");
	node_close(&n);
}

TEST_F_TIMEOUT(zc, cu_signal_storm_no_restart, 120)
{
	run_cu_storm(_metadata, self, false);
}

TEST_F_TIMEOUT(zc, cu_signal_storm_restart, 120)
{
	run_cu_storm(_metadata, self, true);
}

/* ------------------------------------------------------------------------ */
/* COPY_USER: unbind while one is in flight.                                 */

struct cu_staller {
	pthread_t thread;
	int fd;
	struct dmacopy_copy_user c;
	int ret;
	uint64_t end_ns;
	int done;
};

static void *cu_staller_thread(void *arg)
{
	struct cu_staller *s = arg;

	s->ret = cu_call(s->fd, &s->c);
	s->end_ns = now_ns();
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool cu_staller_wait(struct cu_staller *s, int ms)
{
	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) && ms > 0) {
		sleep_ms(10);
		ms -= 10;
	}
	return __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
}

/*
 * Unbinding the device while a COPY_USER is in flight (stalled in the controller, a 10 s
 * timeout) and another process's COPY_USER waits for its turn: both end with ENODEV when the
 * unbind returns; the pages are unpinned; the buffers can be unmapped and the other process
 * exits cleanly (status 0); binding again gives a node whose COPY_USER works.
 */
TEST_F_TIMEOUT(zc, cu_unbind_in_flight, 120)
{
	size_t len = 4 << 20, clen = 1 << 20;
	struct dmacopy_info before;
	struct cu_staller st;
	char name[128], path[64];
	struct region S, D;
	int ret, status, i, new_idx;
	uint64_t t0, t1, late;
	struct node n;
	pid_t pid;

	node_open(_metadata, &n, node_for(self, NODE_UNBIND), false);
	CAP_SKIP_COPY_USER(&n);
	if (geteuid() != 0)
		SKIP(return, "needs root to unbind a channel");
	if (access(BOARD_DRV_DIR "/unbind", W_OK))
		SKIP(return, BOARD_DRV_DIR "/unbind: %s", strerror(errno));
	NEED_DEBUGFS(n.idx);
	if (!board_offers(n.ctl, "stall"))
		SKIP(return, "%s does not offer inject stall", n.ctl->name);
	before = n.info;
	ret = board_node_dev(n.idx, name, sizeof(name));
	ASSERT_EQ(0, ret) TH_LOG("the device of /dev/dmacopy%d: %s", n.idx, strerror(ret));
	node_path(path, sizeof(path), n.idx);
	REGION(&S, len, 0xf5);
	REGION(&D, len, 0xf6);
	pat_fill(S.p, 0, len, S.seed);
	pat_fill(D.p, 0, len, D.seed);
	ARM(self, n.idx, "none");
	ARM(self, n.idx, "stall");

	/* In flight: this process's thread; stalled in the controller. */
	memset(&st, 0, sizeof(st));
	st.fd = n.fd;
	st.c = mkcu(S.p, D.p, len, DMACOPY_MODE_DMA);
	st.c.timeout_ns = 10 * NSEC_PER_SEC;
	ASSERT_EQ(0, pthread_create(&st.thread, NULL, cu_staller_thread, &st));
	sleep_ms(200);

	/* Waiting for its turn: another process, on a file of its own. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct dmacopy_copy_user c;
		struct region cs, cd;
		int fd = open_node(n.idx), code = 0;

		if (fd < 0 || !region_alloc(&cs, clen, 1) || !region_alloc(&cd, clen, 2))
			_exit(20);
		memset(cs.p, 0x11, clen);
		memset(cd.p, 0x22, clen);
		c = mkcu(cs.p, cd.p, clen, DMACOPY_MODE_DMA);
		c.timeout_ns = 10 * NSEC_PER_SEC;
		ret = cu_call(fd, &c);
		if (ret != ENODEV) {
			fprintf(stderr, "# child: queued COPY_USER at unbind: errno %d (%s), want"
				" ENODEV\n", ret, strerror(ret));
			code = 21;
		}
		/* munmap and close always work. */
		if (munmap(cs.map, cs.maplen) || munmap(cd.map, cd.maplen)) {
			fprintf(stderr, "# child: munmap: %s\n", strerror(errno));
			code = 22;
		}
		if (close(fd)) {
			fprintf(stderr, "# child: close: %s\n", strerror(errno));
			code = 23;
		}
		fflush(stderr);
		_exit(code);
	}
	sleep_ms(300);
	ASSERT_FALSE(__atomic_load_n(&st.done, __ATOMIC_ACQUIRE))
		TH_LOG("the stalled COPY_USER returned %s before the unbind", strerror(st.ret));
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("the queued COPY_USER's process ended before the unbind (status %#x)",
		       status);

	t0 = now_ns();
	self->unbound = true;
	ret = write_text(BOARD_DRV_DIR "/unbind", name);
	t1 = now_ns();
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", name, strerror(ret));
	self->armed = -1;	/* its inject went with it */
	TH_LOG("unbind of %s took %" PRIu64 " ms", name, (t1 - t0) / NSEC_PER_MSEC);
	EXPECT_GT(5 * NSEC_PER_SEC, t1 - t0);
	EXPECT_TRUE(wait_path(path, false, 5000)) TH_LOG("%s still there after unbind", path);

	ASSERT_TRUE(cu_staller_wait(&st, 12000)) TH_LOG("the stalled COPY_USER still waits");
	pthread_join(st.thread, NULL);
	EXPECT_EQ(ENODEV, st.ret) TH_LOG("COPY_USER in flight at unbind: errno %d (%s)", st.ret,
					 strerror(st.ret));
	late = st.end_ns > t1 ? st.end_ns - t1 : 0;
	EXPECT_GT(500 * NSEC_PER_MSEC, late) TH_LOG("returned %" PRIu64 " ms after the unbind",
						    late / NSEC_PER_MSEC);
	for (i = 0; i < 1200; i++) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret)
			break;
		sleep_ms(10);
	}
	if (!ret) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	EXPECT_NE(0, ret) TH_LOG("the process with a queued COPY_USER still waits 12 s after"
				 " the unbind");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("that process's status %#x (see its message)", status);

	/* This process's pages: unpinned, unmapped. */
	EXPECT_UNPINNED(self, "unbind with COPY_USER in flight");
	EXPECT_EQ(0, munmap(S.map, S.maplen)) TH_LOG("munmap: %s", strerror(errno));
	EXPECT_EQ(0, munmap(D.map, D.maplen)) TH_LOG("munmap: %s", strerror(errno));
	S.map = D.map = NULL;
	{
		struct region a, b;
		struct dmacopy_copy_user c;

		REGION(&a, page_size, 1);
		REGION(&b, page_size, 2);
		c = mkcu(a.p, b.p, 64, DMACOPY_MODE_CPU);
		ret = cu_call(n.fd, &c);
		EXPECT_EQ(ENODEV, ret) TH_LOG("COPY_USER on the open file after unbind: %s",
					      strerror(ret));
		region_free(&a);
		region_free(&b);
	}
	EXPECT_EQ(0, close(n.fd));
	n.fd = -1;

	/* Binding again gives a working node. */
	ret = write_text(BOARD_DRV_DIR "/bind", name);
	ASSERT_EQ(0, ret) TH_LOG("bind %s: %s", name, strerror(ret));
	new_idx = find_node(before.reg_base, 5000);
	ASSERT_LE(0, new_idx) TH_LOG("no node for %s after bind", name);
	self->unbound = false;
	wait_nodes(board_expected_nodes(), 5000);
	{
		struct node m;

		node_open(_metadata, &m, new_idx, false);
		EXPECT_EQ(before.caps, m.info.caps);
		REGION(&S, len, 0xf7);
		REGION(&D, len, 0xf8);
		CU_CHECK(&m, &S, 0, &D, 0, len, DMACOPY_MODE_DMA, 0);
		CU_CHECK(&m, &S, 3, &D, 1, 100000, DMACOPY_MODE_DMA, 0);
		CU_CHECK(&m, &S, 3, &D, 1, 100000, DMACOPY_MODE_CPU, 0);
		region_free(&S);
		region_free(&D);
		node_close(&m);
	}
	EXPECT_UNPINNED(self, "after the bind");
	print_count("unbind_rounds", 1);
	print_count("injected_faults", 1);
}

/* ------------------------------------------------------------------------ */
/* COPY_BATCH.                                                               */

/* SRC and DST of the window filled with the patterns of seeds 1 and 2. */
static void win_fill(const struct node *n)
{
	pat_fill(n->src, 0, n->size, 1);
	pat_fill(n->dst, 0, n->size, 2);
}

/* DST holds what model holds; the first difference in msg. */
static bool dst_is(const struct node *n, const uint8_t *model, char *msg, size_t len)
{
	size_t at = first_diff(n->dst, model, n->size);

	if (at == n->size)
		return true;
	snprintf(msg, len, "DST[%zu] = 0x%02x, want 0x%02x", at, n->dst[at], model[at]);
	return false;
}

#define ASSERT_DST(n, model, what) do { \
	char __msg[256]; \
	bool __ok = dst_is((n), (model), __msg, sizeof(__msg)); \
	ASSERT_TRUE(__ok) TH_LOG("%s: %s", (what), __msg); \
} while (0)

#define ASSERT_DST_PRISTINE(n, what) do { \
	size_t __at = pat_mismatch((n)->dst, 0, (n)->size, 2); \
	ASSERT_EQ(SIZE_MAX, __at) TH_LOG("%s: DST[%zu] written", (what), __at); \
} while (0)

/* model: DST's pattern, then each of the entries applied in order. */
static void model_apply(const struct node *n, uint8_t *model, const struct dmacopy_copy *e,
			unsigned int count)
{
	unsigned int i;

	pat_fill(model, 0, n->size, 2);
	for (i = 0; i < count; i++)
		memcpy(model + e[i].dst_off, n->src + e[i].src_off, e[i].len);
}

/* The out fields of a batch entry that completed; its in fields echoed. */
static bool entry_ok(const struct node *n, const struct dmacopy_copy *in,
		     const struct dmacopy_copy *out, uint64_t wall, char *msg, size_t len)
{
	__u32 want = mode_wanted(in->mode, in->len, &n->info);

	if (in->src_off != out->src_off || in->dst_off != out->dst_off || in->len != out->len ||
	    in->mode != out->mode || in->flags != out->flags || in->timeout_ns != out->timeout_ns) {
		snprintf(msg, len, "in fields changed");
		return false;
	}
	if (out->mode_used != want) {
		snprintf(msg, len, "mode %s len %llu: mode_used %u, want %u", mode_name(in->mode),
			 U64(in->len), out->mode_used, want);
		return false;
	}
	if (want == DMACOPY_MODE_CPU && out->hw_status) {
		snprintf(msg, len, "CPU entry: hw_status %#x, want 0", out->hw_status);
		return false;
	}
	if (want == DMACOPY_MODE_DMA && !hw_done_ok(n, out->hw_status)) {
		snprintf(msg, len, "DMA entry: hw_status %#x, want %s's done bits %#x and no error"
			 " bit %#x", out->hw_status, n->ctl->name, n->ctl->hw_done, n->ctl->hw_err);
		return false;
	}
	if (out->elapsed_ns > wall) {
		snprintf(msg, len, "elapsed_ns %llu, more than the batch's wall time %llu",
			 U64(out->elapsed_ns), U64(wall));
		return false;
	}
	if (out->reserved[0] || out->reserved[1]) {
		snprintf(msg, len, "reserved %#llx %#llx", U64(out->reserved[0]),
			 U64(out->reserved[1]));
		return false;
	}
	return true;
}

#define ASSERT_ENTRY_OK(n, in, out, wall, i) do { \
	char __msg[256]; \
	bool __ok = entry_ok((n), (in), (out), (wall), __msg, sizeof(__msg)); \
	ASSERT_TRUE(__ok) TH_LOG("entry %u: %s", (unsigned int)(i), __msg); \
} while (0)

/*
 * A batch that must succeed: 0, done = count, each entry's out fields, the batch's; DST as
 * the model says. in: the entries as given (kept), e: the array the call used.
 */
static void batch_checked_timeout(struct __test_metadata *_metadata, const struct node *n,
				  const struct dmacopy_copy *in, struct dmacopy_copy *e,
				  unsigned int count, uint64_t timeout_ns, uint8_t *model,
				  const char *what)
{
	struct dmacopy_batch b;
	uint64_t t0, wall;
	unsigned int i;
	int ret;

	memcpy(e, in, count * sizeof(*e));
	mark_outs(e, count);
	b = mkbatch(e, count);
	b.timeout_ns = timeout_ns;
	t0 = now_ns();
	ret = batch_call(n->fd, &b);
	wall = now_ns() - t0;
	ASSERT_EQ(0, ret) TH_LOG("%s: batch of %u (timeout_ns %llu): errno %d (%s) after %llu ms",
				 what, count, U64(timeout_ns), ret, strerror(ret),
				 U64(wall / NSEC_PER_MSEC));
	ASSERT_EQ(count, b.done) TH_LOG("%s", what);
	EXPECT_GE(wall, b.elapsed_ns) TH_LOG("%s: batch elapsed_ns %llu", what, U64(b.elapsed_ns));
	EXPECT_EQ(0U, b.reserved);
	EXPECT_EQ(0U, b.flags);
	EXPECT_EQ(timeout_ns, b.timeout_ns);
	EXPECT_EQ(count, b.count);
	EXPECT_EQ((uintptr_t)e, b.copies);
	for (i = 0; i < count; i++)
		ASSERT_ENTRY_OK(n, &in[i], &e[i], wall, i);
	model_apply(n, model, in, count);
	ASSERT_DST(n, model, what);
}

/* The same with timeout_ns 0 (the module's timeout_ms for the whole batch). */
static void batch_checked(struct __test_metadata *_metadata, const struct node *n,
			  const struct dmacopy_copy *in, struct dmacopy_copy *e, unsigned int count,
			  uint8_t *model, const char *what)
{
	batch_checked_timeout(_metadata, n, in, e, count, 0, model, what);
}

/* An entry for node n: len bytes, aligned for DMA where the mode needs it. */
static struct dmacopy_copy entry_for(const struct node *n, uint32_t *rng, uint64_t maxlen,
				     __u32 mode)
{
	uint64_t a = node_align(n), len = 1 + rnd_below(rng, min_u64(maxlen, n->size));
	uint64_t s = rnd_below(rng, n->size - len + 1), d = rnd_below(rng, n->size - len + 1);

	if (mode_wanted(mode, len, &n->info) == DMACOPY_MODE_DMA && a > 1) {
		s -= s % a;
		d -= d % a;
		len -= len % a;
		if (!len)
			len = a;
		if (mode == DMACOPY_MODE_AUTO && len < n->info.auto_threshold)
			mode = DMACOPY_MODE_DMA;
	}
	return mkcopy(s, d, len, mode);
}

/*
 * Many entries, mixed modes, DST ranges overlapping (so the order shows): the batch result is
 * byte-identical to the same copies one by one with COPY, and to a model; 256 entries, 1, all
 * CPU, all DMA.
 */
TEST_F_TIMEOUT(zc, batch_matches_single, 180)
{
	struct dmacopy_copy in[DMACOPY_BATCH_MAX], e[DMACOPY_BATCH_MAX];
	uint8_t *model, *by_batch;
	uint32_t rng = 777;
	unsigned int i, round;
	struct node n;
	int ret;

	OPEN_BATCH(&n, NODE_BATCH);
	model = malloc(n.size);
	by_batch = malloc(n.size);
	ASSERT_TRUE(model && by_batch);

	for (round = 0; round < 6; round++) {
		static const char *const names[] = {
			"256 mixed", "256 mixed, short", "1 DMA", "256 CPU", "256 DMA of 4 KiB",
			"DMA runs of 8 with overlapping destinations",
		};
		unsigned int count = round == 2 ? 1 : DMACOPY_BATCH_MAX;

		for (i = 0; i < count; i++) {
			switch (round) {
			case 0:
				in[i] = entry_for(&n, &rng, i % 16 ? 65536 : n.size, all_modes[i % 3]);
				break;
			case 1:
				in[i] = entry_for(&n, &rng, 64, all_modes[rnd_below(&rng, 3)]);
				break;
			case 2:
				in[i] = mkcopy(0, 0, n.size, DMACOPY_MODE_DMA);
				break;
			case 3:
				in[i] = entry_for(&n, &rng, 8192, DMACOPY_MODE_CPU);
				break;
			case 4:
				in[i] = mkcopy(i * 4096 % n.size, (i * 4096 * 7) % n.size,
					       min_u64(4096, n.size), DMACOPY_MODE_DMA);
				break;
			default:
				/* Runs of DMA entries writing the same range from different sources. */
				in[i] = mkcopy((i * 4096) % (n.size - 8192), 4096 * (i / 8 % 4),
					       8192, i % 8 == 7 ? DMACOPY_MODE_CPU : DMACOPY_MODE_DMA);
				break;
			}
		}
		win_fill(&n);
		batch_checked(_metadata, &n, in, e, count, model, names[round]);
		memcpy(by_batch, n.dst, n.size);

		/* The same copies one by one. */
		pat_fill(n.dst, 0, n.size, 2);
		for (i = 0; i < count; i++) {
			struct dmacopy_copy c = in[i];

			ret = dc_copy(n.fd, &c);
			ASSERT_EQ(0, ret) TH_LOG("%s: COPY of entry %u: %s", names[round], i,
						 strerror(ret));
		}
		i = (unsigned int)first_diff(n.dst, by_batch, n.size);
		ASSERT_EQ(n.size, i) TH_LOG("%s: DST[%u] after the batch 0x%02x, after single"
					    " COPYs 0x%02x", names[round], i, by_batch[i], n.dst[i]);
	}
	free(model);
	free(by_batch);
	node_close(&n);
}

/*
 * Bad entry number k (0 .. BAD_ENTRY_KINDS - 1) made of the good entry *e: what is wrong with
 * it, or NULL where this controller has no such case (misalignment at align 1).
 */
#define BAD_ENTRY_KINDS	18

static const char *bad_entry(const struct node *n, unsigned int k, struct dmacopy_copy *e)
{
	switch (k) {
	case 0:
		e->len = 0;
		return "len 0";
	case 1:
		e->len = n->info.max_len + 1;
		e->src_off = 0;
		e->dst_off = 0;
		return "len above max_len";
	case 2:
		e->src_off = n->size - e->len + 1;
		return "src_off + len past the end";
	case 3:
		e->dst_off = n->size - e->len + 1;
		return "dst_off + len past the end";
	case 4:
		e->dst_off = n->size;
		return "dst_off = buf_size";
	case 5:
		e->src_off = UINT64_MAX - 2;
		return "src_off + len overflows";
	case 6:
		e->dst_off = UINT64_MAX - e->len + 1;
		return "dst_off + len wraps to 0";
	case 7:
		e->len = UINT64_MAX;
		return "len UINT64_MAX";
	case 8:
		e->mode = 3;
		return "mode 3";
	case 9:
		e->mode = 0xffffffffU;
		return "mode 0xffffffff";
	case 10:
		e->flags = 1;
		return "flags 1";
	case 11:
		e->flags = 0x80000000U;
		return "flags 0x80000000";
	case 12:
		e->reserved[0] = 1;
		return "reserved[0] 1";
	case 13:
		e->reserved[1] = 1ULL << 63;
		return "reserved[1] 1 << 63";
	case 14:
		e->timeout_ns = 1;
		return "timeout_ns 1";
	case 15:
		e->timeout_ns = NSEC_PER_SEC;
		return "timeout_ns 1 s";
	case 16:
		if (node_align(n) == 1)
			return NULL;
		*e = mkcopy(1, 0, 4 * node_align(n), DMACOPY_MODE_DMA);
		return "misaligned DMA entry";
	case 17:
		if (node_align(n) == 1 || n->info.auto_threshold + 1 > n->size)
			return NULL;
		*e = mkcopy(0, 2, n->info.auto_threshold + 1, DMACOPY_MODE_AUTO);
		return "misaligned AUTO entry at its threshold (DMA mode)";
	}
	return NULL;
}

/*
 * EINVAL: count 0 or above 256, nonzero flags or reserved, and one bad entry anywhere (each
 * kind the spec lists, a nonzero timeout_ns included): nothing is copied, and no entry's out
 * fields are written.
 */
TEST_F_TIMEOUT(zc, batch_einval, 120)
{
	struct dmacopy_copy in[DMACOPY_BATCH_MAX + 1], e[DMACOPY_BATCH_MAX + 1];
	struct dmacopy_batch b;
	unsigned int i, k, at;
	uint32_t rng = 99;
	struct node n;
	int ret, kinds = 0;

	OPEN_BATCH(&n, NODE_BATCH);
	win_fill(&n);
	for (i = 0; i <= DMACOPY_BATCH_MAX; i++)
		in[i] = entry_for(&n, &rng, 4096, all_modes[i % 3]);

	/* count 0, 257 (all 257 entries good), flags, reserved. */
	memcpy(e, in, sizeof(in));
	b = mkbatch(e, 0);
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EINVAL, ret) TH_LOG("count 0: %s", strerror(ret));
	b = mkbatch(e, DMACOPY_BATCH_MAX + 1);
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EINVAL, ret) TH_LOG("count 257: %s", strerror(ret));
	for (i = 0; i < 32; i++) {
		b = mkbatch(e, 4);
		b.flags = 1U << i;
		ret = batch_call(n.fd, &b);
		EXPECT_EQ(EINVAL, ret) TH_LOG("flags %#x: %s", b.flags, strerror(ret));
	}
	b = mkbatch(e, 4);
	b.reserved = 1;
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EINVAL, ret) TH_LOG("reserved 1: %s", strerror(ret));
	b = mkbatch(e, 4);
	b.reserved = 0x80000000U;
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EINVAL, ret) TH_LOG("reserved 0x80000000: %s", strerror(ret));
	ASSERT_DST_PRISTINE(&n, "bad count, flags or reserved");
	EXPECT_EQ(0, memcmp(e, in, sizeof(in))) TH_LOG("entries written by a batch that failed");

	/* One bad entry: first, in the middle, last of 256; and the middle of 9. */
	for (k = 0; k < BAD_ENTRY_KINDS; k++) {
		static const unsigned int where[][2] = { { 9, 4 }, { 256, 0 }, { 256, 128 },
							 { 256, 255 } };
		unsigned int w;

		for (w = 0; w < ARRAY_SIZE(where); w++) {
			unsigned int count = where[w][0];
			struct dmacopy_copy bad;
			const char *what;

			at = where[w][1];
			bad = in[at];
			what = bad_entry(&n, k, &bad);
			if (!what)
				break;	/* not for this controller */
			memcpy(e, in, sizeof(in));
			e[at] = bad;
			mark_outs(e, count);
			b = mkbatch(e, count);
			ret = batch_call(n.fd, &b);
			EXPECT_EQ(EINVAL, ret) TH_LOG("%s as entry %u of %u: errno %d (%s)", what, at,
						      count, ret, strerror(ret));
			ASSERT_DST_PRISTINE(&n, what);
			for (i = 0; i < count; i++) {
				EXPECT_TRUE(outs_marked(&e[i]))
					TH_LOG("%s as entry %u of %u: entry %u's out fields written",
					       what, at, count, i);
			}
			kinds++;
		}
	}
	TH_LOG("%d batches with one bad entry refused", kinds);

	/* The channel works. */
	{
		uint8_t *model = malloc(n.size);

		ASSERT_NE(NULL, model);
		batch_checked(_metadata, &n, in, e, 16, model, "after the refused batches");
		free(model);
	}
	node_close(&n);
}

/* EFAULT: the array (NULL, unmapped, crossing into a PROT_NONE page, read-only), the struct. */
TEST_F_TIMEOUT(zc, batch_efault, 60)
{
	struct dmacopy_copy in[16], e[16];
	struct dmacopy_copy *ro;
	struct dmacopy_batch b, *bp;
	struct region R;
	uint32_t rng = 5;
	unsigned int i;
	uint8_t *model;
	struct node n;
	int ret;

	OPEN_BATCH(&n, NODE_BATCH);
	win_fill(&n);
	for (i = 0; i < 16; i++)
		in[i] = entry_for(&n, &rng, 4096, all_modes[i % 3]);

	b = mkbatch(NULL, 4);
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EFAULT, ret) TH_LOG("NULL array: %s", strerror(ret));
	b = mkbatch((void *)0xffff000000001000ULL, 4);
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EFAULT, ret) TH_LOG("kernel address as the array: %s", strerror(ret));
	/* The last entries in the PROT_NONE page after a region. */
	REGION(&R, page_size, 0);
	memcpy(R.p + page_size - 3 * sizeof(in[0]), in, 3 * sizeof(in[0]));
	b = mkbatch((struct dmacopy_copy *)(R.p + page_size - 3 * sizeof(in[0])), 4);
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EFAULT, ret) TH_LOG("array across into an inaccessible page: %s", strerror(ret));
	b = mkbatch((struct dmacopy_copy *)(R.p + page_size), 1);
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EFAULT, ret) TH_LOG("array in an inaccessible page: %s", strerror(ret));
	ASSERT_DST_PRISTINE(&n, "an inaccessible array");
	region_free(&R);

	/* The batch struct itself. */
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY_BATCH, NULL));
	EXPECT_EQ(EFAULT, ret) TH_LOG("NULL argument: %s", strerror(ret));
	bp = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bp);
	memcpy(e, in, sizeof(in));
	*bp = mkbatch(e, 4);
	ASSERT_EQ(0, mprotect(bp, page_size, PROT_NONE));
	ret = ioctl_result(ioctl(n.fd, DMACOPY_IOC_COPY_BATCH, bp));
	EXPECT_EQ(EFAULT, ret) TH_LOG("inaccessible argument: %s", strerror(ret));
	ASSERT_DST_PRISTINE(&n, "an inaccessible argument");
	munmap(bp, page_size);

	/* A read-only array: the out fields cannot be written back. */
	ro = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, in, 4 * sizeof(in[0]));
	ASSERT_EQ(0, mprotect(ro, page_size, PROT_READ));
	b = mkbatch(ro, 4);
	ret = batch_call(n.fd, &b);
	EXPECT_EQ(EFAULT, ret) TH_LOG("read-only array: %s", strerror(ret));
	munmap(ro, page_size);

	/* The channel works. */
	model = malloc(n.size);
	ASSERT_NE(NULL, model);
	win_fill(&n);
	batch_checked(_metadata, &n, in, e, 16, model, "after EFAULT");
	free(model);
	node_close(&n);
}

/*
 * The entries of the fault batches: three CPU entries first (the injected fault applies to
 * the next DMA copy of the channel), then DMA, DMA, CPU, DMA; the destinations apart, so that
 * what ran shows.
 */
#define FAULT_ENTRIES	7
#define FAULT_FIRST_DMA	3

static void fault_entries(const struct node *n, struct dmacopy_copy *e)
{
	uint64_t len = min_u64(16384, n->size / 8);
	unsigned int i;

	for (i = 0; i < FAULT_ENTRIES; i++) {
		__u32 mode = i < FAULT_FIRST_DMA || i == 5 ? DMACOPY_MODE_CPU : DMACOPY_MODE_DMA;

		e[i] = mkcopy(len * ((i * 3) % FAULT_ENTRIES), len * i, len, mode);
	}
}

/*
 * A batch whose first DMA entry fails (inject word): the errno, done = the CPU entries before
 * it, their out fields valid and their copies made, the later entries' out fields untouched and
 * their copies not made (the failed entry's destination is not looked at), the batch's out
 * fields written; then the same batch works.
 */
static void run_batch_fault(struct __test_metadata *_metadata, FIXTURE_DATA(zc) *self,
			    const char *word, int want, uint64_t timeout_ns)
{
	struct dmacopy_copy in[FAULT_ENTRIES], e[FAULT_ENTRIES];
	struct dmacopy_batch b;
	uint64_t t0, wall;
	uint8_t *model;
	unsigned int i;
	struct node n;
	int ret;

	node_open(_metadata, &n, node_for(self, NODE_FAULT), true);
	CAP_SKIP_BATCH(&n);
	NEED_DEBUGFS(n.idx);
	if (!board_offers(n.ctl, word))
		SKIP(return, "%s does not offer inject %s", n.ctl->name, word);
	model = malloc(n.size);
	ASSERT_NE(NULL, model);
	fault_entries(&n, in);
	win_fill(&n);
	ARM(self, n.idx, "none");
	ARM(self, n.idx, word);
	memcpy(e, in, sizeof(in));
	mark_outs(e, FAULT_ENTRIES);
	b = mkbatch(e, FAULT_ENTRIES);
	b.timeout_ns = timeout_ns;
	t0 = now_ns();
	ret = batch_call(n.fd, &b);
	wall = now_ns() - t0;
	ASSERT_EQ(want, ret) TH_LOG("batch with '%s' armed: errno %d (%s) after %" PRIu64 " ms",
				    word, ret, strerror(ret), wall / NSEC_PER_MSEC);
	/* The batch's out fields are written back on EIO and ETIMEDOUT too. */
	EXPECT_EQ((__u32)FAULT_FIRST_DMA, b.done) TH_LOG("done %u: the first DMA entry is %u",
							b.done, FAULT_FIRST_DMA);
	EXPECT_GE(wall, b.elapsed_ns);
	EXPECT_EQ(0U, b.reserved);
	if (want == ETIMEDOUT) {
		EXPECT_LE(timeout_ns * 8 / 10, wall) TH_LOG("ETIMEDOUT after %" PRIu64 " ns", wall);
		EXPECT_GT(5 * NSEC_PER_SEC, wall) TH_LOG("ETIMEDOUT after %" PRIu64 " ns", wall);
	}
	for (i = 0; i < FAULT_ENTRIES; i++) {
		if (i < FAULT_FIRST_DMA) {
			ASSERT_ENTRY_OK(&n, &in[i], &e[i], wall, i);
		} else {
			EXPECT_TRUE(outs_marked(&e[i]))
				TH_LOG("entry %u (after the failed one) has its out fields written:"
				       " mode_used %#x hw_status %#x", i, e[i].mode_used, e[i].hw_status);
		}
	}
	/* What ran: the leading CPU entries; the entries after the failed one did not run. */
	model_apply(&n, model, in, FAULT_FIRST_DMA);
	for (i = FAULT_FIRST_DMA + 2; i < FAULT_ENTRIES; i++) {
		size_t at = first_diff(n.dst + in[i].dst_off, model + in[i].dst_off, in[i].len);

		EXPECT_EQ(in[i].len, at) TH_LOG("entry %u (after the failed one) was copied", i);
	}
	for (i = 0; i < FAULT_FIRST_DMA; i++) {
		size_t at = first_diff(n.dst + in[i].dst_off, n.src + in[i].src_off, in[i].len);

		EXPECT_EQ(in[i].len, at) TH_LOG("entry %u (before the failed one) not copied", i);
	}

	/* The channel was reset: the same batch works now. */
	win_fill(&n);
	batch_checked(_metadata, &n, in, e, FAULT_ENTRIES, model, "the batch again");
	/* And one whose very first entry fails: done 0. */
	ARM(self, n.idx, word);
	memcpy(e, in + FAULT_FIRST_DMA, 2 * sizeof(e[0]));
	mark_outs(e, 2);
	b = mkbatch(e, 2);
	b.timeout_ns = timeout_ns;
	ret = batch_call(n.fd, &b);
	ASSERT_EQ(want, ret) TH_LOG("all-DMA batch with '%s' armed: %s", word, strerror(ret));
	EXPECT_EQ(0U, b.done);
	EXPECT_TRUE(outs_marked(&e[0]) && outs_marked(&e[1]));
	win_fill(&n);
	batch_checked(_metadata, &n, in, e, FAULT_ENTRIES, model, "the batch once more");
	free(model);
	node_close(&n);
	print_count("injected_faults", 2);
}

TEST_F_TIMEOUT(zc, batch_fault_error, 60)
{
	run_batch_fault(_metadata, self, "error", EIO, 0);
}

TEST_F_TIMEOUT(zc, batch_fault_timeout, 60)
{
	run_batch_fault(_metadata, self, "timeout", ETIMEDOUT, 100 * NSEC_PER_MSEC);
}

TEST_F_TIMEOUT(zc, batch_fault_stall, 60)
{
	run_batch_fault(_metadata, self, "stall", ETIMEDOUT, 100 * NSEC_PER_MSEC);
}

static volatile sig_atomic_t usr1_count;

static void usr1_handler(int sig)
{
	(void)sig;
	usr1_count++;
}

struct kicker {
	pthread_t target;
	unsigned int delay_ms;
};

static void *kicker_thread(void *arg)
{
	struct kicker *k = arg;

	sleep_ms(k->delay_ms);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

/*
 * EINTR part-way: a signal (no SA_RESTART) while the batch waits for a DMA entry whose
 * interrupt is ignored (inject timeout, batch timeout 5 s): EINTR at once, done = the CPU
 * entries before it, theirs valid, the rest untouched, the batch's out fields written. Then
 * the same with the first entry waiting: done 0, no entry written.
 */
TEST_F_TIMEOUT(zc, batch_signal, 60)
{
	struct dmacopy_copy in[FAULT_ENTRIES], e[FAULT_ENTRIES];
	struct kicker k;
	struct sigaction sa;
	struct dmacopy_batch b;
	uint64_t t0, wall;
	uint8_t *model;
	pthread_t th;
	unsigned int i;
	struct node n;
	int ret;

	node_open(_metadata, &n, node_for(self, NODE_FAULT), true);
	CAP_SKIP_BATCH(&n);
	NEED_DEBUGFS(n.idx);
	model = malloc(n.size);
	ASSERT_NE(NULL, model);
	fault_entries(&n, in);
	win_fill(&n);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ARM(self, n.idx, "none");
	ARM(self, n.idx, "timeout");
	k.target = pthread_self();
	k.delay_ms = 300;
	memcpy(e, in, sizeof(in));
	mark_outs(e, FAULT_ENTRIES);
	b = mkbatch(e, FAULT_ENTRIES);
	b.timeout_ns = 5 * NSEC_PER_SEC;
	ASSERT_EQ(0, pthread_create(&th, NULL, kicker_thread, &k));
	t0 = now_ns();
	ret = batch_call(n.fd, &b);
	wall = now_ns() - t0;
	pthread_join(th, NULL);
	signal(SIGUSR1, SIG_IGN);
	ASSERT_EQ(EINTR, ret) TH_LOG("batch waiting on an ignored interrupt, then a signal: errno"
				     " %d (%s) after %" PRIu64 " ms", ret, strerror(ret),
				     wall / NSEC_PER_MSEC);
	EXPECT_GT(3 * NSEC_PER_SEC, wall) TH_LOG("EINTR only after %" PRIu64 " ms",
						 wall / NSEC_PER_MSEC);
	EXPECT_EQ(1, usr1_count);
	/* "a batch's [out fields are written back] also on EINTR" */
	EXPECT_EQ((__u32)FAULT_FIRST_DMA, b.done);
	EXPECT_GE(wall, b.elapsed_ns);
	EXPECT_EQ(0U, b.reserved);
	for (i = 0; i < FAULT_ENTRIES; i++) {
		if (i < FAULT_FIRST_DMA) {
			ASSERT_ENTRY_OK(&n, &in[i], &e[i], wall, i);
		} else {
			EXPECT_TRUE(outs_marked(&e[i])) TH_LOG("entry %u's out fields written", i);
		}
	}
	model_apply(&n, model, in, FAULT_FIRST_DMA);
	for (i = FAULT_FIRST_DMA + 2; i < FAULT_ENTRIES; i++) {
		size_t at = first_diff(n.dst + in[i].dst_off, model + in[i].dst_off, in[i].len);

		EXPECT_EQ(in[i].len, at) TH_LOG("entry %u (after the interrupted one) was copied", i);
	}

	/* The same when the very first entry waits: EINTR, done 0, no entry written. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	usr1_count = 0;
	ARM(self, n.idx, "timeout");
	memcpy(e, in + FAULT_FIRST_DMA, 3 * sizeof(e[0]));
	mark_outs(e, 3);
	b = mkbatch(e, 3);
	b.timeout_ns = 5 * NSEC_PER_SEC;
	ASSERT_EQ(0, pthread_create(&th, NULL, kicker_thread, &k));
	t0 = now_ns();
	ret = batch_call(n.fd, &b);
	wall = now_ns() - t0;
	pthread_join(th, NULL);
	signal(SIGUSR1, SIG_IGN);
	ASSERT_EQ(EINTR, ret) TH_LOG("batch (DMA, DMA, CPU) waiting on an ignored interrupt, then a"
				     " signal: errno %d (%s) after %" PRIu64 " ms", ret,
				     strerror(ret), wall / NSEC_PER_MSEC);
	EXPECT_EQ(0U, b.done);
	EXPECT_GE(wall, b.elapsed_ns);
	EXPECT_EQ(0U, b.reserved);
	for (i = 0; i < 3; i++) {
		EXPECT_TRUE(outs_marked(&e[i]))
			TH_LOG("EINTR with done 0: entry %u's out fields written: mode_used %#x"
			       " hw_status %#x elapsed_ns %#llx", i, e[i].mode_used, e[i].hw_status,
			       U64(e[i].elapsed_ns));
	}
	EXPECT_EQ(0, memcmp(&e[0], &in[FAULT_FIRST_DMA], offsetof(struct dmacopy_copy,
								 elapsed_ns)))
		TH_LOG("EINTR with done 0: entry 0's in fields changed");

	win_fill(&n);
	batch_checked(_metadata, &n, in, e, FAULT_ENTRIES, model, "after EINTR");
	free(model);
	node_close(&n);
	print_count("injected_faults", 2);
}

/*
 * timeout_ns bounds the whole batch, not each entry: a batch of CPU entries that take T, then
 * a DMA entry on a stalled controller, with timeout_ns = T, returns ETIMEDOUT after about T
 * (an entry-by-entry bound would wait T more). T is measured first, the same batch without the
 * stall; where it is too short to tell the two apart, only the rest is checked.
 */
TEST_F_TIMEOUT(zc, batch_timeout_whole, 120)
{
	struct dmacopy_copy in[DMACOPY_BATCH_MAX], e[DMACOPY_BATCH_MAX];
	unsigned int i, count = DMACOPY_BATCH_MAX, r;
	struct dmacopy_batch b;
	uint64_t t0, wall, cpu_t = 0, bound;
	uint8_t *model;
	struct node n;
	int ret;

	node_open(_metadata, &n, node_for(self, NODE_STALL), true);
	CAP_SKIP_BATCH(&n);
	NEED_DEBUGFS(n.idx);
	if (!board_offers(n.ctl, "stall"))
		SKIP(return, "%s does not offer inject stall", n.ctl->name);
	model = malloc(n.size);
	ASSERT_NE(NULL, model);
	for (i = 0; i < count - 1; i++)
		in[i] = mkcopy(0, 0, n.size, DMACOPY_MODE_CPU);
	in[count - 1] = mkcopy(0, 0, min_u64(4096, n.size), DMACOPY_MODE_DMA);
	win_fill(&n);
	ARM(self, n.idx, "none");
	/*
	 * T: the slowest of three runs without a fault (with a timeout of 60 s: the CPU entries
	 * alone may take longer than the module's default on a slow kernel).
	 */
	for (r = 0; r < 3; r++) {
		t0 = now_ns();
		batch_checked_timeout(_metadata, &n, in, e, count, 60 * NSEC_PER_SEC, model,
				      "the CPU batch");
		wall = now_ns() - t0;
		if (wall > cpu_t)
			cpu_t = wall;
	}
	bound = cpu_t;
	ARM(self, n.idx, "stall");
	memcpy(e, in, sizeof(in));
	mark_outs(e, count);
	b = mkbatch(e, count);
	b.timeout_ns = bound;
	t0 = now_ns();
	ret = batch_call(n.fd, &b);
	wall = now_ns() - t0;
	ASSERT_EQ(ETIMEDOUT, ret) TH_LOG("batch with a stalled last entry, timeout_ns %" PRIu64
					 ": errno %d (%s)", bound, ret, strerror(ret));
	/* The deadline may pass during the CPU entries: done is at most count - 1. */
	ASSERT_GE(count - 1, b.done);
	for (i = 0; i < count; i++) {
		if (i < b.done) {
			ASSERT_ENTRY_OK(&n, &in[i], &e[i], wall, i);
		} else {
			EXPECT_TRUE(outs_marked(&e[i])) TH_LOG("entry %u (done %u)", i, b.done);
		}
	}
	TH_LOG("%u CPU entries take %" PRIu64 " ms; with a stalled DMA entry after them and"
	       " timeout_ns = that, ETIMEDOUT after %" PRIu64 " ms, done %u", count - 1,
	       cpu_t / NSEC_PER_MSEC, wall / NSEC_PER_MSEC, b.done);
	EXPECT_GT(5 * NSEC_PER_SEC + 2 * bound, wall);
	if (bound >= 150 * NSEC_PER_MSEC) {
		/* Per entry: about 2T. For the whole batch: about T (the CPU part, then 0 left). */
		EXPECT_GT(bound * 16 / 10, wall)
			TH_LOG("the timeout bounds each entry, not the whole batch: %" PRIu64 " ms,"
			       " with %" PRIu64 " ms of CPU entries and timeout_ns %" PRIu64 " ms",
			       wall / NSEC_PER_MSEC, cpu_t / NSEC_PER_MSEC, bound / NSEC_PER_MSEC);
	} else {
		TH_LOG("the CPU entries take under 150 ms: too short to tell a whole-batch bound"
		       " from a per-entry one here");
	}
	/* And a short bound on a stall alone: about that long. */
	ARM(self, n.idx, "stall");
	memcpy(e, in + count - 1, sizeof(e[0]));
	b = mkbatch(e, 1);
	b.timeout_ns = 100 * NSEC_PER_MSEC;
	t0 = now_ns();
	ret = batch_call(n.fd, &b);
	wall = now_ns() - t0;
	ASSERT_EQ(ETIMEDOUT, ret) TH_LOG("stalled batch, timeout 100 ms: %s", strerror(ret));
	EXPECT_LE(80 * NSEC_PER_MSEC, wall);
	EXPECT_GT(5 * NSEC_PER_SEC, wall);
	EXPECT_EQ(0U, b.done);
	win_fill(&n);
	batch_checked(_metadata, &n, in + count - 16, e, 16, model, "after the timeouts");
	free(model);
	node_close(&n);
	print_count("injected_faults", 2);
}

/* ------------------------------------------------------------------------ */
/* The kernel log.                                                           */

/*
 * Failures that a user can cause in a loop (bad COPY_USER ranges, bad batches, injected errors)
 * do not flood the kernel log: at most what the kernel's rate limit lets through.
 */
TEST_F_TIMEOUT(zc, log_quiet, 120)
{
	int i, kfd, lines, want, calls = 0, faults = 0;
	struct dmacopy_copy e[4];
	struct dmacopy_batch b;
	struct region S, D;
	uint64_t t0, wall;
	char text[1024];
	struct node n;

	node_open(_metadata, &n, node_for(self, NODE_LOG), true);
	if (!(n.info.caps & (DMACOPY_CAP_COPY_USER | DMACOPY_CAP_BATCH)))
		SKIP(node_close(&n); return, "caps %#x has neither DMACOPY_CAP_COPY_USER nor"
		     " DMACOPY_CAP_BATCH: the driver implements neither yet", n.info.caps);
	kfd = kmsg_open();
	ASSERT_LE(0, kfd) TH_LOG("/dev/kmsg: %s", strerror(errno));
	REGION(&S, 4 * page_size, 1);
	REGION(&D, 4 * page_size, 2);
	ASSERT_EQ(0, mprotect(D.p + 2 * page_size, 2 * page_size, PROT_READ));
	t0 = now_ns();
	for (i = 0; i < (int)scaled(300, 60); i++) {
		if (n.info.caps & DMACOPY_CAP_COPY_USER) {
			struct dmacopy_copy_user c = mkcu(S.p, D.p + 2 * page_size, 4096,
							  all_modes[i % 3]);

			EXPECT_EQ(EFAULT, cu_call(n.fd, &c));
			c = mkcu(S.p, S.p + 1, 4096, all_modes[i % 3]);
			EXPECT_EQ(EINVAL, cu_call(n.fd, &c));
			c = mkcu(NULL, D.p, 4096, all_modes[i % 3]);
			EXPECT_EQ(EFAULT, cu_call(n.fd, &c));
			calls += 3;
		}
		if (n.info.caps & DMACOPY_CAP_BATCH) {
			e[0] = mkcopy(0, 0, 64, DMACOPY_MODE_CPU);
			e[1] = mkcopy(0, n.size, 64, DMACOPY_MODE_DMA);
			b = mkbatch(e, 2);
			EXPECT_EQ(EINVAL, batch_call(n.fd, &b));
			b = mkbatch(NULL, 2);
			EXPECT_EQ(EFAULT, batch_call(n.fd, &b));
			calls += 2;
		}
	}
	if (geteuid() == 0 && debugfs_usable(n.idx, "inject", W_OK, text, sizeof(text))) {
		for (i = 0; i < (int)scaled(100, 20); i++) {
			int ret;

			ARM(self, n.idx, "error");
			if (n.info.caps & DMACOPY_CAP_COPY_USER) {
				struct dmacopy_copy_user c = mkcu(S.p, D.p, 4096, DMACOPY_MODE_DMA);

				ret = cu_call(n.fd, &c);
			} else {
				e[0] = mkcopy(0, 0, 4096, DMACOPY_MODE_DMA);
				b = mkbatch(e, 1);
				ret = batch_call(n.fd, &b);
			}
			EXPECT_EQ(EIO, ret);
			faults++;
		}
	}
	wall = now_ns() - t0;
	lines = kmsg_count(kfd, text, sizeof(text));
	close(kfd);
	/* The default rate limit: 10 per 5 s and a "callbacks suppressed" line, and room. */
	want = 20 + 12 * (int)(wall / (5 * NSEC_PER_SEC));
	TH_LOG("%d bad calls and %d injected errors in %" PRIu64 " ms: %d log records", calls,
	       faults, wall / NSEC_PER_MSEC, lines);
	EXPECT_GE(want, lines) TH_LOG("the kernel log grew by %d records (at most %d): %s", lines,
				      want, text);
	region_free(&S);
	region_free(&D);
	EXPECT_UNPINNED(self, "log");
	node_close(&n);
	print_count("injected_faults", (unsigned long)faults);
}

TEST_HARNESS_MAIN
