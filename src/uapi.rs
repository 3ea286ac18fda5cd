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

/// `DMACOPY_CAP_COPY_USER`: `DMACOPY_IOC_COPY_USER` works.
pub(crate) const CAP_COPY_USER: u32 = 1 << 1;
/// `DMACOPY_CAP_SG`: the controller's scatter-gather mode is used.
pub(crate) const CAP_SG: u32 = 1 << 2;
/// `DMACOPY_CAP_BATCH`: `DMACOPY_IOC_COPY_BATCH` works.
pub(crate) const CAP_BATCH: u32 = 1 << 3;

/// `DMACOPY_COPY_USER_MAX_LEN`: the largest `len` of a `COPY_USER`, 1 GiB.
pub(crate) const COPY_USER_MAX_LEN: u64 = 1 << 30;
/// `DMACOPY_BATCH_MAX`: the most entries of a `COPY_BATCH`.
pub(crate) const BATCH_MAX: u32 = 256;

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
/// `DMACOPY_IOC_COPY_USER`.
pub(crate) const IOC_COPY_USER: u32 = _IOWR::<CopyUser>(MAGIC, 0x02);
/// `DMACOPY_IOC_COPY_BATCH`.
pub(crate) const IOC_COPY_BATCH: u32 = _IOWR::<BatchLayout>(MAGIC, 0x03);

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

/// `struct dmacopy_copy_user`: the layout of `struct dmacopy_copy`, whose `src_off` and
/// `dst_off` carry the `src` and `dst` user addresses (the spec: "same layout and meaning").
pub(crate) type CopyUser = Copy;

/// `struct dmacopy_batch`, decoded from and encoded to its 40 bytes field by field (native
/// byte order, as the C struct), so that it needs no `unsafe` byte-view impl.
#[derive(Default, Clone)]
pub(crate) struct Batch {
    pub(crate) copies: u64,
    pub(crate) count: u32,
    pub(crate) flags: u32,
    pub(crate) timeout_ns: u64,
    pub(crate) elapsed_ns: u64,
    pub(crate) done: u32,
    pub(crate) reserved: u32,
}

/// Bytes in `struct dmacopy_batch`.
pub(crate) const BATCH_SIZE: usize = 40;

impl Batch {
    /// Decodes the struct's bytes.
    pub(crate) fn from_bytes(b: &[u8; BATCH_SIZE]) -> Self {
        let u64_at = |o: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[o..o + 8]);
            u64::from_ne_bytes(w)
        };
        let u32_at = |o: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&b[o..o + 4]);
            u32::from_ne_bytes(w)
        };
        Self {
            copies: u64_at(0),
            count: u32_at(8),
            flags: u32_at(12),
            timeout_ns: u64_at(16),
            elapsed_ns: u64_at(24),
            done: u32_at(32),
            reserved: u32_at(36),
        }
    }

    /// Encodes the struct's bytes.
    pub(crate) fn to_bytes(&self) -> [u8; BATCH_SIZE] {
        let mut b = [0u8; BATCH_SIZE];
        b[0..8].copy_from_slice(&self.copies.to_ne_bytes());
        b[8..12].copy_from_slice(&self.count.to_ne_bytes());
        b[12..16].copy_from_slice(&self.flags.to_ne_bytes());
        b[16..24].copy_from_slice(&self.timeout_ns.to_ne_bytes());
        b[24..32].copy_from_slice(&self.elapsed_ns.to_ne_bytes());
        b[32..36].copy_from_slice(&self.done.to_ne_bytes());
        b[36..40].copy_from_slice(&self.reserved.to_ne_bytes());
        b
    }
}

/// The C layout of `struct dmacopy_batch`, for the opcode and the layout checks only.
#[repr(C)]
struct BatchLayout {
    copies: u64,
    count: u32,
    flags: u32,
    timeout_ns: u64,
    elapsed_ns: u64,
    done: u32,
    reserved: u32,
}

const _: () = assert!(core::mem::size_of::<Info>() == 96);
const _: () = assert!(core::mem::size_of::<BatchLayout>() == BATCH_SIZE);
const _: () = assert!(core::mem::offset_of!(BatchLayout, count) == 8);
const _: () = assert!(core::mem::offset_of!(BatchLayout, flags) == 12);
const _: () = assert!(core::mem::offset_of!(BatchLayout, timeout_ns) == 16);
const _: () = assert!(core::mem::offset_of!(BatchLayout, elapsed_ns) == 24);
const _: () = assert!(core::mem::offset_of!(BatchLayout, done) == 32);
const _: () = assert!(core::mem::offset_of!(BatchLayout, reserved) == 36);
const _: () = assert!(IOC_COPY_USER == 0xc048_dc02);
const _: () = assert!(IOC_COPY_BATCH == 0xc028_dc03);
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
