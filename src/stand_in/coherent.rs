// SPDX-License-Identifier: GPL-2.0

//! Bulk copies of coherent DMA memory (upstream: `memcpy` on a `dma_alloc_coherent` buffer).
//! 7.2's `Coherent` offers element-wise reads and writes only.
//!
//! Every function checks its range against the allocation, so a wrong offset is an error, never
//! an access outside it. Coherent memory may change under a copy (a DMA transfer, a user
//! mapping): that changes the bytes copied and nothing else, as bytes carry no invariant.

use kernel::{dma::Coherent, prelude::*};

/// Whether `[off, off + len)` lies within `buf`.
fn fits(buf: &Coherent<[u8]>, off: usize, len: usize) -> bool {
    off.checked_add(len).is_some_and(|end| end <= buf.len())
}

/// Copies `len` bytes from `src[src_off..]` to `dst[dst_off..]`; `EINVAL` if either range
/// leaves its allocation. The two must be different allocations.
pub(crate) fn copy(
    src: &Coherent<[u8]>,
    src_off: usize,
    dst: &Coherent<[u8]>,
    dst_off: usize,
    len: usize,
) -> Result {
    if !fits(src, src_off, len)
        || !fits(dst, dst_off, len)
        || core::ptr::eq(src.as_ptr().cast::<u8>(), dst.as_ptr().cast::<u8>())
    {
        return Err(EINVAL);
    }
    // SAFETY: Both ranges lie within live allocations (checked above; the references keep them
    // alive), and they are different allocations, so the ranges do not overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(
            src.as_ptr().cast::<u8>().add(src_off),
            dst.as_mut_ptr().cast::<u8>().add(dst_off),
            len,
        )
    };
    Ok(())
}

/// Copies `out.len()` bytes of `buf[off..]` into `out`; `EINVAL` if the range leaves the
/// allocation.
pub(crate) fn read(buf: &Coherent<[u8]>, off: usize, out: &mut [u8]) -> Result {
    if !fits(buf, off, out.len()) {
        return Err(EINVAL);
    }
    // SAFETY: The range lies within the live allocation (checked above), and `out` is a
    // distinct kernel buffer of that length.
    unsafe {
        core::ptr::copy_nonoverlapping(
            buf.as_ptr().cast::<u8>().add(off),
            out.as_mut_ptr(),
            out.len(),
        )
    };
    Ok(())
}

/// Copies `data` into `buf[off..]`; `EINVAL` if the range leaves the allocation.
pub(crate) fn write(buf: &Coherent<[u8]>, off: usize, data: &[u8]) -> Result {
    if !fits(buf, off, data.len()) {
        return Err(EINVAL);
    }
    // SAFETY: The range lies within the live allocation (checked above), and `data` is a
    // distinct kernel buffer of that length.
    unsafe {
        core::ptr::copy_nonoverlapping(
            data.as_ptr(),
            buf.as_mut_ptr().cast::<u8>().add(off),
            data.len(),
        )
    };
    Ok(())
}
