// SPDX-License-Identifier: GPL-2.0

//! One DMA channel, whatever its controller: its buffers, its turn, copies by DMA and by CPU,
//! its interrupt handler, fault injection, statistics and calibration. The controller is
//! reached only through the [`Engine`] interface.
//!
//! - [`request`]: checking a copy request and choosing its mode.
//! - [`turn`]: one copy at a time, in arrival order.
//! - [`transfer`]: running a copy, and stopping and resetting the channel on every error path.
//! - [`user`]: `COPY_USER`, between pinned pages of the caller.
//! - [`batch`]: `COPY_BATCH`, many copies in one turn, consecutive DMA copies in one chain.
//! - [`irq`]: the interrupt handler.
//! - [`fault`]: fault injection.
//! - [`stats`]: the counters.
//! - [`calibrate`]: the AUTO threshold.
//!
//! # Locking
//!
//! - `queue` (a mutex) orders the copiers of the channel: one copy at a time, in arrival order.
//!   The copier that holds the turn is the only one that programs the hardware or touches
//!   `done`, `fault` and `in_flight`.
//! - The interrupt handler takes no lock: it reads and clears the status, publishes it in
//!   `status` and `done_ns`, and signals `done`, whose own lock is IRQ-safe.
//! - Register accesses from process context run inside the RCU read-side section of
//!   `Devres::try_access`, in the engine, never across a sleep.

use kernel::{
    device::Device,
    new_condvar,
    new_mutex, //
    prelude::*,
    sync::aref::ARef,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Full,
            Relaxed, //
        },
        Arc,
        CondVar,
        Mutex, //
    },
    time::{
        msecs_to_jiffies,
        Instant,
        Monotonic, //
    },
};

use crate::{
    engine::Engine,
    stand_in::window::{
        Buffer,
        Window, //
    },
    stand_in::{
        completion::Completion,
        irq::Line, //
    },
    tune::Completions,
    uapi,
};

mod batch;
mod calibrate;
mod fault;
mod irq;
mod request;
mod stats;
mod transfer;
mod turn;
mod user;

pub(crate) use fault::Fault;
pub(crate) use irq::IrqHandler;
use stats::Stats;
use turn::Queue;

/// Fixed properties of a channel, known at probe.
pub(crate) struct Config {
    /// The controller's device.
    pub(crate) dev: ARef<Device>,
    pub(crate) buf_size: usize,
    /// The channel's interrupt.
    pub(crate) irq: Line,
    /// Other channels share the interrupt.
    pub(crate) shared_irq: bool,
    pub(crate) timeout_ms: u32,
}

/// A DMA channel and its two buffers, shared by the driver, the interrupt handler, debugfs and
/// every open file.
#[pin_data]
pub(crate) struct Channel {
    pub(crate) cfg: Config,
    /// The controller's side of the channel.
    engine: Arc<dyn Engine>,
    /// Copies shorter than this in AUTO mode go to the CPU.
    auto_threshold: Atomic<u64>,
    /// Completion times of recent DMA copies, by length: how long the next one polls.
    completions: Completions,
    /// SRC and DST; revoked when the device is unbound.
    #[pin]
    window: Window,
    #[pin]
    queue: Mutex<Queue>,
    #[pin]
    turn: CondVar,
    #[pin]
    done: Completion,
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
    /// A spurious interrupt was raised for this channel and its handler has not seen it yet.
    spurious_raised: Atomic<bool>,
    /// The copier is stopping the channel: an interrupt the controller raised just before
    /// the stop cleared its status finds no status, and is not spurious.
    stopping: Atomic<bool>,
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

impl Channel {
    pub(crate) fn new(
        cfg: Config,
        engine: Arc<dyn Engine>,
        buf: Buffer,
        auto_threshold: u64,
    ) -> Result<impl PinInit<Self, Error>> {
        let window = Window::new(buf)?;
        Ok(try_pin_init!(Self {
            cfg,
            engine,
            auto_threshold: Atomic::new(auto_threshold),
            completions: Completions::new(),
            window <- window,
            queue <- new_mutex!(Queue {
                busy: false,
                waiters: 0,
                handoffs: 0,
            }),
            turn <- new_condvar!(),
            done <- Completion::new(),
            in_flight: Atomic::new(false),
            status: Atomic::new(0),
            epoch: Instant::now(),
            done_ns: Atomic::new(0),
            fault: Atomic::new(Fault::None as u32),
            inject: Atomic::new(Fault::None as u32),
            spurious_raised: Atomic::new(false),
            stopping: Atomic::new(false),
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

    /// The largest length one descriptor of the controller moves: channels of one controller
    /// with the same value are alike.
    pub(crate) fn max_block(&self) -> usize {
        self.engine.max_block()
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
            self.cpu_copy(&buf, src, dst, len).map_err(|e| (e, None))
        } else {
            self.dma_copy(&buf, src, dst, len, req.timeout_ns)
        };
        drop(buf);
        drop(turn);
        res
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
        &self.cfg.dev
    }

    /// The first half of [`Channel::shutdown`]: marks the channel gone (every later call fails
    /// with `ENODEV`), stops the hardware and ends a copy that waits for it, without waiting for
    /// anything. Unbinding a device with many channels does this for all of them first, so that
    /// no copier waits for the other channels' teardown.
    pub(crate) fn begin_shutdown(&self) {
        if !self.gone.xchg(true, Full) {
            let _ = self.engine.stop();
        }
        self.done.complete();
    }

    /// Unbinds the channel: [`Channel::begin_shutdown`], then waits for every user of the
    /// buffers to leave, zaps every user mapping (a later touch raises `SIGBUS`) and frees the
    /// buffers, all while the device is still bound. Does nothing more the second time.
    pub(crate) fn shutdown(&self) {
        self.begin_shutdown();
        self.window.revoke(|| self.done.complete());
    }

    /// The channel's `struct dmacopy_info`.
    pub(crate) fn info(&self) -> uapi::Info {
        let mut info = uapi::Info {
            abi_version: uapi::ABI_VERSION,
            caps: uapi::CAP_MMAP
                | uapi::CAP_COPY_USER
                | uapi::CAP_BATCH
                | if self.engine.sg() { uapi::CAP_SG } else { 0 },
            buf_size: self.cfg.buf_size as u64,
            max_len: self.cfg.buf_size as u64,
            reg_base: self.engine.reg_base(),
            irq: self.cfg.irq.number(),
            align: self.engine.align(),
            auto_threshold: self.auto_threshold.load(Relaxed),
            ..Default::default()
        };
        let name = self.engine.controller().to_bytes();
        let n = name.len().min(info.controller.len() - 1);
        info.controller[..n].copy_from_slice(&name[..n]);
        info
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
