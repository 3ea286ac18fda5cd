// SPDX-License-Identifier: GPL-2.0

//! STAND-IN, NOT THE REAL FILE: helper claim10 writes this file (the `claim` and `release`
//! commands on the library's sysfs driver_override/bind/unbind). It is here only so that the
//! cli10 branch (clap definitions and the call site in main.rs) compiles on its own; at the
//! merge, claim10's tools/dmacopy-cli/src/claim.rs replaces it as a whole. The interface it
//! must keep: these two functions, which print their own output and errors.

use std::process::ExitCode;

/// `dmacopy claim [--json] DEVICE...` (stand-in: says that this build lacks it, exit 1).
pub fn claim(devices: &[String], json: bool) -> ExitCode {
    let _ = json;
    eprintln!(
        "dmacopy: claim {}: not in this build (stand-in for claim10's claim.rs)",
        devices.join(" ")
    );
    ExitCode::from(1)
}

/// `dmacopy release [--json] [--to DRIVER] DEVICE...` (stand-in: says that this build lacks
/// it, exit 1).
pub fn release(devices: &[String], to: Option<&str>, json: bool) -> ExitCode {
    let _ = (to, json);
    eprintln!(
        "dmacopy: release {}: not in this build (stand-in for claim10's claim.rs)",
        devices.join(" ")
    );
    ExitCode::from(1)
}
