// SPDX-License-Identifier: GPL-2.0

//! The channel's turn: copies run one at a time, in arrival order, and waiting for the turn is
//! interruptible.

use kernel::prelude::*;

use super::Channel;

/// The turn queue: who may use the channel.
pub(super) struct Queue {
    /// A copier holds the turn.
    pub(super) busy: bool,
    /// Copiers waiting for the turn.
    pub(super) waiters: u32,
    /// Turns handed to a waiter that has not taken it yet (0 or 1).
    pub(super) handoffs: u32,
}

/// Holding the channel's turn; dropping it passes the turn on.
pub(super) struct Turn<'a>(&'a Channel);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.release_turn();
    }
}

impl Channel {
    /// Waits, interruptibly, for the channel's turn. Turns are given in arrival order.
    pub(super) fn acquire_turn(&self) -> Result<Turn<'_>> {
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
}
