// SPDX-License-Identifier: GPL-2.0

//! BCM2835 DMA controller registers.
//!
//! # Glossary
//!
//! - **CB**: control block, a 32-byte, 32-byte-aligned descriptor in memory: `TI`, `SOURCE_AD`,
//!   `DEST_AD`, `TXFR_LEN`, `STRIDE`, `NEXTCONBK` and two reserved words. The controller has no
//!   register mode: every transfer is a chain of control blocks.
//! - **CS**: a channel's control and status register. **CONBLK_AD**: the bus address of the
//!   control block being run, 0 once the chain has ended.
//! - **Lite** channels (`DEBUG.LITE`) move at most 65532 bytes per control block.
//!
//! Offsets and bits are those of the BCM2835 ARM Peripherals manual (section 4), the upstream C
//! driver `drivers/dma/bcm2835-dma.c` and QEMU's model `hw/dma/bcm2835_dma.c`. Channel `n`'s
//! registers are at `n * 0x100`; all are 32 bits wide.

use kernel::io::register;

/// Bytes of register space one channel occupies.
pub(crate) const CHANNEL_STRIDE: usize = 0x100;

/// Channels 0 to 14 share the controller's first register block (channel 15 lives elsewhere and
/// is the VideoCore's).
pub(crate) const CHANNELS: usize = 15;

/// Bytes of the register block that must be mapped at least: channel 0's.
pub(crate) const REGS_MIN: usize = CHANNEL_STRIDE;

register! {
    /// Control and status. END and INT are cleared by writing 1; RESET and ABORT are
    /// write-only.
    pub(crate) CS(u32)[CHANNELS, stride = CHANNEL_STRIDE] @ 0x000 {
        /// Reset the channel (self-clearing).
        31:31   reset => bool;
        /// Abort the current control block and go on with the next.
        30:30   abort => bool;
        /// Do not stop when the debug pause signal is asserted.
        29:29   dis_debug => bool;
        /// Wait for outstanding writes before signalling the end of each control block.
        28:28   wait_for_outstanding_writes => bool;
        /// AXI priority of panicking transfers.
        23:20   panic_priority;
        /// AXI priority.
        19:16   priority;
        /// The channel has an error; `DEBUG` says which.
        8:8     error => bool;
        /// Waiting for the last outstanding writes.
        6:6     waiting_for_outstanding_writes => bool;
        /// Paused by DREQ.
        5:5     dreq_stops_dma => bool;
        /// Paused, or not active.
        4:4     paused => bool;
        /// The DREQ line is asserted.
        3:3     dreq => bool;
        /// A control block with INTEN set has ended: the channel's interrupt (write 1 to clear).
        2:2     int => bool;
        /// A control block has ended (write 1 to clear).
        1:1     end => bool;
        /// Run (1) or pause (0) the channel; cleared when the chain ends.
        0:0     active => bool;
    }

    /// The bus address of the control block being run; 0 once the chain has ended.
    pub(crate) CONBLK_AD(u32)[CHANNELS, stride = CHANNEL_STRIDE] @ 0x004 {
        31:0    addr;
    }

    /// Debug: the channel's error flags (write 1 to clear) and whether it is a Lite channel.
    pub(crate) DEBUG(u32)[CHANNELS, stride = CHANNEL_STRIDE] @ 0x020 {
        /// A Lite channel: at most 65532 bytes per control block.
        28:28   lite => bool;
        /// Slave read response error.
        2:2     read_error => bool;
        /// FIFO error.
        1:1     fifo_error => bool;
        /// AXI read last signal not set.
        0:0     read_last_not_set_error => bool;
    }
}

/// Every error flag of `DEBUG`.
pub(crate) const DEBUG_ERRORS: u32 = 0b111;

/// `CS.END`.
pub(crate) const CS_END: u32 = 1 << 1;
/// `CS.INT`.
pub(crate) const CS_INT: u32 = 1 << 2;
/// `CS.ERROR`.
pub(crate) const CS_ERROR: u32 = 1 << 8;

// Control block words and `TI` bits.

/// Words in a control block.
pub(crate) const CB_WORDS: usize = 8;
/// Word index of `TI`, the transfer information.
pub(crate) const CB_TI: usize = 0;
/// Word index of the source bus address.
pub(crate) const CB_SOURCE_AD: usize = 1;
/// Word index of the destination bus address.
pub(crate) const CB_DEST_AD: usize = 2;
/// Word index of the transfer length.
pub(crate) const CB_TXFR_LEN: usize = 3;
/// Word index of the 2D stride.
pub(crate) const CB_STRIDE: usize = 4;
/// Word index of the next control block's bus address (0: the last).
pub(crate) const CB_NEXTCONBK: usize = 5;

/// `TI.INTEN`: raise the channel's interrupt when this control block ends.
pub(crate) const TI_INTEN: u32 = 1 << 0;
/// `TI.WAIT_RESP`: wait for each write's response.
pub(crate) const TI_WAIT_RESP: u32 = 1 << 3;
/// `TI.DEST_INC`: the destination address increments.
pub(crate) const TI_DEST_INC: u32 = 1 << 4;
/// `TI.SRC_INC`: the source address increments.
pub(crate) const TI_SRC_INC: u32 = 1 << 8;

/// Largest `TXFR_LEN` of a full channel that is a multiple of 4 (30-bit field).
pub(crate) const MAX_BLOCK: usize = (1 << 30) - 4;
/// Largest `TXFR_LEN` of a Lite channel that is a multiple of 4 (16-bit field).
pub(crate) const MAX_BLOCK_LITE: usize = 65532;
