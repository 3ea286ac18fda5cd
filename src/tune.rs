// SPDX-License-Identifier: GPL-2.0

//! Measured choices of a channel: the AUTO threshold, from copy times measured at probe as
//! their caller sees them, and how long a DMA copy polls for its completion before it sleeps
//! until the interrupt, from the completion times of the channel's recent copies.

/// Length classes: `ilog2(len)` for every length below 2^31 (`buf_size` is at most 512 MiB).
const CLASSES: usize = 31;

/// Longest busy poll for a DMA completion before sleeping for the interrupt, in nanoseconds.
pub(crate) const POLL_MAX_NS: u64 = 50_000;
/// Poll bound for a length whose completion time is not known yet.
const POLL_UNKNOWN_NS: u64 = 20_000;
/// Shortest poll bound once the completion time is known.
const POLL_MIN_NS: u64 = 2_000;

/// Length class of `len`.
fn class(len: u64) -> usize {
    // CAST: `ilog2` of a `u64` is below 64; longer lengths share the last class.
    (len.max(1).ilog2() as usize).min(CLASSES - 1)
}

/// Completion times of a channel's DMA copies, per length class (`2^k ..= 2^(k+1) - 1` bytes):
/// a moving average in which a new copy weighs 1/8 and counts at most 4 times the average, so
/// that one slow copy does not swing it.
pub(crate) struct Completions {
    ns: [u64; CLASSES],
}

impl Completions {
    pub(crate) const fn new() -> Self {
        Self { ns: [0; CLASSES] }
    }

    /// Records a DMA copy of `len` bytes that the controller completed `ns` after its start.
    pub(crate) fn record(&mut self, len: u64, ns: u64) {
        let avg = &mut self.ns[class(len)];
        *avg = if *avg == 0 {
            ns.max(1)
        } else {
            let sample = ns.min(avg.saturating_mul(4));
            // `avg` and `sample` are nanoseconds, far below 2^60: no overflow.
            (*avg * 7 + sample) / 8
        }
        .max(1);
    }

    /// How long a DMA copy of `len` bytes polls for its completion before sleeping until the
    /// interrupt: twice the usual completion time of its class when that is short (at least
    /// `POLL_MIN_NS`), nothing beyond one look right after starting when it is long, and
    /// `POLL_UNKNOWN_NS` until it is known. Never more than [`POLL_MAX_NS`].
    pub(crate) fn poll_ns(&self, len: u64) -> u64 {
        match self.ns[class(len)] {
            0 => POLL_UNKNOWN_NS,
            ns if ns <= POLL_MAX_NS / 2 => (2 * ns).max(POLL_MIN_NS),
            _ => 0,
        }
    }
}

/// The time of one copy of `len` bytes by DMA and by CPU, as measured at probe.
#[derive(Clone, Copy, Default)]
pub(crate) struct Sample {
    pub(crate) len: u64,
    pub(crate) dma_ns: u64,
    pub(crate) cpu_ns: u64,
}

/// The AUTO threshold that loses least against the faster mode at the measured lengths
/// `samples` (ascending): the candidate `t` (a measured length, or `above_all` for "always the
/// CPU") that minimises the time lost, relative to the faster mode, by the lengths below `t`
/// that DMA does faster and by those from `t` on that the CPU does faster. One noisy length
/// therefore cannot move the threshold past lengths that say otherwise. Ties go to the lowest
/// candidate: DMA, which leaves the CPU free.
pub(crate) fn threshold(samples: &[Sample], above_all: u64) -> u64 {
    // Thousandths of the faster mode's time lost by running `slow` instead of `fast`.
    let lost = |slow: u64, fast: u64| slow.saturating_sub(fast).saturating_mul(1000) / fast.max(1);
    let candidates = samples.iter().map(|s| s.len).chain([above_all]);
    let mut best = (u64::MAX, above_all);
    for t in candidates {
        let cost: u64 = samples
            .iter()
            .map(|s| {
                if s.len < t {
                    lost(s.cpu_ns, s.dma_ns)
                } else {
                    lost(s.dma_ns, s.cpu_ns)
                }
            })
            .sum();
        if cost < best.0 {
            best = (cost, t);
        }
    }
    best.1
}
