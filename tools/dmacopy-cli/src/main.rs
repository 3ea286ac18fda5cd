// SPDX-License-Identifier: GPL-2.0

//! `dmacopy`: inspect, exercise and benchmark the DMA channels of the dmacopy kernel module.
//!
//! Exit status: 0 on success, 1 on failure, 2 on a usage error.

// Everything unsafe (system calls, mappings) is in the libraries it uses.
#![forbid(unsafe_code)]

mod args;
mod bench;
mod claim;
mod copy;
mod generate;
mod info;
mod stats;
mod table;

use args::Command;
use dmacopy::{errno_desc, Device};
use std::io::{self, Write};
use std::process::ExitCode;

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

/// `value` as pretty JSON, with a newline at the end.
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // Serializing the CLI's own types (strings, numbers, maps with string keys) cannot fail.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// `value` as JSON on one line, with a newline at the end (a line of a JSON-lines stream).
pub fn to_json_line<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string(value).unwrap_or_default();
    text.push('\n');
    text
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

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os()) {
        Ok(command) => command,
        // Help and version go to standard output with status 0; usage errors to standard
        // error with status 2.
        Err(e) => e.exit(),
    };
    let result = match command {
        Command::Info(o) => info::run(&o),
        Command::Copy(o) => copy::run(&o),
        Command::Stats(o) => stats::run(&o),
        Command::Bench(o) => bench::run(&o),
        // claim and release print their own output and errors.
        Command::Claim(o) => return claim::claim(&o.devices, o.json),
        Command::Release(o) => return claim::release(&o.devices, o.to.as_deref(), o.json),
        Command::Generate(o) => generate::run(&o),
    };
    match result {
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
