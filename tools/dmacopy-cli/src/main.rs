// SPDX-License-Identifier: GPL-2.0

//! `dmacopy`: inspect, exercise and benchmark the DMA channels of the dmacopy kernel module.
//!
//! Exit status: 0 on success, 1 on failure, 2 on a usage error.

mod args;
mod bench;
mod copy;
mod info;
mod stats;
mod table;

use args::{Command, UsageError};
use dmacopy::{errno_desc, Device};
use std::io::{self, Write};
use std::process::ExitCode;

const USAGE: &str = "\
dmacopy: copy memory with the DMA channels of the dmacopy kernel module

Usage:
  dmacopy info [--json] [-d N]
  dmacopy copy [-d N] [--mode dma|cpu|auto] [--len BYTES] [--src-off BYTES]
               [--dst-off BYTES] [--timeout-ms MS] [--iterations N] [--seed N] [-q]
               [--user | --batch N]
  dmacopy stats [-d N]
  dmacopy bench [-d N] [--sizes LIST] [--secs S] [--repeats N] [--cpus LIST]
                [--channels LIST] [--rows LIST] [--user-sizes LIST] [--batch-entries LIST]
                [--batch-sizes LIST] [--json] [--out FILE] [-q]
  dmacopy help

Commands:
  info    what each /dev/dmacopyN drives, one row per channel
  copy    fill SRC with a pseudo-random pattern and DST with a fixed one, copy,
          check DST, the rest of DST and SRC, and report the time and rate.
          --user: the same between two buffers of this process's own memory
          (DMACOPY_IOC_COPY_USER; --src-off and --dst-off are offsets into them, any
          alignment). --batch N: N copies of --len bytes (default 4K, or what fits) in
          one DMACOPY_IOC_COPY_BATCH, entry i from SRC slot i to DST slot N-1-i. Both need
          the driver to set copy_user / batch in caps (see info), else they fail saying so
  stats   the driver's counters from debugfs (root only)
  bench   copies/s, MB/s and per-call latency (p50, p99) of each copy mode, from each CPU,
          against memcpy and the null ioctl (INFO), and with several channels at once;
          every size is checked in every mode first. A table, or JSON (dmacopy-bench/1)

Options:
  -d, --device N        /dev/dmacopyN only (copy, bench: default 0; info, stats: every node)
      --json            info: a JSON array instead of a table; bench: the JSON document
  -m, --mode MODE       dma (default), cpu, or auto (the driver picks by auto_threshold)
  -l, --len BYTES       bytes to copy (default 1M, or as much as fits the buffers)
      --src-off BYTES   offset into SRC (default 0)
      --dst-off BYTES   offset into DST (default 0)
      --timeout-ms MS   time limit of each copy (default 0: the module's timeout_ms)
  -n, --iterations N    copies to run (default 1); above 1, min/avg/max follow
      --seed N          seed of the SRC pattern (default 1)
      --user            copy: COPY_USER between two buffers of this process (--len to 1024M)
      --batch N         copy: N copies (1 to 256) in one COPY_BATCH
  -q, --quiet           copy: no line per copy, only the summary and errors;
                        bench: no live progress line, a line per finished run instead
  -h, --help            this help

bench options (each point: a warm-up of 0.1 s or 100 calls, then a timed loop; the dma, cpu
and auto points of one size and CPU run side by side, their calls alternating in slices of
about 20 ms until each has had its time, so that their ratios hold on a busy machine):
      --sizes LIST      bytes per copy (default 64,256,1K,4K,16K,64K,256K,1M,4M); sizes the
                        node cannot copy (above max_len, or not a multiple of align) are skipped
      --secs S          least length of each timed loop, in seconds (default 1; e.g. 0.5)
      --repeats N       timed runs of every point, interleaved (default 3)
      --cpus LIST       CPUs to pin the caller to, e.g. 0,1 or 0-3 (default: every CPU the
                        process may run on)
      --channels LIST   nodes copying at once in the channels rows (default 1,2,4,8; counts
                        above the number of nodes are skipped); thread i uses the i-th node
                        and the i-th CPU of --cpus, round robin
      --rows LIST       what to measure (default all): dma, cpu, auto (DMACOPY_IOC_COPY in
                        that mode), memcpy (user space), null (DMACOPY_IOC_INFO), channels;
                        user (DMACOPY_IOC_COPY_USER, dma mode, between two heap buffers),
                        bounce (the same bytes by pwrite to SRC, COPY in dma mode, pread from
                        DST), user-memcpy (memcpy between two heap buffers), side by side at
                        each of --user-sizes; batch (one DMACOPY_IOC_COPY_BATCH of N dma
                        copies) and single (the same N copies, one COPY each), side by side;
                        copies/s counts copies. Rows the driver cannot run (caps), and bounce
                        above buf_size, are listed as not measured, with the reason
      --user-sizes LIST bytes per copy of user, bounce, user-memcpy (default 4K,16K,64K,256K,
                        1M,4M,16M,64M; at most 1024M)
      --batch-entries LIST  copies per batch of batch and single (default 1,16,256; at most 256)
      --batch-sizes LIST    bytes per copy of batch and single (default 64,4K,64K)
  -o, --out FILE        bench: write the JSON document to FILE (the table still goes to
                        standard output)

BYTES and N are decimal or 0x hex; BYTES may end in K (KiB) or M (MiB): 4096, 0x1000,
64K, 1M. LIST is comma-separated. copy reports times measured in the kernel; bench times
each call as the caller sees it (CLOCK_MONOTONIC). 1 MB/s is 10^6 bytes per second.

Exit status: 0 success; 1 failure (no device, ioctl error, wrong bytes after a copy; bench
prints its table first); 2 usage error (also when the sizes do not fit the device's buffers).
";

/// The message when no node exists.
pub const NO_DEVICE: &str = "no /dev/dmacopy* device: is the dmacopy module loaded?";

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong (exit 2).
    Usage(String),
    /// The command failed (exit 1), with this message.
    Failed(String),
    /// The command failed (exit 1), and has said why already.
    Reported,
}

impl From<UsageError> for CliError {
    fn from(e: UsageError) -> CliError {
        CliError::Usage(e.0)
    }
}

/// What commands return.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Writes `text` to standard output. A closed pipe (`dmacopy info | head -1`) ends the
/// command quietly as a failure; it is not worth a panic.
pub fn emit(text: &str) -> CliResult {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(CliError::Reported),
        Err(e) => Err(CliError::Failed(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// The nodes a command works on: `device` if given, else every node there is. Fails with a
/// hint when there is none, or not that one.
pub fn select_nodes(device: Option<u32>) -> CliResult<Vec<u32>> {
    let found = match Device::list() {
        Ok(found) => found,
        Err(e) => {
            return Err(CliError::Failed(format!(
                "cannot list {}: {}",
                dmacopy::DEV_DIR,
                errno_desc(&e)
            )))
        }
    };
    match device {
        None if found.is_empty() => Err(CliError::Failed(NO_DEVICE.to_owned())),
        None => Ok(found),
        Some(n) if found.contains(&n) => Ok(vec![n]),
        Some(n) if found.is_empty() => Err(CliError::Failed(format!(
            "no {}: is the dmacopy module loaded?",
            Device::node_path(n).display()
        ))),
        Some(n) => {
            let there: Vec<String> = found
                .iter()
                .map(|&i| Device::node_path(i).display().to_string())
                .collect();
            Err(CliError::Failed(format!(
                "no {}; there are: {}",
                Device::node_path(n).display(),
                there.join(", ")
            )))
        }
    }
}

/// Opens node `index`, with a hint in the message when that fails.
pub fn open_node(index: u32) -> CliResult<Device> {
    let path = Device::node_path(index);
    Device::open(&path).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::PermissionDenied {
            " (run as root, or give yourself access to the node)"
        } else {
            ""
        };
        CliError::Failed(format!(
            "cannot open {}: {}{hint}",
            path.display(),
            errno_desc(&e)
        ))
    })
}

fn run(args: Vec<String>) -> CliResult {
    match args::parse(args)? {
        Command::Help => emit(USAGE),
        Command::Info(o) => info::run(&o),
        Command::Copy(o) => copy::run(&o),
        Command::Stats(o) => stats::run(&o),
        Command::Bench(o) => bench::run(&o),
    }
}

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!("dmacopy: argument {arg:?} is not valid UTF-8");
                return ExitCode::from(2);
            }
        }
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(msg)) => {
            eprintln!("dmacopy: {msg}");
            eprintln!("Try 'dmacopy --help'.");
            ExitCode::from(2)
        }
        Err(CliError::Failed(msg)) => {
            eprintln!("dmacopy: {msg}");
            ExitCode::from(1)
        }
        Err(CliError::Reported) => ExitCode::from(1),
    }
}
