// SPDX-License-Identifier: GPL-2.0

//! One DMA channel: its buffers, its turn queue, copies by DMA and by CPU, its interrupt handler
//! and its statistics.
//!
//! # Locking
//!
//! - `queue` (a mutex) orders the copiers of the channel: one copy at a time, in arrival order.
//!   The copier that holds the turn is the only one that programs the hardware or touches
//!   `done`, `fault` and `in_flight`.
//! - The interrupt handler takes no lock: it reads and clears the status, publishes it in
//!   `status` and `done_ns`, and signals `done`, whose own lock is IRQ-safe.
//! - Register accesses from process context run inside the RCU read-side section of
//!   `Devres::try_access`, never across a sleep.

use kernel::{
    bindings,
    device::{
        Bound,
        Device, //
    },
    devres::Devres,
    io::poll::read_poll_timeout,
    irq::{
        self,
        IrqReturn, //
    },
    new_condvar,
    new_mutex, //
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Full,
            Relaxed,
            Release, //
        },
        Arc,
        CondVar,
        Mutex, //
    },
    time::{
        msecs_to_jiffies,
        Delta,
        Instant,
        Monotonic, //
    },
};

use crate::{
    done::{
        Done,
        WaitResult, //
    },
    tune::{
        self,
        Completions, //
    },
    uapi,
    window::{
        Buffer,
        Window,
        WindowGuard, //
    },
    zdma::{
        self,
        Regs, //
    },
};

/// Faults that debugfs `inject` can arm for the next DMA copy.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Fault {
    /// Nothing armed.
    None = 0,
    /// The completion interrupt is ignored, so the copy times out.
    Timeout = 1,
    /// The copy completes as if the controller had flagged an AXI read error.
    Error = 2,
    /// An interrupt arrives while no copy is in flight.
    Spurious = 3,
    /// The copy completes with the controller's counter-overflow notices set; it succeeds.
    Overflow = 4,
    /// The controller stops without completing, as on a dead bus: only the timeout (or a
    /// signal, or unbind) and a real stop and reset of the channel bring it back.
    Stall = 5,
    /// The copy is still running when the driver stops polling for it: it completes by its
    /// interrupt, as a long copy does.
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

    fn from_raw(v: u32) -> Self {
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

    /// The completion status of a copy under this fault, from the controller's `status`;
    /// `None` when the completion is to be ignored.
    fn apply(self, status: u32) -> Option<u32> {
        match self {
            Fault::Timeout => None,
            Fault::Error => Some(status | INJECTED_ERROR),
            Fault::Overflow => Some(status | INJECTED_OVERFLOW),
            Fault::None | Fault::Spurious | Fault::Stall | Fault::Slow => Some(status),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("none", |(n, _)| n)
    }
}

/// Status bit reported for an injected error: an AXI read error on the data.
const INJECTED_ERROR: u32 = 1 << 8;
/// Status bits reported for an injected overflow: every counter-overflow notice.
const INJECTED_OVERFLOW: u32 = crate::regs::INT_OVRFL;

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
    fn new() -> Self {
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

    fn reset(&self) {
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

    fn record_time(&self, ns: u64) {
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

/// How the poll after starting a DMA copy ended.
enum Poll {
    /// The copy completed; its status is recorded.
    Done,
    /// The copy's own timeout passed while polling.
    TimedOut,
    /// Not complete yet: the completion interrupt is unmasked; wait for it.
    Wait,
}

/// The turn queue: who may use the channel.
struct Queue {
    /// A copier holds the turn.
    busy: bool,
    /// Copiers waiting for the turn.
    waiters: u32,
    /// Turns handed to a waiter that has not taken it yet (0 or 1).
    handoffs: u32,
}

/// Fixed properties of a channel, known at probe.
pub(crate) struct Config {
    pub(crate) buf_size: usize,
    pub(crate) reg_base: u64,
    pub(crate) irq: u32,
    pub(crate) timeout_ms: u32,
}

/// A DMA channel and its two buffers, shared by the driver, the interrupt handler, debugfs and
/// every open file.
#[pin_data]
pub(crate) struct Channel {
    pub(crate) cfg: Config,
    /// Copies shorter than this in AUTO mode go to the CPU.
    pub(crate) auto_threshold: Atomic<u64>,
    /// Completion times of recent DMA copies, by length: how long the next one polls.
    completions: Completions,
    /// Bytes counted by the controller's `TOTAL_BYTE` since it was last cleared (turn holder
    /// only).
    counted: Atomic<u64>,
    /// The descriptor registers as last written (turn holder only).
    shadow: zdma::Shadow,
    /// The channel's registers; revoked when the device is unbound.
    regs: Devres<Regs<'static>>,
    /// SRC and DST; revoked when the device is unbound.
    #[pin]
    window: Window,
    #[pin]
    queue: Mutex<Queue>,
    #[pin]
    turn: CondVar,
    #[pin]
    done: Done,
    /// A DMA copy is running: its interrupt is expected.
    in_flight: Atomic<bool>,
    /// Interrupt status recorded at completion.
    status: Atomic<u32>,
    /// Reference point of the `*_ns` clock readings below.
    epoch: Instant<Monotonic>,
    /// Time of the completion interrupt, in nanoseconds since `epoch`.
    done_ns: Atomic<i64>,
    /// The fault applied to the copy in flight.
    fault: Atomic<u32>,
    /// The fault armed for the next DMA copy.
    inject: Atomic<u32>,
    /// The device is being unbound; every operation fails with `ENODEV`.
    gone: Atomic<bool>,
    /// "did not stop" was logged; a broken channel logs it once, not at every copy.
    stop_failure_logged: Atomic<bool>,
    pub(crate) stats: Stats,
}

/// The result of one copy, as reported to user space.
pub(crate) struct Outcome {
    pub(crate) elapsed_ns: u64,
    pub(crate) mode_used: u32,
    pub(crate) hw_status: u32,
}

/// Holding the channel's turn; dropping it passes the turn on.
struct Turn<'a>(&'a Channel);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.release_turn();
    }
}

impl Channel {
    pub(crate) fn new(
        cfg: Config,
        regs: Devres<Regs<'static>>,
        buf: Buffer,
        auto_threshold: u64,
    ) -> Result<impl PinInit<Self, Error>> {
        let window = Window::new(buf)?;
        Ok(try_pin_init!(Self {
            cfg,
            auto_threshold: Atomic::new(auto_threshold),
            completions: Completions::new(),
            counted: Atomic::new(0),
            shadow: zdma::Shadow::new(),
            regs,
            window <- window,
            queue <- new_mutex!(Queue {
                busy: false,
                waiters: 0,
                handoffs: 0,
            }),
            turn <- new_condvar!(),
            done <- Done::new(),
            in_flight: Atomic::new(false),
            status: Atomic::new(0),
            epoch: Instant::now(),
            done_ns: Atomic::new(0),
            fault: Atomic::new(Fault::None as u32),
            inject: Atomic::new(Fault::None as u32),
            gone: Atomic::new(false),
            stop_failure_logged: Atomic::new(false),
            stats: Stats::new(),
        }? Error))
    }

    /// The buffer window: SRC then DST.
    pub(crate) fn window(&self) -> &Window {
        &self.window
    }

    /// Fails with `ENODEV` once the device is gone.
    pub(crate) fn check_alive(&self) -> Result {
        if self.gone.load(Acquire) {
            Err(ENODEV)
        } else {
            Ok(())
        }
    }

    /// The fault armed for the next DMA copy.
    pub(crate) fn armed_fault(&self) -> Fault {
        Fault::from_raw(self.inject.load(Relaxed))
    }

    /// Arms `fault` for the next DMA copy.
    pub(crate) fn arm_fault(&self, fault: Fault) {
        self.inject.store(fault as u32, Relaxed);
    }

    /// Waits, interruptibly, for the channel's turn. Turns are given in arrival order.
    fn acquire_turn(&self) -> Result<Turn<'_>> {
        let mut q = self.queue.lock();
        if !q.busy && q.waiters == 0 {
            q.busy = true;
            return Ok(Turn(self));
        }
        q.waiters += 1;
        loop {
            // The wait queue is FIFO and `release_turn` wakes one waiter, the oldest.
            let signal = self.turn.wait_interruptible(&mut q);
            if q.handoffs > 0 {
                q.handoffs -= 1;
                q.waiters -= 1;
                return Ok(Turn(self));
            }
            if signal {
                q.waiters -= 1;
                return Err(ERESTARTSYS);
            }
        }
    }

    fn release_turn(&self) {
        let mut q = self.queue.lock();
        if q.waiters > q.handoffs {
            q.handoffs += 1;
            self.turn.notify_one();
        } else {
            q.busy = false;
        }
    }

    /// Checks a copy request against the errno table of the ABI; returns the mode to use.
    fn validate(&self, req: &uapi::Copy) -> Result<u32> {
        let size = self.cfg.buf_size as u64;
        let fits = |off: u64| off.checked_add(req.len).is_some_and(|end| end <= size);
        if req.len == 0
            || req.len > size
            || !fits(req.src_off)
            || !fits(req.dst_off)
            || req.flags != 0
            || req.reserved.iter().any(|&r| r != 0)
        {
            return Err(EINVAL);
        }
        match req.mode {
            uapi::MODE_DMA | uapi::MODE_CPU => Ok(req.mode),
            uapi::MODE_AUTO if req.len < self.auto_threshold.load(Relaxed) => Ok(uapi::MODE_CPU),
            uapi::MODE_AUTO => Ok(uapi::MODE_DMA),
            _ => Err(EINVAL),
        }
    }

    /// Runs one `DMACOPY_IOC_COPY`.
    ///
    /// On `EIO` and `ETIMEDOUT` the outcome is still filled in (`Err` carries it).
    pub(crate) fn copy(&self, req: &uapi::Copy) -> Result<Outcome, (Error, Option<Outcome>)> {
        self.check_alive().map_err(|e| (e, None))?;
        let mode = self.validate(req).map_err(|e| (e, None))?;
        let turn = self.acquire_turn().map_err(|e| {
            self.stats.interrupted.add(1, Relaxed);
            (e, None)
        })?;
        self.check_alive().map_err(|e| (e, None))?;
        let buf = self.window.enter().map_err(|e| (e, None))?;
        // CAST: `validate` bounded both offsets and the length by `buf_size`, a `usize`.
        let (src, dst, len) = (req.src_off as usize, req.dst_off as usize, req.len as usize);
        let res = if mode == uapi::MODE_CPU {
            Ok(self.cpu_copy(&buf, src, dst, len))
        } else {
            self.dma_copy(&buf, src, dst, len, req.timeout_ns)
        };
        drop(buf);
        drop(turn);
        res
    }

    fn cpu_copy(&self, buf: &WindowGuard<'_>, src: usize, dst: usize, len: usize) -> Outcome {
        let (from, to) = (
            buf.src().as_ptr().cast::<u8>(),
            buf.dst().as_mut_ptr().cast::<u8>(),
        );
        let start = Instant::<Monotonic>::now();
        // SAFETY: `src + len <= buf_size` and `dst + len <= buf_size` (checked by `validate`), so
        // the ranges lie in SRC and in DST, two separate allocations of `buf_size` bytes that
        // `buf` keeps alive. We hold the turn, so no DMA writes the buffers. User space may write
        // through a mapping at the same time, as it may with any memcpy the kernel does from
        // shared memory; bytes carry no invariant.
        unsafe { core::ptr::copy_nonoverlapping(from.add(src), to.add(dst), len) };
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

    fn dma_copy(
        &self,
        buf: &WindowGuard<'_>,
        src: usize,
        dst: usize,
        len: usize,
        timeout_ns: u64,
    ) -> Result<Outcome, (Error, Option<Outcome>)> {
        let fault = Fault::from_raw(self.inject.xchg(Fault::None as u32, Relaxed));
        if fault == Fault::Spurious {
            self.raise_spurious_irq();
        }
        // CAST: offsets are below `buf_size`, a `usize`, and bus addresses are 64 bits wide.
        let (src_bus, dst_bus) = (
            buf.src().dma_handle() + src as u64,
            buf.dst().dma_handle() + dst as u64,
        );

        // Arm the completion before starting: the copy may finish inside the register write.
        self.fault.store(fault as u32, Relaxed);
        self.status.store(0, Relaxed);
        self.done.reset();
        self.in_flight.store(true, Release);
        let poll_ns = self.completions.poll_ns(len as u64);
        // 0: the module's `timeout_ms`. This bounds both the poll and the wait.
        let timeout_ns = match timeout_ns {
            0 => u64::from(self.cfg.timeout_ms).saturating_mul(1_000_000),
            t => t,
        };
        let start_ns = self.now_ns();
        let polled = {
            let Some(regs) = self.regs.try_access() else {
                self.in_flight.store(false, Relaxed);
                return Err((ENODEV, None));
            };
            // CAST: `len <= buf_size <= MAX_BUF_SIZE`, which fits the 30-bit size field.
            let len = len as u32;
            // The controller's 32-bit byte counter raises BYTE_CNT_OVRFL when it wraps: clear
            // it before it would.
            let counted = self.counted.load(Relaxed) + u64::from(len);
            let clear = counted > u64::from(u32::MAX);
            self.counted
                .store(if clear { u64::from(len) } else { counted }, Relaxed);
            zdma::start(
                &regs,
                &self.shadow,
                src_bus,
                dst_bus,
                len,
                clear,
                fault == Fault::Stall,
            );
            if fault == Fault::Slow {
                // As if the copy outlasted the poll: it ends by its interrupt.
                zdma::unmask(&regs);
                Poll::Wait
            } else {
                self.poll(&regs, start_ns, poll_ns, timeout_ns, fault)
            }
        };

        let waited = match polled {
            Poll::Done => WaitResult::Done,
            Poll::TimedOut => WaitResult::TimedOut,
            Poll::Wait => match self.done.wait(timeout_jiffies(timeout_ns)) {
                WaitResult::TimedOut if self.completed_late(fault) => WaitResult::Done,
                waited => waited,
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
                if crate::regs::ZDMA_CH_ISR::from_raw(status).is_error() {
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
                self.stats.dma_copies.add(1, Relaxed);
                self.stats.dma_bytes.add(len as u64, Relaxed);
                self.completions.record(len as u64, ns);
                self.stats.record_time(ns);
                Ok(out)
            }
            WaitResult::TimedOut => {
                let status = self.stop_and_reset();
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
    /// The poll does not sleep (it runs with the registers in hand) and is bounded by
    /// [`POLL_MAX_NS`](crate::tune::POLL_MAX_NS); a signal that arrives meanwhile ends the wait
    /// that follows at once.
    fn poll(
        &self,
        regs: &Regs<'_>,
        start_ns: i64,
        poll_ns: u64,
        timeout_ns: u64,
        fault: Fault,
    ) -> Poll {
        let limit = poll_ns.min(timeout_ns);
        loop {
            let status = zdma::take_done(regs);
            if status != 0 {
                self.in_flight.store(false, Relaxed);
                // `inject timeout`: the completion is ignored, and the wait times out.
                let Some(status) = fault.apply(status) else {
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
        zdma::unmask(regs);
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
        self.sync_irq();
        if self.status.load(Acquire) != 0 {
            return true;
        }
        let Some(regs) = self.regs.try_access() else {
            return false;
        };
        let status = zdma::take_irq_status(&regs);
        if status & crate::regs::INT_DONE == 0 {
            return false;
        }
        zdma::mask_all(&regs);
        let Some(status) = fault.apply(status) else {
            return false;
        };
        self.done_ns.store(self.now_ns(), Relaxed);
        self.status.store(status, Release);
        true
    }

    /// Nanoseconds since `epoch`.
    fn now_ns(&self) -> i64 {
        self.epoch.elapsed().as_nanos()
    }

    /// Nanoseconds from `start_ns` (a [`Channel::now_ns`] reading) to now, never negative.
    fn since(&self, start_ns: i64) -> u64 {
        u64::try_from(self.now_ns() - start_ns).unwrap_or(0)
    }

    /// The platform device of the channel.
    pub(crate) fn device(&self) -> &Device {
        self.regs.device()
    }

    /// Stops the channel after a timeout, a signal or an error, waits for its interrupt
    /// handler, and leaves it idle. Returns the raw interrupt status found when stopping.
    fn stop_and_reset(&self) -> u32 {
        let status = match self.regs.try_access() {
            Some(regs) => zdma::stop(&regs).unwrap_or_else(|_| {
                if !self.stop_failure_logged.xchg(true, Relaxed) {
                    dev_err!(self.device(), "channel did not stop; it may be hung\n");
                }
                0
            }),
            None => 0,
        };
        self.sync_irq();
        self.in_flight.store(false, Relaxed);
        self.fault.store(Fault::None as u32, Relaxed);
        // `init` cleared the byte counter, and the registers are to be written afresh.
        self.counted.store(0, Relaxed);
        self.shadow.forget();
        status
    }

    /// Waits until no interrupt handler of this channel runs on another CPU.
    fn sync_irq(&self) {
        // SAFETY: `irq` is the channel's interrupt number from the platform device; the
        // descriptor exists for as long as the system does, whether the handler is still
        // registered or not.
        unsafe { bindings::synchronize_irq(self.cfg.irq) };
    }

    /// Raises the channel's interrupt with no cause in the controller (fault injection), and
    /// waits briefly for the handler to see it.
    fn raise_spurious_irq(&self) {
        let before = self.stats.spurious_irqs.load(Relaxed);
        // SAFETY: `irq` is the channel's valid interrupt number; setting the pending state of an
        // interrupt at its controller has no other precondition.
        let ret = unsafe {
            bindings::irq_set_irqchip_state(
                self.cfg.irq,
                bindings::irqchip_irq_state_IRQCHIP_STATE_PENDING,
                true,
            )
        };
        if ret != 0 {
            dev_dbg!(
                self.regs.device(),
                "cannot raise a spurious interrupt: {}\n",
                ret
            );
            return;
        }
        // TIMEOUT: a pending interrupt is delivered within microseconds; 100 ms covers a loaded
        // emulator. Not seeing it is harmless: the copy goes on either way.
        let _ = read_poll_timeout(
            || Ok(self.stats.spurious_irqs.load(Relaxed)),
            |&n| n != before,
            Delta::from_micros(50),
            Delta::from_millis(100),
        );
    }

    /// Unbinds the channel: marks it gone (every later call fails with `ENODEV`), stops the
    /// hardware, ends a copy that waits for it, waits for every user of the buffers to leave,
    /// zaps every user mapping (a later touch raises `SIGBUS`) and frees the buffers, all while
    /// the device is still bound. Does nothing the second time.
    pub(crate) fn shutdown(&self) {
        if self.gone.xchg(true, Full) {
            return;
        }
        if let Some(regs) = self.regs.try_access() {
            let _ = zdma::stop(&regs);
        }
        self.window.revoke(|| self.done.signal());
    }

    /// Measures where DMA starts to beat the CPU on this channel and makes that the AUTO
    /// threshold (see [`tune::threshold`]). At each power-of-two length from 64 bytes up to
    /// `buf_size`, DMA and CPU copies alternate, so that anything else the machine does weighs
    /// on both alike, and each mode's median time counts. A copy is timed as its caller sees it,
    /// from the request to the result, including the wait for the completion. The copies take
    /// the (zeroed) SRC onto the (zeroed) DST and are not counted in the statistics.
    pub(crate) fn calibrate(&self) -> Result<u64> {
        const ROUNDS: usize = 9;
        const MAX_SAMPLES: usize = 30;
        let mut samples = KVec::<tune::Sample>::new();
        let mut len = 64;
        while len <= self.cfg.buf_size && samples.len() < MAX_SAMPLES {
            let mut times = [[0u64; ROUNDS]; 2];
            for round in 0..ROUNDS {
                for (mode, t) in [uapi::MODE_DMA, uapi::MODE_CPU].into_iter().zip(&mut times) {
                    let req = uapi::Copy {
                        len: len as u64,
                        mode,
                        ..Default::default()
                    };
                    let start = Instant::<Monotonic>::now();
                    self.copy(&req).map_err(|(e, _)| e)?;
                    t[round] = elapsed_ns(start);
                }
            }
            let [dma_ns, cpu_ns] = times.map(|mut t| {
                t.sort_unstable();
                t[ROUNDS / 2]
            });
            samples.push(
                tune::Sample {
                    len: len as u64,
                    dma_ns,
                    cpu_ns,
                },
                GFP_KERNEL,
            )?;
            len *= 2;
        }
        self.stats.reset();
        let threshold = tune::threshold(&samples, self.cfg.buf_size as u64 + 1);
        self.auto_threshold.store(threshold, Relaxed);
        let at = samples.iter().find(|s| s.len >= threshold);
        dev_info!(
            self.device(),
            "auto_threshold {} bytes (at that length: DMA {} ns, CPU {} ns)\n",
            threshold,
            at.map_or(0, |s| s.dma_ns),
            at.map_or(0, |s| s.cpu_ns)
        );
        Ok(threshold)
    }

    /// The channel's `struct dmacopy_info`.
    pub(crate) fn info(&self) -> uapi::Info {
        let mut info = uapi::Info {
            abi_version: uapi::ABI_VERSION,
            caps: uapi::CAP_MMAP,
            buf_size: self.cfg.buf_size as u64,
            max_len: self.cfg.buf_size as u64,
            reg_base: self.cfg.reg_base,
            irq: self.cfg.irq,
            align: 1,
            auto_threshold: self.auto_threshold.load(Relaxed),
            ..Default::default()
        };
        info.controller[..zdma::CONTROLLER.len()].copy_from_slice(zdma::CONTROLLER);
        info
    }
}

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
    /// Reads `ISR & ~IMR`, clears what it read, records a completion and wakes the copier.
    /// Returns [`IrqReturn::None`] when the interrupt was not raised by this channel.
    fn handle_irq(&self, dev: &Device<Bound>) -> IrqReturn {
        let Ok(regs) = self.regs.access(dev) else {
            return IrqReturn::None;
        };
        let status = zdma::take_irq_status(regs);
        if status == 0 {
            self.stats.spurious_irqs.add(1, Relaxed);
            return IrqReturn::None;
        }
        self.stats.irqs.add(1, Relaxed);
        if status & (crate::regs::INT_DONE | crate::regs::INT_ERR) == 0 {
            return IrqReturn::Handled;
        }
        // The transfer has ended: no further interrupt until the next one is programmed.
        zdma::mask_all(regs);
        if !self.in_flight.load(Acquire) {
            return IrqReturn::Handled;
        }
        let Some(status) = Fault::from_raw(self.fault.load(Relaxed)).apply(status) else {
            return IrqReturn::Handled;
        };
        self.done_ns.store(self.now_ns(), Relaxed);
        self.status.store(status, Release);
        self.done.signal();
        IrqReturn::Handled
    }
}

/// Nanoseconds since `start`, never negative.
fn elapsed_ns(start: Instant<Monotonic>) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(0)
}

/// The wait bound of a copy whose timeout is `timeout_ns`, in jiffies, rounded up to whole
/// milliseconds.
fn timeout_jiffies(timeout_ns: u64) -> usize {
    // CAST: `msecs_to_jiffies` takes an unsigned int; longer waits are capped at ~49 days.
    let ms = u32::try_from(timeout_ns.div_ceil(1_000_000)).unwrap_or(u32::MAX);
    // CAST: jiffies are an unsigned long, the width of usize.
    (msecs_to_jiffies(ms) as usize).max(1)
}
