// SPDX-License-Identifier: GPL-2.0

//! Mirror of `include/uapi/linux/dmacopy.h`, the user-space ABI (version 1).
//!
//! The header is the source of truth; the names here are its names without the `DMACOPY_` /
//! `dmacopy_` prefix. Struct sizes and alignments are checked at build time; every field's
//! offset and type, every constant and every ioctl opcode by the unit tests below, against the
//! same literal values as the C checks in `tests/uapi/abi.h`, so a change on either side shows.
//!
//! `DMACOPY_IOC_COPY_USER` and `DMACOPY_IOC_COPY_BATCH` work only where the driver sets
//! [`CAP_COPY_USER`] and [`CAP_BATCH`] in [`Info::caps`]; a driver without them fails both with
//! `ENOTTY`. The safe wrappers ([`crate::Device::copy_user`], [`crate::CopyBatch`]) check the
//! bits first.

use core::mem::size_of;

/// `DMACOPY_ABI_VERSION`.
pub const ABI_VERSION: u32 = 1;

/// `DMACOPY_CAP_MMAP`: the window can be `mmap()`ed.
pub const CAP_MMAP: u32 = 1 << 0;
/// `DMACOPY_CAP_COPY_USER`: `DMACOPY_IOC_COPY_USER` works.
pub const CAP_COPY_USER: u32 = 1 << 1;
/// `DMACOPY_CAP_SG`: the controller's scatter-gather mode is used.
pub const CAP_SG: u32 = 1 << 2;
/// `DMACOPY_CAP_BATCH`: `DMACOPY_IOC_COPY_BATCH` works.
pub const CAP_BATCH: u32 = 1 << 3;

/// Every `DMACOPY_CAP_*` bit with its name, lowest bit first.
pub const CAP_NAMES: [(u32, &str); 4] = [
    (CAP_MMAP, "mmap"),
    (CAP_COPY_USER, "copy_user"),
    (CAP_SG, "sg"),
    (CAP_BATCH, "batch"),
];

/// `DMACOPY_MODE_DMA`: the DMA controller; completion by its interrupt.
pub const MODE_DMA: u32 = 0;
/// `DMACOPY_MODE_CPU`: the CPU; no controller involved.
pub const MODE_CPU: u32 = 1;
/// `DMACOPY_MODE_AUTO`: CPU below `auto_threshold`, else DMA.
pub const MODE_AUTO: u32 = 2;

/// `DMACOPY_CONTROLLER_LEN`: bytes in [`Info::controller`], NUL included.
pub const CONTROLLER_LEN: usize = 16;

/// `DMACOPY_COPY_USER_MAX_LEN`: largest `len` of `DMACOPY_IOC_COPY_USER` (1 GiB).
pub const COPY_USER_MAX_LEN: u64 = 1 << 30;

/// `DMACOPY_BATCH_MAX`: largest [`Batch::count`].
pub const BATCH_MAX: u32 = 256;

/// `DMACOPY_IOC_MAGIC`.
pub const IOC_MAGIC: u32 = 0xDC;

// The Linux `_IOC` encoding (include/uapi/asm-generic/ioctl.h), the one arm64, x86, riscv and
// most other architectures use: nr in bits 0..8, type in 8..16, size in 16..30, dir in 30..32.

/// `_IOC_NONE`.
pub const IOC_NONE: u32 = 0;
/// `_IOC_WRITE`: user space writes the argument, the kernel reads it.
pub const IOC_WRITE: u32 = 1;
/// `_IOC_READ`: the kernel writes the argument, user space reads it.
pub const IOC_READ: u32 = 2;

/// `_IOC_SIZEBITS`.
const IOC_SIZE_BITS: u32 = 14;

/// `_IOC(dir, ty, nr, size)`.
///
/// # Panics
///
/// If a field does not fit its bits (`size` has 14); in a constant, that is a build error.
pub const fn ioc(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    assert!(dir <= 3 && ty <= 0xff && nr <= 0xff);
    assert!(size < (1 << IOC_SIZE_BITS));
    // CAST: `size` is below 2^14, checked above.
    (dir << 30) | ((size as u32) << 16) | (ty << 8) | nr
}

/// `_IOR(ty, nr, T)`: the kernel writes a `T` back.
pub const fn ior<T>(ty: u32, nr: u32) -> u32 {
    ioc(IOC_READ, ty, nr, size_of::<T>())
}

/// `_IOW(ty, nr, T)`: the kernel reads a `T`.
pub const fn iow<T>(ty: u32, nr: u32) -> u32 {
    ioc(IOC_WRITE, ty, nr, size_of::<T>())
}

/// `_IOWR(ty, nr, T)`: the kernel reads a `T` and writes it back.
pub const fn iowr<T>(ty: u32, nr: u32) -> u32 {
    ioc(IOC_READ | IOC_WRITE, ty, nr, size_of::<T>())
}

/// `DMACOPY_IOC_INFO`: `_IOR(0xDC, 0x00, struct dmacopy_info)`.
pub const IOC_INFO: u32 = ior::<Info>(IOC_MAGIC, 0x00);
/// `DMACOPY_IOC_COPY`: `_IOWR(0xDC, 0x01, struct dmacopy_copy)`.
pub const IOC_COPY: u32 = iowr::<Copy>(IOC_MAGIC, 0x01);
/// `DMACOPY_IOC_COPY_USER`: `_IOWR(0xDC, 0x02, struct dmacopy_copy_user)`.
///
/// Needs [`CAP_COPY_USER`]; without it, it fails with `ENOTTY`.
pub const IOC_COPY_USER: u32 = iowr::<CopyUser>(IOC_MAGIC, 0x02);
/// `DMACOPY_IOC_COPY_BATCH`: `_IOWR(0xDC, 0x03, struct dmacopy_batch)`.
///
/// Needs [`CAP_BATCH`]; without it, it fails with `ENOTTY`.
pub const IOC_COPY_BATCH: u32 = iowr::<Batch>(IOC_MAGIC, 0x03);

/// `struct dmacopy_info`: what a node drives (`DMACOPY_IOC_INFO`, out).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// [`ABI_VERSION`].
    pub abi_version: u32,
    /// `CAP_*` bits.
    pub caps: u32,
    /// Bytes in SRC, and in DST.
    pub buf_size: u64,
    /// Largest `len` that `DMACOPY_IOC_COPY` accepts (= `buf_size`).
    pub max_len: u64,
    /// Physical address of the channel's registers.
    pub reg_base: u64,
    /// Linux IRQ number of the channel.
    pub irq: u32,
    /// In DMA mode, `src_off`, `dst_off` and `len` must be multiples of this (1: any).
    pub align: u32,
    /// `DMACOPY_MODE_AUTO` copies shorter than this with the CPU.
    pub auto_threshold: u64,
    /// NUL-terminated model of the controller, e.g. `zynqmp-zdma`.
    pub controller: [u8; CONTROLLER_LEN],
    /// Zero.
    pub reserved: [u64; 4],
}

impl Info {
    /// The controller model, up to the first NUL (or all 16 bytes if there is none), cut before
    /// the first byte that is not UTF-8.
    pub fn controller_str(&self) -> &str {
        let bytes = &self.controller;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let bytes = &bytes[..end];
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            // `valid_up_to()` ends the longest valid prefix, so this parse succeeds.
            Err(e) => core::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
        }
    }

    /// Whether every bit of `cap` (`CAP_*`) is set in `caps`.
    pub const fn has(&self, cap: u32) -> bool {
        self.caps & cap == cap
    }

    /// The `caps` bits as names joined by `|`, e.g. `mmap|copy_user`; unknown bits as hex, no
    /// bit at all as `-`.
    pub fn caps_string(&self) -> String {
        caps_string(self.caps)
    }

    /// Bytes in the whole window: SRC then DST, `2 * buf_size`.
    pub const fn window_len(&self) -> u64 {
        self.buf_size.saturating_mul(2)
    }
}

/// `caps` (`CAP_*` bits) as names joined by `|`, e.g. `mmap|copy_user`; unknown bits as one hex
/// number, no bit at all as `-`.
pub fn caps_string(caps: u32) -> String {
    let mut names: Vec<String> = CAP_NAMES
        .iter()
        .filter(|(bit, _)| caps & bit != 0)
        .map(|(_, name)| (*name).to_owned())
        .collect();
    let known = CAP_NAMES.iter().fold(0, |acc, (bit, _)| acc | bit);
    if caps & !known != 0 {
        names.push(format!("{:#x}", caps & !known));
    }
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join("|")
    }
}

/// `struct dmacopy_copy`: one copy from SRC to DST (`DMACOPY_IOC_COPY`, in/out).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Copy {
    /// In: offset into SRC.
    pub src_off: u64,
    /// In: offset into DST.
    pub dst_off: u64,
    /// In: bytes to copy, `1..=max_len`.
    pub len: u64,
    /// In: `MODE_*`.
    pub mode: u32,
    /// In: zero.
    pub flags: u32,
    /// In: 0 for the module's `timeout_ms`.
    pub timeout_ns: u64,
    /// Out: from the start of the copy to its completion, measured in the kernel.
    pub elapsed_ns: u64,
    /// Out: [`MODE_DMA`] or [`MODE_CPU`].
    pub mode_used: u32,
    /// Out: the controller's raw interrupt status at completion; 0 in CPU mode.
    pub hw_status: u32,
    /// In/out: zero.
    pub reserved: [u64; 2],
}

/// `struct dmacopy_copy_user`: a copy between user buffers (`DMACOPY_IOC_COPY_USER`, in/out).
///
/// Same layout and meaning as [`struct@Copy`], except that `src` and `dst` are addresses in the
/// calling process, `len` may be up to [`COPY_USER_MAX_LEN`], and the ranges must not overlap.
///
/// Needs [`CAP_COPY_USER`]; without it, the ioctl fails with `ENOTTY`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyUser {
    /// In: user-space address of the source.
    pub src: u64,
    /// In: user-space address of the destination; must not overlap the source.
    pub dst: u64,
    /// In: bytes to copy, `1..=COPY_USER_MAX_LEN`.
    pub len: u64,
    /// In: `MODE_*`.
    pub mode: u32,
    /// In: zero.
    pub flags: u32,
    /// In: 0 for the module's `timeout_ms`.
    pub timeout_ns: u64,
    /// Out: from the start of the copy to its completion, measured in the kernel.
    pub elapsed_ns: u64,
    /// Out: [`MODE_DMA`] or [`MODE_CPU`].
    pub mode_used: u32,
    /// Out: the controller's raw interrupt status at completion; 0 in CPU mode.
    pub hw_status: u32,
    /// In/out: zero.
    pub reserved: [u64; 2],
}

/// `struct dmacopy_batch`: several copies between SRC and DST in one call
/// (`DMACOPY_IOC_COPY_BATCH`, in/out).
///
/// Every entry is checked as for `DMACOPY_IOC_COPY` (its own `timeout_ns` must be 0) before any
/// runs; they run in array order in one turn of the channel. On `EIO`, `ETIMEDOUT` or `EINTR`,
/// `done` says how many leading entries completed.
///
/// Needs [`CAP_BATCH`]; without it, the ioctl fails with `ENOTTY`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// In: user-space address of an array of `count` [`struct@Copy`].
    pub copies: u64,
    /// In: entries, `1..=BATCH_MAX`.
    pub count: u32,
    /// In: zero.
    pub flags: u32,
    /// In: bound for the whole batch; 0 for the module's `timeout_ms`.
    pub timeout_ns: u64,
    /// Out: from the start of the first entry to the completion of the last.
    pub elapsed_ns: u64,
    /// Out: leading entries that completed, `0..=count`.
    pub done: u32,
    /// In/out: zero.
    pub reserved: u32,
}

const _: () = assert!(size_of::<Info>() == 96);
const _: () = assert!(size_of::<Copy>() == 72);
const _: () = assert!(size_of::<CopyUser>() == 72);
const _: () = assert!(size_of::<Batch>() == 40);
const _: () = assert!(core::mem::align_of::<Info>() == 8);
const _: () = assert!(core::mem::align_of::<Copy>() == 8);
const _: () = assert!(core::mem::align_of::<CopyUser>() == 8);
const _: () = assert!(core::mem::align_of::<Batch>() == 8);

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of};

    /// `field!(Struct, member, offset, Type)`: the member is at `offset` and is exactly a `Type`
    /// (the closure does not compile otherwise). The same list as `tests/uapi/abi.h`.
    macro_rules! field {
        ($s:ty, $m:ident, $off:expr, $t:ty) => {{
            assert_eq!(offset_of!($s, $m), $off, "offset of {}", stringify!($s.$m));
            let _: fn(&$s) -> &$t = |s| &s.$m;
        }};
    }

    #[test]
    fn opcodes() {
        // The generic `_IOC` encoding (arm64, x86, riscv, ...): the values the C macros give.
        assert_eq!(IOC_INFO, 0x8060_dc00);
        assert_eq!(IOC_COPY, 0xc048_dc01);
        assert_eq!(IOC_COPY_USER, 0xc048_dc02);
        assert_eq!(IOC_COPY_BATCH, 0xc028_dc03);
        assert_eq!(ioc(IOC_NONE, 0xDC, 0x05, 0), 0x0000_dc05);
        assert_eq!(iow::<u32>(0xDC, 0x03), 0x4004_dc03);
        assert_eq!(ior::<u64>(0xDC, 0xff), 0x8008_dcff);
        assert_eq!(ioc(IOC_READ | IOC_WRITE, 0xff, 0xff, 0x3fff), 0xffff_ffff);
    }

    #[test]
    fn sizes() {
        assert_eq!(size_of::<Info>(), 96);
        assert_eq!(size_of::<Copy>(), 72);
        assert_eq!(size_of::<CopyUser>(), 72);
        assert_eq!(size_of::<Batch>(), 40);
        assert_eq!(align_of::<Info>(), 8);
        assert_eq!(align_of::<Copy>(), 8);
        assert_eq!(align_of::<CopyUser>(), 8);
        assert_eq!(align_of::<Batch>(), 8);
    }

    #[test]
    fn info_fields() {
        field!(Info, abi_version, 0, u32);
        field!(Info, caps, 4, u32);
        field!(Info, buf_size, 8, u64);
        field!(Info, max_len, 16, u64);
        field!(Info, reg_base, 24, u64);
        field!(Info, irq, 32, u32);
        field!(Info, align, 36, u32);
        field!(Info, auto_threshold, 40, u64);
        field!(Info, controller, 48, [u8; 16]);
        field!(Info, reserved, 64, [u64; 4]);
    }

    #[test]
    fn copy_fields() {
        field!(Copy, src_off, 0, u64);
        field!(Copy, dst_off, 8, u64);
        field!(Copy, len, 16, u64);
        field!(Copy, mode, 24, u32);
        field!(Copy, flags, 28, u32);
        field!(Copy, timeout_ns, 32, u64);
        field!(Copy, elapsed_ns, 40, u64);
        field!(Copy, mode_used, 48, u32);
        field!(Copy, hw_status, 52, u32);
        field!(Copy, reserved, 56, [u64; 2]);
    }

    #[test]
    fn copy_user_fields() {
        field!(CopyUser, src, 0, u64);
        field!(CopyUser, dst, 8, u64);
        field!(CopyUser, len, 16, u64);
        field!(CopyUser, mode, 24, u32);
        field!(CopyUser, flags, 28, u32);
        field!(CopyUser, timeout_ns, 32, u64);
        field!(CopyUser, elapsed_ns, 40, u64);
        field!(CopyUser, mode_used, 48, u32);
        field!(CopyUser, hw_status, 52, u32);
        field!(CopyUser, reserved, 56, [u64; 2]);
    }

    #[test]
    fn batch_fields() {
        field!(Batch, copies, 0, u64);
        field!(Batch, count, 8, u32);
        field!(Batch, flags, 12, u32);
        field!(Batch, timeout_ns, 16, u64);
        field!(Batch, elapsed_ns, 24, u64);
        field!(Batch, done, 32, u32);
        field!(Batch, reserved, 36, u32);
    }

    #[test]
    fn constants() {
        assert_eq!(ABI_VERSION, 1);
        assert_eq!(
            (CAP_MMAP, CAP_COPY_USER, CAP_SG, CAP_BATCH),
            (0x1, 0x2, 0x4, 0x8)
        );
        assert_eq!((MODE_DMA, MODE_CPU, MODE_AUTO), (0, 1, 2));
        assert_eq!(CONTROLLER_LEN, 16);
        assert_eq!(COPY_USER_MAX_LEN, 1_073_741_824);
        assert_eq!(BATCH_MAX, 256);
        assert_eq!(IOC_MAGIC, 0xdc);
    }

    fn info_with_controller(name: &[u8]) -> Info {
        let mut info = Info::default();
        info.controller[..name.len()].copy_from_slice(name);
        info
    }

    #[test]
    fn controller_str() {
        assert_eq!(
            info_with_controller(b"zynqmp-zdma\0").controller_str(),
            "zynqmp-zdma"
        );
        assert_eq!(info_with_controller(b"").controller_str(), "");
        // No NUL at all: all 16 bytes.
        assert_eq!(
            info_with_controller(b"0123456789abcdef").controller_str(),
            "0123456789abcdef"
        );
        // Bytes after the NUL are ignored; invalid UTF-8 cuts the name.
        assert_eq!(info_with_controller(b"ab\0cd").controller_str(), "ab");
        assert_eq!(info_with_controller(b"ab\xffcd").controller_str(), "ab");
    }

    #[test]
    fn caps() {
        assert_eq!(caps_string(0), "-");
        assert_eq!(caps_string(CAP_MMAP), "mmap");
        assert_eq!(
            caps_string(CAP_MMAP | CAP_COPY_USER | CAP_SG),
            "mmap|copy_user|sg"
        );
        assert_eq!(caps_string(CAP_BATCH), "batch");
        assert_eq!(caps_string(CAP_SG | 0x30), "sg|0x30");
        let info = Info {
            caps: CAP_MMAP | CAP_SG,
            ..Info::default()
        };
        assert!(info.has(CAP_MMAP));
        assert!(info.has(CAP_MMAP | CAP_SG));
        assert!(!info.has(CAP_COPY_USER));
        assert_eq!(info.caps_string(), "mmap|sg");
    }
}
