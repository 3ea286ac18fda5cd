// SPDX-License-Identifier: GPL-2.0

//! Running one copy: by the CPU, or by the controller (start, poll, wait, and stop and reset on
//! every error path).

use kernel::{
    prelude::*,
    processor::cpu_relax,
    sync::atomic::{
        Acquire,
        Full,
        Relaxed,
        Release, //
    },
    time::{
        Instant,
        Monotonic, //
    },
};

use super::{
    elapsed_ns,
    fault::Fault,
    timeout_jiffies,
    Channel,
    Outcome, //
};
use crate::{
    engine::{
        Ended,
        Xfer, //
    },
    stand_in::window::WindowGuard,
    stand_in::{
        coherent,
        completion::WaitResult, //
    },
    uapi,
};

/// How the poll after starting a DMA copy ended.
enum Poll {
    /// The copy completed; its status is recorded.
    Done,
    /// The copy's own timeout passed while polling.
    TimedOut,
    /// Not complete yet: the completion interrupt is enabled; wait for it.
    Wait,
}

impl Channel {
    pub(super) fn cpu_copy(
        &self,
        buf: &WindowGuard<'_>,
        src: usize,
        dst: usize,
        len: usize,
    ) -> Result<Outcome> {
        let start = Instant::<Monotonic>::now();
        // We hold the turn, so no DMA writes the buffers.
        coherent::copy(buf.src(), src, buf.dst(), dst, len)?;
        Ok(self.count_cpu(len, start))
    }

    /// Counts a copy of `len` bytes by the CPU that started at `start`; its outcome.
    pub(super) fn count_cpu(&self, len: usize, start: Instant<Monotonic>) -> Outcome {
        let ns = elapsed_ns(start);
        self.stats.cpu_copies.add(1, Relaxed);
        self.stats.cpu_bytes.add(len as u64, Relaxed);
        self.stats.record_time(ns);
        Outcome {
            elapsed_ns: ns,
            mode_used: uapi::MODE_CPU,
            hw_status: 0,
        }
    }

    pub(super) fn dma_copy(
        &self,
        buf: &WindowGuard<'_>,
        src: usize,
        dst: usize,
        len: usize,
        timeout_ns: u64,
    ) -> Result<Outcome, (Error, Option<Outcome>)> {
        // CAST: offsets are below `buf_size`, a `usize`, and bus addresses are 64 bits wide.
        let xfer = Xfer {
            src: buf.src().dma_handle() + src as u64,
            dst: buf.dst().dma_handle() + dst as u64,
            len,
        };
        let out = self.run_chain(&[xfer], len, self.timeout_ns(timeout_ns))?;
        self.count_dma(len, out.elapsed_ns);
        Ok(out)
    }

    /// A copy's timeout: `timeout_ns`, or the module's `timeout_ms` for 0.
    pub(super) fn timeout_ns(&self, timeout_ns: u64) -> u64 {
        match timeout_ns {
            0 => u64::from(self.cfg.timeout_ms).saturating_mul(1_000_000),
            t => t,
        }
    }

    /// Counts a completed DMA copy of `len` bytes that took `ns`.
    pub(super) fn count_dma(&self, len: usize, ns: u64) {
        self.stats.dma_copies.add(1, Relaxed);
        self.stats.dma_bytes.add(len as u64, Relaxed);
        self.stats.record_time(ns);
    }

    /// Runs `chain` (`bytes` in all) on the controller: arms the completion, starts it, polls
    /// where the controller allows, then waits for its interrupt, interruptibly, for at most
    /// `timeout_ns` (nonzero) in all. The caller holds the turn and keeps the memory behind the
    /// chain mapped. The armed fault (`inject`) applies to this chain.
    ///
    /// Errors, timeouts and interruptions are counted here; a completed chain is the caller's to
    /// count. On every error path the channel is stopped and reset before this returns; `EIO`
    /// and `ETIMEDOUT` carry the outcome.
    pub(super) fn run_chain(
        &self,
        chain: &[Xfer],
        bytes: usize,
        timeout_ns: u64,
    ) -> Result<Outcome, (Error, Option<Outcome>)> {
        let fault = self.take_fault();
        if fault == Fault::Spurious {
            self.raise_spurious_irq();
        }
        // Poll first where the controller lets the completion interrupt be enabled late, and
        // unless `slow` asks for the interrupt path.
        let polls = self.engine.polls() && fault != Fault::Slow;

        // Arm the completion before starting: the copy may finish inside the register write.
        self.fault.store(fault as u32, Relaxed);
        self.status.store(0, Relaxed);
        self.done.reinit();
        self.in_flight.store(true, Release);
        let poll_ns = self.completions.poll_ns(bytes as u64);
        let start_ns = self.now_ns();
        if let Err(e) = self.engine.start(chain, !polls, fault == Fault::Stall) {
            self.in_flight.store(false, Relaxed);
            // Nothing was started unless the registers were written; make sure of it.
            self.stop_and_reset();
            return Err((e, None));
        }
        let polled = if polls {
            self.poll(start_ns, poll_ns, timeout_ns, fault)
        } else {
            Poll::Wait
        };

        let waited = match polled {
            Poll::Done => WaitResult::Done,
            Poll::TimedOut => WaitResult::TimedOut,
            Poll::Wait => loop {
                // The wait counts jiffies, which can lag behind the monotonic clock on a
                // virtual CPU that was held back (NO_HZ, a loaded host) and then catch up: a
                // wait that ends before the copy's timeout by the monotonic clock waits again
                // for the rest, so that ETIMEDOUT never comes early.
                let left = timeout_ns.saturating_sub(self.since(start_ns)).max(1);
                match self.done.wait_interruptible_timeout(timeout_jiffies(left)) {
                    WaitResult::TimedOut if self.since(start_ns) < timeout_ns => continue,
                    WaitResult::TimedOut if self.completed_late(fault) => break WaitResult::Done,
                    waited => break waited,
                }
            },
        };
        if self.gone.load(Acquire) {
            self.stop_and_reset();
            return Err((ENODEV, None));
        }
        match waited {
            WaitResult::Done => {
                self.in_flight.store(false, Relaxed);
                let status = self.status.load(Acquire);
                let ns = u64::try_from(self.done_ns.load(Relaxed) - start_ns).unwrap_or(0);
                let out = Outcome {
                    elapsed_ns: ns,
                    mode_used: uapi::MODE_DMA,
                    hw_status: status,
                };
                if self.engine.ended(status) == Ended::Failed {
                    self.stats.errors.add(1, Relaxed);
                    self.stop_and_reset();
                    // A user can cause this at will (`inject`); `stats` is the record.
                    dev_dbg!(
                        self.device(),
                        "copy failed, interrupt status {:#x}\n",
                        status
                    );
                    return Err((EIO, Some(out)));
                }
                self.completions.record(bytes as u64, ns);
                Ok(out)
            }
            WaitResult::TimedOut => {
                let status = self.stop_and_reset();
                if self.engine.ended(status) == Ended::Failed {
                    // The controller flagged an error and stopped without completing.
                    self.stats.errors.add(1, Relaxed);
                    return Err((
                        EIO,
                        Some(Outcome {
                            elapsed_ns: self.since(start_ns),
                            mode_used: uapi::MODE_DMA,
                            hw_status: status,
                        }),
                    ));
                }
                self.stats.timeouts.add(1, Relaxed);
                // A user can cause this at will (a short `timeout_ns`); `stats` is the record.
                dev_dbg!(self.device(), "copy timed out; channel stopped and reset\n");
                Err((
                    ETIMEDOUT,
                    Some(Outcome {
                        elapsed_ns: self.since(start_ns),
                        mode_used: uapi::MODE_DMA,
                        hw_status: status,
                    }),
                ))
            }
            WaitResult::Interrupted => {
                self.stop_and_reset();
                self.stats.interrupted.add(1, Relaxed);
                Err((ERESTARTSYS, None))
            }
        }
    }

    /// Polls the controller for the completion of the copy started at `start_ns`, for up to
    /// `poll_ns` (at least one look). On completion, records it as the interrupt handler would.
    /// Otherwise, unless the copy's `timeout_ns` has passed already, unmasks the completion
    /// interrupt for the wait that follows.
    ///
    /// The poll does not sleep and is bounded by [`POLL_MAX_NS`](crate::tune::POLL_MAX_NS); a
    /// signal that arrives meanwhile ends the wait that follows at once.
    fn poll(&self, start_ns: i64, poll_ns: u64, timeout_ns: u64, fault: Fault) -> Poll {
        let limit = poll_ns.min(timeout_ns);
        loop {
            let status = self.engine.take_done();
            if status != 0 {
                self.in_flight.store(false, Relaxed);
                // `inject timeout`: the completion is ignored, and the wait times out.
                let Some(status) = fault.apply(status, &*self.engine) else {
                    break;
                };
                self.done_ns.store(self.now_ns(), Relaxed);
                self.status.store(status, Release);
                return Poll::Done;
            }
            if self.since(start_ns) >= limit {
                break;
            }
            cpu_relax();
        }
        if self.since(start_ns) >= timeout_ns {
            return Poll::TimedOut;
        }
        self.engine.unmask();
        Poll::Wait
    }

    /// After a timeout: whether the copy completed after all, its interrupt late (a loaded
    /// machine can hold a virtual CPU back for a whole timeout). If the handler has not seen it
    /// yet, takes the status from the controller as the handler would. A copy whose completion
    /// is ignored or never comes on purpose (`inject timeout`, `stall`) never completes late.
    fn completed_late(&self, fault: Fault) -> bool {
        if matches!(fault, Fault::Timeout | Fault::Stall) {
            return false;
        }
        self.cfg.irq.synchronize();
        if self.status.load(Acquire) != 0 {
            return true;
        }
        let status = self.engine.take_pending();
        if self.engine.ended(status) == Ended::No {
            return false;
        }
        self.engine.mask();
        // The handler may have read the same status before it was cleared: whoever clears
        // `in_flight` records the completion, and no handler of this copy runs after this returns.
        let claimed = self.in_flight.cmpxchg(true, false, Full).is_ok();
        self.cfg.irq.synchronize();
        if !claimed {
            return self.status.load(Acquire) != 0;
        }
        let Some(status) = fault.apply(status, &*self.engine) else {
            return false;
        };
        self.done_ns.store(self.now_ns(), Relaxed);
        self.status.store(status, Release);
        true
    }

    /// Stops the channel after a timeout, a signal or an error, waits for its interrupt
    /// handler, and leaves it idle. Returns the raw interrupt status found when stopping.
    pub(super) fn stop_and_reset(&self) -> u32 {
        // Seen by a handler that finds the status cleared by the stop.
        let _ = self.stopping.xchg(true, Full);
        let status = self.engine.stop().unwrap_or_else(|_| {
            if !self.stop_failure_logged.xchg(true, Relaxed) {
                dev_err!(self.device(), "channel did not stop; it may be hung\n");
            }
            0
        });
        self.cfg.irq.synchronize();
        self.stopping.store(false, Release);
        self.in_flight.store(false, Relaxed);
        self.fault.store(Fault::None as u32, Relaxed);
        status
    }
}
