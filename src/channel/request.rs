// SPDX-License-Identifier: GPL-2.0

//! Checking a copy request against the errno table of the ABI, and choosing its mode.

use kernel::{
    prelude::*,
    sync::atomic::Relaxed, //
};

use super::Channel;
use crate::uapi;

impl Channel {
    /// Checks `req`; returns the mode to copy with. AUTO copies with the CPU below the AUTO
    /// threshold and by DMA from there on; a copy by DMA must be aligned.
    pub(super) fn validate(&self, req: &uapi::Copy) -> Result<u32> {
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
        let align = u64::from(self.engine.align());
        let aligned = [req.src_off, req.dst_off, req.len]
            .iter()
            .all(|v| v % align == 0);
        let mode = match req.mode {
            uapi::MODE_CPU | uapi::MODE_DMA => req.mode,
            uapi::MODE_AUTO if req.len < self.auto_threshold.load(Relaxed) => uapi::MODE_CPU,
            uapi::MODE_AUTO => uapi::MODE_DMA,
            _ => return Err(EINVAL),
        };
        if mode == uapi::MODE_DMA && !aligned {
            return Err(EINVAL);
        }
        Ok(mode)
    }
}
