// SPDX-License-Identifier: GPL-2.0

//! The Broadcom BCM2835 DMA controller family (device tree compatible `brcm,bcm2835-dma`), as in
//! the Raspberry Pi: one device with up to fifteen channels, the usable ones given by
//! `brcm,dma-channel-mask`; one interrupt per channel, channels 11 to 14 sharing one.
//!
//! Every copy runs as a chain of control blocks in coherent memory, one block per
//! [`Engine::max_block`] bytes (65532 on a Lite channel). The interrupt enable is a bit of the
//! control block, so it cannot be turned on once a copy runs: copies are not polled for, and
//! each completes by its interrupt.

use kernel::{
    device::{
        Bound,
        Core,
        Device, //
    },
    devres::Devres,
    dma::{
        Coherent,
        DmaMask, //
    },
    dma_write,
    io::{
        mem::IoMem,
        poll::read_poll_timeout_atomic,
        register::Array,
        Io, //
    },
    irq::IrqRequest,
    platform,
    prelude::*,
    str::CString,
    sync::Arc,
    time::Delta,
};

use crate::{
    engine::{
        Ended,
        Engine,
        Family,
        HwChannel,
        Xfer,
        CHAIN_POOL, //
    },
    stand_in,
};

mod regs;

use regs::*;

/// The family, for the driver's device table.
pub(crate) const FAMILY: Family = Family { probe };

/// Name of this controller in `struct dmacopy_info`.
const CONTROLLER: &CStr = c"bcm2835-dma";

/// The controller's register block, shared by its channels; revoked when the device is unbound.
type Regs = Devres<IoMem<'static, REGS_MIN>>;

/// One channel of a BCM2835 DMA controller.
struct Bcm2835 {
    regs: Arc<Regs>,
    /// The hardware channel number (0 to 14).
    hw: usize,
    reg_base: u64,
    /// Bytes per control block at most.
    max_block: usize,
    /// The control blocks of one copy, [`CB_WORDS`] words each (turn holder only); freed at
    /// unbind, while the device is still bound.
    cbs: Arc<Devres<Coherent<[u32]>>>,
    /// This channel's control blocks: `cb_count` of them from block `cb_base` of `cbs`.
    cb_base: usize,
    cb_count: usize,
}

fn probe<'a>(pdev: &'a platform::Device<Core<'_>>, max_len: usize) -> Result<KVec<HwChannel<'a>>> {
    let dev = pdev.as_ref();
    // The controller drives 32-bit bus addresses. A mapped segment of any length is fine: the
    // chain builder cuts pieces into control blocks of at most a channel's `max_block` bytes.
    stand_in::dma::set_limits_in_probe(pdev, DmaMask::new::<32>(), u32::MAX)?;
    let mask: u32 = dev
        .fwnode()
        .ok_or(ENODEV)?
        .property_read(c"brcm,dma-channel-mask")
        .required_by(dev)?;
    let res = pdev.resource_by_index(0).ok_or(ENODEV)?;
    let (base, size) = (res.start(), res.size());
    let io = pdev
        .io_request_by_index(0)
        .ok_or(ENODEV)?
        .iomap_sized::<REGS_MIN>()?;
    let regs = Arc::new(io.into_devres()?, GFP_KERNEL)?;

    let mut found = KVec::<(usize, IrqRequest<'a>)>::new();
    for hw in 0..CHANNELS {
        if mask & (1 << hw) == 0 {
            continue;
        }
        // CAST: `hw < 15`; the register block is far below 4 GiB.
        if ((hw + 1) * CHANNEL_STRIDE) as u64 > size {
            dev_warn!(
                dev,
                "channel {} is outside the register block; skipped\n",
                hw
            );
            continue;
        }
        found.push((hw, channel_irq(pdev, hw)?), GFP_KERNEL)?;
    }

    // Each channel's largest block, and so its share of the control blocks.
    let mut blocks = KVec::with_capacity(found.len(), GFP_KERNEL)?;
    for (hw, _) in found.iter() {
        let lite = regs
            .try_access()
            .ok_or(ENODEV)?
            .try_read(DEBUG::try_at(*hw).ok_or(EINVAL)?)?
            .lite();
        let max_block = if lite { MAX_BLOCK_LITE } else { MAX_BLOCK };
        blocks.push(
            (max_block, max_len.div_ceil(max_block).max(CHAIN_POOL)),
            GFP_KERNEL,
        )?;
    }
    // One allocation for every channel's control blocks: one `Devres` per device, not per
    // channel, as each costs an RCU grace period when the device is unbound while files keep
    // the channels.
    let total = blocks.iter().map(|&(_, n)| n).sum::<usize>();
    let cbs = Coherent::<u32>::zeroed_slice(dev, total * CB_WORDS, GFP_KERNEL)?;
    let cbs = Arc::new(Devres::new(dev, cbs)?, GFP_KERNEL)?;

    let mut chans = KVec::with_capacity(found.len(), GFP_KERNEL)?;
    let mut cb_base = 0;
    for (i, ((hw, irq), &(max_block, cb_count))) in found.iter().zip(blocks.iter()).enumerate() {
        let hw = *hw;
        let shared_irq = found
            .iter()
            .enumerate()
            .any(|(j, (_, other))| j != i && other.irq() == irq.irq());
        let engine = Arc::new(
            Bcm2835 {
                regs: regs.clone(),
                hw,
                // CAST: `hw < 15`.
                reg_base: base + (hw * CHANNEL_STRIDE) as u64,
                max_block,
                cbs: cbs.clone(),
                cb_base,
                cb_count,
            },
            GFP_KERNEL,
        )?;
        cb_base += cb_count;
        // Idle: no chain loaded, no interrupt pending, no error flag.
        let _ = engine.stop();
        chans.push((engine, shared_irq), GFP_KERNEL)?;
    }

    let mut out = KVec::with_capacity(chans.len(), GFP_KERNEL)?;
    for ((engine, shared_irq), (_, irq)) in chans.into_iter().zip(found) {
        out.push(
            HwChannel {
                engine,
                irq,
                shared_irq,
            },
            GFP_KERNEL,
        )?;
    }
    Ok(out)
}

/// The interrupt of hardware channel `hw`: the one named `dmaN`, or in a device tree without
/// interrupt names, the `hw`-th (channels 11 to 14 share the 11th).
fn channel_irq<'a>(pdev: &'a platform::Device<Core<'_>>, hw: usize) -> Result<IrqRequest<'a>> {
    let name = CString::try_from_fmt(fmt!("dma{hw}"))?;
    match pdev.optional_irq_by_name(&name) {
        Ok(irq) => Ok(irq),
        // CAST: `hw < 15`.
        Err(_) => pdev.irq_by_index(hw.min(11) as u32),
    }
}

impl Bcm2835 {
    /// Reads `CS`, or 0 once unbound.
    fn read_cs(&self, io: &IoMem<'static, REGS_MIN>) -> u32 {
        CS::try_at(self.hw)
            .and_then(|loc| io.try_read(loc).ok())
            .map_or(0, |cs| cs.into_raw())
    }

    fn write_cs(&self, io: &IoMem<'static, REGS_MIN>, cs: CS) {
        if let Some(loc) = CS::try_at(self.hw) {
            let _ = io.try_write(loc, cs);
        }
    }

    /// The channel's `CS` if its `INT` is set, clearing `INT` (which lowers the line) and
    /// `END`; 0 otherwise (on a shared line, only a channel whose own `INT` is set raised the
    /// interrupt).
    fn take_int(&self, io: &IoMem<'static, REGS_MIN>) -> u32 {
        let cs = self.read_cs(io);
        if cs & CS_INT == 0 {
            return 0;
        }
        self.write_cs(io, CS::from_raw(CS_END | CS_INT));
        cs
    }

    fn read_conblk_ad(&self, io: &IoMem<'static, REGS_MIN>) -> u32 {
        CONBLK_AD::try_at(self.hw)
            .and_then(|loc| io.try_read(loc).ok())
            .map_or(0, |r| r.into_raw())
    }

    /// Writes the control blocks of `chain` into `cbs`, one per [`Engine::max_block`] bytes of
    /// each piece, linked in order, the interrupt (with `irq`) on the last; returns the bus
    /// address of the first.
    fn build_chain(&self, cbs: &Coherent<[u32]>, chain: &[Xfer], irq: bool) -> Result<u32> {
        let mut blocks = 0usize;
        for x in chain {
            if x.len == 0 || x.len % 4 != 0 || x.src % 4 != 0 || x.dst % 4 != 0 {
                return Err(EINVAL);
            }
            blocks = blocks.checked_add(self.descriptors(x.len)).ok_or(EINVAL)?;
        }
        if blocks == 0 || blocks > self.cb_count {
            return Err(EINVAL);
        }
        let bus = |addr: u64| u32::try_from(addr).map_err(|_| EINVAL);
        // CAST: the pool is far below 4 GiB.
        let base = self.cb_base * CB_WORDS;
        let first = bus(cbs.dma_handle() + (base * 4) as u64)?;
        let mut b = 0;
        for x in chain {
            let mut off = 0;
            while off < x.len {
                let len = self.max_block.min(x.len - off);
                b += 1;
                let last = b == blocks;
                // CAST: offsets and lengths are below 1 GiB; bus addresses are 64 bits.
                let (src, dst) = (bus(x.src + off as u64)?, bus(x.dst + off as u64)?);
                let ti = TI_SRC_INC
                    | TI_DEST_INC
                    | TI_WAIT_RESP
                    | if last && irq { TI_INTEN } else { 0 };
                // CAST: each block is 32 bytes, and there are at most `cb_count` of them, whose
                // bus addresses fit 32 bits (checked above for the first and the mask for all).
                let next = if last {
                    0
                } else {
                    first + (b * CB_WORDS * 4) as u32
                };
                let mut words = [0u32; CB_WORDS];
                words[CB_TI] = ti;
                words[CB_SOURCE_AD] = src;
                words[CB_DEST_AD] = dst;
                // CAST: `len <= max_block < 2^30`.
                words[CB_TXFR_LEN] = len as u32;
                words[CB_STRIDE] = 0;
                words[CB_NEXTCONBK] = next;
                for (k, w) in words.into_iter().enumerate() {
                    dma_write!(cbs, [try: base + (b - 1) * CB_WORDS + k], w);
                }
                off += len;
            }
        }
        Ok(first)
    }
}

impl Engine for Bcm2835 {
    fn controller(&self) -> &'static CStr {
        CONTROLLER
    }

    fn reg_base(&self) -> u64 {
        self.reg_base
    }

    fn align(&self) -> u32 {
        // The controller moves 32-bit words; QEMU's model never ends a chain whose length is
        // not a multiple of 4.
        4
    }

    fn max_block(&self) -> usize {
        self.max_block
    }

    fn max_descriptors(&self) -> usize {
        self.cb_count
    }

    fn sg(&self) -> bool {
        // Every copy is a control-block chain.
        true
    }

    fn polls(&self) -> bool {
        false
    }

    fn injected_error(&self) -> u32 {
        CS_ERROR
    }

    fn overflow_notices(&self) -> u32 {
        0
    }

    fn start(&self, chain: &[Xfer], irq: bool, stall: bool) -> Result {
        let cbs = self.cbs.try_access().ok_or(ENODEV)?;
        let first = self.build_chain(&cbs, chain, irq)?;
        let io = self.regs.try_access().ok_or(ENODEV)?;
        let loc = CONBLK_AD::try_at(self.hw).ok_or(EINVAL)?;
        io.try_write(loc, CONBLK_AD::from_raw(first))?;
        if stall {
            // The chain is loaded but the channel stays paused: nothing ever completes.
            return Ok(());
        }
        // `writel` orders the control blocks' writes before this one.
        self.write_cs(
            &io,
            CS::zeroed()
                .with_active(true)
                .with_wait_for_outstanding_writes(true),
        );
        Ok(())
    }

    fn take_done(&self) -> u32 {
        let Some(io) = self.regs.try_access() else {
            return 0;
        };
        let cs = self.read_cs(&io);
        let ended = cs & CS_ERROR != 0 || (cs & CS_END != 0 && self.read_conblk_ad(&io) == 0);
        if !ended {
            return 0;
        }
        self.write_cs(&io, CS::from_raw(CS_END | CS_INT));
        cs
    }

    fn unmask(&self) {
        // The interrupt enable is in the control block; `polls` is false, so this is not
        // called for a running copy.
    }

    fn take_irq_status(&self, dev: &Device<Bound>) -> u32 {
        let Ok(io) = self.regs.access(dev) else {
            return 0;
        };
        self.take_int(io)
    }

    fn take_pending(&self) -> u32 {
        let Some(io) = self.regs.try_access() else {
            return 0;
        };
        self.take_int(&io)
    }

    fn mask(&self) {
        // Only the last control block of a chain raises the interrupt: once it has, nothing
        // more comes until the next copy.
    }

    fn ended(&self, status: u32) -> Ended {
        if status & CS_ERROR != 0 {
            Ended::Failed
        } else if status & (CS_INT | CS_END) != 0 {
            Ended::Done
        } else {
            Ended::No
        }
    }

    fn stop(&self) -> Result<u32> {
        let Some(io) = self.regs.try_access() else {
            return Ok(0);
        };
        let cs = self.read_cs(&io);
        // Pause the channel and clear END and INT (which lowers the interrupt line: a reset
        // alone leaves QEMU's raised).
        self.write_cs(&io, CS::from_raw(CS_END | CS_INT));
        // TIMEOUT: a paused channel finishes its outstanding AXI writes within microseconds;
        // 10 ms is far beyond that. Polled without sleeping: this may run in an RCU read-side
        // section.
        let drained = read_poll_timeout_atomic(
            || Ok(self.read_cs(&io)),
            |&cs| !CS::from_raw(cs).waiting_for_outstanding_writes(),
            Delta::from_micros(1),
            10_000,
        );
        self.write_cs(&io, CS::zeroed().with_reset(true));
        if let Some(loc) = DEBUG::try_at(self.hw) {
            let _ = io.try_write(loc, DEBUG::from_raw(DEBUG_ERRORS));
        }
        drained.map(|_| cs)
    }
}
