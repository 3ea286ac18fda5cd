// SPDX-License-Identifier: GPL-2.0

//! Calibration: where DMA starts to beat the CPU on a channel, the AUTO threshold.

use kernel::{
    prelude::*,
    sync::atomic::Relaxed,
    time::{
        Instant,
        Monotonic, //
    },
};

use super::{
    elapsed_ns,
    Channel, //
};
use crate::{
    tune,
    uapi, //
};

impl Channel {
    /// Measures where DMA starts to beat the CPU on this channel and makes that the AUTO
    /// threshold (see [`tune::threshold`]). At each power-of-two length from 64 bytes up to
    /// `buf_size`, DMA and CPU copies alternate, so that anything else the machine does weighs
    /// on both alike, and each mode's median time counts. A copy is timed as its caller sees it,
    /// from the request to the result, including the wait for the completion. The copies take
    /// the (zeroed) SRC onto the (zeroed) DST and are not counted in the statistics.
    pub(crate) fn calibrate(&self) -> Result<u64> {
        let align = self.engine.align() as usize;
        const ROUNDS: usize = 9;
        const MAX_SAMPLES: usize = 30;
        let mut samples = KVec::<tune::Sample>::new();
        let mut len = 64usize.next_multiple_of(align);
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
        match samples.iter().find(|s| s.len >= threshold) {
            Some(at) => dev_info!(
                self.device(),
                "auto_threshold {} bytes (at that length: DMA {} ns, CPU {} ns)\n",
                threshold,
                at.dma_ns,
                at.cpu_ns
            ),
            None => dev_info!(
                self.device(),
                "auto_threshold {} bytes: the CPU was faster at every length up to {}\n",
                threshold,
                self.cfg.buf_size
            ),
        }
        Ok(threshold)
    }

    /// Makes `threshold`, measured on an identical channel of the same controller, this
    /// channel's AUTO threshold.
    pub(crate) fn set_auto_threshold(&self, threshold: u64) {
        self.auto_threshold.store(threshold, Relaxed);
    }
}
