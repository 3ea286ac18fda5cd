/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers that the dmacopy selftests share: time and sleeping, a small PRNG,
 * the INFO and COPY ioctls, the nodes' paths, waits for a path or the nodes to
 * appear, debugfs paths, reading and writing small sysfs and debugfs files,
 * binding the orphaned controllers, whether a module is loaded, loading one,
 * the kernel log (/dev/kmsg) and the counts printed for make test's summary.
 *
 * Plain C without the harness, like dmacopy_board.h, so that child processes
 * may use it too. Every function is static inline: a program uses what it
 * needs, and an unused one costs nothing and draws no warning.
 */
#ifndef DMACOPY_COMMON_H
#define DMACOPY_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmacopy.h>

#include "dmacopy_board.h"

#define MAX_CHANNELS		BOARD_MAX_NODES
#define NSEC_PER_SEC		((uint64_t)1000000000)
#define NSEC_PER_MSEC		((uint64_t)1000000)

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline void sleep_us(unsigned long us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000),
		.tv_nsec = (long)(us % 1000000) * 1000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* A random number in [0, n), n > 0. */
static inline uint64_t rnd_below(uint32_t *state, uint64_t n)
{
	uint64_t r = ((uint64_t)xorshift32(state) << 32) | xorshift32(state);

	return r % n;
}

static inline int ioctl_result(int ret)
{
	if (ret == -1)
		return errno;
	return ret ? -ret : 0;
}

static inline int dc_info(int fd, struct dmacopy_info *info)
{
	memset(info, 0xcc, sizeof(*info));
	return ioctl_result(ioctl(fd, DMACOPY_IOC_INFO, info));
}

static inline struct dmacopy_copy mkcopy(uint64_t src_off, uint64_t dst_off,
				  uint64_t len, __u32 mode)
{
	struct dmacopy_copy c;

	memset(&c, 0, sizeof(c));
	c.src_off = src_off;
	c.dst_off = dst_off;
	c.len = len;
	c.mode = mode;
	return c;
}

/* Issues DMACOPY_IOC_COPY with the out fields poisoned, so stale data shows. */
static inline int dc_copy(int fd, struct dmacopy_copy *c)
{
	memset(&c->elapsed_ns, 0xcc, sizeof(c->elapsed_ns));
	memset(&c->mode_used, 0xcc, sizeof(c->mode_used));
	memset(&c->hw_status, 0xcc, sizeof(c->hw_status));
	return ioctl_result(ioctl(fd, DMACOPY_IOC_COPY, c));
}

static inline void node_path(char *buf, size_t len, int idx)
{
	snprintf(buf, len, "/dev/dmacopy%d", idx);
}

static inline int open_node(int idx)
{
	char path[64];

	node_path(path, sizeof(path), idx);
	return open(path, O_RDWR | O_CLOEXEC);
}

static inline void debugfs_path(char *buf, size_t len, int idx, const char *file)
{
	snprintf(buf, len, "/sys/kernel/debug/dmacopy/dmacopy%d/%s", idx, file);
}

/*
 * Whether file (mode: R_OK or W_OK) of node idx's debugfs directory can be
 * used, mounting debugfs if it is not yet; if not, why in msg.
 */
static inline bool debugfs_usable(int idx, const char *file, int mode, char *msg, size_t msglen)
{
	char path[128];

	if (geteuid() != 0) {
		snprintf(msg, msglen, "needs root (debugfs)");
		return false;
	}
	debugfs_path(path, sizeof(path), idx, file);
	if (access(path, mode)) {
		/* Not mounted yet? */
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
		if (access(path, mode)) {
			snprintf(msg, msglen, "%s: %s", path, strerror(errno));
			return false;
		}
	}
	return true;
}

static inline bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Waits until path exists (want) or not; true if it did within ms. */
static inline bool wait_path(const char *path, bool want, unsigned int ms)
{
	uint64_t end = now_ns() + ms * NSEC_PER_MSEC;

	for (;;) {
		if (path_exists(path) == want)
			return true;
		if (now_ns() > end)
			return false;
		sleep_ms(5);
	}
}

/* Waits up to ms for at least want /dev/dmacopyN nodes. */
static inline bool wait_nodes(int want, int ms)
{
	for (;;) {
		if (board_count_nodes("/dev", NULL) >= want)
			return true;
		if (ms <= 0)
			return false;
		sleep_ms(20);
		ms -= 20;
	}
}

/*
 * The node of the channel at reg_base, once it exists and answers INFO; -1
 * after ms milliseconds without one.
 */
static inline int find_node(uint64_t reg_base, int ms)
{
	for (;;) {
		int i;

		for (i = 0; i < MAX_CHANNELS; i++) {
			struct dmacopy_info info;
			int fd = open_node(i);

			if (fd < 0)
				continue;
			if (!dc_info(fd, &info) && info.reg_base == reg_base) {
				close(fd);
				return i;
			}
			close(fd);
		}
		if (ms <= 0)
			return -1;
		sleep_ms(20);
		ms -= 20;
	}
}

/* One "# dmacopy-count: NAME=VALUE" line for the summary of make test. */
static inline void print_count(const char *name, unsigned long value)
{
	printf("# dmacopy-count: %s=%lu\n", name, value);
	fflush(stdout);
}

/* Opens /dev/kmsg positioned after the last record. -1 on failure. */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Counts the records logged since kmsg_open (a lost stretch of the ring
 * counts as 1000) and keeps the text of the first few in buf.
 */
static inline int kmsg_count(int fd, char *buf, size_t len)
{
	char rec[2048];
	size_t have = 0;
	int n = 0, guard;

	buf[0] = '\0';
	for (guard = 0; guard < 1000000; guard++) {
		ssize_t r = read(fd, rec, sizeof(rec) - 1);
		char *text, *nl;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				n += 1000;
				continue;
			}
			break;	/* EAGAIN: no more */
		}
		rec[r] = '\0';
		n++;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if (have + strlen(text) + 4 < len)
			have += (size_t)snprintf(buf + have, len - have, "| %s ", text);
	}
	return n;
}

/* Reads a small file into buf (NUL-terminated); 0 or errno. */
static inline int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n = board_read(path, buf, len - 1);

	if (n < 0)
		return errno;
	buf[n] = '\0';
	return 0;
}

/* Writes text to path; 0 or errno. */
static inline int write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = errno;
	else if ((size_t)n != len)
		ret = EIO;
	close(fd);
	return ret;
}

/*
 * Binds to dmacopy every DMA controller of a known family that has no
 * driver: a test that unbinds a device and fails before binding it again must
 * not take its channels away from the tests that follow. Returns how many it
 * bound.
 */
static inline int bind_orphans(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	int bound = 0;
	DIR *d;

	if (access(BOARD_DRV_DIR "/bind", W_OK))
		return 0;
	d = opendir(BOARD_DEV_DIR);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !board_dev_ctl(de->d_name))
			continue;
		snprintf(path, sizeof(path), BOARD_DEV_DIR "/%s/driver", de->d_name);
		if (!access(path, F_OK))
			continue;
		if (!write_text(BOARD_DRV_DIR "/bind", de->d_name))
			bound++;
	}
	closedir(d);
	return bound;
}

/* Whether the module name is loaded (listed in /proc/modules). */
static inline bool module_loaded(const char *name)
{
	char line[512];
	size_t len = strlen(name);
	bool found = false;
	FILE *f;

	f = fopen("/proc/modules", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, len) && line[len] == ' ';
	fclose(f);
	return found;
}

/* Loads the module file ko with params (NULL: none); 0 or errno. */
static inline int insmod(const char *ko, const char *params)
{
	int fd, ret = 0;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		ret = errno;
	close(fd);
	return ret;
}

#endif /* DMACOPY_COMMON_H */
