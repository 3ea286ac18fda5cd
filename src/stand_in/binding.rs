// SPDX-License-Identifier: GPL-2.0

//! Which devices the driver binds: a string module parameter (upstream: `module_param(..,
//! charp, ..)`) and a device's `driver_override` (upstream: `device_match_driver_override()`).
//! 7.2's `module!` offers integer parameters only, and its `Device` has no accessor for
//! `driver_override`, which `struct device` keeps under its own spinlock; both live in
//! `src/helpers.c`, and this module wraps them.

use kernel::{
    device::Device,
    ffi::c_char,
    prelude::*, //
};

unsafe extern "C" {
    /// `src/helpers.c`: the `channels=` string, or NULL.
    fn dmacopy_helper_channels() -> *const c_char;
    /// `src/helpers.c`: whether `dev`'s `driver_override` is `name`, read under its lock.
    // `struct device` holds lockdep fields that Rust does not deem FFI-safe by value: only its
    // address crosses, as `void *`.
    fn dmacopy_helper_driver_override_is(dev: *mut c_void, name: *const c_char) -> bool;
}

/// The `channels` module parameter, if it was given.
pub(crate) fn channels_param() -> Option<&'static CStr> {
    // SAFETY: No arguments; it reads a static pointer.
    let ptr = unsafe { dmacopy_helper_channels() };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is the charp parameter's NUL-terminated string, set by the module loader
    // before the module's init runs and never changed afterwards (the parameter is read-only in
    // sysfs); the loader frees it only when the module is unloaded, after every user of the
    // module's code is gone.
    Some(unsafe { CStr::from_char_ptr(ptr) })
}

/// Whether `dev`'s `driver_override` names the driver `name`: an explicit request from user
/// space (sysfs `driver_override`) that this device be bound to `name`.
pub(crate) fn driver_override_is<Ctx: kernel::device::DeviceContext>(
    dev: &Device<Ctx>,
    name: &CStr,
) -> bool {
    // CAST: `Device` is a transparent wrapper of `struct device`.
    let dev = core::ptr::from_ref(dev).cast::<c_void>().cast_mut();
    // SAFETY: `dev` is a live device (borrowed for the call); `name` is NUL-terminated; the
    // helper only takes the device's `driver_override` lock and compares the strings.
    unsafe { dmacopy_helper_driver_override_is(dev, name.as_char_ptr()) }
}
