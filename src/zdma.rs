// SPDX-License-Identifier: GPL-2.0

//! Programming one ZDMA channel in simple (register) mode.
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
    time::Delta, //
};

use crate::regs::*;

/// The channel's mapped registers.
pub(crate) type Regs<'a> = kernel::io::mem::IoMem<'a, REGS_SIZE>;

/// Name of this controller in `struct dmacopy_info`.
pub(crate) const CONTROLLER: &[u8] = b"zynqmp-zdma";

/// Interrupts unmasked for a transfer: completion, every error and the overflow notices.
const INT_XFER: u32 = INT_DONE | INT_ERR | INT_OVRFL;

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
    // Simple mode, read and write, no rate control, descriptor prefetch as after reset.
    regs.write_reg(
        ZDMA_CH_CTRL0::zeroed()
            .with_ovr_fetch(true)
            .with_point_type(false),
    );
}

/// Programs a copy of `len` bytes from bus address `src` to `dst` and starts it. With `stall`,
/// the source descriptor carries the HALT command: the channel pauses instead of completing,
/// and no completion interrupt comes (fault injection).
///
/// The caller has armed its completion first: on QEMU the copy, and its interrupt, happen inside
/// the write that enables the channel.
pub(crate) fn start(regs: &Regs<'_>, src: DmaAddress, dst: DmaAddress, len: u32, stall: bool) {
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

    regs.write_reg(ZDMA_CH_ISR::from_raw(INT_ALL));
    // The 32-bit byte counter wraps every 4 GiB and raises BYTE_CNT_OVRFL: start each copy
    // from 0 (write 1s to clear).
    regs.write_reg(ZDMA_CH_TOTAL_BYTE::from_raw(u32::MAX));
    regs.write_reg(ZDMA_CH_SRC_DSCR_WORD0::from_raw(src_lo));
    regs.write_reg(ZDMA_CH_SRC_DSCR_WORD1::from_raw(src_hi));
    regs.write_reg(ZDMA_CH_SRC_DSCR_WORD2::from_raw(len));
    regs.write_reg(word3);
    regs.write_reg(ZDMA_CH_DST_DSCR_WORD0::from_raw(dst_lo));
    regs.write_reg(ZDMA_CH_DST_DSCR_WORD1::from_raw(dst_hi));
    regs.write_reg(ZDMA_CH_DST_DSCR_WORD2::from_raw(len));
    regs.write_reg(ZDMA_CH_DST_DSCR_WORD3::zeroed());
    regs.write_reg(ZDMA_CH_IEN::from_raw(INT_XFER));
    regs.write_reg(ZDMA_CH_CTRL2::zeroed().with_en(true));
}

/// Reads the interrupts that are both pending and unmasked, and clears them.
///
/// Returns 0 when the interrupt was not raised by this channel.
pub(crate) fn take_irq_status(regs: &Regs<'_>) -> u32 {
    let isr = regs.read(ZDMA_CH_ISR).into_raw();
    let imr = regs.read(ZDMA_CH_IMR).into_raw();
    let status = isr & !imr & INT_ALL;
    if status != 0 {
        regs.write_reg(ZDMA_CH_ISR::from_raw(status));
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
