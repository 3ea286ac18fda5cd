/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the dmacopy selftests know about the board they run on, read from
 * INFO and sysfs rather than assumed: the DMA controller families the driver
 * supports (one table, keyed by INFO's `controller`), the /dev/dmacopyN nodes
 * that exist, the platform device behind each node
 * (/sys/class/misc/dmacopyN/device), and the hardware channels a device has
 * by its device tree node.
 *
 *   zynqmp-zdma  Xilinx ZynqMP/Versal ZDMA: one platform device per channel,
 *                INFO.reg_base = the device's address (QEMU xlnx-versal-virt:
 *                8 devices ffa80000.dma ... ffaf0000.dma).
 *   bcm2835-dma  Broadcom BCM2835 DMA: one platform device with the channels
 *                of its brcm,dma-channel-mask, channel n's registers at the
 *                device's address + 0x100 * n; channels 11 to 14 share one
 *                interrupt (QEMU raspi3b: 3f007000.dma-controller, mask 0x7f35,
 *                11 nodes).
 *
 * Everything here is plain C without the harness, for the tests and for their
 * child processes alike.
 */
#ifndef DMACOPY_BOARD_H
#define DMACOPY_BOARD_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "kselftest.h"

#define BOARD_DEV_DIR		"/sys/bus/platform/devices"
#define BOARD_DRV_DIR		"/sys/bus/platform/drivers/dmacopy"
#define BOARD_MISC_DIR		"/sys/class/misc"
/* The most nodes (and hardware channels of one device) the tests handle. */
#define BOARD_MAX_NODES		32

/* One DMA controller family, as the driver reports it and the tests check it. */
struct dmacopy_ctl {
	const char *name;		/* INFO.controller */
	const char *compatible;		/* of its platform devices */
	const char *board;		/* the boards that have it, for skip messages */
	__u32 align;			/* INFO.align */
	/* hw_status: */
	__u32 hw_done;			/* the bits of a completed copy */
	__u32 hw_err;			/* any of these: the controller reported an error */
	__u32 hw_injected_err;		/* what `inject error` sets */
	__u32 hw_ovfl;			/* counter-overflow notices (not errors); 0: none */
	const char *const *inject;	/* the inject words offered, NULL-terminated */
	/*
	 * Every DMA copy completes by its interrupt: the driver cannot poll for the
	 * completion (irqs == dma_copies), and `inject slow` changes nothing visible.
	 */
	bool irq_every_copy;
	/*
	 * Channels per platform device: with chan_stride 0, one, whose registers are
	 * the device's; else those of the device tree property chan_mask_prop (bit n:
	 * hardware channel n), whose registers are the device's address +
	 * chan_stride * n.
	 */
	uint64_t chan_stride;
	const char *chan_mask_prop;
	__u32 shared_irq_chans;		/* hardware channels that share one interrupt */
};

/* The inject words of the spec, in its order. */
static const char *const board_inject_words[] = {
	"none", "timeout", "error", "spurious", "overflow", "stall", "slow",
};

static const char *const board_zdma_inject[] = {
	"none", "timeout", "error", "spurious", "overflow", "stall", "slow", NULL,
};

static const char *const board_bcm2835_inject[] = {
	"none", "timeout", "error", "spurious", "stall", "slow", NULL,
};

static const struct dmacopy_ctl board_ctls[] = {
	{
		.name = "zynqmp-zdma",
		.compatible = "xlnx,zynqmp-dma-1.0",
		.board = "ZynqMP/Versal; QEMU xlnx-versal-virt",
		.align = 1,
		/* ZDMA_CH_ISR */
		.hw_done = 1U << 10,		/* DMA_DONE */
		/* AXI_WR_DATA, AXI_RD_DATA, AXI_RD_DST_DSCR, AXI_RD_SRC_DSCR, INV_APB */
		.hw_err = 0x3c1U,
		.hw_injected_err = 1U << 8,	/* AXI_RD_DATA */
		.hw_ovfl = 0x038U,		/* IRQ_DST_ACCT_ERR, IRQ_SRC_ACCT_ERR, BYTE_CNT_OVRFL */
		.inject = board_zdma_inject,
		.irq_every_copy = false,
		.chan_stride = 0,
		.chan_mask_prop = NULL,
		.shared_irq_chans = 0,
	},
	{
		.name = "bcm2835-dma",
		.compatible = "brcm,bcm2835-dma",
		.board = "Raspberry Pi; QEMU raspi3b",
		.align = 4,
		/* The channel's CS */
		.hw_done = 1U << 1,		/* END */
		.hw_err = 1U << 8,		/* ERR */
		.hw_injected_err = 1U << 8,	/* ERR */
		.hw_ovfl = 0,
		.inject = board_bcm2835_inject,
		.irq_every_copy = true,
		.chan_stride = 0x100,
		.chan_mask_prop = "brcm,dma-channel-mask",
		.shared_irq_chans = 0x7800U,	/* 11 to 14 */
	},
};

#define BOARD_NCTLS	ARRAY_SIZE(board_ctls)

static inline const struct dmacopy_ctl *board_ctl(const char *controller)
{
	size_t i;

	for (i = 0; i < BOARD_NCTLS; i++)
		if (!strncmp(board_ctls[i].name, controller, 16))
			return &board_ctls[i];
	return NULL;
}

/* Whether the controller offers an inject word. */
static inline bool board_offers(const struct dmacopy_ctl *ctl, const char *word)
{
	const char *const *w;

	for (w = ctl->inject; *w; w++)
		if (!strcmp(*w, word))
			return true;
	return false;
}

/* Reads up to len bytes of a (sysfs) file; the count, or -1 with errno. */
static inline ssize_t board_read(const char *path, void *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (have < len) {
		n = read(fd, (char *)buf + have, len - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	return (ssize_t)have;
}

/* The family of platform device name, by its device tree compatible; NULL if none. */
static inline const struct dmacopy_ctl *board_dev_ctl(const char *name)
{
	char path[PATH_MAX], buf[512];
	ssize_t len;
	size_t at, i;

	snprintf(path, sizeof(path), BOARD_DEV_DIR "/%.255s/of_node/compatible", name);
	len = board_read(path, buf, sizeof(buf) - 1);
	if (len <= 0)
		return NULL;
	buf[len] = '\0';
	/* A list of NUL-terminated strings. */
	for (at = 0; at < (size_t)len; at += strlen(buf + at) + 1)
		for (i = 0; i < BOARD_NCTLS; i++)
			if (!strcmp(buf + at, board_ctls[i].compatible))
				return &board_ctls[i];
	return NULL;
}

/* The address in a platform device name ("ffa80000.dma", "3f007000.dma-controller"). */
static inline bool board_dev_base(const char *name, uint64_t *base)
{
	char *end;

	errno = 0;
	*base = strtoull(name, &end, 16);
	return !errno && end != name && *end == '.';
}

/*
 * The hardware channels that platform device name has, as a mask (bit n:
 * channel n; ctl->chan_stride 0: bit 0, the device itself). 0 if it cannot be
 * read.
 */
static inline uint32_t board_dev_chans(const struct dmacopy_ctl *ctl, const char *name)
{
	unsigned char be[4];
	char path[PATH_MAX];

	if (!ctl->chan_stride)
		return 1;
	snprintf(path, sizeof(path), BOARD_DEV_DIR "/%.255s/of_node/%.64s", name, ctl->chan_mask_prop);
	if (board_read(path, be, sizeof(be)) != sizeof(be))
		return 0;
	/* A device tree cell: big-endian. */
	return (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
}

/*
 * The hardware channel of a node of platform device name with registers at
 * reg_base; -1 if reg_base is not one of the device's channels.
 */
static inline int board_hw_chan(const struct dmacopy_ctl *ctl, const char *name,
				uint64_t reg_base)
{
	uint32_t mask = board_dev_chans(ctl, name);
	uint64_t base, ch;

	if (!board_dev_base(name, &base) || reg_base < base)
		return -1;
	if (!ctl->chan_stride)
		return reg_base == base ? 0 : -1;
	if ((reg_base - base) % ctl->chan_stride)
		return -1;
	ch = (reg_base - base) / ctl->chan_stride;
	return ch < 32 && (mask >> ch & 1) ? (int)ch : -1;
}

/* Whether a directory entry name is "dmacopy<digits>"; the number in *idx. */
static inline bool board_node_name(const char *name, int *idx)
{
	const char *p = name + 7;
	long n;

	if (strncmp(name, "dmacopy", 7) || !*p || strspn(p, "0123456789") != strlen(p) ||
	    strlen(p) > 6 || (p[0] == '0' && p[1]))
		return false;
	n = strtol(p, NULL, 10);
	*idx = (int)n;
	return true;
}

/*
 * The /dev/dmacopyN nodes that exist: their number; in *top one more than the
 * highest N (= the number when they are dmacopy0 .. dmacopy<number - 1>).
 */
static inline int board_count_nodes(const char *dir, int *top)
{
	struct dirent *e;
	int n = 0, idx;
	DIR *d;

	if (top)
		*top = 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!board_node_name(e->d_name, &idx))
			continue;
		n++;
		if (top && idx + 1 > *top)
			*top = idx + 1;
	}
	closedir(d);
	return n;
}

/* The platform device behind node idx (its sysfs device link). 0 or errno. */
static inline int board_node_dev(int idx, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), BOARD_MISC_DIR "/dmacopy%d/device", idx);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) >= len)
		return ENAMETOOLONG;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

/* Whether platform device name is bound to dmacopy. */
static inline bool board_dev_bound(const char *name)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), BOARD_DEV_DIR "/%.255s/driver", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	n = (ssize_t)strlen(link);
	return n >= 8 && !strcmp(link + n - 8, "/dmacopy");
}

/*
 * The platform devices of the known controller families (bound or not),
 * sorted by name, at most max; their number. names holds max entries of
 * name_len bytes.
 */
static inline int board_cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

static inline int board_list_devs(char *names, size_t name_len, int max)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir(BOARD_DEV_DIR);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= name_len ||
		    !board_dev_ctl(e->d_name))
			continue;
		snprintf(names + (size_t)n * name_len, name_len, "%s", e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, (size_t)n, name_len, board_cmp_names);
	return n;
}

/* The nodes platform device name should have: its hardware channels. */
static inline int board_dev_nodes(const char *name)
{
	const struct dmacopy_ctl *ctl = board_dev_ctl(name);

	return ctl ? __builtin_popcount(board_dev_chans(ctl, name)) : 0;
}

/*
 * The nodes that every device of a known family that is bound to dmacopy
 * should have, added up.
 */
static inline int board_expected_nodes(void)
{
	char names[BOARD_MAX_NODES][64];
	int i, n, total = 0;

	n = board_list_devs(&names[0][0], sizeof(names[0]), BOARD_MAX_NODES);
	for (i = 0; i < n; i++)
		if (board_dev_bound(names[i]))
			total += board_dev_nodes(names[i]);
	return total;
}

#endif /* DMACOPY_BOARD_H */
