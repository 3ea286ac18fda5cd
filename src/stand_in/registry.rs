// SPDX-License-Identifier: GPL-2.0

//! The module-wide [`Registry`](crate::Registry) under a static mutex (upstream:
//! `static DEFINE_MUTEX(...)`, initialised at compile time). 7.2's `global_lock!` needs an
//! `unsafe` initialisation call before the first lock; [`lock`] makes that call itself, exactly
//! once, the first time any caller locks.

use kernel::{
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
        lock::GlobalGuard,
    },
};

use crate::Registry;

kernel::sync::global_lock! {
    /// The registry; lock it with [`lock`], which initialises it first.
    // SAFETY: `lock` below initialises it before its first use, and nothing else touches it.
    pub(crate) unsafe(uninit) static REGISTRY: Mutex<Registry> = Registry::new();
}

/// 0: not initialised; 1: being initialised; 2: initialised.
static STATE: Atomic<u32> = Atomic::new(0);

/// Locks the registry.
pub(crate) fn lock() -> GlobalGuard<REGISTRY> {
    loop {
        match STATE.cmpxchg(0, 1, Acquire) {
            Ok(_) => {
                // SAFETY: `STATE` went from 0 to 1 here, so this is the only call of `init`, and
                // every other caller waits below until it has returned.
                unsafe { REGISTRY.init() };
                STATE.store(2, Release);
                break;
            }
            Err(2) => break,
            // Another caller initialises it (a few instructions): wait.
            Err(_) => {
                while STATE.load(Relaxed) != 2 {
                    kernel::processor::cpu_relax();
                }
            }
        }
    }
    // A failed `cmpxchg` orders nothing: this load pairs with the `Release` store above, so the
    // initialisation happens before the lock is taken.
    let _ = STATE.load(Acquire);
    REGISTRY.lock()
}
