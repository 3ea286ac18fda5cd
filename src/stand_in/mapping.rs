// SPDX-License-Identifier: GPL-2.0

//! Revocable user mappings of device memory: what 7.2's Rust lacks for a device that can go
//! away under its mappings.
//!
//! The shape is DRM's (`drm_open` installs the device's `address_space` as each file's
//! `f_mapping`; `drm_dev_unplug` zaps it with `unmap_mapping_range`): every file of a channel
//! shares one [`Mapping`]; a user mapping gets no pages at `mmap` time, only a fault handler
//! that inserts each page while the window is alive; revoking zaps every page of every
//! mapping, so that a later touch faults again and gets `SIGBUS`. Inserting pages at fault
//! time (rather than `dma_mmap_attrs` at `mmap` time) is what makes revocation race-free: a
//! fault runs only on a VMA that is already linked to the `address_space`, so the zap sees it.
//!
//! The gaps this fills, each a candidate for an upstream abstraction: an `address_space` a
//! driver owns, `file->f_mapping`, `vm_operations_struct` with a fault handler, inserting a
//! PFN, and the page protection of coherent DMA memory (`dma_pgprot`, not exported; see
//! `src/helpers.c`).
//!
//! Upstream: `drm_open`'s `f_mapping`, `unmap_mapping_range`, `vm_operations_struct.fault`,
//! `vmf_insert_pfn`.

use kernel::{
    bindings,
    device::Device,
    dma::Coherent,
    fs::File,
    mm::virt::VmaNew,
    page::PAGE_SIZE,
    prelude::*,
    sync::Arc,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};

use crate::channel::Channel;

unsafe extern "C" {
    /// `src/helpers.c`: PFN-map flags, the DMA page protection of `dev` and `ops` for `vma`.
    // The pointers are passed as `void *`: the structs hold lockdep fields that Rust does not
    // deem FFI-safe by value, and only their addresses cross.
    fn dmacopy_helper_vma_init(vma: *mut c_void, dev: *mut c_void, ops: *const c_void);
    /// `src/helpers.c`: the page frame behind a kernel address of coherent DMA memory.
    fn dmacopy_helper_kaddr_to_pfn(addr: *const c_void) -> c_ulong;
    /// `src/helpers.c`: `file->f_mapping = mapping`, with a host inode for the VFS.
    fn dmacopy_helper_install_mapping(file: *mut c_void, mapping: *mut c_void);
    /// `src/helpers.c`: drops the host inode taken by `dmacopy_helper_install_mapping`.
    fn dmacopy_helper_release_mapping(mapping: *mut c_void);
}

/// What a fault handler returns to the memory manager.
#[derive(Clone, Copy)]
pub(crate) struct FaultResult(bindings::vm_fault_t);

impl FaultResult {
    /// Deliver `SIGBUS` to the faulting task.
    pub(crate) const SIGBUS: Self = Self(bindings::vm_fault_reason_VM_FAULT_SIGBUS);
}

/// An `address_space` shared by every open file of one device.
#[pin_data(PinnedDrop)]
pub(crate) struct Mapping {
    #[pin]
    inner: Opaque<bindings::address_space>,
}

// SAFETY: The `address_space` is used only through the kernel functions below, which take its
// own locks (`i_mmap_rwsem`); it may be shared and sent between threads.
unsafe impl Send for Mapping {}
// SAFETY: As above.
unsafe impl Sync for Mapping {}

impl Mapping {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- Opaque::ffi_init(|slot: *mut bindings::address_space| {
                // SAFETY: `slot` is valid for writes; `address_space_init_once` zeroes it and
                // initialises what a mapping without pages uses (the VMA tree and its lock).
                // `empty_aops` (as on an anonymous inode): readahead (`fadvise`, `madvise`)
                // finds no `read_folio` and does nothing, instead of calling through a null
                // operations table.
                unsafe {
                    bindings::address_space_init_once(slot);
                    (*slot).a_ops = &raw const bindings::empty_aops;
                }
            }),
        })
    }

    /// Makes `file` use this address space, so that its mappings are linked into it. Called
    /// from `open`, before the file can be mapped.
    pub(crate) fn install(&self, file: &File) {
        // SAFETY: `open` may set `f_mapping` (as `drm_open` does); nothing has mapped the file
        // yet. The `address_space` lives in the channel, which the file's private data keeps
        // alive until `release`, after the last mapping of the file is gone.
        unsafe { dmacopy_helper_install_mapping(file.as_ptr().cast(), self.inner.get().cast()) };
    }

    /// Prepares a VMA being mapped for [`Mapping::insert`] from the fault handler.
    pub(crate) fn setup_vma(&self, vma: &VmaNew, dev: &Device) {
        // CAST: `Device` is a transparent wrapper of `struct device`.
        let dev = core::ptr::from_ref(dev)
            .cast::<bindings::device>()
            .cast_mut();
        // SAFETY: `vma` is being set up by `mmap` (the mmap lock is held for writing), which
        // may set its flags, protection and operations; `dev` is a live device; `VM_OPS` is
        // static.
        unsafe {
            dmacopy_helper_vma_init(
                vma.as_ptr().cast(),
                dev.cast(),
                core::ptr::from_ref(&VM_OPS.0).cast(),
            )
        };
    }

    /// Inserts the page at byte `offset` of the coherent buffer `buf` at the faulting address
    /// of `vmf`; `SIGBUS` if `offset` is not a page of `buf`.
    ///
    /// Only [`Window`](super::window::Window) calls this: it zaps every mapping
    /// ([`Mapping::revoke`]) before it frees a buffer whose pages it inserted.
    pub(super) fn insert(&self, vmf: &Fault, buf: &Coherent<[u8]>, offset: usize) -> FaultResult {
        if offset % PAGE_SIZE != 0 || offset >= buf.len() {
            return FaultResult::SIGBUS;
        }
        // SAFETY: `offset` is a page of the live allocation `buf` (checked above; the caller
        // keeps `buf` alive until the page is in the page table).
        let pfn =
            unsafe { dmacopy_helper_kaddr_to_pfn(buf.as_ptr().cast::<u8>().add(offset).cast()) };
        // SAFETY: called from the fault handler of `vmf.vma` (mmap lock or VMA lock held), a
        // `VM_PFNMAP` shared mapping set up by `setup_vma`, with `vmf.address` inside it.
        FaultResult(unsafe { bindings::vmf_insert_pfn(vmf.vma, vmf.address, pfn) })
    }

    /// Zaps every page of every mapping of every file of this address space.
    pub(crate) fn revoke(&self) {
        // SAFETY: `inner` is an initialised `address_space`; 0 length means "to the end".
        unsafe { bindings::unmap_mapping_range(self.inner.get(), 0, 0, 1) };
    }
}

#[pinned_drop]
impl PinnedDrop for Mapping {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: No file uses the address space any more (each holds the channel that owns
        // it), so nothing reads its host.
        unsafe { dmacopy_helper_release_mapping(self.inner.get().cast()) };
    }
}

/// A page fault in a mapping made by [`Mapping::setup_vma`].
pub(crate) struct Fault {
    vma: *mut bindings::vm_area_struct,
    address: usize,
    pgoff: usize,
}

impl Fault {
    /// The page of the file that faulted.
    pub(crate) fn pgoff(&self) -> usize {
        self.pgoff
    }
}

/// The page offset in the file at which `vma`, being set up by `mmap`, starts.
pub(crate) fn vma_pgoff(vma: &VmaNew) -> usize {
    // SAFETY: `vma` is a valid VMA being set up by `mmap`, which holds the mmap lock.
    unsafe { (*vma.as_ptr()).vm_pgoff }
}

/// The operations of a user mapping of a channel's window.
static VM_OPS: VmOps = VmOps(bindings::vm_operations_struct {
    fault: Some(fault),
    ..pin_init::zeroed()
});

/// A `vm_operations_struct` in a `static`.
struct VmOps(bindings::vm_operations_struct);

// SAFETY: The table is never written; its function pointers may be called from any thread.
unsafe impl Sync for VmOps {}

/// The fault handler of a window mapping.
///
/// # Safety
///
/// Called by the memory manager with a valid `vmf` for a VMA set up by [`Mapping::setup_vma`].
unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    // SAFETY: `vmf` is valid for the duration of the fault.
    let (vma, pgoff, address) = unsafe {
        let v = &(*vmf).__bindgen_anon_1;
        (v.vma, v.pgoff, v.address)
    };
    // SAFETY: The VMA of a file mapping holds a reference to its file, whose private data is
    // the `Arc<Channel>` that `open` stored, until `release`.
    let chan = unsafe { <Arc<Channel> as ForeignOwnable>::borrow((*(*vma).vm_file).private_data) };
    chan.window()
        .fault(&Fault {
            vma,
            address,
            pgoff,
        })
        .0
}
