// SPDX-License-Identifier: GPL-2.0

//! Test patterns for the window, and the check that a copy did exactly what it should.
//!
//! SRC is filled with a pseudo-random stream from a seed ([`XorShift64`]), DST with a fixed
//! pattern that depends on the offset only ([`dst_byte`]). After a copy of `len` bytes from
//! SRC at `src_off` to DST at `dst_off`, [`Pattern::verify`] checks that
//!
//! 1. `DST[dst_off..dst_off + len]` holds the SRC pattern from `src_off` (the copy happened,
//!    from the right place, to the right place),
//! 2. the rest of DST still holds the DST pattern (nothing was written outside the range), and
//! 3. SRC still holds the SRC pattern (the copy did not write its source).
//!
//! The expected bytes are computed from the seed, not read back from SRC, so a copy that
//! corrupts SRC is not compared against itself.

use core::fmt;

/// The xorshift64 generator (Marsaglia, 2003), seeded through splitmix64 so that every seed,
/// 0 included, gives a good stream.
#[derive(Clone, Debug)]
pub struct XorShift64 {
    state: u64,
}

impl XorShift64 {
    /// A generator whose stream depends only on `seed`.
    pub fn new(seed: u64) -> XorShift64 {
        // splitmix64 of the seed: never 0 for the seeds a user types, and never 0 at all after
        // the `| 1`, as xorshift needs.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        XorShift64 { state: z | 1 }
    }

    /// The next 64 bits of the stream.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// Fills `buf` with the stream, 8 bytes at a time, little-endian.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// The SRC pattern for `seed`: `buf[i]` is byte `i` of the seed's stream.
pub fn fill_src(buf: &mut [u8], seed: u64) {
    XorShift64::new(seed).fill(buf);
}

/// The DST pattern's byte at `offset`: `0xA5` xor the offset's low byte xor twice its second
/// byte. Every byte differs from its neighbours (at a carry out of the low byte, the two sides
/// differ by the odd `0xff` in the low byte and an even number in the rest).
pub const fn dst_byte(offset: usize) -> u8 {
    // CAST: only the low 16 bits are kept, on purpose.
    0xA5 ^ (offset as u8) ^ (((offset >> 8) as u8) << 1)
}

/// The DST pattern: `buf[i] = dst_byte(i)`.
pub fn fill_dst(buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = dst_byte(i);
    }
}

/// Which buffer a byte is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buffer {
    /// SRC, the buffer that copies read.
    Src,
    /// DST, the buffer that copies write.
    Dst,
}

impl fmt::Display for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Buffer::Src => "SRC",
            Buffer::Dst => "DST",
        })
    }
}

/// Which check a byte failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// In DST's copied range: not the SRC byte it should have been copied from.
    Copied,
    /// In DST outside the copied range: written when it should not have been.
    DstOutside,
    /// In SRC: changed by the copy.
    Src,
}

/// The first byte that is not what it should be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Which check failed.
    pub region: Region,
    /// The buffer the byte is in.
    pub buffer: Buffer,
    /// Its offset in that buffer.
    pub offset: usize,
    /// What it should be.
    pub expected: u8,
    /// What it is.
    pub actual: u8,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "first difference at {} offset {} ({:#x}), ",
            self.buffer, self.offset, self.offset
        )?;
        match self.region {
            Region::Copied => f.write_str("in the copied range")?,
            Region::DstOutside => f.write_str("outside the copied range")?,
            Region::Src => f.write_str("SRC changed")?,
        }
        write!(
            f,
            ": expected {:#04x}, got {:#04x}",
            self.expected, self.actual
        )
    }
}

/// Why [`Pattern::verify`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The range to check does not fit the buffers given.
    OutOfRange,
    /// A byte is wrong.
    Mismatch(Mismatch),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::OutOfRange => f.write_str("copy range outside the buffers"),
            VerifyError::Mismatch(m) => m.fmt(f),
        }
    }
}

impl std::error::Error for VerifyError {}

/// The SRC and DST patterns for one buffer size and seed, computed once.
///
/// Here the copy is the CPU's, on two vectors; with a device, `src` and `dst` are
/// [`crate::Window::split_mut`] and the copy is [`crate::Window::copy`].
///
/// ```
/// use dmacopy::pattern::Pattern;
///
/// let pat = Pattern::new(4096, 1);
/// let (mut src, mut dst) = (vec![0; 4096], vec![0; 4096]);
/// pat.fill(&mut src, &mut dst);
/// dst[100..164].copy_from_slice(&src[10..74]);
/// assert!(pat.verify(&src, &dst, 10, 100, 64).is_ok());
/// // A copy from the wrong offset shows.
/// assert!(pat.verify(&src, &dst, 11, 100, 64).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Pattern {
    src: Vec<u8>,
    dst: Vec<u8>,
}

impl Pattern {
    /// The patterns for buffers of `buf_size` bytes, SRC from `seed`.
    pub fn new(buf_size: usize, seed: u64) -> Pattern {
        let mut src = vec![0; buf_size];
        let mut dst = vec![0; buf_size];
        fill_src(&mut src, seed);
        fill_dst(&mut dst);
        Pattern { src, dst }
    }

    /// What SRC is filled with.
    pub fn src(&self) -> &[u8] {
        &self.src
    }

    /// What DST is filled with.
    pub fn dst(&self) -> &[u8] {
        &self.dst
    }

    /// Fills `src` and `dst` with the patterns (as much of each as fits).
    pub fn fill(&self, src: &mut [u8], dst: &mut [u8]) {
        let n = src.len().min(self.src.len());
        src[..n].copy_from_slice(&self.src[..n]);
        let n = dst.len().min(self.dst.len());
        dst[..n].copy_from_slice(&self.dst[..n]);
    }

    /// Checks `src` and `dst`, both filled by [`Pattern::fill`] before a copy of `len` bytes
    /// from `src_off` to `dst_off`, after it; see the module documentation. Reports the first
    /// wrong byte: in the copied range, then the rest of DST, then SRC.
    pub fn verify(
        &self,
        src: &[u8],
        dst: &[u8],
        src_off: usize,
        dst_off: usize,
        len: usize,
    ) -> Result<(), VerifyError> {
        let (size, exp_src, exp_dst) = (self.src.len(), &self.src[..], &self.dst[..]);
        let src_end = src_off.checked_add(len).filter(|&e| e <= size);
        let dst_end = dst_off.checked_add(len).filter(|&e| e <= size);
        let (Some(src_end), Some(dst_end)) = (src_end, dst_end) else {
            return Err(VerifyError::OutOfRange);
        };
        if src.len() != size || dst.len() != size {
            return Err(VerifyError::OutOfRange);
        }

        let check = |region, buffer, base: usize, expected: &[u8], actual: &[u8]| {
            // Compare whole slices first (memcmp: few, wide reads of the uncached window), and
            // look for the byte only when they differ.
            if expected == actual {
                return Ok(());
            }
            let (i, (&e, &a)) = expected
                .iter()
                .zip(actual)
                .enumerate()
                .find(|(_, (e, a))| e != a)
                .ok_or(VerifyError::OutOfRange)?;
            Err(VerifyError::Mismatch(Mismatch {
                region,
                buffer,
                offset: base + i,
                expected: e,
                actual: a,
            }))
        };

        check(
            Region::Copied,
            Buffer::Dst,
            dst_off,
            &exp_src[src_off..src_end],
            &dst[dst_off..dst_end],
        )?;
        check(
            Region::DstOutside,
            Buffer::Dst,
            0,
            &exp_dst[..dst_off],
            &dst[..dst_off],
        )?;
        check(
            Region::DstOutside,
            Buffer::Dst,
            dst_end,
            &exp_dst[dst_end..],
            &dst[dst_end..],
        )?;
        check(Region::Src, Buffer::Src, 0, exp_src, src)
    }
}

/// A copied range: `(src_off, dst_off, len)`.
pub type Span = (usize, usize, usize);

/// Compares `actual` with `expected`; the first differing byte as a [`Mismatch`] at `base` plus
/// its index. Whole slices first (memcmp), the byte only when they differ.
fn compare(
    region: Region,
    buffer: Buffer,
    base: usize,
    expected: &[u8],
    actual: &[u8],
) -> Result<(), VerifyError> {
    if expected == actual {
        return Ok(());
    }
    let (i, (&e, &a)) = expected
        .iter()
        .zip(actual)
        .enumerate()
        .find(|(_, (e, a))| e != a)
        .ok_or(VerifyError::OutOfRange)?;
    Err(VerifyError::Mismatch(Mismatch {
        region,
        buffer,
        offset: base + i,
        expected: e,
        actual: a,
    }))
}

impl Pattern {
    /// As [`Pattern::verify`], after several copies (`spans`, in any order) whose DST ranges
    /// do not overlap (else [`VerifyError::OutOfRange`]): each copied range, then the rest of
    /// DST, then SRC.
    pub fn verify_spans(&self, src: &[u8], dst: &[u8], spans: &[Span]) -> Result<(), VerifyError> {
        let size = self.src.len();
        if src.len() != size || dst.len() != size {
            return Err(VerifyError::OutOfRange);
        }
        // The ranges first: a bad one is OutOfRange whatever the bytes.
        let mut sorted = Vec::with_capacity(spans.len());
        for &(src_off, dst_off, len) in spans {
            let src_end = src_off.checked_add(len).filter(|&e| e <= size);
            let dst_end = dst_off.checked_add(len).filter(|&e| e <= size);
            let (Some(_), Some(dst_end)) = (src_end, dst_end) else {
                return Err(VerifyError::OutOfRange);
            };
            sorted.push((dst_off, dst_end));
        }
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(VerifyError::OutOfRange);
        }
        for &(src_off, dst_off, len) in spans {
            compare(
                Region::Copied,
                Buffer::Dst,
                dst_off,
                &self.src[src_off..src_off + len],
                &dst[dst_off..dst_off + len],
            )?;
        }
        let mut at = 0;
        for (start, end) in sorted {
            compare(
                Region::DstOutside,
                Buffer::Dst,
                at,
                &self.dst[at..start],
                &dst[at..start],
            )?;
            at = end;
        }
        compare(
            Region::DstOutside,
            Buffer::Dst,
            at,
            &self.dst[at..],
            &dst[at..],
        )?;
        compare(Region::Src, Buffer::Src, 0, &self.src, src)
    }
}

/// Bytes of the stream made at a time by [`verify_seeded`] (a multiple of 8, so that the
/// pieces join into the one stream).
const PIECE: usize = 1 << 20;

/// Calls `f(offset, bytes)` with the SRC pattern of `seed`, `len` bytes, in pieces of at most
/// [`PIECE`] bytes; stops at the first error.
fn for_each_piece(
    seed: u64,
    len: usize,
    mut f: impl FnMut(usize, &[u8]) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    let mut rng = XorShift64::new(seed);
    let mut piece = vec![0; PIECE.min(len)];
    let mut at = 0;
    while at < len {
        let n = PIECE.min(len - at);
        rng.fill(&mut piece[..n]);
        f(at, &piece[..n])?;
        at += n;
    }
    Ok(())
}

/// As [`Pattern::verify`], for two buffers of any sizes filled with [`fill_src`] (`seed`) and
/// [`fill_dst`], without a copy of the patterns in memory: the expected bytes are made again
/// from the seed, a piece at a time. For copies too large to hold twice.
pub fn verify_seeded(
    seed: u64,
    src: &[u8],
    dst: &[u8],
    src_off: usize,
    dst_off: usize,
    len: usize,
) -> Result<(), VerifyError> {
    let src_end = src_off.checked_add(len).filter(|&e| e <= src.len());
    let dst_end = dst_off.checked_add(len).filter(|&e| e <= dst.len());
    let (Some(src_end), Some(dst_end)) = (src_end, dst_end) else {
        return Err(VerifyError::OutOfRange);
    };
    // 1. The copied range: the stream from `src_off`.
    for_each_piece(seed, src_end, |at, piece| {
        let (a, b) = (at.max(src_off), (at + piece.len()).min(src_end));
        if a >= b {
            return Ok(());
        }
        let d = dst_off + (a - src_off);
        compare(
            Region::Copied,
            Buffer::Dst,
            d,
            &piece[a - at..b - at],
            &dst[d..d + (b - a)],
        )
    })?;
    // 2. The rest of DST: its pattern repeats every 64 KiB (it depends on the low 16 bits).
    let mut period = vec![0; 1 << 16];
    fill_dst(&mut period);
    for (start, end) in [(0, dst_off), (dst_end, dst.len())] {
        let mut at = start;
        while at < end {
            let phase = at % period.len();
            let n = (period.len() - phase).min(end - at);
            compare(
                Region::DstOutside,
                Buffer::Dst,
                at,
                &period[phase..phase + n],
                &dst[at..at + n],
            )?;
            at += n;
        }
    }
    // 3. SRC.
    for_each_piece(seed, src.len(), |at, piece| {
        compare(
            Region::Src,
            Buffer::Src,
            at,
            piece,
            &src[at..at + piece.len()],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a correct copy leaves: the patterns, with the range copied.
    fn copied(p: &Pattern, src_off: usize, dst_off: usize, len: usize) -> (Vec<u8>, Vec<u8>) {
        let src = p.src().to_vec();
        let mut dst = p.dst().to_vec();
        dst[dst_off..dst_off + len].copy_from_slice(&src[src_off..src_off + len]);
        (src, dst)
    }

    #[test]
    fn xorshift_is_deterministic_and_seeded() {
        let a: Vec<u64> = {
            let mut g = XorShift64::new(1);
            (0..4).map(|_| g.next_u64()).collect()
        };
        let mut g = XorShift64::new(1);
        assert_eq!(a, (0..4).map(|_| g.next_u64()).collect::<Vec<_>>());
        assert_ne!(a[0], XorShift64::new(2).next_u64());
        // Seed 0 works (plain xorshift would be stuck at 0).
        let mut z = XorShift64::new(0);
        assert_ne!(z.next_u64(), 0);
        assert_ne!(z.next_u64(), 0);
        // One step of xorshift64 from a known state.
        let mut k = XorShift64 { state: 1 };
        assert_eq!(k.next_u64(), 0x4082_2041);
    }

    #[test]
    fn patterns() {
        let big = Pattern::new(1 << 20, 42);
        assert!(big.dst().windows(2).all(|w| w[0] != w[1]));
        let p = Pattern::new(4096 + 3, 42);
        assert_eq!(p.src().len(), 4099);
        assert_eq!(p.dst().len(), 4099);
        assert_eq!(p.dst()[0], 0xA5);
        assert_eq!(p.dst()[1], 0xA4);
        assert_eq!(p.dst()[0x100], 0xA5 ^ 0x02);
        assert_ne!(p.src(), p.dst());
        assert_eq!(Pattern::new(4099, 42).src(), p.src());
        assert_ne!(Pattern::new(4099, 43).src(), p.src());
        // A shorter buffer gets a prefix of the same stream: the tail chunk is cut, not changed.
        assert_eq!(Pattern::new(4096, 42).src(), &p.src()[..4096]);
        // Neighbouring DST bytes always differ.
        assert!(p.dst().windows(2).all(|w| w[0] != w[1]));
        // The SRC pattern is not constant.
        assert!(p.src().windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn fill_then_verify() {
        let p = Pattern::new(256, 7);
        let mut src = vec![0u8; 256];
        let mut dst = vec![0u8; 256];
        p.fill(&mut src, &mut dst);
        assert_eq!(src, p.src());
        assert_eq!(dst, p.dst());
        dst[16..48].copy_from_slice(&p.src()[100..132]);
        assert_eq!(p.verify(&src, &dst, 100, 16, 32), Ok(()));
    }

    #[test]
    fn verify_accepts_correct_copies() {
        let p = Pattern::new(1024, 1);
        for (s, d, n) in [
            (0, 0, 1024),
            (0, 0, 1),
            (1023, 0, 1),
            (3, 1021, 3),
            (512, 100, 400),
        ] {
            let (src, dst) = copied(&p, s, d, n);
            assert_eq!(p.verify(&src, &dst, s, d, n), Ok(()), "{s} {d} {n}");
        }
    }

    fn mismatch(r: Result<(), VerifyError>) -> Mismatch {
        match r {
            Err(VerifyError::Mismatch(m)) => m,
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn verify_finds_a_missing_copy() {
        let p = Pattern::new(1024, 1);
        let (src, dst) = (p.src().to_vec(), p.dst().to_vec());
        let m = mismatch(p.verify(&src, &dst, 0, 0, 1024));
        assert_eq!(m.region, Region::Copied);
        assert_eq!(m.buffer, Buffer::Dst);
        assert_eq!(m.offset, 0);
        assert_eq!((m.expected, m.actual), (p.src()[0], 0xA5));
    }

    #[test]
    fn verify_finds_a_wrong_byte_in_the_range() {
        let p = Pattern::new(1024, 1);
        let (src, mut dst) = copied(&p, 10, 20, 100);
        dst[77] ^= 0x10;
        let m = mismatch(p.verify(&src, &dst, 10, 20, 100));
        assert_eq!(
            (m.region, m.buffer, m.offset),
            (Region::Copied, Buffer::Dst, 77)
        );
        assert_eq!(m.expected, p.src()[67]);
        assert_eq!(m.actual, p.src()[67] ^ 0x10);
    }

    #[test]
    fn verify_finds_a_copy_from_the_wrong_offset() {
        let p = Pattern::new(1024, 1);
        let (src, dst) = copied(&p, 8, 0, 64);
        let m = mismatch(p.verify(&src, &dst, 0, 0, 64));
        assert_eq!((m.region, m.offset), (Region::Copied, 0));
    }

    #[test]
    fn verify_finds_writes_outside_the_range() {
        let p = Pattern::new(1024, 1);
        // One byte too many, after the range.
        let (src, dst) = copied(&p, 0, 100, 11);
        let m = mismatch(p.verify(&src, &dst, 0, 100, 10));
        assert_eq!(m.region, Region::DstOutside);
        assert_eq!(m.offset, 110);
        assert_eq!((m.expected, m.actual), (dst_byte(110), p.src()[10]));
        // And before it.
        let (src, mut dst) = copied(&p, 0, 100, 10);
        dst[0] = !dst[0];
        let m = mismatch(p.verify(&src, &dst, 0, 100, 10));
        assert_eq!((m.region, m.offset), (Region::DstOutside, 0));
    }

    #[test]
    fn verify_finds_a_changed_src() {
        let p = Pattern::new(1024, 1);
        let (mut src, dst) = copied(&p, 0, 0, 16);
        src[1000] = src[1000].wrapping_add(1);
        let m = mismatch(p.verify(&src, &dst, 0, 0, 16));
        assert_eq!(
            (m.region, m.buffer, m.offset),
            (Region::Src, Buffer::Src, 1000)
        );
        // A SRC that changed inside the copied range is reported against the expected
        // pattern, not against itself: the copy of the changed byte shows first.
        let (mut src, mut dst) = copied(&p, 0, 0, 16);
        src[5] ^= 1;
        dst[5] ^= 1;
        let m = mismatch(p.verify(&src, &dst, 0, 0, 16));
        assert_eq!((m.region, m.offset), (Region::Copied, 5));
    }

    #[test]
    fn verify_rejects_bad_ranges() {
        let p = Pattern::new(64, 1);
        let (src, dst) = (p.src().to_vec(), p.dst().to_vec());
        assert_eq!(p.verify(&src, &dst, 60, 0, 5), Err(VerifyError::OutOfRange));
        assert_eq!(p.verify(&src, &dst, 0, 60, 5), Err(VerifyError::OutOfRange));
        assert_eq!(
            p.verify(&src, &dst, usize::MAX, 0, 2),
            Err(VerifyError::OutOfRange)
        );
        assert_eq!(
            p.verify(&src[..32], &dst, 0, 0, 1),
            Err(VerifyError::OutOfRange)
        );
    }

    #[test]
    fn mismatch_message() {
        let m = Mismatch {
            region: Region::Copied,
            buffer: Buffer::Dst,
            offset: 31,
            expected: 0x12,
            actual: 0xa5,
        };
        assert_eq!(
            m.to_string(),
            "first difference at DST offset 31 (0x1f), in the copied range: expected 0x12, got 0xa5"
        );
    }

    #[test]
    fn spans() {
        let p = Pattern::new(4096, 7);
        let mut dst = p.dst().to_vec();
        // Two copies, the second's DST before the first's.
        let spans = [(0, 2048, 100), (100, 10, 50)];
        for &(s, d, n) in &spans {
            dst[d..d + n].copy_from_slice(&p.src()[s..s + n]);
        }
        assert_eq!(p.verify_spans(p.src(), &dst, &spans), Ok(()));
        assert!(p
            .verify_spans(p.src(), &dst, &[])
            .unwrap_err()
            .to_string()
            .contains("outside the copied range"));
        let mut bad = dst.clone();
        bad[2048 + 99] ^= 1;
        assert!(matches!(
            p.verify_spans(p.src(), &bad, &spans),
            Err(VerifyError::Mismatch(Mismatch {
                region: Region::Copied,
                offset: 2147,
                ..
            }))
        ));
        bad = dst.clone();
        bad[60] ^= 1;
        assert!(matches!(
            p.verify_spans(p.src(), &bad, &spans),
            Err(VerifyError::Mismatch(Mismatch {
                region: Region::DstOutside,
                offset: 60,
                ..
            }))
        ));
        let mut src = p.src().to_vec();
        src[4095] ^= 1;
        assert!(matches!(
            p.verify_spans(&src, &dst, &spans),
            Err(VerifyError::Mismatch(Mismatch {
                region: Region::Src,
                offset: 4095,
                ..
            }))
        ));
        // Overlapping DST ranges, and ranges past the end.
        assert_eq!(
            p.verify_spans(p.src(), &dst, &[(0, 0, 10), (0, 5, 10)]),
            Err(VerifyError::OutOfRange)
        );
        assert_eq!(
            p.verify_spans(p.src(), &dst, &[(4000, 0, 100)]),
            Err(VerifyError::OutOfRange)
        );
    }

    #[test]
    fn seeded() {
        // Sizes that cross the pieces and the DST pattern's period.
        let (n, m) = (PIECE + 70_001, 3 * 65536 + 5);
        let mut src = vec![0; n];
        let mut dst = vec![0; m];
        fill_src(&mut src, 9);
        fill_dst(&mut dst);
        let (s, d, len) = (PIECE - 3, 65536 + 1, 70_000);
        dst[d..d + len].copy_from_slice(&src[s..s + len]);
        assert_eq!(verify_seeded(9, &src, &dst, s, d, len), Ok(()));
        // The wrong seed: the copied range differs.
        assert!(matches!(
            verify_seeded(8, &src, &dst, s, d, len),
            Err(VerifyError::Mismatch(Mismatch { region: Region::Copied, offset, .. })) if offset == d
        ));
        let mut bad = dst.clone();
        bad[m - 1] ^= 1;
        assert!(matches!(
            verify_seeded(9, &src, &bad, s, d, len),
            Err(VerifyError::Mismatch(Mismatch { region: Region::DstOutside, offset, .. })) if offset == m - 1
        ));
        let mut bad = src.clone();
        bad[PIECE + 5] ^= 1;
        // The copy came from before the change: only SRC's check sees it.
        assert!(matches!(
            verify_seeded(9, &bad, &dst, s, d, len),
            Err(VerifyError::Mismatch(Mismatch { region: Region::Src, offset, .. })) if offset == PIECE + 5
        ));
        assert_eq!(
            verify_seeded(9, &src, &dst, n - 1, 0, 2),
            Err(VerifyError::OutOfRange)
        );
        assert_eq!(
            verify_seeded(9, &src, &dst, 0, m, 1),
            Err(VerifyError::OutOfRange)
        );
        // Agrees with Pattern::verify on equal sizes.
        let p = Pattern::new(5000, 3);
        let mut dst = p.dst().to_vec();
        dst[7..7 + 999].copy_from_slice(&p.src()[1..1000]);
        assert_eq!(p.verify(p.src(), &dst, 1, 7, 999), Ok(()));
        assert_eq!(verify_seeded(3, p.src(), &dst, 1, 7, 999), Ok(()));
    }
}
