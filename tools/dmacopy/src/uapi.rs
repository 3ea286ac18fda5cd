// SPDX-License-Identifier: GPL-2.0

//! Mirror of `include/uapi/linux/dmacopy.h`, the user-space ABI (version 1).
//!
//! The header is the source of truth; the names here are its names without the `DMACOPY_` /
//! `dmacopy_` prefix. Struct sizes and alignments are checked at build time; every field's
//! offset and type, every constant and every ioctl opcode by the unit tests below, against the
//! same literal values as the C checks in `tests/uapi/abi.h`, so a change on either side shows.
//! The opcodes are encoded by `rustix::ioctl::opcode` (`_IOR`, `_IOWR` for the target
//! architecture), and the calls in [`crate::Device`] pass them to rustix's typed ioctl patterns.
//! The ABI document is `Documentation/userspace-api/dmacopy.rst`.
//!
//! `DMACOPY_IOC_COPY_USER` and `DMACOPY_IOC_COPY_BATCH` work only where the driver sets
//! [`CAP_COPY_USER`] and [`CAP_BATCH`] in [`Info::caps`]; a driver without them fails both with
//! `ENOTTY`. The safe wrappers ([`crate::Device::copy_user`], [`crate::CopyBatch`]) check the
//! bits first.

use core::mem::size_of;
use rustix::ioctl::{opcode, Opcode};

/// `DMACOPY_ABI_VERSION`: what [`Info::abi_version`] reports for the ABI this crate speaks.
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

/// `DMACOPY_IOC_MAGIC`: the ioctl type byte of every `DMACOPY_IOC_*`.
pub const IOC_MAGIC: u32 = 0xDC;

/// [`IOC_MAGIC`] as the byte that the `_IOC` encoding takes.
// CAST: 0xDC fits a byte.
const MAGIC: u8 = IOC_MAGIC as u8;
const _: () = assert!(MAGIC as u32 == IOC_MAGIC);

// The opcodes, encoded by rustix's `opcode` functions, its `_IOR` and `_IOWR` (the Linux
// `_IOC` encoding of the target architecture: dir, size, type, nr), as rustix's ioctl
// patterns take them. `device.rs` and `batch.rs` make their calls with these.

/// `DMACOPY_IOC_INFO` as the opcode type of `rustix::ioctl`.
pub(crate) const OP_INFO: Opcode = opcode::read::<Info>(MAGIC, 0x00);
/// `DMACOPY_IOC_COPY` as the opcode type of `rustix::ioctl`.
pub(crate) const OP_COPY: Opcode = opcode::read_write::<Copy>(MAGIC, 0x01);
/// `DMACOPY_IOC_COPY_USER` as the opcode type of `rustix::ioctl`.
pub(crate) const OP_COPY_USER: Opcode = opcode::read_write::<CopyUser>(MAGIC, 0x02);
/// `DMACOPY_IOC_COPY_BATCH` as the opcode type of `rustix::ioctl`.
pub(crate) const OP_COPY_BATCH: Opcode = opcode::read_write::<Batch>(MAGIC, 0x03);

/// An opcode as the 32 bits that the C macros give.
///
/// # Panics
///
/// If `op` does not fit 32 bits (no `_IOC` value does); in a constant, that is a build error.
const fn op_u32(op: Opcode) -> u32 {
    // `Opcode` is `c_uint` under rustix's linux_raw backend, and `c_ulong` or `c_int` under its
    // libc backends.
    // CAST: the 32 bits of the opcode, as `c_uint`; converting back shows whether any was lost.
    // Under linux_raw this is a cast from `u32` to `u32`, elsewhere not.
    #[allow(clippy::unnecessary_cast)]
    let bits = op as u32;
    assert!(bits as Opcode == op);
    bits
}

/// `DMACOPY_IOC_INFO`: `_IOR(0xDC, 0x00, struct dmacopy_info)`, for [`crate::Device::info`].
pub const IOC_INFO: u32 = op_u32(OP_INFO);
/// `DMACOPY_IOC_COPY`: `_IOWR(0xDC, 0x01, struct dmacopy_copy)`, for [`crate::Device::copy`].
pub const IOC_COPY: u32 = op_u32(OP_COPY);
/// `DMACOPY_IOC_COPY_USER`: `_IOWR(0xDC, 0x02, struct dmacopy_copy_user)`, for
/// [`crate::Device::copy_user`].
///
/// Needs [`CAP_COPY_USER`]; without it, it fails with `ENOTTY`.
pub const IOC_COPY_USER: u32 = op_u32(OP_COPY_USER);
/// `DMACOPY_IOC_COPY_BATCH`: `_IOWR(0xDC, 0x03, struct dmacopy_batch)`, for
/// [`crate::CopyBatch::run`].
///
/// Needs [`CAP_BATCH`]; without it, it fails with `ENOTTY`.
pub const IOC_COPY_BATCH: u32 = op_u32(OP_COPY_BATCH);

/// `struct dmacopy_info`: what a node drives (`DMACOPY_IOC_INFO`, out).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// [`ABI_VERSION`] of the driver.
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
    /// Zero: room for later fields.
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

    /// The architectures whose `_IOC` is the generic one of include/uapi/asm-generic/ioctl.h
    /// (the others, alpha, mips, powerpc and sparc, put the direction in 3 bits and the size
    /// in 13; rustix encodes for each, and the header's values differ there).
    #[cfg(not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "sparc",
        target_arch = "sparc64"
    )))]
    #[test]
    fn opcodes() {
        // The generic `_IOC` encoding (arm64, x86, riscv, ...): the values the C macros give,
        // the same literals as `tests/uapi/abi.h`.
        assert_eq!(IOC_INFO, 0x8060_dc00);
        assert_eq!(IOC_COPY, 0xc048_dc01);
        assert_eq!(IOC_COPY_USER, 0xc048_dc02);
        assert_eq!(IOC_COPY_BATCH, 0xc028_dc03);
        // What the calls use is the same number.
        let ops = [OP_INFO, OP_COPY, OP_COPY_USER, OP_COPY_BATCH];
        let iocs = [IOC_INFO, IOC_COPY, IOC_COPY_USER, IOC_COPY_BATCH];
        for (op, ioc) in ops.into_iter().zip(iocs) {
            assert_eq!(op_u32(op), ioc);
        }
    }

    /// rustix's encoder, field by field as include/uapi/asm-generic/ioctl.h lays them out: nr
    /// in bits 0..8, type in 8..16, size in 16..30, dir in 30..32 (`_IOC_WRITE` 1, `_IOC_READ`
    /// 2). A wrong direction, size or number in an opcode above would show here by its field.
    #[cfg(not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "sparc",
        target_arch = "sparc64"
    )))]
    #[test]
    fn opcode_fields() {
        let fields = |op: u32| (op >> 30, (op >> 16) & 0x3fff, (op >> 8) & 0xff, op & 0xff);
        assert_eq!(fields(IOC_INFO), (2, 96, 0xdc, 0x00));
        assert_eq!(fields(IOC_COPY), (3, 72, 0xdc, 0x01));
        assert_eq!(fields(IOC_COPY_USER), (3, 72, 0xdc, 0x02));
        assert_eq!(fields(IOC_COPY_BATCH), (3, 40, 0xdc, 0x03));
        assert_eq!(op_u32(opcode::none(0xdc, 0x05)), 0x0000_dc05);
        assert_eq!(op_u32(opcode::write::<u32>(0xdc, 0x03)), 0x4004_dc03);
        assert_eq!(op_u32(opcode::read::<u64>(0xdc, 0xff)), 0x8008_dcff);
        assert_eq!(
            op_u32(opcode::read_write::<[u8; 0x3fff]>(0xff, 0xff)),
            0xffff_ffff
        );
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
