// SPDX-License-Identifier: GPL-2.0

//! Rust mirror of `include/uapi/linux/dmacopy.h`, the user-space ABI (version 1).
//!
//! Layouts and sizes are checked at build time; the opcodes are computed from the struct sizes
//! exactly as the C `_IOR`/`_IOWR` macros do.

use kernel::{
    ioctl::{
        _IOR,
        _IOWR, //
    },
    transmute::{
        AsBytes,
        FromBytes, //
    },
};

/// `DMACOPY_ABI_VERSION`.
pub(crate) const ABI_VERSION: u32 = 1;

/// `DMACOPY_CAP_MMAP`: the window can be mapped.
pub(crate) const CAP_MMAP: u32 = 1 << 0;

/// `DMACOPY_MODE_DMA`.
pub(crate) const MODE_DMA: u32 = 0;
/// `DMACOPY_MODE_CPU`.
pub(crate) const MODE_CPU: u32 = 1;
/// `DMACOPY_MODE_AUTO`.
pub(crate) const MODE_AUTO: u32 = 2;

/// `DMACOPY_IOC_MAGIC`.
const MAGIC: u32 = 0xDC;

/// `DMACOPY_IOC_INFO`.
pub(crate) const IOC_INFO: u32 = _IOR::<Info>(MAGIC, 0x00);
/// `DMACOPY_IOC_COPY`.
pub(crate) const IOC_COPY: u32 = _IOWR::<Copy>(MAGIC, 0x01);

/// `struct dmacopy_info`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct Info {
    pub(crate) abi_version: u32,
    pub(crate) caps: u32,
    pub(crate) buf_size: u64,
    pub(crate) max_len: u64,
    pub(crate) reg_base: u64,
    pub(crate) irq: u32,
    pub(crate) align: u32,
    pub(crate) auto_threshold: u64,
    pub(crate) controller: [u8; 16],
    pub(crate) reserved: [u64; 4],
}

/// `struct dmacopy_copy`.
#[repr(C)]
#[derive(Default, Clone)]
pub(crate) struct Copy {
    pub(crate) src_off: u64,
    pub(crate) dst_off: u64,
    pub(crate) len: u64,
    pub(crate) mode: u32,
    pub(crate) flags: u32,
    pub(crate) timeout_ns: u64,
    pub(crate) elapsed_ns: u64,
    pub(crate) mode_used: u32,
    pub(crate) hw_status: u32,
    pub(crate) reserved: [u64; 2],
}

const _: () = assert!(core::mem::size_of::<Info>() == 96);
const _: () = assert!(core::mem::size_of::<Copy>() == 72);
const _: () = assert!(core::mem::offset_of!(Info, controller) == 48);
const _: () = assert!(core::mem::offset_of!(Copy, elapsed_ns) == 40);
const _: () = assert!(core::mem::offset_of!(Copy, reserved) == 56);
const _: () = assert!(IOC_INFO == 0x8060_dc00);
const _: () = assert!(IOC_COPY == 0xc048_dc01);

// SAFETY: `Info` is `repr(C)` of integers and byte arrays with no padding (checked by the size
// assertions above), so every byte is initialised.
unsafe impl AsBytes for Info {}

// SAFETY: `Copy` is `repr(C)` of integers with no padding, so every byte is initialised.
unsafe impl AsBytes for Copy {}
// SAFETY: `Copy` is made only of integers, for which any bit pattern is valid.
unsafe impl FromBytes for Copy {}
