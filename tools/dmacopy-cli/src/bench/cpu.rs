// SPDX-License-Identifier: GPL-2.0

//! The CPUs a thread may run on: `sched_getaffinity(2)` and `sched_setaffinity(2)`, for the
//! calling thread only, and what the system has (`uname(2)`, online CPUs).

use rustix::io::Errno;
use rustix::thread::{sched_getaffinity, sched_setaffinity, CpuSet};
use std::io;

// CAST: `CpuSet::MAX_CPU` is a bit count of a few hundred bytes; it fits a u32.
/// CPUs that a [`CpuSet`] can name: 0 to `MAX_CPUS - 1` (1024, as a C library's `cpu_set_t`).
pub const MAX_CPUS: u32 = CpuSet::MAX_CPU as u32;

/// The CPUs the calling thread may run on, in increasing order.
pub fn allowed() -> io::Result<Vec<u32>> {
    // `None` is the calling thread.
    let set = sched_getaffinity(None)?;
    Ok((0..MAX_CPUS)
        .filter(|&cpu| set.is_set(cpu as usize))
        .collect())
}

/// Pins the calling thread to `cpus` (all of them; none is an error).
pub fn pin_to(cpus: &[u32]) -> io::Result<()> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        if cpu >= MAX_CPUS {
            return Err(Errno::INVAL.into());
        }
        set.set(cpu as usize);
    }
    // `None` is the calling thread: the other threads keep their own masks.
    sched_setaffinity(None, &set)?;
    Ok(())
}

/// Pins the calling thread to `cpu` alone.
pub fn pin(cpu: u32) -> io::Result<()> {
    pin_to(&[cpu])
}

/// The kernel's list of online CPUs (sysfs-ABI `devices/system/cpu/online`).
const ONLINE: &str = "/sys/devices/system/cpu/online";

/// How many CPUs a kernel CPU list such as `0-3,5\n` names; `None` if it is not one.
fn count_cpu_list(list: &str) -> Option<u32> {
    let cpu = |t: &str| t.parse::<u32>().ok().filter(|&n| n < MAX_CPUS);
    list.trim().split(',').try_fold(0u32, |total, item| {
        let n = match item.split_once('-') {
            Some((a, b)) => cpu(b)?.checked_sub(cpu(a)?)? + 1,
            None => cpu(item).map(|_| 1)?,
        };
        total.checked_add(n)
    })
}

/// CPUs online: the kernel's own list in sysfs, as glibc's `sysconf(_SC_NPROCESSORS_ONLN)`
/// reads it; without sysfs, the CPUs this thread may run on, as musl's `sysconf` counts them.
/// 0 if it cannot tell.
pub fn online() -> u32 {
    std::fs::read_to_string(ONLINE)
        .ok()
        .and_then(|list| count_cpu_list(&list))
        .or_else(|| sched_getaffinity(None).ok().map(|set| set.count()))
        .unwrap_or(0)
}

/// What `uname -srm` prints: kernel name, release and machine, e.g. `Linux 7.2.13 aarch64`.
pub fn uname() -> String {
    let uts = rustix::system::uname();
    format!(
        "{} {} {}",
        uts.sysname().to_string_lossy(),
        uts.release().to_string_lossy(),
        uts.machine().to_string_lossy()
    )
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
            assert_eq!(
                pin_to(&[]).unwrap_err().raw_os_error(),
                Some(Errno::INVAL.raw_os_error())
            );
            assert_eq!(
                pin(MAX_CPUS).unwrap_err().raw_os_error(),
                Some(Errno::INVAL.raw_os_error())
            );
            Ok(())
        })
        .join()
        .map_err(|_| io::Error::other("the test thread panicked"))?
    }

    #[test]
    fn system() {
        assert!(online() >= 1);
        assert_eq!(count_cpu_list("0\n"), Some(1));
        assert_eq!(count_cpu_list("0-3,5\n"), Some(5));
        assert_eq!(count_cpu_list("0-1023"), Some(1024));
        for bad in ["", "\n", "3-1", "0-1024", "a", "0,,1", "-1"] {
            assert_eq!(count_cpu_list(bad), None, "{bad:?}");
        }
        let u = uname();
        assert!(u.starts_with("Linux "), "{u}");
        assert_eq!(u.split(' ').count(), 3, "{u}");
    }
}
