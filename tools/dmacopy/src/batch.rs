// SPDX-License-Identifier: GPL-2.0

//! [`CopyBatch`]: several copies between SRC and DST in one `DMACOPY_IOC_COPY_BATCH`.
//!
//! The kernel checks every entry as for `DMACOPY_IOC_COPY` before any runs (one bad entry:
//! `EINVAL`, nothing copied), then runs them in order in one turn of the channel. On `EIO`,
//! `ETIMEDOUT` or `EINTR`, `done` says how many leading entries completed; their out fields
//! are valid, the rest untouched ([`BatchError`]).

use crate::device::{CopyRequest, CopyResult, Device, Window};
use crate::errno::errno_desc;
use crate::uapi::{Batch, Copy, BATCH_MAX, CAP_BATCH, OP_COPY_BATCH};
use crate::Mode;
use core::fmt;
use rustix::io::Errno;
use rustix::ioctl::{ioctl, Updater};
use std::io;

/// The entries of one `DMACOPY_IOC_COPY_BATCH`, at most [`BATCH_MAX`], and the batch's time
/// limit. Run it with [`CopyBatch::run`] (or [`Window::copy_batch`]) as often as wanted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyBatch {
    /// The array the kernel reads (and writes the out fields of).
    entries: Vec<Copy>,
    /// The bound of the whole batch, in nanoseconds; 0 for the module's `timeout_ms`.
    timeout_ns: u64,
}

/// [`CopyBatch::push`] on a batch that has [`BATCH_MAX`] entries already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchFull;

impl fmt::Display for BatchFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a batch holds at most {BATCH_MAX} copies")
    }
}

impl std::error::Error for BatchFull {}

/// What a batch that completed reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchResult {
    /// From the start of the first entry to the completion of the last, measured in the kernel.
    pub elapsed_ns: u64,
    /// Each entry's out fields, in the order they were pushed.
    pub results: Vec<CopyResult>,
}

/// A batch that failed.
#[derive(Debug)]
pub struct BatchError {
    /// The error; [`io::Error::raw_os_error`] is the errno for an error from the kernel, and
    /// [`crate::is_unsupported`] tells a driver without [`CAP_BATCH`].
    pub error: io::Error,
    /// For `EIO`, `ETIMEDOUT` and `EINTR`: how many leading entries completed (their results
    /// are in `completed`; the rest did not run or did not complete). `None` otherwise: for
    /// `EINVAL` and `EFAULT` nothing was copied; for `ENODEV` (unbind) it is not known.
    pub done: Option<usize>,
    /// The out fields of the entries that completed, `done` of them.
    pub completed: Vec<CopyResult>,
    /// For `EIO`, `ETIMEDOUT` and `EINTR`: the batch's `elapsed_ns`.
    pub elapsed_ns: Option<u64>,
    /// Entries in the batch.
    pub count: usize,
}

impl BatchError {
    fn before_call(error: io::Error, count: usize) -> BatchError {
        BatchError {
            error,
            done: None,
            completed: Vec::new(),
            elapsed_ns: None,
            count,
        }
    }

    /// The errno, if the error came from the kernel.
    pub fn errno(&self) -> Option<i32> {
        self.error.raw_os_error()
    }

    /// Whether the driver does not implement `DMACOPY_IOC_COPY_BATCH` (no [`CAP_BATCH`]): no
    /// system call was made for the batch.
    pub fn is_unsupported(&self) -> bool {
        crate::is_unsupported(&self.error)
    }
}

impl fmt::Display for BatchError {
    /// `batch of 16 copies failed: EIO (Input/output error); 3 of 16 completed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch of {} copies failed: {}",
            self.count,
            errno_desc(&self.error)
        )?;
        if let Some(done) = self.done {
            write!(f, "; {done} of {} completed", self.count)?;
        }
        Ok(())
    }
}

impl std::error::Error for BatchError {}

impl From<BatchError> for io::Error {
    fn from(err: BatchError) -> io::Error {
        err.error
    }
}

impl CopyBatch {
    /// An empty batch with the module's default time limit.
    pub const fn new() -> CopyBatch {
        CopyBatch {
            entries: Vec::new(),
            timeout_ns: 0,
        }
    }

    /// An empty batch whose whole run is bounded by `timeout_ns` (0: the module's
    /// `timeout_ms`).
    pub const fn with_timeout(timeout_ns: u64) -> CopyBatch {
        CopyBatch {
            entries: Vec::new(),
            timeout_ns,
        }
    }

    /// The batch's time limit in nanoseconds (0: the module's).
    pub const fn timeout_ns(&self) -> u64 {
        self.timeout_ns
    }

    /// Adds a copy of `len` bytes from SRC at `src_off` to DST at `dst_off` in `mode`, and
    /// returns its index. The kernel checks the entry when the batch runs.
    pub fn push(
        &mut self,
        src_off: u64,
        dst_off: u64,
        len: u64,
        mode: Mode,
    ) -> Result<usize, BatchFull> {
        if self.entries.len() >= BATCH_MAX as usize {
            return Err(BatchFull);
        }
        self.entries.push(
            CopyRequest {
                src_off,
                dst_off,
                len,
                mode,
                // Each entry's own timeout must be 0: the batch has one.
                timeout_ns: 0,
            }
            .to_uapi(),
        );
        Ok(self.entries.len() - 1)
    }

    /// Entries in the batch.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries, as the copies they ask for (each with `timeout_ns` 0): the same copies
    /// one `DMACOPY_IOC_COPY` each.
    pub fn requests(&self) -> impl Iterator<Item = CopyRequest> + '_ {
        self.entries.iter().map(|e| CopyRequest {
            src_off: e.src_off,
            dst_off: e.dst_off,
            len: e.len,
            mode: Mode::from_raw(e.mode).unwrap_or_default(),
            timeout_ns: 0,
        })
    }

    /// `DMACOPY_IOC_COPY_BATCH` on `dev`: runs every entry, in order, and waits for the last.
    ///
    /// Checked here first, without a system call for the batch: the driver must set
    /// [`CAP_BATCH`] in `caps` (else an [`io::ErrorKind::Unsupported`] error that names the
    /// caps), and the batch must not be empty (else `EINVAL`, as the kernel would say).
    pub fn run(&mut self, dev: &Device) -> Result<BatchResult, BatchError> {
        let count = self.entries.len();
        dev.require(CAP_BATCH, "DMACOPY_IOC_COPY_BATCH", "batch")
            .map_err(|e| BatchError::before_call(e, count))?;
        if count == 0 {
            return Err(BatchError::before_call(Errno::INVAL.into(), count));
        }
        for e in &mut self.entries {
            // Out fields from a previous run must not pass for this one's.
            e.elapsed_ns = 0;
            e.mode_used = 0;
            e.hw_status = 0;
        }
        let mut arg = Batch {
            // CAST: user-space addresses travel as `__u64`; a `usize` always fits.
            copies: self.entries.as_mut_ptr() as u64,
            // CAST: `push` keeps `count` at most BATCH_MAX.
            count: count as u32,
            timeout_ns: self.timeout_ns,
            ..Batch::default()
        };
        // SAFETY: `arg.copies` is the address of `self.entries`, `arg.count` live, writable,
        // aligned `Copy`s of integers only, exclusively borrowed until the call returns; the
        // copies themselves stay inside the kernel's buffers.
        let ret = unsafe { dev.copy_batch_raw(&mut arg) };
        let results = |n: usize| -> io::Result<Vec<CopyResult>> {
            self.entries[..n]
                .iter()
                .map(|e| CopyResult::from_out(e.elapsed_ns, e.mode_used, e.hw_status))
                .collect()
        };
        let done = usize::try_from(arg.done).unwrap_or(usize::MAX);
        match ret {
            Ok(()) if done == count => match results(count) {
                Ok(results) => Ok(BatchResult {
                    elapsed_ns: arg.elapsed_ns,
                    results,
                }),
                Err(e) => Err(BatchError::before_call(e, count)),
            },
            Ok(()) => Err(BatchError::before_call(
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the kernel reported success with done {} of {count}",
                        arg.done
                    ),
                ),
                count,
            )),
            Err(error) => {
                let partial = matches!(
                    Errno::from_io_error(&error),
                    Some(Errno::IO | Errno::TIMEDOUT | Errno::INTR)
                );
                if !partial || done > count {
                    return Err(BatchError::before_call(error, count));
                }
                Err(BatchError {
                    completed: results(done).unwrap_or_default(),
                    error,
                    done: Some(done),
                    elapsed_ns: Some(arg.elapsed_ns),
                    count,
                })
            }
        }
    }
}

impl Device {
    /// `DMACOPY_IOC_COPY_BATCH` with the argument exactly as given, `flags` and `reserved`
    /// included: for tests of the kernel's checks. Needs [`CAP_BATCH`] (else `ENOTTY`).
    ///
    /// # Safety
    ///
    /// `arg.copies` must be the address of `arg.count` `Copy`s of this process that nothing
    /// else uses (no live Rust reference, no other thread) until the call returns, since the
    /// kernel writes their out fields. An address that is not mapped, or not writable, only
    /// makes the call fail with `EFAULT`.
    pub unsafe fn copy_batch_raw(&self, arg: &mut Batch) -> io::Result<()> {
        // SAFETY: `OP_COPY_BATCH` is `_IOWR` of a `Batch`: the kernel reads and writes at
        // most `size_of::<Batch>()` bytes through the pointer `Updater` passes, that of `arg`, a
        // live, exclusively borrowed, aligned `Batch` of integers only. The array it points to
        // is the caller's responsibility, as this function's contract says.
        Ok(unsafe { ioctl(self, Updater::<OP_COPY_BATCH, Batch>::new(arg)) }?)
    }
}

impl Window<'_> {
    /// [`CopyBatch::run`] on the mapped device.
    pub fn copy_batch(&mut self, batch: &mut CopyBatch) -> Result<BatchResult, BatchError> {
        batch.run(self.device())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::{CAP_MMAP, MODE_CPU};

    const EINVAL: i32 = Errno::INVAL.raw_os_error();
    const ENOTTY: i32 = Errno::NOTTY.raw_os_error();

    #[test]
    fn building() {
        let mut b = CopyBatch::with_timeout(5);
        assert!(b.is_empty());
        assert_eq!(b.push(1, 2, 3, Mode::Cpu), Ok(0));
        assert_eq!(b.push(4, 5, 6, Mode::Dma), Ok(1));
        assert_eq!((b.len(), b.timeout_ns()), (2, 5));
        assert_eq!(b.entries[0].mode, MODE_CPU);
        assert_eq!(
            b.requests().collect::<Vec<_>>(),
            vec![
                CopyRequest {
                    src_off: 1,
                    dst_off: 2,
                    len: 3,
                    mode: Mode::Cpu,
                    timeout_ns: 0
                },
                CopyRequest {
                    src_off: 4,
                    dst_off: 5,
                    len: 6,
                    mode: Mode::Dma,
                    timeout_ns: 0
                },
            ]
        );
        for i in 2..BATCH_MAX as usize {
            assert_eq!(b.push(0, 0, 1, Mode::Dma), Ok(i));
        }
        assert_eq!(b.push(0, 0, 1, Mode::Dma), Err(BatchFull));
        assert_eq!(b.len(), 256);
        assert_eq!(BatchFull.to_string(), "a batch holds at most 256 copies");
        b.clear();
        assert!(b.is_empty());
    }

    #[test]
    fn runs_need_the_cap() -> io::Result<()> {
        // /dev/null has no INFO: its error comes through.
        let dev = Device::open("/dev/null")?;
        let mut b = CopyBatch::new();
        b.push(0, 0, 64, Mode::Dma).ok();
        let e = b.run(&dev).unwrap_err();
        assert_eq!(e.errno(), Some(ENOTTY));
        assert_eq!(e.done, None);

        let dev = Device::open("/dev/null")?.with_caps(CAP_MMAP);
        let e = b.run(&dev).unwrap_err();
        assert!(e.is_unsupported());
        assert_eq!(
            e.to_string(),
            "batch of 1 copies failed: DMACOPY_IOC_COPY_BATCH is not supported by this driver \
             (caps mmap: no batch)"
        );
        Ok(())
    }

    #[test]
    fn run_errors() -> io::Result<()> {
        let dev = Device::open("/dev/null")?.with_caps(CAP_MMAP | CAP_BATCH);
        let e = CopyBatch::new().run(&dev).unwrap_err();
        assert_eq!(e.errno(), Some(EINVAL));
        let mut b = CopyBatch::new();
        b.push(0, 0, 64, Mode::Dma).ok();
        // The ioctl itself: /dev/null knows none, and nothing completed.
        let e = b.run(&dev).unwrap_err();
        assert_eq!(e.errno(), Some(ENOTTY));
        assert_eq!((e.done, e.completed.len()), (None, 0));
        assert!(e
            .to_string()
            .starts_with("batch of 1 copies failed: ENOTTY ("));
        // Part-way: the message says how many completed.
        let e = BatchError {
            error: Errno::IO.into(),
            done: Some(3),
            completed: Vec::new(),
            elapsed_ns: Some(1),
            count: 16,
        };
        assert!(e.to_string().ends_with("; 3 of 16 completed"), "{e}");
        Ok(())
    }
}
