// SPDX-License-Identifier: GPL-2.0

//! The correctness pass before the timed runs: copies of each size in each mode, at offset 0
//! and at a nonzero aligned offset, checked byte for byte.

use super::huge::{Buf, BufError};
use dmacopy::pattern::{self, Pattern, Span};
use dmacopy::{errno_desc, CopyBatch, CopyRequest, Device, Info, Mode};
use std::os::unix::fs::FileExt;

/// The offsets of the second copy of each size: `(src_off, dst_off)`, nonzero, different
/// from each other, and multiples of `align`.
pub fn offsets(align: u32) -> (u64, u64) {
    let a = u64::from(align.max(1));
    // The least multiple of `align` that is at least 8.
    let unit = 8_u64.div_ceil(a) * a;
    (3 * unit, 5 * unit)
}

/// The length of a copy of `size` bytes from `src_off` / `dst_off` that fits buffers of
/// `buf_size`: `size`, or what is left, rounded down to `align`; `None` when nothing fits.
pub fn fitted_len(size: u64, src_off: u64, dst_off: u64, buf_size: u64, align: u32) -> Option<u64> {
    let room = buf_size.checked_sub(src_off.max(dst_off))?;
    let a = u64::from(align.max(1));
    let len = size.min(room) / a * a;
    (len > 0).then_some(len)
}

/// Fills the window of `dev` with `pattern` (through `pwrite`), copies `req`, reads the window
/// back (`pread`) and checks it: DST holds SRC's bytes in the copied range and its own pattern
/// elsewhere, and SRC is unchanged.
pub fn check(
    dev: &Device,
    info: &Info,
    pattern: &Pattern,
    req: &CopyRequest,
) -> Result<(), String> {
    let buf_size = info.buf_size;
    let io = |what: &str, e: std::io::Error| format!("{what}: {}", errno_desc(&e));
    let file = dev.file();
    file.write_all_at(pattern.src(), 0)
        .map_err(|e| io("writing SRC", e))?;
    file.write_all_at(pattern.dst(), buf_size)
        .map_err(|e| io("writing DST", e))?;
    let res = dev.copy(req).map_err(|e| e.to_string())?;
    if req.mode != Mode::Auto && res.mode_used != req.mode {
        return Err(format!("{} copy ran in mode {}", req.mode, res.mode_used));
    }
    let n = pattern.src().len();
    let mut src = vec![0; n];
    let mut dst = vec![0; n];
    file.read_exact_at(&mut src, 0)
        .map_err(|e| io("reading SRC", e))?;
    file.read_exact_at(&mut dst, buf_size)
        .map_err(|e| io("reading DST", e))?;
    // CAST: the caller keeps the range inside the buffers, whose size fits a usize.
    pattern
        .verify(
            &src,
            &dst,
            req.src_off as usize,
            req.dst_off as usize,
            req.len as usize,
        )
        .map_err(|e| {
            let how = if req.mode == Mode::Auto {
                format!(" (auto ran it in {})", res.mode_used)
            } else {
                String::new()
            };
            format!("wrong bytes{how}: {e}")
        })
}

/// `DMACOPY_IOC_COPY_USER` in DMA mode of `len` bytes from `src_off` into a user buffer to
/// `dst_off` in another (on the heap, or on huge pages of `huge` bytes: [`Buf`]), both filled
/// with the test patterns (`seed`) and checked after ([`pattern::verify_seeded`]), 64 bytes
/// past each range included. Where the two addresses are alike modulo `align`, the driver must
/// report DMA; otherwise (BCM2835: ranges misaligned with each other) it may copy with the CPU.
/// [`BufError::NotHuge`]: the buffers did not get huge pages, nothing was checked.
pub fn check_user(
    dev: &Device,
    info: &Info,
    len: u64,
    (src_off, dst_off): (u64, u64),
    seed: u64,
    huge: Option<usize>,
) -> Result<(), BufError> {
    let big = |_| {
        BufError::Failed(format!(
            "{len} bytes from {src_off} / {dst_off} do not fit this machine"
        ))
    };
    let n = usize::try_from(len).map_err(big)?;
    let (s, d) = (
        usize::try_from(src_off).map_err(big)?,
        usize::try_from(dst_off).map_err(big)?,
    );
    // CAST: usize fits u64.
    let mut src_buf = Buf::new((s + n + 64) as u64, 0, huge)?;
    let mut dst_buf = Buf::new((d + n + 64) as u64, 0, huge)?;
    let (src, dst) = (src_buf.bytes_mut(), dst_buf.bytes_mut());
    pattern::fill_src(src, seed);
    pattern::fill_dst(dst);
    let fail = BufError::Failed;
    let res = dev
        .copy_user(&src[s..s + n], &mut dst[d..d + n], Mode::Dma, 0)
        .map_err(|e| fail(format!("COPY_USER {e}")))?;
    let align = usize::try_from(info.align.max(1)).unwrap_or(1);
    let alike = (src.as_ptr() as usize + s) % align == (dst.as_ptr() as usize + d) % align;
    pattern::verify_seeded(seed, src, dst, s, d, n)
        .map_err(|e| fail(format!("wrong bytes: {e}")))?;
    if alike && res.mode_used != Mode::Dma {
        return Err(fail(format!(
            "dma COPY_USER of ranges alike modulo align {align} ran in mode {}",
            res.mode_used
        )));
    }
    Ok(())
}

/// The bounce path once: `len` bytes of the SRC pattern (`seed`) written to SRC, copied to DST
/// in DMA mode, read back from DST, in pieces of at most `buf_size` above it
/// ([`super::bounce_pieces`], the last rounded up to `align` for the copy): the bytes read must
/// be those written, and every piece must have run in DMA mode. The user buffers are on the
/// heap, or on huge pages of `huge` bytes ([`Buf`]; [`BufError::NotHuge`]: they did not get
/// them, nothing was checked).
pub fn check_bounce(
    dev: &Device,
    info: &Info,
    len: u64,
    seed: u64,
    huge: Option<usize>,
) -> Result<(), BufError> {
    let fail = BufError::Failed;
    let pieces = super::bounce_pieces(len, info)
        .ok_or_else(|| fail(format!("no bounce piece fits max_len {}", info.max_len)))?;
    let mut src_buf = Buf::new(len, 0, huge)?;
    let mut dst_buf = Buf::new(len, 0, huge)?;
    let (src, dst) = (src_buf.bytes_mut(), dst_buf.bytes_mut());
    pattern::fill_src(src, seed);
    pattern::fill_dst(dst);
    let done = super::measure::bounce(dev, info, &pieces, src, dst).map_err(fail)?;
    let n = src.len();
    pattern::verify_seeded(seed, src, dst, 0, 0, n)
        .map_err(|e| fail(format!("wrong bytes: {e}")))?;
    let (dma, cpu) = done.modes();
    // CAST: a count of pieces.
    if dma != pieces.len() as u64 || cpu != 0 {
        return Err(fail(format!(
            "{} pieces in DMA mode: {dma} ran with the DMA controller, {cpu} with the CPU",
            pieces.len()
        )));
    }
    Ok(())
}

/// The copies of `layout` in DMA mode, in one `DMACOPY_IOC_COPY_BATCH` (`batch`) or one
/// `DMACOPY_IOC_COPY` each, over the window filled with `pattern`: DST must hold each copied
/// range, and its pattern elsewhere; SRC must be unchanged.
pub fn check_batch(
    dev: &Device,
    info: &Info,
    pattern: &Pattern,
    layout: &[(u64, u64, u64)],
    batch: bool,
) -> Result<(), String> {
    let io = |what: &str, e: std::io::Error| format!("{what}: {}", errno_desc(&e));
    let file = dev.file();
    file.write_all_at(pattern.src(), 0)
        .map_err(|e| io("writing SRC", e))?;
    file.write_all_at(pattern.dst(), info.buf_size)
        .map_err(|e| io("writing DST", e))?;
    let mut b = CopyBatch::new();
    for &(s, d, l) in layout {
        b.push(s, d, l, Mode::Dma).map_err(|e| e.to_string())?;
    }
    if batch {
        let res = b.run(dev).map_err(|e| e.to_string())?;
        if let Some(i) = res.results.iter().position(|r| r.mode_used != Mode::Dma) {
            return Err(format!(
                "entry {i} ran in mode {}",
                res.results[i].mode_used
            ));
        }
    } else {
        for req in b.requests() {
            dev.copy(&req).map_err(|e| e.to_string())?;
        }
    }
    let n = pattern.src().len();
    let mut src = vec![0; n];
    let mut dst = vec![0; n];
    file.read_exact_at(&mut src, 0)
        .map_err(|e| io("reading SRC", e))?;
    file.read_exact_at(&mut dst, info.buf_size)
        .map_err(|e| io("reading DST", e))?;
    // The same slot can come back (entries wrap around the buffers): once is enough.
    let mut spans: Vec<Span> = Vec::new();
    for &(s, d, l) in layout {
        // CAST: the layout is inside the buffers, whose size fits a usize.
        let span = (s as usize, d as usize, l as usize);
        if !spans.contains(&span) {
            spans.push(span);
        }
    }
    pattern
        .verify_spans(&src, &dst, &spans)
        .map_err(|e| format!("wrong bytes: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_aligned() {
        assert_eq!(offsets(1), (24, 40));
        assert_eq!(offsets(0), (24, 40));
        assert_eq!(offsets(4), (24, 40));
        assert_eq!(offsets(64), (192, 320));
        assert_eq!(offsets(3), (27, 45));
        for a in 1..100 {
            let (s, d) = offsets(a);
            assert!(s > 0 && d > s && s % u64::from(a) == 0 && d % u64::from(a) == 0);
        }
    }

    #[test]
    fn lengths_fit() {
        assert_eq!(fitted_len(64, 24, 40, 4096, 1), Some(64));
        assert_eq!(fitted_len(4096, 24, 40, 4096, 1), Some(4056));
        assert_eq!(fitted_len(4096, 24, 40, 4096, 64), Some(4032));
        assert_eq!(fitted_len(4096, 24, 4096, 4096, 1), None);
        assert_eq!(fitted_len(4096, 24, 5000, 4096, 1), None);
        assert_eq!(fitted_len(10, 0, 0, 4096, 64), None);
    }

    /// The checks on a plain file, whose ioctls fail: the copy's error comes through.
    #[test]
    fn check_reports_the_copy_error() {
        let path = std::env::temp_dir().join(format!("dmacopy-verify-test-{}", std::process::id()));
        std::fs::File::create(&path).unwrap().set_len(8192).unwrap();
        let dev = Device::open(&path);
        std::fs::remove_file(&path).unwrap();
        let dev = dev.unwrap();
        let info = Info {
            buf_size: 4096,
            ..Info::default()
        };
        let pattern = Pattern::new(4096, 1);
        let e = check(&dev, &info, &pattern, &CopyRequest::new(64)).unwrap_err();
        assert!(e.starts_with("copy failed: ENOTTY"), "{e}");
    }
}
