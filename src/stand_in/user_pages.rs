// SPDX-License-Identifier: GPL-2.0

//! Pinned pages of the calling process, and a scatter-gather table over them mapped for a
//! device with the streaming DMA API.
//!
//! 7.2's Rust crate cannot pin user pages at all, and its `scatterlist::SGTable<Owned>` takes
//! only pages it owns (vmalloc memory) and keeps its mapping in a `Devres`, whose release costs
//! an RCU grace period at every copy. These two types are the small safe interface the driver
//! needs, shaped like those abstractions:
//!
//! - [`UserPages::pin`] pins a range of the caller's memory (`pin_user_pages_fast`, write access
//!   where the device writes); dropping it unpins the pages, marking written ones dirty.
//! - [`DmaTable::map`] builds an `sg_table` over pinned pages (contiguous pages merged) and maps
//!   it for a device (`dma_map_sgtable`, which does the cache maintenance a non-coherent SoC
//!   needs); dropping it unmaps it (handing the memory back to the CPU) and frees the table.
//!   It borrows the pages, so they stay pinned while the device may reach them, and it borrows a
//!   proof that the device is bound (the channel's buffer window is open), so it is unmapped
//!   before unbind completes.

use core::marker::PhantomData;

use kernel::{
    bindings,
    device::Device,
    dma::{
        DataDirection,
        DmaAddress, //
    },
    error::to_result,
    ffi::{
        c_int,
        c_uint,
        c_ulong,
        c_void, //
    },
    page::{
        PAGE_MASK,
        PAGE_SIZE, //
    },
    prelude::*,
    scatterlist::SGTable,
    types::Opaque,
};

use super::window::WindowGuard;

unsafe extern "C" {
    /// `src/helpers.c`: `dma_get_max_seg_size(dev)`, the longest segment `dev` takes.
    // `struct device` holds lockdep fields that Rust does not deem FFI-safe by value: only its
    // address crosses, as `void *`.
    fn dmacopy_helper_dma_max_seg_size(dev: *mut c_void) -> c_uint;
}

/// Pages pinned from the calling process's memory: `[addr, addr + len)`, rounded out to pages.
pub(crate) struct UserPages {
    /// Pinned pages, in address order; only these are unpinned.
    pages: KVec<*mut bindings::page>,
    /// Offset of `addr` in its page.
    offset: usize,
    len: usize,
    /// Pinned for writing: mark the pages dirty when unpinning.
    write: bool,
}

impl UserPages {
    /// Pins the pages under `[addr, addr + len)` of the current process, for writing if
    /// `write`. `EFAULT` if a page is not mapped with that access (or the range, rounded out to
    /// pages, wraps); every page pinned so far is unpinned again on failure. `len` must not be
    /// 0.
    pub(crate) fn pin(addr: usize, len: usize, write: bool) -> Result<Self> {
        // The range rounded out to pages must not wrap either: `pin_user_pages_fast` says
        // `EOVERFLOW` for one in the last page of the address space, which is a bad address.
        let end = addr
            .checked_add(len)
            .and_then(|end| end.checked_next_multiple_of(PAGE_SIZE))
            .ok_or(EFAULT)?;
        if len == 0 {
            return Err(EINVAL);
        }
        let first = addr & PAGE_MASK;
        let count = (end - first) / PAGE_SIZE;
        let nr = c_int::try_from(count).map_err(|_| EINVAL)?;
        let mut pages = KVec::with_capacity(count, GFP_KERNEL)?;
        let flags = if write { bindings::FOLL_WRITE } else { 0 };
        // SAFETY: `pages` has room for `count` page pointers, which is what `nr` asks for; the
        // call checks the range itself (`access_ok`) and only fills the array.
        let got = unsafe {
            bindings::pin_user_pages_fast(first as c_ulong, nr, flags as c_uint, pages.as_mut_ptr())
        };
        let pinned = usize::try_from(got).unwrap_or(0).min(count);
        // SAFETY: the call initialised the first `pinned` entries (it returns how many it
        // pinned, never more than asked for).
        unsafe { pages.inc_len(pinned) };
        let this = Self {
            pages,
            offset: addr - first,
            len,
            write,
        };
        if got < 0 {
            // `EFAULT` for a bad address (also what `EOVERFLOW` means here), `ENOMEM` and the
            // like otherwise.
            let err = Error::from_errno(got);
            return Err(if err == EOVERFLOW { EFAULT } else { err });
        }
        if pinned != count {
            // Part of the range is not mapped (with write access, for a destination).
            return Err(EFAULT);
        }
        Ok(this)
    }
}

impl Drop for UserPages {
    fn drop(&mut self) {
        if self.pages.is_empty() {
            return;
        }
        // SAFETY: the first `pages.len()` entries were pinned by `pin_user_pages_fast` and are
        // unpinned exactly once, here. CAST: at most `c_int::MAX` pages.
        unsafe {
            bindings::unpin_user_pages_dirty_lock(
                self.pages.as_mut_ptr(),
                self.pages.len() as c_ulong,
                self.write,
            )
        };
    }
}

/// The `struct device` of `dev`.
fn raw_device(dev: &Device) -> *mut bindings::device {
    // CAST: `Device` is a transparent wrapper of `struct device`.
    core::ptr::from_ref(dev).cast_mut().cast()
}

/// Pinned pages mapped for a device through a scatter-gather table.
pub(crate) struct DmaTable<'a> {
    sgt: Opaque<bindings::sg_table>,
    dev: &'a Device,
    dir: DataDirection,
    /// The pages must stay pinned, and the device bound, while the mapping exists.
    _borrows: PhantomData<&'a UserPages>,
}

impl<'a> DmaTable<'a> {
    /// Maps `pages` for `dev`, the device of the channel whose window `_bound` is open (so `dev`
    /// is bound for as long as the mapping lives), in direction `dir`.
    pub(crate) fn map(
        dev: &'a Device,
        _bound: &'a WindowGuard<'_>,
        pages: &'a UserPages,
        dir: DataDirection,
    ) -> Result<Self> {
        // SAFETY: `dev` is a valid device.
        let max_map = unsafe { bindings::dma_max_mapping_size(raw_device(dev)) };
        // SAFETY: `dev` is a valid device; the helper only reads its DMA parameters.
        let max_seg = unsafe { dmacopy_helper_dma_max_seg_size(raw_device(dev).cast()) };
        // Segments are merged up to what the device takes (`dma_set_max_seg_size` at probe) and
        // can map; the bound must be a multiple of the page size. CAST: a `c_uint` fits a `usize`.
        let max_segment = c_uint::try_from(max_map.min(max_seg as usize) & PAGE_MASK)
            .unwrap_or(c_uint::MAX)
            .max(PAGE_SIZE as c_uint);
        let n_pages = c_uint::try_from(pages.pages.len()).map_err(|_| EINVAL)?;
        if n_pages == 0 {
            return Err(EINVAL);
        }
        let sgt = Opaque::<bindings::sg_table>::zeroed();
        // SAFETY: `sgt` is zeroed memory for a table; `pages.pages` holds `n_pages` valid pinned
        // pages, which stay pinned while `self` borrows `pages`. CAST: the offset is below a page
        // and the length was pinned, so both fit.
        to_result(unsafe {
            bindings::sg_alloc_table_from_pages_segment(
                sgt.get(),
                pages.pages.as_ptr().cast_mut(),
                n_pages,
                pages.offset as c_uint,
                pages.len as c_ulong,
                max_segment,
                bindings::GFP_KERNEL,
            )
        })?;
        let mut this = Self {
            sgt,
            dev,
            dir,
            _borrows: PhantomData,
        };
        // SAFETY: the table was just built over pinned pages, and `dev` is bound (see above).
        let ret =
            unsafe { bindings::dma_map_sgtable(raw_device(dev), this.sgt.get(), dir.into(), 0) };
        if ret != 0 {
            // Not mapped: only the table is freed.
            this.free_table();
            core::mem::forget(this);
            return Err(Error::from_errno(ret));
        }
        Ok(this)
    }

    fn free_table(&mut self) {
        // SAFETY: the table was allocated by `sg_alloc_table_from_pages_segment` and is freed once.
        unsafe { bindings::sg_free_table(self.sgt.get()) };
    }

    /// The mapped segments, in order: bus address and length.
    pub(crate) fn segments(&self) -> impl Iterator<Item = (DmaAddress, usize)> + '_ {
        // SAFETY: the table lives, mapped and unchanged, as long as `self`.
        let table = unsafe { SGTable::from_raw(self.sgt.get()) };
        // CAST: a segment is at most `max_segment`, a `c_uint`.
        table
            .iter()
            .map(|e| (e.dma_address(), e.dma_len() as usize))
    }
}

impl Drop for DmaTable<'_> {
    fn drop(&mut self) {
        // SAFETY: the table was mapped for `dev` in direction `dir` by `map`, and `dev` is still
        // bound (the window guard outlives `self`).
        unsafe {
            bindings::dma_unmap_sgtable(raw_device(self.dev), self.sgt.get(), self.dir.into(), 0)
        };
        self.free_table();
    }
}
