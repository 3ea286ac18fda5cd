// SPDX-License-Identifier: GPL-2.0

//! The correctness pass before the timed runs: copies of each size in each mode, at offset 0
//! and at a nonzero aligned offset, checked byte for byte.

use dmacopy::pattern::Pattern;
use dmacopy::{errno_desc, CopyRequest, Device, Info, Mode};
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
