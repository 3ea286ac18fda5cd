// SPDX-License-Identifier: GPL-2.0

//! The `/dev/dmacopyN` misc device: the buffer window (read, write, lseek, mmap) and the ioctls.
//!
//! The kernel's `MiscDeviceRegistration` builds a file_operations table without `llseek` and
//! without an owner, so the window could not be seeked and the module could be unloaded under an
//! open file. [`Registration`] registers the same `MiscDevice` callbacks with a table of the
//! module's own, [`FOPS`], that adds both. It is a `static`: every open file points at it
//! through `f_op` until its last `fput`, long after the device may have been unbound and its
//! `Registration` freed; the `owner` keeps the module, and so the table, loaded until then.

use core::mem::size_of;

use kernel::{
    bindings, container_of,
    device::Device,
    error::to_result,
    fs::{
        File,
        Kiocb, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    mm::virt::{
        vm_flags_t,
        VmaNew, //
    },
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    types::{
        ForeignOwnable,
        Opaque, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::{
    channel::Channel,
    uapi,
    window::Buffer, //
};

/// The file operations of every `/dev/dmacopyN`: those `MiscDevice` builds for [`Channel`],
/// plus `llseek` and the module as `owner`.
static FOPS: Fops = Fops({
    // SAFETY: `into_raw` points `fops` at the static table that `MiscDevice` builds for
    // `Channel`; reading it in a constant copies it.
    let mut fops = unsafe {
        *MiscDeviceOptions { name: c"dmacopy" }
            .into_raw::<Channel>()
            .fops
    };
    fops.llseek = Some(llseek);
    fops.owner = crate::THIS_MODULE.as_ptr();
    fops
});

/// A `file_operations` table in a `static`.
struct Fops(bindings::file_operations);

// SAFETY: The table is never written; its function pointers may be called from any thread and
// `owner` points to this module, which outlives every user of the table.
unsafe impl Sync for Fops {}

/// A registered `/dev/dmacopyN`.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    /// The channel behind the node, handed to each opener.
    chan: Arc<Channel>,
}

// SAFETY: `misc_deregister` may be called from any thread.
unsafe impl Send for Registration {}
// SAFETY: No `&self` method mutates the registration.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers the misc device `name` for `chan`, a child of `parent` in sysfs
    /// (`/sys/class/misc/<name>/device` links to the DMA controller's device).
    ///
    /// `parent` must stay alive while the registration does: the driver keeps the registration in
    /// the bound device's data.
    pub(crate) fn new<'a>(
        name: &'static CStr,
        parent: &'a Device,
        chan: Arc<Channel>,
    ) -> impl PinInit<Self, Error> + 'a {
        let opts = MiscDeviceOptions { name };
        try_pin_init!(Self {
            chan,
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut raw = opts.into_raw::<Channel>();
                raw.fops = &FOPS.0;
                // CAST: `Device` is a transparent wrapper of `struct device`.
                raw.parent = core::ptr::from_ref(parent).cast::<bindings::device>().cast_mut();
                // SAFETY: `slot` is valid for writes.
                unsafe { slot.write(raw) };
                // SAFETY: `slot` holds a filled-in miscdevice that stays pinned until `drop`
                // deregisters it.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Registration {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `misc` was registered by `new` (a registration exists only if it succeeded).
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}

/// `llseek` over the window of `2 * buf_size` bytes.
///
/// # Safety
///
/// `file` is an open file of a [`Registration`], whose private data `open` set.
unsafe extern "C" fn llseek(
    file: *mut bindings::file,
    offset: bindings::loff_t,
    whence: c_int,
) -> bindings::loff_t {
    // SAFETY: `open` stored an `Arc<Channel>` in the private data; it lives until `release`.
    let chan = unsafe { <Arc<Channel> as ForeignOwnable>::borrow((*file).private_data) };
    if let Err(e) = chan.check_alive() {
        return bindings::loff_t::from(e.to_errno());
    }
    // CAST: the window is far below `loff_t::MAX`.
    let size = chan.window().size() as bindings::loff_t;
    // SAFETY: `file` is valid for the duration of this call.
    unsafe { bindings::fixed_size_llseek(file, offset, whence, size) }
}

/// Checks a file position and returns the window range `[pos, pos + n)` with
/// `n <= want`, or `None` at or past the end of the window.
fn window_range(chan: &Channel, pos: i64, want: usize) -> Result<Option<(usize, usize)>> {
    let pos = usize::try_from(pos).map_err(|_| EINVAL)?;
    let size = chan.window().size();
    if pos >= size {
        return Ok(None);
    }
    Ok(Some((pos, want.min(size - pos))))
}

/// Copies the window range `[pos, pos + n)` piece by piece (SRC and DST are separate
/// allocations) with `copy(pointer, length) -> bytes copied`, stopping at a short piece; returns
/// the bytes copied.
fn copy_pieces(
    buf: &Buffer,
    pos: usize,
    n: usize,
    mut copy: impl FnMut(*mut u8, usize) -> usize,
) -> usize {
    let mut done = 0;
    while done < n {
        let (ptr, avail) = buf.piece(pos + done);
        let len = avail.min(n - done);
        if len == 0 {
            break;
        }
        let copied = copy(ptr, len);
        done += copied;
        if copied < len {
            break;
        }
    }
    done
}

#[vtable]
impl MiscDevice for Channel {
    type Ptr = Arc<Channel>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Channel>> {
        let raw = misc.as_raw();
        // SAFETY: every misc device with these callbacks is the `misc` field of a
        // `Registration`, and `misc_open` keeps it registered, so alive, during `open`.
        let reg = unsafe { &*container_of!(Opaque::cast_from(raw), Registration, misc) };
        reg.chan.check_alive()?;
        reg.chan.window().install(file);
        Ok(reg.chan.clone())
    }

    fn read_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let chan = kiocb.file();
        chan.check_alive()?;
        let buf = chan.window().enter()?;
        let Some((pos, n)) = window_range(&chan, kiocb.ki_pos(), iov.len())? else {
            return Ok(0);
        };
        if n == 0 {
            return Ok(0);
        }
        let done = copy_pieces(&buf, pos, n, |ptr, len| {
            // SAFETY: `piece` gave `ptr` with at least `len` bytes of one half after it, which
            // `buf` keeps allocated. Coherent memory may change under the copy (a DMA or a user
            // mapping), which only affects the bytes read.
            unsafe { bindings::_copy_to_iter(ptr.cast_const().cast(), len, iov.as_raw()) }
        });
        if done == 0 {
            return Err(EFAULT);
        }
        // CAST: `done <= n`, a window offset.
        *kiocb.ki_pos_mut() += done as i64;
        Ok(done)
    }

    fn write_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let chan = kiocb.file();
        chan.check_alive()?;
        let buf = chan.window().enter()?;
        let Some((pos, n)) = window_range(&chan, kiocb.ki_pos(), iov.len())? else {
            return Err(ENOSPC);
        };
        if n == 0 {
            return Ok(0);
        }
        let done = copy_pieces(&buf, pos, n, |ptr, len| {
            // SAFETY: `piece` gave `ptr` with at least `len` bytes of one half after it, which
            // `buf` keeps allocated; the bytes carry no invariant, so racing with a DMA or a user
            // mapping only affects their values.
            unsafe { bindings::_copy_from_iter(ptr.cast(), len, iov.as_raw()) }
        });
        if done == 0 {
            return Err(EFAULT);
        }
        // CAST: `done <= n`, a window offset.
        *kiocb.ki_pos_mut() += done as i64;
        Ok(done)
    }

    fn mmap(chan: ArcBorrow<'_, Channel>, _file: &File, vma: &VmaNew) -> Result {
        chan.check_alive()?;
        // The 7.2 bindings define `VM_MAYSHARE` (and so `flags::MAYSHARE`) as `VM_MAYEXEC`; the
        // bit number from `include/linux/mm.h` is right.
        let may_share: vm_flags_t = 1 << bindings::VMA_MAYSHARE_BIT;
        if vma.flags() & may_share == 0 {
            return Err(EINVAL);
        }
        // SAFETY: `vma` is a valid VMA being set up by this mmap call.
        let pgoff = unsafe { (*vma.as_ptr()).vm_pgoff };
        let len = vma.end() - vma.start();
        let end = pgoff
            .checked_mul(PAGE_SIZE)
            .and_then(|off| off.checked_add(len));
        if end.is_none_or(|end| end > chan.window().size()) {
            return Err(EINVAL);
        }
        // Pages come from the fault handler, so that unbind can revoke them.
        chan.window().mmap(vma, chan.device())
    }

    fn ioctl(chan: ArcBorrow<'_, Channel>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        // Once the channel is unbound, every call fails with `ENODEV`, whatever it asks.
        chan.check_alive()?;
        let ptr = UserPtr::from_addr(arg);
        match cmd {
            uapi::IOC_INFO => {
                UserSlice::new(ptr, size_of::<uapi::Info>())
                    .writer()
                    .write(&chan.info())?;
            }
            uapi::IOC_COPY => {
                let (mut reader, mut writer) =
                    UserSlice::new(ptr, size_of::<uapi::Copy>()).reader_writer();
                let mut req: uapi::Copy = reader.read()?;
                let (res, out) = match chan.copy(&req) {
                    Ok(out) => (Ok(0), Some(out)),
                    Err((e, out)) => (Err(e), out),
                };
                if let Some(out) = out {
                    req.elapsed_ns = out.elapsed_ns;
                    req.mode_used = out.mode_used;
                    req.hw_status = out.hw_status;
                    writer.write(&req)?;
                }
                return res;
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}
