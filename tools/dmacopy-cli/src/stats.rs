// SPDX-License-Identifier: GPL-2.0

//! `dmacopy stats`: the driver's counters, from `/sys/kernel/debug/dmacopy/dmacopyN/stats`.

use crate::args::StatsOpts;
use crate::{emit, select_nodes, CliError, CliResult};
use dmacopy::{errno_desc, NODE_PREFIX};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where debugfs is mounted.
const DEBUGFS: &str = "/sys/kernel/debug";

/// The driver's directory in debugfs.
const DEBUGFS_DIR: &str = "/sys/kernel/debug/dmacopy";

/// The stats file of node `index`.
fn stats_path(index: u32) -> PathBuf {
    Path::new(DEBUGFS_DIR).join(format!("{NODE_PREFIX}{index}/stats"))
}

/// Whether `mounts` (the text of `/proc/self/mounts`) has debugfs at [`DEBUGFS`].
fn debugfs_in(mounts: &str) -> bool {
    mounts.lines().any(|line| {
        let mut fields = line.split_whitespace().skip(1);
        fields.next() == Some(DEBUGFS) && fields.next() == Some("debugfs")
    })
}

/// Whether debugfs is mounted; true when that cannot be told, so that the read's own error
/// shows instead.
fn debugfs_mounted() -> bool {
    fs::read_to_string("/proc/self/mounts").map_or(true, |m| debugfs_in(&m))
}

/// What to say when `path` cannot be read.
fn read_error(path: &Path, e: &io::Error) -> String {
    let hint = match e.kind() {
        io::ErrorKind::PermissionDenied => " (debugfs is for root only)",
        io::ErrorKind::NotFound if !Path::new(DEBUGFS_DIR).exists() => {
            " (no /sys/kernel/debug/dmacopy: is the dmacopy module loaded, with debugfs support?)"
        }
        _ => "",
    };
    format!("cannot read {}: {}{hint}", path.display(), errno_desc(e))
}

/// Runs `dmacopy stats`: a header line per node, then its stats file as it is.
pub fn run(o: &StatsOpts) -> CliResult {
    let nodes = select_nodes(o.device)?;
    if !debugfs_mounted() {
        return Err(CliError::Failed(format!(
            "debugfs is not mounted: mount -t debugfs none {DEBUGFS}"
        )));
    }
    let mut failed = false;
    for (i, index) in nodes.into_iter().enumerate() {
        let path = stats_path(index);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let sep = if i == 0 { "" } else { "\n" };
                let nl = if text.ends_with('\n') || text.is_empty() {
                    ""
                } else {
                    "\n"
                };
                emit(&format!(
                    "{sep}== {NODE_PREFIX}{index} ({}) ==\n{text}{nl}",
                    path.display()
                ))?;
            }
            Err(e) => {
                eprintln!("dmacopy: {}", read_error(&path, &e));
                failed = true;
            }
        }
    }
    if failed {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            stats_path(2),
            Path::new("/sys/kernel/debug/dmacopy/dmacopy2/stats")
        );
    }

    #[test]
    fn mount_table() {
        let with = "sysfs /sys sysfs rw 0 0\n\
                    debugfs /sys/kernel/debug debugfs rw,nosuid 0 0\n";
        let without = "sysfs /sys sysfs rw 0 0\n\
                       tracefs /sys/kernel/debug/tracing tracefs rw 0 0\n\
                       none /sys/kernel/debug tmpfs rw 0 0\n";
        assert!(debugfs_in(with));
        assert!(!debugfs_in(without));
        assert!(!debugfs_in(""));
    }
}
