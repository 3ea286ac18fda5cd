// SPDX-License-Identifier: GPL-2.0

//! Interrupt-line operations that 7.2's `kernel::irq` does not wrap: waiting for running
//! handlers (`synchronize_irq`) and raising an interrupt by software for fault injection
//! (`irq_set_irqchip_state`, or `generic_handle_irq_safe` where the interrupt controller cannot
//! set a pending state, as on the BCM2835).

use kernel::{
    bindings,
    error::to_result,
    prelude::*, //
};

/// An interrupt number taken from a device's resources (`IrqRequest::irq`), whose descriptor
/// exists for as long as the system does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line(u32);

impl Line {
    /// The interrupt `irq` of a device, as its `IrqRequest` gives it.
    pub(crate) fn new(irq: u32) -> Self {
        Self(irq)
    }

    /// The Linux interrupt number.
    pub(crate) fn number(self) -> u32 {
        self.0
    }

    /// Waits until no handler of this interrupt runs on another CPU (`synchronize_irq`).
    pub(crate) fn synchronize(self) {
        // SAFETY: `self.0` is a valid interrupt number (see the type's invariant); waiting for
        // its handlers has no other precondition, registered or not.
        unsafe { bindings::synchronize_irq(self.0) };
    }

    /// Raises the interrupt with no cause in the device: sets it pending at the interrupt
    /// controller or, when the controller cannot, runs its handlers as the interrupt flow would.
    pub(crate) fn raise(self) -> Result {
        // SAFETY: `self.0` is a valid interrupt number; setting the pending state of an
        // interrupt at its controller has no other precondition.
        let ret = unsafe {
            bindings::irq_set_irqchip_state(
                self.0,
                bindings::irqchip_irq_state_IRQCHIP_STATE_PENDING,
                true,
            )
        };
        if ret == 0 {
            return Ok(());
        }
        // SAFETY: `self.0` is a valid interrupt number; `generic_handle_irq_safe` may be called
        // from any context (it disables local interrupts around the flow handler).
        to_result(unsafe { bindings::generic_handle_irq_safe(self.0) })
    }
}
