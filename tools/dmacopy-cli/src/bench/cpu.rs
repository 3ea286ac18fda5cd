// SPDX-License-Identifier: GPL-2.0

//! The CPUs a thread may run on: `sched_getaffinity(2)` and `sched_setaffinity(2)`, for the
//! calling thread only, and what the system has (`uname(2)`, online CPUs).

use core::mem;
use std::io;

// CAST: a `cpu_set_t` is a few hundred bytes at most; its bit count fits a u32.
/// CPUs that a `cpu_set_t` can name: 0 to `MAX_CPUS - 1` (1024 with musl 1.2 and glibc).
pub const MAX_CPUS: u32 = (8 * mem::size_of::<libc::cpu_set_t>()) as u32;

/// An empty set.
fn empty_set() -> libc::cpu_set_t {
    // SAFETY: `cpu_set_t` is an array of integers, for which all zeroes is a valid value (the
    // empty set).
    unsafe { mem::zeroed() }
}

/// The CPUs the calling thread may run on, in increasing order.
pub fn allowed() -> io::Result<Vec<u32>> {
    let mut set = empty_set();
    // SAFETY: the pointer and size are those of a live, writable `cpu_set_t`; the kernel
    // writes at most that many bytes. Pid 0 is the calling thread.
    let ret = unsafe { libc::sched_getaffinity(0, mem::size_of_val(&set), &mut set) };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `CPU_ISSET` reads the set's bits; every `cpu` is below `MAX_CPUS`, so inside
    // the set.
    Ok((0..MAX_CPUS)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu as usize, &set) })
        .collect())
}

/// Pins the calling thread to `cpus` (all of them; none is an error).
pub fn pin_to(cpus: &[u32]) -> io::Result<()> {
    let mut set = empty_set();
    for &cpu in cpus {
        if cpu >= MAX_CPUS {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: `cpu` is below `MAX_CPUS`, so inside the set.
        unsafe { libc::CPU_SET(cpu as usize, &mut set) };
    }
    // SAFETY: the pointer and size are those of a live `cpu_set_t`, which the kernel only
    // reads. Pid 0 is the calling thread: the other threads keep their own masks.
    let ret = unsafe { libc::sched_setaffinity(0, mem::size_of_val(&set), &set) };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Pins the calling thread to `cpu` alone.
pub fn pin(cpu: u32) -> io::Result<()> {
    pin_to(&[cpu])
}

/// CPUs online, as `sysconf(_SC_NPROCESSORS_ONLN)` counts them; 0 if it cannot tell.
pub fn online() -> u32 {
    // SAFETY: `sysconf` takes a plain value and touches no memory of ours.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    u32::try_from(n).unwrap_or(0)
}

/// One field of `struct utsname`, up to its NUL.
fn uts_field(field: &[libc::c_char]) -> String {
    // CAST: `c_char` to `u8` reinterprets the byte, as intended.
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What `uname -srm` prints: kernel name, release and machine, e.g. `Linux 7.2.13 aarch64`.
pub fn uname() -> io::Result<String> {
    // SAFETY: `utsname` is arrays of `c_char`, for which all zeroes is valid.
    let mut uts: libc::utsname = unsafe { mem::zeroed() };
    // SAFETY: the pointer is that of a live, writable `utsname`, which the kernel fills.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(format!(
        "{} {} {}",
        uts_field(&uts.sysname),
        uts_field(&uts.release),
        uts_field(&uts.machine)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_round_trip() -> io::Result<()> {
        let cpus = allowed()?;
        assert!(!cpus.is_empty());
        assert!(cpus.windows(2).all(|w| w[0] < w[1]));
        // In a thread of its own, so that the test harness's threads keep their masks.
        std::thread::spawn(move || -> io::Result<()> {
            pin(cpus[0])?;
            assert_eq!(allowed()?, vec![cpus[0]]);
            pin_to(&cpus)?;
            assert_eq!(allowed()?, cpus);
            assert_eq!(pin_to(&[]).unwrap_err().raw_os_error(), Some(libc::EINVAL));
            assert_eq!(
                pin(MAX_CPUS).unwrap_err().raw_os_error(),
                Some(libc::EINVAL)
            );
            Ok(())
        })
        .join()
        .map_err(|_| io::Error::other("the test thread panicked"))?
    }

    #[test]
    fn system() -> io::Result<()> {
        assert!(online() >= 1);
        let u = uname()?;
        assert!(u.starts_with("Linux "), "{u}");
        assert_eq!(u.split(' ').count(), 3, "{u}");
        Ok(())
    }
}
