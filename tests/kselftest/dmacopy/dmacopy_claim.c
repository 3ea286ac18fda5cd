// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest for moving DMA channels between dmacopy and another driver on a
 * running system, and for the channels= module parameter.
 *
 * A channel moves through the driver core's sysfs files: the platform
 * device's driver_override, and the drivers' unbind and bind. The tests move
 * ZDMA channels between dmacopy and the upstream zynqmp_dma driver (platform
 * driver xilinx-zynqmp-dma) both ways, check that every other channel stays
 * with its driver and keeps working, and run copies by both drivers at the
 * same time on their own channels: verified dmacopy copies on its nodes while
 * the kernel's dmatest copies on a zynqmp_dma channel. When the dmacopy CLI is
 * on PATH (and knows claim), `dmacopy claim` and `dmacopy release` do the same,
 * and their error cases are checked by exit status.
 *
 * Needs root and the module file. Every test leaves the module loaded with
 * every device bound to it, no driver_override set, and zynqmp_dma and
 * dmatest unloaded, also when it fails (the fixture restores that state before
 * and after each test). The ZDMA tests skip on boards without ZDMA channels or
 * without zynqmp_dma.ko; channels_param runs on every board.
 *
 * Environment (defaults in brackets):
 *   DMACOPY_MODULE          path of dmacopy.ko (required)
 *   DMACOPY_MODULE_PARAMS   parameters of every normal insmod [none]
 *   DMACOPY_UPSTREAM_MODULE path of zynqmp_dma.ko [/lib/modules/zynqmp_dma.ko]
 *   DMACOPY_DMATEST_MODULE  path of dmatest.ko [/lib/modules/dmatest.ko]
 *   DMACOPY_CLI             the dmacopy CLI [dmacopy, looked up in PATH]
 *   DMACOPY_SCALE           percent, 10..100, for slow kernels: dmatest runs that
 *                           share of its 200 copies [100]
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmacopy.h>

#include "kselftest_harness.h"
#include "dmacopy_board.h"
#include "dmacopy_common.h"

#define PLAT_DIR	"/sys/bus/platform"
#define ZDMA_DRIVER	"xilinx-zynqmp-dma"
#define DMATEST_DIR	"/sys/module/dmatest/parameters"
#define NAME_LEN	64
#define PARAMS_LEN	512
#define MAX_DEVS	BOARD_MAX_NODES
/* TIMEOUT: a node appears or goes after a bind or unbind (devtmpfs). */
#define NODE_MS		10000
/* TIMEOUT: a CLI command (a few sysfs writes). */
#define CLI_MS		20000
/*
 * TIMEOUT: dmatest's copies on the emulated ZDMA: DMATEST_ITER (scaled by
 * DMACOPY_SCALE) take 1 s on the normal kernel and 20 s on the debug kernel.
 */
#define DMATEST_MS	120000
#define DMATEST_ITER	200
#define COPY_LEN	4096
#define OUT_LEN		8192
#define KLOG_LEN	(1 << 20)

/* ------------------------------------------------------------------------ */
/* Files, modules and processes.                                             */

static int write_dev(const char *dev, const char *attr, const char *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PLAT_DIR "/devices/%s/%s", dev, attr);
	return write_text(path, s);
}

static int write_drv(const char *drv, const char *attr, const char *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PLAT_DIR "/drivers/%s/%s", drv, attr);
	return write_text(path, s);
}

/* Reads a small text file without its trailing newline; false if it cannot. */
static bool read_line(const char *path, char *buf, size_t len)
{
	ssize_t n = board_read(path, buf, len - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

/* The driver of platform device dev ("" when unbound). */
static void driver_of(const char *dev, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), PLAT_DIR "/devices/%s/driver", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) < len)
		memcpy(buf, base, strlen(base) + 1);
}

static bool has_driver(const char *dev, const char *drv)
{
	char cur[NAME_LEN];

	driver_of(dev, cur, sizeof(cur));
	return !strcmp(cur, drv);
}

static bool driver_loaded(const char *drv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PLAT_DIR "/drivers/%s", drv);
	return access(path, F_OK) == 0;
}



static int rmmod(const char *name)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		return errno;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


/* The first /dev/dmacopyN of platform device dev, waiting for it; -1 if none. */
static int dev_node(const char *dev, unsigned int wait_ms)
{
	uint64_t end = now_ms() + wait_ms;
	char path[PATH_MAX];
	struct dirent *e;
	int idx, best;
	DIR *d;

	for (;;) {
		best = -1;
		snprintf(path, sizeof(path), PLAT_DIR "/devices/%s/misc", dev);
		d = opendir(path);
		while (d && (e = readdir(d)))
			if (board_node_name(e->d_name, &idx) && (best < 0 || idx < best))
				best = idx;
		if (d)
			closedir(d);
		if (best >= 0) {
			snprintf(path, sizeof(path), "/dev/dmacopy%d", best);
			if (access(path, F_OK) == 0)
				return best;
		}
		if (now_ms() >= end)
			return -1;
		sleep_ms(20);
	}
}

/* The number of nodes platform device dev has (sysfs). */
static int dev_nodes(const char *dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PLAT_DIR "/devices/%s/misc", dev);
	return board_count_nodes(path, NULL);
}

/* One verified DMA copy of COPY_LEN bytes on an open node: 0 or errno. */
static int copy_once(int fd, uint64_t buf_size, unsigned int seed)
{
	unsigned char src[COPY_LEN], dst[COPY_LEN];
	struct dmacopy_copy c;
	unsigned int i;

	for (i = 0; i < COPY_LEN; i++)
		src[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
	if (pwrite(fd, src, COPY_LEN, 0) != COPY_LEN)
		return errno ? errno : EIO;
	memset(&c, 0, sizeof(c));
	c.len = COPY_LEN;
	c.mode = DMACOPY_MODE_DMA;
	if (ioctl(fd, DMACOPY_IOC_COPY, &c))
		return errno;
	if (pread(fd, dst, COPY_LEN, (off_t)buf_size) != COPY_LEN)
		return errno ? errno : EIO;
	return memcmp(src, dst, COPY_LEN) ? EBADMSG : 0;
}

/* Opens /dev/dmacopy<idx> and does one verified copy: 0 or errno. */
static int node_copies(int idx)
{
	struct dmacopy_info info;
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/dmacopy%d", idx);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ret = ioctl(fd, DMACOPY_IOC_INFO, &info) ? errno : copy_once(fd, info.buf_size, 1);
	close(fd);
	return ret;
}

/*
 * The dmacopy CLI, if it is on PATH (or DMACOPY_CLI) and knows claim; its
 * path in buf. why says why not.
 */
static bool find_cli(char *buf, size_t len, char *why, size_t why_len);

/*
 * Runs argv with stdout (and stderr) into out, killed after CLI_MS: its exit
 * status, or -1 if it could not run or was killed.
 */
static int run_cmd(char *const argv[], char *out, size_t out_len)
{
	uint64_t end = now_ms() + CLI_MS;
	int pfd[2], status, fl;
	size_t have = 0;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	fl = fcntl(pfd[0], F_GETFL);
	fcntl(pfd[0], F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		n = read(pfd[0], out + have, out_len - 1 - have);
		if (n > 0) {
			have += (size_t)n;
			if (have < out_len - 1)
				continue;
		}
		if (n == 0 || have >= out_len - 1)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			/* Drain what is left. */
			while (have < out_len - 1 &&
			       (n = read(pfd[0], out + have, out_len - 1 - have)) > 0)
				have += (size_t)n;
			out[have] = '\0';
			close(pfd[0]);
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		if (now_ms() >= end) {
			kill(pid, SIGKILL);
			break;
		}
		sleep_ms(10);
	}
	out[have] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (now_ms() >= end)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool find_cli(char *buf, size_t len, char *why, size_t why_len)
{
	char path[PATH_MAX], out[OUT_LEN];
	const char *env = getenv("DMACOPY_CLI");
	const char *p = getenv("PATH");
	char *const help[] = { buf, "--help", NULL };
	size_t seg;

	buf[0] = '\0';
	if (env && *env) {
		snprintf(buf, len, "%s", env);
	} else {
		while (p && *p) {
			seg = strcspn(p, ":");
			snprintf(path, sizeof(path), "%.*s/dmacopy", (int)seg, p);
			if (seg && access(path, X_OK) == 0) {
				snprintf(buf, len, "%s", path);
				break;
			}
			p += seg + (p[seg] == ':');
		}
	}
	if (!buf[0] || access(buf, X_OK)) {
		snprintf(why, why_len, "no dmacopy CLI on PATH (give DMACOPY_CLI)");
		return false;
	}
	run_cmd(help, out, sizeof(out));
	if (!strstr(out, "claim")) {
		snprintf(why, why_len, "%s has no claim command (its --help does not list it)", buf);
		return false;
	}
	return true;
}

/* Runs the CLI with up to four arguments: its exit status; its output in out. */
static int cli(const char *exe, char *out, size_t out_len, const char *a1, const char *a2,
	       const char *a3, const char *a4)
{
	char *argv[6];

	argv[0] = (char *)exe;
	argv[1] = (char *)a1;
	argv[2] = (char *)a2;
	argv[3] = (char *)a3;
	argv[4] = (char *)a4;
	argv[5] = NULL;
	return run_cmd(argv, out, out_len);
}

/* ------------------------------------------------------------------------ */
/* The fixture.                                                               */

FIXTURE(claim) {
	char devs[MAX_DEVS][NAME_LEN];	/* dmacopy's devices, sorted */
	int ndevs;
	bool zdma;			/* the devices are ZDMA channels */
	const char *ko;
	char params[PARAMS_LEN];
	const char *upstream_ko;
	const char *dmatest_ko;
};

/* The channels= that the loaded dmacopy has ("" when none). */
static void channels_param(char *buf, size_t len)
{
	if (!read_line("/sys/module/dmacopy/parameters/channels", buf, len) ||
	    !strcmp(buf, "(null)"))
		buf[0] = '\0';
}

/*
 * Stops dmatest, gives every device back to dmacopy with no override, unloads
 * zynqmp_dma, and reloads dmacopy with the normal parameters when it had
 * others (or was not loaded). 0, or a message in why.
 */
static int restore(struct _test_data_claim *self, char *why, size_t why_len)
{
	char cur[NAME_LEN], chans[PARAMS_LEN];
	int i, ret;

	why[0] = '\0';
	if (module_loaded("dmatest")) {
		write_text(DMATEST_DIR "/run", "0");
		ret = rmmod("dmatest");
		if (ret) {
			snprintf(why, why_len, "rmmod dmatest: %s", strerror(ret));
			return -1;
		}
	}
	channels_param(chans, sizeof(chans));
	if (module_loaded("dmacopy") && chans[0]) {
		ret = rmmod("dmacopy");
		if (ret) {
			snprintf(why, why_len, "rmmod dmacopy (channels=%s): %s", chans,
				 strerror(ret));
			return -1;
		}
	}
	for (i = 0; i < self->ndevs; i++) {
		const char *dev = self->devs[i];

		write_dev(dev, "driver_override", "\n");
		driver_of(dev, cur, sizeof(cur));
		if (cur[0] && strcmp(cur, "dmacopy"))
			write_drv(cur, "unbind", dev);
	}
	if (module_loaded("zynqmp_dma")) {
		ret = rmmod("zynqmp_dma");
		if (ret) {
			snprintf(why, why_len, "rmmod zynqmp_dma: %s", strerror(ret));
			return -1;
		}
	}
	if (!module_loaded("dmacopy")) {
		ret = insmod(self->ko, self->params);
		if (ret) {
			snprintf(why, why_len, "insmod %.100s %.100s: %s", self->ko, self->params,
				 strerror(ret));
			return -1;
		}
	}
	for (i = 0; i < self->ndevs; i++) {
		const char *dev = self->devs[i];

		if (!has_driver(dev, "dmacopy"))
			write_drv("dmacopy", "bind", dev);
		if (!has_driver(dev, "dmacopy")) {
			snprintf(why, why_len, "%s cannot be bound to dmacopy again", dev);
			return -1;
		}
		if (dev_node(dev, NODE_MS) < 0) {
			snprintf(why, why_len, "%s has no node after being bound again", dev);
			return -1;
		}
	}
	/* What `dmacopy claim` remembered. */
	for (i = 0; i < self->ndevs; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/run/dmacopy/claims/%s", self->devs[i]);
		unlink(path);
	}
	return 0;
}

FIXTURE_SETUP(claim)
{
	const char *params = getenv("DMACOPY_MODULE_PARAMS");
	char why[256];
	int i;

	if (geteuid())
		SKIP(return, "needs root");
	self->ko = getenv("DMACOPY_MODULE");
	ASSERT_TRUE(self->ko && *self->ko) TH_LOG("set DMACOPY_MODULE to the path of dmacopy.ko");
	snprintf(self->params, sizeof(self->params), "%s", params ? params : "");
	self->upstream_ko = getenv("DMACOPY_UPSTREAM_MODULE");
	if (!self->upstream_ko || !*self->upstream_ko)
		self->upstream_ko = "/lib/modules/zynqmp_dma.ko";
	self->dmatest_ko = getenv("DMACOPY_DMATEST_MODULE");
	if (!self->dmatest_ko || !*self->dmatest_ko)
		self->dmatest_ko = "/lib/modules/dmatest.ko";
	self->ndevs = board_list_devs(&self->devs[0][0], NAME_LEN, MAX_DEVS);
	ASSERT_LT(0, self->ndevs) TH_LOG("no platform device of a DMA controller dmacopy drives");
	self->zdma = true;
	for (i = 0; i < self->ndevs; i++)
		if (strcmp(board_dev_ctl(self->devs[i])->name, "zynqmp-zdma"))
			self->zdma = false;
	ASSERT_EQ(0, restore(self, why, sizeof(why))) TH_LOG("setup: %s", why);
}

FIXTURE_TEARDOWN(claim)
{
	char why[256];

	if (geteuid() || !self->ko)
		return;
	EXPECT_EQ(0, restore(self, why, sizeof(why))) TH_LOG("teardown: %s", why);
}

/*
 * Why a test of ZDMA channels moving to zynqmp_dma cannot run here (it needs
 * two ZDMA channels and zynqmp_dma.ko), in why; false if it can.
 */
static bool no_zdma(struct _test_data_claim *self, char *why, size_t len)
{
	if (!self->zdma || self->ndevs < 2) {
		snprintf(why, len, "needs two ZDMA channels (QEMU xlnx-versal-virt, ZynqMP/Versal)");
		return true;
	}
	if (access(self->upstream_ko, R_OK)) {
		snprintf(why, len, "no %.200s (zynqmp_dma.ko, DMACOPY_UPSTREAM_MODULE)",
			 self->upstream_ko);
		return true;
	}
	return false;
}

/* Loads zynqmp_dma: it binds nothing, every device being dmacopy's. */
static int load_upstream(struct _test_data_claim *self)
{
	int ret = insmod(self->upstream_ko, "");

	if (ret)
		return ret;
	return driver_loaded(ZDMA_DRIVER) ? 0 : ENOENT;
}

/* Moves dev from its driver to drv through sysfs: 0 or errno. */
static int sysfs_move(const char *dev, const char *drv)
{
	char cur[NAME_LEN];
	int ret;

	ret = write_dev(dev, "driver_override", drv);
	if (ret)
		return ret;
	driver_of(dev, cur, sizeof(cur));
	if (cur[0]) {
		ret = write_drv(cur, "unbind", dev);
		if (ret)
			return ret;
	}
	ret = write_drv(drv, "bind", dev);
	if (ret)
		return ret;
	return has_driver(dev, drv) ? 0 : EPROTO;
}

/* The dmaengine channel of ZDMA device dev ("dma0chan0"); false if none. */
static bool dma_chan_of(const char *dev, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), PLAT_DIR "/devices/%s/dma", dev);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (!strncmp(e->d_name, "dma", 3) && strstr(e->d_name, "chan") &&
		    strlen(e->d_name) < len) {
			memcpy(buf, e->d_name, strlen(e->d_name) + 1);
			found = true;
		}
	closedir(d);
	return found;
}

/* Every device but those in skip (a mask) is dmacopy's, with a working node. */
static bool others_work(struct __test_metadata *_metadata,
			struct _test_data_claim *self, uint32_t skip)
{
	int i, idx, ret;

	for (i = 0; i < self->ndevs; i++) {
		if (skip >> i & 1)
			continue;
		if (!has_driver(self->devs[i], "dmacopy")) {
			TH_LOG("%s left dmacopy", self->devs[i]);
			return false;
		}
		idx = dev_node(self->devs[i], NODE_MS);
		if (idx < 0) {
			TH_LOG("%s has no node", self->devs[i]);
			return false;
		}
		ret = node_copies(idx);
		if (ret) {
			TH_LOG("/dev/dmacopy%d (%s): %s", idx, self->devs[i], strerror(ret));
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* channels_param                                                             */

/*
 * dmacopy loaded with channels= binds only the listed devices (by name or by
 * register address), leaves the others unbound, and still binds an unlisted
 * device whose driver_override names it; a malformed list fails the load.
 */
TEST_F_TIMEOUT(claim, channels_param, 120)
{
	char list[PARAMS_LEN], params[PARAMS_LEN * 2], cur[NAME_LEN];
	uint64_t base = 0;
	int i, want, ret;

	/* A malformed entry fails the load. */
	ASSERT_EQ(0, rmmod("dmacopy"));
	snprintf(params, sizeof(params), "%s channels=%s,0x12g", self->params, self->devs[0]);
	ret = insmod(self->ko, params);
	EXPECT_EQ(EINVAL, ret) TH_LOG("insmod %s: %s, want EINVAL", params, strerror(ret));
	ASSERT_FALSE(module_loaded("dmacopy"));

	/* The first device by name, the third (if any) by register address. */
	ASSERT_TRUE(board_dev_base(self->devs[0], &base));
	snprintf(list, sizeof(list), "%s", self->devs[0]);
	if (self->ndevs >= 3) {
		ASSERT_TRUE(board_dev_base(self->devs[2], &base));
		snprintf(list + strlen(list), sizeof(list) - strlen(list), ",0x%llx",
			 (unsigned long long)base);
	}
	snprintf(params, sizeof(params), "%s channels=%s", self->params, list);
	ret = insmod(self->ko, params);
	ASSERT_EQ(0, ret) TH_LOG("insmod %s: %s", params, strerror(ret));
	for (i = 0; i < self->ndevs; i++) {
		want = i == 0 || i == 2;
		driver_of(self->devs[i], cur, sizeof(cur));
		EXPECT_EQ(want, !strcmp(cur, "dmacopy"))
			TH_LOG("channels=%s: %s is bound to '%s'", list, self->devs[i], cur);
		if (want)
			dev_node(self->devs[i], NODE_MS);
		EXPECT_EQ(want ? board_dev_nodes(self->devs[i]) : 0, dev_nodes(self->devs[i]))
			TH_LOG("channels=%s: nodes of %s", list, self->devs[i]);
	}
	EXPECT_EQ(0, node_copies(dev_node(self->devs[0], NODE_MS)));

	/* An explicit claim of an unlisted device wins. */
	i = self->ndevs >= 2 ? 1 : 0;
	if (i == 1) {
		ASSERT_EQ(0, write_dev(self->devs[1], "driver_override", "dmacopy"));
		ret = write_drv("dmacopy", "bind", self->devs[1]);
		EXPECT_EQ(0, ret) TH_LOG("bind %s with driver_override dmacopy: %s",
					 self->devs[1], strerror(ret));
		EXPECT_TRUE(has_driver(self->devs[1], "dmacopy"));
		EXPECT_EQ(0, node_copies(dev_node(self->devs[1], NODE_MS)));
		/* Without one, an unlisted device is declined. */
		if (self->ndevs >= 4) {
			ret = write_drv("dmacopy", "bind", self->devs[3]);
			EXPECT_EQ(ENODEV, ret) TH_LOG("bind of unlisted %s: %s, want ENODEV",
						      self->devs[3], strerror(ret));
		}
	} else {
		/* One device (rpi3): a list without it leaves it unbound. */
		ASSERT_EQ(0, rmmod("dmacopy"));
		snprintf(params, sizeof(params), "%s channels=0x%llx", self->params,
			 (unsigned long long)base + 0x1000);
		ASSERT_EQ(0, insmod(self->ko, params));
		EXPECT_FALSE(has_driver(self->devs[0], "dmacopy"));
		EXPECT_EQ(0, board_count_nodes("/dev", NULL));
		ASSERT_EQ(0, write_dev(self->devs[0], "driver_override", "dmacopy"));
		EXPECT_EQ(0, write_drv("dmacopy", "bind", self->devs[0]));
		EXPECT_EQ(0, node_copies(dev_node(self->devs[0], NODE_MS)));
	}
}

/* ------------------------------------------------------------------------ */
/* sysfs_both_ways                                                            */

/*
 * Two ZDMA channels move from dmacopy to zynqmp_dma and one of them back,
 * through driver_override, unbind and bind; the other channels stay with
 * dmacopy and keep copying. An unbind with a node open works, and the open
 * file then fails with ENODEV (the spec's "Unbind and unload").
 */
TEST_F_TIMEOUT(claim, sysfs_both_ways, 120)
{
	char chan[NAME_LEN], path[64], why[256];
	struct dmacopy_info info;
	int i, ret, idx, fd;
	const char *a, *b;
	uint32_t ab;

	if (no_zdma(self, why, sizeof(why)))
		SKIP(return, "%.200s", why);
	a = self->devs[self->ndevs - 1];
	b = self->devs[self->ndevs - 2];
	ab = 3U << (self->ndevs - 2);
	ret = load_upstream(self);
	ASSERT_EQ(0, ret) TH_LOG("insmod %s: %s", self->upstream_ko, strerror(ret));
	for (i = 0; i < self->ndevs; i++) {
		EXPECT_TRUE(has_driver(self->devs[i], "dmacopy"))
			TH_LOG("%s left dmacopy when zynqmp_dma loaded", self->devs[i]);
	}

	ret = sysfs_move(a, ZDMA_DRIVER);
	ASSERT_EQ(0, ret) TH_LOG("%s to " ZDMA_DRIVER ": %s", a, strerror(ret));
	ret = sysfs_move(b, ZDMA_DRIVER);
	ASSERT_EQ(0, ret) TH_LOG("%s to " ZDMA_DRIVER ": %s", b, strerror(ret));
	EXPECT_TRUE(dma_chan_of(a, chan, sizeof(chan)))
		TH_LOG("%s has no dmaengine channel under " ZDMA_DRIVER, a);
	EXPECT_EQ(0, dev_nodes(a));
	EXPECT_EQ(0, dev_nodes(b));
	EXPECT_TRUE(others_work(_metadata, self, ab));

	/* a comes back; b stays. */
	ret = sysfs_move(a, "dmacopy");
	ASSERT_EQ(0, ret) TH_LOG("%s back to dmacopy: %s", a, strerror(ret));
	idx = dev_node(a, NODE_MS);
	ASSERT_LE(0, idx) TH_LOG("%s has no node after the bind", a);
	EXPECT_EQ(0, node_copies(idx));
	EXPECT_TRUE(has_driver(b, ZDMA_DRIVER));
	EXPECT_TRUE(others_work(_metadata, self, 1U << (self->ndevs - 2)));

	/* An unbind with the node open: the file fails with ENODEV, close works. */
	snprintf(path, sizeof(path), "/dev/dmacopy%d", idx);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioctl(fd, DMACOPY_IOC_INFO, &info));
	EXPECT_EQ(0, copy_once(fd, info.buf_size, 2));
	ret = write_drv("dmacopy", "unbind", a);
	EXPECT_EQ(0, ret) TH_LOG("unbind %s with its node open: %s", a, strerror(ret));
	ret = copy_once(fd, info.buf_size, 3);
	EXPECT_EQ(ENODEV, ret) TH_LOG("copy after the unbind: %s, want ENODEV", strerror(ret));
	EXPECT_EQ(0, close(fd));
	ret = write_drv("dmacopy", "bind", a);
	EXPECT_EQ(0, ret) TH_LOG("bind %s again: %s", a, strerror(ret));
	EXPECT_EQ(0, node_copies(dev_node(a, NODE_MS)));
}

/* DMACOPY_SCALE, 10..100 [100]. */
static int scale_percent(void)
{
	const char *s = getenv("DMACOPY_SCALE");
	int v = s ? atoi(s) : 100;

	return v < 10 ? 10 : v > 100 ? 100 : v;
}

/* ------------------------------------------------------------------------ */
/* concurrent_copies                                                          */

struct copier {
	pthread_t thread;
	int fd;
	uint64_t buf_size;
	int *stop;
	unsigned long copies;
	int err;			/* the first error, or 0 */
};

static void *copier_main(void *arg)
{
	struct copier *c = arg;
	unsigned int seed = 10;
	int ret;

	while (!__atomic_load_n(c->stop, __ATOMIC_ACQUIRE)) {
		ret = copy_once(c->fd, c->buf_size, seed++);
		if (ret) {
			c->err = ret;
			break;
		}
		__atomic_add_fetch(&c->copies, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static unsigned long copies_now(struct copier *cs, int n)
{
	unsigned long sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += __atomic_load_n(&cs[i].copies, __ATOMIC_ACQUIRE);
	return sum;
}

/*
 * dmatest's summary line for thread <chan>-copy0, the last one in the kernel
 * log: its test and failure counts. false if there is none.
 */
static bool dmatest_summary(const char *chan, unsigned int *tests, unsigned int *fails)
{
	char key[NAME_LEN + 32], *buf, *at, *last = NULL;
	int n;
	bool ok;

	buf = malloc(KLOG_LEN + 1);
	if (!buf)
		return false;
	n = klogctl(3, buf, KLOG_LEN);	/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		free(buf);
		return false;
	}
	buf[n] = '\0';
	snprintf(key, sizeof(key), "%s-copy0: summary ", chan);
	for (at = strstr(buf, key); at; at = strstr(at + 1, key))
		last = at;
	ok = last && sscanf(last + strlen(key), "%u tests, %u failures", tests, fails) == 2;
	free(buf);
	return ok;
}

/*
 * dmatest copies on a zynqmp_dma channel while dmacopy copies (verified) on
 * every other channel, at the same time: both succeed.
 */
TEST_F_TIMEOUT(claim, concurrent_copies, 180)
{
	struct copier cs[MAX_DEVS];
	char chan[NAME_LEN], run[8], iters[16], why[256];
	unsigned long before, during;
	unsigned int tests = 0, fails = 0;
	struct dmacopy_info info;
	int stop = 0;
	int i, n = 0, ret, idx;
	int iter = DMATEST_ITER * scale_percent() / 100;
	const char *a;
	uint64_t end;
	bool done = false;

	if (no_zdma(self, why, sizeof(why)))
		SKIP(return, "%.200s", why);
	if (access(self->dmatest_ko, R_OK))
		SKIP(return, "no %s (dmatest.ko, DMACOPY_DMATEST_MODULE)", self->dmatest_ko);
	a = self->devs[self->ndevs - 1];
	ASSERT_EQ(0, load_upstream(self));
	ASSERT_EQ(0, sysfs_move(a, ZDMA_DRIVER));
	ASSERT_TRUE(dma_chan_of(a, chan, sizeof(chan)));
	ret = insmod(self->dmatest_ko, "");
	ASSERT_EQ(0, ret) TH_LOG("insmod %s: %s", self->dmatest_ko, strerror(ret));
	snprintf(iters, sizeof(iters), "%d", iter);
	ASSERT_EQ(0, write_text(DMATEST_DIR "/iterations", iters));
	ASSERT_EQ(0, write_text(DMATEST_DIR "/threads_per_chan", "1"));
	ASSERT_EQ(0, write_text(DMATEST_DIR "/max_channels", "1"));
	ret = write_text(DMATEST_DIR "/channel", chan);
	ASSERT_EQ(0, ret) TH_LOG("dmatest channel=%s: %s", chan, strerror(ret));

	memset(cs, 0, sizeof(cs));
	for (i = 0; i < self->ndevs - 1; i++) {
		char path[64];

		idx = dev_node(self->devs[i], NODE_MS);
		ASSERT_LE(0, idx);
		snprintf(path, sizeof(path), "/dev/dmacopy%d", idx);
		cs[n].fd = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, cs[n].fd) TH_LOG("open %s: %s", path, strerror(errno));
		ASSERT_EQ(0, ioctl(cs[n].fd, DMACOPY_IOC_INFO, &info));
		cs[n].buf_size = info.buf_size;
		cs[n].stop = &stop;
		ASSERT_EQ(0, pthread_create(&cs[n].thread, NULL, copier_main, &cs[n]));
		n++;
	}
	sleep_ms(100);
	before = copies_now(cs, n);
	ret = write_text(DMATEST_DIR "/run", "1");
	EXPECT_EQ(0, ret) TH_LOG("dmatest run=1: %s", strerror(ret));
	end = now_ms() + DMATEST_MS;
	while (!ret && now_ms() < end) {
		sleep_ms(50);
		if (read_line(DMATEST_DIR "/run", run, sizeof(run)) && run[0] == 'N') {
			done = true;
			break;
		}
	}
	during = copies_now(cs, n) - before;
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		pthread_join(cs[i].thread, NULL);
		close(cs[i].fd);
		EXPECT_EQ(0, cs[i].err) TH_LOG("dmacopy copier %d: %s", i, strerror(cs[i].err));
	}
	ASSERT_TRUE(done) TH_LOG("dmatest on %s did not finish within %d ms", chan, DMATEST_MS);
	ASSERT_TRUE(dmatest_summary(chan, &tests, &fails))
		TH_LOG("no dmatest summary for %s-copy0 in the kernel log", chan);
	EXPECT_EQ(iter, (int)tests);
	EXPECT_EQ(0U, fails) TH_LOG("dmatest on %s: %u of %u failed", chan, fails, tests);
	EXPECT_LT(0UL, during) TH_LOG("no dmacopy copy ran while dmatest ran");
	TH_LOG("dmatest: %u copies on %s (%s); dmacopy: %lu verified copies on %d channels meanwhile",
	       tests, chan, a, during, n);
}

/* ------------------------------------------------------------------------ */
/* cli_claim_release                                                          */

/*
 * `dmacopy release --to` gives a ZDMA channel to zynqmp_dma, `dmacopy claim`
 * (by register address) takes it back, a second claim changes nothing, and
 * `dmacopy release` without --to returns it to the driver it had; the other
 * channels stay with dmacopy throughout.
 */
TEST_F_TIMEOUT(claim, cli_claim_release, 120)
{
	char exe[PATH_MAX], why[PATH_MAX + 64], out[OUT_LEN], addr[32];
	const char *a;
	uint64_t base;
	int ret;

	if (no_zdma(self, why, sizeof(why)))
		SKIP(return, "%.200s", why);
	if (!find_cli(exe, sizeof(exe), why, sizeof(why)))
		SKIP(return, "%.200s", why);
	a = self->devs[self->ndevs - 1];
	ASSERT_TRUE(board_dev_base(a, &base));
	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)base);
	ASSERT_EQ(0, load_upstream(self));

	ret = cli(exe, out, sizeof(out), "release", "--to", ZDMA_DRIVER, a);
	ASSERT_EQ(0, ret) TH_LOG("dmacopy release --to " ZDMA_DRIVER " %s: %d: %s", a, ret, out);
	EXPECT_TRUE(has_driver(a, ZDMA_DRIVER));
	EXPECT_EQ(0, dev_nodes(a));
	EXPECT_TRUE(others_work(_metadata, self, 1U << (self->ndevs - 1)));

	ret = cli(exe, out, sizeof(out), "claim", "--json", addr, NULL);
	ASSERT_EQ(0, ret) TH_LOG("dmacopy claim --json %s: %d: %s", addr, ret, out);
	EXPECT_TRUE(strstr(out, "\"changed\": true") && strstr(out, "\"ok\": true"))
		TH_LOG("claim --json: %s", out);
	EXPECT_NE(NULL, strstr(out, "\"from\": \"" ZDMA_DRIVER "\"")) TH_LOG("claim --json: %s", out);
	EXPECT_TRUE(has_driver(a, "dmacopy"));
	EXPECT_EQ(0, node_copies(dev_node(a, NODE_MS)));

	ret = cli(exe, out, sizeof(out), "claim", a, NULL, NULL);
	EXPECT_EQ(0, ret) TH_LOG("second claim of %s: %d: %s", a, ret, out);
	EXPECT_NE(NULL, strstr(out, "already")) TH_LOG("second claim: %s", out);

	/* Back to the driver it had before the claim. */
	ret = cli(exe, out, sizeof(out), "release", a, NULL, NULL);
	EXPECT_EQ(0, ret) TH_LOG("dmacopy release %s: %d: %s", a, ret, out);
	EXPECT_TRUE(has_driver(a, ZDMA_DRIVER)) TH_LOG("release %s: %s", a, out);
	ret = cli(exe, out, sizeof(out), "release", a, NULL, NULL);
	EXPECT_EQ(0, ret) TH_LOG("second release of %s: %d: %s", a, ret, out);
	EXPECT_TRUE(others_work(_metadata, self, 1U << (self->ndevs - 1)));
}

/* ------------------------------------------------------------------------ */
/* cli_errors                                                                 */

/* A platform device that is no DMA controller of dmacopy's; false if none. */
static bool other_device(char *buf, size_t len)
{
	struct dirent *e;
	bool found = false;
	DIR *d;

	d = opendir(PLAT_DIR "/devices");
	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.' && strlen(e->d_name) < len && !board_dev_ctl(e->d_name)) {
			snprintf(buf, len, "%s", e->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

/*
 * The CLI's errors, each with its exit status and nothing moved: no such
 * device (3), not a DMA channel (4), a channel a dmaengine client holds (5),
 * a node still open on release (5), a driver that is not loaded (6), dmacopy
 * not loaded (6). The sysfs bind of a device that does not exist fails too.
 */
TEST_F_TIMEOUT(claim, cli_errors, 120)
{
	char exe[PATH_MAX], why[PATH_MAX + 64], out[OUT_LEN], other[NAME_LEN], chan[NAME_LEN];
	const char *d0 = self->devs[0], *a;
	struct dmacopy_info info;
	char path[64];
	int ret, fd, idx;

	ret = write_drv("dmacopy", "bind", "ffff0000.nosuch");
	EXPECT_EQ(ENODEV, ret) TH_LOG("bind of a device that does not exist: %s", strerror(ret));
	if (!find_cli(exe, sizeof(exe), why, sizeof(why)))
		SKIP(return, "%.200s", why);

	ret = cli(exe, out, sizeof(out), "claim", "0xdead0000", NULL, NULL);
	EXPECT_EQ(3, ret) TH_LOG("claim 0xdead0000: %d: %s", ret, out);
	ret = cli(exe, out, sizeof(out), "claim", "nosuch.dma", NULL, NULL);
	EXPECT_EQ(3, ret) TH_LOG("claim nosuch.dma: %d: %s", ret, out);
	if (other_device(other, sizeof(other))) {
		ret = cli(exe, out, sizeof(out), "claim", other, NULL, NULL);
		EXPECT_EQ(4, ret) TH_LOG("claim %s (no DMA channel): %d: %s", other, ret, out);
	}
	ret = cli(exe, out, sizeof(out), "release", "--to", "no-such-driver", d0);
	EXPECT_EQ(6, ret) TH_LOG("release --to no-such-driver: %d: %s", ret, out);
	EXPECT_TRUE(has_driver(d0, "dmacopy"));

	/* Release with a node open is refused; the open file keeps working. */
	idx = dev_node(d0, NODE_MS);
	ASSERT_LE(0, idx);
	snprintf(path, sizeof(path), "/dev/dmacopy%d", idx);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, DMACOPY_IOC_INFO, &info));
	ret = cli(exe, out, sizeof(out), "release", d0, NULL, NULL);
	EXPECT_EQ(5, ret) TH_LOG("release %s with %s open: %d: %s", d0, path, ret, out);
	EXPECT_NE(NULL, strstr(out, path)) TH_LOG("the message does not name %s: %s", path, out);
	EXPECT_TRUE(has_driver(d0, "dmacopy"));
	EXPECT_EQ(0, copy_once(fd, info.buf_size, 4));
	close(fd);

	/* dmacopy not loaded. */
	ASSERT_EQ(0, rmmod("dmacopy"));
	ret = cli(exe, out, sizeof(out), "claim", d0, NULL, NULL);
	EXPECT_EQ(6, ret) TH_LOG("claim with dmacopy unloaded: %d: %s", ret, out);
	ASSERT_EQ(0, insmod(self->ko, self->params));

	/* A channel that a dmaengine client (dmatest) holds cannot be claimed. */
	if (!self->zdma || self->ndevs < 2 || access(self->upstream_ko, R_OK) ||
	    access(self->dmatest_ko, R_OK)) {
		TH_LOG("busy in zynqmp_dma: skipped (needs ZDMA, %s and %s)", self->upstream_ko,
		       self->dmatest_ko);
		return;
	}
	a = self->devs[self->ndevs - 1];
	ASSERT_EQ(0, dev_node(a, NODE_MS) < 0);
	ASSERT_EQ(0, load_upstream(self));
	ret = cli(exe, out, sizeof(out), "release", "--to", ZDMA_DRIVER, a);
	ASSERT_EQ(0, ret) TH_LOG("release --to " ZDMA_DRIVER " %s: %d: %s", a, ret, out);
	ASSERT_TRUE(dma_chan_of(a, chan, sizeof(chan)));
	ASSERT_EQ(0, insmod(self->dmatest_ko, ""));
	ASSERT_EQ(0, write_text(DMATEST_DIR "/channel", chan));
	ret = cli(exe, out, sizeof(out), "claim", a, NULL, NULL);
	EXPECT_EQ(5, ret) TH_LOG("claim %s while dmatest holds %s: %d: %s", a, chan, ret, out);
	EXPECT_TRUE(has_driver(a, ZDMA_DRIVER));
	ASSERT_EQ(0, rmmod("dmatest"));
	ret = cli(exe, out, sizeof(out), "claim", a, NULL, NULL);
	EXPECT_EQ(0, ret) TH_LOG("claim %s once dmatest is gone: %d: %s", a, ret, out);
	EXPECT_TRUE(has_driver(a, "dmacopy"));
}

TEST_HARNESS_MAIN
