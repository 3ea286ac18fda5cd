// SPDX-License-Identifier: GPL-2.0

//! Fault injection (debugfs `inject`): faults armed for the next DMA copy of a channel, and
//! how each maps onto the channel's controller.

use kernel::{
    io::poll::read_poll_timeout,
    prelude::*,
    processor::cpu_relax,
    sync::atomic::Relaxed,
    time::Delta, //
};

use super::Channel;
use crate::{
    engine::Engine,
    stand_in::irq::Raised, //
};

/// Faults that debugfs `inject` can arm for the next DMA copy.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Fault {
    /// Nothing armed.
    None = 0,
    /// The completion interrupt is ignored, so the copy times out.
    Timeout = 1,
    /// The copy completes as if the controller had flagged an error.
    Error = 2,
    /// An interrupt arrives while no copy is in flight.
    Spurious = 3,
    /// The copy completes with the controller's counter-overflow notices set; it succeeds.
    /// Offered only by controllers that have such notices.
    Overflow = 4,
    /// The controller stops without completing, as on a dead bus: only the timeout (or a
    /// signal, or unbind) and a real stop and reset of the channel bring it back.
    Stall = 5,
    /// The copy is still running when the driver stops polling for it: it completes by its
    /// interrupt, as a long copy does. (Where copies are not polled for, every copy does.)
    Slow = 6,
}

impl Fault {
    /// The words `inject` reads and writes.
    pub(crate) const NAMES: [(&'static str, Fault); 7] = [
        ("none", Fault::None),
        ("timeout", Fault::Timeout),
        ("error", Fault::Error),
        ("spurious", Fault::Spurious),
        ("overflow", Fault::Overflow),
        ("stall", Fault::Stall),
        ("slow", Fault::Slow),
    ];

    pub(super) fn from_raw(v: u32) -> Self {
        match v {
            1 => Fault::Timeout,
            2 => Fault::Error,
            3 => Fault::Spurious,
            4 => Fault::Overflow,
            5 => Fault::Stall,
            6 => Fault::Slow,
            _ => Fault::None,
        }
    }

    /// The fault named `word`.
    pub(crate) fn from_name(word: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, f)| *f)
    }

    /// The word for this fault.
    pub(crate) fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("none", |(n, _)| n)
    }

    /// Whether `engine`'s controller can show this fault.
    fn offered_by(self, engine: &dyn Engine) -> bool {
        match self {
            Fault::Overflow => engine.overflow_notices() != 0,
            _ => true,
        }
    }

    /// The completion status of a copy under this fault, from the controller's `status`;
    /// `None` when the completion is to be ignored.
    pub(super) fn apply(self, status: u32, engine: &dyn Engine) -> Option<u32> {
        match self {
            Fault::Timeout => None,
            Fault::Error => Some(status | engine.injected_error()),
            Fault::Overflow => Some(status | engine.overflow_notices()),
            Fault::None | Fault::Spurious | Fault::Stall | Fault::Slow => Some(status),
        }
    }
}

impl Channel {
    /// The fault armed for the next DMA copy.
    pub(crate) fn armed_fault(&self) -> Fault {
        Fault::from_raw(self.inject.load(Relaxed))
    }

    /// Arms `fault` for the next DMA copy; `EINVAL` if the controller cannot show it.
    pub(crate) fn arm_fault(&self, fault: Fault) -> Result {
        if !fault.offered_by(&*self.engine) {
            return Err(EINVAL);
        }
        self.inject.store(fault as u32, Relaxed);
        Ok(())
    }

    /// Takes the armed fault for the copy about to start.
    pub(super) fn take_fault(&self) -> Fault {
        Fault::from_raw(self.inject.xchg(Fault::None as u32, Relaxed))
    }

    /// Raises the channel's interrupt with no cause in the controller, and waits briefly for
    /// the handler to see it. A raise by software that the interrupt flow dropped (the line's
    /// handler was running on another CPU) is made again, a few times at most.
    pub(super) fn raise_spurious_irq(&self) {
        let before = self.stats.spurious_irqs.load(Relaxed);
        for _ in 0..5 {
            // On a shared line the handler counts an interrupt with no cause of this channel's
            // only when it was raised here.
            self.spurious_raised.store(true, Relaxed);
            match self.cfg.irq.raise() {
                Err(e) => {
                    dev_dbg!(
                        self.device(),
                        "cannot raise a spurious interrupt: {:?}\n",
                        e
                    );
                    break;
                }
                Ok(Raised::Handled) => {
                    if self.stats.spurious_irqs.load(Relaxed) != before {
                        return;
                    }
                    cpu_relax();
                }
                Ok(Raised::Pending) => {
                    // TIMEOUT: a pending interrupt is delivered within microseconds, but an
                    // emulated CPU on a loaded host can be held back for a good part of a
                    // second (100 ms was once too short: the interrupt then came during the
                    // copy and was counted as the copy's). Not seeing it in 1 s is harmless:
                    // the copy goes on.
                    let _ = read_poll_timeout(
                        || Ok(self.stats.spurious_irqs.load(Relaxed)),
                        |&n| n != before,
                        Delta::from_micros(50),
                        Delta::from_millis(1000),
                    );
                    return;
                }
            }
        }
        self.spurious_raised.store(false, Relaxed);
    }
}
