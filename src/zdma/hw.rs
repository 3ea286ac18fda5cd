// SPDX-License-Identifier: GPL-2.0

//! Programming one ZDMA channel: the register sequences of simple (register) mode and of
//! scatter-gather (descriptor) mode.
//!
//! Everything here runs with the register mapping in hand and never sleeps, so that it can run
//! inside an RCU read-side section and from the interrupt handler.

use kernel::{
    dma::DmaAddress,
    io::{
        poll::read_poll_timeout_atomic,
        Io, //
    },
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    time::Delta, //
};

use super::regs::*;

/// The channel's mapped registers.
pub(crate) type Regs<'a> = kernel::io::mem::IoMem<'a, REGS_SIZE>;

/// Name of this controller in `struct dmacopy_info`.
pub(crate) const CONTROLLER: &CStr = c"zynqmp-zdma";

/// Interrupts unmasked for a transfer: completion, every error and the overflow notices.
const INT_XFER: u32 = INT_DONE | INT_ERR | INT_OVRFL;

/// What the driver last wrote to the eight descriptor registers, so that a copy writes only the
/// words that change (on QEMU every register access leaves the emulated CPU; on hardware it is
/// a bus round trip). Simple mode copies the registers into the channel when it starts and never
/// writes them back (UG1087; QEMU's model does the same), so they keep what was written.
///
/// It also records which mode the channel is in: [`init`] leaves it in simple mode, and
/// [`start_chain`] switches it to scatter-gather mode, where the descriptor registers are not
/// the driver's (UG1087 leaves open whether the controller loads fetched descriptors into them),
/// so the shadow is forgotten there.
///
/// Used only by the holder of the channel's turn; [`Shadow::forget`] after [`init`] or [`stop`].
pub(crate) struct Shadow {
    words: [Atomic<u32>; 8],
    valid: Atomic<bool>,
    /// `CTRL0` selects scatter-gather mode and the start address registers point at the
    /// descriptor lists.
    chain: Atomic<bool>,
}

impl Shadow {
    /// Nothing known: the next copy writes every word.
    pub(crate) const fn new() -> Self {
        Self {
            words: [const { Atomic::new(0) }; 8],
            valid: Atomic::new(false),
            chain: Atomic::new(false),
        }
    }

    /// The registers may have changed (the channel was reset to simple mode by [`init`]):
    /// write every word next time.
    pub(crate) fn forget(&self) {
        self.valid.store(false, Relaxed);
        self.chain.store(false, Relaxed);
    }

    /// Whether word `i` must be written to hold `value`; records it as written.
    fn update(&self, i: usize, value: u32) -> bool {
        let stale = !self.valid.load(Relaxed) || self.words[i].load(Relaxed) != value;
        if stale {
            self.words[i].store(value, Relaxed);
        }
        stale
    }
}

/// Puts the channel in a known idle state: every interrupt masked and cleared, out of the
/// paused state, the byte and accounting counters cleared, simple mode with the reset defaults.
pub(crate) fn init(regs: &Regs<'_>) {
    regs.write_reg(ZDMA_CH_IDS::from_raw(INT_ALL));
    if regs.read(ZDMA_CH_STATUS).paused() {
        // With `CTRL2.EN` clear, writing `CONT` takes a paused channel back to disabled; a
        // paused channel ignores a new enable otherwise.
        regs.write_reg(ZDMA_CH_CTRL2::zeroed());
        regs.write_reg(ZDMA_CH_CTRL0::zeroed().with_ovr_fetch(true).with_cont(true));
    }
    regs.write_reg(ZDMA_CH_ISR::from_raw(INT_ALL));
    regs.write_reg(ZDMA_CH_TOTAL_BYTE::from_raw(u32::MAX));
    // Reading the accounting counters clears them.
    let _ = regs.read(ZDMA_CH_IRQ_SRC_ACCT);
    let _ = regs.read(ZDMA_CH_IRQ_DST_ACCT);
    regs.write_reg(simple_mode());
}

/// `CTRL0` of simple mode: read and write, no rate control, descriptor prefetch as after reset.
fn simple_mode() -> ZDMA_CH_CTRL0 {
    ZDMA_CH_CTRL0::zeroed()
        .with_ovr_fetch(true)
        .with_point_type(false)
}

/// Programs a copy of `len` bytes from bus address `src` to `dst` and starts it, its interrupts
/// masked: [`take_done`] polls for the completion, [`unmask`] lets it interrupt. With
/// `clear_total`, the byte counter `TOTAL_BYTE` starts again from 0 (it raises BYTE_CNT_OVRFL
/// when it wraps at 4 GiB). With `stall`, the source descriptor carries the HALT command: the
/// channel pauses instead of completing, and no completion comes (fault injection).
///
/// The interrupt status is clear: [`init`] clears it, and so do [`take_done`] and
/// [`take_irq_status`] at every completion. The caller has armed its completion first: on QEMU
/// the copy happens inside the write that enables the channel.
pub(crate) fn start(
    regs: &Regs<'_>,
    shadow: &Shadow,
    src: DmaAddress,
    dst: DmaAddress,
    len: u32,
    clear_total: bool,
    stall: bool,
) {
    // CAST: the descriptor words take the low 32 bits and the high bits of the address
    // separately; the DMA mask keeps addresses within the 49 bits the registers hold.
    let (src_lo, src_hi) = (src as u32, (src >> 32) as u32);
    let (dst_lo, dst_hi) = (dst as u32, (dst >> 32) as u32);

    // No per-descriptor interrupt: completion is reported by DMA_DONE.
    let word3 = if stall {
        ZDMA_CH_SRC_DSCR_WORD3::zeroed().with_const_cmd::<{ ZDMA_CH_SRC_DSCR_WORD3::CMD_HALT }>()
    } else {
        ZDMA_CH_SRC_DSCR_WORD3::zeroed().with_const_cmd::<{ ZDMA_CH_SRC_DSCR_WORD3::CMD_NEXT }>()
    };

    if clear_total {
        // Write 1s to clear.
        regs.write_reg(ZDMA_CH_TOTAL_BYTE::from_raw(u32::MAX));
    }
    let word3 = word3.into_raw();
    if shadow.chain.load(Relaxed) {
        // Back from scatter-gather mode; the descriptor registers were forgotten on the way.
        regs.write_reg(simple_mode());
        shadow.chain.store(false, Relaxed);
    }
    if shadow.update(0, src_lo) {
        regs.write_reg(ZDMA_CH_SRC_DSCR_WORD0::from_raw(src_lo));
    }
    if shadow.update(1, src_hi) {
        regs.write_reg(ZDMA_CH_SRC_DSCR_WORD1::from_raw(src_hi));
    }
    if shadow.update(2, len) {
        regs.write_reg(ZDMA_CH_SRC_DSCR_WORD2::from_raw(len));
    }
    if shadow.update(3, word3) {
        regs.write_reg(ZDMA_CH_SRC_DSCR_WORD3::from_raw(word3));
    }
    if shadow.update(4, dst_lo) {
        regs.write_reg(ZDMA_CH_DST_DSCR_WORD0::from_raw(dst_lo));
    }
    if shadow.update(5, dst_hi) {
        regs.write_reg(ZDMA_CH_DST_DSCR_WORD1::from_raw(dst_hi));
    }
    if shadow.update(6, len) {
        regs.write_reg(ZDMA_CH_DST_DSCR_WORD2::from_raw(len));
    }
    if shadow.update(7, 0) {
        regs.write_reg(ZDMA_CH_DST_DSCR_WORD3::zeroed());
    }
    shadow.valid.store(true, Relaxed);
    regs.write_reg(ZDMA_CH_CTRL2::zeroed().with_en(true));
}

/// Starts the chain of descriptors whose lists begin at bus addresses `src_list` and `dst_list`
/// (linked-list descriptors, the last source descriptor with `CMD_STOP`), its interrupts masked
/// as in [`start`]. The chain completes with `DMA_DONE` once the channel has stopped at the last
/// descriptor and all data has reached the destination (UG1085 "Channel Disabled": a `CMD_STOP`
/// source descriptor disables the channel after all its data is written; upstream `zynqmp_dma`
/// likewise takes `DMA_DONE` for an idle channel); `clear_total` as in [`start`].
///
/// QEMU's model sets `DMA_DONE` after every source descriptor, but runs the whole chain inside
/// the enabling write, so no CPU sees the status before the chain has ended (or paused, on a
/// `CMD_HALT` descriptor: then it clears `DMA_DONE` again).
pub(crate) fn start_chain(
    regs: &Regs<'_>,
    shadow: &Shadow,
    src_list: DmaAddress,
    dst_list: DmaAddress,
    clear_total: bool,
) {
    if !shadow.chain.load(Relaxed) {
        // The lists never move (a per-channel pool): set them up once per switch of mode.
        regs.write_reg(
            ZDMA_CH_CTRL0::zeroed()
                .with_ovr_fetch(true)
                .with_point_type(true),
        );
        // CAST: low 32 bits and the high bits of a bus address; the DMA mask keeps it within
        // the 49 bits the registers hold.
        regs.write_reg(ZDMA_CH_SRC_START_LSB::from_raw(src_list as u32));
        regs.write_reg(ZDMA_CH_SRC_START_MSB::from_raw((src_list >> 32) as u32));
        regs.write_reg(ZDMA_CH_DST_START_LSB::from_raw(dst_list as u32));
        regs.write_reg(ZDMA_CH_DST_START_MSB::from_raw((dst_list >> 32) as u32));
        shadow.valid.store(false, Relaxed);
        shadow.chain.store(true, Relaxed);
    }
    if clear_total {
        // Write 1s to clear.
        regs.write_reg(ZDMA_CH_TOTAL_BYTE::from_raw(u32::MAX));
    }
    // `writel` orders the descriptors' writes to coherent memory before this one.
    regs.write_reg(ZDMA_CH_CTRL2::zeroed().with_en(true));
}

/// Returns the raw interrupt status if the transfer has ended (done or failed), and clears it;
/// 0 while it runs. For polling with the interrupts masked.
pub(crate) fn take_done(regs: &Regs<'_>) -> u32 {
    let isr = regs.read(ZDMA_CH_ISR).into_raw() & INT_ALL;
    if isr & (INT_DONE | INT_ERR) == 0 {
        return 0;
    }
    regs.write_reg(ZDMA_CH_ISR::from_raw(isr));
    isr
}

/// Unmasks the interrupts of a transfer: its completion, errors and overflow notices. One that
/// is pending already is raised at once.
pub(crate) fn unmask(regs: &Regs<'_>) {
    regs.write_reg(ZDMA_CH_IEN::from_raw(INT_XFER));
}

/// Reads the interrupts that are both pending and unmasked; if there are any, clears every
/// pending one and returns the unmasked ones.
///
/// Returns 0 when the interrupt was not raised by this channel.
pub(crate) fn take_irq_status(regs: &Regs<'_>) -> u32 {
    let isr = regs.read(ZDMA_CH_ISR).into_raw() & INT_ALL;
    let imr = regs.read(ZDMA_CH_IMR).into_raw();
    let status = isr & !imr;
    if status != 0 {
        regs.write_reg(ZDMA_CH_ISR::from_raw(isr));
    }
    status
}

/// Masks every interrupt of the channel (a transfer has ended).
pub(crate) fn mask_all(regs: &Regs<'_>) {
    regs.write_reg(ZDMA_CH_IDS::from_raw(INT_ALL));
}

/// Stops the channel and returns it to the idle state of [`init`].
///
/// Returns the raw interrupt status found when stopping, or `ETIMEDOUT` if the channel would not
/// leave the enabled state (it is reset to its idle configuration either way).
pub(crate) fn stop(regs: &Regs<'_>) -> Result<u32> {
    mask_all(regs);
    let isr = regs.read(ZDMA_CH_ISR).into_raw();
    regs.write_reg(ZDMA_CH_CTRL2::zeroed());
    // TIMEOUT: a channel that is disabled in the middle of a transfer finishes the AXI bursts it
    // has issued, a few microseconds at most; 10 ms is far beyond that. Polled without sleeping
    // because this may run in an RCU read-side section.
    let idle = read_poll_timeout_atomic(
        || Ok(regs.read(ZDMA_CH_STATUS)),
        |s| !s.busy(),
        Delta::from_micros(1),
        10_000,
    );
    init(regs);
    idle.map(|_| isr)
}
