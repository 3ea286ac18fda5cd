// SPDX-License-Identifier: GPL-2.0

//! Interrupt-line operations that 7.2's `kernel::irq` does not wrap: waiting for running
//! handlers (`synchronize_irq`) and raising an interrupt by software for fault injection
//! (`irq_set_irqchip_state`, or `generic_handle_irq_safe` where the interrupt controller cannot
//! set a pending state, as on the BCM2835).

use kernel::{
    bindings,
    error::to_result,
    irq::IrqRequest,
    prelude::*, //
};

/// An interrupt of a device, as its `IrqRequest` gives it.
///
/// # Invariants
///
/// `self.0` is a Linux interrupt number mapped for a device, whose descriptor exists for as long
/// as the system does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line(u32);

impl Line {
    /// The interrupt that `request` asks for.
    pub(crate) fn of(request: &IrqRequest<'_>) -> Self {
        // INVARIANT: an `IrqRequest` holds an interrupt number of its device.
        Self(request.irq())
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
    pub(crate) fn raise(self) -> Result<Raised> {
        // SAFETY: `self.0` is a valid interrupt number; setting the pending state of an
        // interrupt at its controller has no other precondition.
        let ret = unsafe {
            bindings::irq_set_irqchip_state(
                self.0,
                bindings::irqchip_irq_state_IRQCHIP_STATE_PENDING,
                true,
            )
        };
        // EINVAL: the interrupt controller cannot set a pending state (no
        // `irq_set_irqchip_state`); anything else is a real failure.
        if ret != -(bindings::EINVAL as c_int) {
            return to_result(ret).map(|()| Raised::Pending);
        }
        // SAFETY: `self.0` is a valid interrupt number; `generic_handle_irq_safe` may be called
        // from any context (it disables local interrupts around the flow handler).
        to_result(unsafe { bindings::generic_handle_irq_safe(self.0) }).map(|()| Raised::Handled)
    }
}

/// How [`Line::raise`] raised an interrupt.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raised {
    /// Pending at the interrupt controller: the handlers run soon, on some CPU.
    Pending,
    /// The flow handler ran before `raise` returned. It skips the handlers when another CPU is
    /// running them at that moment.
    Handled,
}
