// SPDX-License-Identifier: GPL-2.0

//! Bulk copies of coherent DMA memory (upstream: `memcpy` and `_copy_{to,from}_iter` on a
//! `dma_alloc_coherent` buffer). 7.2's `Coherent` offers element-wise reads and writes only.
//!
//! Every function checks its range against the allocation, so a wrong offset is an error, never
//! an access outside it. Coherent memory may change under a copy (a DMA transfer, a user
//! mapping): that changes the bytes copied and nothing else, as bytes carry no invariant.

use kernel::{
    bindings,
    dma::Coherent,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
};

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

/// Copies up to `len` bytes of `buf[off..]` to `iov`; returns the bytes copied (fewer on a
/// fault in the user buffer). `EINVAL` if the range leaves the allocation.
pub(crate) fn copy_to_iter(
    buf: &Coherent<[u8]>,
    off: usize,
    len: usize,
    iov: &mut IovIterDest<'_>,
) -> Result<usize> {
    if !fits(buf, off, len) {
        return Err(EINVAL);
    }
    // SAFETY: The range lies within the live allocation (checked above); `iov` is a valid
    // destination iterator.
    Ok(unsafe {
        bindings::_copy_to_iter(buf.as_ptr().cast::<u8>().add(off).cast(), len, iov.as_raw())
    })
}

/// Copies up to `len` bytes from `iov` into `buf[off..]`; returns the bytes copied (fewer on a
/// fault in the user buffer). `EINVAL` if the range leaves the allocation.
pub(crate) fn copy_from_iter(
    buf: &Coherent<[u8]>,
    off: usize,
    len: usize,
    iov: &mut IovIterSource<'_>,
) -> Result<usize> {
    if !fits(buf, off, len) {
        return Err(EINVAL);
    }
    // SAFETY: The range lies within the live allocation (checked above); `iov` is a valid
    // source iterator.
    Ok(unsafe {
        bindings::_copy_from_iter(
            buf.as_mut_ptr().cast::<u8>().add(off).cast(),
            len,
            iov.as_raw(),
        )
    })
}
