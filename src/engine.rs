// SPDX-License-Identifier: GPL-2.0

//! The engine interface: what a DMA controller family supplies, and nothing else.
//!
//! A family ([`Family`]) probes a device: it sets the DMA mask, maps the registers, puts every
//! channel in its idle state, and returns one [`HwChannel`] per usable channel (a ZDMA device
//! has one; a BCM2835 device has up to fifteen). Each channel's [`Engine`] starts copies, reads
//! and acknowledges its interrupt status, tells done from error from notice, and stops and
//! resets the channel. Everything else (request checking, the turn, the buffer window, the
//! ioctls, statistics, fault injection, calibration, unbind) is shared and knows no controller.
//!
//! Register access from process context is revocable (`Devres::try_access`): once the device
//! is unbound, [`Engine::start`] fails with `ENODEV` and the other calls do nothing. Nothing
//! here sleeps: it may run inside an RCU read-side section and from the interrupt handler.

use kernel::{
    device::{
        Bound,
        Core,
        Device, //
    },
    dma::DmaAddress,
    irq::IrqRequest,
    platform,
    prelude::*,
    sync::Arc,
};

/// One piece of a copy for the controller: `len` bytes from bus address `src` to bus address
/// `dst`, all three multiples of [`Engine::align`], within memory the DMA mask reaches. A copy
/// is a chain of pieces ([`Engine::start`]).
#[derive(Clone, Copy)]
pub(crate) struct Xfer {
    pub(crate) src: DmaAddress,
    pub(crate) dst: DmaAddress,
    pub(crate) len: usize,
}

/// Descriptors (control blocks) in each channel's pool at least: a chain of pieces uses one per
/// [`Engine::max_block`] bytes of each piece, and longer chains are started in turns.
pub(crate) const CHAIN_POOL: usize = 512;

/// What an interrupt status says about the transfer it was read during.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Still running; the status holds notices only (e.g. a counter overflow).
    No,
    /// Complete.
    Done,
    /// Ended with an error.
    Failed,
}

/// One DMA channel of a controller family.
pub(crate) trait Engine: Send + Sync {
    /// The controller model, reported in `struct dmacopy_info` (at most 15 bytes).
    fn controller(&self) -> &'static CStr;

    /// Physical address of the channel's registers.
    fn reg_base(&self) -> u64;

    /// DMA copies need offsets and lengths that are multiples of this.
    fn align(&self) -> u32;

    /// The largest length one descriptor (control block) moves; longer pieces take several.
    fn max_block(&self) -> usize;

    /// Descriptors one chain may use ([`Engine::start`]): at least 1, and enough for a piece of
    /// the `max_len` the family's probe was given.
    fn max_descriptors(&self) -> usize;

    /// Descriptors a piece of `len` bytes uses.
    fn descriptors(&self, len: usize) -> usize {
        len.div_ceil(self.max_block()).max(1)
    }

    /// Whether chains of several pieces run in the controller's scatter-gather (descriptor)
    /// mode, with one completion at the end of the chain (`DMACOPY_CAP_SG`).
    fn sg(&self) -> bool;

    /// Whether a copy can start with its completion interrupt masked and have it unmasked
    /// later ([`Engine::unmask`]), so that a short copy is polled for. Without that, every copy
    /// starts with its interrupt enabled and completes by it.
    fn polls(&self) -> bool;

    /// The interrupt-status bits of an injected error (`inject error`).
    fn injected_error(&self) -> u32;

    /// The controller's counter-overflow notices (`inject overflow`); 0 if it has none, and
    /// then `overflow` is not offered.
    fn overflow_notices(&self) -> u32;

    /// Programs the chain of pieces `chain` (copied in order, one completion at its end) and
    /// starts it, its completion interrupt enabled with `irq` (masked for polling otherwise,
    /// where [`Engine::polls`]). With `stall`, the channel is made to stop without completing
    /// instead (fault injection): no completion ever comes, and only [`Engine::stop`] brings it
    /// back. The caller has armed its completion first: on QEMU the copy happens inside the
    /// register write that starts it.
    ///
    /// `EINVAL` if `chain` is empty, a piece is empty or misaligned, or the pieces need more
    /// than [`Engine::max_descriptors`] descriptors; `ENODEV` once unbound.
    fn start(&self, chain: &[Xfer], irq: bool, stall: bool) -> Result;

    /// The raw interrupt status if the transfer has ended (done or failed), cleared; 0 while it
    /// runs. For polling with the interrupt masked.
    fn take_done(&self) -> u32;

    /// Unmasks the completion interrupt of the running transfer; one that is pending already
    /// is raised at once.
    fn unmask(&self);

    /// From the interrupt handler: the status of this channel's interrupt if it raised one
    /// (cleared), or 0 if the interrupt is not this channel's.
    fn take_irq_status(&self, dev: &Device<Bound>) -> u32;

    /// As [`Engine::take_irq_status`], from process context (a completion whose interrupt is
    /// late).
    fn take_pending(&self) -> u32;

    /// Masks the channel's interrupts (its transfer has ended).
    fn mask(&self);

    /// What `status`, a raw interrupt status, says about the transfer.
    fn ended(&self, status: u32) -> Ended;

    /// Stops the channel and returns it to its idle state. Returns the raw status found when
    /// stopping, or `ETIMEDOUT` if it would not stop (it is reset either way).
    fn stop(&self) -> Result<u32>;
}

/// A channel found by a family's probe.
pub(crate) struct HwChannel<'a> {
    pub(crate) engine: Arc<dyn Engine>,
    /// The channel's interrupt.
    pub(crate) irq: IrqRequest<'a>,
    /// Other channels of the device share the interrupt.
    pub(crate) shared_irq: bool,
}

/// A controller family: how to probe one of its devices.
#[derive(Clone, Copy)]
pub(crate) struct Family {
    /// Sets the DMA mask, maps the registers, puts every usable channel in its idle state, and
    /// returns them in hardware order. Copies will be `max_len` bytes long at most.
    pub(crate) probe:
        for<'a> fn(&'a platform::Device<Core<'_>>, usize) -> Result<KVec<HwChannel<'a>>>,
}
