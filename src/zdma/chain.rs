// SPDX-License-Identifier: GPL-2.0

//! A ZDMA channel's descriptor pool for scatter-gather mode, and the chain builder.
//!
//! The pool is one coherent allocation of two lists of [`POOL`] linked-list descriptors each:
//! the source list, then the destination list. Descriptor `i` of a list links to descriptor
//! `i + 1` (the last to the first); those links are written once, when the pool is allocated.
//! A chain of pieces takes one source and one destination descriptor per [`MAX_BLOCK`] bytes of
//! each piece, from the start of each list, so that the two lists line up: source descriptor
//! `k` and destination descriptor `k` move the same bytes. The last source descriptor carries
//! `CMD_STOP`: the channel stops there and raises `DMA_DONE`, the one completion of the chain.
//! No descriptor carries `INTR`, so the interrupt accounting counters do not move.

use kernel::{
    device::{
        Bound,
        Device, //
    },
    devres::Devres,
    dma::{
        Coherent,
        DmaAddress, //
    },
    dma_write,
    prelude::*,
};

use super::regs::*;
use crate::engine::{
    Xfer,
    CHAIN_POOL, //
};

/// Descriptors in each of the pool's two lists: the most one chain may use.
pub(crate) const POOL: usize = CHAIN_POOL;

/// The most bytes one descriptor moves: its 30-bit size field.
// CAST: 2^30 - 1 fits a `usize`.
pub(crate) const MAX_BLOCK: usize = MAX_DSCR_SIZE as usize;

/// A channel's descriptor lists; freed at unbind, while the device is still bound.
pub(crate) struct Pool {
    /// `2 * POOL` descriptors of [`DSCR_WORDS`] words (turn holder only).
    mem: Devres<Coherent<[u32]>>,
    /// Bus address of the first source descriptor; the destination list follows the source
    /// list.
    base: DmaAddress,
}

/// Bytes of one list.
const LIST_BYTES: usize = POOL * DSCR_SIZE;

impl Pool {
    /// Allocates the pool for a channel of `dev` and links each list's descriptors in order.
    pub(crate) fn new(dev: &Device<Bound>) -> Result<Self> {
        let mem = Coherent::<u32>::zeroed_slice(dev, 2 * POOL * DSCR_WORDS, GFP_KERNEL)?;
        let base = mem.dma_handle();
        // Coherent allocations are page aligned; each descriptor is then aligned to its size.
        if base % DSCR_SIZE as u64 != 0 {
            return Err(EINVAL);
        }
        for list in 0..2 {
            // CAST: the pool is 32 KiB.
            let first = base + (list * LIST_BYTES) as u64;
            for i in 0..POOL {
                let next = first + (((i + 1) % POOL) * DSCR_SIZE) as u64;
                let at = (list * POOL + i) * DSCR_WORDS;
                // CAST: the low 32 bits and the high bits of a 64-bit bus address.
                dma_write!(mem, [try: at + DSCR_NEXT_LSB], next as u32);
                dma_write!(mem, [try: at + DSCR_NEXT_MSB], (next >> 32) as u32);
            }
        }
        Ok(Self {
            mem: Devres::new(dev, mem)?,
            base,
        })
    }

    /// Bus address of the source list's first descriptor.
    pub(crate) fn src_list(&self) -> DmaAddress {
        self.base
    }

    /// Bus address of the destination list's first descriptor.
    pub(crate) fn dst_list(&self) -> DmaAddress {
        // CAST: the pool is 32 KiB.
        self.base + LIST_BYTES as u64
    }

    /// Writes the descriptors of `chain` (all its bytes in order, the last source descriptor
    /// with `CMD_STOP`; with `stall`, the first with `CMD_HALT` instead, so that the channel
    /// pauses after it and never completes). Returns the bytes of the chain.
    ///
    /// `EINVAL` if `chain` is empty, a piece is empty or runs past the end of the bus address
    /// space, or the chain needs more than [`POOL`] descriptors; `ENODEV` once unbound.
    pub(crate) fn build(&self, chain: &[Xfer], stall: bool) -> Result<u64> {
        let mut count = 0usize;
        let mut total = 0u64;
        for x in chain {
            if x.len == 0 {
                return Err(EINVAL);
            }
            count = count.checked_add(x.len.div_ceil(MAX_BLOCK)).ok_or(EINVAL)?;
            // CAST: a `usize` fits a `u64`.
            let len = x.len as u64;
            x.src.checked_add(len).ok_or(EINVAL)?;
            x.dst.checked_add(len).ok_or(EINVAL)?;
            total = total.checked_add(len).ok_or(EINVAL)?;
        }
        if count == 0 || count > POOL {
            return Err(EINVAL);
        }
        let mem = self.mem.try_access().ok_or(ENODEV)?;
        let linked = ZDMA_CH_SRC_DSCR_WORD3::zeroed().with_type_(true);
        let dst_ctrl = ZDMA_CH_DST_DSCR_WORD3::zeroed().with_type_(true).into_raw();
        let mut k = 0;
        for x in chain {
            let mut off = 0;
            while off < x.len {
                let len = MAX_BLOCK.min(x.len - off);
                let ctrl = if k + 1 == count {
                    linked.with_const_cmd::<{ ZDMA_CH_SRC_DSCR_WORD3::CMD_STOP }>()
                } else if k == 0 && stall {
                    linked.with_const_cmd::<{ ZDMA_CH_SRC_DSCR_WORD3::CMD_HALT }>()
                } else {
                    linked.with_const_cmd::<{ ZDMA_CH_SRC_DSCR_WORD3::CMD_NEXT }>()
                };
                // CAST: `off < x.len`, checked above not to overflow with either address.
                let (src, dst) = (x.src + off as u64, x.dst + off as u64);
                // CAST: `len <= MAX_BLOCK < 2^30`.
                let size = len as u32;
                let s = k * DSCR_WORDS;
                let d = (POOL + k) * DSCR_WORDS;
                // The links (`DSCR_NEXT_*`) are in place since `new`.
                // CAST: the low 32 bits and the high bits of a 64-bit bus address.
                dma_write!(mem, [try: s + DSCR_ADDR_LSB], src as u32);
                dma_write!(mem, [try: s + DSCR_ADDR_MSB], (src >> 32) as u32);
                dma_write!(mem, [try: s + DSCR_SIZE_WORD], size);
                dma_write!(mem, [try: s + DSCR_CTRL], ctrl.into_raw());
                dma_write!(mem, [try: d + DSCR_ADDR_LSB], dst as u32);
                dma_write!(mem, [try: d + DSCR_ADDR_MSB], (dst >> 32) as u32);
                dma_write!(mem, [try: d + DSCR_SIZE_WORD], size);
                dma_write!(mem, [try: d + DSCR_CTRL], dst_ctrl);
                off += len;
                k += 1;
            }
        }
        Ok(total)
    }
}
