// SPDX-License-Identifier: GPL-2.0
/*
 * Stress selftest for dmacopy: unbind and unload under load, load/unload
 * cycles, a verified soak of every channel, and load-time failures.
 *
 * The contract under test is the project's spec (shared/spec/abi.md):
 * "Unbind and unload", "Errors" and "Module parameters".
 *
 * Every test needs root, sysfs, debugfs, /dev/kmsg and the module file, and
 * leaves the module loaded with every device bound, also when it fails (the
 * fixture restores that state before and after each test).
 *
 * The devices are the platform devices of the controller families the driver
 * supports (dmacopy_board.h), and the nodes each should have come from its
 * device tree: a ZDMA device is one channel, a BCM2835 device has every
 * channel of its brcm,dma-channel-mask. Unbinding a device takes all of its
 * nodes away; a node's device is its sysfs device link. Every wait is
 * bounded; a process that does not finish in time is killed and the test
 * fails. Tests that run a countable amount of work print one line
 * "# dmacopy-count: NAME=VALUE".
 *
 * Environment (defaults in brackets):
 *   DMACOPY_MODULE          path of dmacopy.ko (required)
 *   DMACOPY_MODULE_PARAMS   parameters of every normal insmod [none]
 *   DMACOPY_CHANNELS        nodes expected [those of the devices, by their device tree]
 *   DMACOPY_UNBIND_ROUNDS   rounds of unbind_under_load [50]
 *   DMACOPY_LOAD_CYCLES     insmod/rmmod cycles of load_cycles [100]
 *   DMACOPY_SOAK_SECS       duration of soak in seconds [20]
 *   DMACOPY_FAULT_MAX       most allocations a fault loop of load_failures may go
 *                           through (a bound on a count: more is a failure) [400]
 *   DMACOPY_SCALE           percent, 10..100, for slow kernels: the fault loops of
 *                           load_failures over a device of many channels fail every
 *                           (100 / DMACOPY_SCALE)-th allocation only [100]
 *   DMACOPY_FAULT_STRIDE    1..100: that step instead, on a device of many channels
 *                           [from DMACOPY_SCALE]. With a step above 1 the seed picks
 *                           which allocation of each step fails, so that successive
 *                           runs fail different ones and together cover them all
 *   DMACOPY_SEED            seed of every random choice [from the clock; printed]
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmacopy.h>

#include "kselftest_harness.h"
#include "dmacopy_board.h"
#include "dmacopy_common.h"

#define DEV_DIR		BOARD_DEV_DIR
#define DRV_DIR		BOARD_DRV_DIR
#define DEBUGFS_DIR	"/sys/kernel/debug/dmacopy"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc"

#define NAME_LEN		64
#define PARAMS_LEN		512
#define MAX_TRACKED		64


/* TIMEOUT: bounds of every wait (ms). The emulated board is slow, the host may be busy. */
#define SYSFS_MS		20000	/* one bind or unbind */
#define NODE_MS			10000	/* a node appears or goes */
#define EXIT_MS			20000	/* a child exits once told to */
#define READY_MS		20000	/* a child has done its first copy */

/* Bytes checked on each side of a copy's destination. */
#define GUARD			64
/* Bounce buffer of the pread/pwrite paths. */
#define TMP_LEN			(64 * 1024)

#define U64(x)			((unsigned long long)(x))

/* ------------------------------------------------------------------------ */
/* Small helpers.                                                            */

static uint32_t xs32(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9U;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* A random number in [0, n); 0 when n is 0. */
static uint64_t rnd(uint32_t *s, uint64_t n)
{
	uint64_t r = ((uint64_t)xs32(s) << 32) | xs32(s);

	return n ? r % n : 0;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 0);
	return *end ? -1 : n;
}

static uint32_t g_seed;

/* The seed of this run: DMACOPY_SEED, or one from the clock; chosen before any test forks. */
static void __attribute__((constructor)) pick_seed(void)
{
	long s = env_long("DMACOPY_SEED", 0);

	g_seed = s > 0 ? (uint32_t)s : (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 16));
	if (!g_seed)
		g_seed = 1;
}

static uint32_t run_seed(void)
{
	return g_seed;
}

/* ------------------------------------------------------------------------ */
/* Files: sysfs, procfs, debugfs.                                            */

/* Waits for pid with a bound; 0 (status set) or ETIMEDOUT. */
static int wait_pid_ms(pid_t pid, int *status, unsigned int ms)
{
	uint64_t end = now_ns() + ms * NSEC_PER_MSEC;
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			if (status)
				*status = st;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return errno;
		if (now_ns() > end)
			return ETIMEDOUT;
		sleep_ms(1);
	}
}

/* Kills pid and reaps it (bounded); a process stuck in the kernel stays. */
static void kill_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	wait_pid_ms(pid, NULL, 5000);
}

/*
 * Writes text to a sysfs file from a child, so that a write that hangs in the
 * kernel cannot hang the test: 0, the write's errno, or ETIMEDOUT.
 */
static int write_file_bounded(const char *path, const char *text, unsigned int ms)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(write_text(path, text) & 0xff);
	ret = wait_pid_ms(pid, &status, ms);
	if (ret) {
		kill(pid, SIGKILL);
		return ret;
	}
	if (!WIFEXITED(status))
		return EINTR;
	return WEXITSTATUS(status);
}

/* ------------------------------------------------------------------------ */
/* The kernel log: what was logged while the test ran.                       */

#define KMSG_LINES	256
#define KMSG_LINE_LEN	240

struct kmsg_log {
	int n;				/* lines kept */
	int total;			/* lines seen */
	int prio[KMSG_LINES];		/* 0 (emerg) .. 7 (debug) */
	char line[KMSG_LINES][KMSG_LINE_LEN];
};

/* Reads the records logged since the last read into log (appending). */
static void kmsg_read(int fd, struct kmsg_log *log)
{
	char rec[4096];

	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text, *nl;

		if (n < 0) {
			if (errno == EINTR || errno == EPIPE)
				continue;
			break;
		}
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		log->total++;
		if (log->n < KMSG_LINES) {
			log->prio[log->n] = atoi(rec) & 7;
			snprintf(log->line[log->n], KMSG_LINE_LEN, "%s", text);
			log->n++;
		}
	}
}

/* Lines that no test may cause: warnings, oopses, sanitizer and lockdep reports. */
static bool kmsg_is_bad(const char *line)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "Call trace:", "Unable to handle",
		"Kernel panic", "cut here", "KASAN", "UBSAN", "kernel BUG",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "sleeping function called",
		"DEBUG_LOCKS_WARN", "list_add corruption", "list_del corruption",
		"ODEBUG", "INFO: task", "hung_task", "rcu_sched detected stalls",
		"RCU: INFO", "refcount_t:", "page allocation failure",
		"vmalloc error", "invoked oom-killer", "VM_FAULT_OOM",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (strstr(line, bad[i]))
			return true;
	return false;
}

static int kmsg_count_bad(const struct kmsg_log *log)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		n += kmsg_is_bad(log->line[i]);
	return n;
}

/* Lines at warning level or above (errors, warnings). */
static int kmsg_count_errors(const struct kmsg_log *log)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		n += log->prio[i] <= 4;
	return n;
}

/* Lines that mention word. */
static int kmsg_count_word(const struct kmsg_log *log, const char *word)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		n += strstr(log->line[i], word) != NULL;
	return n;
}

static bool kmsg_mentions(const struct kmsg_log *log, const char *word, bool errors_only)
{
	int i;

	for (i = 0; i < log->n; i++)
		if ((!errors_only || log->prio[i] <= 4) && strstr(log->line[i], word))
			return true;
	return false;
}

static void kmsg_dump(struct __test_metadata *_metadata, const struct kmsg_log *log,
		      const char *what)
{
	int i;

	(void)_metadata;
	TH_LOG("kernel log during %s (%d lines):", what, log->total);
	for (i = 0; i < log->n && i < 40; i++)
		TH_LOG("  <%d> %s", log->prio[i], log->line[i]);
}

/*
 * Starts a new capture in log: what was logged before (since the last read)
 * is checked for bad lines first, then dropped.
 */
static void kmsg_mark(struct __test_metadata *_metadata, int fd, struct kmsg_log *log)
{
	memset(log, 0, sizeof(*log));
	kmsg_read(fd, log);
	EXPECT_EQ(0, kmsg_count_bad(log)) kmsg_dump(_metadata, log, "the test");
	memset(log, 0, sizeof(*log));
}

/* ------------------------------------------------------------------------ */
/* The module.                                                               */

static int rmmod(void)
{
	if (syscall(SYS_delete_module, "dmacopy", O_NONBLOCK))
		return errno;
	return 0;
}

/* The module's reference count, or -1. */
static long module_refcnt(void)
{
	char buf[64];

	if (read_text("/sys/module/dmacopy/refcnt", buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* ------------------------------------------------------------------------ */
/* Channels (platform devices) and nodes.                                    */

/* Whether the platform device name is bound to dmacopy. */
static bool chan_bound(const char *name)
{
	return board_dev_bound(name);
}

static int chan_unbind(const char *name)
{
	return write_file_bounded(DRV_DIR "/unbind", name, SYSFS_MS);
}

static int chan_bind(const char *name)
{
	return write_file_bounded(DRV_DIR "/bind", name, SYSFS_MS);
}

/* Entries of a directory whose names start with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' && !strncmp(e->d_name, prefix, plen);
	closedir(d);
	return n;
}

static int count_nodes(void)
{
	return count_entries("/dev", "dmacopy");
}

static int count_debugfs_dirs(void)
{
	return count_entries(DEBUGFS_DIR, "dmacopy");
}

/*
 * debugfs directories of misc devices that do not exist (left behind); their
 * number. A channel may lack its directory (debugfs failures are not fatal),
 * but no directory may outlive its device.
 */
static int count_orphan_dirs(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir(DEBUGFS_DIR);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/misc/%s", e->d_name);
		n += !path_exists(path);
	}
	closedir(d);
	return n;
}

/* Misc devices named dmacopy* (what the driver registered). */
static int count_misc(void)
{
	return count_entries("/sys/class/misc", "dmacopy");
}

/* /dev/dmacopy* nodes without their misc device (left behind); their number. */
static int count_orphan_nodes(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir("/dev");
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[PATH_MAX];

		if (strncmp(e->d_name, "dmacopy", 7))
			continue;
		snprintf(path, sizeof(path), "/sys/class/misc/%s", e->d_name);
		n += !path_exists(path);
	}
	closedir(d);
	return n;
}

/*
 * The misc devices dmacopyN whose device is the platform device name (its
 * nodes, whether /dev has them or not), at most max, in *idx; their number.
 */
static int dev_misc(const char *name, int *idx, int max)
{
	char dev[NAME_LEN];
	int i, n = 0;

	for (i = 0; i < MAX_CHANNELS && n < max; i++)
		if (!board_node_dev(i, dev, sizeof(dev)) && !strcmp(dev, name))
			idx[n++] = i;
	return n;
}

/*
 * A node for the registered misc device dmacopy<idx>, which /dev lacks
 * (devtmpfs could not allocate it, which the driver core does not report),
 * at path (in /tmp). true if made.
 */
static bool make_node(int idx, char *path, size_t len)
{
	char p[PATH_MAX], num[32];
	unsigned int maj, min;

	snprintf(p, sizeof(p), "/sys/class/misc/dmacopy%d/dev", idx);
	if (read_text(p, num, sizeof(num)) || sscanf(num, "%u:%u", &maj, &min) != 2)
		return false;
	snprintf(path, len, "/tmp/stress-dmacopy%d", idx);
	unlink(path);
	return !mknod(path, S_IFCHR | 0600, makedev(maj, min));
}

/*
 * The nodes that the devices in names (n of them) have when bound: their
 * hardware channels, added up.
 */
static int dev_nodes_sum(char (*names)[NAME_LEN], int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++)
		sum += board_dev_nodes(names[i]);
	return sum;
}

/* ------------------------------------------------------------------------ */
/* Patterns and verified copies (no harness calls: used by child processes). */

/* SRC byte i of a fill with seed. */
static inline uint8_t pat(uint64_t i, uint32_t seed)
{
	uint32_t x = ((uint32_t)i ^ (seed * 0x85ebca6bU)) * 0x9e3779b1U + seed;

	return (uint8_t)((x >> 24) ^ (x >> 11) ^ (uint32_t)(i >> 16));
}

/* DST byte i when no copy wrote it. */
static inline uint8_t poison(uint64_t i, uint32_t seed)
{
	return pat(i, seed ^ 0x5bd1e995U) ^ 0xa5;
}

/*
 * One process's part of a channel: [lo, hi) of SRC and the same part of DST,
 * through its own file and mapping of the whole window.
 */
struct region {
	int fd;
	volatile uint8_t *win;		/* the whole window, 2 * size bytes; or NULL */
	uint64_t size;			/* buf_size */
	uint64_t lo, hi;
	uint64_t reg_base;
	uint64_t auto_threshold;
	uint32_t align;
	const struct dmacopy_ctl *ctl;	/* the controller family, by INFO */
	uint32_t pseed;			/* DST outside copies holds poison(i, pseed) */
	uint32_t rng;
	const char *op;			/* the operation under way, for messages */
	uint8_t *tmp;			/* TMP_LEN bytes */
	char msg[256];
};

static int full_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EIO;
}

static int full_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EIO;
}

/* SRC[off, off + len) = pat(., seed), through the mapping or pwrite. */
static int fill_src(struct region *r, uint64_t off, uint64_t len, uint32_t seed, bool map)
{
	uint64_t i, done, n;
	int ret;

	if (map) {
		for (i = off; i < off + len; i++)
			r->win[i] = pat(i, seed);
		return 0;
	}
	for (done = 0; done < len; done += n) {
		n = min_u64(len - done, TMP_LEN);
		for (i = 0; i < n; i++)
			r->tmp[i] = pat(off + done + i, seed);
		ret = full_pwrite(r->fd, r->tmp, n, off + done);
		if (ret)
			return ret;
	}
	return 0;
}

/* DST[off, off + len) = poison, through the mapping or pwrite. */
static int poison_dst(struct region *r, uint64_t off, uint64_t len, bool map)
{
	uint64_t i, done, n;
	int ret;

	if (map) {
		for (i = off; i < off + len; i++)
			r->win[r->size + i] = poison(i, r->pseed);
		return 0;
	}
	for (done = 0; done < len; done += n) {
		n = min_u64(len - done, TMP_LEN);
		for (i = 0; i < n; i++)
			r->tmp[i] = poison(off + done + i, r->pseed);
		ret = full_pwrite(r->fd, r->tmp, n, r->size + off + done);
		if (ret)
			return ret;
	}
	return 0;
}

struct copy_want {
	uint64_t s, d, len;
	uint32_t seed;
};

/* DST byte i after a copy: SRC pattern inside the copied range, poison outside. */
static inline uint8_t want_dst(const struct region *r, uint64_t i, const void *arg)
{
	const struct copy_want *c = arg;

	if (c && i >= c->d && i - c->d < c->len)
		return pat(c->s + (i - c->d), c->seed);
	return poison(i, r->pseed);
}

static inline uint8_t want_src(const struct region *r, uint64_t i, const void *arg)
{
	const struct copy_want *c = arg;

	(void)r;
	return pat(i, c->seed);
}

/*
 * Checks window bytes [woff, woff + len) against want(i) for i from base,
 * through the mapping or pread: 0, EBADMSG (with msg) or the pread errno.
 * Inlined, so that want() is too: this loop is where the tests spend their time.
 */
static inline __attribute__((always_inline))
int check_bytes(struct region *r, uint64_t woff, uint64_t base, uint64_t len, bool map,
		uint8_t (*want)(const struct region *, uint64_t, const void *),
		const void *arg, const char *what)
{
	uint64_t i, done, n;
	int ret;

	for (done = 0; done < len; done += n) {
		n = min_u64(len - done, TMP_LEN);
		if (map) {
			for (i = 0; i < n; i++)
				r->tmp[i] = r->win[woff + done + i];
		} else {
			ret = full_pread(r->fd, r->tmp, n, woff + done);
			if (ret)
				return ret;
		}
		for (i = 0; i < n; i++) {
			uint8_t w = want(r, base + done + i, arg);

			if (r->tmp[i] != w) {
				snprintf(r->msg, sizeof(r->msg),
					 "%s: %s[%llu] = 0x%02x, want 0x%02x (read through %s)",
					 r->op, what, U64(base + done + i), r->tmp[i], w,
					 map ? "the mapping" : "pread");
				return EBADMSG;
			}
		}
	}
	return 0;
}

/* The whole DST part holds poison. */
static int check_dst_all(struct region *r, bool map)
{
	return check_bytes(r, r->size + r->lo, r->lo, r->hi - r->lo, map, want_dst, NULL, "DST");
}

/* A copy length: mostly short, sometimes up to the whole part. */
static uint64_t pick_len(uint32_t *rng, uint64_t span)
{
	uint64_t max;

	switch (rnd(rng, 8)) {
	case 0: case 1: case 2:
		max = 256;
		break;
	case 3: case 4:
		max = 4096;
		break;
	case 5: case 6:
		max = 65536;
		break;
	default:
		max = span;
		break;
	}
	return 1 + rnd(rng, min_u64(max, span));
}

/*
 * One copy inside the region, checked dmatest-style: SRC range filled with a
 * fresh pattern, DST poisoned, copy, then the copied range must equal SRC,
 * DST around it must still be poison, SRC must be unchanged; DST is poisoned
 * again afterwards. Returns 0, the errno of the failing call, or EBADMSG.
 * On EINTR the range is poisoned again (the copy may have been partial).
 */
static int region_copy(struct region *r, uint32_t mode)
{
	uint64_t span = r->hi - r->lo, len, s, d;
	bool map_fill = r->win && rnd(&r->rng, 4) != 0;
	bool map_check = r->win && rnd(&r->rng, 4) != 0;
	uint32_t seed = xs32(&r->rng) | 1;
	struct dmacopy_copy c;
	struct copy_want cw;
	uint32_t want_mode;
	int ret;

	len = pick_len(&r->rng, span);
	if (r->align > 1 && mode != DMACOPY_MODE_CPU) {
		len -= len % r->align;
		if (!len)
			len = r->align;
		s = r->lo + r->align * rnd(&r->rng, (span - len) / r->align + 1);
		d = r->lo + r->align * rnd(&r->rng, (span - len) / r->align + 1);
	} else {
		s = r->lo + rnd(&r->rng, span - len + 1);
		d = r->lo + rnd(&r->rng, span - len + 1);
	}

	r->op = "fill SRC";
	ret = fill_src(r, s, len, seed, map_fill);
	if (ret)
		return ret;

	r->op = mode == DMACOPY_MODE_DMA ? "DMA copy" :
		mode == DMACOPY_MODE_CPU ? "CPU copy" : "AUTO copy";
	c = mkcopy(s, d, len, mode);
	if (ioctl(r->fd, DMACOPY_IOC_COPY, &c)) {
		ret = errno;
		if (ret == EINTR) {
			r->op = "poison DST after EINTR";
			poison_dst(r, d, len, map_fill);
			return EINTR;
		}
		if (ret == ETIMEDOUT || ret == EIO)	/* out fields written back */
			snprintf(r->msg, sizeof(r->msg),
				 "%s src_off %llu dst_off %llu len %llu: %s (hw_status %#x, elapsed_ns %llu)",
				 r->op, U64(s), U64(d), U64(len), strerror(ret), c.hw_status,
				 U64(c.elapsed_ns));
		else
			snprintf(r->msg, sizeof(r->msg), "%s src_off %llu dst_off %llu len %llu: %s",
				 r->op, U64(s), U64(d), U64(len), strerror(ret));
		return ret;
	}
	want_mode = mode;
	if (mode == DMACOPY_MODE_AUTO)
		want_mode = len < r->auto_threshold ? DMACOPY_MODE_CPU : DMACOPY_MODE_DMA;
	if (c.mode_used != want_mode ||
	    (want_mode == DMACOPY_MODE_CPU && c.hw_status != 0) ||
	    (want_mode == DMACOPY_MODE_DMA && ((c.hw_status & r->ctl->hw_done) != r->ctl->hw_done ||
					       (c.hw_status & r->ctl->hw_err))) ||
	    c.reserved[0] || c.reserved[1] || c.elapsed_ns >= 10 * NSEC_PER_SEC) {
		snprintf(r->msg, sizeof(r->msg),
			 "%s len %llu: mode_used %u (want %u), hw_status %#x, elapsed_ns %llu, reserved %#llx %#llx",
			 r->op, U64(len), c.mode_used, want_mode, c.hw_status, U64(c.elapsed_ns),
			 U64(c.reserved[0]), U64(c.reserved[1]));
		return EBADMSG;
	}

	cw.s = s;
	cw.d = d;
	cw.len = len;
	cw.seed = seed;
	{
		uint64_t a = d - r->lo > GUARD ? d - GUARD : r->lo;
		uint64_t b = r->hi - (d + len) > GUARD ? d + len + GUARD : r->hi;

		ret = check_bytes(r, r->size + a, a, b - a, map_check, want_dst, &cw, "DST");
		if (ret)
			return ret;
	}
	ret = check_bytes(r, s, s, len, !map_check && r->win, want_src, &cw, "SRC");
	if (ret)
		return ret;
	r->op = "poison DST";
	return poison_dst(r, d, len, map_fill);
}

/* pwrite or lseek+write a pattern into SRC, read it back with pread or lseek+read. */
static int region_rw(struct region *r)
{
	uint64_t span = r->hi - r->lo;
	uint64_t len = 1 + rnd(&r->rng, min_u64(span, 4096));
	uint64_t off = r->lo + rnd(&r->rng, span - len + 1), i;
	uint32_t seed = xs32(&r->rng) | 1;
	bool seek = rnd(&r->rng, 2);
	ssize_t n;

	for (i = 0; i < len; i++)
		r->tmp[i] = pat(off + i, seed);
	if (seek) {
		r->op = "lseek";
		if (lseek(r->fd, (off_t)off, SEEK_SET) != (off_t)off)
			return errno ? errno : EIO;
		r->op = "write";
		n = write(r->fd, r->tmp, len);
	} else {
		r->op = "pwrite";
		n = pwrite(r->fd, r->tmp, len, (off_t)off);
	}
	if (n < 0)
		return errno;
	if ((uint64_t)n != len) {
		snprintf(r->msg, sizeof(r->msg), "%s of %llu bytes at %llu: %zd", r->op,
			 U64(len), U64(off), n);
		return EIO;
	}
	memset(r->tmp, 0, len);
	if (seek) {
		r->op = "lseek";
		if (lseek(r->fd, (off_t)off, SEEK_SET) != (off_t)off)
			return errno ? errno : EIO;
		r->op = "read";
		n = read(r->fd, r->tmp, len);
	} else {
		r->op = "pread";
		n = pread(r->fd, r->tmp, len, (off_t)off);
	}
	if (n < 0)
		return errno;
	if ((uint64_t)n != len) {
		snprintf(r->msg, sizeof(r->msg), "%s of %llu bytes at %llu: %zd", r->op,
			 U64(len), U64(off), n);
		return EIO;
	}
	for (i = 0; i < len; i++) {
		if (r->tmp[i] != pat(off + i, seed)) {
			snprintf(r->msg, sizeof(r->msg), "%s: SRC[%llu] = 0x%02x, wrote 0x%02x",
				 r->op, U64(off + i), r->tmp[i], pat(off + i, seed));
			return EBADMSG;
		}
	}
	return 0;
}

/* Writes SRC through the mapping and reads it with pread, then the other way round. */
static int region_views(struct region *r)
{
	uint64_t span = r->hi - r->lo;
	uint64_t len = 1 + rnd(&r->rng, min_u64(span, 8192));
	uint64_t off = r->lo + rnd(&r->rng, span - len + 1);
	struct copy_want cw = { .seed = xs32(&r->rng) | 1 };
	int ret;

	if (!r->win)
		return 0;
	r->op = "mapping then pread";
	fill_src(r, off, len, cw.seed, true);
	ret = check_bytes(r, off, off, len, false, want_src, &cw, "SRC");
	if (ret)
		return ret;
	r->op = "pwrite then mapping";
	cw.seed = xs32(&r->rng) | 1;
	ret = fill_src(r, off, len, cw.seed, false);
	if (ret)
		return ret;
	return check_bytes(r, off, off, len, true, want_src, &cw, "SRC");
}

static int region_info(struct region *r)
{
	struct dmacopy_info info;
	int ret;

	r->op = "INFO";
	ret = dc_info(r->fd, &info);
	if (ret)
		return ret;
	if (info.buf_size != r->size || info.reg_base != r->reg_base ||
	    info.abi_version != DMACOPY_ABI_VERSION) {
		snprintf(r->msg, sizeof(r->msg),
			 "INFO: buf_size %llu reg_base %#llx abi %u, want %llu %#llx %u",
			 U64(info.buf_size), U64(info.reg_base), info.abi_version,
			 U64(r->size), U64(r->reg_base), DMACOPY_ABI_VERSION);
		return EBADMSG;
	}
	return 0;
}

/*
 * Opens the node at path, maps its window into r and poisons DST of part
 * (of parts; 0 parts: a random 64 KiB part): 0 or errno (message in r->msg).
 */
static int region_open_path(struct region *r, const char *path, unsigned int part,
			    unsigned int parts, uint32_t seed)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dmacopy_info info;
	uint64_t chunk;
	void *m;
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->rng = seed ? seed : 1;
	r->pseed = xs32(&r->rng);
	r->op = "open";
	r->tmp = malloc(TMP_LEN);
	if (!r->tmp)
		return ENOMEM;
	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0) {
		ret = errno;
		snprintf(r->msg, sizeof(r->msg), "open %s: %s", path, strerror(ret));
		return ret;
	}
	r->op = "INFO";
	ret = dc_info(r->fd, &info);
	if (ret) {
		snprintf(r->msg, sizeof(r->msg), "INFO on %s: %s", path, strerror(ret));
		return ret;
	}
	r->size = info.buf_size;
	r->reg_base = info.reg_base;
	r->auto_threshold = info.auto_threshold;
	r->align = info.align ? info.align : 1;
	r->ctl = board_ctl(info.controller);
	if (!r->ctl) {
		snprintf(r->msg, sizeof(r->msg), "%s: unknown controller '%.16s'", path,
			 info.controller);
		return EINVAL;
	}
	if (!parts) {
		/* A quick check: a random 64 KiB part. */
		parts = (unsigned int)min_u64(r->size / (64 * 1024), 1U << 20);
		if (!parts)
			parts = 1;
		part = (unsigned int)rnd(&r->rng, parts);
	}
	chunk = r->size / parts;
	chunk -= chunk % (uint64_t)page;
	if (!chunk || r->size % (uint64_t)page) {
		snprintf(r->msg, sizeof(r->msg), "buf_size %llu cannot be split in %u page-aligned parts",
			 U64(r->size), parts);
		return EINVAL;
	}
	r->lo = chunk * part;
	r->hi = r->lo + chunk;
	r->op = "mmap";
	m = mmap(NULL, 2 * r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (m == MAP_FAILED) {
		ret = errno;
		snprintf(r->msg, sizeof(r->msg), "mmap of %s: %s", path, strerror(ret));
		return ret;
	}
	r->win = m;
	r->op = "poison DST";
	return poison_dst(r, r->lo, r->hi - r->lo, true);
}

static int region_open(struct region *r, int idx, unsigned int part, unsigned int parts,
		       uint32_t seed)
{
	char path[64];

	node_path(path, sizeof(path), idx);
	return region_open_path(r, path, part, parts, seed);
}

static void region_close(struct region *r)
{
	if (r->win)
		munmap((void *)r->win, 2 * r->size);
	if (r->fd >= 0)
		close(r->fd);
	free(r->tmp);
	r->win = NULL;
	r->fd = -1;
	r->tmp = NULL;
}

/*
 * A quick verified DMA and CPU copy through the node at path, in a random
 * 64 KiB part of the window: 0, or errno with msg. The node's register base
 * goes to *reg (if not NULL).
 */
static int node_check_path(const char *path, uint32_t seed, uint64_t *reg, char *msg,
			   size_t msglen)
{
	struct region r;
	int ret, i;

	ret = region_open_path(&r, path, 0, 0, seed);
	if (reg)
		*reg = r.reg_base;
	for (i = 0; !ret && i < 4; i++)
		ret = region_copy(&r, i & 1 ? DMACOPY_MODE_CPU : DMACOPY_MODE_DMA);
	if (!ret) {
		r.op = "whole DST";
		ret = check_dst_all(&r, i & 1);
	}
	if (ret)
		snprintf(msg, msglen, "%s: %.200s (%s)", path, r.msg[0] ? r.msg : r.op,
			 strerror(ret));
	region_close(&r);
	return ret;
}

/* node_check_path() of /dev/dmacopy<idx>. */
static int node_check(int idx, uint32_t seed, char *msg, size_t msglen)
{
	char path[64];

	node_path(path, sizeof(path), idx);
	return node_check_path(path, seed, NULL, msg, msglen);
}

/* ------------------------------------------------------------------------ */
/* Fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS, /proc/<tid>/fail-nth).  */

static const char *const fi_files[] = {
	FAILSLAB "/ignore-gfp-wait",
	FAILSLAB "/cache-filter",
	FAILSLAB "/verbose",
	FAIL_PAGE "/ignore-gfp-wait",
	FAIL_PAGE "/min-order",
	FAIL_PAGE "/verbose",
};
#define FI_FILES	ARRAY_SIZE(fi_files)

/*
 * Which allocations count as fault points for fail-nth: every slab allocation
 * (slab_all) or none, and page allocations of at least min_order pages. No
 * stack dumps (verbose 0). probability stays 0: nothing fails but the Nth
 * fault point of the task that asked for it.
 */
static int fi_config(bool slab_all, unsigned int min_order)
{
	char num[16];
	int ret;

	snprintf(num, sizeof(num), "%u", min_order);
	ret = write_text(FAILSLAB "/verbose", "0");
	ret = ret ?: write_text(FAIL_PAGE "/verbose", "0");
	ret = ret ?: write_text(FAILSLAB "/ignore-gfp-wait", slab_all ? "N" : "Y");
	ret = ret ?: write_text(FAILSLAB "/cache-filter", slab_all ? "N" : "Y");
	ret = ret ?: write_text(FAIL_PAGE "/ignore-gfp-wait", "N");
	ret = ret ?: write_text(FAIL_PAGE "/min-order", num);
	return ret;
}

struct fi_outcome {
	int err;		/* errno of the call, 0 on success */
	bool injected;		/* the Nth fault point was reached (and failed) */
	unsigned long left;	/* fail-nth after the call: fault points not reached */
};

enum fi_call { FI_INSMOD, FI_BIND };

/*
 * Runs one call (insmod with params, or bind of the device name arg) in a
 * child whose nth fault point fails (/proc/thread-self/fail-nth). The child
 * locks its memory first, so that no page fault of its own uses up the fault.
 * Returns 0 or an errno of the harness side (the outcome in *out).
 */
static int fi_run(enum fi_call call, const char *ko, const char *arg, unsigned long nth,
		  struct fi_outcome *out)
{
	int pfd[2], status, ret;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (pipe2(pfd, O_CLOEXEC))
		return errno;
	pid = fork();
	if (pid < 0) {
		ret = errno;
		close(pfd[0]);
		close(pfd[1]);
		return ret;
	}
	if (pid == 0) {
		struct fi_outcome o = { 0 };
		char num[32], back[32];
		int nfd, tfd;
		ssize_t n;

		close(pfd[0]);
		nfd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		if (call == FI_INSMOD)
			tfd = open(ko, O_RDONLY | O_CLOEXEC);
		else
			tfd = open(DRV_DIR "/bind", O_WRONLY | O_CLOEXEC);
		if (nfd < 0 || tfd < 0)
			_exit(10);
		mlockall(MCL_CURRENT);
		snprintf(num, sizeof(num), "%lu", nth);
		memset(back, 0, sizeof(back));
		if (write(nfd, num, strlen(num)) != (ssize_t)strlen(num))
			_exit(11);
		if (call == FI_INSMOD)
			o.err = syscall(SYS_finit_module, tfd, arg, 0) ? errno : 0;
		else
			o.err = write(tfd, arg, strlen(arg)) < 0 ? errno : 0;
		n = pread(nfd, back, sizeof(back) - 1, 0);
		if (write(nfd, "0", 1) != 1 || n <= 0)
			_exit(12);
		o.left = strtoul(back, NULL, 10);
		o.injected = o.left == 0;
		if (write(pfd[1], &o, sizeof(o)) != sizeof(o))
			_exit(13);
		_exit(0);
	}
	close(pfd[1]);
	ret = wait_pid_ms(pid, &status, 60000);
	if (ret) {
		kill(pid, SIGKILL);
		close(pfd[0]);
		return ret;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		close(pfd[0]);
		return WIFEXITED(status) ? EPROTO : EINTR;
	}
	ret = read(pfd[0], out, sizeof(*out)) == sizeof(*out) ? 0 : EPROTO;
	close(pfd[0]);
	return ret;
}

/*
 * The step of a fault loop over the probe of a device of channels channels:
 * 1 (every allocation fails in turn), or on a device of many channels (each
 * bind, unbind or load of it sets up or tears down all of them: seconds each
 * on a debug kernel) DMACOPY_FAULT_STRIDE, or else 100 / DMACOPY_SCALE. A
 * device of one channel keeps every allocation.
 */
static unsigned long fault_stride(int channels)
{
	long stride = env_long("DMACOPY_FAULT_STRIDE", 0);
	long pct = env_long("DMACOPY_SCALE", 100);

	if (channels <= 1)
		return 1;
	if (stride >= 1 && stride <= 100)
		return (unsigned long)stride;
	if (pct < 10 || pct > 100)
		pct = 100;
	return (unsigned long)(100 / pct);
}

/*
 * The first allocation a loop of step stride fails: 1, or with a step above
 * 1 one of 1..stride picked by the seed (and salt, one per loop), so that
 * runs with other seeds fail the allocations this one steps over; the same
 * seed repeats the run.
 */
static unsigned long fault_first(unsigned long stride, uint32_t salt)
{
	uint32_t s = run_seed() ^ salt;

	return stride > 1 ? 1 + xs32(&s) % stride : 1;
}

/* Smallest order o with PAGE_SIZE << o >= bytes. */
static unsigned int order_of(uint64_t bytes)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	unsigned int o = 0;

	while ((page << o) < bytes)
		o++;
	return o;
}

/* ------------------------------------------------------------------------ */
/* The fixture: the module state every test starts from and ends in.         */

FIXTURE(stress) {
	int nchan;			/* nodes, every device bound */
	int ndev;
	char dev[MAX_CHANNELS][NAME_LEN];	/* DMA controller devices, sorted */
	const char *ko;
	char params[PARAMS_LEN];	/* DMACOPY_MODULE_PARAMS */
	uint64_t buf_size;		/* of the normal load */
	int kmsg;			/* /dev/kmsg, from the start of the test */
	pid_t pid[MAX_TRACKED];		/* children to kill at the end */
	int fd[MAX_TRACKED];		/* files to close at the end */
	void *map[MAX_TRACKED];		/* mappings to remove at the end */
	size_t map_len[MAX_TRACKED];
	bool fi_saved;
	char fi_old[FI_FILES][32];
	uint64_t start_ns;		/* when the test started */
};

static void track_pid(FIXTURE_DATA(stress) *self, pid_t pid)
{
	int i;

	for (i = 0; i < MAX_TRACKED; i++) {
		if (self->pid[i] <= 0) {
			self->pid[i] = pid;
			return;
		}
	}
}

static void untrack_pid(FIXTURE_DATA(stress) *self, pid_t pid)
{
	int i;

	for (i = 0; i < MAX_TRACKED; i++)
		if (self->pid[i] == pid)
			self->pid[i] = 0;
}

static void track_fd(FIXTURE_DATA(stress) *self, int fd)
{
	int i;

	for (i = 0; fd >= 0 && i < MAX_TRACKED; i++) {
		if (self->fd[i] < 0) {
			self->fd[i] = fd;
			return;
		}
	}
}

/* Closes a tracked file; close's result. */
static int close_fd(FIXTURE_DATA(stress) *self, int fd)
{
	int i;

	for (i = 0; i < MAX_TRACKED; i++)
		if (self->fd[i] == fd)
			self->fd[i] = -1;
	return close(fd);
}

static void track_map(FIXTURE_DATA(stress) *self, void *m, size_t len)
{
	int i;

	for (i = 0; m && m != MAP_FAILED && i < MAX_TRACKED; i++) {
		if (!self->map[i]) {
			self->map[i] = m;
			self->map_len[i] = len;
			return;
		}
	}
}

static int unmap(FIXTURE_DATA(stress) *self, void *m, size_t len)
{
	int i;

	for (i = 0; i < MAX_TRACKED; i++)
		if (self->map[i] == m)
			self->map[i] = NULL;
	return munmap(m, len);
}

/* insmod with the normal parameters. */
static int load_normal(FIXTURE_DATA(stress) *self)
{
	return insmod(self->ko, self->params);
}

/* Waits until /dev/dmacopy0 .. nchan-1 exist; the first missing one or -1. */
static int wait_all_nodes(FIXTURE_DATA(stress) *self)
{
	char path[64];
	int i;

	for (i = 0; i < self->nchan; i++) {
		node_path(path, sizeof(path), i);
		if (!wait_path(path, true, NODE_MS))
			return i;
	}
	return -1;
}

/* Waits until no /dev/dmacopy* node is left; true if so. */
static bool wait_no_nodes(void)
{
	uint64_t end = now_ns() + NODE_MS * NSEC_PER_MSEC;

	while (count_nodes()) {
		if (now_ns() > end)
			return false;
		sleep_ms(5);
	}
	return true;
}

/* The node (number) of the channel with this register base, or -1. */
static int node_of_reg(uint64_t reg)
{
	struct dmacopy_info info;
	int i, fd, found = -1;

	for (i = 0; i < MAX_CHANNELS && found < 0; i++) {
		fd = open_node(i);
		if (fd < 0)
			continue;
		if (!dc_info(fd, &info) && info.reg_base == reg)
			found = i;
		close(fd);
	}
	return found;
}

/*
 * Puts the module back into its normal state: loaded with the normal
 * parameters, every channel bound, every node present. true on success, else
 * why in msg.
 */
static bool restore_state(FIXTURE_DATA(stress) *self, char *msg, size_t len)
{
	struct dmacopy_info info;
	int i, ret, fd, missing;

	msg[0] = '\0';
	if (module_loaded("dmacopy") && self->buf_size) {
		/* Loaded with other parameters by a test that failed half-way? */
		fd = open_node(0);
		if (fd >= 0) {
			if (!dc_info(fd, &info) && info.buf_size != self->buf_size) {
				close(fd);
				fd = -1;
				rmmod();
			}
			if (fd >= 0)
				close(fd);
		}
	}
	if (!module_loaded("dmacopy")) {
		ret = load_normal(self);
		if (ret) {
			snprintf(msg, len, "insmod %.100s %.100s: %s", self->ko, self->params, strerror(ret));
			return false;
		}
	}
	for (i = 0; i < self->ndev; i++) {
		if (chan_bound(self->dev[i]))
			continue;
		ret = chan_bind(self->dev[i]);
		if (ret) {
			snprintf(msg, len, "bind %s: %s", self->dev[i], strerror(ret));
			return false;
		}
	}
	missing = wait_all_nodes(self);
	if (missing >= 0) {
		snprintf(msg, len, "/dev/dmacopy%d missing", missing);
		return false;
	}
	if (count_nodes() != self->nchan) {
		snprintf(msg, len, "%d nodes, want %d", count_nodes(), self->nchan);
		return false;
	}
	return true;
}

#define ASSERT_RESTORED(self) do { \
	char __msg[256]; \
	bool __ok = restore_state((self), __msg, sizeof(__msg)); \
	ASSERT_TRUE(__ok) TH_LOG("cannot bring the module back: %s", __msg); \
} while (0)

FIXTURE_SETUP(stress)
{
	const char *params = getenv("DMACOPY_MODULE_PARAMS");
	struct dmacopy_info info;
	long n = env_long("DMACOPY_CHANNELS", 0);
	int i, fd;

	self->start_ns = now_ns();
	self->kmsg = -1;
	for (i = 0; i < MAX_TRACKED; i++)
		self->fd[i] = -1;
	ASSERT_EQ(0U, geteuid()) TH_LOG("needs root (modules, sysfs bind/unbind, debugfs)");
	self->ko = getenv("DMACOPY_MODULE");
	ASSERT_TRUE(self->ko && *self->ko) TH_LOG("set DMACOPY_MODULE to the path of dmacopy.ko");
	ASSERT_EQ(0, access(self->ko, R_OK))
		TH_LOG("DMACOPY_MODULE=%s: %s", self->ko, strerror(errno));
	snprintf(self->params, sizeof(self->params), "%s", params ? params : "");
	if (!path_exists("/sys/kernel/debug/failslab"))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	self->ndev = board_list_devs(&self->dev[0][0], NAME_LEN, MAX_CHANNELS);
	ASSERT_LE(1, self->ndev) TH_LOG("no platform device of a DMA controller that dmacopy drives");
	/* Every device bound: one node per hardware channel of each. */
	self->nchan = dev_nodes_sum(self->dev, self->ndev);
	ASSERT_TRUE(self->nchan >= 1 && self->nchan <= MAX_CHANNELS)
		TH_LOG("the %d devices have %d channels by their device tree, want 1..%d",
		       self->ndev, self->nchan, MAX_CHANNELS);
	if (n) {
		ASSERT_EQ(n, self->nchan) TH_LOG("DMACOPY_CHANNELS=%ld", n);
	}
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ASSERT_RESTORED(self);
	fd = open_node(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dc_info(fd, &info));
	close(fd);
	self->buf_size = info.buf_size;
	ksft_print_msg("seed %u (DMACOPY_SEED)\n", run_seed());
}

FIXTURE_TEARDOWN(stress)
{
	struct kmsg_log *log;
	char msg[256];
	int i;

	/*
	 * After a failed ASSERT the harness runs this from inside its failure
	 * handler, with the handler's trigger still set: clear it, or every
	 * EXPECT below would log its message although it passed.
	 */
	_metadata->trigger = 0;
	for (i = 0; i < MAX_TRACKED; i++) {
		if (self->pid[i] > 0)
			kill_reap(self->pid[i]);
		self->pid[i] = 0;
	}
	for (i = 0; i < MAX_TRACKED; i++) {
		if (self->map[i])
			munmap(self->map[i], self->map_len[i]);
		self->map[i] = NULL;
		if (self->fd[i] >= 0)
			close(self->fd[i]);
		self->fd[i] = -1;
	}
	if (self->fi_saved) {
		for (i = 0; i < (int)FI_FILES; i++)
			write_text(fi_files[i], self->fi_old[i]);
		self->fi_saved = false;
	}
	if (self->ko && self->ndev > 0) {
		bool ok = restore_state(self, msg, sizeof(msg));

		EXPECT_TRUE(ok) TH_LOG("cannot bring the module back: %s", msg);
	}
	/* Nothing this test did may have warned or oopsed in the kernel. */
	log = calloc(1, sizeof(*log));
	if (log && self->kmsg >= 0) {
		kmsg_read(self->kmsg, log);
		EXPECT_EQ(0, kmsg_count_bad(log)) {
			for (i = 0; i < log->n; i++)
				if (kmsg_is_bad(log->line[i]))
					TH_LOG("kernel: %s", log->line[i]);
		}
	}
	free(log);
	if (self->kmsg >= 0)
		close(self->kmsg);
	self->kmsg = -1;
	ksft_print_msg("%s: %.1f s\n", _metadata->name,
		       (double)(now_ns() - self->start_ns) / NSEC_PER_SEC);
}

/* ------------------------------------------------------------------------ */
/* unbind_under_load                                                         */

#define UB_KIDS		3	/* workers on the channel */

enum { PH_BOUND, PH_UNBINDING, PH_UNBOUND, PH_REBOUND };

struct ub_kid {
	int ready;		/* a verified copy done while bound */
	int finished;
	int failed;
	unsigned long ops, copies, eintr, enodev, sigbus, post;
	char msg[384];
};

struct ub_shared {
	int phase;		/* PH_* */
	int stop;		/* the signal sender stops */
	struct ub_kid kid[UB_KIDS];
};

static int phase_get(struct ub_shared *sh)
{
	return __atomic_load_n(&sh->phase, __ATOMIC_SEQ_CST);
}

static void phase_set(struct ub_shared *sh, int p)
{
	__atomic_store_n(&sh->phase, p, __ATOMIC_SEQ_CST);
}

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;
static volatile sig_atomic_t usr1_seen;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_armed) {
		bus_armed = 0;
		siglongjmp(bus_jmp, 1);
	}
	/* Not expected here: die of it, the parent sees the signal. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

static __printf(2, 3) void kid_fail(struct ub_kid *me, const char *fmt, ...)
{
	va_list ap;

	if (!me->failed) {
		va_start(ap, fmt);
		vsnprintf(me->msg, sizeof(me->msg), fmt, ap);
		va_end(ap);
	}
	me->failed = 1;
}

/* Whether a read (or write) of *p raises SIGBUS. */
static bool touch_sigbus(volatile uint8_t *p, bool write)
{
	if (sigsetjmp(bus_jmp, 1))
		return true;
	bus_armed = 1;
	if (write)
		*p = 0x77;
	else
		(void)*p;
	bus_armed = 0;
	return false;
}

/* A call that must fail with ENODEV now (retried on EINTR: a signal may land first). */
#define EXPECT_DEAD(me, when, what, call) do { \
	long __r; int __e = 0, __try = 0; \
	do { \
		errno = 0; \
		__r = (long)(call); \
		__e = errno; \
	} while (__r == -1 && __e == EINTR && ++__try < 10); \
	if (__r != -1 || __e != ENODEV) \
		kid_fail((me), "%s: %s returned %ld (%s), want -1 ENODEV", (when), (what), \
			 __r, __r == -1 ? strerror(__e) : "success"); \
} while (0)

/*
 * After unbind: every call on the open file fails with ENODEV, a new mmap
 * too, and every access through the old mappings raises SIGBUS.
 */
static void ub_post_checks(struct ub_kid *me, const char *when, struct region *r,
			   volatile uint8_t *part, size_t part_len)
{
	size_t wlen = 2 * r->size;
	struct dmacopy_info info;
	struct dmacopy_copy c;
	uint8_t b[16] = { 0 };
	void *m;
	int mode;

	EXPECT_DEAD(me, when, "INFO", ioctl(r->fd, DMACOPY_IOC_INFO, &info));
	for (mode = DMACOPY_MODE_DMA; mode <= DMACOPY_MODE_AUTO; mode++) {
		c = mkcopy(0, 0, 64, (uint32_t)mode);
		EXPECT_DEAD(me, when, mode == DMACOPY_MODE_DMA ? "DMA copy" :
			    mode == DMACOPY_MODE_CPU ? "CPU copy" : "AUTO copy",
			    ioctl(r->fd, DMACOPY_IOC_COPY, &c));
	}
	EXPECT_DEAD(me, when, "read", read(r->fd, b, sizeof(b)));
	EXPECT_DEAD(me, when, "pread", pread(r->fd, b, sizeof(b), (off_t)r->size));
	EXPECT_DEAD(me, when, "write", write(r->fd, b, sizeof(b)));
	EXPECT_DEAD(me, when, "pwrite", pwrite(r->fd, b, sizeof(b), 0));
	EXPECT_DEAD(me, when, "lseek", lseek(r->fd, 0, SEEK_SET));
	errno = 0;
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r->fd, 0);
	if (m != MAP_FAILED) {
		kid_fail(me, "%s: a new mmap succeeded", when);
		munmap(m, 4096);
	} else if (errno != ENODEV) {
		kid_fail(me, "%s: a new mmap failed with %s, want ENODEV", when, strerror(errno));
	}
	/* The old mappings: no stale data, no freed memory, only SIGBUS. */
	if (!touch_sigbus(&r->win[0], false))
		kid_fail(me, "%s: reading SRC[0] through the old mapping did not raise SIGBUS", when);
	if (!touch_sigbus(&r->win[r->lo + 1], false))
		kid_fail(me, "%s: reading SRC[%llu] through the old mapping did not raise SIGBUS",
			 when, U64(r->lo + 1));
	if (!touch_sigbus(&r->win[wlen - 1], false))
		kid_fail(me, "%s: reading the last byte of DST through the old mapping did not raise SIGBUS",
			 when);
	if (!touch_sigbus(&r->win[r->size + r->lo], true))
		kid_fail(me, "%s: writing DST[%llu] through the old mapping did not raise SIGBUS",
			 when, U64(r->lo));
	if (part && !touch_sigbus(&part[part_len - 1], false))
		kid_fail(me, "%s: reading through the old mapping of DST alone did not raise SIGBUS",
			 when);
	me->post++;
}

/* Waits (bounded) for the parent to reach phase p; false on timeout. */
static bool ub_wait_phase(struct ub_shared *sh, int p, unsigned int ms)
{
	uint64_t end = now_ns() + ms * NSEC_PER_MSEC;

	while (phase_get(sh) < p) {
		if (now_ns() > end)
			return false;
		sleep_us(500);
	}
	return true;
}

/*
 * A worker: copies, reads, writes and touches its part of the channel while it
 * is bound, sees the unbind through ENODEV and SIGBUS, then checks that every
 * call fails. The holder keeps its file and mappings across the rebind and
 * checks them again afterwards.
 */
static void ub_kid_main(struct ub_shared *sh, int k, int idx, uint32_t seed, bool restart,
			bool holder)
{
	struct ub_kid *me = &sh->kid[k];
	static struct region r;			/* static: survives siglongjmp */
	static volatile uint8_t *part;		/* a second mapping: DST only */
	static size_t part_len;
	uint64_t deadline = now_ns() + 120 * NSEC_PER_SEC;
	struct sigaction sa;
	int ret, p0, p1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);

	ret = region_open(&r, idx, (unsigned int)k, UB_KIDS, seed);
	if (ret) {
		kid_fail(me, "setup: %s (%s)", r.msg[0] ? r.msg : r.op, strerror(ret));
		goto out;
	}
	part_len = (size_t)r.size;
	part = mmap(NULL, part_len, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, (off_t)r.size);
	if (part == MAP_FAILED) {
		kid_fail(me, "setup: mmap of DST alone: %s", strerror(errno));
		part = NULL;
		goto out;
	}
	(void)part[0];

	if (sigsetjmp(bus_jmp, 1)) {
		me->sigbus++;
		if (phase_get(sh) == PH_BOUND)
			kid_fail(me, "SIGBUS while the channel is bound (during %s)", r.op);
		goto unbound;
	}
	bus_armed = 1;
	while (phase_get(sh) < PH_UNBOUND) {
		unsigned int op = (unsigned int)rnd(&r.rng, 20);

		if (now_ns() > deadline) {
			kid_fail(me, "no unbind within 120 s");
			break;
		}
		r.msg[0] = '\0';
		p0 = phase_get(sh);
		if (op < 10)
			ret = region_copy(&r, (uint32_t)rnd(&r.rng, 3));
		else if (op < 13)
			ret = region_rw(&r);
		else if (op < 16)
			ret = region_views(&r);
		else if (op < 18)
			ret = region_info(&r);
		else
			ret = (r.op = "whole DST", check_dst_all(&r, rnd(&r.rng, 2)));
		p1 = phase_get(sh);
		me->ops++;
		if (!ret) {
			if (op < 10) {
				me->copies++;
				me->ready = 1;
			}
			if (p0 >= PH_UNBOUND)
				kid_fail(me, "%s succeeded after unbind", r.op);
			continue;
		}
		if (ret == EINTR) {
			me->eintr++;
			if (restart)
				kid_fail(me, "%s: EINTR under SA_RESTART (the call must restart)", r.op);
			continue;
		}
		if (ret == ENODEV) {
			me->enodev++;
			if (p1 == PH_BOUND)
				kid_fail(me, "%s: ENODEV while the channel is bound", r.op);
			break;
		}
		kid_fail(me, "%s (%s, phase %d..%d)", r.msg[0] ? r.msg : r.op, strerror(ret), p0, p1);
		break;
	}
	bus_armed = 0;
unbound:
	bus_armed = 0;
	if (!ub_wait_phase(sh, PH_UNBOUND, 60000)) {
		kid_fail(me, "the parent did not finish the unbind within 60 s");
		goto out;
	}
	ub_post_checks(me, "after unbind", &r, part, part_len);
	if (holder) {
		if (!ub_wait_phase(sh, PH_REBOUND, 60000)) {
			kid_fail(me, "the parent did not rebind within 60 s");
			goto out;
		}
		ub_post_checks(me, "after unbind and bind", &r, part, part_len);
	}
	if (munmap((void *)part, part_len))
		kid_fail(me, "munmap of the DST mapping after unbind: %s", strerror(errno));
	part = NULL;
	if (munmap((void *)r.win, 2 * r.size))
		kid_fail(me, "munmap after unbind: %s", strerror(errno));
	r.win = NULL;
	if (close(r.fd))
		kid_fail(me, "close after unbind: %s", strerror(errno));
	r.fd = -1;
out:
	me->finished = 1;
	_exit(me->failed ? 1 : 0);
}

/* Sends SIGUSR1 to the workers at random until told to stop (bounded). */
static void ub_signaller_main(struct ub_shared *sh, const pid_t *pids, int n, uint32_t seed)
{
	uint64_t end = now_ns() + 180 * NSEC_PER_SEC;
	uint32_t rng = seed;
	int i;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST) && now_ns() < end) {
		for (i = 0; i < n; i++)
			if (rnd(&rng, 2))
				kill(pids[i], SIGUSR1);
		sleep_us(100 + rnd(&rng, 1500));
	}
	_exit(0);
}

/* Reaps a worker (bounded) and reports how it ended; false if it failed. */
static bool ub_reap(struct __test_metadata *_metadata, FIXTURE_DATA(stress) *self,
		    struct ub_shared *sh, int round, int k, pid_t pid)
{
	struct ub_kid *me = &sh->kid[k];
	int status = 0, ret;

	ret = wait_pid_ms(pid, &status, EXIT_MS);
	if (ret) {
		kill_reap(pid);
		untrack_pid(self, pid);
		TH_LOG("round %d: worker %d did not exit within %d ms after unbind (stuck in a call?)",
		       round, k, EXIT_MS);
		return false;
	}
	untrack_pid(self, pid);
	if (WIFSIGNALED(status)) {
		TH_LOG("round %d: worker %d killed by signal %d (%s)", round, k, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return false;
	}
	if (me->failed || !me->finished || WEXITSTATUS(status)) {
		TH_LOG("round %d: worker %d: %s", round, k, me->msg[0] ? me->msg : "failed");
		return false;
	}
	return true;
}

/*
 * The other nodes of the device being unbound: their numbers and register
 * bases, and a file of each, open across the unbind.
 */
struct ub_sibs {
	int n;
	int idx[MAX_CHANNELS];
	uint64_t reg[MAX_CHANNELS];
	int fd[MAX_CHANNELS];
};

/*
 * Unbinding a device while its channels copy: the workers' node is the last
 * one, and on a device with several channels (BCM2835) one worker copies on
 * another channel of the same device and the others' files are open too; all
 * of them see the unbind (ENODEV, SIGBUS, gone from /dev), and every one comes
 * back at its number with the bind, found by its reg_base, and copies.
 */
TEST_F_TIMEOUT(stress, unbind_under_load, 1800)
{
	long rounds = env_long("DMACOPY_UNBIND_ROUNDS", 50);
	int idx = self->nchan - 1, round, k, i, done = 0, ret, fd;
	unsigned long copies = 0, enodev = 0, sigbus = 0, eintr = 0;
	uint32_t rng = run_seed() ^ 0x1111;
	struct ub_shared *sh;
	struct dmacopy_info info;
	struct sigaction sa;
	struct ub_sibs sib;
	char name[NAME_LEN], path[64], msg[256];
	int widx[UB_KIDS], all[MAX_CHANNELS], nall;
	pid_t pids[UB_KIDS], sig_pid;
	bool ok = true;

	ASSERT_LT(0, rounds) TH_LOG("DMACOPY_UNBIND_ROUNDS must be a positive number");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	track_map(self, sh, sizeof(*sh));
	/* Workers inherit a handler, so that no early signal kills one. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);

	node_path(path, sizeof(path), idx);
	fd = open_node(idx);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, dc_info(fd, &info));
	close(fd);
	ret = board_node_dev(idx, name, sizeof(name));
	ASSERT_EQ(0, ret) TH_LOG("the device of %s: %s", path, strerror(ret));
	ASSERT_TRUE(chan_bound(name)) TH_LOG("%s (behind %s) is not bound to dmacopy", name, path);
	nall = dev_misc(name, all, MAX_CHANNELS);
	memset(&sib, 0, sizeof(sib));
	for (i = 0; i < nall; i++) {
		struct dmacopy_info si;

		if (all[i] == idx)
			continue;
		fd = open_node(all[i]);
		ASSERT_LE(0, fd) TH_LOG("open /dev/dmacopy%d: %s", all[i], strerror(errno));
		ret = dc_info(fd, &si);
		close(fd);
		ASSERT_EQ(0, ret) TH_LOG("INFO on /dev/dmacopy%d: %s", all[i], strerror(ret));
		sib.idx[sib.n] = all[i];
		sib.reg[sib.n++] = si.reg_base;
	}
	for (k = 0; k < UB_KIDS; k++)
		widx[k] = k == UB_KIDS - 1 && sib.n ? sib.idx[0] : idx;
	if (sib.n)
		ksft_print_msg("unbind_under_load: %s: workers on /dev/dmacopy%d and /dev/dmacopy%d, %d other node(s) open\n",
			       name, idx, sib.idx[0], sib.n);
	else
		ksft_print_msg("unbind_under_load: %s: workers on /dev/dmacopy%d\n", name, idx);

	for (round = 0; round < rounds && ok; round++) {
		bool holder = round % 2 == 0;
		int status;

		memset(sh, 0, sizeof(*sh));
		phase_set(sh, PH_BOUND);
		for (k = 0; k < UB_KIDS; k++) {
			uint32_t kseed = xs32(&rng);

			pids[k] = fork();
			ASSERT_LE(0, pids[k]);
			if (pids[k] == 0)
				ub_kid_main(sh, k, widx[k], kseed, k % 2 == 1, holder && k == 0);
			track_pid(self, pids[k]);
		}
		for (i = 0; i < sib.n; i++) {
			sib.fd[i] = open_node(sib.idx[i]);
			ASSERT_LE(0, sib.fd[i]) TH_LOG("round %d: open /dev/dmacopy%d: %s", round,
						       sib.idx[i], strerror(errno));
			track_fd(self, sib.fd[i]);
		}
		sig_pid = fork();
		ASSERT_LE(0, sig_pid);
		if (sig_pid == 0)
			ub_signaller_main(sh, pids, UB_KIDS, xs32(&rng));
		track_pid(self, sig_pid);

		/* Load first: every worker copies before the unbind comes. */
		{
			uint64_t end = now_ns() + READY_MS * NSEC_PER_MSEC;
			int ready;

			do {
				sleep_ms(2);
				for (ready = 0, k = 0; k < UB_KIDS; k++)
					ready += sh->kid[k].ready || sh->kid[k].finished;
			} while (ready < UB_KIDS && now_ns() < end);
			EXPECT_EQ(UB_KIDS, ready)
				TH_LOG("round %d: workers not copying after %d ms", round, READY_MS);
		}
		sleep_ms(10 + rnd(&rng, 100));

		phase_set(sh, PH_UNBINDING);
		ret = chan_unbind(name);
		phase_set(sh, PH_UNBOUND);
		EXPECT_EQ(0, ret) TH_LOG("round %d: unbind %s: %s", round, name, strerror(ret));
		ok &= !ret;
		EXPECT_TRUE(wait_path(path, false, NODE_MS))
			TH_LOG("round %d: %s still there after unbind", round, path);
		/* Every node of the device went. */
		for (i = 0; i < sib.n; i++) {
			struct dmacopy_info si;
			char spath[64];
			bool gone;

			node_path(spath, sizeof(spath), sib.idx[i]);
			gone = wait_path(spath, false, NODE_MS);
			EXPECT_TRUE(gone) TH_LOG("round %d: %s, of %s too, still there after unbind",
						 round, spath, name);
			errno = 0;
			ret = ioctl(sib.fd[i], DMACOPY_IOC_INFO, &si);
			EXPECT_TRUE(ret == -1 && errno == ENODEV)
				TH_LOG("round %d: INFO on a file of %s after unbind: %d (%s)", round,
				       spath, ret, strerror(errno));
			ok &= gone && ret == -1 && errno == ENODEV;
			EXPECT_EQ(0, close_fd(self, sib.fd[i]));
		}

		for (k = holder ? 1 : 0; k < UB_KIDS; k++)
			ok &= ub_reap(_metadata, self, sh, round, k, pids[k]);

		ret = chan_bind(name);
		EXPECT_EQ(0, ret) TH_LOG("round %d: bind %s: %s", round, name, strerror(ret));
		ok &= !ret;
		if (!ret) {
			bool there = wait_path(path, true, NODE_MS);

			EXPECT_TRUE(there) TH_LOG("round %d: %s missing after bind", round, path);
			ok &= there;
			if (there) {
				EXPECT_EQ(idx, node_of_reg(info.reg_base))
					TH_LOG("round %d: %s came back as another node", round, name);
				ret = node_check(idx, xs32(&rng), msg, sizeof(msg));
				EXPECT_EQ(0, ret) TH_LOG("round %d: after bind: %s", round, msg);
				ok &= !ret;
			}
			for (i = 0; there && i < sib.n; i++) {
				EXPECT_EQ(sib.idx[i], node_of_reg(sib.reg[i]))
					TH_LOG("round %d: reg_base %#llx of %s did not come back as"
					       " /dev/dmacopy%d", round, U64(sib.reg[i]), name, sib.idx[i]);
				ok &= sib.idx[i] == node_of_reg(sib.reg[i]);
			}
			if (there && sib.n) {
				/* The other worker's node copies too. */
				ret = node_check(sib.idx[0], xs32(&rng), msg, sizeof(msg));
				EXPECT_EQ(0, ret) TH_LOG("round %d: after bind: %s", round, msg);
				ok &= !ret;
			}
		}
		if (holder) {
			phase_set(sh, PH_REBOUND);
			ok &= ub_reap(_metadata, self, sh, round, 0, pids[0]);
		}
		__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
		if (wait_pid_ms(sig_pid, &status, EXIT_MS))
			kill_reap(sig_pid);
		untrack_pid(self, sig_pid);

		for (k = 0; k < UB_KIDS; k++) {
			copies += sh->kid[k].copies;
			enodev += sh->kid[k].enodev;
			sigbus += sh->kid[k].sigbus;
			eintr += sh->kid[k].eintr;
			if (!sh->kid[k].post) {
				TH_LOG("round %d: worker %d never checked the unbound file", round, k);
				ok = false;
			}
		}
		if (ok)
			done++;
	}
	ksft_print_msg("unbind_under_load: %d rounds, %lu verified copies, %lu ENODEV and %lu SIGBUS in flight, %lu EINTR\n",
		       done, copies, enodev, sigbus, eintr);
	printf("# dmacopy-count: unbind_rounds=%d\n", done);
	fflush(stdout);
	ASSERT_TRUE(ok) TH_LOG("failed in round %d of %ld", round - 1, rounds);
	EXPECT_EQ(rounds, done);
	EXPECT_LT(0UL, copies);
}

/* ------------------------------------------------------------------------ */
/* rmmod_busy                                                                */

/* rmmod must fail: the module is in use (the kernel says EWOULDBLOCK; the spec EBUSY). */
#define ASSERT_RMMOD_REFUSED(what) do { \
	int __ret = rmmod(); \
	ASSERT_TRUE(__ret == EWOULDBLOCK || __ret == EBUSY) \
		TH_LOG("rmmod with %s: %s, want EBUSY/EWOULDBLOCK (in use)", (what), \
		       __ret ? strerror(__ret) : "succeeded"); \
	ASSERT_TRUE(module_loaded("dmacopy")) TH_LOG("module gone after a refused rmmod (%s)", (what)); \
	ASSERT_LT(0, module_refcnt()) TH_LOG("refcnt %ld with %s", module_refcnt(), (what)); \
} while (0)

/* rmmod must work now and leave nothing behind. */
#define ASSERT_RMMOD_CLEAN(what) do { \
	int __ret = rmmod(); \
	ASSERT_EQ(0, __ret) TH_LOG("rmmod after %s: %s", (what), strerror(__ret)); \
	ASSERT_FALSE(module_loaded("dmacopy")); \
	ASSERT_TRUE(wait_no_nodes()) TH_LOG("%d nodes left after rmmod", count_nodes()); \
	ASSERT_FALSE(path_exists(DEBUGFS_DIR)) TH_LOG(DEBUGFS_DIR " left after rmmod"); \
	ASSERT_FALSE(path_exists(DRV_DIR)) TH_LOG(DRV_DIR " left after rmmod"); \
} while (0)

/* insmod must work and give every node back, each copying correctly. */
#define ASSERT_INSMOD_ALL(self, what) do { \
	char __msg[256]; \
	int __ret = load_normal(self), __i; \
	ASSERT_EQ(0, __ret) TH_LOG("insmod %s: %s", (what), strerror(__ret)); \
	__i = wait_all_nodes(self); \
	ASSERT_EQ(-1, __i) TH_LOG("/dev/dmacopy%d missing after insmod (%s)", __i, (what)); \
	ASSERT_EQ((self)->nchan, count_nodes()); \
	for (__i = 0; __i < (self)->nchan; __i++) { \
		__ret = node_check(__i, run_seed() + (uint32_t)__i, __msg, sizeof(__msg)); \
		ASSERT_EQ(0, __ret) TH_LOG("%s: %s", (what), __msg); \
	} \
} while (0)

TEST_F_TIMEOUT(stress, rmmod_busy, 300)
{
	struct dmacopy_info info;
	char name[NAME_LEN], path[64], msg[256];
	int fd, fd2, idx, status, ret;
	void *m;
	pid_t pid;

	/* 1. A file open: refused, the node keeps working; after close: clean. */
	fd = open_node(0);
	ASSERT_LE(0, fd) TH_LOG("open /dev/dmacopy0: %s", strerror(errno));
	track_fd(self, fd);
	ASSERT_RMMOD_REFUSED("/dev/dmacopy0 open");
	ASSERT_EQ(0, dc_info(fd, &info)) TH_LOG("INFO after a refused rmmod");
	ASSERT_EQ(0, node_check(0, run_seed(), msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_EQ(0, close_fd(self, fd));
	ASSERT_RMMOD_CLEAN("closing the file");
	ASSERT_INSMOD_ALL(self, "after rmmod");

	/* 2. The file closed, its mapping alive: the mapping holds the file. */
	fd = open_node(1 % self->nchan);
	ASSERT_LE(0, fd);
	track_fd(self, fd);
	ASSERT_EQ(0, dc_info(fd, &info));
	m = mmap(NULL, 2 * info.buf_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	track_map(self, m, 2 * info.buf_size);
	((volatile uint8_t *)m)[0] = 0x5a;
	ASSERT_EQ(0, close_fd(self, fd));
	ASSERT_RMMOD_REFUSED("a mapping of a closed file");
	ASSERT_EQ(0x5a, ((volatile uint8_t *)m)[0]) TH_LOG("the mapping changed under a refused rmmod");
	ASSERT_EQ(0, unmap(self, m, 2 * info.buf_size));
	ASSERT_RMMOD_CLEAN("munmap");
	ASSERT_INSMOD_ALL(self, "after the mapping went");

	/* 3. A file inherited by another process: refused until that one exits. */
	fd = open_node(0);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sleep(60);	/* TIMEOUT: killed by the parent long before */
		_exit(0);
	}
	track_pid(self, pid);
	ASSERT_EQ(0, close(fd));
	ASSERT_RMMOD_REFUSED("the file open in a child process");
	kill(pid, SIGKILL);
	ASSERT_EQ(0, wait_pid_ms(pid, &status, EXIT_MS));
	untrack_pid(self, pid);
	ASSERT_RMMOD_CLEAN("the child exited");
	ASSERT_INSMOD_ALL(self, "after the child exited");

	/* 4. A file of an unbound channel: still the module's file, still refused. */
	idx = self->nchan - 1;
	node_path(path, sizeof(path), idx);
	fd = open_node(idx);
	ASSERT_LE(0, fd);
	track_fd(self, fd);
	fd2 = open_node(idx);
	ASSERT_LE(0, fd2);
	track_fd(self, fd2);
	ASSERT_EQ(0, dc_info(fd, &info));
	ret = board_node_dev(idx, name, sizeof(name));
	ASSERT_EQ(0, ret) TH_LOG("the device of %s: %s", path, strerror(ret));
	ret = chan_unbind(name);
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", name, strerror(ret));
	ASSERT_TRUE(wait_path(path, false, NODE_MS)) TH_LOG("%s still there after unbind", path);
	ASSERT_EQ(-1, ioctl(fd, DMACOPY_IOC_INFO, &info));
	ASSERT_EQ(ENODEV, errno);
	ASSERT_RMMOD_REFUSED("two files of an unbound channel open");
	ASSERT_EQ(0, close_fd(self, fd));
	ASSERT_RMMOD_REFUSED("one file of an unbound channel open");
	ASSERT_EQ(0, close_fd(self, fd2));
	ASSERT_RMMOD_CLEAN("closing the unbound channel's files");
	ASSERT_INSMOD_ALL(self, "after the unbound channel's files closed");
	ASSERT_TRUE(chan_bound(name)) TH_LOG("%s not bound after insmod", name);
}

/* ------------------------------------------------------------------------ */
/* load_cycles                                                               */

/* Reads the kmemleak report; the number of "unreferenced object" entries. */
static int kmemleak_reports(char *buf, size_t len)
{
	const char *p = buf;
	int n = 0;

	if (read_text(KMEMLEAK, buf, len))
		return -1;
	while ((p = strstr(p, "unreferenced object"))) {
		n++;
		p++;
	}
	return n;
}

TEST_F_TIMEOUT(stress, load_cycles, 1800)
{
	long cycles = env_long("DMACOPY_LOAD_CYCLES", 100);
	bool kmemleak = path_exists(KMEMLEAK);
	char msg[256], path[64];
	int i, ret, done = 0;

	ASSERT_LT(0, cycles) TH_LOG("DMACOPY_LOAD_CYCLES must be a positive number");
	if (kmemleak) {
		/* Only leaks from now on count. */
		ret = write_text(KMEMLEAK, "clear");
		ASSERT_EQ(0, ret) TH_LOG("kmemleak clear: %s", strerror(ret));
	}
	for (i = 0; i < cycles; i++) {
		int idx = i % self->nchan;

		ret = rmmod();
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: rmmod: %s", i, strerror(ret));
		ASSERT_FALSE(module_loaded("dmacopy")) TH_LOG("cycle %d", i);
		ASSERT_TRUE(wait_no_nodes()) TH_LOG("cycle %d: %d nodes left after rmmod", i,
						    count_nodes());
		ASSERT_FALSE(path_exists(DEBUGFS_DIR)) TH_LOG("cycle %d: " DEBUGFS_DIR " left", i);
		ret = load_normal(self);
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: insmod: %s", i, strerror(ret));
		node_path(path, sizeof(path), idx);
		ASSERT_TRUE(wait_path(path, true, NODE_MS)) TH_LOG("cycle %d: %s missing", i, path);
		ret = node_check(idx, run_seed() + (uint32_t)i, msg, sizeof(msg));
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: %s", i, msg);
		done++;
	}
	ksft_print_msg("load_cycles: %d insmod/rmmod cycles, each with a verified copy\n", done);
	printf("# dmacopy-count: load_cycles=%d\n", done);
	fflush(stdout);
	ASSERT_EQ(-1, wait_all_nodes(self));
	ASSERT_EQ(self->nchan, count_nodes());

	if (kmemleak) {
		size_t len = 1 << 20;
		char *buf = malloc(len);
		int n;

		ASSERT_NE(NULL, buf);
		/* Objects must be unreferenced over two scans, and older than 5 s. */
		ret = write_text(KMEMLEAK, "scan");
		ASSERT_EQ(0, ret) TH_LOG("kmemleak scan: %s", strerror(ret));
		sleep_ms(6000);
		ret = write_text(KMEMLEAK, "scan");
		ASSERT_EQ(0, ret) TH_LOG("kmemleak scan: %s", strerror(ret));
		n = kmemleak_reports(buf, len);
		ASSERT_LE(0, n) TH_LOG("cannot read " KMEMLEAK);
		EXPECT_EQ(0, n) {
			TH_LOG("kmemleak: %d leaks since the cycles started (our insmods run as 'dmacopy_stress'):",
			       n);
			TH_LOG("%.6000s", buf);
		}
		EXPECT_EQ(NULL, strstr(buf, "dmacopy")) TH_LOG("kmemleak names dmacopy");
		free(buf);
	} else {
		ksft_print_msg("load_cycles: no " KMEMLEAK " (not a debug kernel): leaks not checked\n");
	}
}

/* ------------------------------------------------------------------------ */
/* soak                                                                      */

struct soak_kid {
	unsigned long copies, dma, cpu, autos, full_checks;
	int failed;
	int finished;
	char msg[384];
};

static void soak_kid_main(struct soak_kid *me, int idx, unsigned int part, uint32_t seed,
			  uint64_t end)
{
	struct region r;
	int ret;

	ret = region_open(&r, idx, part, 2, seed);
	if (ret) {
		snprintf(me->msg, sizeof(me->msg), "/dev/dmacopy%d part %u: %s (%s)", idx, part,
			 r.msg[0] ? r.msg : r.op, strerror(ret));
		me->failed = 1;
		_exit(1);
	}
	/*
	 * Until the end, and at least one copy: on a slow kernel with many channels
	 * (a debug kernel on the 11 of a BCM2835), the last processes may be done
	 * setting up only after the end.
	 */
	while (now_ns() < end || !me->copies) {
		uint32_t mode = (uint32_t)rnd(&r.rng, 3);

		r.msg[0] = '\0';
		ret = region_copy(&r, mode);
		if (!ret) {
			me->copies++;
			me->dma += mode == DMACOPY_MODE_DMA;
			me->cpu += mode == DMACOPY_MODE_CPU;
			me->autos += mode == DMACOPY_MODE_AUTO;
			/* Now and then the whole part: nothing wrote where no copy went. */
			if (rnd(&r.rng, 16) == 0) {
				r.op = "whole DST";
				ret = check_dst_all(&r, rnd(&r.rng, 2));
				me->full_checks++;
			}
		}
		if (ret) {
			snprintf(me->msg, sizeof(me->msg), "/dev/dmacopy%d part %u, after %lu copies: %s (%s)",
				 idx, part, me->copies, r.msg[0] ? r.msg : r.op, strerror(ret));
			me->failed = 1;
			region_close(&r);
			_exit(1);
		}
	}
	r.op = "whole DST at the end";
	ret = check_dst_all(&r, false);
	if (ret) {
		snprintf(me->msg, sizeof(me->msg), "/dev/dmacopy%d part %u: %s", idx, part, r.msg);
		me->failed = 1;
	}
	region_close(&r);
	me->finished = 1;
	_exit(me->failed);
}

TEST_F_TIMEOUT(stress, soak, 900)
{
	long secs = env_long("DMACOPY_SOAK_SECS", 20);
	int nkids = 2 * self->nchan, k, status, ret;
	unsigned long copies = 0, dma = 0, cpu = 0, autos = 0, checks = 0;
	uint32_t rng = run_seed() ^ 0x50a4;
	struct soak_kid *kids;
	pid_t pids[2 * MAX_CHANNELS];
	uint64_t end;
	bool ok = true;

	ASSERT_TRUE(secs > 0 && secs <= 3600) TH_LOG("DMACOPY_SOAK_SECS must be 1..3600");
	kids = mmap(NULL, sizeof(*kids) * (size_t)nkids, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, kids);
	track_map(self, kids, sizeof(*kids) * (size_t)nkids);
	end = now_ns() + (uint64_t)secs * NSEC_PER_SEC;
	for (k = 0; k < nkids; k++) {
		uint32_t kseed = xs32(&rng);

		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (pids[k] == 0)
			soak_kid_main(&kids[k], k / 2, (unsigned int)(k % 2), kseed, end);
		track_pid(self, pids[k]);
	}
	for (k = 0; k < nkids; k++) {
		/* TIMEOUT: the end of the soak plus a margin for the last copy and check. */
		uint64_t left = end > now_ns() ? (end - now_ns()) / NSEC_PER_MSEC : 0;

		ret = wait_pid_ms(pids[k], &status, (unsigned int)left + 60000);
		if (ret) {
			kill_reap(pids[k]);
			TH_LOG("process %d (/dev/dmacopy%d) did not finish 60 s after the end", k, k / 2);
			ok = false;
		} else if (WIFSIGNALED(status)) {
			TH_LOG("process %d (/dev/dmacopy%d): killed by signal %d", k, k / 2,
			       WTERMSIG(status));
			ok = false;
		} else if (kids[k].failed || !kids[k].finished || WEXITSTATUS(status)) {
			TH_LOG("process %d: %s", k, kids[k].msg[0] ? kids[k].msg : "failed");
			ok = false;
		} else if (!kids[k].copies) {
			TH_LOG("process %d (/dev/dmacopy%d): no copy in %ld s", k, k / 2, secs);
			ok = false;
		}
		untrack_pid(self, pids[k]);
		copies += kids[k].copies;
		dma += kids[k].dma;
		cpu += kids[k].cpu;
		autos += kids[k].autos;
		checks += kids[k].full_checks;
	}
	ksft_print_msg("soak: %lu verified copies (%lu DMA, %lu CPU, %lu AUTO) on %d channels in %ld s, %lu whole-buffer checks\n",
		       copies, dma, cpu, autos, self->nchan, secs, checks);
	printf("# dmacopy-count: soak_copies=%lu\n", copies);
	fflush(stdout);
	EXPECT_TRUE(ok);
	EXPECT_LT(0UL, dma);
	EXPECT_LT(0UL, cpu);
}

/* ------------------------------------------------------------------------ */
/* load_failures                                                             */

/*
 * The state after a load that failed, or after rmmod: no module, no node, no
 * debugfs directory.
 */
#define ASSERT_NOTHING_LEFT(what) do { \
	ASSERT_FALSE(module_loaded("dmacopy")) TH_LOG("%s: the module is loaded", (what)); \
	ASSERT_EQ(0, count_nodes()) TH_LOG("%s: /dev/dmacopy* left", (what)); \
	ASSERT_EQ(0, count_misc()) TH_LOG("%s: a dmacopy misc device left", (what)); \
	ASSERT_FALSE(path_exists(DEBUGFS_DIR)) TH_LOG("%s: " DEBUGFS_DIR " left", (what)); \
} while (0)

/*
 * A bound device has one misc device per hardware channel (by its device
 * tree), and copies correctly through the first (copies 1) or every one
 * (copies -1; 0: none), each at its own register base. A misc device whose
 * /dev node is missing (devtmpfs failed to allocate it, which the driver
 * core does not report to the driver) is checked through a node made for it.
 */
static void check_bound_channel(struct __test_metadata *_metadata, const char *dev,
				uint32_t seed, int copies, const char *what)
{
	const struct dmacopy_ctl *ctl = board_dev_ctl(dev);
	char msg[256], path[PATH_MAX];
	int idx[MAX_CHANNELS], n, i, ret;
	uint64_t reg = 0;

	ASSERT_NE(NULL, ctl) TH_LOG("%s: %s is not a DMA controller of a known family", what, dev);
	n = dev_misc(dev, idx, MAX_CHANNELS);
	ASSERT_EQ(board_dev_nodes(dev), n) TH_LOG("%s: %s is bound with %d misc devices, want %d",
						  what, dev, n, board_dev_nodes(dev));
	for (i = 0; i < n && (copies < 0 || i < copies); i++) {
		node_path(path, sizeof(path), idx[i]);
		if (!path_exists(path)) {
			ASSERT_TRUE(make_node(idx[i], path, sizeof(path)))
				TH_LOG("%s: no node for dmacopy%d of %s", what, idx[i], dev);
			ksft_print_msg("%s: dmacopy%d of %s has no /dev node (devtmpfs could not allocate it); checked through %s\n",
				       what, idx[i], dev, path);
		}
		ret = node_check_path(path, seed + (uint32_t)i, &reg, msg, sizeof(msg));
		if (strncmp(path, "/dev/", 5))
			unlink(path);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", what, msg);
		ASSERT_LE(0, board_hw_chan(ctl, dev, reg))
			TH_LOG("%s: dmacopy%d (registers %#llx) is not a channel of %s", what, idx[i],
			       U64(reg), dev);
	}
}

/* No misc device, /dev node or debugfs directory without its channel. */
static void check_no_leftovers(struct __test_metadata *_metadata, int bound, const char *what)
{
	ASSERT_EQ(bound, count_misc()) TH_LOG("%s: %d channels of bound devices, %d misc devices",
					      what, bound, count_misc());
	ASSERT_EQ(0, count_orphan_nodes()) TH_LOG("%s: a /dev node without its device", what);
	ASSERT_EQ(0, count_orphan_dirs()) TH_LOG("%s: a debugfs directory without its device",
						 what);
	ASSERT_GE(bound, count_debugfs_dirs()) TH_LOG("%s: %d channels bound, %d debugfs dirs",
						      what, bound, count_debugfs_dirs());
}

/*
 * After a load with some channels not bound: exactly the bound channels have
 * a device (and node), and each copies correctly; or, with copy_one >= 0,
 * only the first bound channel from index copy_one on (the others are only
 * looked up: a quicker check for long loops).
 */
static void check_partial(struct __test_metadata *_metadata, FIXTURE_DATA(stress) *self,
			  const char *what, int copy_one, int *unbound, int *first_unbound)
{
	int i, bound = 0, nodes = 0, copy_at = -1;

	*first_unbound = -1;
	for (i = 0; copy_one >= 0 && i < self->ndev; i++) {
		int k = (copy_one + i) % self->ndev;

		if (chan_bound(self->dev[k])) {
			copy_at = k;
			break;
		}
	}
	for (i = 0; i < self->ndev; i++) {
		if (chan_bound(self->dev[i])) {
			bound++;
			nodes += board_dev_nodes(self->dev[i]);
			check_bound_channel(_metadata, self->dev[i], run_seed() + (uint32_t)i,
					    copy_one < 0 ? -1 : i == copy_at, what);
		} else if (*first_unbound < 0) {
			*first_unbound = i;
		}
	}
	*unbound = self->ndev - bound;
	check_no_leftovers(_metadata, nodes, what);
}

/* The messages of a load that failed for buf_size: one clear error, no splat. */
static void check_load_msgs(struct __test_metadata *_metadata, const struct kmsg_log *log,
			    const char *what, const char *param, bool announce_ok)
{
	int errors = kmsg_count_errors(log), bad = kmsg_count_bad(log);

	EXPECT_EQ(0, bad) kmsg_dump(_metadata, log, what);
	EXPECT_TRUE(errors >= 1 && errors <= 3) {
		TH_LOG("%s: %d error lines in the kernel log, want 1 to 3", what, errors);
		kmsg_dump(_metadata, log, what);
	}
	EXPECT_TRUE(kmsg_mentions(log, param, true)) {
		TH_LOG("%s: no error line names %s", what, param);
		kmsg_dump(_metadata, log, what);
	}
	if (!announce_ok)
		EXPECT_FALSE(kmsg_mentions(log, "/dev/dmacopy", false)) {
			TH_LOG("%s: a node was announced", what);
			kmsg_dump(_metadata, log, what);
		}
}

TEST_F_TIMEOUT(stress, load_failures, 1800)
{
	static const char *const bad_sizes[] = {
		"0",				/* nothing to copy */
		"1099511627776",		/* 1 TiB */
		"9223372036854775808",		/* 2^63: 2 * buf_size overflows */
		"18446744073709551615",		/* 2^64 - 1 */
		"18446744073709547521",		/* 2^64 - 4095: rounding up overflows */
		"734003200",			/* 700 MiB, over a third of the guest */
		"536870912",			/* 512 MiB: 8 GiB for 8 channels */
		"-1",				/* not a number */
	};
	long fault_max = env_long("DMACOPY_FAULT_MAX", 400);
	unsigned int big = order_of(self->buf_size);
	struct kmsg_log *log;
	struct fi_outcome fo;
	char what[128], params[PARAMS_LEN + 64];
	unsigned long injected = 0, t0, n;
	int ret, unbound, first, victim, others;
	unsigned long cut, stride, start;
	bool probe_failed;
	size_t v;

	ASSERT_LT(0, fault_max);
	log = calloc(1, sizeof(*log));
	ASSERT_NE(NULL, log);

	/* Fault injection must be there: the kernel config enables it. */
	ASSERT_TRUE(path_exists("/proc/thread-self/fail-nth"))
		TH_LOG("no /proc/thread-self/fail-nth: CONFIG_FAULT_INJECTION missing");
	for (v = 0; v < FI_FILES; v++) {
		ret = read_text(fi_files[v], self->fi_old[v], sizeof(self->fi_old[v]));
		ASSERT_EQ(0, ret)
			TH_LOG("%s: %s (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS?)",
			       fi_files[v], strerror(ret));
		self->fi_old[v][strcspn(self->fi_old[v], "\n")] = '\0';
	}
	self->fi_saved = true;

	ret = rmmod();
	ASSERT_EQ(0, ret) TH_LOG("rmmod: %s", strerror(ret));
	ASSERT_NOTHING_LEFT("rmmod");

	/* 1. Bad buf_size values: the load fails, with one clear message. */
	for (v = 0; v < ARRAY_SIZE(bad_sizes); v++) {
		snprintf(what, sizeof(what), "insmod buf_size=%s", bad_sizes[v]);
		snprintf(params, sizeof(params), "buf_size=%s", bad_sizes[v]);
		kmsg_mark(_metadata, self->kmsg, log);
		ret = insmod(self->ko, params);
		kmsg_read(self->kmsg, log);
		EXPECT_NE(0, ret) TH_LOG("%s succeeded: %d nodes", what, count_nodes());
		if (!ret) {
			ret = rmmod();
			ASSERT_EQ(0, ret) TH_LOG("rmmod after %s: %s", what, strerror(ret));
		}
		ASSERT_NOTHING_LEFT(what);
		check_load_msgs(_metadata, log, what, "buf_size", false);
	}
	/* timeout_ms=0 would bound every copy by no time at all: the load fails too. */
	kmsg_mark(_metadata, self->kmsg, log);
	ret = insmod(self->ko, "timeout_ms=0");
	kmsg_read(self->kmsg, log);
	EXPECT_NE(0, ret) TH_LOG("insmod timeout_ms=0 succeeded: %d nodes", count_nodes());
	if (!ret) {
		ret = rmmod();
		ASSERT_EQ(0, ret) TH_LOG("rmmod after insmod timeout_ms=0: %s", strerror(ret));
	}
	ASSERT_NOTHING_LEFT("insmod timeout_ms=0");
	check_load_msgs(_metadata, log, "insmod timeout_ms=0", "timeout_ms", false);
	ASSERT_INSMOD_ALL(self, "after the bad buf_size and timeout_ms values");

	/*
	 * 2. One channel's buffers cannot be allocated (the 4th large allocation
	 * fails: the second channel's DST): that channel's device has no node (a
	 * device of several channels, as a BCM2835, is declined whole), the other
	 * devices work, rmmod is clean. Where that device is the only one, no
	 * channel is left: the load fails with ENOMEM and one clear message.
	 */
	ASSERT_RMMOD_CLEAN("the normal load");
	ret = fi_config(false, big);
	ASSERT_EQ(0, ret) TH_LOG("fault injection setup: %s", strerror(ret));
	kmsg_mark(_metadata, self->kmsg, log);
	ret = fi_run(FI_INSMOD, self->ko, self->params, 4, &fo);
	kmsg_read(self->kmsg, log);
	ASSERT_EQ(0, ret) TH_LOG("fault injection run: %s", strerror(ret));
	EXPECT_TRUE(fo.injected) TH_LOG("insmod made fewer than 4 allocations of order >= %u", big);
	injected += fo.injected;
	if (self->ndev == 1) {
		ksft_print_msg("load_failures: one device (%s, %d channels): no channel is left\n",
			       self->dev[0], self->nchan);
		EXPECT_EQ(ENOMEM, fo.err)
			TH_LOG("insmod with the only device's channel's buffers failing: %s, want ENOMEM",
			       fo.err ? strerror(fo.err) : "success");
		if (!fo.err)
			ASSERT_RMMOD_CLEAN("one channel's buffers failing");
		ASSERT_NOTHING_LEFT("one channel's buffers failing");
	} else {
		ASSERT_EQ(0, fo.err)
			TH_LOG("insmod with one channel's buffers failing: %s (the other devices must still work)",
			       strerror(fo.err));
		check_partial(_metadata, self, "one channel's buffers failing", -1, &unbound, &first);
		EXPECT_EQ(1, unbound) TH_LOG("%d devices unbound, want exactly 1", unbound);
		ASSERT_RMMOD_CLEAN("one channel's buffers failing");
	}
	check_load_msgs(_metadata, log, "one channel's buffers failing", "buf_size", true);
	ASSERT_INSMOD_ALL(self, "after one channel's buffers failed");

	/*
	 * 3. Every allocation of one device's probe fails in turn (bind, N = 1,
	 * 2, ... until the probe makes fewer than N): each bind succeeds or
	 * fails cleanly, and the device's channels work once bound. On a device
	 * with many channels (BCM2835: 11), the loop ends once the failure is past
	 * the second channel (the driver has announced a third node): every
	 * allocation of a channel's setup, of the first channel and of one set up
	 * after another, has failed by then, and the later channels repeat them;
	 * a bind without a fault follows. With a step above 1 (fault_stride()),
	 * every step-th allocation fails, from one the seed picks.
	 */
	victim = self->ndev - 1;
	others = self->nchan - board_dev_nodes(self->dev[victim]);
	ret = fi_config(true, 0);
	ASSERT_EQ(0, ret) TH_LOG("fault injection setup: %s", strerror(ret));
	probe_failed = false;
	cut = 0;
	stride = fault_stride(board_dev_nodes(self->dev[victim]));
	start = fault_first(stride, 0xb1d);
	/* After a cut, one more: the bind without a fault. */
	for (n = start; cut || n <= (unsigned long)fault_max; n += cut ? 1 : stride) {
		if (cut)
			snprintf(what, sizeof(what), "bind %s without a fault", self->dev[victim]);
		else
			snprintf(what, sizeof(what), "bind %s with allocation %lu failing",
				 self->dev[victim], n);
		if (chan_bound(self->dev[victim])) {
			ret = chan_unbind(self->dev[victim]);
			ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", self->dev[victim], strerror(ret));
		}
		ASSERT_EQ(others, count_misc());
		kmsg_mark(_metadata, self->kmsg, log);
		ret = fi_run(FI_BIND, NULL, self->dev[victim], cut ? 1000000 : n, &fo);
		kmsg_read(self->kmsg, log);
		ASSERT_EQ(0, ret) TH_LOG("%s: fault injection run: %s", what, strerror(ret));
		injected += fo.injected;
		EXPECT_EQ(0, kmsg_count_bad(log)) kmsg_dump(_metadata, log, what);
		ASSERT_EQ(!fo.err, chan_bound(self->dev[victim]))
			TH_LOG("%s: the write said %s, the device is %sbound", what,
			       fo.err ? strerror(fo.err) : "success",
			       chan_bound(self->dev[victim]) ? "" : "not ");
		if (fo.err) {
			probe_failed |= kmsg_mentions(log, "probe with driver dmacopy failed", false);
			check_no_leftovers(_metadata, others, what);
		} else {
			/* Every channel copies after the bind without a fault; one, in the loop. */
			check_bound_channel(_metadata, self->dev[victim], run_seed() + (uint32_t)n,
					    fo.injected ? 1 : -1, what);
			check_no_leftovers(_metadata, self->nchan, what);
		}
		if (!fo.injected)
			break;
		if (fo.err && kmsg_count_word(log, "/dev/dmacopy") >= 3)
			cut = n;
	}
	snprintf(what, sizeof(what), ", every %lu from %lu (DMACOPY_FAULT_STRIDE, DMACOPY_SCALE)",
		 stride, start);
	ksft_print_msg("load_failures: bind of %s failed at %s of its allocations 1..%lu%s%s\n",
		       self->dev[victim], stride > 1 ? "some" : "each", cut ? cut : n - stride,
		       cut ? ", through its second channel" : "", stride > 1 ? what : "");
	EXPECT_GE((unsigned long)fault_max, cut ? cut : n)
		TH_LOG("the probe makes more than DMACOPY_FAULT_MAX=%ld allocations", fault_max);
	EXPECT_TRUE(probe_failed) TH_LOG("no injected fault made the probe itself fail");
	EXPECT_EQ(0, fo.err) TH_LOG("bind without a fault: %s", strerror(fo.err));
	ASSERT_RESTORED(self);

	/*
	 * 4. The same through insmod: fail its Nth slab allocation (or large
	 * page allocation), N from the first one after the module loader's own
	 * (counted by a load that fails at once, buf_size=0) up to past the
	 * probe of the first channel that probes (or past the second channel of
	 * a device with many, as in 3; with the step of 3, from an allocation the
	 * seed picks). The loader's allocations are left out:
	 * some of them dump the stack when they fail (warn_alloc), which is the
	 * loader's choice, not the driver's.
	 */
	ASSERT_RMMOD_CLEAN("the bind loop");
	ret = fi_config(true, big);
	ASSERT_EQ(0, ret) TH_LOG("fault injection setup: %s", strerror(ret));
	ret = fi_run(FI_INSMOD, self->ko, "buf_size=0", 1000000, &fo);
	ASSERT_EQ(0, ret) TH_LOG("fault injection run: %s", strerror(ret));
	ASSERT_NE(0, fo.err) TH_LOG("insmod buf_size=0 succeeded");
	ASSERT_FALSE(fo.injected);
	ASSERT_NOTHING_LEFT("insmod buf_size=0");
	t0 = 1000000 - fo.left;
	/* No auto_threshold measurement at each load: the probes' allocations stay the same. */
	snprintf(params, sizeof(params), "%s%s", self->params,
		 strstr(self->params, "auto_threshold") ? "" : " auto_threshold=4096");
	first = -1;
	probe_failed = false;
	for (stride = 1, v = 0; v < (size_t)self->ndev; v++)
		if (fault_stride(board_dev_nodes(self->dev[v])) > stride)
			stride = fault_stride(board_dev_nodes(self->dev[v]));
	start = t0 + fault_first(stride, 0x1d5);
	for (n = start; n <= t0 + (unsigned long)fault_max; n += stride) {
		snprintf(what, sizeof(what), "insmod with allocation %lu (loader: %lu) failing", n, t0);
		kmsg_mark(_metadata, self->kmsg, log);
		ret = fi_run(FI_INSMOD, self->ko, params, n, &fo);
		kmsg_read(self->kmsg, log);
		ASSERT_EQ(0, ret) TH_LOG("%s: fault injection run: %s", what, strerror(ret));
		injected += fo.injected;
		EXPECT_EQ(0, kmsg_count_bad(log)) kmsg_dump(_metadata, log, what);
		if (fo.err) {
			ASSERT_NOTHING_LEFT(what);
			if (kmsg_count_word(log, "/dev/dmacopy") >= 3)
				break;
		} else {
			int fu;

			check_partial(_metadata, self, what, (int)(n % (unsigned long)self->ndev),
				      &unbound, &fu);
			if (unbound) {
				probe_failed = true;
				if (first < 0)
					first = fu;
			}
			ASSERT_RMMOD_CLEAN(what);
			/* Past the first probing channel: its allocations are all covered. */
			if (unbound && fu != first)
				break;
			if (unbound && kmsg_count_word(log, "/dev/dmacopy") >= 3)
				break;
		}
		if (!fo.injected)
			break;
	}
	snprintf(what, sizeof(what), ", every %lu (DMACOPY_FAULT_STRIDE, DMACOPY_SCALE)", stride);
	ksft_print_msg("load_failures: insmod failed at allocations %lu..%lu%s (after the loader's %lu)\n",
		       start, n, stride > 1 ? what : "", t0);
	EXPECT_TRUE(probe_failed) TH_LOG("no injected fault in insmod made a probe fail");
	EXPECT_GE(t0 + (unsigned long)fault_max, n)
		TH_LOG("module init and the first probe make more than DMACOPY_FAULT_MAX=%ld allocations",
		       fault_max);

	for (v = 0; v < FI_FILES; v++)
		write_text(fi_files[v], self->fi_old[v]);
	self->fi_saved = false;
	ASSERT_INSMOD_ALL(self, "after the injected faults");
	ksft_print_msg("load_failures: %lu allocations failed on purpose\n", injected);
	printf("# dmacopy-count: injected_faults=%lu\n", injected);
	fflush(stdout);
	free(log);
}

TEST_HARNESS_MAIN
