// SPDX-License-Identifier: GPL-2.0

//! A completion with re-initialisation and an interruptible, bounded wait (upstream:
//! `struct completion`, `reinit_completion`, `complete`,
//! `wait_for_completion_interruptible_timeout`); 7.2's `kernel` crate has no `Completion`.
//!
//! The interrupt handler cannot take a sleeping lock, and the kernel's `CondVar` checks its
//! condition before it queues the waiter, so a completion raised between the two would be lost.
//! A `struct completion` counts completions under its own IRQ-safe lock, so none is ever lost,
//! and `wait_for_completion_interruptible_timeout` is exactly the wait this driver needs.

use kernel::{
    bindings,
    prelude::*,
    types::Opaque, //
};

/// How a wait on a [`Completion`] ended.
pub(crate) enum WaitResult {
    /// The event was signalled.
    Done,
    /// The timeout passed first.
    TimedOut,
    /// A signal is pending for the waiting task.
    Interrupted,
}

/// A one-shot event signalled from interrupt context.
#[pin_data]
pub(crate) struct Completion {
    #[pin]
    inner: Opaque<bindings::completion>,
}

// SAFETY: `struct completion` may be used from any task; it has its own lock.
unsafe impl Send for Completion {}
// SAFETY: All operations on `struct completion` are safe to call concurrently.
unsafe impl Sync for Completion {}

impl Completion {
    /// Creates an event in the not-signalled state.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- Opaque::ffi_init(|slot: *mut bindings::completion| {
                // SAFETY: `slot` is valid for writes and not yet initialised.
                unsafe { bindings::init_completion(slot) };
            }),
        })
    }

    /// Returns the event to the not-signalled state.
    ///
    /// Nobody waits on the event meanwhile: its only waiter is the caller.
    pub(crate) fn reinit(&self) {
        // Consume every pending `complete` under the completion's lock (a `complete` from
        // unbind's kick may race with this): `reinit_completion`'s plain store, made safe. Each
        // round consumes one; only `complete` adds any, and nothing calls `complete_all`.
        // SAFETY: `inner` is an initialised completion; `try_wait_for_completion` takes its lock.
        while unsafe { bindings::try_wait_for_completion(self.inner.get()) } {}
    }

    /// Signals the event, waking the waiter. Callable from interrupt context.
    pub(crate) fn complete(&self) {
        // SAFETY: `inner` is an initialised completion; `complete` takes its IRQ-safe lock.
        unsafe { bindings::complete(self.inner.get()) };
    }

    /// Waits until the event is signalled, `jiffies` pass, or a signal arrives.
    pub(crate) fn wait_interruptible_timeout(&self, jiffies: usize) -> WaitResult {
        let timeout = jiffies.min(isize::MAX as usize);
        // SAFETY: `inner` is an initialised completion and this is process context.
        let ret = unsafe {
            bindings::wait_for_completion_interruptible_timeout(self.inner.get(), timeout)
        };
        match ret {
            0 => WaitResult::TimedOut,
            r if r < 0 => WaitResult::Interrupted,
            _ => WaitResult::Done,
        }
    }
}
