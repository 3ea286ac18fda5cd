// SPDX-License-Identifier: GPL-2.0

//! A channel's statistics (debugfs `stats`).

use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};

/// Counters shown by debugfs `stats`; each is updated atomically, so they stay exact under
/// any number of concurrent copiers.
pub(crate) struct Stats {
    pub(crate) dma_copies: Atomic<u64>,
    pub(crate) cpu_copies: Atomic<u64>,
    pub(crate) dma_bytes: Atomic<u64>,
    pub(crate) cpu_bytes: Atomic<u64>,
    pub(crate) errors: Atomic<u64>,
    pub(crate) timeouts: Atomic<u64>,
    pub(crate) interrupted: Atomic<u64>,
    pub(crate) irqs: Atomic<u64>,
    pub(crate) spurious_irqs: Atomic<u64>,
    pub(crate) last_ns: Atomic<u64>,
    pub(crate) max_ns: Atomic<u64>,
}

impl Stats {
    pub(super) fn new() -> Self {
        Self {
            dma_copies: Atomic::new(0),
            cpu_copies: Atomic::new(0),
            dma_bytes: Atomic::new(0),
            cpu_bytes: Atomic::new(0),
            errors: Atomic::new(0),
            timeouts: Atomic::new(0),
            interrupted: Atomic::new(0),
            irqs: Atomic::new(0),
            spurious_irqs: Atomic::new(0),
            last_ns: Atomic::new(0),
            max_ns: Atomic::new(0),
        }
    }

    pub(super) fn reset(&self) {
        for v in [
            &self.dma_copies,
            &self.cpu_copies,
            &self.dma_bytes,
            &self.cpu_bytes,
            &self.errors,
            &self.timeouts,
            &self.interrupted,
            &self.irqs,
            &self.spurious_irqs,
            &self.last_ns,
            &self.max_ns,
        ] {
            v.store(0, Relaxed);
        }
    }

    pub(super) fn record_time(&self, ns: u64) {
        self.last_ns.store(ns, Relaxed);
        let mut max = self.max_ns.load(Relaxed);
        while ns > max {
            match self.max_ns.cmpxchg(max, ns, Relaxed) {
                Ok(_) => break,
                Err(cur) => max = cur,
            }
        }
    }

    /// Writes the counters, one `name: value` per line.
    pub(crate) fn show(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let rows = [
            ("dma_copies", &self.dma_copies),
            ("cpu_copies", &self.cpu_copies),
            ("dma_bytes", &self.dma_bytes),
            ("cpu_bytes", &self.cpu_bytes),
            ("errors", &self.errors),
            ("timeouts", &self.timeouts),
            ("interrupted", &self.interrupted),
            ("irqs", &self.irqs),
            ("spurious_irqs", &self.spurious_irqs),
            ("last_ns", &self.last_ns),
            ("max_ns", &self.max_ns),
        ];
        for (name, v) in rows {
            writeln!(f, "{name}: {}", v.load(Relaxed))?;
        }
        Ok(())
    }
}
