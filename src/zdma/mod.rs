// SPDX-License-Identifier: GPL-2.0

//! The Xilinx ZynqMP/Versal ZDMA family (device tree compatible `xlnx,zynqmp-dma-1.0`): one
//! device per channel. A copy of one piece runs in simple (register) mode, the fastest to
//! program; a chain of several pieces (or a piece longer than one descriptor) runs in
//! scatter-gather mode from the channel's descriptor pool ([`chain`]), with one completion at
//! its end. The completion interrupt can be masked while a copy runs, so short copies are
//! polled for.

use kernel::{
    clk::OptionalClk,
    device::{
        Bound,
        Core,
        Device, //
    },
    devres::Devres,
    dma::DmaMask,
    platform,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
    },
};

use crate::{
    engine::{
        Ended,
        Engine,
        Family,
        HwChannel,
        Xfer, //
    },
    stand_in,
};

mod chain;
mod hw;
mod regs;

use hw::Regs;

/// The family, for the driver's device table.
pub(crate) const FAMILY: Family = Family { probe };

/// Largest length of one copy: the descriptor's 30-bit size field.
pub(crate) const MAX_LEN: u64 = regs::MAX_DSCR_SIZE;

/// The interrupt status of an injected error: an AXI read error on the data.
const INJECTED_ERROR: u32 = 1 << 8;

/// The channel's clocks (device tree `clock-names`: `clk_main` and `clk_apb`, as for the
/// upstream `zynqmp_dma`), enabled while the channel is ours. On a board, the kernel turns off
/// clocks no driver has enabled late in boot, and `zynqmp_dma` turns them off when its channel
/// idles or is unbound: without them the registers do not answer. A device tree without them
/// leaves both absent, a no-op (QEMU's names both, a fixed clock).
struct Clocks {
    main: OptionalClk,
    apb: OptionalClk,
}

impl Clocks {
    fn enable(dev: &Device) -> Result<Self> {
        let main = OptionalClk::get(dev, Some(c"clk_main"))?;
        let apb = OptionalClk::get(dev, Some(c"clk_apb"))?;
        main.prepare_enable().inspect_err(|e| {
            dev_err!(dev, "cannot enable clock clk_main: {:?}\n", e);
        })?;
        if let Err(e) = apb.prepare_enable() {
            dev_err!(dev, "cannot enable clock clk_apb: {:?}\n", e);
            main.disable_unprepare();
            return Err(e);
        }
        Ok(Self { main, apb })
    }
}

impl Drop for Clocks {
    fn drop(&mut self) {
        self.apb.disable_unprepare();
        self.main.disable_unprepare();
    }
}

/// One ZDMA channel.
struct Zdma {
    /// The channel's registers; revoked when the device is unbound.
    regs: Devres<Regs<'static>>,
    /// Enabled as long as anything may reach the channel (dropped after its registers).
    _clocks: Clocks,
    reg_base: u64,
    /// The descriptor registers as last written, and the mode (turn holder only).
    shadow: hw::Shadow,
    /// The descriptor lists of scatter-gather mode (turn holder only).
    pool: chain::Pool,
    /// Bytes counted by the controller's `TOTAL_BYTE` since it was last cleared (turn holder
    /// only).
    counted: Atomic<u64>,
}

fn probe<'a>(pdev: &'a platform::Device<Core<'_>>, max_len: usize) -> Result<KVec<HwChannel<'a>>> {
    // CAST: a `usize` fits a `u64`.
    if max_len as u64 > MAX_LEN {
        return Err(EINVAL);
    }
    // The controller drives 44 address bits. A mapped segment of any length is fine: the chain
    // builder cuts pieces into descriptors of at most `chain::MAX_BLOCK` bytes.
    stand_in::dma::set_limits_in_probe(pdev, DmaMask::new::<44>(), u32::MAX)?;
    let reg_base = pdev.resource_by_index(0).ok_or(ENODEV)?.start();
    // Before the first register access.
    let clocks = Clocks::enable(pdev.as_ref())?;
    let io = pdev
        .io_request_by_index(0)
        .ok_or(ENODEV)?
        .iomap_sized::<{ regs::REGS_SIZE }>()?;
    hw::init(&io);
    let regs = io.into_devres()?;
    let engine = Arc::new(
        Zdma {
            regs,
            _clocks: clocks,
            reg_base,
            shadow: hw::Shadow::new(),
            pool: chain::Pool::new(pdev.as_ref())?,
            counted: Atomic::new(0),
        },
        GFP_KERNEL,
    )?;
    let mut chans = KVec::new();
    chans.push(
        HwChannel {
            engine,
            irq: pdev.irq_by_index(0)?,
            shared_irq: false,
        },
        GFP_KERNEL,
    )?;
    Ok(chans)
}

impl Zdma {
    /// Accounts for `bytes` about to be moved, and returns whether the controller's 32-bit byte
    /// counter `TOTAL_BYTE` must be cleared first: it raises BYTE_CNT_OVRFL when it wraps, so
    /// it is cleared before it would. (A chain of more than 4 GiB wraps it while it runs: the
    /// notice comes, and the copy succeeds.)
    fn count(&self, bytes: u64) -> bool {
        let counted = self.counted.load(Relaxed).saturating_add(bytes);
        let clear = counted > u64::from(u32::MAX);
        let now = if clear { bytes } else { counted };
        self.counted.store(now & u64::from(u32::MAX), Relaxed);
        clear
    }
}

impl Engine for Zdma {
    fn controller(&self) -> &'static CStr {
        hw::CONTROLLER
    }

    fn reg_base(&self) -> u64 {
        self.reg_base
    }

    fn align(&self) -> u32 {
        1
    }

    fn max_block(&self) -> usize {
        chain::MAX_BLOCK
    }

    fn max_descriptors(&self) -> usize {
        chain::POOL
    }

    fn sg(&self) -> bool {
        true
    }

    fn polls(&self) -> bool {
        true
    }

    fn injected_error(&self) -> u32 {
        INJECTED_ERROR
    }

    fn overflow_notices(&self) -> u32 {
        regs::INT_OVRFL
    }

    fn start(&self, pieces: &[Xfer], irq: bool, stall: bool) -> Result {
        let regs = match pieces {
            [xfer] if xfer.len <= chain::MAX_BLOCK => {
                // CAST: `len <= MAX_BLOCK < 2^30`.
                let len = xfer.len as u32;
                if len == 0 {
                    return Err(EINVAL);
                }
                let regs = self.regs.try_access().ok_or(ENODEV)?;
                let clear = self.count(u64::from(len));
                hw::start(&regs, &self.shadow, xfer.src, xfer.dst, len, clear, stall);
                regs
            }
            _ => {
                let total = self.pool.build(pieces, stall)?;
                let regs = self.regs.try_access().ok_or(ENODEV)?;
                let clear = self.count(total);
                hw::start_chain(
                    &regs,
                    &self.shadow,
                    self.pool.src_list(),
                    self.pool.dst_list(),
                    clear,
                );
                regs
            }
        };
        if irq {
            hw::unmask(&regs);
        }
        Ok(())
    }

    fn take_done(&self) -> u32 {
        self.regs
            .try_access()
            .map_or(0, |regs| hw::take_done(&regs))
    }

    fn unmask(&self) {
        if let Some(regs) = self.regs.try_access() {
            hw::unmask(&regs);
        }
    }

    fn take_irq_status(&self, dev: &Device<Bound>) -> u32 {
        self.regs
            .access(dev)
            .map_or(0, |regs| hw::take_irq_status(regs))
    }

    fn take_pending(&self) -> u32 {
        self.regs
            .try_access()
            .map_or(0, |regs| hw::take_irq_status(&regs))
    }

    fn mask(&self) {
        if let Some(regs) = self.regs.try_access() {
            hw::mask_all(&regs);
        }
    }

    fn ended(&self, status: u32) -> Ended {
        if status & regs::INT_ERR != 0 {
            Ended::Failed
        } else if status & regs::INT_DONE != 0 {
            Ended::Done
        } else {
            Ended::No
        }
    }

    fn stop(&self) -> Result<u32> {
        let res = match self.regs.try_access() {
            Some(regs) => hw::stop(&regs),
            None => Ok(0),
        };
        // `init` cleared the byte counter, and the registers are to be written afresh.
        self.counted.store(0, Relaxed);
        self.shadow.forget();
        res
    }
}
