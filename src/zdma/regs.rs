// SPDX-License-Identifier: GPL-2.0

//! ZynqMP/Versal ZDMA channel registers.
//!
//! # Glossary
//!
//! - **ZDMA**: the general-purpose DMA controller of the ZynqMP and Versal SoCs (GDMA in the FPD,
//!   ADMA in the LPD); each channel is an independent register block.
//! - **DSCR**: descriptor. In simple (register) mode the source and destination descriptors live
//!   in the `*_DSCR_WORD0..3` registers; in scatter-gather mode they live in memory.
//! - **ISR/IMR/IEN/IDS**: interrupt status (write 1 to clear), mask (read only, 1 = masked),
//!   enable (write 1 to unmask) and disable (write 1 to mask).
//! - **ACCT**: the interrupt accounting counters, cleared on read.
//!
//! Offsets and bits are those of the Zynq UltraScale+ TRM (UG1087), the upstream C driver
//! `drivers/dma/xilinx/zynqmp_dma.c` and QEMU's model `hw/dma/xlnx-zdma.c`. All registers are
//! 32 bits wide and must be accessed 32 bits at a time.

use kernel::io::register;

/// Bytes of a channel's register block that the driver maps.
pub(crate) const REGS_SIZE: usize = 0x1000;

register! {
    /// Error control: the response to an invalid APB access.
    pub(crate) ZDMA_ERR_CTRL(u32) @ 0x000 {
        /// 1: an invalid APB access gets a SLVERR response.
        0:0     apb_err_res => bool;
    }
}

// Interrupts. The four registers share one bit layout.

register! {
    /// Interrupt status; write 1 to a bit to clear it.
    pub(crate) ZDMA_CH_ISR(u32) @ 0x100 {
        /// The channel was paused by a HALT descriptor.
        11:11   dma_pause => bool;
        /// The transfer is complete.
        10:10   dma_done => bool;
        /// AXI write error on the data.
        9:9     axi_wr_data => bool;
        /// AXI read error on the data.
        8:8     axi_rd_data => bool;
        /// AXI read error on a destination descriptor.
        7:7     axi_rd_dst_dscr => bool;
        /// AXI read error on a source descriptor.
        6:6     axi_rd_src_dscr => bool;
        /// The destination interrupt accounting counter overflowed.
        5:5     irq_dst_acct_err => bool;
        /// The source interrupt accounting counter overflowed.
        4:4     irq_src_acct_err => bool;
        /// The total byte counter overflowed.
        3:3     byte_cnt_ovrfl => bool;
        /// A destination descriptor with its INTR bit set completed.
        2:2     dst_dscr_done => bool;
        /// A source descriptor with its INTR bit set completed.
        1:1     src_dscr_done => bool;
        /// Invalid APB access.
        0:0     inv_apb => bool;
    }

    /// Interrupt mask (read only); a set bit masks that interrupt. Resets to all masked.
    pub(crate) ZDMA_CH_IMR(u32) @ 0x104 {
        11:0    mask;
    }

    /// Interrupt enable: writing 1 to a bit unmasks it.
    pub(crate) ZDMA_CH_IEN(u32) @ 0x108 {
        11:0    enable;
    }

    /// Interrupt disable: writing 1 to a bit masks it.
    pub(crate) ZDMA_CH_IDS(u32) @ 0x10c {
        11:0    disable;
    }
}

/// Every interrupt bit of the channel.
pub(crate) const INT_ALL: u32 = 0xfff;
/// The completion interrupt.
pub(crate) const INT_DONE: u32 = 1 << 10;
/// The interrupts that report a failed transfer: AXI data and descriptor errors, invalid APB
/// access.
pub(crate) const INT_ERR: u32 = (1 << 9) | (1 << 8) | (1 << 7) | (1 << 6) | (1 << 0);
/// Counter-overflow notices: the interrupt accounting counters and the total byte counter
/// wrapped. They are not transfer errors (upstream `zynqmp_dma` treats them as notices too):
/// `ZDMA_CH_TOTAL_BYTE` wraps every 4 GiB moved.
pub(crate) const INT_OVRFL: u32 = (1 << 5) | (1 << 4) | (1 << 3);

// Channel control.

register! {
    /// Channel control 0.
    pub(crate) ZDMA_CH_CTRL0(u32) @ 0x110 {
        /// Allow the channel to fetch descriptors ahead.
        7:7     ovr_fetch => bool;
        /// 0: simple (register) mode, descriptors in registers; 1: scatter-gather mode.
        6:6     point_type => bool;
        /// 0: read and write, 1: write only, 2: read only.
        5:4     mode;
        /// Use the rate control counter.
        3:3     rate_ctrl => bool;
        /// Continue from the start address registers after a pause.
        2:2     cont_addr => bool;
        /// Continue after a pause.
        1:1     cont => bool;
    }

    /// Channel control 1: outstanding AXI transactions.
    pub(crate) ZDMA_CH_CTRL1(u32) @ 0x114 {
        9:5     dst_issue;
        4:0     src_issue;
    }

    /// Channel status.
    pub(crate) ZDMA_CH_STATUS(u32) @ 0x11c {
        /// 0: disabled, 1: enabled (busy), 2: paused, 3: error.
        1:0     state;
    }

    /// AXI attributes of the data transfers.
    pub(crate) ZDMA_CH_DATA_ATTR(u32) @ 0x120 {
        27:26   arburst;
        25:22   arcache;
        21:18   arqos;
        17:14   arlen;
        13:12   awburst;
        11:8    awcache;
        7:4     awqos;
        3:0     awlen;
    }

    /// AXI attributes of the descriptor fetches.
    pub(crate) ZDMA_CH_DSCR_ATTR(u32) @ 0x124 {
        8:8     axcohrnt => bool;
        7:4     axcache;
        3:0     axqos;
    }
}

impl ZDMA_CH_STATUS {
    /// `state` value of a channel that is running a transfer.
    pub(crate) const STATE_ENABLED: u32 = 1;
    /// `state` value of a channel paused by a HALT descriptor command.
    pub(crate) const STATE_PAUSED: u32 = 2;

    /// Whether the channel is still running a transfer.
    pub(crate) fn busy(self) -> bool {
        u32::from(self.state()) == Self::STATE_ENABLED
    }

    /// Whether the channel is paused: it ignores a new enable until it is continued or taken
    /// out of the paused state (`CTRL0.CONT` with `CTRL2.EN` clear).
    pub(crate) fn paused(self) -> bool {
        u32::from(self.state()) == Self::STATE_PAUSED
    }
}

// Simple-mode descriptors.

register! {
    /// Source descriptor word 0: address bits 31:0.
    pub(crate) ZDMA_CH_SRC_DSCR_WORD0(u32) @ 0x128 {
        31:0    lsb;
    }

    /// Source descriptor word 1: address bits 48:32.
    pub(crate) ZDMA_CH_SRC_DSCR_WORD1(u32) @ 0x12c {
        16:0    msb;
    }

    /// Source descriptor word 2: transfer size in bytes.
    pub(crate) ZDMA_CH_SRC_DSCR_WORD2(u32) @ 0x130 {
        29:0    size;
    }

    /// Source descriptor word 3: control.
    pub(crate) ZDMA_CH_SRC_DSCR_WORD3(u32) @ 0x134 {
        /// 0: next, 1: halt (pause) after this descriptor, 2: stop after it.
        4:3     cmd;
        /// Raise SRC_DSCR_DONE when this descriptor completes.
        2:2     intr => bool;
        /// 0: linear, 1: linked list (scatter-gather mode).
        1:1     type_ => bool;
        /// The descriptor's data is cache coherent.
        0:0     cohrnt => bool;
    }

}

impl ZDMA_CH_SRC_DSCR_WORD3 {
    /// `cmd`: go on with the next descriptor (the end of a simple-mode transfer).
    pub(crate) const CMD_NEXT: u32 = 0;
    /// `cmd`: pause the channel after this descriptor, without `DMA_DONE`. The channel stays
    /// paused until it is continued or stopped and taken out of the paused state; the driver
    /// uses it to make a channel stall on purpose (`inject stall`).
    pub(crate) const CMD_HALT: u32 = 1;
    /// `cmd`: in scatter-gather mode, disable the channel after this descriptor, once all its
    /// data has reached the destination, and raise `DMA_DONE`: the end of a chain.
    pub(crate) const CMD_STOP: u32 = 2;
}

register! {
    /// Destination descriptor word 0: address bits 31:0.
    pub(crate) ZDMA_CH_DST_DSCR_WORD0(u32) @ 0x138 {
        31:0    lsb;
    }

    /// Destination descriptor word 1: address bits 48:32.
    pub(crate) ZDMA_CH_DST_DSCR_WORD1(u32) @ 0x13c {
        16:0    msb;
    }

    /// Destination descriptor word 2: transfer size in bytes.
    pub(crate) ZDMA_CH_DST_DSCR_WORD2(u32) @ 0x140 {
        29:0    size;
    }

    /// Destination descriptor word 3: control.
    pub(crate) ZDMA_CH_DST_DSCR_WORD3(u32) @ 0x144 {
        2:2     intr => bool;
        1:1     type_ => bool;
        0:0     cohrnt => bool;
    }

    /// Scatter-gather mode: bus address bits 31:0 of the first source descriptor, where an
    /// enable from the disabled state starts.
    pub(crate) ZDMA_CH_SRC_START_LSB(u32) @ 0x158 {
        31:0    addr;
    }

    /// Scatter-gather mode: bus address bits 48:32 of the first source descriptor.
    pub(crate) ZDMA_CH_SRC_START_MSB(u32) @ 0x15c {
        16:0    addr;
    }

    /// Scatter-gather mode: bus address bits 31:0 of the first destination descriptor.
    pub(crate) ZDMA_CH_DST_START_LSB(u32) @ 0x160 {
        31:0    addr;
    }

    /// Scatter-gather mode: bus address bits 48:32 of the first destination descriptor.
    pub(crate) ZDMA_CH_DST_START_MSB(u32) @ 0x164 {
        16:0    addr;
    }

    /// Total bytes transferred; write 1s to clear.
    pub(crate) ZDMA_CH_TOTAL_BYTE(u32) @ 0x188 {
        31:0    count;
    }

    /// Source interrupt accounting; cleared on read.
    pub(crate) ZDMA_CH_IRQ_SRC_ACCT(u32) @ 0x190 {
        7:0     count;
    }

    /// Destination interrupt accounting; cleared on read.
    pub(crate) ZDMA_CH_IRQ_DST_ACCT(u32) @ 0x194 {
        7:0     count;
    }

    /// Channel control 2: enable.
    pub(crate) ZDMA_CH_CTRL2(u32) @ 0x200 {
        /// Writing 1 starts the channel; in simple mode the hardware clears it when done.
        0:0     en => bool;
    }
}

/// Largest size a descriptor can carry (30-bit SIZE field).
pub(crate) const MAX_DSCR_SIZE: u64 = (1 << 30) - 1;

// Scatter-gather descriptors, in memory.
//
// A descriptor is the four words of the `*_DSCR_WORD0..3` registers (the same layout: address,
// size, control), followed in a linked-list (256-bit, `WORD3.TYPE` = 1) descriptor by the bus
// address of the next descriptor and two reserved words. `CMD` is valid on source descriptors
// only. A descriptor must be aligned to its size; the controller may prefetch descriptors, but
// never across a 4 KiB boundary, and it never writes them back (UG1085 "Buffer Descriptor
// Summary"; QEMU's model reads the next address at offset 16 of a linked descriptor and flags
// `AXI_RD_*_DSCR` for an unaligned one).

/// Bytes of one linked-list descriptor, and its alignment.
pub(crate) const DSCR_SIZE: usize = 32;
/// 32-bit words of one linked-list descriptor.
pub(crate) const DSCR_WORDS: usize = DSCR_SIZE / 4;
/// Word of a descriptor: data address bits 31:0 (as `*_DSCR_WORD0`).
pub(crate) const DSCR_ADDR_LSB: usize = 0;
/// Word of a descriptor: data address bits 48:32 (as `*_DSCR_WORD1`).
pub(crate) const DSCR_ADDR_MSB: usize = 1;
/// Word of a descriptor: size in bytes (as `*_DSCR_WORD2`).
pub(crate) const DSCR_SIZE_WORD: usize = 2;
/// Word of a descriptor: control (as `SRC_DSCR_WORD3` / `DST_DSCR_WORD3`).
pub(crate) const DSCR_CTRL: usize = 3;
/// Word of a linked-list descriptor: next descriptor's bus address bits 31:0.
pub(crate) const DSCR_NEXT_LSB: usize = 4;
/// Word of a linked-list descriptor: next descriptor's bus address bits 48:32.
pub(crate) const DSCR_NEXT_MSB: usize = 5;
