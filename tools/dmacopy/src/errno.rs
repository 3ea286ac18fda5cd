// SPDX-License-Identifier: GPL-2.0

//! errno names, for messages like `ETIMEDOUT (Connection timed out)`.

use std::io;

/// The symbolic name of `errno`, e.g. `"ETIMEDOUT"`, for the errors the dmacopy ABI documents
/// and the usual ones from `open(2)`, `mmap(2)`, `read(2)` and `write(2)`.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::EMFILE => "EMFILE",
        libc::ENOTTY => "ENOTTY",
        libc::EFBIG => "EFBIG",
        libc::ENOSPC => "ENOSPC",
        libc::ESPIPE => "ESPIPE",
        libc::EROFS => "EROFS",
        libc::ERANGE => "ERANGE",
        libc::ENOSYS => "ENOSYS",
        libc::EOVERFLOW => "EOVERFLOW",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::ECANCELED => "ECANCELED",
        _ => return None,
    };
    Some(name)
}

/// `err` as `NAME (message)`, e.g. `ETIMEDOUT (Connection timed out)`; an error that is not an
/// errno, or one without a known name, as its plain message.
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
        assert_eq!(errno_name(libc::ETIMEDOUT), Some("ETIMEDOUT"));
        assert_eq!(errno_name(libc::ENOTTY), Some("ENOTTY"));
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(-1), None);
    }

    #[test]
    fn descriptions() {
        let err = io::Error::from_raw_os_error(libc::ETIMEDOUT);
        let desc = errno_desc(&err);
        assert!(desc.starts_with("ETIMEDOUT ("), "{desc}");
        assert!(!desc.contains("os error"), "{desc}");
        assert_eq!(
            errno_desc(&io::Error::other("no such thing")),
            "no such thing"
        );
        assert!(errno_desc(&io::Error::from_raw_os_error(4000)).starts_with("errno 4000 ("));
    }
}
