// SPDX-License-Identifier: GPL-2.0
/*
 * dmacopy_fuzz: a seeded fuzzer for the dmacopy user-space ABI.
 *
 * The contract is shared/spec/abi.md (include/uapi/linux/dmacopy.h in code). Every call the
 * fuzzer makes has an expected result computed from that contract, and any other result is a
 * failure, printed with the seed and the call number:
 *
 *   # FAIL seed=123 single#0 call=4567: ioctl COPY {...}: got EINVAL, want ENODEV
 *
 * What it calls, on every /dev/dmacopyN:
 *   - ioctl: every number of the 0xDC magic and its neighbours, every size, every direction,
 *     random commands; every field of struct dmacopy_info/copy/copy_user/batch with boundary
 *     values (0, 1, buf_size +- 1, 2^63, UINT64_MAX, offsets whose sum with len wraps, unknown
 *     modes, nonzero flags/reserved); argument pointers that are misaligned, NULL, kernel
 *     addresses, unmapped, PROT_NONE, read-only, and that straddle the end of a mapping.
 *   - mmap (offsets and lengths in and past the window, MAP_PRIVATE, PROT combinations),
 *     touching the mappings, munmap, mremap; read/write/pread/pwrite/readv/writev/preadv/
 *     pwritev with random offsets, lengths and buffers; lseek with every whence.
 *   - debugfs inject (valid and invalid words), debugfs stats, sysfs unbind/bind.
 * Data is checked too: the fuzzer keeps a shadow copy of each window and compares every read,
 * every access through a mapping and every copy's destination against it.
 *
 * What it needs to know of the board it reads from the driver, not from one board's constants:
 *   - the channels are the /dev/dmacopyN that exist; each node's platform device is the target
 *     of /sys/class/misc/dmacopyN/device, and a channel is known by its INFO reg_base. One
 *     device may carry many channels (BCM2835: one device, 11 channels; ZDMA: one each):
 *     unbinding a device takes all its nodes away at once, and binding it again brings them
 *     back with the lowest free numbers, in the device's probe order (checked). With a single
 *     device, every unbind round takes every channel away.
 *   - INFO controller selects the model of the controller (ctl_models[]): which hw_status bits
 *     a good DMA copy must have and which mean an error, the bit an injected error sets, the
 *     counter-overflow notices (none on bcm2835-dma: `overflow` must get EINVAL there), the
 *     inject words offered, whether every DMA copy completes by its interrupt (no polling
 *     phase: bcm2835-dma), and the align INFO must report. An unknown controller fails the run.
 *   - INFO align: a DMA copy whose src_off, dst_off or len is not a multiple of it must get
 *     EINVAL (and never reach the controller); CPU copies take any; AUTO is DMA from its
 *     threshold on (the spec's modes table), so there a misaligned request gets EINVAL too.
 *   - INFO irq: the same for a channel in every instance; channels may share one (the BCM2835's
 *     channels 11 to 14): a copy on one of them must not count an interrupt on the others.
 *
 * Tests (KTAP):
 *   single     DMACOPY_FUZZ_CALLS * 3/5 calls from one thread, with unbind/bind and inject
 *              among them, fully reproducible: the same seed gives the same calls, numbered
 *              alike, with the same expected results (its "digest" line is the same too).
 *              Its "# single: <call>: <outcome> <count> ..." lines show what was exercised.
 *   threads    the rest from several worker threads on the same and on different channels,
 *              with a thread sending SIGALRM (SA_RESTART) and SIGUSR1 (no SA_RESTART) at random,
 *              a thread arming faults through debugfs inject on some channels, and a thread
 *              unbinding and binding other channels. Each worker's call sequence follows from
 *              the seed; the interleaving does not.
 *   rebind     every device that is unbound is bound again and its channels have nodes back.
 *   verify     on every channel a DMA copy and a CPU copy of a pattern are exact, and so is a
 *              DMA copy with `slow` armed; stats counts one interrupt for that one (and for
 *              every DMA copy where the controller has no polling phase, at most one where it
 *              has), none for the CPU copy, and none on the channels that share its IRQ.
 *   log_flood  360 injected errors and timeouts and 2000 bad requests, in a few seconds, make
 *              dmacopy log at most 50 + 30 lines per started 5 s (a rate limit, as printk's
 *              default of 10 lines per 5 s and call site, stays far below).
 *   kernel_log no BUG/WARNING/Oops/KASAN/lockdep/sleeping-in-atomic/... line appeared while
 *              the fuzzer ran (read from /dev/kmsg as it goes), no record was lost, and dmacopy
 *              logged at most 200 + 4 per channel bound again + 2 per second + the log_flood
 *              bound.
 * Counters: "# dmacopy-count: fuzz_calls=N", "injected_faults=N", "unbind_rounds=N" (device
 * unbinds that were bound again).
 *
 * Reproducing a failure: run again with the seed the first line printed ("# seed: N"):
 *
 *   DMACOPY_FUZZ_SEED=N dmacopy_fuzz
 *
 * after a fresh boot with the same module parameters. DMACOPY_FUZZ_TRACE=K prints every call of
 * the single-threaded phase from call K on (one line each), to see what led to a failure.
 *
 * Environment:
 *   DMACOPY_FUZZ_SEED     seed, decimal or 0x-hex (default: from the clock)
 *   DMACOPY_FUZZ_CALLS    calls in all (default 200000, what make test runs; at least 1000)
 *   DMACOPY_FUZZ_TIME     wall-clock limit in seconds (default 540; running out is a failure)
 *   DMACOPY_FUZZ_THREADS  worker threads of the threaded phase (default 4)
 *   DMACOPY_FUZZ_TRACE    see above
 *   DMACOPY_FUZZ_PROFILE  1: print where the single-threaded phase spent its time
 *
 * Rules taken from the spec that are less obvious:
 *   - After unbind, every call on a file that is still open fails with ENODEV, whatever its
 *     arguments, as long as it reaches the driver (errors the VFS gives before calling the
 *     driver, e.g. EBADF for a read on a write-only file, come first); close and munmap always
 *     succeed; an access through an old mapping raises SIGBUS.
 *   - ENOTTY for every command but the four of the ABI (and COPY_USER/BATCH only when caps
 *     says they exist), whatever the argument pointer.
 *   - Where two rows of the errno table apply (an invalid field and an unwritable argument),
 *     either errno is accepted. A success is never accepted for an invalid request, and a
 *     kernel-internal errno (512 ERESTARTSYS ... 531) never.
 *
 * Needs root (debugfs, sysfs bind/unbind, /dev/kmsg).
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmacopy.h>

#include "kselftest.h"
#include "dmacopy_common.h"

/* ------------------------------------------------------------------------ */
/* The ABI, including the parts the header may not carry yet.                */

#define CAP_MMAP	(1U << 0)
#define CAP_COPY_USER	(1U << 1)
#define CAP_SG		(1U << 2)
#define CAP_BATCH	(1U << 3)
#define CAP_ALL		(CAP_MMAP | CAP_COPY_USER | CAP_SG | CAP_BATCH)

#define BATCH_MAX	256U
#define COPY_USER_MAX	(1ULL << 30)

/* struct dmacopy_batch, as the spec defines it (40 bytes). */
struct fz_batch {
	__u64 copies;
	__u32 count;
	__u32 flags;
	__u64 timeout_ns;
	__u64 elapsed_ns;
	__u32 done;
	__u32 reserved;
};

#define FZ_IOC_INFO		_IOR(0xDC, 0x00, struct dmacopy_info)
#define FZ_IOC_COPY		_IOWR(0xDC, 0x01, struct dmacopy_copy)
#define FZ_IOC_COPY_USER	_IOWR(0xDC, 0x02, struct dmacopy_copy_user)
#define FZ_IOC_COPY_BATCH	_IOWR(0xDC, 0x03, struct fz_batch)

_Static_assert(sizeof(struct dmacopy_info) == 96, "dmacopy_info is 96 bytes");
_Static_assert(sizeof(struct dmacopy_copy) == 72, "dmacopy_copy is 72 bytes");
_Static_assert(sizeof(struct dmacopy_copy_user) == 72, "dmacopy_copy_user is 72 bytes");
_Static_assert(sizeof(struct fz_batch) == 40, "dmacopy_batch is 40 bytes");
_Static_assert(DMACOPY_IOC_INFO == FZ_IOC_INFO, "INFO encoding");
_Static_assert(DMACOPY_IOC_COPY == FZ_IOC_COPY, "COPY encoding");
#ifdef DMACOPY_IOC_COPY_USER
_Static_assert(DMACOPY_IOC_COPY_USER == FZ_IOC_COPY_USER, "COPY_USER encoding");
#endif
#ifdef DMACOPY_IOC_COPY_BATCH
_Static_assert(DMACOPY_IOC_COPY_BATCH == FZ_IOC_COPY_BATCH, "COPY_BATCH encoding");
_Static_assert(sizeof(struct dmacopy_batch) == 40, "dmacopy_batch is 40 bytes");
#endif

#define MODE_DMA	0U
#define MODE_CPU	1U
#define MODE_AUTO	2U

#define DRV_DIR		"/sys/bus/platform/drivers/dmacopy"
#define DBG_DIR		"/sys/kernel/debug/dmacopy"
#define MISC_DIR	"/sys/class/misc"

#define MAX_CH		32	/* the driver's node numbers: dmacopy0 .. dmacopy31 */
#define MAX_DEV		MAX_CH
#define NFDS		4	/* open files per channel and thread */
#define NMAPS		6	/* live mappings per channel and thread */
#define PG		4096ULL


/*
 * A copy's timeout up to this may legitimately expire on a loaded emulator (a debug kernel on
 * a busy host was seen to need more than 200 ms for a completion). From the module's default
 * (1 s) on, a timeout means a lost completion and fails the run.
 */
#define SHORT_TIMEOUT_NS	(500 * NSEC_PER_MSEC)

#define U64(x)		((unsigned long long)(x))
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ------------------------------------------------------------------------ */
/* Random numbers: xoshiro256** seeded through splitmix64.                    */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* A number in [0, n); 0 when n is 0. */
static uint64_t below(struct rng *r, uint64_t n)
{
	uint64_t v = rnd(r);

	return n ? v % n : 0;
}

/* A number in [lo, hi]. */
static uint64_t between(struct rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t v = rnd(r);

	if (hi <= lo)
		return lo;
	if (hi - lo == UINT64_MAX)
		return v;
	return lo + v % (hi - lo + 1);
}

static bool chance(struct rng *r, unsigned int pct)
{
	return below(r, 100) < pct;
}

static uint64_t pick64(struct rng *r, const uint64_t *v, size_t n)
{
	return v[below(r, n)];
}

/* Small lengths often, large ones sometimes: 1 .. max. */
static uint64_t skewed_len(struct rng *r, uint64_t max)
{
	uint64_t v, k = below(r, 100);

	if (k < 35)
		v = between(r, 1, 64);
	else if (k < 70)
		v = between(r, 1, 4096);
	else if (k < 96)
		v = between(r, 1, 65536);
	else if (k < 98)
		v = between(r, 1, max);
	else
		v = max - below(r, 4);
	if (v > max)
		v = max;
	return v ? v : 1;
}

/* ------------------------------------------------------------------------ */
/* Results and expectations.                                                 */

enum {
	O_OK, O_EPERM, O_ENOENT, O_EINTR, O_EIO, O_ENXIO, O_EBADF, O_ENOMEM, O_EACCES,
	O_EFAULT, O_EBUSY, O_ENODEV, O_EINVAL, O_ENOTTY, O_ENOSPC, O_EOVERFLOW, O_ETIMEDOUT,
	O_SIGBUS, O_SIGSEGV, O_OTHER, O_NR
};

#define A(x)	(1U << O_##x)

static const struct {
	int err;
	const char *name;
} outcomes[O_NR] = {
	[O_OK] = { 0, "success" },
	[O_EPERM] = { EPERM, "EPERM" },
	[O_ENOENT] = { ENOENT, "ENOENT" },
	[O_EINTR] = { EINTR, "EINTR" },
	[O_EIO] = { EIO, "EIO" },
	[O_ENXIO] = { ENXIO, "ENXIO" },
	[O_EBADF] = { EBADF, "EBADF" },
	[O_ENOMEM] = { ENOMEM, "ENOMEM" },
	[O_EACCES] = { EACCES, "EACCES" },
	[O_EFAULT] = { EFAULT, "EFAULT" },
	[O_EBUSY] = { EBUSY, "EBUSY" },
	[O_ENODEV] = { ENODEV, "ENODEV" },
	[O_EINVAL] = { EINVAL, "EINVAL" },
	[O_ENOTTY] = { ENOTTY, "ENOTTY" },
	[O_ENOSPC] = { ENOSPC, "ENOSPC" },
	[O_EOVERFLOW] = { EOVERFLOW, "EOVERFLOW" },
	[O_ETIMEDOUT] = { ETIMEDOUT, "ETIMEDOUT" },
	[O_SIGBUS] = { -1, "SIGBUS" },
	[O_SIGSEGV] = { -1, "SIGSEGV" },
	[O_OTHER] = { -1, "other" },
};

static int outcome_of(long ret, int err)
{
	int i;

	if (ret >= 0)
		return O_OK;
	for (i = 1; i < O_SIGBUS; i++)
		if (outcomes[i].err == err)
			return i;
	return O_OTHER;
}

static void outcome_str(char *buf, size_t len, long ret, int err)
{
	int o = outcome_of(ret, err);

	if (o == O_OK)
		snprintf(buf, len, "%ld", ret);
	else if (o == O_OTHER)
		snprintf(buf, len, "errno %d (%s)", err, strerror(err));
	else
		snprintf(buf, len, "%s", outcomes[o].name);
}

static void accept_str(char *buf, size_t len, unsigned int accept)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < O_NR && n < len; i++) {
		if (!(accept & (1U << i)))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", outcomes[i].name);
	}
	if (!buf[0])
		snprintf(buf, len, "nothing");
}

/* ------------------------------------------------------------------------ */
/* Global state.                                                             */

enum fault { F_NONE, F_TIMEOUT, F_ERROR, F_SPURIOUS, F_OVERFLOW, F_STALL, F_SLOW, F_NR };

static const char *const fault_names[F_NR] = {
	"none", "timeout", "error", "spurious", "overflow", "stall", "slow",
};

#define FB(f)	(1U << (f))

/* What the fuzzer knows of a controller family, keyed by INFO controller. */
struct ctl_model {
	const char *name;
	uint32_t align;		/* what INFO align must say */
	uint32_t done;		/* hw_status bits every good DMA copy has, all of them */
	uint32_t err;		/* hw_status bits that mean an error: the copy fails with EIO */
	uint32_t inj_err;	/* what `inject error` sets */
	uint32_t notice;	/* `inject overflow`: counter-overflow notices, one at least; 0: the
				 * controller has none, and the word gets EINVAL
				 */
	unsigned int words;	/* FB() of each word inject takes */
	bool irq_always;	/* every DMA copy completes by its interrupt (no polling phase) */
};

static const struct ctl_model ctl_models[] = {
	{
		/* ZDMA_CH_ISR: DMA_DONE; AXI read/write data and descriptor errors, invalid
		 * APB access; byte counter and interrupt accounting overflows (not errors).
		 */
		.name = "zynqmp-zdma", .align = 1,
		.done = 1U << 10, .err = 0x3c1U, .inj_err = 1U << 8, .notice = 0x038U,
		.words = FB(F_NONE) | FB(F_TIMEOUT) | FB(F_ERROR) | FB(F_SPURIOUS) |
			 FB(F_OVERFLOW) | FB(F_STALL) | FB(F_SLOW),
		.irq_always = false,
	},
	{
		/* CS: END and INT (the last control block has INTEN); ERR (the DEBUG register
		 * says which). No counter-overflow notices; the interrupt enable is in the
		 * control block, so no copy is polled for.
		 */
		.name = "bcm2835-dma", .align = 4,
		.done = (1U << 1) | (1U << 2), .err = 1U << 8, .inj_err = 1U << 8, .notice = 0,
		.words = FB(F_NONE) | FB(F_TIMEOUT) | FB(F_ERROR) | FB(F_SPURIOUS) | FB(F_STALL) |
			 FB(F_SLOW),
		.irq_always = true,
	},
};

/* Channel classes of the threaded phase. */
#define CL_FAULT	1	/* the inject thread arms faults here */
#define CL_UNBIND	2	/* the unbind thread unbinds and binds this one */
#define CL_CUSER	4	/* COPY_USER runs here (and no window contents are checked) */

/* Counters of stats that the fuzzer can bound from below (index in stat_names: st_name[]). */
enum {
	ST_DMA_COPIES, ST_CPU_COPIES, ST_DMA_BYTES, ST_CPU_BYTES, ST_ERRORS, ST_TIMEOUTS, ST_IRQS,
	ST_NR
};

static const char *const stat_names[] = {
	"dma_copies", "cpu_copies", "dma_bytes", "cpu_bytes", "errors", "timeouts",
	"interrupted", "irqs", "spurious_irqs", "last_ns", "max_ns",
};

#define SN_IRQS		7
#define SN_SPURIOUS	8

static const int st_name[ST_NR] = { 0, 1, 2, 3, 4, 5, SN_IRQS };

struct chan {
	char dev[64];			/* platform device, e.g. ffa80000.dma */
	int di;				/* index in devs[] */
	uint64_t reg_base;
	uint32_t irq;			/* INFO irq: the same in every instance */
	uint32_t align;			/* INFO align */
	const struct ctl_model *ctl;	/* from INFO controller */
	atomic_int node;		/* N of /dev/dmacopyN; -1 while unbound */
	/* Even: bound (instance epoch / 2); odd: unbinding, unbound or binding. */
	_Atomic unsigned int epoch;
	/* Unbinds that have completed (the write to unbind returned). */
	_Atomic unsigned int unbinds;
	_Atomic uint64_t thresh;	/* auto_threshold of the current instance */
	int cls;			/* CL_* in the threaded phase */

	/* Model of the single-threaded phase. */
	int armed;			/* enum fault armed through inject */
	bool stats_known;		/* st[] holds the last stats read of this instance */
	uint64_t st[ST_NR];		/* last stats read + what ran since (lower bounds) */
};

/* A platform device bound to dmacopy: unbind and bind take and give all its channels. */
struct devc {
	char name[64];
	int nchan;
	int ch[MAX_CH];			/* its channels (chans[] indexes), in probe order */
	bool unbinds;			/* threaded phase: the unbind thread unbinds and binds it */
};

static struct chan chans[MAX_CH];
static int nch;
static struct devc devs[MAX_DEV];
static int ndev;
static uint64_t bs;		/* buf_size of every channel */
static uint64_t win;		/* 2 * bs */
static uint32_t caps;
static uint64_t seed;

static _Atomic uint64_t g_calls;
static _Atomic uint64_t g_injected;
static _Atomic uint64_t g_unbind_rounds;
static _Atomic uint64_t g_rebound;		/* channels bound again, over all rounds */
static _Atomic uint64_t g_signals;
static _Atomic unsigned int g_failures;
static bool g_unbind_takes_most;	/* a device holds more than half the channels */
static _Atomic bool g_stop;		/* stop the fuzzing: too many failures or out of time */
static uint64_t g_deadline;		/* now_ns() past which the run is out of time */
static bool g_out_of_time;
static uint64_t g_trace_from = UINT64_MAX;

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* One line to stdout, whole, whatever the other threads print. */
static __printf(1, 2) void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&out_lock);
	fputs("# ", stdout);
	fputs(buf, stdout);
	if (!buf[0] || buf[strlen(buf) - 1] != '\n')
		fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* ------------------------------------------------------------------------ */
/* Per-thread context.                                                       */

struct fzfd {
	int fd;				/* -1: free slot */
	int acc;			/* O_RDWR, O_RDONLY or O_WRONLY */
	unsigned int epoch;		/* chan epoch when opened (even) */
	uint64_t pos;			/* file position, as the model knows it */
};

struct fzmap {
	uint8_t *addr;			/* NULL: free slot */
	uint64_t len;			/* bytes mapped */
	uint64_t off;			/* window offset of addr */
	int prot;
	unsigned int epoch;		/* chan epoch of the file when mapped */
};

struct view {
	struct fzfd fds[NFDS];
	struct fzmap maps[NMAPS];
	uint8_t *shadow;		/* what the window holds, where this thread knows it */
	unsigned int seen;		/* newest instance epoch the shadow describes */
	int hfd;			/* a file for resyncs and checks, outside the random pool */
	unsigned int hepoch;		/* its instance epoch */
};

/* The argument arena of a thread: fixed addresses, so that its holes stay holes. */
#define ARENA_BASE	0x20000000UL
#define ARENA_STRIDE	0x01000000UL
#define AR_RW		0x000000UL	/* read-write, 512 KiB */
#define AR_RW_LEN	0x080000UL
#define AR_HOLE1	0x080000UL	/* unmapped page */
#define AR_RO		0x081000UL	/* read-only, 64 KiB */
#define AR_RO_LEN	0x010000UL
#define AR_HOLE2	0x091000UL	/* unmapped page */
#define AR_NONE		0x092000UL	/* PROT_NONE page */
#define AR_HOLE3	0x093000UL	/* unmapped */
#define AR_SIZE		0x094000UL

/* Parts of the read-write area. */
#define RW_DATA		0x00000UL	/* COPY_USER data: 448 KiB */
#define RW_DATA_LEN	0x70000UL
#define RW_ARRAY	0x70000UL	/* batch arrays: 48 KiB */
#define RW_ARG		0x7c000UL	/* ioctl argument structs */
#define RW_ARG2		0x6f000UL	/* batch struct when the array is near the end */

struct ctx {
	struct rng rng;
	int tid;			/* 0: the single-threaded phase; 1..: workers */
	const char *phase;
	bool threaded;
	uint64_t calls, quota;
	uint8_t *arena;
	uint8_t *rbuf, *wbuf, *tbuf;	/* read target, write source, temp: win + 64 KiB each */
	size_t buflen;
	uint8_t *snap;			/* COPY_USER source snapshot, RW_DATA_LEN */
	struct dmacopy_copy *ents, *outs;	/* batch entries, BATCH_MAX + 1 each */
	/* The part of each half (SRC, DST) this thread owns and may write; the scratch part
	 * anyone may write. The single-threaded phase owns everything.
	 */
	uint64_t own_lo, own_hi, scr_lo, scr_hi;
	struct view v[MAX_CH];
	const char *cur;		/* what the thread is doing, for the watchdog */
};

static __thread struct ctx *tls_ctx;
static __thread sigjmp_buf tls_jmp;
static __thread volatile sig_atomic_t tls_jmp_armed;

/* ------------------------------------------------------------------------ */
/* Failures: each distinct kind is printed in full three times, then counted. */

#define MAX_KINDS	128
#define SHOW_PER_KIND	3
#define MAX_FAILURES	2000

static struct {
	char key[192];
	unsigned int count;
} kinds[MAX_KINDS];
static int nkinds;

static __printf(3, 4)
void fz_fail(struct ctx *c, const char *key, const char *fmt, ...)
{
	char msg[900];
	unsigned int n = 0;
	bool show = true;
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&out_lock);
	for (i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i].key, key))
			break;
	if (i == nkinds && nkinds < MAX_KINDS) {
		snprintf(kinds[i].key, sizeof(kinds[i].key), "%s", key);
		nkinds++;
	}
	if (i < MAX_KINDS)
		n = ++kinds[i].count;
	show = n <= SHOW_PER_KIND;
	pthread_mutex_unlock(&out_lock);

	if (show) {
		if (c)
			say("FAIL seed=%llu %s#%d call=%llu: %s", U64(seed), c->phase, c->tid,
			    U64(c->calls), msg);
		else
			say("FAIL seed=%llu: %s", U64(seed), msg);
	}
	if (atomic_fetch_add(&g_failures, 1) + 1 >= MAX_FAILURES)
		atomic_store(&g_stop, true);
}

static void print_failure_kinds(void)
{
	int i;

	for (i = 0; i < nkinds; i++)
		say("failure kind x%u: %s", kinds[i].count, kinds[i].key);
}

/* Whether calls of this thread are printed (DMACOPY_FUZZ_TRACE). */
static bool tracing(const struct ctx *c)
{
	return !c->threaded && c->calls >= g_trace_from;
}

/* Outcomes per call of the single-threaded phase, to show what the run exercised. */
#define MAX_TALLY	48

static struct {
	const char *op;
	uint64_t n[O_NR];
} tallies[MAX_TALLY];

static void tally(const char *op, int o)
{
	int i;

	for (i = 0; i < MAX_TALLY && tallies[i].op && tallies[i].op != op; i++)
		;
	if (i == MAX_TALLY)
		return;
	tallies[i].op = op;
	tallies[i].n[o]++;
}

static void print_tallies(void)
{
	char line[400];
	size_t n;
	int i, o;

	for (i = 0; i < MAX_TALLY && tallies[i].op; i++) {
		n = (size_t)snprintf(line, sizeof(line), "single: %s:", tallies[i].op);
		for (o = 0; o < O_NR && n < sizeof(line); o++)
			if (tallies[i].n[o])
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %llu",
						      outcomes[o].name, U64(tallies[i].n[o]));
		say("%s", line);
	}
}

/*
 * Checks ret/err against the outcomes in accept. op names the call, fmt and the rest its
 * arguments (formatted only when needed). Returns whether the result was accepted.
 */
static __printf(6, 7)
bool chkf(struct ctx *c, unsigned int accept, long ret, int err, const char *op,
	  const char *fmt, ...)
{
	char got[64], want[160], key[192], args[600];
	int o = outcome_of(ret, err);
	bool internal = ret < 0 && err >= 512 && err <= 531;
	bool ok = !internal && (accept & (1U << o));
	bool trace = c && tracing(c);
	va_list ap;

	if (c && !c->threaded)
		tally(op, o);
	if (ok && !trace)
		return true;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	outcome_str(got, sizeof(got), ret, err);
	accept_str(want, sizeof(want), accept);
	if (trace)
		say("trace call=%llu: %s %s -> %s (want %s)", U64(c->calls), op, args, got, want);
	if (ok)
		return true;
	if (internal) {
		snprintf(key, sizeof(key), "%s: kernel-internal errno %d", op, err);
		fz_fail(c, key, "%s %s: kernel-internal errno %d reached user space", op, args,
			err);
		return false;
	}
	snprintf(key, sizeof(key), "%.50s: got %.40s, want %.60s", op,
		 o == O_OK ? "success" : got, want);
	fz_fail(c, key, "%s %s: got %s, want %s", op, args, got, want);
	return false;
}

/*
 * Counts one call the random sequence makes; op is what the watchdog shows if it never
 * returns. These calls are numbered (call=N in failures): the same seed makes the same ones.
 */
static void count_call(struct ctx *c, const char *op)
{
	c->calls++;
	atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
	c->cur = op;
}

/*
 * Counts a call made because of an earlier result (re-reading the window after a failed
 * copy, checking a copy's destination): it counts as a fuzz call but keeps the numbering of
 * the random sequence, so that a run reproduces even where timing changed a result.
 */
static void count_helper(struct ctx *c, const char *op)
{
	atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
	c->cur = op;
}

/* ------------------------------------------------------------------------ */
/* Unbind awareness: what a call on an old file or mapping must do.          */

/* Instance epoch e is gone for good once this many unbinds have completed. */
static unsigned int gone_after(unsigned int e)
{
	return e / 2 + 1;
}

struct env {
	unsigned int epoch;		/* of the file or mapping used */
	bool dead;			/* its instance was unbound before the call started */
	bool maybe;			/* ... or was being unbound during the call */
};

static struct env env_begin(int ch, unsigned int epoch)
{
	struct env e = { .epoch = epoch };

	e.dead = atomic_load(&chans[ch].unbinds) >= gone_after(epoch);
	return e;
}

static void env_end(struct env *e, int ch)
{
	e->maybe = e->dead || atomic_load(&chans[ch].epoch) != e->epoch;
}

/*
 * The outcomes a call that reaches the driver may have: base for a live instance; ENODEV only
 * after unbind (spec: every later call on a file that is still open fails with ENODEV).
 */
static unsigned int env_accept(const struct env *e, unsigned int base)
{
	if (e->dead)
		return A(ENODEV);
	if (e->maybe)
		return base | A(ENODEV);
	return base;
}

/* ------------------------------------------------------------------------ */
/* Faults in the fuzzer's own accesses to mappings.                          */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char buf[200];
	int n;

	(void)uc;
	if (tls_jmp_armed) {
		tls_jmp_armed = 0;
		siglongjmp(tls_jmp, sig);
	}
	n = snprintf(buf, sizeof(buf),
		     "# FAIL seed=%llu: unexpected signal %d (code %d) at address %p outside a "
		     "checked access, %s#%d call=%llu in %s\nBail out! crashed\n", U64(seed), sig,
		     si ? si->si_code : 0, si ? si->si_addr : NULL,
		     tls_ctx ? tls_ctx->phase : "-", tls_ctx ? tls_ctx->tid : -1,
		     U64(tls_ctx ? tls_ctx->calls : 0), tls_ctx && tls_ctx->cur ? tls_ctx->cur : "-");
	if (write(1, buf, (size_t)n) < 0)
		_exit(KSFT_FAIL);
	_exit(KSFT_FAIL);
}

/*
 * Copies n bytes from src to dst, one of them a mapping of the window. Returns 0, or the signal
 * (SIGBUS, SIGSEGV) that stopped it.
 */
static int __attribute__((noinline)) guarded_copy(void *dst, const void *src, size_t n)
{
	volatile int sig;

	sig = sigsetjmp(tls_jmp, 1);
	if (sig)
		return sig;
	tls_jmp_armed = 1;
	memcpy(dst, src, n);
	tls_jmp_armed = 0;
	return 0;
}

/* A stack for the fault handler, so that even a stack overflow is reported. */
static void alt_stack(void)
{
	stack_t ss = { .ss_size = 65536 };

	ss.ss_sp = malloc(ss.ss_size);
	if (ss.ss_sp)
		sigaltstack(&ss, NULL);
}

static void on_async_signal(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&g_signals, 1, memory_order_relaxed);
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	/* SIGALRM restarts interrupted calls, SIGUSR1 does not. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_async_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
}

/* ------------------------------------------------------------------------ */
/* Files in sysfs and debugfs.                                               */

/* Writes len bytes of buf to path in one write(). Returns 0 or an errno; *ret what write gave. */
static int write_file(const char *path, const void *buf, size_t len, long *ret)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int err = 0;
	long r;

	if (fd < 0) {
		if (ret)
			*ret = -1;
		return errno;
	}
	r = write(fd, buf, len);
	if (r < 0)
		err = errno;
	else if ((size_t)r != len)
		err = EIO;
	if (ret)
		*ret = r;
	close(fd);
	return err;
}

static void dbg_path(char *buf, size_t len, int node, const char *file)
{
	snprintf(buf, len, DBG_DIR "/dmacopy%d/%s", node, file);
}

/* The fault a read of inject shows: enum fault, or -1 for something else. */
static int parse_fault(const char *s)
{
	char word[32];
	size_t n = 0;
	int i;

	while (isspace((unsigned char)*s))
		s++;
	while (*s && !isspace((unsigned char)*s) && n + 1 < sizeof(word))
		word[n++] = *s++;
	word[n] = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return -1;
	if (!n)
		return F_NONE;
	for (i = 0; i < F_NR; i++)
		if (!strcmp(word, fault_names[i]))
			return i;
	return -1;
}

/*
 * Reads the fault armed on ch: enum fault, or -1 with the failure reported (or unbound meanwhile:
 * see inject_write).
 */
static int inject_state(struct ctx *c, int ch)
{
	unsigned int e1 = atomic_load(&chans[ch].epoch);
	int err, f, node = atomic_load(&chans[ch].node);
	char path[128], buf[128];

	dbg_path(path, sizeof(path), node, "inject");
	err = read_text(path, buf, sizeof(buf));
	if (err && ((e1 & 1) || atomic_load(&chans[ch].epoch) != e1) &&
	    (err == ENOENT || err == EIO))
		return -1;
	if (err) {
		fz_fail(c, "read inject failed", "read %s: %s", path, strerror(err));
		return -1;
	}
	f = parse_fault(buf);
	if (f < 0)
		fz_fail(c, "inject shows an unknown word", "%s reads '%s'", path, buf);
	return f;
}

/* ------------------------------------------------------------------------ */
/* Channels: discovery, nodes, unbind and bind.                              */

static int info_of(int fd, struct dmacopy_info *info)
{
	memset(info, 0xcc, sizeof(*info));
	return ioctl(fd, DMACOPY_IOC_INFO, info) ? errno : 0;
}

static const struct ctl_model *ctl_model_of(const struct dmacopy_info *info)
{
	size_t i;

	if (strnlen(info->controller, sizeof(info->controller)) == sizeof(info->controller))
		return NULL;
	for (i = 0; i < ARRAY_LEN(ctl_models); i++)
		if (!strcmp(info->controller, ctl_models[i].name))
			return &ctl_models[i];
	return NULL;
}

/* The platform device of /dev/dmacopyN: the last part of its misc device's "device" link. */
static int node_device(int n, char *name, size_t len)
{
	char path[96], target[PATH_MAX];
	const char *slash;
	long r;

	snprintf(path, sizeof(path), MISC_DIR "/dmacopy%d/device", n);
	r = readlink(path, target, sizeof(target) - 1);
	if (r < 0)
		return errno;
	target[r] = 0;
	slash = strrchr(target, '/');
	snprintf(name, len, "%.63s", slash ? slash + 1 : target);
	return 0;
}

/* What /dev/dmacopyN is: its device, and its INFO. Returns 0 or an errno (ENOENT: no node). */
static int node_probe(int n, char *dev, size_t len, struct dmacopy_info *info)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/dev/dmacopy%d", n);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	err = info_of(fd, info);
	close(fd);
	return err ? err : node_device(n, dev, len);
}

struct found {
	char dev[64];
	int node;
	struct dmacopy_info info;
};

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int d = strcmp(x->dev, y->dev);

	if (d)
		return d;
	return x->info.reg_base < y->info.reg_base ? -1 : x->info.reg_base > y->info.reg_base;
}

/*
 * Finds the channels: every /dev/dmacopyN, its device and its INFO; chans[] in the order of
 * device name and reg_base, each device's channels in its probe order (that of their nodes).
 * Exits on what the fuzzer cannot model.
 */
static void discover(void)
{
	static struct found f[MAX_CH];
	int n, i, j, k, nf = 0, err, linked = 0;
	struct dirent *de;
	struct stat st;
	char path[512];
	DIR *dir;

	for (n = 0; n < MAX_CH; n++) {
		err = node_probe(n, f[nf].dev, sizeof(f[nf].dev), &f[nf].info);
		if (err == ENOENT)
			continue;
		if (err)
			ksft_exit_fail_msg("/dev/dmacopy%d: INFO or " MISC_DIR
					   "/dmacopy%d/device: %s\n", n, n, strerror(err));
		f[nf++].node = n;
	}
	if (!nf)
		ksft_exit_fail_msg("no /dev/dmacopyN: dmacopy is not loaded or bound to nothing\n");
	qsort(f, (size_t)nf, sizeof(f[0]), cmp_found);
	for (i = 0; i < nf; i++) {
		struct chan *h = &chans[i];
		struct devc *d;

		h->ctl = ctl_model_of(&f[i].info);
		if (!h->ctl)
			ksft_exit_fail_msg("/dev/dmacopy%d: INFO controller '%.16s' is none the "
					   "fuzzer models (zynqmp-zdma, bcm2835-dma)\n",
					   f[i].node, f[i].info.controller);
		if (!f[i].info.align || (f[i].info.align & (f[i].info.align - 1)))
			ksft_exit_fail_msg("/dev/dmacopy%d: INFO align %u is not a power of 2\n",
					   f[i].node, f[i].info.align);
		if (i && !strcmp(f[i].dev, f[i - 1].dev) &&
		    f[i].info.reg_base == f[i - 1].info.reg_base)
			ksft_exit_fail_msg("/dev/dmacopy%d and /dev/dmacopy%d of %s: both "
					   "reg_base %#llx\n", f[i - 1].node, f[i].node,
					   f[i].dev, U64(f[i].info.reg_base));
		snprintf(h->dev, sizeof(h->dev), "%s", f[i].dev);
		h->reg_base = f[i].info.reg_base;
		h->irq = f[i].info.irq;
		h->align = f[i].info.align;
		atomic_store(&h->thresh, f[i].info.auto_threshold);
		atomic_store(&h->node, f[i].node);
		for (j = 0; j < ndev && strcmp(devs[j].name, h->dev); j++)
			;
		d = &devs[j];
		if (j == ndev) {
			memcpy(d->name, h->dev, sizeof(d->name));
			ndev++;
		}
		h->di = j;
		/* Insertion by node number: the probe order. */
		for (k = d->nchan; k > 0 && atomic_load(&chans[d->ch[k - 1]].node) > f[i].node; k--)
			d->ch[k] = d->ch[k - 1];
		d->ch[k] = i;
		d->nchan++;
	}
	nch = nf;
	for (j = 0; j < ndev; j++)
		if (2 * devs[j].nchan > nch)
			g_unbind_takes_most = true;

	/* The devices bound to dmacopy are exactly those of the nodes. */
	dir = opendir(DRV_DIR);
	if (!dir)
		ksft_exit_fail_msg(DRV_DIR ": %s\n", strerror(errno));
	while ((de = readdir(dir))) {
		snprintf(path, sizeof(path), DRV_DIR "/%s", de->d_name);
		if (!strcmp(de->d_name, "module") || lstat(path, &st) || !S_ISLNK(st.st_mode))
			continue;
		for (j = 0; j < ndev && strcmp(devs[j].name, de->d_name); j++)
			;
		if (j == ndev)
			ksft_exit_fail_msg("%s is bound to dmacopy but no /dev/dmacopyN is its\n",
					   de->d_name);
		linked++;
	}
	closedir(dir);
	if (linked != ndev)
		ksft_exit_fail_msg("nodes name %d devices, %d are bound to dmacopy\n", ndev,
				   linked);
}

/* Whether /dev/dmacopyN is held by a bound channel of another device than d. */
static bool node_taken(int n, int d)
{
	int i;

	for (i = 0; i < nch; i++)
		if (chans[i].di != d && atomic_load(&chans[i].node) == n)
			return true;
	return false;
}

/*
 * After device d was bound: finds its channels' nodes and sets node and thresh of each. They
 * must be the lowest numbers no other bound channel holds, in the device's probe order, each
 * naming d as its device, with its channel's reg_base and irq. Returns 0, or -1 when a channel
 * has no node (all failures reported).
 */
static int find_nodes(struct ctx *c, int d)
{
	struct devc *dv = &devs[d];
	int want[MAX_CH], got[MAX_CH], n, i, k = 0, err;
	struct dmacopy_info info;
	char name[64];

	for (n = 0; n < MAX_CH && k < dv->nchan; n++)
		if (!node_taken(n, d))
			want[k++] = n;
	for (i = 0; i < dv->nchan; i++)
		got[i] = -1;
	for (n = 0; n < MAX_CH; n++) {
		if (node_taken(n, d))
			continue;
		err = node_probe(n, name, sizeof(name), &info);
		if (err == ENOENT)
			continue;
		if (err) {
			fz_fail(c, "node after bind unreadable", "bind %s: /dev/dmacopy%d: INFO or "
				MISC_DIR "/dmacopy%d/device: %s", dv->name, n, n, strerror(err));
			continue;
		}
		if (strcmp(name, dv->name)) {
			fz_fail(c, "node of an unbound device", "bind %s: /dev/dmacopy%d is of %s, "
				"which is unbound", dv->name, n, name);
			continue;
		}
		for (i = 0; i < dv->nchan && chans[dv->ch[i]].reg_base != info.reg_base; i++)
			;
		if (i == dv->nchan || got[i] >= 0) {
			fz_fail(c, "node after bind is no channel of its device", "bind %s: "
				"/dev/dmacopy%d reports reg_base %#llx: %s", dv->name, n,
				U64(info.reg_base), i == dv->nchan ? "not a channel of the device"
								   : "another node has it");
			continue;
		}
		got[i] = n;
		if (info.irq != chans[dv->ch[i]].irq)
			fz_fail(c, "INFO irq changed across bind", "bind %s: /dev/dmacopy%d "
				"(reg_base %#llx) reports irq %u, %u before", dv->name, n,
				U64(info.reg_base), info.irq, chans[dv->ch[i]].irq);
		atomic_store(&chans[dv->ch[i]].thresh, info.auto_threshold);
	}
	for (i = 0; i < dv->nchan; i++)
		if (got[i] < 0) {
			fz_fail(c, "bound channel has no node", "bind %s: no /dev/dmacopyN reports "
				"reg_base %#llx", dv->name, U64(chans[dv->ch[i]].reg_base));
			return -1;
		}
	for (i = 0; i < dv->nchan; i++) {
		atomic_store(&chans[dv->ch[i]].node, got[i]);
		if (got[i] != want[i])
			fz_fail(c, "nodes after bind are not the lowest free numbers in probe "
				"order", "bind %s: channel reg_base %#llx, %d. in probe order, is "
				"/dev/dmacopy%d, want /dev/dmacopy%d", dv->name,
				U64(chans[dv->ch[i]].reg_base), i + 1, got[i], want[i]);
	}
	return 0;
}

static int sysfs_unbind(const char *dev)
{
	return write_file(DRV_DIR "/unbind", dev, strlen(dev), NULL);
}

static int sysfs_bind(const char *dev)
{
	return write_file(DRV_DIR "/bind", dev, strlen(dev), NULL);
}

static bool is_bound(int ch)
{
	return !(atomic_load(&chans[ch].epoch) & 1);
}

/* Its channels are bound or unbound together. */
static bool dev_bound(int d)
{
	return is_bound(devs[d].ch[0]);
}

/* ------------------------------------------------------------------------ */
/* Argument pointers.                                                        */

enum pk {
	PK_GOOD,	/* read-write memory, 8-byte aligned */
	PK_ODD,		/* read-write memory, misaligned */
	PK_RO,		/* read-only memory */
	PK_NULL,
	PK_LOW,		/* below mmap_min_addr */
	PK_HOLE,	/* an unmapped page */
	PK_NONE,	/* a PROT_NONE page */
	PK_STR_HOLE,	/* read-write memory running into an unmapped page */
	PK_STR_RO,	/* read-only memory running into an unmapped page */
	PK_KERNEL,	/* a kernel address */
	PK_TOP,		/* the last bytes of the address space */
	PK_NONCANON,	/* above the user address range, below the kernel's */
	PK_NR
};

static const char *const pk_names[PK_NR] = {
	"good", "misaligned", "read-only", "NULL", "low", "unmapped", "PROT_NONE",
	"straddling-unmapped", "read-only-straddling-unmapped", "kernel", "top", "noncanonical",
};

struct ptr {
	uint64_t addr;
	uint64_t rd;		/* bytes readable from addr (capped at the size asked for) */
	uint64_t wr;		/* bytes writable from addr (the same) */
	bool kern;		/* not a user address at all: the VFS refuses it up front */
	int kind;
};

/* Mostly good pointers, all kinds sometimes. */
static int gen_pk(struct ctx *c)
{
	if (chance(&c->rng, 75))
		return chance(&c->rng, 80) ? PK_GOOD : PK_ODD;
	return (int)below(&c->rng, PK_NR);
}

static uint8_t *ar(struct ctx *c, unsigned long off)
{
	return c->arena + off;
}

static void ro_writable(struct ctx *c, bool w)
{
	if (mprotect(ar(c, AR_RO), AR_RO_LEN, w ? PROT_READ | PROT_WRITE : PROT_READ))
		ksft_exit_fail_msg("mprotect arena: %s\n", strerror(errno));
}

/*
 * A pointer of kind k to size bytes, holding what can be held of content (NULL: leave the
 * memory as it is). good_off is where in the read-write area a good pointer points.
 */
static struct ptr place(struct ctx *c, int k, uint64_t size, unsigned long good_off,
			const void *content)
{
	struct ptr p = { .kind = k };
	uint64_t kmax, kk;

	switch (k) {
	case PK_GOOD:
	case PK_ODD:
		p.addr = (uint64_t)(uintptr_t)ar(c, good_off);
		if (k == PK_ODD)
			p.addr += between(&c->rng, 1, 7);
		p.rd = p.wr = size;
		if (content)
			memcpy((void *)(uintptr_t)p.addr, content, size);
		break;
	case PK_RO:
		p.addr = (uint64_t)(uintptr_t)ar(c, AR_RO) + 8 * below(&c->rng, 64);
		p.rd = min64(size, (uint64_t)(uintptr_t)ar(c, AR_RO + AR_RO_LEN) - p.addr);
		if (content) {
			ro_writable(c, true);
			memcpy((void *)(uintptr_t)p.addr, content, p.rd);
			ro_writable(c, false);
		}
		break;
	case PK_NULL:
		p.addr = 0;
		break;
	case PK_LOW:
		p.addr = between(&c->rng, 1, 0xff8);
		break;
	case PK_HOLE:
		p.addr = (uint64_t)(uintptr_t)ar(c, chance(&c->rng, 50) ? AR_HOLE1 : AR_HOLE3);
		break;
	case PK_NONE:
		p.addr = (uint64_t)(uintptr_t)ar(c, AR_NONE) + below(&c->rng, 64);
		break;
	case PK_STR_HOLE:
	case PK_STR_RO:
		/* kk bytes before the hole, kk < size (1 byte short at least). */
		kmax = size > 1 ? size - 1 : 0;
		kk = kmax ? between(&c->rng, 1, min64(kmax, k == PK_STR_RO ? AR_RO_LEN : 0x3000))
			  : 0;
		p.addr = (uint64_t)(uintptr_t)ar(c, k == PK_STR_RO ? AR_RO + AR_RO_LEN
								   : AR_RW + AR_RW_LEN) - kk;
		p.rd = kk;
		p.wr = k == PK_STR_RO ? 0 : kk;
		if (content && kk) {
			if (k == PK_STR_RO)
				ro_writable(c, true);
			memcpy((void *)(uintptr_t)p.addr, content, kk);
			if (k == PK_STR_RO)
				ro_writable(c, false);
		}
		break;
	case PK_KERNEL: {
		static const uint64_t kaddr[] = {
			0xffff000000000000ULL, 0xffff800080000000ULL, 0xffff800008000000ULL,
			0xfffffc0000000000ULL, 0xffffff8000000000ULL,
		};
		p.addr = pick64(&c->rng, kaddr, ARRAY_LEN(kaddr)) + 8 * below(&c->rng, 512);
		p.kern = true;
		break;
	}
	case PK_TOP:
		p.addr = UINT64_MAX - below(&c->rng, 2 * size + 1);
		p.kern = true;
		break;
	default:
		/* Past 52 bits: no user address on any arm64 configuration. */
		p.addr = (1ULL << 56) + 8 * below(&c->rng, 4096);
		break;
	}
	return p;
}

/* Whether [addr, addr + len) lies in the read-write (or, !write, read-only) arena memory. */
static bool user_range_ok(struct ctx *c, uint64_t addr, uint64_t len, bool write)
{
	uint64_t rw = (uint64_t)(uintptr_t)ar(c, AR_RW), ro = (uint64_t)(uintptr_t)ar(c, AR_RO);

	if (!len)
		return true;
	if (addr + len < addr)
		return false;
	if (addr >= rw && addr + len <= rw + AR_RW_LEN)
		return true;
	if (!write && addr >= ro && addr + len <= ro + AR_RO_LEN)
		return true;
	return false;
}

/* ------------------------------------------------------------------------ */
/* The shadow of the window.                                                 */

/*
 * The parts of ch's window whose contents this thread knows: [a[i], b[i]). Returns how many.
 * A worker knows its own part of SRC and of DST; none of a channel where COPY_USER runs (the
 * driver may move those bytes through SRC and DST).
 */
static int known_parts(struct ctx *c, int ch, uint64_t *a, uint64_t *b)
{
	if (c->threaded && (chans[ch].cls & CL_CUSER))
		return 0;
	if (!c->threaded) {
		a[0] = 0;
		b[0] = win;
		return 1;
	}
	a[0] = c->own_lo;
	b[0] = c->own_hi;
	a[1] = bs + c->own_lo;
	b[1] = bs + c->own_hi;
	return 2;
}

/* Whether [off, off + n) lies in one known part. */
static bool all_known(struct ctx *c, int ch, uint64_t off, uint64_t n)
{
	uint64_t a[2], b[2];
	int i, k = known_parts(c, ch, a, b);

	for (i = 0; i < k; i++)
		if (off >= a[i] && off + n <= b[i] && off + n >= off)
			return true;
	return false;
}

/* Whether this thread may write [off, off + n) of a window: its own parts. */
static bool own_range(struct ctx *c, uint64_t off, uint64_t n)
{
	uint64_t o = off >= bs ? off - bs : off;

	if (!c->threaded)
		return true;
	return off < win && o >= c->own_lo && o + n <= c->own_hi && o + n >= o;
}

/* Compares data, which the window holds at [off, off + n), with the shadow where it is known. */
static bool shadow_check(struct ctx *c, int ch, uint64_t off, const uint8_t *data, uint64_t n,
			 const char *what)
{
	const uint8_t *sh = c->v[ch].shadow;
	uint64_t a[2], b[2], lo, hi, j;
	int i, k = known_parts(c, ch, a, b);

	if (off >= win)
		return true;
	n = min64(n, win - off);
	for (i = 0; i < k; i++) {
		lo = a[i] > off ? a[i] : off;
		hi = b[i] < off + n ? b[i] : off + n;
		if (lo >= hi || !memcmp(sh + lo, data + (lo - off), hi - lo))
			continue;
		for (j = lo; j < hi && sh[j] == data[j - off]; j++)
			;
		fz_fail(c, "data differs from what the window must hold",
			"%s: /dev/dmacopy%d window offset %#llx holds %#04x, want %#04x "
			"(checked [%#llx, %#llx))", what, atomic_load(&chans[ch].node), U64(j),
			data[j - off], sh[j], U64(lo), U64(hi));
		return false;
	}
	return true;
}

static void shadow_set(struct ctx *c, int ch, uint64_t off, const uint8_t *data, uint64_t n)
{
	if (off >= win)
		return;
	memcpy(c->v[ch].shadow + off, data, min64(n, win - off));
}

static void shadow_zero_known(struct ctx *c, int ch)
{
	uint64_t a[2], b[2];
	int i, k = known_parts(c, ch, a, b);

	for (i = 0; i < k; i++)
		memset(c->v[ch].shadow + a[i], 0, b[i] - a[i]);
}

/* ------------------------------------------------------------------------ */
/* Open files and mappings of a thread.                                      */

static void fd_close(struct ctx *c, int ch, int slot)
{
	struct fzfd *f = &c->v[ch].fds[slot];
	long r;

	count_call(c, "close");
	r = close(f->fd);
	/* close always works, unbound or not. */
	chkf(c, A(OK), r, errno, "close", "{/dev/dmacopy file, epoch %u}", f->epoch);
	f->fd = -1;
}

/* Opens the node of ch with access acc. Returns the slot, or -1. */
static int fd_open(struct ctx *c, int ch, int acc)
{
	struct view *v = &c->v[ch];
	struct chan *h = &chans[ch];
	unsigned int e1, e2;
	int slot, node, fd, err;
	char path[64];

	e1 = atomic_load(&h->epoch);
	node = atomic_load(&h->node);
	if ((e1 & 1) || node < 0)
		return -1;
	for (slot = 0; slot < NFDS && v->fds[slot].fd >= 0; slot++)
		;
	if (slot == NFDS) {
		slot = (int)below(&c->rng, NFDS);
		fd_close(c, ch, slot);
	}
	snprintf(path, sizeof(path), "/dev/dmacopy%d", node);
	count_call(c, "open");
	fd = open(path, acc | O_CLOEXEC);
	err = errno;
	e2 = atomic_load(&h->epoch);
	if (e1 != e2) {
		/* Unbound meanwhile: which instance the file belongs to is unknown. */
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!chkf(c, A(OK), fd, err, "open", "{%s, acc %d}", path, acc))
		return -1;
	/* A newer instance than the shadow describes: its buffers start zeroed (spec). */
	if (e1 > v->seen) {
		shadow_zero_known(c, ch);
		v->seen = e1;
	}
	v->fds[slot] = (struct fzfd){ .fd = fd, .acc = acc, .epoch = e1, .pos = 0 };
	return slot;
}

/* A random open file of ch (one is opened if there is none). Returns the slot or -1. */
static int fd_any(struct ctx *c, int ch)
{
	struct view *v = &c->v[ch];
	int used[NFDS], n = 0, i, s;

	for (i = 0; i < NFDS; i++)
		if (v->fds[i].fd >= 0)
			used[n++] = i;
	if (c->threaded || g_unbind_takes_most) {
		/*
		 * Workers let go of files of an unbound instance soon. So does the single thread,
		 * more slowly, where an unbind takes most channels at once: else, with one device,
		 * nearly every call after the first unbind would be on a gone instance; this way
		 * they make a few percent of the calls, as where an unbind takes one channel of 8.
		 */
		for (i = 0; i < n; i++) {
			if (v->fds[used[i]].epoch != atomic_load(&chans[ch].epoch) &&
			    chance(&c->rng, c->threaded ? 30 : 3)) {
				fd_close(c, ch, used[i]);
				used[i--] = used[--n];
			}
		}
	}
	if (!n || (n < NFDS && chance(&c->rng, 1))) {
		static const int accs[] = {
			O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_WRONLY,
		};

		s = fd_open(c, ch, n ? accs[below(&c->rng, ARRAY_LEN(accs))] : O_RDWR);
		if (s >= 0 || !n)
			return s;
	}
	return used[below(&c->rng, (uint64_t)n)];
}

/*
 * The helper file of ch's current instance (for resyncs and checks; opening it draws no random
 * numbers, so the call sequence does not depend on results). Returns its fd or -1 if unbound.
 */
static int helper_fd(struct ctx *c, int ch)
{
	struct view *v = &c->v[ch];
	struct chan *h = &chans[ch];
	unsigned int e1 = atomic_load(&h->epoch), e2;
	int node = atomic_load(&h->node), fd, err;
	char path[64];
	long r;

	if (v->hfd >= 0 && v->hepoch == e1)
		return v->hfd;
	if (v->hfd >= 0) {
		count_helper(c, "close");
		r = close(v->hfd);
		chkf(c, A(OK), r, errno, "close", "{helper file, epoch %u}", v->hepoch);
		v->hfd = -1;
	}
	if ((e1 & 1) || node < 0)
		return -1;
	snprintf(path, sizeof(path), "/dev/dmacopy%d", node);
	count_helper(c, "open");
	fd = open(path, O_RDWR | O_CLOEXEC);
	err = errno;
	e2 = atomic_load(&h->epoch);
	if (e1 != e2) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!chkf(c, A(OK), fd, err, "open", "{%s (helper)}", path))
		return -1;
	if (e1 > v->seen) {
		shadow_zero_known(c, ch);
		v->seen = e1;
	}
	v->hfd = fd;
	v->hepoch = e1;
	return fd;
}

/*
 * The outcomes of a read of the whole of a range that did not return all of it: none on a live
 * instance, ENODEV on one unbound before the call; on one unbound during the call, ENODEV or
 * the bytes read before (as a read that a signal cuts short), which the model then ignores.
 */
static unsigned int short_accept(const struct env *e)
{
	return env_accept(e, e->maybe ? A(OK) : 0);
}

/*
 * Reads [off, off + n) of the window into the shadow, after a call that may or may not have
 * changed it (a failed copy, a fault).
 */
static void model_resync(struct ctx *c, int ch, uint64_t off, uint64_t n)
{
	int fd = helper_fd(c, ch);
	struct env e;
	long r;
	int err;

	if (fd < 0 || off >= win)
		return;
	n = min64(n, win - off);
	e = env_begin(ch, c->v[ch].hepoch);
	count_helper(c, "pread (resync)");
	r = pread(fd, c->rbuf, n, (off_t)off);
	err = errno;
	env_end(&e, ch);
	if (r == (long)n)
		shadow_set(c, ch, off, c->rbuf, n);
	else
		chkf(c, short_accept(&e), r, err, "pread (resync)",
		     "{off %#llx, len %#llx}: short", U64(off), U64(n));
}

static void map_drop(struct ctx *c, int ch, int slot)
{
	struct fzmap *m = &c->v[ch].maps[slot];
	long r;

	count_call(c, "munmap");
	r = munmap(m->addr, m->len);
	/* munmap always works, unbound or not. */
	chkf(c, A(OK), r, errno, "munmap", "{%p, len %#llx, window off %#llx}", (void *)m->addr,
	     U64(m->len), U64(m->off));
	m->addr = NULL;
}

/* ------------------------------------------------------------------------ */
/* ioctl: commands.                                                          */

static bool cmd_exists(unsigned int cmd)
{
	return cmd == FZ_IOC_INFO || cmd == FZ_IOC_COPY ||
	       (cmd == FZ_IOC_COPY_USER && (caps & CAP_COPY_USER)) ||
	       (cmd == FZ_IOC_COPY_BATCH && (caps & CAP_BATCH));
}

/* Commands the VFS handles itself before the driver sees them: never generated. */
static bool vfs_type(unsigned int type)
{
	return type == 0x00 || type == 0x15 || type == 'T' || type == 'X' || type == 'f' ||
	       type == 0x94;
}

static unsigned int gen_cmd(struct ctx *c)
{
	static const uint64_t sizes[] = {
		0, 1, 2, 4, 8, 16, 32, 39, 40, 41, 48, 64, 71, 72, 73, 80, 88, 95, 96, 97, 104,
		128, 256, 512, 4095, 4096, 4097, 8192, 16383,
	};
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	static const unsigned int real_dir[4] = {
		_IOC_READ, _IOC_READ | _IOC_WRITE, _IOC_READ | _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	static const unsigned int real_size[4] = { 96, 72, 72, 40 };
	static const uint64_t magics[] = { 0xdb, 0xdd, 0xcc, 0x5c, 0x9c, 0xfc, 0xff, 0x01, 0xde };
	static const int deltas[] = { -8, -4, -1, 1, 4, 8, 24, -72 };
	unsigned int type = 0xdc, nr, dir, size, cmd;
	int d;

	nr = (unsigned int)below(&c->rng, 4);
	dir = real_dir[nr];
	size = real_size[nr];
	switch (below(&c->rng, 8)) {
	case 0:		/* anything in the magic */
		nr = (unsigned int)below(&c->rng, 256);
		dir = dirs[below(&c->rng, 4)];
		size = (unsigned int)pick64(&c->rng, sizes, ARRAY_LEN(sizes));
		break;
	case 1:		/* a known number with the wrong size */
		d = deltas[below(&c->rng, ARRAY_LEN(deltas))];
		size = (unsigned int)((int)size + d < 0 ? 0 : (int)size + d);
		break;
	case 2:		/* a known number with the wrong direction */
		do
			dir = dirs[below(&c->rng, 4)];
		while (dir == real_dir[nr]);
		break;
	case 3:		/* any 32 bits */
		cmd = (unsigned int)rnd(&c->rng);
		type = _IOC_TYPE(cmd);
		nr = _IOC_NR(cmd);
		dir = _IOC_DIR(cmd);
		size = _IOC_SIZE(cmd);
		break;
	case 4:		/* a neighbouring magic */
		type = (unsigned int)pick64(&c->rng, magics, ARRAY_LEN(magics));
		if (chance(&c->rng, 30))
			nr = (unsigned int)below(&c->rng, 256);
		break;
	case 5:		/* the numbers right after the known ones, and the top ones */
		nr = chance(&c->rng, 50) ? (unsigned int)between(&c->rng, 4, 0x20)
					 : (unsigned int)between(&c->rng, 0xf0, 0xff);
		break;
	case 6:		/* a known number and direction, any size */
		size = (unsigned int)below(&c->rng, 1U << _IOC_SIZEBITS);
		break;
	default:	/* the known commands that this driver does not have (caps) */
		nr = 2 + (unsigned int)below(&c->rng, 2);
		dir = real_dir[nr];
		size = real_size[nr];
		break;
	}
	if (vfs_type(type))
		type = 0xdc;
	cmd = _IOC(dir, type, nr, size);
	if (cmd_exists(cmd))
		cmd ^= 1U << _IOC_SIZESHIFT;
	return cmd;
}

static void op_ioctl_cmd(struct ctx *c, int ch)
{
	uint8_t before[512];
	int s = fd_any(c, ch);
	unsigned int cmd;
	struct ptr p;
	struct env e;
	uint64_t size;
	long r;
	int err;

	if (s < 0)
		return;
	cmd = gen_cmd(c);
	size = _IOC_SIZE(cmd) ? min64(_IOC_SIZE(cmd), 8192) : 72;
	/* Random bytes at the start (what a driver would look at first), the rest as it is. */
	p = place(c, gen_pk(c), size, RW_ARG - 0x2000, NULL);
	if (p.wr)
		memcpy((void *)(uintptr_t)p.addr, c->wbuf + below(&c->rng, 4096), min64(p.wr, 256));
	if (p.wr)
		memcpy(before, (void *)(uintptr_t)p.addr, min64(p.wr, sizeof(before)));
	e = env_begin(ch, c->v[ch].fds[s].epoch);
	count_call(c, "ioctl (unknown command)");
	r = ioctl(c->v[ch].fds[s].fd, cmd, (void *)(uintptr_t)p.addr);
	err = errno;
	env_end(&e, ch);
	chkf(c, env_accept(&e, A(ENOTTY)), r, err, "ioctl (unknown command)",
	     "{cmd %#x = dir %u type %#x nr %#x size %u, arg %s %#llx}", cmd, _IOC_DIR(cmd),
	     _IOC_TYPE(cmd), _IOC_NR(cmd), _IOC_SIZE(cmd), pk_names[p.kind], U64(p.addr));
	/* A command that does not exist does nothing: its argument stays as it was. */
	if (p.wr && memcmp(before, (void *)(uintptr_t)p.addr, min64(p.wr, sizeof(before))))
		fz_fail(c, "unknown command wrote to its argument",
			"ioctl {cmd %#x = dir %u nr %#x size %u} -> %ld: the argument changed", cmd,
			_IOC_DIR(cmd), _IOC_NR(cmd), _IOC_SIZE(cmd), r);
}

/* ------------------------------------------------------------------------ */
/* ioctl: INFO.                                                              */

static void check_info(struct ctx *c, int ch, const struct dmacopy_info *i)
{
	char what[200];
	size_t n;

	snprintf(what, sizeof(what), "INFO of %s (/dev/dmacopy%d)", chans[ch].dev,
		 atomic_load(&chans[ch].node));
	n = strnlen(i->controller, sizeof(i->controller));
	if (i->abi_version != DMACOPY_ABI_VERSION || (i->caps & ~CAP_ALL) ||
	    !(i->caps & CAP_MMAP) || i->caps != caps || i->buf_size != bs || i->max_len != bs ||
	    i->reg_base != chans[ch].reg_base || !i->irq || i->irq != chans[ch].irq ||
	    i->align != chans[ch].ctl->align ||
	    n == sizeof(i->controller) || strcmp(i->controller, chans[ch].ctl->name) ||
	    i->reserved[0] || i->reserved[1] || i->reserved[2] || i->reserved[3])
		fz_fail(c, "INFO content",
			"%s: abi %u caps %#x (first %#x) buf_size %llu (%llu) max_len %llu "
			"reg_base %#llx (%#llx) irq %u (%u) align %u (%u) controller '%.16s' (%s) "
			"reserved %#llx %#llx %#llx %#llx", what, i->abi_version, i->caps, caps,
			U64(i->buf_size), U64(bs), U64(i->max_len), U64(i->reg_base),
			U64(chans[ch].reg_base), i->irq, chans[ch].irq, i->align,
			chans[ch].ctl->align,
			n < sizeof(i->controller) ? i->controller : "(no NUL)", chans[ch].ctl->name,
			U64(i->reserved[0]), U64(i->reserved[1]), U64(i->reserved[2]),
			U64(i->reserved[3]));
}

static void op_info(struct ctx *c, int ch)
{
	int s = fd_any(c, ch);
	struct dmacopy_info poison, out;
	struct ptr p;
	struct env e;
	long r;
	int err;

	if (s < 0)
		return;
	memset(&poison, 0xcc, sizeof(poison));
	p = place(c, gen_pk(c), sizeof(poison), RW_ARG, &poison);
	e = env_begin(ch, c->v[ch].fds[s].epoch);
	count_call(c, "ioctl INFO");
	r = ioctl(c->v[ch].fds[s].fd, DMACOPY_IOC_INFO, (void *)(uintptr_t)p.addr);
	err = errno;
	env_end(&e, ch);
	if (!chkf(c, env_accept(&e, p.wr < sizeof(out) ? A(EFAULT) : A(OK)), r, err,
		  "ioctl INFO", "{arg %s %#llx}", pk_names[p.kind], U64(p.addr)))
		return;
	if (r > 0)
		fz_fail(c, "ioctl returned a positive value", "ioctl INFO returned %ld", r);
	if (r == 0) {
		memcpy(&out, (void *)(uintptr_t)p.addr, sizeof(out));
		check_info(c, ch, &out);
	}
}

/* ------------------------------------------------------------------------ */
/* ioctl: COPY.                                                              */

/* Whether a DMA copy on ch may meet an armed fault. */
static bool fault_possible(struct ctx *c, int ch)
{
	if (c->threaded)
		return chans[ch].cls & CL_FAULT;
	return chans[ch].armed == F_TIMEOUT || chans[ch].armed == F_STALL;
}

/* Boundary values for offsets and lengths. */
static uint64_t boundary(struct ctx *c)
{
	const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 63, 64, 4095, 4096, 4097, bs - 1, bs, bs + 1, win - 1, win,
		win + 1, 1ULL << 31, 1ULL << 32, (1ULL << 63) - 1, 1ULL << 63, (1ULL << 63) + 1,
		UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - bs + 1, UINT64_MAX - 4095,
		UINT64_MAX - bs, 1ULL << 30, (1ULL << 30) + 1, rnd(&c->rng), below(&c->rng, bs),
	};

	return v[below(&c->rng, ARRAY_LEN(v))];
}

static uint64_t gen_timeout(struct ctx *c)
{
	const uint64_t v[] = {
		0, 0, 0, 0, 0, 1, 999, NSEC_PER_MSEC, 7 * NSEC_PER_MSEC, 200 * NSEC_PER_MSEC,
		NSEC_PER_SEC, 10 * NSEC_PER_SEC, 1ULL << 62, 1ULL << 63, UINT64_MAX,
		rnd(&c->rng),
	};

	return v[below(&c->rng, ARRAY_LEN(v))];
}

/* Where a valid copy may write in DST: the thread's own part or the scratch part. */
static void dst_region(struct ctx *c, uint64_t *lo, uint64_t *hi)
{
	if (c->threaded && c->scr_hi > c->scr_lo && chance(&c->rng, 30)) {
		*lo = c->scr_lo;
		*hi = c->scr_hi;
	} else {
		*lo = c->own_lo;
		*hi = c->own_hi;
	}
}

static bool dst_allowed(struct ctx *c, uint64_t dst, uint64_t len)
{
	if (!c->threaded)
		return true;
	return (dst >= c->own_lo && dst + len <= c->own_hi) ||
	       (dst >= c->scr_lo && dst + len <= c->scr_hi);
}

struct copy_check {
	bool bad;		/* EINVAL by its fields */
	uint32_t eff;		/* the mode a valid copy must use */
};

static struct copy_check copy_fields(int ch, const struct dmacopy_copy *q)
{
	struct copy_check k = { 0 };
	uint64_t thresh = atomic_load(&chans[ch].thresh);

	uint32_t al = chans[ch].align;
	bool misaligned = (q->src_off | q->dst_off | q->len) % al;

	k.bad = !q->len || q->len > bs || q->src_off > bs || q->len > bs - q->src_off ||
		q->dst_off > bs || q->len > bs - q->dst_off || q->mode > MODE_AUTO || q->flags ||
		q->reserved[0] || q->reserved[1];
	k.eff = q->mode == MODE_AUTO ? (q->len < thresh ? MODE_CPU : MODE_DMA) : q->mode;
	/* A misaligned copy in DMA mode (asked for, or AUTO from its threshold on) never reaches
	 * the controller.
	 */
	if (misaligned && k.eff == MODE_DMA)
		k.bad = true;
	return k;
}

/*
 * One struct dmacopy_copy: valid more than half of the time, else with boundary values.
 * in_batch: entries of a batch (short, timeout_ns 0).
 */
static void gen_copy(struct ctx *c, int ch, struct dmacopy_copy *q, bool in_batch)
{
	static const uint64_t bad_modes[] = {
		3, 4, 7, 8, 0x10, 0xff, 0x80000000U, UINT32_MAX,
	};
	uint32_t al = chans[ch].align;
	uint64_t lo, hi, k;
	struct copy_check cc;

	memset(q, 0, sizeof(*q));
	if (chance(&c->rng, 60)) {
		dst_region(c, &lo, &hi);
		q->len = skewed_len(&c->rng, min64(in_batch ? 16384 : bs, hi - lo));
		q->src_off = chance(&c->rng, 10) ? bs - q->len : below(&c->rng, bs - q->len + 1);
		q->dst_off = chance(&c->rng, 10) ? hi - q->len
						 : lo + below(&c->rng, hi - lo - q->len + 1);
		if (al > 1 && chance(&c->rng, 80) && q->len >= al) {
			q->len -= q->len % al;
			q->src_off -= q->src_off % al;
			q->dst_off -= q->dst_off % al;
		}
	} else {
		q->src_off = chance(&c->rng, 30) ? below(&c->rng, bs) : boundary(c);
		q->dst_off = chance(&c->rng, 30) ? below(&c->rng, bs) : boundary(c);
		q->len = chance(&c->rng, 30) ? between(&c->rng, 1, bs) : boundary(c);
		if (chance(&c->rng, 25)) {
			/* An offset whose sum with len wraps around to a small number. */
			q->len = between(&c->rng, 2, 8192);
			k = between(&c->rng, 1, q->len - 1);
			if (chance(&c->rng, 50))
				q->src_off = 0 - k;
			else
				q->dst_off = 0 - k;
		}
	}
	q->mode = chance(&c->rng, 88) ? (uint32_t)below(&c->rng, 3)
				      : (uint32_t)pick64(&c->rng, bad_modes, ARRAY_LEN(bad_modes));
	if (!chance(&c->rng, 93))
		q->flags = chance(&c->rng, 50) ? 1U << below(&c->rng, 32)
					       : (uint32_t)rnd(&c->rng) | 1;
	q->timeout_ns = in_batch ? (chance(&c->rng, 97) ? 0 : gen_timeout(c) | 1) : gen_timeout(c);
	if (!chance(&c->rng, 94))
		q->reserved[below(&c->rng, 2)] = chance(&c->rng, 50) ? 1 : rnd(&c->rng) | 1;
	/* Garbage in the out fields: they are outputs and must not matter. */
	q->elapsed_ns = rnd(&c->rng);
	q->mode_used = (uint32_t)rnd(&c->rng);
	q->hw_status = (uint32_t)rnd(&c->rng);

	/* Workers never let a valid copy write outside their parts of DST. */
	cc = copy_fields(ch, q);
	if (!cc.bad && !dst_allowed(c, q->dst_off, q->len))
		q->len = 0;
}

/* Outcomes of a valid copy that reaches the channel, mode eff. */
static unsigned int copy_accept(struct ctx *c, int ch, uint32_t eff, uint64_t timeout_ns)
{
	unsigned int a = A(OK);

	if (eff == MODE_DMA) {
		if (!c->threaded) {
			if (chans[ch].armed == F_ERROR)
				a = A(EIO);
			else if (chans[ch].armed == F_TIMEOUT || chans[ch].armed == F_STALL)
				a = A(ETIMEDOUT);
		} else if (chans[ch].cls & CL_FAULT) {
			a |= A(EIO) | A(ETIMEDOUT);
		}
		if (timeout_ns && timeout_ns <= SHORT_TIMEOUT_NS)
			a |= A(ETIMEDOUT);
	}
	/* Waiting for the turn or the completion is interruptible. */
	if (c->threaded)
		a |= A(EINTR);
	return a;
}

/*
 * Checks the struct a copy wrote back (on success, EIO, ETIMEDOUT). in is what was passed.
 * Returns whether it is right.
 */
static bool check_copy_out(struct ctx *c, int ch, const char *op,
			   const struct dmacopy_copy *in, const struct dmacopy_copy *out, int o,
			   uint32_t eff, uint64_t wall_ns, int armed)
{
	const struct ctl_model *m = chans[ch].ctl;
	const char *why = NULL;

	if (out->src_off != in->src_off || out->dst_off != in->dst_off || out->len != in->len ||
	    out->mode != in->mode || out->flags != in->flags || out->timeout_ns != in->timeout_ns)
		why = "in fields changed";
	else if (out->reserved[0] || out->reserved[1])
		why = "reserved not zero";
	else if (o == O_OK && out->mode_used != eff)
		why = "mode_used is not the mode the copy had to use";
	else if (o != O_OK && out->mode_used != MODE_DMA)
		why = "a failed copy's mode_used is not DMA";
	else if (o == O_OK && eff == MODE_CPU && out->hw_status)
		why = "hw_status of a CPU copy is not 0";
	else if (o == O_OK && eff == MODE_DMA &&
		 ((out->hw_status & m->done) != m->done || (out->hw_status & m->err)))
		why = "hw_status of a good DMA copy lacks a done bit or has an error bit";
	else if (o == O_OK && eff == MODE_DMA && armed == F_OVERFLOW &&
		 !(out->hw_status & m->notice))
		why = "inject overflow: hw_status shows no overflow notice";
	else if (o == O_EIO && !(out->hw_status & m->err))
		why = "EIO without an error bit in hw_status";
	else if (o == O_EIO && armed == F_ERROR && (out->hw_status & m->inj_err) != m->inj_err)
		why = "inject error: hw_status lacks the injected error bit";
	else if (o != O_ETIMEDOUT && out->elapsed_ns > wall_ns)
		why = "elapsed_ns longer than the whole call took";
	if (!why)
		return true;
	fz_fail(c, why, "%s {/dev/dmacopy%d (%s), src_off %#llx dst_off %#llx len %#llx mode %u} "
		"-> %s: %s: out {src_off %#llx dst_off %#llx len %#llx mode %u flags %#x "
		"timeout_ns %llu elapsed_ns %llu (call took %llu) mode_used %u hw_status %#x "
		"reserved %#llx %#llx}", op, atomic_load(&chans[ch].node), m->name,
		U64(in->src_off), U64(in->dst_off), U64(in->len), in->mode, outcomes[o].name, why,
		U64(out->src_off), U64(out->dst_off), U64(out->len), out->mode, out->flags,
		U64(out->timeout_ns), U64(out->elapsed_ns), U64(wall_ns), out->mode_used,
		out->hw_status, U64(out->reserved[0]), U64(out->reserved[1]));
	return false;
}

/* Reads DST[dst, dst + len) back and compares it with the shadow. */
static void verify_range(struct ctx *c, int ch, uint64_t off, uint64_t len, const char *what)
{
	int fd = helper_fd(c, ch);
	struct env e;
	long r;
	int err;

	if (fd < 0)
		return;
	e = env_begin(ch, c->v[ch].hepoch);
	count_helper(c, "pread (verify)");
	r = pread(fd, c->rbuf, len, (off_t)off);
	err = errno;
	env_end(&e, ch);
	if (r == (long)len)
		shadow_check(c, ch, off, c->rbuf, len, what);
	else
		chkf(c, short_accept(&e), r, err, "pread (verify)",
		     "{off %#llx, len %#llx}: short", U64(off), U64(len));
}

/*
 * Whether a DMA copy that ends with its completion (done or failed) must have been told by its
 * interrupt, counted in stats irqs: always where the controller has no polling phase, unless
 * its timeout is short enough for the driver to take a late completion from the controller
 * itself (a timeout from the module's default on that ends so is a lost interrupt anyway).
 */
static bool completes_by_irq(int ch, uint64_t timeout_ns)
{
	return chans[ch].ctl->irq_always && (!timeout_ns || timeout_ns > SHORT_TIMEOUT_NS);
}

/*
 * The model after a copy from SRC[src] to DST[dst] of len bytes ended with outcome o; by_irq:
 * see completes_by_irq().
 */
static void copy_done(struct ctx *c, int ch, uint64_t src, uint64_t dst, uint64_t len,
		      int o, uint32_t eff, bool by_irq)
{
	struct chan *h = &chans[ch];

	if (o == O_OK) {
		if (all_known(c, ch, src, len))
			memcpy(c->v[ch].shadow + bs + dst, c->v[ch].shadow + src, len);
		else
			model_resync(c, ch, bs + dst, len);
	} else if (o != O_ENODEV) {
		/* Failed, timed out, interrupted: DST holds anything. */
		model_resync(c, ch, bs + dst, len);
	}
	if (c->threaded)
		return;
	if (o == O_OK || o == O_EIO || o == O_ETIMEDOUT) {
		if (eff == MODE_DMA)
			h->armed = F_NONE;
		if (o == O_OK) {
			h->st[eff == MODE_DMA ? ST_DMA_COPIES : ST_CPU_COPIES]++;
			h->st[eff == MODE_DMA ? ST_DMA_BYTES : ST_CPU_BYTES] += len;
		} else {
			h->st[o == O_EIO ? ST_ERRORS : ST_TIMEOUTS]++;
		}
		if (eff == MODE_DMA && by_irq && o != O_ETIMEDOUT)
			h->st[ST_IRQS]++;
	}
}

static void op_copy(struct ctx *c, int ch)
{
	int s = fd_any(c, ch), o, err;
	struct dmacopy_copy q, out;
	struct copy_check cc;
	unsigned int base;
	uint64_t small, t0, wall;
	struct ptr p;
	struct env e;
	bool verify;
	long r;

	if (s < 0)
		return;
	gen_copy(c, ch, &q, false);
	cc = copy_fields(ch, &q);
	small = between(&c->rng, NSEC_PER_MSEC, 4 * NSEC_PER_MSEC);
	verify = chance(&c->rng, 30);
	if (!cc.bad && cc.eff == MODE_DMA && fault_possible(c, ch))
		q.timeout_ns = small;
	p = place(c, gen_pk(c), sizeof(q), RW_ARG, &q);

	if (p.rd < sizeof(q))
		base = A(EFAULT);
	else if (cc.bad)
		base = A(EINVAL) | (p.wr < sizeof(q) ? A(EFAULT) : 0);
	else if (p.wr < sizeof(q))
		base = A(EFAULT) | (c->threaded ? A(EINTR) : 0);
	else
		base = copy_accept(c, ch, cc.eff, q.timeout_ns);

	e = env_begin(ch, c->v[ch].fds[s].epoch);
	count_call(c, "ioctl COPY");
	if (tracing(c))
		say("trace call=%llu: ioctl COPY starts {%s, src_off %#llx dst_off %#llx len %#llx "
		    "mode %u timeout_ns %llu}", U64(c->calls), chans[ch].dev, U64(q.src_off),
		    U64(q.dst_off), U64(q.len), q.mode, U64(q.timeout_ns));
	t0 = now_ns();
	r = ioctl(c->v[ch].fds[s].fd, DMACOPY_IOC_COPY, (void *)(uintptr_t)p.addr);
	err = errno;
	wall = now_ns() - t0;
	env_end(&e, ch);
	o = outcome_of(r, err);
	if (!chkf(c, env_accept(&e, base), r, err, "ioctl COPY",
		  "{/dev/dmacopy%d, arg %s %#llx, src_off %#llx dst_off %#llx len %#llx mode %u "
		  "flags %#x timeout_ns %llu reserved %#llx %#llx; armed %s}",
		  atomic_load(&chans[ch].node), pk_names[p.kind], U64(p.addr), U64(q.src_off),
		  U64(q.dst_off), U64(q.len), q.mode, q.flags, U64(q.timeout_ns),
		  U64(q.reserved[0]), U64(q.reserved[1]),
		  c->threaded ? "?" : fault_names[chans[ch].armed])) {
		/* Something unexpected ran: make the model right again. */
		if (!cc.bad && o != O_ENODEV && o != O_EINVAL && o != O_EFAULT)
			copy_done(c, ch, q.src_off, q.dst_off, q.len, O_EINTR, cc.eff, false);
		if (!c->threaded && is_bound(ch)) {
			int f = inject_state(c, ch);

			chans[ch].armed = f < 0 ? F_NONE : f;
			chans[ch].stats_known = false;
		}
		return;
	}
	if (r > 0)
		fz_fail(c, "ioctl returned a positive value", "ioctl COPY returned %ld", r);
	/* On an instance going away the window's contents no longer matter. */
	if (cc.bad || o == O_ENODEV || p.rd < sizeof(q) || e.maybe)
		return;
	if (p.wr < sizeof(q)) {
		/* The copy may have run before the write-back failed. */
		copy_done(c, ch, q.src_off, q.dst_off, q.len, O_EINTR, cc.eff, false);
		if (!c->threaded) {
			int f = inject_state(c, ch);

			chans[ch].armed = f < 0 ? F_NONE : f;
			chans[ch].stats_known = false;
		}
		return;
	}
	if (o == O_OK || o == O_EIO || o == O_ETIMEDOUT) {
		memcpy(&out, (void *)(uintptr_t)p.addr, sizeof(out));
		check_copy_out(c, ch, "ioctl COPY", &q, &out, o, cc.eff, wall,
			       c->threaded ? F_NONE : chans[ch].armed);
	}
	copy_done(c, ch, q.src_off, q.dst_off, q.len, o, cc.eff,
		  completes_by_irq(ch, q.timeout_ns));
	if (o == O_OK && q.len <= 65536 && verify)
		verify_range(c, ch, bs + q.dst_off, q.len, "DST after COPY");
}

/* ------------------------------------------------------------------------ */
/* ioctl: COPY_USER.                                                         */

/* A user address for one end of a COPY_USER of len bytes; *good if it is in the data area. */
static uint64_t gen_user_addr(struct ctx *c, int kind, uint64_t len, bool *good)
{
	uint64_t data = (uint64_t)(uintptr_t)ar(c, RW_DATA);
	uint64_t k;

	*good = false;
	switch (kind) {
	case 1:		/* read-only */
		return (uint64_t)(uintptr_t)ar(c, AR_RO) + below(&c->rng, AR_RO_LEN / 2);
	case 2:
		return 0;
	case 3:
		return between(&c->rng, 1, 0xfff);
	case 4:
		return 0xffff800080000000ULL + 8 * below(&c->rng, 512);
	case 5:		/* running from read-write memory into a hole */
		k = len > 1 ? between(&c->rng, 1, min64(len - 1, 0x3000)) : 1;
		return (uint64_t)(uintptr_t)ar(c, AR_RW + AR_RW_LEN) - k;
	case 6:		/* wrapping around the end of the address space */
		return 0 - between(&c->rng, 1, 8192);
	case 7:
		return (uint64_t)(uintptr_t)ar(c, AR_HOLE1) + below(&c->rng, 64);
	default:
		*good = true;
		if (len >= RW_DATA_LEN)
			return data;
		return data + below(&c->rng, RW_DATA_LEN - len + 1);
	}
}

/*
 * The mode a COPY_USER of mode eff runs in: in DMA mode the controller moves only whole DMA
 * cache lines (ARCH_DMA_MINALIGN, 128 bytes on arm64) of the destination, and nothing when the
 * two ranges are misaligned with each other modulo the controller's align; a copy of which the
 * controller moves nothing goes by the CPU (mode_used CPU, no fault consumed).
 */
#define DMA_LINE	128U
static uint32_t cuser_mode(uint32_t eff, uint64_t src, uint64_t dst, uint64_t len,
			   uint32_t align)
{
	uint64_t head;

	if (eff != MODE_DMA)
		return eff;
	if (align > 1 && (src ^ dst) % align)
		return MODE_CPU;
	head = (DMA_LINE - dst % DMA_LINE) % DMA_LINE;
	return len > head && (len - head) / DMA_LINE ? MODE_DMA : MODE_CPU;
}

static void op_copy_user(struct ctx *c, int ch)
{
	uint8_t *snap = c->snap;
	static const uint64_t lens[] = {
		0, 1, 2, COPY_USER_MAX, COPY_USER_MAX + 1, 1ULL << 63, UINT64_MAX, 1ULL << 20,
		(1ULL << 20) + 1, 1ULL << 32,
	};
	int s = fd_any(c, ch), o, err, sk, dk;
	bool exists = caps & CAP_COPY_USER, sgood, dgood, ein, efa, either;
	struct dmacopy_copy_user q;
	struct dmacopy_copy in, out;
	uint64_t len, t0, wall, thresh;
	uint32_t eff;
	unsigned int base;
	struct ptr p;
	struct env e;
	long r;

	if (s < 0 || (c->threaded && !(chans[ch].cls & CL_CUSER)))
		return;
	memset(&q, 0, sizeof(q));
	len = chance(&c->rng, 75) ? skewed_len(&c->rng, RW_DATA_LEN / 2)
				  : pick64(&c->rng, lens, ARRAY_LEN(lens));
	sk = chance(&c->rng, 80) ? 0 : (int)below(&c->rng, 8);
	dk = chance(&c->rng, 80) ? 0 : (int)below(&c->rng, 9);
	q.len = len;
	q.src = gen_user_addr(c, sk, len, &sgood);
	if (dk == 8 && len && len < RW_DATA_LEN) {
		/* Overlapping the source. */
		uint64_t d = below(&c->rng, len);

		q.dst = chance(&c->rng, 50) && q.src >= d ? q.src - d : q.src + d;
		dgood = false;
	} else {
		q.dst = gen_user_addr(c, dk == 8 ? 0 : dk, len, &dgood);
	}
	if (sgood && dgood && len <= RW_DATA_LEN / 2 && chance(&c->rng, 90)) {
		/* Two separate good ranges. */
		uint64_t data = (uint64_t)(uintptr_t)ar(c, RW_DATA);

		q.src = data + below(&c->rng, RW_DATA_LEN / 2 - len + 1);
		q.dst = data + RW_DATA_LEN / 2 + below(&c->rng, RW_DATA_LEN / 2 - len + 1);
		if (chance(&c->rng, 50)) {
			uint64_t t = q.src;

			q.src = q.dst;
			q.dst = t;
		}
	}
	q.mode = chance(&c->rng, 90) ? (uint32_t)below(&c->rng, 3) : (uint32_t)rnd(&c->rng) | 4;
	if (!chance(&c->rng, 94))
		q.flags = 1U << below(&c->rng, 32);
	q.timeout_ns = gen_timeout(c);
	if (!chance(&c->rng, 95))
		q.reserved[below(&c->rng, 2)] = 1;
	q.elapsed_ns = rnd(&c->rng);
	q.mode_used = (uint32_t)rnd(&c->rng);
	q.hw_status = (uint32_t)rnd(&c->rng);

	thresh = atomic_load(&chans[ch].thresh);
	eff = q.mode == MODE_AUTO ? (len < thresh ? MODE_CPU : MODE_DMA) : q.mode;
	eff = cuser_mode(eff, q.src, q.dst, len, chans[ch].align);
	ein = !len || len > COPY_USER_MAX || q.mode > MODE_AUTO || q.flags || q.reserved[0] ||
	      q.reserved[1];
	either = false;
	if (q.src + len < q.src || q.dst + len < q.dst)
		either = true;		/* overlap is moot when a range wraps: EINVAL or EFAULT */
	else if (len && q.src < q.dst + len && q.dst < q.src + len)
		ein = true;
	efa = !user_range_ok(c, q.src, len, false) || !user_range_ok(c, q.dst, len, true);
	if (!ein && !efa && eff == MODE_DMA && fault_possible(c, ch))
		q.timeout_ns = between(&c->rng, NSEC_PER_MSEC, 4 * NSEC_PER_MSEC);
	else
		(void)between(&c->rng, NSEC_PER_MSEC, 4 * NSEC_PER_MSEC);

	p = place(c, gen_pk(c), sizeof(q), RW_ARG, &q);
	if (!ein && !efa && !either)
		memcpy(snap, (void *)(uintptr_t)q.src, len);

	if (!exists)
		base = A(ENOTTY);
	else if (p.rd < sizeof(q))
		base = A(EFAULT);
	else if (ein || efa || either)
		base = (ein ? A(EINVAL) : 0) | (efa ? A(EFAULT) : 0) |
		       (either ? A(EINVAL) | A(EFAULT) : 0) | (p.wr < sizeof(q) ? A(EFAULT) : 0);
	else if (p.wr < sizeof(q))
		base = A(EFAULT);
	else
		base = copy_accept(c, ch, eff, q.timeout_ns);

	e = env_begin(ch, c->v[ch].fds[s].epoch);
	count_call(c, "ioctl COPY_USER");
	if (tracing(c))
		say("trace call=%llu: ioctl COPY_USER starts {src %#llx dst %#llx len %#llx mode %u "
		    "timeout_ns %llu}", U64(c->calls), U64(q.src), U64(q.dst), U64(q.len), q.mode,
		    U64(q.timeout_ns));
	t0 = now_ns();
	r = ioctl(c->v[ch].fds[s].fd, FZ_IOC_COPY_USER, (void *)(uintptr_t)p.addr);
	err = errno;
	wall = now_ns() - t0;
	env_end(&e, ch);
	o = outcome_of(r, err);
	chkf(c, env_accept(&e, base), r, err, "ioctl COPY_USER",
	     "{arg %s %#llx, src %#llx dst %#llx len %#llx mode %u flags %#x timeout_ns %llu "
	     "reserved %#llx %#llx; caps %#x, armed %s}", pk_names[p.kind], U64(p.addr),
	     U64(q.src), U64(q.dst), U64(q.len), q.mode, q.flags, U64(q.timeout_ns),
	     U64(q.reserved[0]), U64(q.reserved[1]), caps,
	     c->threaded ? "?" : fault_names[chans[ch].armed]);
	if (!exists || o == O_ENODEV || o == O_ENOTTY || o == O_EINVAL || e.maybe)
		return;
	/* It may have run, or begun to, and moved bytes through SRC and DST. */
	model_resync(c, ch, 0, win);
	/* It may have run a DMA: the fault model and the counters follow the driver again. */
	if (!c->threaded && eff == MODE_DMA && is_bound(ch)) {
		int f = inject_state(c, ch);

		chans[ch].armed = f < 0 ? F_NONE : f;
	}
	chans[ch].stats_known = false;
	if ((o == O_OK || o == O_EIO || o == O_ETIMEDOUT) && p.wr >= sizeof(q) && !ein && !efa) {
		memcpy(&out, (void *)(uintptr_t)p.addr, sizeof(out));
		memcpy(&in, &q, sizeof(in));
		check_copy_out(c, ch, "ioctl COPY_USER", &in, &out, o, eff, wall, F_NONE);
	}
	if (o == O_OK && !ein && !efa && !either &&
	    memcmp((void *)(uintptr_t)q.dst, snap, len)) {
		uint64_t j;

		for (j = 0; ((uint8_t *)(uintptr_t)q.dst)[j] == snap[j]; j++)
			;
		fz_fail(c, "COPY_USER destination differs from the source",
			"ioctl COPY_USER {src %#llx dst %#llx len %#llx mode %u}: byte %#llx is "
			"%#04x, want %#04x", U64(q.src), U64(q.dst), U64(len), q.mode, U64(j),
			((uint8_t *)(uintptr_t)q.dst)[j], snap[j]);
	}
}

/* ------------------------------------------------------------------------ */
/* ioctl: COPY_BATCH.                                                        */

static void gen_entry(struct ctx *c, int ch, struct dmacopy_copy *q)
{
	uint32_t al = chans[ch].align;
	uint64_t lo, hi;

	if (chance(&c->rng, 8)) {
		gen_copy(c, ch, q, true);
		return;
	}
	memset(q, 0, sizeof(*q));
	dst_region(c, &lo, &hi);
	q->len = skewed_len(&c->rng, min64(16384, hi - lo));
	q->src_off = below(&c->rng, bs - q->len + 1);
	q->dst_off = lo + below(&c->rng, hi - lo - q->len + 1);
	if (al > 1 && q->len >= al) {
		q->len -= q->len % al;
		q->src_off -= q->src_off % al;
		q->dst_off -= q->dst_off % al;
	}
	q->mode = (uint32_t)below(&c->rng, 3);
	q->elapsed_ns = rnd(&c->rng);
	q->mode_used = (uint32_t)rnd(&c->rng);
	q->hw_status = (uint32_t)rnd(&c->rng);
}

/* After a batch ran: which fault is still armed and what the counters hold, from the driver. */
static void batch_resync_model(struct ctx *c, int ch, bool any_dma)
{
	int f;

	if (c->threaded)
		return;
	chans[ch].stats_known = false;
	if (any_dma && is_bound(ch)) {
		f = inject_state(c, ch);
		chans[ch].armed = f < 0 ? F_NONE : f;
	}
}

static void op_batch(struct ctx *c, int ch)
{
	struct dmacopy_copy *ents = c->ents, *outs = c->outs;
	int s = fd_any(c, ch), o, err, ak, armed;
	bool exists = caps & CAP_BATCH, any_bad = false, any_dma = false, arr_rd, arr_wr;
	uint64_t count, n, i, t0, wall, alen, aaddr = 0, kk;
	struct copy_check cc[BATCH_MAX + 1];
	struct fz_batch b, bo;
	unsigned int base, rows;
	struct ptr p;
	struct env e;
	long r;

	if (s < 0)
		return;
	switch (below(&c->rng, 20)) {
	case 0:
		count = 0;
		break;
	case 1:
		count = BATCH_MAX;
		break;
	case 2:
		count = BATCH_MAX + 1;
		break;
	case 3:
		count = UINT32_MAX;
		break;
	case 4:
		count = between(&c->rng, BATCH_MAX + 2, UINT32_MAX);
		break;
	case 5:
	case 6:
		count = between(&c->rng, 9, BATCH_MAX);
		break;
	default:
		count = between(&c->rng, 1, 8);
		break;
	}
	n = min64(count, BATCH_MAX + 1);
	for (i = 0; i < n; i++) {
		gen_entry(c, ch, &ents[i]);
		cc[i] = copy_fields(ch, &ents[i]);
	}
	if (n && chance(&c->rng, 5))
		ents[below(&c->rng, n)].timeout_ns = gen_timeout(c) | 1;
	for (i = 0; i < n && count <= BATCH_MAX; i++) {
		cc[i] = copy_fields(ch, &ents[i]);
		if (cc[i].bad || ents[i].timeout_ns)
			any_bad = true;
		if (cc[i].eff == MODE_DMA)
			any_dma = true;
	}

	memset(&b, 0, sizeof(b));
	b.count = (uint32_t)count;
	if (!chance(&c->rng, 95))
		b.flags = 1U << below(&c->rng, 32);
	if (!chance(&c->rng, 95))
		b.reserved = (uint32_t)rnd(&c->rng) | 1;
	b.timeout_ns = gen_timeout(c);
	b.elapsed_ns = rnd(&c->rng);
	b.done = (uint32_t)rnd(&c->rng);
	if (!any_bad && any_dma && fault_possible(c, ch))
		b.timeout_ns = between(&c->rng, 2 * NSEC_PER_MSEC, 8 * NSEC_PER_MSEC);
	else
		(void)between(&c->rng, 2 * NSEC_PER_MSEC, 8 * NSEC_PER_MSEC);

	/* Where the array is. */
	alen = n * sizeof(ents[0]);
	ak = chance(&c->rng, 75) ? 0 : (int)below(&c->rng, 7);
	kk = alen > 1 ? between(&c->rng, 1, alen - 1) : 0;
	switch (ak) {
	case 1:
		aaddr = (uint64_t)(uintptr_t)ar(c, RW_ARRAY) + between(&c->rng, 1, 7);
		break;
	case 2:
		if (alen <= AR_RO_LEN) {
			aaddr = (uint64_t)(uintptr_t)ar(c, AR_RO);
			ro_writable(c, true);
			memcpy((void *)(uintptr_t)aaddr, ents, alen);
			ro_writable(c, false);
			break;
		}
		/* fall through */
	case 3:
		aaddr = 0;
		break;
	case 4:
		aaddr = 0xffff800080000000ULL;
		break;
	case 5:		/* its end runs into a hole */
		aaddr = (uint64_t)(uintptr_t)ar(c, AR_RW + AR_RW_LEN) - alen + kk;
		break;
	case 6:
		aaddr = (uint64_t)(uintptr_t)ar(c, AR_HOLE1);
		break;
	default:
		aaddr = (uint64_t)(uintptr_t)ar(c, RW_ARRAY);
		break;
	}
	if (ak == 0 || ak == 1)
		memcpy((void *)(uintptr_t)aaddr, ents, alen);
	else if (ak == 5 && alen > kk)
		memcpy((void *)(uintptr_t)aaddr, ents, alen - kk);
	b.copies = aaddr;
	arr_rd = user_range_ok(c, aaddr, count * sizeof(ents[0]), false);
	arr_wr = user_range_ok(c, aaddr, count * sizeof(ents[0]), true);
	p = place(c, gen_pk(c), sizeof(b), RW_ARG2, &b);

	rows = 0;
	if (!count || count > BATCH_MAX || b.flags || b.reserved)
		rows |= A(EINVAL);
	if (count && !arr_rd)
		rows |= A(EFAULT);
	if (count && count <= BATCH_MAX && arr_rd && any_bad)
		rows |= A(EINVAL);
	if (!exists)
		base = A(ENOTTY);
	else if (p.rd < sizeof(b))
		base = A(EFAULT);
	else if (rows)
		base = rows | (p.wr < sizeof(b) ? A(EFAULT) : 0);
	else if (!arr_wr || p.wr < sizeof(b))
		base = A(EFAULT);
	else
		base = copy_accept(c, ch, any_dma ? MODE_DMA : MODE_CPU, b.timeout_ns);

	armed = c->threaded ? F_NONE : chans[ch].armed;
	e = env_begin(ch, c->v[ch].fds[s].epoch);
	count_call(c, "ioctl COPY_BATCH");
	if (tracing(c))
		say("trace call=%llu: ioctl COPY_BATCH starts {count %llu timeout_ns %llu}",
		    U64(c->calls), U64(count), U64(b.timeout_ns));
	t0 = now_ns();
	r = ioctl(c->v[ch].fds[s].fd, FZ_IOC_COPY_BATCH, (void *)(uintptr_t)p.addr);
	err = errno;
	wall = now_ns() - t0;
	env_end(&e, ch);
	o = outcome_of(r, err);
	chkf(c, env_accept(&e, base), r, err, "ioctl COPY_BATCH",
	     "{arg %s %#llx, copies %#llx count %llu flags %#x reserved %#x timeout_ns %llu; "
	     "entries %s, first {src_off %#llx dst_off %#llx len %#llx mode %u}; caps %#x, "
	     "armed %s}", pk_names[p.kind], U64(p.addr), U64(aaddr), U64(count), b.flags,
	     b.reserved, U64(b.timeout_ns), any_bad ? "with a bad one" : "valid",
	     U64(n ? ents[0].src_off : 0), U64(n ? ents[0].dst_off : 0), U64(n ? ents[0].len : 0),
	     n ? ents[0].mode : 0, caps, c->threaded ? "?" : fault_names[armed]);
	if (!exists || o == O_ENODEV || o == O_ENOTTY || o == O_EINVAL || rows || e.maybe)
		return;
	if (o == O_EFAULT || p.wr < sizeof(b) || !arr_wr) {
		for (i = 0; i < count; i++)
			model_resync(c, ch, bs + ents[i].dst_off, ents[i].len);
		batch_resync_model(c, ch, any_dma);
		return;
	}
	memcpy(&bo, (void *)(uintptr_t)p.addr, sizeof(bo));
	memcpy(outs, (void *)(uintptr_t)aaddr, alen);
	if (bo.copies != b.copies || bo.count != b.count || bo.flags != b.flags ||
	    bo.timeout_ns != b.timeout_ns || bo.reserved || bo.done > count ||
	    (o == O_OK && bo.done != count) || bo.elapsed_ns > wall)
		fz_fail(c, "COPY_BATCH out fields", "ioctl COPY_BATCH count %llu -> %s: out "
			"{copies %#llx count %u flags %#x timeout_ns %llu elapsed_ns %llu (call took "
			"%llu) done %u reserved %#x}", U64(count), outcomes[o].name, U64(bo.copies),
			bo.count, bo.flags, U64(bo.timeout_ns), U64(bo.elapsed_ns), U64(wall),
			bo.done, bo.reserved);
	for (i = 0; i < count; i++) {
		if (i < bo.done && bo.done <= count) {
			check_copy_out(c, ch, "ioctl COPY_BATCH entry", &ents[i], &outs[i], O_OK,
				       cc[i].eff, wall, F_NONE);
			copy_done(c, ch, ents[i].src_off, ents[i].dst_off, ents[i].len, O_OK,
				  cc[i].eff, false);
		} else {
			if (memcmp(&ents[i], &outs[i], sizeof(ents[i])))
				fz_fail(c, "COPY_BATCH touched an entry that did not complete",
					"ioctl COPY_BATCH count %llu -> %s, done %u: entry %llu "
					"changed", U64(count), outcomes[o].name, bo.done, U64(i));
			model_resync(c, ch, bs + ents[i].dst_off, ents[i].len);
		}
	}
	batch_resync_model(c, ch, any_dma);
}

/* ------------------------------------------------------------------------ */
/* read, write and their variants; lseek.                                    */

static int64_t gen_pos(struct ctx *c)
{
	const int64_t v[] = {
		0, 1, 7, 4095, 4096, (int64_t)bs - 1, (int64_t)bs, (int64_t)bs + 1,
		(int64_t)win - 4096, (int64_t)win - 1, (int64_t)win, (int64_t)win + 1,
		(int64_t)win + 4096, 1LL << 31, 1LL << 32, INT64_MAX, INT64_MAX - 1,
		INT64_MAX - 4095, -1, -4096, INT64_MIN,
		(int64_t)below(&c->rng, win), (int64_t)below(&c->rng, win),
		(int64_t)below(&c->rng, win), (int64_t)below(&c->rng, win),
		(int64_t)(win - below(&c->rng, 8192)),
	};

	return v[below(&c->rng, ARRAY_LEN(v))];
}

static uint64_t gen_rwlen(struct ctx *c)
{
	const uint64_t big[] = { bs - 1, bs, bs + 1, win - 1, win, win + 1 };
	const uint64_t small[] = { 1, 2, 3, 4, 8, 16, 4095, 4096, 4097 };
	uint64_t k = below(&c->rng, 80);

	if (k < 4)
		return 0;
	if (k < 48)
		return between(&c->rng, 1, 4096);
	if (k < 70)
		return between(&c->rng, 1, 65536);
	if (k < 71)
		return between(&c->rng, 1, win + 4096);
	if (k < 73)
		return pick64(&c->rng, big, ARRAY_LEN(big));
	return pick64(&c->rng, small, ARRAY_LEN(small));
}

/* A buffer of n bytes for reading into (write false) or writing from (write true). */
static struct ptr gen_buf(struct ctx *c, uint64_t n, bool write)
{
	uint8_t *good = write ? c->wbuf : c->rbuf;
	struct ptr p = { 0 };
	int k = gen_pk(c);

	if (k == PK_GOOD || k == PK_ODD) {
		p.kind = k;
		p.addr = (uint64_t)(uintptr_t)good + 64 * below(&c->rng, 64) +
			 (k == PK_ODD ? between(&c->rng, 1, 63) : 0);
		p.rd = p.wr = n;
		return p;
	}
	if (k == PK_TOP || k == PK_NONCANON)
		k = PK_KERNEL;
	p = place(c, k, n ? n : 1, RW_ARG, NULL);
	p.rd = min64(p.rd, n);
	p.wr = min64(p.wr, n);
	return p;
}

/* An offset and length a write may use: anywhere single-threaded; own, scratch or past the end
 * for a worker.
 */
static void gen_write_at(struct ctx *c, int64_t *pos, uint64_t *n)
{
	uint64_t lo, hi;

	*pos = gen_pos(c);
	*n = gen_rwlen(c);
	if (!c->threaded)
		return;
	switch (below(&c->rng, 5)) {
	case 0:
		lo = c->own_lo;
		hi = c->own_hi;
		break;
	case 1:
		lo = bs + c->own_lo;
		hi = bs + c->own_hi;
		break;
	case 2:
		lo = c->scr_lo;
		hi = c->scr_hi;
		break;
	case 3:
		lo = bs + c->scr_lo;
		hi = bs + c->scr_hi;
		break;
	default:
		/* Past the end, or bad: nothing is written there. */
		if (*pos >= 0 && (uint64_t)*pos < win)
			*pos = (int64_t)win + (int64_t)below(&c->rng, 8192);
		return;
	}
	*pos = (int64_t)(lo + below(&c->rng, hi - lo));
	/* The scratch part of DST ends the window: a write there may cross the end. */
	if (hi != win && *n > hi - (uint64_t)*pos)
		*n = hi - (uint64_t)*pos;
}

/* An iovec array; segments taken from buffer good in order. Returns the count. */
struct iovs {
	struct iovec *iov;	/* in the arena */
	uint64_t cnt;
	uint64_t total;		/* sum of the lengths */
	uint64_t prefix;	/* bytes accessible from the start, in order */
	bool kern;		/* a segment the VFS refuses (kernel address) */
	bool arr_bad;		/* the array itself cannot be read */
	int kind;		/* of the array pointer */
};

static struct iovs gen_iovs(struct ctx *c, bool write, uint64_t budget)
{
	uint8_t *good = write ? c->wbuf : c->rbuf;
	struct iovs v = { 0 };
	uint64_t i, used = 0, len;
	bool stopped = false;
	struct ptr p;

	switch (below(&c->rng, 20)) {
	case 0:
		v.cnt = 0;
		break;
	case 1:
		v.cnt = 1024;
		break;
	case 2:
		v.cnt = 1025;
		break;
	case 3:
		v.cnt = between(&c->rng, 9, 64);
		break;
	default:
		v.cnt = between(&c->rng, 1, 8);
		break;
	}
	v.iov = (struct iovec *)(uintptr_t)ar(c, RW_ARRAY);
	for (i = 0; i < v.cnt && i < 1025; i++) {
		int k = chance(&c->rng, 88) ? PK_GOOD : gen_pk(c);

		len = chance(&c->rng, 15) ? 0 : (v.cnt > 64 ? between(&c->rng, 1, 16)
							   : gen_rwlen(c) / (v.cnt + 1) + 1);
		if (used + len > win + 32768)
			len = 0;
		len = min64(len, budget - v.total);
		if (k == PK_GOOD || k == PK_ODD) {
			v.iov[i].iov_base = good + used;
			used += len;
			p.rd = p.wr = len;
			p.kern = false;
		} else {
			if (k == PK_TOP || k == PK_NONCANON)
				k = PK_KERNEL;
			p = place(c, k, len ? len : 1, RW_ARG, NULL);
			v.iov[i].iov_base = (void *)(uintptr_t)p.addr;
			p.rd = min64(p.rd, len);
			p.wr = min64(p.wr, len);
		}
		v.iov[i].iov_len = len;
		v.total += len;
		if (p.kern)
			v.kern = true;
		if (!stopped) {
			uint64_t ok = write ? p.rd : p.wr;

			v.prefix += ok;
			if (ok < len)
				stopped = true;
		}
	}
	v.kind = PK_GOOD;
	if (v.cnt && chance(&c->rng, 6)) {
		/* The array itself is bad: NULL, a kernel address or cut by a hole. */
		switch (below(&c->rng, 3)) {
		case 0:
			v.kind = PK_NULL;
			v.iov = NULL;
			break;
		case 1:
			v.kind = PK_KERNEL;
			v.iov = (struct iovec *)0xffff800080000000ULL;
			break;
		default:
			v.kind = PK_STR_HOLE;
			memmove(ar(c, AR_RW + AR_RW_LEN) - v.cnt * sizeof(struct iovec) + 8,
				v.iov, v.cnt * sizeof(struct iovec) - 8);
			v.iov = (struct iovec *)(uintptr_t)(ar(c, AR_RW + AR_RW_LEN) -
							    v.cnt * sizeof(struct iovec) + 8);
			break;
		}
		v.arr_bad = true;
	}
	return v;
}

/* Gathers the first n bytes an iovec array covers into out. */
static void iov_gather(const struct iovs *v, uint8_t *out, uint64_t n)
{
	uint64_t i, l;

	for (i = 0; i < v->cnt && n; i++) {
		l = min64(n, v->iov[i].iov_len);
		memcpy(out, v->iov[i].iov_base, l);
		out += l;
		n -= l;
	}
}

/*
 * The outcomes of a read or write at pos of n bytes whose buffer has an accessible prefix of
 * acc bytes, once the VFS has let it through to the driver; *rmax: the most it may return.
 */
static unsigned int rw_driver_accept(bool write, int64_t pos, uint64_t n, uint64_t acc,
				     uint64_t *rmin, uint64_t *rmax)
{
	uint64_t k;

	*rmin = *rmax = 0;
	if (!n)
		return A(OK) | (write && (uint64_t)pos >= win ? A(ENOSPC) : 0);
	if ((uint64_t)pos >= win)
		/* End of file; a driver may check the buffer or not. */
		return (write ? A(ENOSPC) : A(OK)) | (acc < n ? A(EFAULT) : 0);
	k = min64(n, win - (uint64_t)pos);
	if (acc >= k) {
		*rmin = *rmax = k;
		return A(OK);
	}
	if (!acc)
		return A(EFAULT);
	/* Short: up to the fault (a copy may stop a little before it). */
	*rmin = 1;
	*rmax = acc;
	return A(OK) | A(EFAULT);
}

static const char *const rw_names[2][4] = {
	{ "read", "pread", "readv", "preadv" },
	{ "write", "pwrite", "writev", "pwritev" },
};

static void op_rw(struct ctx *c, int ch, bool wr)
{
	int s = fd_any(c, ch), variant = (int)below(&c->rng, 4), o, err;
	bool positional = variant & 1, vec = variant & 2, readable, writable, vfs = false;
	uint64_t n = 0, acc = 0, rmin, rmax;
	unsigned int accept = 0;
	struct iovs v = { 0 };
	struct fzfd *f;
	struct ptr p = { 0 };
	struct env e;
	int64_t pos;
	long r;

	if (s < 0)
		return;
	f = &c->v[ch].fds[s];
	if (wr) {
		gen_write_at(c, &pos, &n);
		if (c->threaded && !positional) {
			/* Workers write at a known place: seek there first. */
			e = env_begin(ch, f->epoch);
			count_call(c, "lseek");
			r = lseek(f->fd, pos, SEEK_SET);
			err = errno;
			env_end(&e, ch);
			if (!chkf(c, env_accept(&e, pos < 0 ? A(EINVAL) : A(OK) | A(EINVAL) |
						    A(EINTR)),
				  r, err, "lseek", "{SEEK_SET %lld before a write}", (long long)pos) ||
			    r < 0 || r != pos)
				return;
			f->pos = (uint64_t)pos;
		}
	} else {
		pos = gen_pos(c);
		n = gen_rwlen(c);
	}
	if (!positional)
		pos = (int64_t)f->pos;
	if (vec) {
		/* A worker's write stays in the part gen_write_at chose. */
		v = gen_iovs(c, wr, wr && c->threaded ? n : UINT64_MAX);
		n = v.total;
		acc = v.prefix;
	} else {
		p = gen_buf(c, n, wr);
		acc = wr ? p.rd : p.wr;
	}
	readable = f->acc != O_WRONLY;
	writable = f->acc != O_RDONLY;

	/* What the VFS says before the driver sees the call. */
	vfs = true;
	if (positional && pos < 0)
		accept = A(EINVAL);
	else if (wr ? !writable : !readable)
		accept = A(EBADF);
	else if (vec && v.cnt > 1024)
		accept = A(EINVAL);
	else if (vec && v.arr_bad)
		accept = A(EFAULT);
	else if (vec ? v.kern : p.kern)
		accept = A(EFAULT);
	else if (vec && !v.total)
		accept = A(OK);
	else if (n && (int64_t)((uint64_t)pos + n) < 0)
		accept = A(EINVAL);
	else
		vfs = false;
	if (!vfs)
		accept = rw_driver_accept(wr, pos, n, acc, &rmin, &rmax);
	else
		rmin = rmax = 0;

	e = env_begin(ch, f->epoch);
	count_call(c, rw_names[wr][variant]);
	switch (variant | (wr ? 4 : 0)) {
	case 0:
		r = read(f->fd, (void *)(uintptr_t)p.addr, n);
		break;
	case 1:
		r = pread(f->fd, (void *)(uintptr_t)p.addr, n, pos);
		break;
	case 2:
		r = readv(f->fd, v.iov, (int)v.cnt);
		break;
	case 3:
		r = preadv(f->fd, v.iov, (int)v.cnt, pos);
		break;
	case 4:
		r = write(f->fd, (void *)(uintptr_t)p.addr, n);
		break;
	case 5:
		r = pwrite(f->fd, (void *)(uintptr_t)p.addr, n, pos);
		break;
	case 6:
		r = writev(f->fd, v.iov, (int)v.cnt);
		break;
	default:
		r = pwritev(f->fd, v.iov, (int)v.cnt, pos);
		break;
	}
	err = errno;
	env_end(&e, ch);
	o = outcome_of(r, err);
	if (!vfs) {
		accept = env_accept(&e, accept);
		if (c->threaded)
			accept |= A(EINTR);
	}
	if (!chkf(c, accept, r, err, rw_names[wr][variant],
		  "{/dev/dmacopy%d acc %d epoch %u, pos %lld, len %#llx, buf %s %#llx "
		  "(accessible %#llx), iovcnt %llu}", atomic_load(&chans[ch].node), f->acc,
		  f->epoch, (long long)pos, U64(n), vec ? pk_names[v.kind] : pk_names[p.kind],
		  U64(vec ? (uint64_t)(uintptr_t)v.iov : p.addr), U64(acc), U64(v.cnt))) {
		if (wr && o == O_OK)
			model_resync(c, ch, (uint64_t)pos, min64(n, win));
		if (!positional)
			f->pos = r >= 0 ? f->pos + (uint64_t)r : f->pos;
		return;
	}
	if (o != O_OK || vfs || e.maybe) {
		if (wr && o == O_EFAULT && !vfs && acc && (uint64_t)pos < win)
			model_resync(c, ch, (uint64_t)pos, min64(acc, win - (uint64_t)pos));
		/* Unbound during the call: all of it, or ENODEV (never cut short by the unbind:
		 * the rest would have failed had it started later); the bytes no longer matter.
		 */
		if (o == O_OK && !vfs && ((uint64_t)r < rmin || (uint64_t)r > rmax))
			fz_fail(c, wr ? "write cut short by unbind" : "read cut short by unbind",
				"%s {/dev/dmacopy%d, pos %lld len %#llx accessible %#llx} returned "
				"%#lx while its channel was unbound, want %#llx..%#llx or ENODEV",
				rw_names[wr][variant], atomic_load(&chans[ch].node), (long long)pos,
				U64(n), U64(acc), r, U64(rmin), U64(rmax));
		if (o == O_OK && !positional)
			f->pos += (uint64_t)r;
		return;
	}
	if ((uint64_t)r < rmin || (uint64_t)r > rmax) {
		fz_fail(c, wr ? "write count wrong" : "read count wrong",
			"%s {pos %lld len %#llx accessible %#llx} returned %#lx, want %#llx..%#llx",
			rw_names[wr][variant], (long long)pos, U64(n), U64(acc), r, U64(rmin),
			U64(rmax));
		if (wr)
			model_resync(c, ch, (uint64_t)pos, min64(n, win));
	} else if (r > 0) {
		const uint8_t *data;

		if (vec) {
			iov_gather(&v, c->tbuf, (uint64_t)r);
			data = c->tbuf;
		} else {
			data = (const uint8_t *)(uintptr_t)p.addr;
		}
		if (wr)
			shadow_set(c, ch, (uint64_t)pos, data, (uint64_t)r);
		else
			shadow_check(c, ch, (uint64_t)pos, data, (uint64_t)r,
				     rw_names[wr][variant]);
	}
	if (!positional)
		f->pos += (uint64_t)r;
}

static void op_lseek(struct ctx *c, int ch)
{
	static const int whences[] = {
		SEEK_SET, SEEK_SET, SEEK_SET, SEEK_CUR, SEEK_CUR, SEEK_END, SEEK_END, SEEK_DATA,
		SEEK_HOLE, 5, -1, 0x7fffffff,
	};
	int s = fd_any(c, ch), whence, err, o;
	unsigned int accept;
	struct fzfd *f;
	struct env e;
	int64_t off, t = 0;
	bool vfs, exact = false, ovf = false;
	long long r;

	if (s < 0)
		return;
	f = &c->v[ch].fds[s];
	whence = whences[below(&c->rng, ARRAY_LEN(whences))];
	if (chance(&c->rng, 35))
		off = (int64_t)between(&c->rng, 0, 8192) - 4096;
	else if (chance(&c->rng, 50))
		off = (int64_t)below(&c->rng, win + 1);
	else
		off = gen_pos(c);

	vfs = (unsigned int)whence > SEEK_HOLE;
	if (vfs) {
		accept = A(EINVAL);
	} else if (whence == SEEK_DATA || whence == SEEK_HOLE) {
		/* The spec is silent on these: the generic meaning, or EINVAL. */
		if (off < 0)
			accept = A(EINVAL) | A(ENXIO);
		else if ((uint64_t)off >= win)
			accept = A(ENXIO) | A(EINVAL);
		else
			accept = A(OK) | A(EINVAL);
		t = whence == SEEK_DATA ? off : (int64_t)win;
		exact = true;
	} else {
		if (whence == SEEK_SET)
			t = off;
		else
			ovf = __builtin_add_overflow(whence == SEEK_CUR ? (int64_t)f->pos
								       : (int64_t)win, off, &t);
		if (ovf || t < 0)
			accept = A(EINVAL) | (ovf ? A(EOVERFLOW) : 0);
		else if ((uint64_t)t > win)
			/* Past the end: the spec does not say; either is fine. */
			accept = A(OK) | A(EINVAL);
		else
			accept = A(OK);
		exact = true;
	}
	e = env_begin(ch, f->epoch);
	count_call(c, "lseek");
	r = lseek(f->fd, off, whence);
	err = errno;
	env_end(&e, ch);
	o = outcome_of((long)r, err);
	if (!vfs) {
		accept = env_accept(&e, accept);
		if (c->threaded)
			accept |= A(EINTR);
	}
	if (!chkf(c, accept, (long)r, err, "lseek",
		  "{/dev/dmacopy%d epoch %u, pos %llu, off %lld, whence %d}",
		  atomic_load(&chans[ch].node), f->epoch, U64(f->pos), (long long)off, whence))
		return;
	if (o == O_OK && exact && r != t && !e.maybe) {
		fz_fail(c, "lseek result", "lseek {pos %llu, off %lld, whence %d} returned %lld, "
			"want %lld", U64(f->pos), (long long)off, whence, r, (long long)t);
	}
	if (o == O_OK)
		f->pos = (uint64_t)r;
}

/* ------------------------------------------------------------------------ */
/* mmap, accesses through mappings, munmap, mremap.                          */

static int map_slot(struct ctx *c, int ch)
{
	struct view *v = &c->v[ch];
	int used[NMAPS], n = 0, i;

	for (i = 0; i < NMAPS; i++)
		if (v->maps[i].addr)
			used[n++] = i;
	return n ? used[below(&c->rng, (uint64_t)n)] : -1;
}

static void op_mmap(struct ctx *c, int ch)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
		PROT_READ, PROT_READ, PROT_WRITE, PROT_NONE, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	static const int flagss[] = {
		MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_SHARED,
		MAP_SHARED, MAP_SHARED, MAP_PRIVATE, MAP_PRIVATE, MAP_SHARED_VALIDATE,
		MAP_SHARED | MAP_POPULATE,
	};
	int s = fd_any(c, ch), prot, flags, slot, err, o;
	uint64_t off, len, plen = 0;
	bool in_win, vfs = true, private;
	unsigned int accept, extra;
	struct fzfd *f;
	struct env e;
	void *a;

	if (s < 0)
		return;
	f = &c->v[ch].fds[s];
	in_win = chance(&c->rng, 75);
	if (in_win) {
		off = PG * below(&c->rng, win / PG);
		len = chance(&c->rng, 10) ? win - off : between(&c->rng, 1, min64(win - off, 64 * PG));
	} else {
		const uint64_t offs[] = {
			win, win + PG, win - PG, bs, 1ULL << 40, UINT64_MAX & ~(PG - 1), 1ULL << 63,
			1, PG + 1, bs + 3, win - 1, PG * below(&c->rng, win / PG),
		};
		const uint64_t lens[] = {
			0, 1, PG - 1, PG + 1, win + 1, win, 2 * win, 1ULL << 40, UINT64_MAX - PG + 2,
			1ULL << 47, between(&c->rng, 1, 64 * PG),
		};

		off = pick64(&c->rng, offs, ARRAY_LEN(offs));
		len = pick64(&c->rng, lens, ARRAY_LEN(lens));
	}
	prot = prots[below(&c->rng, ARRAY_LEN(prots))];
	flags = flagss[below(&c->rng, ARRAY_LEN(flagss))];
	private = (flags & MAP_TYPE) == MAP_PRIVATE;

	/*
	 * What the VFS says first, in the order of arm64 sys_mmap and do_mmap: alignment,
	 * length, offset overflow, room in the address space (only a huge length may find none),
	 * the largest offset (file_mmap_ok), the file's access mode. Then the driver.
	 */
	extra = 0;
	if (off % PG || !len) {
		accept = A(EINVAL);
	} else if (len > UINT64_MAX - PG + 1) {
		accept = A(ENOMEM);
	} else {
		plen = (len + PG - 1) & ~(PG - 1);
		if (off / PG + plen / PG < off / PG)
			accept = A(EOVERFLOW);
		else if (plen > (1ULL << 48))
			accept = A(ENOMEM);
		else {
			extra = plen >= (1ULL << 40) ? A(ENOMEM) : 0;
			if (off / PG > (UINT64_MAX - plen) / PG)
				accept = A(EOVERFLOW) | extra;
			else if (f->acc == O_WRONLY ||
				 (!private && (prot & PROT_WRITE) && f->acc == O_RDONLY))
				accept = A(EACCES) | extra;
			else
				vfs = false;
		}
	}
	if (!vfs) {
		if (private)
			accept = A(EINVAL);
		else if (off + plen > win || off + plen < off)
			accept = A(EINVAL);
		else
			accept = A(OK) | (prot & PROT_EXEC ? A(EPERM) | A(EACCES) : 0);
	}

	e = env_begin(ch, f->epoch);
	count_call(c, "mmap");
	a = mmap(NULL, len, prot, flags, f->fd, (off_t)off);
	err = errno;
	env_end(&e, ch);
	o = a == MAP_FAILED ? outcome_of(-1, err) : O_OK;
	if (!vfs) {
		accept = env_accept(&e, accept) | extra;
		if (c->threaded)
			accept |= A(EINTR);
	}
	chkf(c, accept, a == MAP_FAILED ? -1 : 0, err, "mmap",
	     "{/dev/dmacopy%d acc %d epoch %u, off %#llx, len %#llx, prot %#x, flags %#x}",
	     atomic_load(&chans[ch].node), f->acc, f->epoch, U64(off), U64(len), prot, flags);
	if (o != O_OK)
		return;
	if (accept & A(OK) && !private && !e.maybe) {
		struct view *v = &c->v[ch];

		for (slot = 0; slot < NMAPS && v->maps[slot].addr; slot++)
			;
		if (slot == NMAPS) {
			slot = (int)below(&c->rng, NMAPS);
			map_drop(c, ch, slot);
		}
		v->maps[slot] = (struct fzmap){
			.addr = a, .len = plen, .off = off, .prot = prot, .epoch = f->epoch,
		};
		return;
	}
	count_helper(c, "munmap");
	if (munmap(a, plen ? plen : len))
		fz_fail(c, "munmap", "munmap %p: %s", a, strerror(errno));
}

/* Touches a window mapping: reads it and compares, or writes it. */
static void op_touch(struct ctx *c, int ch)
{
	int slot = map_slot(c, ch), sig;
	bool wr, rd, do_write;
	uint64_t o, n, src;
	struct fzmap *m;
	struct env e;
	unsigned int accept;

	if (slot < 0)
		return;
	m = &c->v[ch].maps[slot];
	o = below(&c->rng, m->len);
	n = min64(m->len - o, skewed_len(&c->rng, 8192));
	src = below(&c->rng, c->buflen - 8192);
	rd = m->prot & PROT_READ;
	wr = (m->prot & PROT_WRITE) && (m->prot & PROT_READ);
	do_write = wr && chance(&c->rng, 50) && own_range(c, m->off + o, n);
	if (!rd)
		return;
	e = env_begin(ch, m->epoch);
	count_call(c, do_write ? "store to mapping" : "load from mapping");
	if (do_write)
		sig = guarded_copy(m->addr + o, c->wbuf + src, n);
	else
		sig = guarded_copy(c->tbuf, m->addr + o, n);
	env_end(&e, ch);
	/* Spec: an access through a mapping of an unbound channel raises SIGBUS. */
	accept = e.dead ? A(SIGBUS) : e.maybe ? A(SIGBUS) | A(OK) : A(OK);
	if (!(accept & (1U << (sig == SIGBUS ? O_SIGBUS : sig ? O_SIGSEGV : O_OK)))) {
		char key[120], want[60];

		accept_str(want, sizeof(want), accept);
		snprintf(key, sizeof(key), "%s: got %s, want %s",
			 do_write ? "store to mapping" : "load from mapping",
			 sig == SIGBUS ? "SIGBUS" : sig ? "SIGSEGV" : "no signal", want);
		fz_fail(c, key, "%s {%s epoch %u (channel epoch %u, %u unbinds), "
			"mapping of window [%#llx, %#llx) prot %#x, at window offset %#llx, "
			"%#llx bytes}: %s", do_write ? "store to mapping" : "load from mapping",
			chans[ch].dev, m->epoch, atomic_load(&chans[ch].epoch),
			atomic_load(&chans[ch].unbinds), U64(m->off), U64(m->off + m->len), m->prot,
			U64(m->off + o), U64(n), key);
		return;
	}
	if (sig || e.maybe)
		return;
	if (do_write)
		shadow_set(c, ch, m->off + o, c->wbuf + src, n);
	else
		shadow_check(c, ch, m->off + o, c->tbuf, n, "load from mapping");
}

static void op_munmap(struct ctx *c, int ch)
{
	int slot = map_slot(c, ch);

	if (slot >= 0)
		map_drop(c, ch, slot);
}

static void op_mremap(struct ctx *c, int ch)
{
	int slot = map_slot(c, ch), err, sig;
	uint64_t nl, i, woff, old;
	struct fzmap *m;
	struct env e;
	void *a;

	if (slot < 0)
		return;
	m = &c->v[ch].maps[slot];
	if (m->len > PG && chance(&c->rng, 40)) {
		nl = m->len - PG * between(&c->rng, 1, m->len / PG - 1);
		count_call(c, "mremap (shrink)");
		a = mremap(m->addr, m->len, nl, 0);
		err = errno;
		if (chkf(c, A(OK), a == MAP_FAILED ? -1 : 0, err, "mremap (shrink)",
			 "{len %#llx -> %#llx}", U64(m->len), U64(nl)))
			m->len = nl;
		return;
	}
	nl = m->len + PG * between(&c->rng, 1, 4);
	e = env_begin(ch, m->epoch);
	count_call(c, "mremap (grow)");
	a = mremap(m->addr, m->len, nl, MREMAP_MAYMOVE);
	err = errno;
	env_end(&e, ch);
	/* Growing a mapping of the window may be refused; if not, what lies past the window must
	 * not be reachable.
	 */
	if (!chkf(c, A(OK) | A(EFAULT) | A(EINVAL) | A(ENOMEM), a == MAP_FAILED ? -1 : 0, err,
		  "mremap (grow)", "{window [%#llx, %#llx) -> len %#llx}", U64(m->off),
		  U64(m->off + m->len), U64(nl)) || a == MAP_FAILED)
		return;
	old = m->len;
	m->addr = a;
	m->len = nl;
	for (i = 0; i < nl / PG && (m->prot & PROT_READ); i++) {
		woff = m->off + i * PG;
		e = env_begin(ch, m->epoch);
		count_helper(c, "load from grown mapping");
		sig = guarded_copy(c->tbuf, m->addr + i * PG, 8);
		env_end(&e, ch);
		if (woff >= win && sig != SIGBUS)
			fz_fail(c, "grown mapping reaches past the window",
				"mremap grew a mapping of window [%#llx, %#llx) to %#llx bytes: a "
				"load at window offset %#llx gave %s, want SIGBUS", U64(m->off),
				U64(m->off + m->len - (nl - m->len)), U64(nl), U64(woff),
				sig ? "SIGSEGV" : "data");
		else if (woff < win && !e.maybe && sig)
			fz_fail(c, "grown mapping lost its window pages",
				"mremap grew a mapping: load at window offset %#llx gave signal %d",
				U64(woff), sig);
	}
	/* Back to the window part only, so that later accesses stay inside. */
	count_helper(c, "mremap (shrink)");
	a = mremap(m->addr, nl, old, 0);
	err = errno;
	if (chkf(c, A(OK), a == MAP_FAILED ? -1 : 0, err, "mremap (shrink)",
		 "{len %#llx -> %#llx}", U64(nl), U64(old)))
		m->len = old;
}

/* ------------------------------------------------------------------------ */
/* debugfs inject and stats, sysfs unbind and bind.                          */

/*
 * Writes one word to inject of ch and checks the result. Returns the fault armed by it, -1 if
 * it armed nothing, -2 if the result was wrong. The inject thread may race with the unbind
 * thread: a channel that is unbound meanwhile has its inject file gone (ENOENT) or removed
 * under the open file (EIO), as debugfs does.
 */
static int inject_write(struct ctx *c, int ch, struct rng *rng)
{
	static const char *const invalid[] = {
		"bogus", "Timeout", "TIMEOUT", "timeoutx", "timeou", "time out", "error error",
		"errorr", " stall x", "\n", "overflow!", "spurious\nx", "stal",
		"erro", "spuriousspuriousspurious", "timeout,error", "-1", "1", "overflow overflow",
		"timeouttimeouttimeouttimeouttimeouttimeouttimeouttimeouttimeouttimeouttimeouttimeouttimeouttimeout",
	};
	/* Timeouts and stalls cost a wait each: fewer of them. */
	static const int words[] = {
		F_TIMEOUT, F_ERROR, F_ERROR, F_SPURIOUS, F_OVERFLOW, F_OVERFLOW, F_STALL, F_NONE, F_SLOW,
	};
	struct chan *h = &chans[ch];
	char path[128], text[160];
	unsigned int e1 = atomic_load(&h->epoch);
	int kind = (int)below(rng, 100), f = -1, err, node = atomic_load(&h->node);
	const void *buf = text;
	unsigned int accept;
	size_t len;
	long r;

	dbg_path(path, sizeof(path), node, "inject");
	if (kind < 60) {
		f = words[below(rng, ARRAY_LEN(words))];
		len = (size_t)snprintf(text, sizeof(text), "%s%s", fault_names[f],
				       chance(rng, 50) ? "\n" : "");
		/* A word the controller does not offer (overflow where it has no notices). */
		accept = h->ctl->words & FB(f) ? A(OK) : A(EINVAL);
	} else if (kind < 95) {
		size_t i = below(rng, ARRAY_LEN(invalid) + 2);

		if (i < ARRAY_LEN(invalid)) {
			len = strlen(invalid[i]);
			memcpy(text, invalid[i], len + 1);
		} else {
			/* Capital letters: never a word. */
			len = between(rng, 1, 24);
			for (size_t j = 0; j < len; j++)
				text[j] = (char)between(rng, 'A', 'Z');
			text[len] = 0;
		}
		accept = A(EINVAL);
	} else {
		buf = NULL;
		len = 7;
		accept = A(EFAULT) | A(EINVAL);
	}
	count_call(c, "write inject");
	{
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		if (fd < 0) {
			err = errno;
			r = -1;
		} else {
			r = write(fd, buf, len);
			err = errno;
			close(fd);
		}
	}
	if ((e1 & 1) || atomic_load(&h->epoch) != e1)
		accept |= A(ENOENT) | A(EIO);
	if (!chkf(c, accept, r, err, "write inject", "{%s (%s), '%.*s' (%zu bytes)}", path,
		  h->ctl->name, buf ? (int)strcspn(text, "\n") : 4, buf ? text : "NULL", len))
		return -2;
	if (r >= 0 && (size_t)r != len) {
		fz_fail(c, "write inject short", "write inject '%s': %ld of %zu bytes", text, r,
			len);
		return -2;
	}
	if (f >= 0 && r >= 0) {
		if (f != F_NONE)
			atomic_fetch_add(&g_injected, 1);
		return f;
	}
	return -1;
}

static void op_inject(struct ctx *c, int ch)
{
	bool check = chance(&c->rng, 15);
	int f, node;

	if (!is_bound(ch))
		return;
	f = inject_write(c, ch, &c->rng);
	if (f >= 0)
		chans[ch].armed = f;
	node = atomic_load(&chans[ch].node);
	if (check || f == -2) {
		if (check)
			count_call(c, "read inject");
		else
			count_helper(c, "read inject");
		f = inject_state(c, ch);
		if (f >= 0 && f != chans[ch].armed)
			fz_fail(c, "inject reads back something else",
				"inject of /dev/dmacopy%d reads '%s', want '%s'", node,
				fault_names[f], fault_names[chans[ch].armed]);
		if (f >= 0)
			chans[ch].armed = f;
	}
}

/* Reads stats of ch into val[] (in the order of stat_names). Returns whether it worked. */
static bool stats_read(struct ctx *c, int ch, uint64_t *val)
{
	char path[128], buf[2048], *line, *save = NULL;
	bool seen[ARRAY_LEN(stat_names)] = { false };
	size_t i;
	int err;

	dbg_path(path, sizeof(path), atomic_load(&chans[ch].node), "stats");
	err = read_text(path, buf, sizeof(buf));
	if (!chkf(c, A(OK), err ? -1 : 0, err, "read stats", "{%s}", path))
		return false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned long long v;
		char tail;

		if (sscanf(line, "%31[a-z_]: %llu%c", name, &v, &tail) != 2)
			continue;
		for (i = 0; i < ARRAY_LEN(stat_names); i++)
			if (!strcmp(name, stat_names[i])) {
				seen[i] = true;
				val[i] = v;
			}
	}
	for (i = 0; i < ARRAY_LEN(stat_names); i++)
		if (!seen[i]) {
			fz_fail(c, "stats lacks a counter", "%s has no line '%s: N'", path,
				stat_names[i]);
			return false;
		}
	return true;
}

static void op_stats(struct ctx *c, int ch)
{
	struct chan *h = &chans[ch];
	uint64_t val[ARRAY_LEN(stat_names)];
	char path[128];
	size_t i;

	if (!is_bound(ch))
		return;
	dbg_path(path, sizeof(path), atomic_load(&h->node), "stats");
	count_call(c, "read stats");
	if (!stats_read(c, ch, val)) {
		h->stats_known = false;
		return;
	}
	for (i = 0; h->stats_known && i < ST_NR; i++)
		if (val[st_name[i]] < h->st[i])
			fz_fail(c, "stats counter too low", "%s (%s): %s is %llu, want at least "
				"%llu", path, h->ctl->name, stat_names[st_name[i]],
				U64(val[st_name[i]]), U64(h->st[i]));
	for (i = 0; i < ST_NR; i++)
		h->st[i] = val[st_name[i]];
	h->stats_known = true;
}

/*
 * Unbinds device d, and with it all its channels. Returns whether it worked. Each channel's
 * epoch turns odd before the write and its unbind count grows once the write has returned: a
 * call that starts after that on a file of any of them must fail with ENODEV.
 */
static bool do_unbind(struct ctx *c, int d)
{
	struct devc *dv = &devs[d];
	int err, i;

	for (i = 0; i < dv->nchan; i++)
		atomic_fetch_add(&chans[dv->ch[i]].epoch, 1);	/* odd: going away */
	count_call(c, "unbind");
	err = sysfs_unbind(dv->name);
	if (!chkf(c, A(OK), err ? -1 : 0, err, "unbind", "{%s, %d channels}", dv->name,
		  dv->nchan)) {
		for (i = 0; i < dv->nchan; i++)
			atomic_fetch_sub(&chans[dv->ch[i]].epoch, 1);
		return false;
	}
	for (i = 0; i < dv->nchan; i++) {
		atomic_store(&chans[dv->ch[i]].node, -1);
		atomic_fetch_add(&chans[dv->ch[i]].unbinds, 1);
	}
	return true;
}

/* Binds device d and finds its channels' nodes. Returns whether it worked. */
static bool do_bind(struct ctx *c, int d)
{
	struct devc *dv = &devs[d];
	int err, i;

	count_call(c, "bind");
	err = sysfs_bind(dv->name);
	if (!chkf(c, A(OK), err ? -1 : 0, err, "bind", "{%s, %d channels}", dv->name, dv->nchan))
		return false;
	if (find_nodes(c, d))
		return false;
	for (i = 0; i < dv->nchan; i++) {
		struct chan *h = &chans[dv->ch[i]];

		h->armed = F_NONE;
		h->stats_known = false;
		atomic_fetch_add(&h->epoch, 1);		/* even: a new instance */
	}
	atomic_fetch_add(&g_unbind_rounds, 1);
	atomic_fetch_add(&g_rebound, (uint64_t)dv->nchan);
	return true;
}

static int count_unbound_devs(void)
{
	int d, n = 0;

	for (d = 0; d < ndev; d++)
		n += !dev_bound(d);
	return n;
}

/* Unbinds the device of ch, unless three are unbound (a single device: every channel goes). */
static void op_unbind(struct ctx *c, int ch)
{
	if (is_bound(ch) && count_unbound_devs() < 3)
		do_unbind(c, chans[ch].di);
}

/* Binds the device of ch; every channel of it must then have a zeroed window. */
static void op_bind(struct ctx *c, int ch)
{
	struct devc *dv = &devs[chans[ch].di];
	int i, k;

	if (is_bound(ch) || !do_bind(c, chans[ch].di))
		return;
	for (i = 0; i < dv->nchan; i++) {
		k = dv->ch[i];
		/* Spec: the buffers are zeroed at probe. */
		shadow_zero_known(c, k);
		c->v[k].seen = atomic_load(&chans[k].epoch);
		if (helper_fd(c, k) >= 0)
			verify_range(c, k, 0, win, "window after bind");
	}
}

/* ------------------------------------------------------------------------ */
/* The kernel log.                                                           */

#define MAX_REPORTS	24

static struct {
	pthread_mutex_t lock;
	uint64_t lines;			/* records read */
	uint64_t dmacopy;		/* records naming dmacopy */
	uint64_t lost;			/* times records were overwritten before we read them */
	uint64_t reports;		/* report lines (BUG, WARNING, ...) */
	char report[MAX_REPORTS][240];
	int fd;
	bool stop;
	pthread_t thread;
} klog = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

/* Whether word occurs in s as a word of its own (no letter right before or after). */
static bool has_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(s, word); p; p = strstr(p + 1, word)) {
		bool before = p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool after = isalnum((unsigned char)p[n]) || p[n] == '_';

		if (!before && !after)
			return true;
	}
	return false;
}

static bool is_report(const char *msg)
{
	static const char *const words[] = { "BUG", "WARNING", "Oops" };
	static const char *const parts[] = {
		"KASAN", "Call trace", "circular locking", "sleeping function", "recursive locking",
		"inconsistent lock state", "lock held when returning", "Unable to handle",
		"UBSAN", "suspected memory leak", "refcount_t", "list_add corruption",
		"list_del corruption", "stack-protector", "Kernel panic", "blocked for more than",
		"detected stall", "self-detected stall", "DEBUG_LOCKS_WARN_ON", "Bad page",
		"bad page", "Internal error", "general protection", "use-after-free",
		"out-of-bounds", "double-free", "ODEBUG",
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(words); i++)
		if (has_word(msg, words[i]))
			return true;
	for (i = 0; i < ARRAY_LEN(parts); i++)
		if (strstr(msg, parts[i]))
			return true;
	return false;
}

static void klog_drain(void)
{
	char buf[8192], *msg, *nl;
	long r;

	for (;;) {
		r = read(klog.fd, buf, sizeof(buf) - 1);
		if (r < 0) {
			if (errno == EPIPE) {
				pthread_mutex_lock(&klog.lock);
				klog.lost++;
				pthread_mutex_unlock(&klog.lock);
				continue;
			}
			if (errno == EINTR)
				continue;
			return;		/* EAGAIN: all read */
		}
		if (r == 0)
			return;
		buf[r] = 0;
		msg = strchr(buf, ';');
		msg = msg ? msg + 1 : buf;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		pthread_mutex_lock(&klog.lock);
		klog.lines++;
		/* The driver's own lines: "dmacopy <device>: ..." (dev_*) or "dmacopy: ..." (pr_*). */
		if (!strncmp(msg, "dmacopy", 7) && (msg[7] == ' ' || msg[7] == ':'))
			klog.dmacopy++;
		if (is_report(msg)) {
			if (klog.reports < MAX_REPORTS)
				snprintf(klog.report[klog.reports], sizeof(klog.report[0]), "%.239s",
					 msg);
			klog.reports++;
		}
		pthread_mutex_unlock(&klog.lock);
	}
}

static void *klog_thread(void *arg)
{
	struct pollfd pfd = { .events = POLLIN };
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pfd.fd = klog.fd;
	while (!__atomic_load_n(&klog.stop, __ATOMIC_ACQUIRE)) {
		poll(&pfd, 1, 100);
		klog_drain();
	}
	return NULL;
}

/* Starts reading the kernel log from now on. Returns 0 or an errno. */
static int klog_start(void)
{
	klog.fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (klog.fd < 0)
		return errno;
	if (lseek(klog.fd, 0, SEEK_END) < 0)
		return errno;
	return pthread_create(&klog.thread, NULL, klog_thread, NULL);
}

static void klog_snapshot(uint64_t *lines, uint64_t *dmacopy)
{
	sleep_us(300000);	/* let the reader catch up */
	pthread_mutex_lock(&klog.lock);
	*lines = klog.lines;
	*dmacopy = klog.dmacopy;
	pthread_mutex_unlock(&klog.lock);
}

/* ------------------------------------------------------------------------ */
/* Running the operations.                                                   */

typedef void (*op_fn)(struct ctx *c, int ch);

static void op_open(struct ctx *c, int ch)
{
	static const int accs[] = { O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_WRONLY };

	fd_open(c, ch, accs[below(&c->rng, ARRAY_LEN(accs))]);
}

static void op_close(struct ctx *c, int ch)
{
	struct view *v = &c->v[ch];
	int i = (int)below(&c->rng, NFDS);

	if (v->fds[i].fd >= 0)
		fd_close(c, ch, i);
}

static void op_read(struct ctx *c, int ch)
{
	op_rw(c, ch, false);
}

static void op_write(struct ctx *c, int ch)
{
	op_rw(c, ch, true);
}

static const struct {
	op_fn fn;
	unsigned int weight;
	bool single_only;
} ops[] = {
	/*
	 * Cheap calls often, costly ones (a file opened, a mapping made, debugfs) less: on the
	 * debug kernel opening a file or a mapping costs a hundred times an ioctl.
	 */
	{ op_ioctl_cmd, 760, false },
	{ op_info, 100, false },
	{ op_copy, 260, false },
	{ op_copy_user, 60, false },
	{ op_batch, 60, false },
	{ op_read, 140, false },
	{ op_write, 120, false },
	{ op_lseek, 260, false },
	{ op_mmap, 24, false },
	{ op_touch, 40, false },
	{ op_munmap, 12, false },
	{ op_mremap, 4, false },
	{ op_open, 4, false },
	{ op_close, 4, false },
	{ op_inject, 10, true },
	{ op_stats, 1, true },
};

static bool g_profile;
static uint64_t prof_ns[ARRAY_LEN(ops)], prof_calls[ARRAY_LEN(ops)];

static void check_time(void)
{
	if (now_ns() > g_deadline && !g_out_of_time) {
		g_out_of_time = true;
		atomic_store(&g_stop, true);
	}
}

/* Runs random operations until the thread's quota of calls is made. */
static void run_ops(struct ctx *c, uint64_t unbind_period)
{
	unsigned int total = 0, w;
	uint64_t it = 0, u, b;
	size_t i;
	int ch;

	for (i = 0; i < ARRAY_LEN(ops); i++)
		total += ops[i].weight;
	while (c->calls < c->quota && !atomic_load(&g_stop)) {
		if (!(it++ & 63))
			check_time();
		ch = (int)below(&c->rng, (uint64_t)nch);
		w = (unsigned int)below(&c->rng, total);
		u = below(&c->rng, unbind_period ? unbind_period : 1);
		b = below(&c->rng, 600);
		if (unbind_period && !u) {
			op_unbind(c, ch);
			continue;
		}
		if (unbind_period && !b && count_unbound_devs()) {
			/* Bind the device of an unbound channel, the first from ch on. */
			int j;

			for (j = 0; j < nch; j++)
				if (!is_bound((ch + j) % nch))
					break;
			op_bind(c, (ch + j) % nch);
			continue;
		}
		for (i = 0; w >= ops[i].weight; i++)
			w -= ops[i].weight;
		if (ops[i].single_only && c->threaded)
			continue;
		if (g_profile) {
			uint64_t t = now_ns(), n = c->calls;

			ops[i].fn(c, ch);
			prof_ns[i] += now_ns() - t;
			prof_calls[i] += c->calls - n;
		} else {
			uint64_t n = c->calls;

			ops[i].fn(c, ch);
			/* A worker with nothing to call while the channel's device is unbound (with
			 * a single device: every channel) leaves the CPUs to the bind.
			 */
			if (c->threaded && c->calls == n && !is_bound(ch))
				sleep_us(200);
		}
	}
}

/* DMACOPY_FUZZ_PROFILE=1: where the single-threaded phase spends its time. */
static void print_profile(void)
{
	size_t i;

	for (i = 0; g_profile && i < ARRAY_LEN(ops); i++)
		say("profile: op %zu: %llu calls, %.2f s", i, U64(prof_calls[i]),
		    (double)prof_ns[i] / 1e9);
}

/* Uses up the fault armed on ch (single-threaded model) with a DMA copy, checked as any. */
static void disarm(struct ctx *c, int ch)
{
	struct dmacopy_copy q, out;
	uint64_t t0, wall;
	int fd, err, o;
	long r;

	if (!is_bound(ch) || chans[ch].armed == F_NONE)
		return;
	fd = helper_fd(c, ch);
	if (fd < 0)
		return;
	memset(&q, 0, sizeof(q));
	q.len = 4096;
	q.mode = MODE_DMA;
	q.timeout_ns = 20 * NSEC_PER_MSEC;
	out = q;
	count_call(c, "ioctl COPY");
	t0 = now_ns();
	r = ioctl(fd, DMACOPY_IOC_COPY, &out);
	err = errno;
	wall = now_ns() - t0;
	o = outcome_of(r, err);
	if (chkf(c, copy_accept(c, ch, MODE_DMA, q.timeout_ns), r, err, "ioctl COPY",
		 "{/dev/dmacopy%d, 4096 bytes by DMA to use up the armed fault %s}",
		 atomic_load(&chans[ch].node), fault_names[chans[ch].armed]) &&
	    (o == O_OK || o == O_EIO || o == O_ETIMEDOUT))
		check_copy_out(c, ch, "ioctl COPY", &q, &out, o, MODE_DMA, wall, chans[ch].armed);
	copy_done(c, ch, 0, 0, 4096, o, MODE_DMA, completes_by_irq(ch, q.timeout_ns));
	chans[ch].armed = F_NONE;
}

static void ctx_init(struct ctx *c, int tid, const char *phase, bool threaded, uint64_t quota)
{
	int i, j;

	memset(c, 0, sizeof(*c));
	rng_seed(&c->rng, seed, (uint64_t)tid);
	c->tid = tid;
	c->phase = phase;
	c->threaded = threaded;
	c->quota = quota;
	c->buflen = win + 65536;
	c->rbuf = malloc(c->buflen);
	c->wbuf = malloc(c->buflen);
	c->tbuf = malloc(c->buflen);
	c->snap = malloc(RW_DATA_LEN);
	c->ents = calloc(BATCH_MAX + 1, sizeof(*c->ents));
	c->outs = calloc(BATCH_MAX + 1, sizeof(*c->outs));
	if (!c->rbuf || !c->wbuf || !c->tbuf || !c->snap || !c->ents || !c->outs)
		ksft_exit_fail_msg("out of memory\n");
	for (i = 0; i < (int)c->buflen; i++)
		c->wbuf[i] = (uint8_t)rnd(&c->rng);
	c->own_lo = 0;
	c->own_hi = bs;
	c->arena = mmap((void *)(ARENA_BASE + (unsigned long)tid * ARENA_STRIDE), AR_SIZE,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			-1, 0);
	if (c->arena == MAP_FAILED)
		ksft_exit_fail_msg("arena of thread %d: %s\n", tid, strerror(errno));
	for (i = 0; i < (int)AR_RW_LEN; i++)
		c->arena[i] = (uint8_t)rnd(&c->rng);
	if (munmap(ar(c, AR_HOLE1), PG) || munmap(ar(c, AR_HOLE2), PG) ||
	    munmap(ar(c, AR_HOLE3), AR_SIZE - AR_HOLE3) ||
	    mprotect(ar(c, AR_RO), AR_RO_LEN, PROT_READ) || mprotect(ar(c, AR_NONE), PG, PROT_NONE))
		ksft_exit_fail_msg("arena of thread %d: %s\n", tid, strerror(errno));
	for (i = 0; i < nch; i++) {
		c->v[i].shadow = malloc(win);
		if (!c->v[i].shadow)
			ksft_exit_fail_msg("out of memory\n");
		for (j = 0; j < NFDS; j++)
			c->v[i].fds[j].fd = -1;
		c->v[i].hfd = -1;
	}
}

/* Reads each window into the shadow. */
static void ctx_load(struct ctx *c)
{
	int i;

	for (i = 0; i < nch; i++) {
		c->v[i].seen = atomic_load(&chans[i].epoch);
		model_resync(c, i, 0, win);
	}
}

/* Closes every file and unmaps every mapping of the thread (both always work). */
static void ctx_release(struct ctx *c)
{
	int i, j;
	long r;

	for (i = 0; i < nch; i++) {
		for (j = 0; j < NFDS; j++)
			if (c->v[i].fds[j].fd >= 0)
				fd_close(c, i, j);
		for (j = 0; j < NMAPS; j++)
			if (c->v[i].maps[j].addr)
				map_drop(c, i, j);
		if (c->v[i].hfd >= 0) {
			count_call(c, "close");
			r = close(c->v[i].hfd);
			chkf(c, A(OK), r, errno, "close", "{helper file}");
			c->v[i].hfd = -1;
		}
	}
}

static void ctx_free(struct ctx *c)
{
	int i;

	for (i = 0; i < nch; i++)
		free(c->v[i].shadow);
	free(c->rbuf);
	free(c->wbuf);
	free(c->tbuf);
	free(c->snap);
	free(c->ents);
	free(c->outs);
	munmap(c->arena, AR_SIZE);
}

/* ------------------------------------------------------------------------ */
/* The threaded phase.                                                       */

#define MAX_WORKERS		16
#define MAX_THREADED_UNBINDS	12	/* a bind costs seconds on the debug kernel */
#define STUCK_S			120

static struct ctx *all_ctx[MAX_WORKERS + 4];
static int n_ctx;
static pthread_t worker_t[MAX_WORKERS];
static int nworkers;
static _Atomic bool workers_done;
static _Atomic int workers_running;
static _Atomic bool wd_stop;

static void block_async_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *worker_main(void *arg)
{
	struct ctx *c = arg;

	alt_stack();
	tls_ctx = c;
	ctx_load(c);
	run_ops(c, 0);
	ctx_release(c);
	atomic_fetch_sub(&workers_running, 1);
	return NULL;
}

static void *signal_main(void *arg)
{
	struct rng r;

	(void)arg;
	block_async_signals();
	rng_seed(&r, seed, 1000);
	while (!atomic_load(&workers_done)) {
		sleep_us(between(&r, 100, 3000));
		pthread_kill(worker_t[below(&r, (uint64_t)nworkers)],
			     chance(&r, 50) ? SIGALRM : SIGUSR1);
	}
	return NULL;
}

static void *inject_main(void *arg)
{
	struct ctx *c = arg;
	int list[MAX_CH], n = 0, i, ch;

	block_async_signals();
	alt_stack();
	tls_ctx = c;
	for (i = 0; i < nch; i++)
		if (chans[i].cls & CL_FAULT)
			list[n++] = i;
	while (n && !atomic_load(&workers_done) && !atomic_load(&g_stop)) {
		sleep_us(between(&c->rng, 1000, 8000));
		ch = list[below(&c->rng, (uint64_t)n)];
		/* Its device may be unbound (with a single device, it is now and then). */
		if (!is_bound(ch))
			continue;
		inject_write(c, ch, &c->rng);
		if (chance(&c->rng, 20)) {
			count_call(c, "read inject");
			inject_state(c, ch);
		}
	}
	return NULL;
}

static void *unbind_main(void *arg)
{
	struct ctx *c = arg;
	int list[MAX_DEV], n = 0, d;

	block_async_signals();
	alt_stack();
	tls_ctx = c;
	for (d = 0; d < ndev; d++)
		if (devs[d].unbinds)
			list[n++] = d;
	while (n && !atomic_load(&workers_done) && !atomic_load(&g_stop) &&
	       c->calls < 2 * MAX_THREADED_UNBINDS) {
		sleep_us(between(&c->rng, 20000, 100000));
		d = list[below(&c->rng, (uint64_t)n)];
		if (!do_unbind(c, d))
			continue;
		sleep_us(between(&c->rng, 0, 20000));
		do_bind(c, d);
	}
	return NULL;
}

static void *watchdog_main(void *arg)
{
	uint64_t last = 0, since = now_ns(), cur;
	int i;

	(void)arg;
	block_async_signals();
	while (!atomic_load(&wd_stop)) {
		sleep_us(1000000);
		cur = atomic_load(&g_calls);
		if (cur != last) {
			last = cur;
			since = now_ns();
			continue;
		}
		if (now_ns() - since < STUCK_S * NSEC_PER_SEC &&
		    now_ns() < g_deadline + 60 * NSEC_PER_SEC)
			continue;
		say("FAIL seed=%llu: no call returned for %d s (or far out of time); threads:",
		    U64(seed), STUCK_S);
		for (i = 0; i < n_ctx; i++)
			say("  %s#%d call=%llu: in %s", all_ctx[i]->phase, all_ctx[i]->tid,
			    U64(all_ctx[i]->calls), all_ctx[i]->cur ? all_ctx[i]->cur : "-");
		printf("Bail out! stuck\n");
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
	return NULL;
}

/* A context for a helper thread (inject, unbind): counts and checks, no buffers. */
static struct ctx *light_ctx(int tid, const char *phase)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		ksft_exit_fail_msg("out of memory\n");
	rng_seed(&c->rng, seed, (uint64_t)tid);
	c->tid = tid;
	c->phase = phase;
	c->threaded = true;
	c->quota = UINT64_MAX;
	all_ctx[n_ctx++] = c;
	return c;
}

static bool run_threaded(uint64_t quota, int want_workers)
{
	pthread_t sig_t, inj_t, unb_t;
	struct ctx *inj, *unb;
	uint64_t slice, perm[MAX_CH];
	unsigned int f0 = atomic_load(&g_failures);
	uint64_t t0 = now_ns();
	struct rng r;
	int i, j, k, d, nd, nq, nf, nu;
	bool reached = true;

	/* Classes: some channels quiet, some with faults, some unbound and bound. */
	rng_seed(&r, seed, 999);
	for (i = 0; i < nch; i++)
		perm[i] = (uint64_t)i;
	for (i = nch - 1; i > 0; i--) {
		uint64_t t;

		j = (int)below(&r, (uint64_t)i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	nq = nch >= 3 ? nch / 3 : 0;
	nf = nch >= 2 ? (nch - nq + 1) / 2 : 1;
	nu = nch - nq - nf;
	/*
	 * The devices the unbind thread unbinds and binds: those of the last channels of the
	 * permutation, until nu channels are theirs, never all when there are several. A single
	 * device is unbound and bound with every channel: each round is all or nothing.
	 */
	for (d = 0; d < ndev; d++)
		devs[d].unbinds = ndev == 1;
	for (i = nch - 1, k = 0, nd = 0; ndev > 1 && i >= 0 && k < nu && nd < ndev - 1; i--) {
		d = chans[perm[i]].di;
		if (!devs[d].unbinds) {
			devs[d].unbinds = true;
			nd++;
			k += devs[d].nchan;
		}
	}
	/* The other channels (all of them with a single device), in the permutation's order:
	 * nq quiet ones (the first gets COPY_USER), nf with faults, the rest as they are.
	 */
	for (i = 0, k = 0; i < nch; i++) {
		struct chan *h = &chans[perm[i]];

		h->cls = devs[h->di].unbinds ? CL_UNBIND : 0;
		if (ndev > 1 && h->cls)
			continue;
		if (k == 0 && nq)
			h->cls |= CL_CUSER;
		else if (k >= nq && k < nq + nf)
			h->cls |= CL_FAULT;
		k++;
	}
	for (i = 0; i < nch; i++)
		say("threaded: %s (/dev/dmacopy%d) %s%s%s", chans[i].dev,
		    atomic_load(&chans[i].node),
		    chans[i].cls & CL_FAULT ? "gets faults injected" :
		    chans[i].cls & CL_CUSER ? "gets COPY_USER (no data checks)" :
		    chans[i].cls & CL_UNBIND ? "" : "is left alone",
		    chans[i].cls & CL_UNBIND && chans[i].cls != CL_UNBIND ? ", and " : "",
		    chans[i].cls & CL_UNBIND ? (devs[chans[i].di].nchan > 1 ?
						"gets unbound and bound with its device" :
						"gets unbound and bound") : "");

	nworkers = want_workers;
	slice = (bs / (uint64_t)(nworkers + 1)) & ~(PG - 1);
	while (slice < 4 * PG && nworkers > 1) {
		nworkers--;
		slice = (bs / (uint64_t)(nworkers + 1)) & ~(PG - 1);
	}
	for (i = 0; i < nworkers; i++) {
		struct ctx *c = malloc(sizeof(*c));

		if (!c)
			ksft_exit_fail_msg("out of memory\n");
		ctx_init(c, i + 1, "threads", true, quota / (uint64_t)nworkers);
		c->own_lo = (uint64_t)i * slice;
		c->own_hi = c->own_lo + slice;
		c->scr_lo = (uint64_t)nworkers * slice;
		c->scr_hi = bs;
		all_ctx[n_ctx++] = c;
	}
	inj = light_ctx(100, "inject");
	unb = light_ctx(101, "unbind");
	atomic_store(&workers_done, false);
	atomic_store(&workers_running, nworkers);
	for (i = 0; i < nworkers; i++)
		if (pthread_create(&worker_t[i], NULL, worker_main, all_ctx[n_ctx - 2 - nworkers + i]))
			ksft_exit_fail_msg("pthread_create\n");
	if (pthread_create(&sig_t, NULL, signal_main, NULL) ||
	    pthread_create(&inj_t, NULL, inject_main, inj) ||
	    pthread_create(&unb_t, NULL, unbind_main, unb))
		ksft_exit_fail_msg("pthread_create\n");
	/* Wait for the workers without joining them: the signal thread may still signal any. */
	while (atomic_load(&workers_running))
		sleep_us(10000);
	atomic_store(&workers_done, true);
	pthread_join(sig_t, NULL);
	pthread_join(inj_t, NULL);
	pthread_join(unb_t, NULL);
	for (i = 0; i < nworkers; i++)
		pthread_join(worker_t[i], NULL);
	for (i = 0; i < nworkers; i++) {
		struct ctx *c = all_ctx[n_ctx - 2 - nworkers + i];

		if (c->calls < c->quota)
			reached = false;
		ctx_free(c);
	}
	say("threaded: %d workers, %llu calls in all so far, %.1f s, %llu signals sent, %llu "
	    "unbind rounds in all so far", nworkers, U64(atomic_load(&g_calls)),
	    (double)(now_ns() - t0) / 1e9, U64(atomic_load(&g_signals)),
	    U64(atomic_load(&g_unbind_rounds)));
	if (!reached)
		say("threaded: the workers did not make their calls (%s)",
		    g_out_of_time ? "out of time" : "stopped after too many failures");
	return reached && atomic_load(&g_failures) == f0;
}

/* ------------------------------------------------------------------------ */
/* After the fuzzing.                                                        */

static bool rebind_all(struct ctx *c)
{
	unsigned int f0 = atomic_load(&g_failures);
	struct dmacopy_info info;
	char path[256], name[64];
	int d, i, err, node;

	for (d = 0; d < ndev; d++) {
		snprintf(path, sizeof(path), DRV_DIR "/%.63s", devs[d].name);
		if (!dev_bound(d) || access(path, F_OK)) {
			if (dev_bound(d))
				for (i = 0; i < devs[d].nchan; i++)
					atomic_fetch_add(&chans[devs[d].ch[i]].epoch, 1);
			do_bind(c, d);
		}
	}
	for (d = 0; d < ndev; d++) {
		snprintf(path, sizeof(path), DRV_DIR "/%.63s", devs[d].name);
		if (access(path, F_OK))
			fz_fail(c, "device not bound at the end", "%s is not bound to dmacopy",
				devs[d].name);
	}
	for (i = 0; i < nch; i++) {
		node = atomic_load(&chans[i].node);
		err = node < 0 ? ENOENT : node_probe(node, name, sizeof(name), &info);
		if (err || info.reg_base != chans[i].reg_base || strcmp(name, chans[i].dev))
			fz_fail(c, "channel node wrong at the end", "%s reg_base %#llx: "
				"/dev/dmacopy%d is not its node (%s)", chans[i].dev,
				U64(chans[i].reg_base), node,
				err ? strerror(err) : "another channel");
	}
	return atomic_load(&g_failures) == f0;
}

static uint8_t pattern(uint64_t i, unsigned int salt)
{
	uint64_t x = i ^ (i >> 8) ^ (i >> 16);

	return (uint8_t)(x * 0x9d + salt * 0x3b + 1);
}

/* Channels that report the same irq as ch (itself included): their indexes in peer[]. */
static int irq_peers(int ch, int *peer)
{
	int i, n = 0;

	for (i = 0; i < nch; i++)
		if (chans[i].irq == chans[ch].irq)
			peer[n++] = i;
	return n;
}

/*
 * A DMA copy, a CPU copy, and a DMA copy with `slow` armed, of all of SRC: exact, and counted
 * in stats as they completed: the slow one by one interrupt, the CPU one by none, the plain DMA
 * one by one where the controller has no polling phase and by one at most where it has; no
 * interrupt or spurious interrupt counted on the other channels of a shared IRQ.
 */
static bool verify_channel(struct ctx *c, int ch)
{
	static const char *const what[3] = { "DMA", "CPU", "DMA (inject slow)" };
	const struct ctl_model *m = chans[ch].ctl;
	unsigned int f0 = atomic_load(&g_failures), k;
	int node = atomic_load(&chans[ch].node), fd, f, tries, peer[MAX_CH], np, j;
	uint64_t before[MAX_CH][ARRAY_LEN(stat_names)], after[MAX_CH][ARRAY_LEN(stat_names)];
	uint64_t i, d_irqs, lo, hi;
	struct dmacopy_copy q;
	char path[64], ip[128];
	bool stats_ok;
	long r;

	snprintf(path, sizeof(path), "/dev/dmacopy%d", node);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fz_fail(c, "verify: open", "open %s: %s", path, strerror(errno));
		return false;
	}
	/* Use up a fault the fuzzing left armed. */
	for (tries = 0; tries < 4; tries++) {
		f = inject_state(c, ch);
		if (f <= F_NONE)
			break;
		memset(&q, 0, sizeof(q));
		q.len = 4096;
		q.mode = MODE_DMA;
		q.timeout_ns = 50 * NSEC_PER_MSEC;
		ioctl(fd, DMACOPY_IOC_COPY, &q);
	}
	np = irq_peers(ch, peer);
	for (k = 0; k < 3; k++) {
		if (k == 2 && !(m->words & FB(F_SLOW)))
			break;
		for (i = 0; i < bs; i++)
			c->wbuf[i] = pattern(i, k + (unsigned int)ch * 3);
		r = pwrite(fd, c->wbuf, bs, 0);
		if (r != (long)bs) {
			fz_fail(c, "verify: fill SRC", "pwrite SRC of %s: %ld (%s)", path, r,
				strerror(errno));
			break;
		}
		stats_ok = true;
		for (j = 0; j < np; j++)
			stats_ok &= stats_read(c, peer[j], before[j]);
		if (k == 2) {
			dbg_path(ip, sizeof(ip), node, "inject");
			f = write_file(ip, "slow", 4, NULL);
			if (!chkf(c, A(OK), f ? -1 : 0, f, "write inject", "{%s, 'slow'}", ip))
				break;
		}
		memset(&q, 0, sizeof(q));
		q.len = bs;
		q.mode = k == 1 ? MODE_CPU : MODE_DMA;
		r = ioctl(fd, DMACOPY_IOC_COPY, &q);
		if (r || q.mode_used != q.mode ||
		    (q.mode == MODE_DMA &&
		     ((q.hw_status & m->done) != m->done || (q.hw_status & m->err)))) {
			fz_fail(c, "verify: copy", "%s copy of %llu bytes on %s (%s): %ld (%s), "
				"mode_used %u hw_status %#x", what[k], U64(bs), path, m->name, r,
				r ? strerror(errno) : "ok", q.mode_used, q.hw_status);
			continue;
		}
		for (j = 0; j < np; j++)
			stats_ok &= stats_read(c, peer[j], after[j]);
		for (j = 0; stats_ok && j < np; j++) {
			d_irqs = after[j][SN_IRQS] - before[j][SN_IRQS];
			lo = hi = 0;
			if (peer[j] == ch && k != 1) {
				hi = 1;
				lo = k == 2 || m->irq_always;
			}
			if (d_irqs < lo || d_irqs > hi ||
			    after[j][SN_SPURIOUS] != before[j][SN_SPURIOUS])
				fz_fail(c, "verify: interrupts counted", "%s copy on %s (%s, "
					"irq %u of %d channel%s): stats of /dev/dmacopy%d count %llu "
					"interrupts (want %llu..%llu) and %llu spurious ones "
					"(want 0)", what[k], path, m->name, chans[ch].irq, np,
					np > 1 ? "s" : "",
					atomic_load(&chans[peer[j]].node), U64(d_irqs), U64(lo),
					U64(hi), U64(after[j][SN_SPURIOUS] -
						    before[j][SN_SPURIOUS]));
		}
		memset(c->rbuf, 0, bs);
		r = pread(fd, c->rbuf, bs, (off_t)bs);
		if (r != (long)bs || memcmp(c->rbuf, c->wbuf, bs)) {
			for (i = 0; r == (long)bs && c->rbuf[i] == c->wbuf[i]; i++)
				;
			fz_fail(c, "verify: DST differs", "%s copy on %s: DST byte %#llx is %#04x, "
				"want %#04x (pread %ld)", what[k], path, U64(i), c->rbuf[i],
				c->wbuf[i], r);
		}
	}
	f = inject_state(c, ch);
	if (f > F_NONE)
		fz_fail(c, "verify: a fault stays armed", "inject of %s reads '%s' after a DMA "
			"copy", path, fault_names[f]);
	close(fd);
	return atomic_load(&g_failures) == f0;
}

static uint64_t flood_bound;

/* Many failures a user can cause on purpose, in a short time: the log must not follow. */
static bool test_log_flood(struct ctx *c)
{
	unsigned int f0 = atomic_load(&g_failures);
	uint64_t l0, d0, l1, d1, t0, t1, secs, logged, n = 0;
	int ch, node, fd, i, err, f, round;
	struct dmacopy_copy q;
	char path[64];
	long r;

	for (ch = 0; ch < nch && !is_bound(ch); ch++)
		;
	if (ch == nch) {
		fz_fail(c, "log_flood: no channel", "no bound channel");
		return false;
	}
	node = atomic_load(&chans[ch].node);
	snprintf(path, sizeof(path), "/dev/dmacopy%d", node);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fz_fail(c, "log_flood: open", "open %s: %s", path, strerror(errno));
		return false;
	}
	klog_snapshot(&l0, &d0);
	t0 = now_ns();
	for (round = 0; round < 360; round++) {
		/* 300 injected errors, 40 injected timeouts, 20 stalls where offered. */
		f = round < 300 ? F_ERROR : round < 340 ? F_TIMEOUT : F_STALL;
		if (!(chans[ch].ctl->words & FB(f)))
			break;
		{
			char ip[128];
			long wr;

			dbg_path(ip, sizeof(ip), node, "inject");
			count_call(c, "write inject");
			err = write_file(ip, fault_names[f], strlen(fault_names[f]), &wr);
			if (!chkf(c, A(OK), err ? -1 : 0, err, "write inject", "{%s, '%s'}", ip,
				  fault_names[f]))
				break;
			atomic_fetch_add(&g_injected, 1);
		}
		memset(&q, 0, sizeof(q));
		q.len = 4096;
		q.mode = MODE_DMA;
		/* An error needs the completion: the module's timeout; a timeout a short one. */
		q.timeout_ns = f == F_ERROR ? 0 : NSEC_PER_MSEC;
		count_call(c, "ioctl COPY");
		r = ioctl(fd, DMACOPY_IOC_COPY, &q);
		err = errno;
		n++;
		chkf(c, f == F_ERROR ? A(EIO) : A(ETIMEDOUT), r, err, "ioctl COPY",
		     "{4096 bytes by DMA, timeout_ns %llu, %s armed}", U64(q.timeout_ns),
		     fault_names[f]);
	}
	for (i = 0; i < 1000; i++) {
		memset(&q, 0, sizeof(q));
		q.len = i & 1 ? 0 : bs + 1;
		q.mode = (uint32_t)(i % 5);
		count_call(c, "ioctl COPY");
		r = ioctl(fd, DMACOPY_IOC_COPY, &q);
		n++;
		chkf(c, A(EINVAL), r, errno, "ioctl COPY", "{len %#llx: invalid}", U64(q.len));
		count_call(c, "ioctl (unknown command)");
		r = ioctl(fd, _IOWR(0xDC, 0x40 + (i & 0x3f), struct dmacopy_copy), &q);
		n++;
		chkf(c, A(ENOTTY), r, errno, "ioctl (unknown command)", "{nr %#x}", 0x40 + (i & 0x3f));
	}
	t1 = now_ns();
	close(fd);
	klog_snapshot(&l1, &d1);
	secs = (t1 - t0 + NSEC_PER_SEC - 1) / NSEC_PER_SEC;
	/* A rate limit (printk's default: 10 lines per 5 s and call site) stays far below. */
	flood_bound = 50 + 30 * ((secs + 4) / 5);
	logged = d1 - d0;
	say("log_flood: %llu failing calls on %s in %llu s: %llu dmacopy lines logged "
	    "(%llu in all), bound %llu", U64(n), path, U64(secs), U64(logged), U64(l1 - l0),
	    U64(flood_bound));
	if (logged > flood_bound)
		fz_fail(c, "log flood", "%llu user-caused failures made dmacopy log %llu lines in "
			"%llu s (bound %llu): rate-limit or dev_dbg them", U64(n), U64(logged),
			U64(secs), U64(flood_bound));
	return atomic_load(&g_failures) == f0;
}

static bool kernel_log_clean(uint64_t run_secs)
{
	uint64_t bound;
	bool ok = true;
	int i;

	__atomic_store_n(&klog.stop, true, __ATOMIC_RELEASE);
	pthread_join(klog.thread, NULL);
	klog_drain();
	bound = 200 + 4 * atomic_load(&g_rebound) + 2 * run_secs + flood_bound;
	say("kernel log: %llu lines while fuzzing, %llu of them dmacopy's (bound %llu), %llu "
	    "reports", U64(klog.lines), U64(klog.dmacopy), U64(bound), U64(klog.reports));
	for (i = 0; i < (int)klog.reports && i < MAX_REPORTS; i++)
		say("FAIL seed=%llu: kernel log: %s", U64(seed), klog.report[i]);
	if (klog.reports)
		ok = false;
	if (klog.lost) {
		say("FAIL seed=%llu: kernel log overflowed %llu times while fuzzing: lines were lost "
		    "(a flood)", U64(seed), U64(klog.lost));
		ok = false;
	}
	if (klog.dmacopy > bound) {
		say("FAIL seed=%llu: dmacopy logged %llu lines while fuzzing, bound %llu", U64(seed),
		    U64(klog.dmacopy), U64(bound));
		ok = false;
	}
	return ok;
}

/* ------------------------------------------------------------------------ */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		ksft_exit_fail_msg("%s=%s is not a number\n", name, s);
	return v;
}

int main(void)
{
	uint64_t calls, time_s, t_start, single_quota;
	struct dmacopy_info info;
	struct ctx *m;
	pthread_t wd;
	unsigned int f0;
	bool ok;
	int i, d, fd, err, threads;
	char path[64];

	ksft_print_header();
	seed = env_u64("DMACOPY_FUZZ_SEED", now_ns() ^ ((uint64_t)getpid() << 32));
	printf("# seed: %llu\n", U64(seed));
	calls = env_u64("DMACOPY_FUZZ_CALLS", 200000);
	time_s = env_u64("DMACOPY_FUZZ_TIME", 540);
	threads = (int)env_u64("DMACOPY_FUZZ_THREADS", 4);
	g_trace_from = env_u64("DMACOPY_FUZZ_TRACE", UINT64_MAX);
	g_profile = env_u64("DMACOPY_FUZZ_PROFILE", 0);
	if (calls < 1000)
		calls = 1000;
	if (threads < 1 || threads > MAX_WORKERS)
		threads = 4;
	ksft_set_plan(6);
	t_start = now_ns();
	g_deadline = t_start + time_s * NSEC_PER_SEC;
	say("calls %llu, time limit %llu s, %d worker threads; reproduce with "
	    "DMACOPY_FUZZ_SEED=%llu", U64(calls), U64(time_s), threads, U64(seed));

	if (geteuid())
		ksft_exit_fail_msg("needs root: debugfs, sysfs bind/unbind, /dev/kmsg\n");
	install_handlers();
	alt_stack();
	err = klog_start();
	if (err)
		ksft_exit_fail_msg("cannot read /dev/kmsg: %s\n", strerror(err));
	discover();
	snprintf(path, sizeof(path), "/dev/dmacopy%d", atomic_load(&chans[0].node));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || info_of(fd, &info))
		ksft_exit_fail_msg("INFO of %s: %s\n", path, strerror(errno));
	close(fd);
	bs = info.buf_size;
	win = 2 * bs;
	caps = info.caps;
	if (!bs || bs % PG || bs > (1ULL << 30))
		ksft_exit_fail_msg("buf_size %llu: not a page multiple up to 1 GiB\n", U64(bs));
	say("%d channels on %d devices, buf_size %llu, caps %#x", nch, ndev, U64(bs), caps);
	for (d = 0; d < ndev; d++) {
		char line[900];
		size_t n;
		int k;

		i = devs[d].ch[0];
		n = (size_t)snprintf(line, sizeof(line), "device %s (%s, align %u): %d channel%s:",
				     devs[d].name, chans[i].ctl->name, chans[i].align,
				     devs[d].nchan, devs[d].nchan > 1 ? "s" : "");
		for (k = 0; k < devs[d].nchan && n < sizeof(line); k++) {
			int j, peers = 0;

			i = devs[d].ch[k];
			for (j = 0; j < nch; j++)
				peers += chans[j].irq == chans[i].irq;
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " dmacopy%d %#llx irq %u%s",
					      atomic_load(&chans[i].node), U64(chans[i].reg_base),
					      chans[i].irq, peers > 1 ? " (shared)" : "");
		}
		say("%s", line);
	}
	/* What every node says from the start (INFO is checked on every call too). */
	for (i = 0; i < nch; i++) {
		snprintf(path, sizeof(path), "/dev/dmacopy%d", atomic_load(&chans[i].node));
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || info_of(fd, &info))
			ksft_exit_fail_msg("INFO of %s: %s\n", path, strerror(errno));
		close(fd);
		check_info(NULL, i, &info);
	}

	if (pthread_create(&wd, NULL, watchdog_main, NULL))
		ksft_exit_fail_msg("pthread_create\n");

	/* 1. One thread, reproducible. */
	single_quota = calls * 3 / 5;
	m = malloc(sizeof(*m));
	if (!m)
		ksft_exit_fail_msg("out of memory\n");
	ctx_init(m, 0, "single", false, single_quota);
	all_ctx[n_ctx++] = m;
	tls_ctx = m;
	ctx_load(m);
	run_ops(m, single_quota / 6);
	print_profile();
	g_profile = false;
	for (i = 0; i < nch; i++)
		if (!is_bound(i))
			op_bind(m, i);
	for (i = 0; i < nch; i++)
		disarm(m, i);
	ctx_release(m);
	print_tallies();
	/* The same seed must give the same digest: the same calls were made. */
	say("single: %llu calls in %.1f s, %llu unbind rounds, digest %016llx", U64(m->calls),
	    (double)(now_ns() - t_start) / 1e9, U64(atomic_load(&g_unbind_rounds)),
	    U64(m->rng.s[0] ^ m->rng.s[1] ^ m->rng.s[2] ^ m->rng.s[3]));
	if (m->calls < m->quota)
		say("single: %llu of %llu calls made (%s)", U64(m->calls), U64(m->quota),
		    g_out_of_time ? "out of time" : "stopped after too many failures");
	ksft_test_result(m->calls >= m->quota && !atomic_load(&g_failures), "single\n");

	/* 2. Threads, signals, inject, unbind. */
	f0 = atomic_load(&g_failures);
	ok = !atomic_load(&g_stop) && run_threaded(calls - single_quota, threads);
	ksft_test_result(ok && atomic_load(&g_failures) == f0, "threads\n");
	atomic_store(&g_stop, false);

	/* 3.-6. Afterwards. */
	m->phase = "after";
	ksft_test_result(rebind_all(m), "rebind\n");
	ok = true;
	for (i = 0; i < nch; i++)
		ok &= verify_channel(m, i);
	ksft_test_result(ok, "verify\n");
	ksft_test_result(test_log_flood(m), "log_flood\n");
	atomic_store(&wd_stop, true);
	pthread_join(wd, NULL);
	ok = kernel_log_clean((now_ns() - t_start) / NSEC_PER_SEC);
	ksft_test_result(ok, "kernel_log\n");

	print_failure_kinds();
	printf("# dmacopy-count: fuzz_calls=%llu\n", U64(atomic_load(&g_calls)));
	printf("# dmacopy-count: injected_faults=%llu\n", U64(atomic_load(&g_injected)));
	printf("# dmacopy-count: unbind_rounds=%llu\n", U64(atomic_load(&g_unbind_rounds)));
	say("%u failures in all; %.1f s; reproduce with DMACOPY_FUZZ_SEED=%llu",
	    atomic_load(&g_failures), (double)(now_ns() - t_start) / 1e9, U64(seed));
	ksft_finished();
}
