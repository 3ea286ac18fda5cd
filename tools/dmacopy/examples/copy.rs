// SPDX-License-Identifier: GPL-2.0

//! dmacopy example: a DMA copy from SRC to DST through the mapped window, then, where the
//! driver offers it, a DMA copy between two buffers of this process (`DMACOPY_IOC_COPY_USER`).
//!
//! ```text
//! cargo run --example copy -- [/dev/dmacopy0]
//! ```

use dmacopy::{CopyRequest, Device, Mode, CAP_COPY_USER};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/dev/dmacopy0".into());
    let mut dev = Device::open(&path)?;
    let info = dev.info()?;

    // 64 KiB or the whole buffer, a multiple of the DMA alignment.
    let len = info.max_len.min(65536) / u64::from(info.align) * u64::from(info.align);
    let n = usize::try_from(len)?;
    {
        let mut win = dev.map()?; // SRC then DST, unmapped when dropped
        for (i, b) in win.src_mut()[..n].iter_mut().enumerate() {
            *b = (i * 7 + 1) as u8;
        }
        let req = CopyRequest {
            len,
            mode: Mode::Dma,
            ..CopyRequest::default()
        };
        let res = win.copy(&req)?;
        if win.src()[..n] != win.dst()[..n] {
            return Err(format!("{path}: DST differs from SRC").into());
        }
        println!(
            "{path} ({}): window copy of {len} bytes by {} in {} ns, hw_status {:#x}",
            info.controller_str(),
            res.mode_used,
            res.elapsed_ns,
            res.hw_status
        );
    }

    if info.caps & CAP_COPY_USER != 0 {
        let src: Vec<u8> = (0..n).map(|i| (i * 13 + 5) as u8).collect();
        let mut dst = vec![0u8; n];
        // The borrows rule out overlapping ranges; any alignment is accepted.
        let res = dev.copy_user(&src, &mut dst, Mode::Dma, 0)?;
        if src != dst {
            return Err(format!("{path}: COPY_USER destination differs").into());
        }
        println!(
            "{path}: COPY_USER of {n} bytes by {} in {} ns",
            res.mode_used, res.elapsed_ns
        );
    }
    Ok(())
}
