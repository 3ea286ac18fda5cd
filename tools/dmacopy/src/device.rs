// SPDX-License-Identifier: GPL-2.0

//! [`Device`], an open `/dev/dmacopyN`, and [`Window`], its mapped SRC/DST window.
//!
//! Every ioctl goes through a method here, made with rustix's typed ioctl patterns
//! (`rustix::ioctl::Updater`) on the opcodes of [`crate::uapi`]; each `unsafe` block is
//! one system call whose pointer arguments come from Rust references of the right type and size.

use crate::errno::errno_desc;
use crate::uapi::{
    caps_string, Copy, CopyUser, Info, CAP_COPY_USER, COPY_USER_MAX_LEN, OP_COPY, OP_COPY_USER,
    OP_INFO,
};
use crate::Mode;
use core::fmt;
use core::ptr::{self, NonNull};
use rustix::io::Errno;
use rustix::ioctl::{ioctl, Updater};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the device nodes are.
pub const DEV_DIR: &str = "/dev";

/// The device nodes' names: this prefix, then the channel's index in probe order.
pub const NODE_PREFIX: &str = "dmacopy";

/// What to copy, and how (the "in" fields of `struct dmacopy_copy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyRequest {
    /// Offset into SRC.
    pub src_off: u64,
    /// Offset into DST.
    pub dst_off: u64,
    /// Bytes to copy, `1..=max_len`.
    pub len: u64,
    /// How to copy.
    pub mode: Mode,
    /// Time limit in nanoseconds; 0 for the module's `timeout_ms`.
    pub timeout_ns: u64,
}

impl CopyRequest {
    /// A copy of `len` bytes from the start of SRC to the start of DST, in [`Mode::Dma`], with
    /// the module's default time limit.
    pub const fn new(len: u64) -> CopyRequest {
        CopyRequest {
            src_off: 0,
            dst_off: 0,
            len,
            mode: Mode::Dma,
            timeout_ns: 0,
        }
    }

    /// The ioctl argument: these fields, and zero in `flags`, the out fields and `reserved`.
    pub fn to_uapi(&self) -> Copy {
        Copy {
            src_off: self.src_off,
            dst_off: self.dst_off,
            len: self.len,
            mode: self.mode.raw(),
            timeout_ns: self.timeout_ns,
            ..Copy::default()
        }
    }
}

/// What a copy reported (the "out" fields of `struct dmacopy_copy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyResult {
    /// From the start of the copy to its completion, measured in the kernel.
    pub elapsed_ns: u64,
    /// [`Mode::Dma`] or [`Mode::Cpu`]: how the copy was actually done.
    pub mode_used: Mode,
    /// The controller's raw interrupt status at completion; 0 in CPU mode.
    pub hw_status: u32,
}

impl CopyResult {
    /// The result from the out fields; an error if the kernel reported an unknown mode.
    pub(crate) fn from_out(
        elapsed_ns: u64,
        mode_used: u32,
        hw_status: u32,
    ) -> io::Result<CopyResult> {
        let mode_used = Mode::from_raw(mode_used).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the kernel reported unknown mode_used {mode_used}"),
            )
        })?;
        Ok(CopyResult {
            elapsed_ns,
            mode_used,
            hw_status,
        })
    }
}

/// A copy that failed: the error, and for `EIO` and `ETIMEDOUT` the out fields, which the
/// kernel fills in then too (`hw_status` tells what the controller saw).
#[derive(Debug)]
pub struct CopyError {
    /// The error; [`io::Error::raw_os_error`] is the errno for an error from the kernel.
    pub error: io::Error,
    /// The out fields, for `EIO` and `ETIMEDOUT`.
    pub result: Option<CopyResult>,
}

impl CopyError {
    pub(crate) fn new(error: io::Error, out: (u64, u32, u32)) -> CopyError {
        let result = match Errno::from_io_error(&error) {
            Some(Errno::IO | Errno::TIMEDOUT) => CopyResult::from_out(out.0, out.1, out.2).ok(),
            _ => None,
        };
        CopyError { error, result }
    }

    /// The errno, if the error came from the kernel.
    pub fn errno(&self) -> Option<i32> {
        self.error.raw_os_error()
    }

    /// Whether the driver does not implement the ioctl (its `caps` bit is not set): no system
    /// call was made for the copy.
    pub fn is_unsupported(&self) -> bool {
        is_unsupported(&self.error)
    }

    /// A failure found before any system call: `EINVAL` for arguments the kernel would refuse.
    pub(crate) fn einval() -> CopyError {
        CopyError {
            error: Errno::INVAL.into(),
            result: None,
        }
    }
}

/// The error for an ioctl whose `caps` bit (`cap_name`, e.g. `copy_user`) the driver does not
/// set: [`io::ErrorKind::Unsupported`], with a message that names the ioctl and the caps.
pub fn unsupported(ioctl: &str, cap_name: &str, caps: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "{ioctl} is not supported by this driver (caps {}: no {cap_name})",
            caps_string(caps)
        ),
    )
}

/// Whether `err` is one that [`unsupported`] made.
pub fn is_unsupported(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::Unsupported && err.raw_os_error().is_none()
}

impl fmt::Display for CopyError {
    /// `copy failed: ETIMEDOUT (Connection timed out), hw_status 0x0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "copy failed: {}", errno_desc(&self.error))?;
        if let Some(res) = &self.result {
            write!(f, ", hw_status {:#x}", res.hw_status)?;
        }
        Ok(())
    }
}

impl std::error::Error for CopyError {}

impl From<CopyError> for io::Error {
    fn from(err: CopyError) -> io::Error {
        err.error
    }
}

/// An open `/dev/dmacopyN`: one DMA channel.
///
/// Any number of `Device`s, in any number of processes, may use one node; the kernel runs their
/// copies one at a time.
#[derive(Debug)]
pub struct Device {
    file: File,
    path: PathBuf,
    /// `caps` from the first `DMACOPY_IOC_INFO` that succeeded; what a driver implements does
    /// not change while its module stays loaded, and a node cannot outlive the module.
    caps: OnceLock<u32>,
}

impl Device {
    /// Opens the node at `path` for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Device> {
        let path = path.as_ref();
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Device {
            file,
            path: path.to_owned(),
            caps: OnceLock::new(),
        })
    }

    /// Opens `/dev/dmacopy<index>`.
    pub fn open_index(index: u32) -> io::Result<Device> {
        Device::open(Device::node_path(index))
    }

    /// The path of node `index`: `/dev/dmacopy<index>`.
    pub fn node_path(index: u32) -> PathBuf {
        Path::new(DEV_DIR).join(format!("{NODE_PREFIX}{index}"))
    }

    /// The indices of the `/dev/dmacopy*` nodes that exist, in increasing order; empty when the
    /// module is not loaded or has bound no channel.
    pub fn list() -> io::Result<Vec<u32>> {
        list_in(Path::new(DEV_DIR))
    }

    /// The path this device was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// `DMACOPY_IOC_INFO`: what this node drives.
    pub fn info(&self) -> io::Result<Info> {
        // Not rustix's `Getter`, which hands back uninitialized memory as an `Info` once the
        // call succeeds: `Device::open` takes any path, and a file of some other driver that
        // answered this number without writing the struct would make that undefined behaviour.
        // A zeroed `Info` that the kernel overwrites has no such case.
        let mut info = Info::default();
        // SAFETY: `OP_INFO` is `_IOR` of an `Info`: the kernel writes at most
        // `size_of::<Info>()` bytes through the pointer `Updater` passes, that of `info`, a
        // live, exclusively borrowed, aligned `Info`, and every bit pattern is a valid `Info`
        // (integers and byte arrays only).
        unsafe { ioctl(&self.file, Updater::<OP_INFO, Info>::new(&mut info)) }?;
        // The first value wins; a later one is the same.
        let _ = self.caps.set(info.caps);
        Ok(info)
    }

    /// The `caps` bits (`CAP_*`): from the first [`Device::info`] that succeeded, or from a new
    /// `DMACOPY_IOC_INFO` if none has yet.
    pub fn caps(&self) -> io::Result<u32> {
        match self.caps.get() {
            Some(&caps) => Ok(caps),
            None => Ok(self.info()?.caps),
        }
    }

    /// This device, with `caps` taken as given rather than asked for: for tests on a file
    /// that is not a node.
    #[cfg(test)]
    pub(crate) fn with_caps(self, caps: u32) -> Device {
        // A new `OnceLock` holds nothing yet, unless `info` ran: then the first value stays.
        let _ = self.caps.set(caps);
        self
    }

    /// Fails with [`unsupported`] unless every bit of `cap` is in [`Device::caps`]; with the
    /// error of `DMACOPY_IOC_INFO` if that fails.
    pub fn require(&self, cap: u32, ioctl: &str, cap_name: &str) -> io::Result<()> {
        let caps = self.caps()?;
        if caps & cap == cap {
            Ok(())
        } else {
            Err(unsupported(ioctl, cap_name, caps))
        }
    }

    /// `DMACOPY_IOC_COPY`: copies `req.len` bytes from SRC at `req.src_off` to DST at
    /// `req.dst_off`, and waits for the copy to finish.
    ///
    /// A signal ends the wait with `EINTR` (the transfer is stopped); the copy can be issued
    /// again.
    pub fn copy(&self, req: &CopyRequest) -> Result<CopyResult, CopyError> {
        let mut arg = req.to_uapi();
        let ret = self.copy_raw(&mut arg);
        let out = (arg.elapsed_ns, arg.mode_used, arg.hw_status);
        match ret {
            Ok(()) => CopyResult::from_out(out.0, out.1, out.2).map_err(|error| CopyError {
                error,
                result: None,
            }),
            Err(error) => Err(CopyError::new(error, out)),
        }
    }

    /// `DMACOPY_IOC_COPY` with the argument exactly as given, `flags` and `reserved` included:
    /// for tests of the kernel's checks. The out fields are written back as the kernel leaves
    /// them.
    pub fn copy_raw(&self, arg: &mut Copy) -> io::Result<()> {
        // SAFETY: `OP_COPY` is `_IOWR` of a `Copy`: the kernel reads and writes at most
        // `size_of::<Copy>()` bytes through the pointer `Updater` passes, that of `arg`, a live,
        // exclusively borrowed, aligned `Copy` of integers only. The copy itself stays inside
        // the kernel's own buffers.
        Ok(unsafe { ioctl(&self.file, Updater::<OP_COPY, Copy>::new(arg)) }?)
    }

    /// `DMACOPY_IOC_COPY_USER`: copies `src` into `dst`, two buffers of this process, with the
    /// channel in `mode`, and waits for the copy to finish (`timeout_ns`: 0 for the module's
    /// `timeout_ms`). Any alignment; in DMA mode the driver may move the bytes straight between
    /// the two buffers (pinned pages, scatter-gather), without SRC/DST.
    ///
    /// Checked here, without a system call for the copy:
    /// - the driver must set [`crate::CAP_COPY_USER`] in `caps`: else the error is
    ///   [`io::ErrorKind::Unsupported`] ([`CopyError::is_unsupported`]), whose message names
    ///   the caps (a failing `DMACOPY_IOC_INFO` gives its own error);
    /// - the lengths must be equal, and 1 to [`crate::COPY_USER_MAX_LEN`]: else `EINVAL`, as
    ///   the kernel would say.
    ///
    /// The borrows guarantee that the two ranges do not overlap. The kernel's errors come back
    /// as their errno: `EFAULT` (a range not accessible), `EINVAL`, `ETIMEDOUT` and `EIO`
    /// (with the out fields in [`CopyError::result`]), `EINTR` (a signal; the copy can be
    /// issued again), `ENODEV` (the channel was unbound).
    pub fn copy_user(
        &self,
        src: &[u8],
        dst: &mut [u8],
        mode: Mode,
        timeout_ns: u64,
    ) -> Result<CopyResult, CopyError> {
        self.require(CAP_COPY_USER, "DMACOPY_IOC_COPY_USER", "copy_user")
            .map_err(|error| CopyError {
                error,
                result: None,
            })?;
        // CAST: a `usize` always fits a `u64` on the targets Linux supports.
        let len = src.len() as u64;
        if src.len() != dst.len() || len == 0 || len > COPY_USER_MAX_LEN {
            return Err(CopyError::einval());
        }
        let mut arg = CopyUser {
            // CAST: user-space addresses travel as `__u64`; a `usize` always fits.
            src: src.as_ptr() as u64,
            dst: dst.as_mut_ptr() as u64,
            len,
            mode: mode.raw(),
            timeout_ns,
            ..CopyUser::default()
        };
        // SAFETY: `arg.src` and `arg.dst` are the addresses of `src` (readable) and `dst`
        // (writable, exclusively borrowed), both `arg.len` bytes long, and both borrows last
        // until the call returns; the kernel writes only `dst` and `arg`.
        let ret = unsafe { self.copy_user_raw(&mut arg) };
        let out = (arg.elapsed_ns, arg.mode_used, arg.hw_status);
        match ret {
            Ok(()) => CopyResult::from_out(out.0, out.1, out.2).map_err(|error| CopyError {
                error,
                result: None,
            }),
            Err(error) => Err(CopyError::new(error, out)),
        }
    }

    /// `DMACOPY_IOC_COPY_USER` with the argument exactly as given.
    ///
    /// # Safety
    ///
    /// `arg.dst .. arg.dst + arg.len` must be memory of this process that nothing else uses
    /// (no live Rust reference, no other thread) until the call returns, since the kernel
    /// writes it. Ranges that are not mapped, or not writable, only make the call fail with
    /// `EFAULT`.
    pub unsafe fn copy_user_raw(&self, arg: &mut CopyUser) -> io::Result<()> {
        // SAFETY: `OP_COPY_USER` is `_IOWR` of a `CopyUser`: the kernel reads and writes at
        // most `size_of::<CopyUser>()` bytes through the pointer `Updater` passes, that of `arg`,
        // a live, exclusively borrowed, aligned `CopyUser` of integers only. The memory it
        // copies into is the caller's responsibility, as this function's contract says.
        Ok(unsafe { ioctl(&self.file, Updater::<OP_COPY_USER, CopyUser>::new(arg)) }?)
    }

    /// Maps the whole window (SRC then DST, `2 * buf_size` bytes), `MAP_SHARED`, readable and
    /// writable. Needs [`crate::CAP_MMAP`].
    ///
    /// The window borrows the device exclusively, so that no copy can write DST while a slice
    /// of it is borrowed: copies go through [`Window::copy`] meanwhile.
    pub fn map(&mut self) -> io::Result<Window<'_>> {
        let info = self.info()?;
        self.map_window(info)
    }

    /// Maps the window of a device that reported `info`.
    fn map_window(&mut self, info: Info) -> io::Result<Window<'_>> {
        let einval = || io::Error::from(Errno::INVAL);
        let buf_size = usize::try_from(info.buf_size).map_err(|_| einval())?;
        let len = buf_size
            .checked_mul(2)
            .filter(|&l| l > 0)
            .ok_or_else(einval)?;
        // SAFETY: a new mapping at an address the kernel chooses (no hint, no `MAP_FIXED`), so
        // it replaces no memory that anything in this process uses. The arguments are plain
        // values.
        let addr = unsafe {
            mmap(
                ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &self.file,
                0,
            )
        }?;
        // INVARIANT: `ptr` is the start of a `len`-byte read/write mapping that only this
        // `Window` unmaps; it is not null, since mmap without a hint never returns 0 here.
        let ptr = NonNull::new(addr.cast::<u8>()).ok_or_else(einval)?;
        Ok(Window {
            dev: self,
            info,
            ptr,
            len,
            buf_size,
        })
    }

    /// Reads from the window at `offset` (SRC at 0, DST at `buf_size`) with `pread(2)`.
    /// Returns the bytes read: short across the end of the window, 0 at or past it.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }

    /// Writes to the window at `offset` with `pwrite(2)`. Returns the bytes written: short
    /// across the end of the window; `ENOSPC` at or past it.
    pub fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<usize> {
        self.file.write_at(buf, offset)
    }
}

impl AsFd for Device {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for Device {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

/// The channel index in a node name `dmacopy<N>` (decimal, no sign, no leading zero).
pub(crate) fn parse_node_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix(NODE_PREFIX)?;
    let canonical = digits == "0" || !digits.starts_with('0');
    if digits.is_empty() || !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The indices of the `dmacopy<N>` entries in `dir`, in increasing order.
fn list_in(dir: &Path) -> io::Result<Vec<u32>> {
    let mut indices = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(index) = entry.file_name().to_str().and_then(parse_node_name) {
            indices.push(index);
        }
    }
    indices.sort_unstable();
    Ok(indices)
}

/// The mapped window of a [`Device`]: SRC (`[0, buf_size)`) then DST (`[buf_size, 2 *
/// buf_size)`). Unmapped on drop.
///
/// This is shared memory: another process that maps or writes the same node, or copies on it,
/// changes these bytes under the slices handed out here, as with any `MAP_SHARED` mapping. In
/// this process, the exclusive borrow of the device keeps copies and slices apart.
pub struct Window<'a> {
    dev: &'a mut Device,
    info: Info,
    ptr: NonNull<u8>,
    len: usize,
    buf_size: usize,
}

// SAFETY: a `Window` owns its mapping as a `Box<[u8]>` owns its allocation: nothing else in the
// process refers to it, and its bytes are reached only through `&self` / `&mut self` methods.
unsafe impl Send for Window<'_> {}
// SAFETY: as for `Send`; `&Window` hands out only shared slices.
unsafe impl Sync for Window<'_> {}

impl Window<'_> {
    /// What the device reported when the window was mapped.
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// Bytes in SRC, and in DST.
    pub fn buf_size(&self) -> usize {
        self.buf_size
    }

    /// The whole window, SRC then DST.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: by the invariant in `Device::map`, `ptr` is the start of a live `len`-byte
        // readable mapping that lasts as long as `self`; `&self` rules out a `&mut` to it for
        // the returned lifetime.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The whole window, SRC then DST, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and the mapping is writable; `&mut self` makes the returned
        // slice the only reference to it.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// SRC, the bytes that copies read: `[0, buf_size)` of the window.
    pub fn src(&self) -> &[u8] {
        &self.as_slice()[..self.buf_size]
    }

    /// SRC, writable: fill it before a copy.
    pub fn src_mut(&mut self) -> &mut [u8] {
        let n = self.buf_size;
        &mut self.as_mut_slice()[..n]
    }

    /// DST, the bytes that copies write: `[buf_size, 2 * buf_size)` of the window.
    pub fn dst(&self) -> &[u8] {
        &self.as_slice()[self.buf_size..]
    }

    /// DST, writable: e.g. to clear it before a copy, so that a copy that did nothing shows.
    pub fn dst_mut(&mut self) -> &mut [u8] {
        let n = self.buf_size;
        &mut self.as_mut_slice()[n..]
    }

    /// SRC and DST at once, both writable.
    pub fn split_mut(&mut self) -> (&mut [u8], &mut [u8]) {
        let n = self.buf_size;
        self.as_mut_slice().split_at_mut(n)
    }

    /// [`Device::copy`] on the mapped device.
    pub fn copy(&mut self, req: &CopyRequest) -> Result<CopyResult, CopyError> {
        self.dev.copy(req)
    }

    /// [`Device::copy_raw`] on the mapped device.
    pub fn copy_raw(&mut self, arg: &mut Copy) -> io::Result<()> {
        self.dev.copy_raw(arg)
    }

    /// The path of the mapped device.
    pub fn path(&self) -> &Path {
        self.dev.path()
    }

    /// The mapped device, for the ioctls that do not write DST behind a slice: the caller
    /// holds `&self`, so no slice of DST is borrowed mutably, and copies that write DST take
    /// `&mut self`.
    pub(crate) fn device(&self) -> &Device {
        self.dev
    }
}

impl fmt::Debug for Window<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Window")
            .field("path", &self.dev.path())
            .field("ptr", &self.ptr)
            .field("buf_size", &self.buf_size)
            .finish_non_exhaustive()
    }
}

impl Drop for Window<'_> {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `len` are those of the mapping made in `Device::map`, unmapped only
        // here; every slice handed out borrows `self`, so none outlives this.
        // Nothing useful can be done if munmap fails (it cannot, for a mapping of ours).
        let _ = unsafe { munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EINVAL: i32 = Errno::INVAL.raw_os_error();
    const ENOTTY: i32 = Errno::NOTTY.raw_os_error();

    #[test]
    fn node_names() {
        assert_eq!(parse_node_name("dmacopy0"), Some(0));
        assert_eq!(parse_node_name("dmacopy7"), Some(7));
        assert_eq!(parse_node_name("dmacopy12"), Some(12));
        for bad in [
            "dmacopy",
            "dmacopy01",
            "dmacopy+1",
            "dmacopy-1",
            "dmacopy1a",
            "xdmacopy1",
            "dmacopy 1",
        ] {
            assert_eq!(parse_node_name(bad), None, "{bad}");
        }
        assert_eq!(parse_node_name("dmacopy99999999999"), None);
        assert_eq!(Device::node_path(3), Path::new("/dev/dmacopy3"));
    }

    #[test]
    fn listing() -> io::Result<()> {
        let dir = std::env::temp_dir().join(format!("dmacopy-list-test-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        for name in [
            "dmacopy10",
            "dmacopy2",
            "dmacopy0",
            "dmacopyx",
            "null",
            "dmacopy02",
        ] {
            File::create(dir.join(name))?;
        }
        let found = list_in(&dir);
        fs::remove_dir_all(&dir)?;
        assert_eq!(found?, vec![0, 2, 10]);
        Ok(())
    }

    #[test]
    fn request_to_uapi() {
        let req = CopyRequest {
            src_off: 1,
            dst_off: 2,
            len: 3,
            mode: Mode::Auto,
            timeout_ns: 4,
        };
        let arg = req.to_uapi();
        assert_eq!(
            arg,
            Copy {
                src_off: 1,
                dst_off: 2,
                len: 3,
                mode: 2,
                flags: 0,
                timeout_ns: 4,
                elapsed_ns: 0,
                mode_used: 0,
                hw_status: 0,
                reserved: [0; 2],
            }
        );
        assert_eq!(CopyRequest::new(9).to_uapi().mode, crate::MODE_DMA);
    }

    #[test]
    fn copy_errors() {
        let timed_out = CopyError::new(Errno::TIMEDOUT.into(), (5, 0, 0));
        assert_eq!(
            timed_out.result,
            Some(CopyResult {
                elapsed_ns: 5,
                mode_used: Mode::Dma,
                hw_status: 0
            })
        );
        let msg = timed_out.to_string();
        assert!(msg.starts_with("copy failed: ETIMEDOUT ("), "{msg}");
        assert!(msg.ends_with("), hw_status 0x0"), "{msg}");

        let eio = CopyError::new(Errno::IO.into(), (1, 0, 0x40));
        assert!(eio.to_string().ends_with(", hw_status 0x40"));

        // The out fields mean nothing for other errors.
        let einval = CopyError::new(Errno::INVAL.into(), (1, 0, 0x40));
        assert_eq!(einval.result, None);
        assert_eq!(einval.errno(), Some(EINVAL));
        assert!(!einval.to_string().contains("hw_status"));
        assert_eq!(io::Error::from(einval).raw_os_error(), Some(EINVAL));
    }

    /// The window code on a plain file of `2 * 4096` bytes: a stand-in for the device's
    /// window, which has the same offsets. Its ioctls fail with `ENOTTY`.
    #[test]
    fn window_over_a_plain_file() -> io::Result<()> {
        let path = std::env::temp_dir().join(format!("dmacopy-window-test-{}", std::process::id()));
        File::create(&path)?.set_len(8192)?;
        let dev = Device::open(&path);
        fs::remove_file(&path)?;
        let mut dev = dev?;
        assert_eq!(dev.info().unwrap_err().raw_os_error(), Some(ENOTTY));

        let info = Info {
            buf_size: 4096,
            ..Info::default()
        };
        {
            let mut win = dev.map_window(info)?;
            assert_eq!(win.buf_size(), 4096);
            assert_eq!(win.info().buf_size, 4096);
            assert_eq!((win.src().len(), win.dst().len()), (4096, 4096));
            assert!(win.as_slice().iter().all(|&b| b == 0));
            win.src_mut()[0] = 1;
            win.dst_mut()[4095] = 2;
            let (src, dst) = win.split_mut();
            src[1] = 3;
            dst[0] = 4;
            assert_eq!(&win.as_slice()[..2], &[1, 3]);
            assert_eq!(win.as_slice()[4096], 4);
            assert_eq!(win.as_slice()[8191], 2);
            assert_eq!(win.dst()[0], 4);

            let err = win.copy(&CopyRequest::new(1)).unwrap_err();
            assert_eq!(err.errno(), Some(ENOTTY));
            assert_eq!(err.result, None);
        }
        // MAP_SHARED: what went through the window is in the file, and the other way round.
        let mut buf = [0u8; 2];
        assert_eq!(dev.read_at(4095, &mut buf)?, 2);
        assert_eq!(buf, [0, 4]);
        assert_eq!(dev.write_at(8190, &[9, 8])?, 2);
        let win = dev.map_window(info)?;
        assert_eq!(&win.dst()[4094..], &[9, 8]);
        drop(win);

        let empty = Info::default();
        assert_eq!(
            dev.map_window(empty).unwrap_err().raw_os_error(),
            Some(EINVAL)
        );
        Ok(())
    }

    /// A device whose `caps` are known without an ioctl: /dev/null, which has none.
    fn fake(caps: u32) -> io::Result<Device> {
        Ok(Device::open("/dev/null")?.with_caps(caps))
    }

    #[test]
    fn copy_user_checks_caps_first() -> io::Result<()> {
        // /dev/null has no INFO: its error comes through.
        let dev = Device::open("/dev/null")?;
        let err = dev
            .copy_user(&[0; 4], &mut [0; 4], Mode::Cpu, 0)
            .unwrap_err();
        assert_eq!(err.errno(), Some(ENOTTY));
        assert!(!err.is_unsupported());
        // A driver without copy_user: no system call, and a message that says so.
        let dev = fake(crate::CAP_MMAP)?;
        let err = dev
            .copy_user(&[0; 4], &mut [0; 4], Mode::Dma, 0)
            .unwrap_err();
        assert!(err.is_unsupported());
        assert_eq!(err.errno(), None);
        assert_eq!(
            err.to_string(),
            "copy failed: DMACOPY_IOC_COPY_USER is not supported by this driver \
             (caps mmap: no copy_user)"
        );
        assert_eq!(dev.caps()?, crate::CAP_MMAP);
        assert!(dev.require(crate::CAP_MMAP, "x", "mmap").is_ok());
        Ok(())
    }

    #[test]
    fn copy_user_arguments() -> io::Result<()> {
        let dev = fake(crate::CAP_MMAP | CAP_COPY_USER)?;
        // Lengths that differ, and an empty copy: EINVAL without a system call.
        for (src, dst) in [(4, 3), (0, 0)] {
            let err = dev
                .copy_user(&vec![0; src], &mut vec![0; dst], Mode::Cpu, 0)
                .unwrap_err();
            assert_eq!(err.errno(), Some(EINVAL), "{src} -> {dst}");
            assert_eq!(err.result, None);
        }
        // The ioctl itself: /dev/null knows none.
        let err = dev
            .copy_user(&[0; 4], &mut [0; 4], Mode::Cpu, 0)
            .unwrap_err();
        assert_eq!(err.errno(), Some(ENOTTY));
        Ok(())
    }

    #[test]
    fn open_missing_node() {
        let err = Device::open("/nonexistent/dmacopy0").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
