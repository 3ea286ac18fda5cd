// SPDX-License-Identifier: GPL-2.0

//! `DMACOPY_IOC_COPY_BATCH`: many copies between SRC and DST in one call and one turn.
//!
//! Every entry is checked before any runs. Then, in one turn of the channel, the entries run in
//! array order: an entry by the CPU on its own, and consecutive DMA entries as one chain of the
//! controller ([`Engine::start`]) with one completion, as many as its descriptor pool takes.
//! Every entry of a chain reports the chain's time, from its start to its completion; a chain
//! that fails completes none of its entries. The batch's timeout bounds the waits for the
//! controller, as a copy's does: each chain waits for what is left of it (CPU entries do not
//! wait, and are not failed for time).
//!
//! [`Engine::start`]: crate::engine::Engine::start

use kernel::prelude::*;

use super::{
    Channel,
    Outcome, //
};
use crate::{engine::Xfer, uapi};

/// How a batch ended.
pub(crate) struct BatchEnd {
    /// `Ok`, or the error that ended it (`EIO`, `ETIMEDOUT`, `ERESTARTSYS`, `ENODEV`, ...).
    pub(crate) res: Result,
    /// Leading entries that completed; their out fields are set.
    pub(crate) done: u32,
    /// From the start of the first entry to the completion of the last that completed.
    pub(crate) elapsed_ns: u64,
    /// Whether the batch's out fields are to be written back (success, `EIO`, `ETIMEDOUT`,
    /// `EINTR`).
    pub(crate) report: bool,
}

impl BatchEnd {
    fn failed(e: Error) -> Self {
        Self {
            res: Err(e),
            done: 0,
            elapsed_ns: 0,
            report: false,
        }
    }
}

/// Whether the batch's out fields are written back when it ends with `e`.
fn reported(e: Error) -> bool {
    e == EIO || e == ETIMEDOUT || e == ERESTARTSYS || e == EINTR
}

impl Channel {
    /// Runs the batch `entries` (1 to `DMACOPY_BATCH_MAX` of them) within `timeout_ns` (0: the
    /// module's `timeout_ms`) in all; sets the out fields of every entry that completes.
    ///
    /// `writable` runs once every entry has been checked and before any runs: it makes sure the
    /// out fields can be written back (`EFAULT` otherwise, with nothing copied).
    pub(crate) fn copy_batch(
        &self,
        entries: &mut [uapi::Copy],
        timeout_ns: u64,
        writable: impl FnOnce(&[uapi::Copy]) -> Result,
    ) -> BatchEnd {
        if let Err(e) = self.check_alive() {
            return BatchEnd::failed(e);
        }
        // Every entry is checked first: one bad entry, and nothing runs.
        let mut modes = match KVec::with_capacity(entries.len(), GFP_KERNEL) {
            Ok(v) => v,
            Err(e) => return BatchEnd::failed(e.into()),
        };
        for e in entries.iter() {
            let mode = match self.validate(e) {
                Ok(_) if e.timeout_ns != 0 => Err(EINVAL),
                m => m,
            };
            match mode {
                Ok(m) => {
                    if let Err(err) = modes.push(m, GFP_KERNEL) {
                        return BatchEnd::failed(err.into());
                    }
                }
                Err(err) => return BatchEnd::failed(err),
            }
        }
        if let Err(e) = writable(entries) {
            return BatchEnd::failed(e);
        }
        let timeout_ns = self.timeout_ns(timeout_ns);

        let _turn = match self.acquire_turn() {
            Ok(t) => t,
            Err(e) => {
                self.stats.interrupted.add(1, kernel::sync::atomic::Relaxed);
                return BatchEnd {
                    report: reported(e),
                    ..BatchEnd::failed(e)
                };
            }
        };
        if let Err(e) = self.check_alive() {
            return BatchEnd::failed(e);
        }
        let buf = match self.window.enter() {
            Ok(b) => b,
            Err(e) => return BatchEnd::failed(e),
        };
        let max_desc = self.engine.max_descriptors().max(1);
        let mut chain = match KVec::<Xfer>::with_capacity(max_desc.min(entries.len()), GFP_KERNEL) {
            Ok(v) => v,
            Err(e) => return BatchEnd::failed(e.into()),
        };
        let start_ns = self.now_ns();
        let mut end = BatchEnd {
            res: Ok(()),
            done: 0,
            elapsed_ns: 0,
            report: true,
        };
        let mut i = 0;
        while i < entries.len() {
            let res = if kernel::current!().signal_pending() {
                self.stats.interrupted.add(1, kernel::sync::atomic::Relaxed);
                Err(ERESTARTSYS)
            } else if modes[i] == uapi::MODE_CPU {
                let e = &entries[i];
                // CAST: `validate` bounded offsets and lengths by `buf_size`, a `usize`.
                self.cpu_copy(&buf, e.src_off as usize, e.dst_off as usize, e.len as usize)
                    .map(|out| {
                        set_out(&mut entries[i], &out);
                        i += 1;
                    })
            } else {
                // The DMA entries from `i` on, as many as one chain takes.
                chain.clear();
                let (mut j, mut descs, mut bytes) = (i, 0usize, 0usize);
                while j < entries.len() && modes[j] == uapi::MODE_DMA {
                    // CAST: as above.
                    let (src, dst, len) = (
                        entries[j].src_off as usize,
                        entries[j].dst_off as usize,
                        entries[j].len as usize,
                    );
                    let d = self.engine.descriptors(len);
                    if j > i && descs + d > max_desc {
                        break;
                    }
                    if chain
                        .push(
                            Xfer {
                                src: buf.src().dma_handle() + src as u64,
                                dst: buf.dst().dma_handle() + dst as u64,
                                len,
                            },
                            GFP_KERNEL,
                        )
                        .is_err()
                    {
                        break;
                    }
                    descs += d;
                    bytes += len;
                    j += 1;
                }
                if chain.is_empty() {
                    Err(ENOMEM)
                } else {
                    // What is left of the batch's time bounds the wait for this chain. As for
                    // one `COPY`, the controller is always looked at once: a chain that
                    // completes at once is not failed for the CPU entries' time.
                    let left = timeout_ns.saturating_sub(self.since(start_ns)).max(1);
                    self.run_chain(&chain, bytes, left)
                        .map(|out| {
                            for e in &mut entries[i..j] {
                                // CAST: as above.
                                self.count_dma(e.len as usize, out.elapsed_ns);
                                set_out(e, &out);
                            }
                            i = j;
                        })
                        .map_err(|(e, _)| e)
                }
            };
            if let Err(e) = res {
                // A batch that completed entries is not restarted after a signal: `done` must
                // tell the caller what ran (running them again would give the same bytes, but
                // a restart that is interrupted in turn would report fewer).
                let e = if e == ERESTARTSYS && i > 0 { EINTR } else { e };
                end.report = reported(e);
                end.res = Err(e);
                break;
            }
            end.elapsed_ns = self.since(start_ns);
        }
        // CAST: at most `DMACOPY_BATCH_MAX` entries.
        end.done = i as u32;
        end
    }
}

/// Sets the out fields of `e` from `out`.
fn set_out(e: &mut uapi::Copy, out: &Outcome) {
    e.elapsed_ns = out.elapsed_ns;
    e.mode_used = out.mode_used;
    e.hw_status = out.hw_status;
}
