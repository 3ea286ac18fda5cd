// SPDX-License-Identifier: GPL-2.0

//! The DMA limits of a device being probed (upstream: `dma_set_mask_and_coherent` and
//! `dma_set_max_seg_size` from probe). 7.2's `dma::Device::dma_set_mask_and_coherent` and
//! `dma_set_max_seg_size` are `unsafe` because they must not race with DMA allocations or
//! mappings of the same device; in `probe`, before the driver's first DMA call, nothing can.

use kernel::{
    device::Core,
    dma::{
        self,
        DmaMask, //
    },
    platform,
    prelude::*, //
};

/// Sets the streaming and coherent DMA masks of `pdev`, and the longest segment of a mapping
/// it is given (`max_seg`), from its probe, before any DMA allocation or mapping for it.
pub(crate) fn set_limits_in_probe(
    pdev: &platform::Device<Core<'_>>,
    mask: DmaMask,
    max_seg: u32,
) -> Result {
    // SAFETY: This runs in probe (the `Core` context), before the driver allocates or maps any
    // DMA memory for the device, and probe runs once per device at a time: nothing races.
    unsafe { dma::Device::dma_set_mask_and_coherent(pdev, mask) }?;
    // SAFETY: As above.
    unsafe { dma::Device::dma_set_max_seg_size(pdev, max_seg) };
    Ok(())
}
