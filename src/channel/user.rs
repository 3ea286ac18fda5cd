// SPDX-License-Identifier: GPL-2.0

//! `DMACOPY_IOC_COPY_USER`: a copy between two ranges of the caller's own memory.
//!
//! By DMA, the ranges are pinned and mapped a chunk at a time ([`CHUNK`] bytes of each), and
//! the controller copies straight from the source pages to the destination pages: the pieces
//! where both the source and the destination segment continue, chained ([`Engine::start`]),
//! in as few chains as the controller's descriptor pool allows. What the controller cannot or
//! should not move goes by the CPU, with the same result: the head and tail of the destination
//! outside whole DMA cache lines, and everything when the two ranges are misaligned with each
//! other on a controller whose `align` is above 1.
//!
//! By the CPU, the bytes go through a kernel buffer, [`CPU_STEP`] bytes at a time.
//!
//! [`Engine::start`]: crate::engine::Engine::start

use kernel::{
    bindings,
    dma::DataDirection,
    prelude::*,
    sync::atomic::Relaxed,
    time::{
        Instant,
        Monotonic, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use super::{
    elapsed_ns,
    Channel,
    Outcome, //
};
use crate::{
    engine::Xfer,
    stand_in::user_pages::{
        DmaTable,
        UserPages, //
    },
    uapi,
};

/// Bytes of each range pinned and mapped at a time.
const CHUNK: usize = 1 << 20;

/// Bytes per step of a copy by the CPU.
const CPU_STEP: usize = 64 * 1024;

/// A checked `COPY_USER` request.
struct UserCopy {
    src: usize,
    dst: usize,
    len: usize,
    mode: u32,
}

impl Channel {
    /// Runs one `DMACOPY_IOC_COPY_USER`.
    ///
    /// On `EIO` and `ETIMEDOUT` the outcome is still filled in (`Err` carries it).
    pub(crate) fn copy_user(
        &self,
        req: &uapi::CopyUser,
    ) -> Result<Outcome, (Error, Option<Outcome>)> {
        self.check_alive().map_err(|e| (e, None))?;
        let c = self.validate_user(req).map_err(|e| (e, None))?;
        let start = Instant::<Monotonic>::now();
        if c.mode == uapi::MODE_CPU {
            self.user_cpu_copy(c.src, c.dst, c.len)
                .map_err(|e| (e, None))?;
            return Ok(self.count_cpu(c.len, start));
        }
        self.user_dma_copy(&c, self.timeout_ns(req.timeout_ns), start)
    }

    /// Checks `req` against the errno table; chooses the mode as for `COPY`.
    fn validate_user(&self, req: &uapi::CopyUser) -> Result<UserCopy> {
        if req.len == 0
            || req.len > uapi::COPY_USER_MAX_LEN
            || req.flags != 0
            || req.reserved.iter().any(|&r| r != 0)
        {
            return Err(EINVAL);
        }
        let mode = match req.mode {
            uapi::MODE_CPU | uapi::MODE_DMA => req.mode,
            uapi::MODE_AUTO if req.len < self.auto_threshold.load(Relaxed) => uapi::MODE_CPU,
            uapi::MODE_AUTO => uapi::MODE_DMA,
            _ => return Err(EINVAL),
        };
        // A range that wraps around the address space is not accessible.
        let addr = |a: u64| usize::try_from(a).map_err(|_| EFAULT);
        // `src_off` and `dst_off` carry the user addresses (`uapi::CopyUser`).
        let (src, dst) = (addr(req.src_off)?, addr(req.dst_off)?);
        let len = usize::try_from(req.len).map_err(|_| EINVAL)?;
        let src_end = src.checked_add(len).ok_or(EFAULT)?;
        let dst_end = dst.checked_add(len).ok_or(EFAULT)?;
        if src < dst_end && dst < src_end {
            return Err(EINVAL);
        }
        Ok(UserCopy {
            src,
            dst,
            len,
            mode,
        })
    }

    /// Copies `len` bytes from user address `src` to `dst` with the CPU, through a kernel
    /// buffer. `EFAULT` where a range is not accessible; a signal between steps ends a long
    /// copy (it is restarted or fails with `EINTR`: the ranges do not overlap, so running it
    /// again gives the same result).
    fn user_cpu_copy(&self, src: usize, dst: usize, len: usize) -> Result {
        if len == 0 {
            return Ok(());
        }
        let mut buf = KVVec::from_elem(0u8, CPU_STEP.min(len), GFP_KERNEL)?;
        let mut done = 0;
        while done < len {
            let n = buf.len().min(len - done);
            UserSlice::new(UserPtr::from_addr(src + done), n)
                .reader()
                .read_slice(&mut buf[..n])?;
            UserSlice::new(UserPtr::from_addr(dst + done), n)
                .writer()
                .write_slice(&buf[..n])?;
            done += n;
            if done < len && kernel::current!().signal_pending() {
                self.stats.interrupted.add(1, Relaxed);
                return Err(ERESTARTSYS);
            }
        }
        Ok(())
    }

    /// A `COPY_USER` by DMA: what the controller can move goes by DMA, chunk by chunk, and the
    /// rest by the CPU.
    fn user_dma_copy(
        &self,
        c: &UserCopy,
        timeout_ns: u64,
        start: Instant<Monotonic>,
    ) -> Result<Outcome, (Error, Option<Outcome>)> {
        let align = self.engine.align().max(1) as usize;
        // The controller moves `[head, head + body)`, whose destination starts and ends on a
        // cache-line boundary for DMA (`ARCH_DMA_MINALIGN`, a multiple of `align`): on a SoC
        // whose DMA is not cache-coherent, a destination line shared with bytes the CPU writes
        // meanwhile (the caller's other data, another thread) could be written back over what
        // the controller put there. The source then is aligned too, as both ranges have the
        // same offset modulo `align`.
        let line = (bindings::ARCH_DMA_MINALIGN as usize).max(align);
        let (head, body) = if (c.src ^ c.dst) % align != 0 {
            (c.len, 0)
        } else {
            let head = ((line - c.dst % line) % line).min(c.len);
            (head, (c.len - head) / line * line)
        };
        if body == 0 {
            // Nothing the controller can move.
            self.user_cpu_copy(c.src, c.dst, c.len)
                .map_err(|e| (e, None))?;
            return Ok(self.count_cpu(c.len, start));
        }
        self.user_cpu_copy(c.src, c.dst, head)
            .map_err(|e| (e, None))?;
        let mut status = 0;
        let mut off = head;
        while off < head + body {
            // A long copy stays interruptible between chunks, also where the chunks complete
            // while polled.
            if off > head && kernel::current!().signal_pending() {
                self.stats.interrupted.add(1, Relaxed);
                return Err((ERESTARTSYS, None));
            }
            let n = CHUNK.min(head + body - off);
            status = self
                .user_dma_chunk(c.src + off, c.dst + off, n, timeout_ns)
                .map_err(|(e, out)| {
                    let out = out.map(|o| Outcome {
                        elapsed_ns: elapsed_ns(start),
                        ..o
                    });
                    (e, out)
                })?;
            off += n;
        }
        let tail = head + body;
        self.user_cpu_copy(c.src + tail, c.dst + tail, c.len - tail)
            .map_err(|e| (e, None))?;
        let ns = elapsed_ns(start);
        self.count_dma(c.len, ns);
        Ok(Outcome {
            elapsed_ns: ns,
            mode_used: uapi::MODE_DMA,
            hw_status: status,
        })
    }

    /// Copies `len` bytes (aligned for the controller) from user address `src` to `dst` by DMA:
    /// pins both ranges, then in the channel's turn maps them and runs the chains. Returns the
    /// interrupt status of the last chain. Pages are unmapped and unpinned on every path.
    fn user_dma_chunk(
        &self,
        src: usize,
        dst: usize,
        len: usize,
        timeout_ns: u64,
    ) -> Result<u32, (Error, Option<Outcome>)> {
        // Pinned before the turn and the window: faulting the pages in may take long (or wait
        // for a userfaultfd or FUSE server), and must hold up neither other copiers nor unbind.
        let src_pages = UserPages::pin(src, len, false).map_err(|e| (e, None))?;
        let dst_pages = UserPages::pin(dst, len, true).map_err(|e| (e, None))?;
        let _turn = self.acquire_turn().map_err(|e| {
            self.stats.interrupted.add(1, Relaxed);
            (e, None)
        })?;
        self.check_alive().map_err(|e| (e, None))?;
        // The open window proves the device bound while the pages are mapped for it.
        let window = self.window.enter().map_err(|e| (e, None))?;
        let dev = self.device();
        let src_map = DmaTable::map(dev, &window, &src_pages, DataDirection::ToDevice)
            .map_err(|e| (e, None))?;
        let dst_map = DmaTable::map(dev, &window, &dst_pages, DataDirection::FromDevice)
            .map_err(|e| (e, None))?;

        let max_block = self.engine.max_block().max(1);
        let max_desc = self.engine.max_descriptors().max(1);
        let mut chain =
            KVec::<Xfer>::with_capacity(max_desc.min(len.div_ceil(4096) * 2 + 2), GFP_KERNEL)
                .map_err(|e| (e.into(), None))?;
        let (mut chain_bytes, mut descs, mut status) = (0usize, 0usize, 0u32);
        let mut srcs = src_map.segments();
        let mut dsts = dst_map.segments();
        let (mut s, mut d) = ((0, 0), (0, 0));
        let mut left = len;
        while left > 0 {
            if s.1 == 0 {
                s = srcs.next().ok_or((EFAULT, None))?;
            }
            if d.1 == 0 {
                d = dsts.next().ok_or((EFAULT, None))?;
            }
            // One descriptor per piece: where both segments continue, at most `max_block`.
            let n = s.1.min(d.1).min(left).min(max_block);
            if n == 0 {
                return Err((EFAULT, None));
            }
            if descs + 1 > max_desc {
                status = self.run_user_chain(&chain, chain_bytes, timeout_ns)?;
                chain.clear();
                (chain_bytes, descs) = (0, 0);
            }
            chain
                .push(
                    Xfer {
                        src: s.0,
                        dst: d.0,
                        len: n,
                    },
                    GFP_KERNEL,
                )
                .map_err(|e| (e.into(), None))?;
            descs += self.engine.descriptors(n);
            chain_bytes += n;
            // CAST: `n` is at most a segment's length.
            s = (s.0 + n as u64, s.1 - n);
            d = (d.0 + n as u64, d.1 - n);
            left -= n;
        }
        if !chain.is_empty() {
            status = self.run_user_chain(&chain, chain_bytes, timeout_ns)?;
        }
        // On return, in reverse order of declaration: the tables are unmapped (the CPU sees the
        // destination) while the window is open, then the turn passes on, then the pages are
        // unpinned.
        Ok(status)
    }

    /// Runs one chain of a `COPY_USER` with the copy's timeout; its interrupt status.
    fn run_user_chain(
        &self,
        chain: &[Xfer],
        bytes: usize,
        timeout_ns: u64,
    ) -> Result<u32, (Error, Option<Outcome>)> {
        self.run_chain(chain, bytes, timeout_ns)
            .map(|out| out.hw_status)
    }
}
