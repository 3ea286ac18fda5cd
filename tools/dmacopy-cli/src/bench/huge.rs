// SPDX-License-Identifier: GPL-2.0

//! Buffers backed by transparent huge pages, for the `user-huge` and `bounce-huge` rows.
//!
//! A buffer is an anonymous mapping with room to start on a huge-page boundary; the aligned
//! part is advised `MADV_HUGEPAGE` (which splits it into a VMA of its own) and written, every
//! page. Then `/proc/self/smaps` must show it backed by huge pages only: the VMAs that overlap
//! the aligned part hold as much `AnonHugePages` as `Anonymous` memory (no small page at all),
//! and at least the aligned part's length of it. A buffer that did not get its huge pages is
//! refused with the figures, never used on small pages.

use memmap2::{Advice, MmapMut, MmapOptions};
use std::path::Path;

/// Where the kernel says how transparent huge pages are set up.
pub const SYSFS: &str = "/sys/kernel/mm/transparent_hugepage";

/// The mode in brackets of a sysfs choice file: `always [madvise] never` -> `madvise`.
pub fn selected(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')))
}

/// Whether anonymous memory can get transparent huge pages on `MADV_HUGEPAGE`, from the
/// sysfs directory `dir`: the huge page size (`hpage_pmd_size`), or why not.
pub fn available_in(dir: &Path) -> Result<usize, String> {
    let d = dir.display();
    if !dir.exists() {
        return Err(format!(
            "the kernel has no transparent huge pages ({d} is absent: \
             CONFIG_TRANSPARENT_HUGEPAGE is off)"
        ));
    }
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("cannot read {d}/{name}: {}", dmacopy::errno_desc(&e)))
    };
    let enabled = read("enabled")?;
    match selected(&enabled) {
        Some("always" | "madvise") => {}
        Some(mode) => {
            return Err(format!(
                "transparent huge pages are disabled ({d}/enabled: {mode})"
            ))
        }
        None => {
            return Err(format!(
                "cannot tell the mode from {d}/enabled: '{}'",
                enabled.trim()
            ))
        }
    }
    let size = read("hpage_pmd_size")?;
    match size.trim().parse::<usize>() {
        Ok(n) if n.is_power_of_two() && n >= 4096 => Ok(n),
        _ => Err(format!(
            "{d}/hpage_pmd_size is not a page size: '{}'",
            size.trim()
        )),
    }
}

/// [`available_in`] of this machine's [`SYSFS`].
pub fn available() -> Result<usize, String> {
    available_in(Path::new(SYSFS))
}

/// The anonymous memory of the VMAs of an `smaps` text that overlap `[start, end)`, in bytes:
/// `(Anonymous, AnonHugePages)` summed, and how many such VMAs there were.
pub fn smaps_anon(text: &str, start: usize, end: usize) -> Result<(u64, u64, usize), String> {
    let (mut anon, mut huge, mut vmas) = (0, 0, 0);
    let mut inside = false;
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-') {
            if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                inside = a < end && start < b;
                vmas += usize::from(inside);
                continue;
            }
        }
        if !inside {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let slot = match key {
            "Anonymous" => &mut anon,
            "AnonHugePages" => &mut huge,
            _ => continue,
        };
        let kib = value
            .trim()
            .strip_suffix("kB")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("smaps: cannot read '{line}'"))?;
        *slot += kib * 1024;
    }
    Ok((anon, huge, vmas))
}

/// Whether `[start, start + len)` (written, every page) is backed by huge pages only, from the
/// `smaps` text: `Err` says why not, with the figures.
pub fn check_smaps(text: &str, start: usize, len: usize) -> Result<(), String> {
    let (anon, huge, vmas) = smaps_anon(text, start, start + len)?;
    if vmas == 0 {
        return Err(format!("no mapping at {start:#x} in /proc/self/smaps"));
    }
    // CAST: usize fits u64.
    if huge < len as u64 || anon != huge {
        return Err(format!(
            "not backed by huge pages: {} KiB at {start:#x}, AnonHugePages {} KiB of \
             Anonymous {} KiB",
            len / 1024,
            huge / 1024,
            anon / 1024
        ));
    }
    Ok(())
}

/// A buffer of `len` bytes on transparent huge pages.
pub struct HugeBuf {
    map: MmapMut,
    /// Where the aligned part starts in `map`.
    off: usize,
    len: usize,
    /// The aligned part: `len` rounded up to the huge page size.
    span: usize,
}

impl HugeBuf {
    /// A buffer of `len` bytes (at least 1), on huge pages of `huge` bytes, every byte `fill`;
    /// `Err` when it cannot be mapped or did not get huge pages only.
    pub fn new(len: usize, fill: u8, huge: usize) -> Result<HugeBuf, String> {
        let too_large = || format!("{len} bytes on huge pages do not fit this machine");
        let span = len
            .max(1)
            .checked_next_multiple_of(huge)
            .ok_or_else(too_large)?;
        let map_len = span.checked_add(huge).ok_or_else(too_large)?;
        let mut map = MmapOptions::new()
            .len(map_len)
            .map_anon()
            .map_err(|e| format!("cannot map {map_len} bytes: {}", dmacopy::errno_desc(&e)))?;
        // CAST: an address, for its alignment.
        let base = map.as_ptr() as usize;
        let off = base.next_multiple_of(huge) - base;
        map.advise_range(Advice::HugePage, off, span)
            .map_err(|e| format!("madvise(MADV_HUGEPAGE): {}", dmacopy::errno_desc(&e)))?;
        map[off..off + len].fill(fill);
        let b = HugeBuf {
            map,
            off,
            len,
            span,
        };
        b.check()?;
        Ok(b)
    }

    /// Whether the buffer is still backed by huge pages only (from `/proc/self/smaps`).
    pub fn check(&self) -> Result<(), String> {
        let text = std::fs::read_to_string("/proc/self/smaps")
            .map_err(|e| format!("cannot read /proc/self/smaps: {}", dmacopy::errno_desc(&e)))?;
        // CAST: an address.
        check_smaps(&text, self.map.as_ptr() as usize + self.off, self.span)
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map[self.off..self.off + self.len]
    }

    /// The bytes, to write.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.map[self.off..self.off + self.len]
    }
}

/// A user buffer of the `user` group: on the heap, or on transparent huge pages.
pub enum Buf {
    /// A `Vec`.
    Heap(Vec<u8>),
    /// A [`HugeBuf`].
    Huge(HugeBuf),
}

/// Why a [`Buf`] could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BufError {
    /// The memory is not there (or the size does not fit): a failure.
    Failed(String),
    /// The memory did not get huge pages: the point is not measured, for this reason.
    NotHuge(String),
}

impl Buf {
    /// `len` bytes of `fill`, every page written: on the heap (`huge` None), or on huge pages
    /// of `huge` bytes.
    pub fn new(len: u64, fill: u8, huge: Option<usize>) -> Result<Buf, BufError> {
        let n = usize::try_from(len)
            .map_err(|_| BufError::Failed(format!("size {len} is too large")))?;
        match huge {
            None => {
                let mut v = Vec::new();
                v.try_reserve_exact(n)
                    .map_err(|_| BufError::Failed(format!("cannot allocate {n} bytes")))?;
                v.resize(n, fill);
                Ok(Buf::Heap(v))
            }
            Some(h) => HugeBuf::new(n, fill, h).map(Buf::Huge).map_err(|e| {
                if e.starts_with("not backed by huge pages") {
                    BufError::NotHuge(e)
                } else {
                    BufError::Failed(e)
                }
            }),
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Buf::Heap(v) => v,
            Buf::Huge(b) => b.bytes(),
        }
    }

    /// The bytes, to write.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Buf::Heap(v) => v,
            Buf::Huge(b) => b.bytes_mut(),
        }
    }

    /// Whether a buffer on huge pages still is (always `Ok` on the heap).
    pub fn check(&self) -> Result<(), String> {
        match self {
            Buf::Heap(_) => Ok(()),
            Buf::Huge(b) => b.check(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(selected("always [madvise] never\n"), Some("madvise"));
        assert_eq!(selected("[always] madvise never"), Some("always"));
        assert_eq!(selected("always madvise never"), None);
        let dir = std::env::temp_dir().join(format!("dmacopy-thp-test-{}", std::process::id()));
        let e = available_in(&dir).unwrap_err();
        assert!(
            e.contains("is absent: CONFIG_TRANSPARENT_HUGEPAGE is off"),
            "{e}"
        );
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write("enabled", "always madvise [never]\n");
        let e = available_in(&dir).unwrap_err();
        assert!(e.ends_with("/enabled: never)"), "{e}");
        write("enabled", "always [madvise] never\n");
        assert!(available_in(&dir)
            .unwrap_err()
            .contains("hpage_pmd_size: ENOENT"));
        write("hpage_pmd_size", "3000\n");
        assert!(available_in(&dir)
            .unwrap_err()
            .contains("is not a page size: '3000'"));
        write("hpage_pmd_size", "2097152\n");
        assert_eq!(available_in(&dir), Ok(2 << 20));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    const SMAPS: &str = "\
aaaab0000000-aaaab0200000 r-xp 00000000 00:02 12 /bin/dmacopy
Anonymous:             0 kB
AnonHugePages:         0 kB
ffff80000000-ffff80400000 rw-p 00000000 00:00 0
Size:               4096 kB
Anonymous:          4096 kB
AnonHugePages:      4096 kB
ffff80400000-ffff80600000 rw-p 00000000 00:00 0
Anonymous:          1024 kB
AnonHugePages:         0 kB
VmFlags: rd wr mr mw me ac
ffff80600000-ffff80a00000 rw-p 00000000 00:00 0
Anonymous:          4096 kB
AnonHugePages:      2048 kB
";

    #[test]
    fn smaps() {
        let m = 0xffff_8000_0000_usize;
        assert_eq!(
            smaps_anon(SMAPS, m, m + (4 << 20)),
            Ok((4 << 20, 4 << 20, 1))
        );
        assert_eq!(check_smaps(SMAPS, m, 4 << 20), Ok(()));
        // Two VMAs overlap: the small pages of the second count.
        assert_eq!(
            smaps_anon(SMAPS, m + (2 << 20), m + (5 << 20)),
            Ok(((5 << 20) as u64, 4 << 20, 2))
        );
        // A range with small pages, or not all of it on huge pages.
        let e = check_smaps(SMAPS, m + (4 << 20), 2 << 20).unwrap_err();
        assert_eq!(
            e,
            "not backed by huge pages: 2048 KiB at 0xffff80400000, AnonHugePages 0 KiB of \
             Anonymous 1024 KiB"
        );
        let e = check_smaps(SMAPS, m + (6 << 20), 4 << 20).unwrap_err();
        assert!(
            e.contains("AnonHugePages 2048 KiB of Anonymous 4096 KiB"),
            "{e}"
        );
        // More room than huge pages: not enough.
        assert!(check_smaps(SMAPS, m, 4 << 20).is_ok());
        assert!(check_smaps(&SMAPS.replace("Size:               4096 kB\nAnonymous:          4096 kB\nAnonHugePages:      4096 kB",
            "Anonymous:          2048 kB\nAnonHugePages:      2048 kB"), m, 4 << 20).is_err());
        assert!(check_smaps(SMAPS, 0x1000, 4096)
            .unwrap_err()
            .starts_with("no mapping at 0x1000"));
        assert!(smaps_anon(
            "ffff0000-ffff1000 rw-p 0 00:00 0\nAnonymous: lots\n",
            0xffff0000,
            0xffff0001
        )
        .unwrap_err()
        .contains("cannot read 'Anonymous: lots'"));
    }

    /// On the machine running the tests: a buffer that gets huge pages has the bytes and
    /// passes its check; without THP (or when the memory is not there) the reason says so.
    #[test]
    fn buffer_here() {
        let Ok(huge) = available() else {
            return;
        };
        match HugeBuf::new(huge + 100, 0x5a, huge) {
            Ok(mut b) => {
                assert_eq!(b.bytes().len(), huge + 100);
                assert!(b.bytes().iter().all(|&x| x == 0x5a));
                b.bytes_mut()[7] = 1;
                assert_eq!(b.bytes()[7], 1);
                assert_eq!(b.check(), Ok(()));
            }
            Err(e) => assert!(e.contains("not backed by huge pages"), "{e}"),
        }
    }
}
