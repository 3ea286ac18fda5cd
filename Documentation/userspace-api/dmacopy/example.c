// SPDX-License-Identifier: GPL-2.0
/*
 * dmacopy example: fill SRC through the mapped window, copy it to DST by DMA
 * with DMACOPY_IOC_COPY, and check the result.
 *
 *   gcc -std=c99 -Wall -Wextra -pedantic -I include/uapi \
 *       -o example Documentation/userspace-api/dmacopy/example.c
 *   ./example [/dev/dmacopy0]
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dmacopy.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/dmacopy0";
	struct dmacopy_info info;
	struct dmacopy_copy copy;
	unsigned char *src, *dst;
	size_t len, i;
	void *win;
	int fd, ret = 1;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, DMACOPY_IOC_INFO, &info) < 0) {
		perror("DMACOPY_IOC_INFO");
		goto out_close;
	}
	if (info.abi_version != DMACOPY_ABI_VERSION ||
	    !(info.caps & DMACOPY_CAP_MMAP)) {
		fprintf(stderr, "%s: ABI %u, caps %#x: not supported\n",
			path, info.abi_version, info.caps);
		goto out_close;
	}

	/* The window: SRC at offset 0, DST at offset buf_size. */
	win = mmap(NULL, 2 * info.buf_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (win == MAP_FAILED) {
		perror("mmap");
		goto out_close;
	}
	src = win;
	dst = src + info.buf_size;

	/* 64 KiB or the whole buffer, rounded down to the DMA alignment. */
	len = info.max_len < 65536 ? info.max_len : 65536;
	len -= len % info.align;
	for (i = 0; i < len; i++)
		src[i] = (unsigned char)(i * 7 + 1);
	memset(dst, 0, len);

	memset(&copy, 0, sizeof(copy));	/* flags and reserved must be 0 */
	copy.src_off = 0;
	copy.dst_off = 0;
	copy.len = len;
	copy.mode = DMACOPY_MODE_DMA;
	copy.timeout_ns = 0;		/* the module's timeout_ms */
	if (ioctl(fd, DMACOPY_IOC_COPY, &copy) < 0) {
		int err = errno;

		fprintf(stderr, "DMACOPY_IOC_COPY: %s", strerror(err));
		if (err == EIO || err == ETIMEDOUT)	/* out fields are valid */
			fprintf(stderr, " (hw_status %#x)", copy.hw_status);
		fputc('\n', stderr);
		goto out_unmap;
	}
	if (memcmp(src, dst, len) != 0) {
		fprintf(stderr, "%s: DST differs from SRC\n", path);
		goto out_unmap;
	}
	printf("%s (%.16s): copied %zu bytes by %s in %llu ns, hw_status %#x\n",
	       path, info.controller, len,
	       copy.mode_used == DMACOPY_MODE_DMA ? "DMA" : "CPU",
	       (unsigned long long)copy.elapsed_ns, copy.hw_status);
	ret = 0;

out_unmap:
	munmap(win, 2 * info.buf_size);
out_close:
	close(fd);
	return ret;
}
