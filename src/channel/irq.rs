// SPDX-License-Identifier: GPL-2.0

//! The channel's interrupt handler.

use kernel::{
    device::{
        Bound,
        Device, //
    },
    irq::{
        self,
        IrqReturn, //
    },
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Full,
            Relaxed,
            Release, //
        },
        Arc,
    },
};

use super::{
    fault::Fault,
    Channel, //
};
use crate::engine::Ended;

/// The channel's interrupt handler.
#[pin_data]
pub(crate) struct IrqHandler {
    chan: Arc<Channel>,
}

impl IrqHandler {
    pub(crate) fn new(chan: Arc<Channel>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self { chan })
    }
}

impl irq::Handler for IrqHandler {
    fn handle(&self, dev: &Device<Bound>) -> IrqReturn {
        self.chan.handle_irq(dev)
    }
}

impl Channel {
    /// Takes the channel's interrupt status, records a completion and wakes the copier.
    /// Returns [`IrqReturn::None`] when the interrupt was not raised by this channel.
    fn handle_irq(&self, dev: &Device<Bound>) -> IrqReturn {
        let status = self.engine.take_irq_status(dev);
        if status == 0 {
            // On a shared line this is usually another channel's interrupt; it counts as
            // spurious here only when it was raised for this channel (`inject spurious`).
            // While the copier stops the channel, the status of an interrupt already on its
            // way may have been cleared by the stop: that one is not spurious either.
            let raised = self.spurious_raised.xchg(false, Relaxed);
            let stopping = self.stopping.load(Acquire);
            if (!self.cfg.shared_irq && !stopping) || raised {
                self.stats.spurious_irqs.add(1, Relaxed);
            }
            return IrqReturn::None;
        }
        self.stats.irqs.add(1, Relaxed);
        if self.engine.ended(status) == Ended::No {
            return IrqReturn::Handled;
        }
        // The transfer has ended: no further interrupt until the next one is programmed.
        self.engine.mask();
        // Claim the completion: after a timeout the copier may take it from the controller
        // at the same time (`completed_late`); whoever clears `in_flight` records it.
        if self.in_flight.cmpxchg(true, false, Full).is_err() {
            return IrqReturn::Handled;
        }
        let Some(status) = Fault::from_raw(self.fault.load(Relaxed)).apply(status, &*self.engine)
        else {
            return IrqReturn::Handled;
        };
        self.done_ns.store(self.now_ns(), Relaxed);
        self.status.store(status, Release);
        self.done.complete();
        IrqReturn::Handled
    }
}
