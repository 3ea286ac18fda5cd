// SPDX-License-Identifier: GPL-2.0

//! User-space access to the `dmacopy` kernel module.
//!
//! Each DMA channel that the module binds is a misc device `/dev/dmacopyN`. Its file is a window
//! of `2 * buf_size` bytes: `[0, buf_size)` is the channel's SRC buffer, `[buf_size, 2 * buf_size)`
//! its DST buffer. `DMACOPY_IOC_COPY` copies `len` bytes from SRC at `src_off` to DST at
//! `dst_off`, with the DMA controller or with the CPU.
//!
//! The ABI (device nodes, the window, every ioctl, struct and errno, the module parameters and
//! debugfs files) is documented in the kernel tree's way in
//! `Documentation/userspace-api/dmacopy.rst` of the dmacopy repository, and implemented by
//! `include/uapi/linux/dmacopy.h`; this crate follows both.
//!
//! - [`uapi`] mirrors `include/uapi/linux/dmacopy.h` (ABI version 1): the `repr(C)` structs,
//!   constants and ioctl opcodes. The header is the source of truth.
//! - [`Device`] owns an open node and wraps every ioctl in a safe method; [`Window`] is the
//!   mapped SRC/DST window. [`Device::copy_user`] copies between two buffers of the process
//!   (`DMACOPY_IOC_COPY_USER`); [`CopyBatch`] runs up to 256 copies in one call
//!   (`DMACOPY_IOC_COPY_BATCH`). Both check the driver's `caps` first and fail with an
//!   [`std::io::ErrorKind::Unsupported`] error that says so when the bit is not set.
//! - [`pattern`] fills the window with test patterns and checks that a copy did what it should.
//! - [`errno_name`] and [`errno_desc`] turn the kernel's errors into `ETIMEDOUT (...)` messages.
//!
//! The system calls go through [`rustix`] (its typed ioctls and `mmap`), which on Linux makes
//! them directly, without the C library; errno names come from [`nix::errno::Errno`].
//!
//! A whole program that does both copies below is `examples/copy.rs` of this crate
//! (`cargo run --example copy -- /dev/dmacopy0`), the one the ABI document shows.
//!
//! A copy through the mapped window, and its errors:
//!
//! ```no_run
//! use dmacopy::{CopyRequest, Device, Mode};
//!
//! let mut dev = Device::open_index(0)?;
//! let info = dev.info()?;
//! let mut win = dev.map()?;
//! win.src_mut()[..4].copy_from_slice(b"abcd");
//! let req = CopyRequest { len: 4, mode: Mode::Dma, ..CopyRequest::default() };
//! match win.copy(&req) {
//!     Ok(res) => println!("{}: {} ns with {}", info.controller_str(), res.elapsed_ns, res.mode_used),
//!     // e.g. "copy failed: ETIMEDOUT (Operation timed out), hw_status 0x0"
//!     Err(err) => eprintln!("{err}"),
//! }
//! assert_eq!(&win.dst()[..4], b"abcd");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A copy between two buffers of the process, where the driver offers it:
//!
//! ```no_run
//! use dmacopy::{Device, Mode};
//!
//! let dev = Device::open("/dev/dmacopy0")?;
//! let src = vec![0x5a_u8; 1 << 20];
//! let mut dst = vec![0_u8; 1 << 20];
//! match dev.copy_user(&src, &mut dst, Mode::Dma, 0) {
//!     Ok(res) => assert_eq!(res.mode_used, Mode::Dma),
//!     Err(err) if err.is_unsupported() => eprintln!("{err}"), // no CAP_COPY_USER
//!     Err(err) => return Err(err.into()),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod batch;
pub mod claim;
mod device;
mod errno;
pub mod pattern;
pub mod uapi;

pub use batch::{BatchError, BatchFull, BatchResult, CopyBatch};
pub use device::{
    is_unsupported, unsupported, CopyError, CopyRequest, CopyResult, Device, Window, DEV_DIR,
    NODE_PREFIX,
};
pub use errno::{errno_desc, errno_name};
pub use uapi::{
    Batch, Copy, CopyUser, Info, ABI_VERSION, BATCH_MAX, CAP_BATCH, CAP_COPY_USER, CAP_MMAP,
    CAP_SG, CONTROLLER_LEN, COPY_USER_MAX_LEN, IOC_COPY, IOC_COPY_BATCH, IOC_COPY_USER, IOC_INFO,
    IOC_MAGIC, MODE_AUTO, MODE_CPU, MODE_DMA,
};

use core::fmt;
use core::str::FromStr;

/// How a copy is done (`DMACOPY_MODE_*`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `DMACOPY_MODE_DMA`: program the DMA controller; completion by its interrupt.
    #[default]
    Dma = MODE_DMA,
    /// `DMACOPY_MODE_CPU`: copy with the CPU, no controller involved.
    Cpu = MODE_CPU,
    /// `DMACOPY_MODE_AUTO`: the driver picks, CPU below `auto_threshold` bytes, DMA from there on.
    Auto = MODE_AUTO,
}

impl Mode {
    /// Every mode, in ABI order.
    pub const ALL: [Mode; 3] = [Mode::Dma, Mode::Cpu, Mode::Auto];

    /// The ABI value (`DMACOPY_MODE_*`).
    pub const fn raw(self) -> u32 {
        self as u32
    }

    /// The mode with ABI value `raw`, if there is one.
    pub const fn from_raw(raw: u32) -> Option<Mode> {
        match raw {
            MODE_DMA => Some(Mode::Dma),
            MODE_CPU => Some(Mode::Cpu),
            MODE_AUTO => Some(Mode::Auto),
            _ => None,
        }
    }

    /// The lower-case name: `dma`, `cpu` or `auto`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Dma => "dma",
            Mode::Cpu => "cpu",
            Mode::Auto => "auto",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The error from parsing a [`Mode`] name that is not `dma`, `cpu` or `auto`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseModeError(pub String);

impl fmt::Display for ParseModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown mode '{}' (expected dma, cpu or auto)", self.0)
    }
}

impl std::error::Error for ParseModeError {}

impl FromStr for Mode {
    type Err = ParseModeError;

    /// Parses `dma`, `cpu` or `auto`, in any case.
    fn from_str(s: &str) -> Result<Mode, ParseModeError> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseModeError(s.to_owned()))
    }
}

impl TryFrom<u32> for Mode {
    /// The unknown value.
    type Error = u32;

    fn try_from(raw: u32) -> Result<Mode, u32> {
        Mode::from_raw(raw).ok_or(raw)
    }
}

impl From<Mode> for u32 {
    fn from(mode: Mode) -> u32 {
        mode.raw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_values_and_names() {
        assert_eq!(Mode::Dma.raw(), 0);
        assert_eq!(Mode::Cpu.raw(), 1);
        assert_eq!(Mode::Auto.raw(), 2);
        for m in Mode::ALL {
            assert_eq!(Mode::from_raw(m.raw()), Some(m));
            assert_eq!(m.name().parse::<Mode>(), Ok(m));
            assert_eq!(m.name().to_uppercase().parse::<Mode>(), Ok(m));
        }
        assert_eq!(Mode::from_raw(3), None);
        assert_eq!(Mode::try_from(7), Err(7));
        assert!("dmaa".parse::<Mode>().is_err());
        assert!("".parse::<Mode>().is_err());
        assert_eq!(format!("{:>4}", Mode::Cpu), " cpu");
    }
}
