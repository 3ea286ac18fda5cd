// SPDX-License-Identifier: GPL-2.0

//! errno names, for messages like `ETIMEDOUT (Connection timed out)`.
//!
//! The names come from [`nix::errno::Errno`], whose variants are the C library's names for the
//! target; the text in parentheses is the C library's `strerror`, as [`std::io::Error`] reports
//! it, so a message reads the same as other tools' on the same system (musl's wording on the
//! static CLI, glibc's on a glibc host).

use nix::errno::Errno;
use std::io;
use std::sync::OnceLock;

/// `MAX_ERRNO` of include/linux/err.h: the kernel returns no larger errno.
const MAX_ERRNO: i32 = 4095;

/// Every errno from 1 to [`MAX_ERRNO`] that [`Errno`] names, with its name, in increasing order.
fn names() -> &'static [(i32, Box<str>)] {
    static NAMES: OnceLock<Vec<(i32, Box<str>)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        (1..=MAX_ERRNO)
            .filter_map(|raw| match Errno::from_raw(raw) {
                Errno::UnknownErrno => None,
                // `Errno` is a fieldless enum whose derived `Debug` is the variant's name, the
                // errno's C name (`ETIMEDOUT`); the alias names (`EWOULDBLOCK`, `ENOTSUP`,
                // `EDEADLOCK`) are constants of the same variant, so each number has one name.
                errno => Some((raw, format!("{errno:?}").into_boxed_str())),
            })
            .collect()
    })
}

/// The symbolic name of `errno`, e.g. `"ETIMEDOUT"`, for every errno the C library names.
///
/// ```
/// assert_eq!(dmacopy::errno_name(110), Some("ETIMEDOUT")); // on Linux's generic errno table
/// assert_eq!(dmacopy::errno_name(0), None);
/// ```
pub fn errno_name(errno: i32) -> Option<&'static str> {
    let names = names();
    let i = names.binary_search_by_key(&errno, |(raw, _)| *raw).ok()?;
    Some(&names[i].1)
}

/// `err` as `NAME (message)`, e.g. `ETIMEDOUT (Connection timed out)`; an errno without a
/// known name as `errno N (message)`, and an error that is not an errno as its plain message.
///
/// ```
/// use std::io;
///
/// let err = io::Error::from_raw_os_error(25);
/// assert!(dmacopy::errno_desc(&err).starts_with("ENOTTY ("));
/// assert_eq!(dmacopy::errno_desc(&io::Error::other("no node")), "no node");
/// ```
pub fn errno_desc(err: &io::Error) -> String {
    let msg = err.to_string();
    let Some(errno) = err.raw_os_error() else {
        return msg;
    };
    // std formats an OS error as "<strerror> (os error N)"; keep the strerror part.
    let suffix = format!(" (os error {errno})");
    let text = msg.strip_suffix(&suffix).unwrap_or(&msg);
    match errno_name(errno) {
        Some(name) => format!("{name} ({text})"),
        None => format!("errno {errno} ({text})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        // Every errno the ABI documents, and the usual ones from open, mmap, read and write.
        for errno in [
            Errno::EPERM,
            Errno::ENOENT,
            Errno::EINTR,
            Errno::EIO,
            Errno::ENXIO,
            Errno::EBADF,
            Errno::EAGAIN,
            Errno::ENOMEM,
            Errno::EACCES,
            Errno::EFAULT,
            Errno::EBUSY,
            Errno::EEXIST,
            Errno::ENODEV,
            Errno::ENOTDIR,
            Errno::EISDIR,
            Errno::EINVAL,
            Errno::EMFILE,
            Errno::ENOTTY,
            Errno::EFBIG,
            Errno::ENOSPC,
            Errno::ESPIPE,
            Errno::EROFS,
            Errno::ERANGE,
            Errno::ENOSYS,
            Errno::EOVERFLOW,
            Errno::EOPNOTSUPP,
            Errno::ETIMEDOUT,
            Errno::ECANCELED,
        ] {
            let name = errno_name(errno as i32);
            assert_eq!(name, Some(format!("{errno:?}").as_str()));
            assert!(name.is_some_and(|n| n.starts_with('E') && n.len() > 2));
        }
        // The numbers the other crate has too, and literal ones of Linux's generic table.
        let rx = |e: rustix::io::Errno| errno_name(e.raw_os_error());
        assert_eq!(rx(rustix::io::Errno::TIMEDOUT), Some("ETIMEDOUT"));
        assert_eq!(rx(rustix::io::Errno::NOTTY), Some("ENOTTY"));
        assert_eq!(rx(rustix::io::Errno::WOULDBLOCK), Some("EAGAIN"));
        assert_eq!(rx(rustix::io::Errno::NOTSUP), Some("EOPNOTSUPP"));
        #[cfg(not(any(target_arch = "mips", target_arch = "mips64")))]
        {
            assert_eq!(errno_name(110), Some("ETIMEDOUT"));
            assert_eq!(errno_name(22), Some("EINVAL"));
        }
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(-1), None);
        assert_eq!(errno_name(4000), None);
        assert_eq!(errno_name(i32::MAX), None);
        // One name per number, each once.
        let all = super::names();
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(all.len() > 100, "{} names", all.len());
    }

    #[test]
    fn descriptions() {
        let err = io::Error::from(rustix::io::Errno::TIMEDOUT);
        let desc = errno_desc(&err);
        assert!(desc.starts_with("ETIMEDOUT ("), "{desc}");
        assert!(desc.ends_with(" timed out)"), "{desc}");
        assert!(!desc.contains("os error"), "{desc}");
        assert_eq!(
            errno_desc(&io::Error::other("no such thing")),
            "no such thing"
        );
        assert!(errno_desc(&io::Error::from_raw_os_error(4000)).starts_with("errno 4000 ("));
    }
}
