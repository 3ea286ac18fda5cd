// SPDX-License-Identifier: GPL-2.0

//! Registering `/dev/dmacopyN` (upstream: `misc_register` with a `file_operations` that has
//! `llseek` and `owner`, and a `parent`).
//!
//! The kernel's `MiscDeviceRegistration` builds a file_operations table without `llseek` and
//! without an owner, so the window could not be seeked and the module could be unloaded under an
//! open file, and it registers the node without a parent device. [`Registration`] registers the
//! same `MiscDevice` callbacks with a table of the module's own, [`FOPS`], that adds both, and
//! sets the parent. `FOPS` is a `static`: every open file points at it through `f_op` until its
//! last `fput`, long after the device may have been unbound and its `Registration` freed; the
//! `owner` keeps the module, and so the table, loaded until then.

use kernel::{
    bindings, container_of,
    device::Device,
    error::to_result,
    miscdevice::{
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
    sync::Arc,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};

use crate::channel::Channel;

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

/// The channel of the node that `misc` registered, for `open`.
pub(crate) fn channel_of(misc: &MiscDeviceRegistration<Channel>) -> &Arc<Channel> {
    let raw = misc.as_raw();
    // SAFETY: every misc device with `Channel`'s callbacks is the `misc` field of a
    // `Registration` (only `Registration::new` registers them), and `misc_open` keeps it
    // registered, so alive, while `open` runs, which is as long as `misc` is borrowed.
    let reg = unsafe { &*container_of!(Opaque::cast_from(raw), Registration, misc) };
    &reg.chan
}
