// SPDX-License-Identifier: GPL-2.0

//! The statistics of a benchmark: per-copy latency samples with a bounded memory, their
//! percentiles, and the median and spread of repeated runs.

use dmacopy::pattern::XorShift64;
use serde::{Deserialize, Serialize};

/// The most latency samples one timed loop keeps (16 MiB of `u32`). Beyond it the samples are
/// a uniform random subset of all copies (reservoir sampling), so memory stays bounded however
/// long and fast the loop runs.
pub const SAMPLE_CAP: usize = 1 << 22;

/// The latencies of one timed loop, in nanoseconds.
#[derive(Clone, Debug)]
pub struct Samples {
    kept: Vec<u32>,
    seen: u64,
    cap: usize,
    rng: XorShift64,
}

impl Samples {
    /// An empty set that keeps at most `cap` samples (at least 1).
    pub fn new(cap: usize) -> Samples {
        Samples {
            kept: Vec::new(),
            seen: 0,
            cap: cap.max(1),
            rng: XorShift64::new(0x5eed),
        }
    }

    /// Empties the set, with room for `expected` samples (up to the cap) so that the timed
    /// loop does not grow the vector.
    pub fn reset(&mut self, expected: u64) {
        self.kept.clear();
        self.seen = 0;
        let room = usize::try_from(expected)
            .unwrap_or(usize::MAX)
            .min(self.cap);
        self.kept.reserve(room);
    }

    /// Records one latency (saturated at `u32::MAX` ns, 4.3 s).
    #[inline]
    pub fn push(&mut self, ns: u64) {
        let v = u32::try_from(ns).unwrap_or(u32::MAX);
        if self.kept.len() < self.cap {
            self.kept.push(v);
        } else {
            // Algorithm R: sample number `seen` (0-based) replaces a kept one with probability
            // cap / (seen + 1).
            let j = self.rng.next_u64() % (self.seen + 1);
            if let Ok(j) = usize::try_from(j) {
                if j < self.cap {
                    self.kept[j] = v;
                }
            }
        }
        self.seen += 1;
    }

    /// Copies recorded.
    #[cfg(test)]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Samples kept.
    #[cfg(test)]
    pub fn kept(&self) -> &[u32] {
        &self.kept
    }
}

/// The 0-based index of the `num/den` percentile of `n` sorted values by the nearest-rank
/// method: the smallest value with at least `num/den` of all values at or below it.
/// `n` must be at least 1 and `num <= den`.
pub fn nearest_rank(n: usize, num: u64, den: u64) -> usize {
    // CAST: usize fits u128, and the rank is at most n.
    let n128 = n as u128;
    let rank = (n128 * u128::from(num)).div_ceil(u128::from(den.max(1)));
    (rank.clamp(1, n128) - 1) as usize
}

/// The `num/den` percentile of `values` (any order; they are reordered), nearest rank.
pub fn percentile(values: &mut [u32], num: u64, den: u64) -> Option<u32> {
    if values.is_empty() {
        return None;
    }
    let i = nearest_rank(values.len(), num, den);
    Some(*values.select_nth_unstable(i).1)
}

/// p50 and p99 over several sample sets, e.g. one per thread. A set that kept only part of
/// its copies stands for all of them: each kept sample counts `seen / kept` times.
pub fn p50_p99(sets: &[&Samples]) -> Option<(u32, u32)> {
    let exact = sets.iter().all(|s| s.seen == s.kept.len() as u64);
    if exact {
        let mut all: Vec<u32> = sets.iter().flat_map(|s| s.kept.iter().copied()).collect();
        let p99 = percentile(&mut all, 99, 100)?;
        let p50 = percentile(&mut all, 50, 100)?;
        return Some((p50, p99));
    }
    let mut weighted: Vec<(u32, f64)> = Vec::new();
    for s in sets.iter().filter(|s| !s.kept.is_empty()) {
        // CAST: counts far below 2^53; a ratio is what is wanted.
        let w = s.seen as f64 / s.kept.len() as f64;
        weighted.extend(s.kept.iter().map(|&v| (v, w)));
    }
    Some((
        weighted_percentile(&mut weighted, 0.50)?,
        weighted_percentile(&mut weighted, 0.99)?,
    ))
}

/// The `p` quantile (0 to 1) of `(value, weight)` pairs: the smallest value with at least
/// `p` of the total weight at or below it.
pub fn weighted_percentile(pairs: &mut [(u32, f64)], p: f64) -> Option<u32> {
    pairs.sort_unstable_by_key(|&(v, _)| v);
    let total: f64 = pairs.iter().map(|&(_, w)| w).sum();
    let target = p * total * (1.0 - 1e-12);
    let mut cum = 0.0;
    for &(v, w) in pairs.iter() {
        cum += w;
        if cum >= target {
            return Some(v);
        }
    }
    pairs.last().map(|&(v, _)| v)
}

/// The median, least and greatest of repeated measurements.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread<T> {
    /// Of an even number of values, the mean of the middle two.
    pub median: T,
    /// The least.
    pub min: T,
    /// The greatest.
    pub max: T,
}

/// The spread of `values`; `None` when there are none (or a NaN among them).
pub fn spread_f64(values: &[f64]) -> Option<Spread<f64>> {
    if values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    let (&min, &max) = (v.first()?, v.last()?);
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Spread { median, min, max })
}

/// The spread of `values`, the median of an even number rounded half up to a whole number.
pub fn spread_u64(values: &[u64]) -> Option<Spread<u64>> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    let (&min, &max) = (v.first()?, v.last()?);
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        let sum = u128::from(v[n / 2 - 1]) + u128::from(v[n / 2]);
        // CAST: the mean of two u64 values fits a u64.
        sum.div_ceil(2) as u64
    };
    Some(Spread { median, min, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks() {
        // Nearest rank: p50 of 1..=4 is 2, of 1..=5 is 3; p99 of 100 values is the 99th.
        assert_eq!(nearest_rank(4, 50, 100), 1);
        assert_eq!(nearest_rank(5, 50, 100), 2);
        assert_eq!(nearest_rank(100, 99, 100), 98);
        assert_eq!(nearest_rank(101, 99, 100), 99);
        assert_eq!(nearest_rank(1, 99, 100), 0);
        assert_eq!(nearest_rank(1, 0, 100), 0);
        assert_eq!(nearest_rank(10, 100, 100), 9);
    }

    #[test]
    fn percentiles() {
        let mut v: Vec<u32> = (1..=1000).rev().collect();
        assert_eq!(percentile(&mut v, 50, 100), Some(500));
        assert_eq!(percentile(&mut v, 99, 100), Some(990));
        assert_eq!(percentile(&mut v, 100, 100), Some(1000));
        assert_eq!(percentile(&mut [], 50, 100), None);
        assert_eq!(percentile(&mut [7], 99, 100), Some(7));
        // Ties.
        let mut t = vec![5, 5, 5, 9];
        assert_eq!(percentile(&mut t, 50, 100), Some(5));
        assert_eq!(percentile(&mut t, 99, 100), Some(9));
    }

    #[test]
    fn sample_sets() {
        let mut s = Samples::new(10);
        s.reset(1 << 40);
        for ns in [30, 10, 20] {
            s.push(ns);
        }
        s.push(u64::MAX);
        assert_eq!(s.kept(), &[30, 10, 20, u32::MAX]);
        assert_eq!(p50_p99(&[&s]), Some((20, u32::MAX)));
        let mut t = Samples::new(10);
        t.push(15);
        assert_eq!(p50_p99(&[&s, &t]), Some((20, u32::MAX)));
        s.reset(0);
        assert_eq!(s.seen(), 0);
        assert_eq!(p50_p99(&[&s]), None);
    }

    #[test]
    fn reservoir_stays_bounded_and_uniform() {
        let mut s = Samples::new(1000);
        for i in 0..100_000u64 {
            s.push(i);
        }
        assert_eq!(s.kept().len(), 1000);
        assert_eq!(s.seen(), 100_000);
        let (p50, p99) = p50_p99(&[&s]).unwrap();
        // A uniform subset of 0..100000: p50 near 50000, p99 near 99000.
        assert!((45_000..55_000).contains(&p50), "{p50}");
        assert!((97_000..=99_999).contains(&p99), "{p99}");
    }

    #[test]
    fn weighted_sets() {
        // One set kept all of its 100 copies (all 1000 ns); the other kept 10 of its 900
        // (all 2000 ns): 90% of all copies took 2000 ns.
        let mut a = Samples::new(1000);
        for _ in 0..100 {
            a.push(1000);
        }
        let mut b = Samples::new(10);
        for _ in 0..900 {
            b.push(2000);
        }
        assert_eq!(p50_p99(&[&a, &b]), Some((2000, 2000)));
        let mut pairs = vec![(3, 1.0), (1, 1.0), (2, 2.0)];
        assert_eq!(weighted_percentile(&mut pairs, 0.25), Some(1));
        assert_eq!(weighted_percentile(&mut pairs, 0.5), Some(2));
        assert_eq!(weighted_percentile(&mut pairs, 0.75), Some(2));
        assert_eq!(weighted_percentile(&mut pairs, 0.99), Some(3));
        assert_eq!(weighted_percentile(&mut [], 0.5), None);
    }

    #[test]
    fn spreads() {
        assert_eq!(
            spread_f64(&[3.0, 1.0, 2.0]),
            Some(Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0
            })
        );
        assert_eq!(spread_f64(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert_eq!(spread_f64(&[]), None);
        assert_eq!(spread_f64(&[1.0, f64::NAN]), None);
        assert_eq!(
            spread_u64(&[10, 40, 20, 30]),
            Some(Spread {
                median: 25,
                min: 10,
                max: 40
            })
        );
        assert_eq!(spread_u64(&[1, 2]).unwrap().median, 2);
        assert_eq!(spread_u64(&[u64::MAX, u64::MAX]).unwrap().median, u64::MAX);
        assert_eq!(spread_u64(&[7]).unwrap().median, 7);
        assert_eq!(spread_u64(&[]), None);
    }
}
