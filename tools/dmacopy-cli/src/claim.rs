// SPDX-License-Identifier: GPL-2.0

//! `dmacopy claim DEVICE...` and `dmacopy release [--to DRIVER] DEVICE...`: move DMA channels
//! between dmacopy and another driver ([`dmacopy::claim`]).
//!
//! Each DEVICE is done in turn, also after one fails. Output: one line per device, or with
//! `--json` one array with an object per device (`device`, `ok`, `changed`, `from`, `to`,
//! `nodes`, and on failure `error` and `message`). Errors also go to standard error. Exit
//! status: 0 when every device is where it was asked to be; otherwise that of the first
//! failure: 1 a sysfs write or bind failed, 3 no such device, 4 not a DMA channel dmacopy
//! drives, 5 busy (a dmaengine client holds the channel; a process has its node open), 6 the
//! driver to bind to is not loaded, 7 permission denied, 8 release of a device that dmacopy
//! does not have.

use dmacopy::claim::{ClaimError, Outcome, Sysfs};
use serde::Serialize;
use std::io::{self, Write};
use std::process::ExitCode;

/// One device's result, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Report {
    /// What the user gave.
    arg: String,
    /// The platform device (null when it could not be resolved).
    device: Option<String>,
    ok: bool,
    /// False: it already was where it should be.
    changed: bool,
    /// Its driver before (null: none).
    from: Option<String>,
    /// Its driver after (null: none).
    to: Option<String>,
    /// Its `/dev/dmacopyN` nodes afterwards.
    nodes: Vec<String>,
    /// On failure: the kind of error (`no_device`, `not_channel`, `busy`, `not_loaded`,
    /// `permission`, `not_claimed`, `io`).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// On failure: the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// On failure: the exit status it stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_status: Option<u8>,
}

impl Report {
    fn new(arg: &str, res: &Result<Outcome, ClaimError>) -> Report {
        match res {
            Ok(o) => Report {
                arg: arg.to_owned(),
                device: Some(o.device.clone()),
                ok: true,
                changed: o.changed,
                from: o.from.clone(),
                to: o.to.clone(),
                nodes: o.nodes.iter().map(|n| format!("/dev/{n}")).collect(),
                error: None,
                message: None,
                exit_status: None,
            },
            Err(e) => Report {
                arg: arg.to_owned(),
                device: None,
                ok: false,
                changed: false,
                from: None,
                to: None,
                nodes: Vec::new(),
                error: Some(e.kind()),
                message: Some(e.to_string()),
                exit_status: Some(e.exit_code()),
            },
        }
    }
}

fn driver(d: &Option<String>) -> &str {
    d.as_deref().unwrap_or("no driver")
}

/// The text line for a claim that worked.
fn claimed_line(o: &Outcome) -> String {
    let nodes = o
        .nodes
        .iter()
        .map(|n| format!("/dev/{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    if o.changed {
        format!("{}: claimed from {}: {nodes}", o.device, driver(&o.from))
    } else {
        format!("{}: already bound to dmacopy: {nodes}", o.device)
    }
}

/// The text line for a release that worked.
fn released_line(o: &Outcome) -> String {
    if o.changed {
        format!("{}: released to {}", o.device, driver(&o.to))
    } else {
        format!(
            "{}: not bound to dmacopy (with {})",
            o.device,
            driver(&o.to)
        )
    }
}

/// Runs `op` on each device, prints the results, returns the exit status.
fn run(
    what: &str,
    devices: &[String],
    json: bool,
    op: impl Fn(&str) -> Result<Outcome, ClaimError>,
    line: fn(&Outcome) -> String,
) -> ExitCode {
    if devices.is_empty() {
        eprintln!("dmacopy: {what}: give at least one DEVICE (e.g. ffa80000.dma or 0xffa80000)");
        return ExitCode::from(2);
    }
    let mut status = 0u8;
    let mut reports = Vec::with_capacity(devices.len());
    let mut text = String::new();
    for arg in devices {
        let res = op(arg);
        match &res {
            Ok(o) => {
                text.push_str(&line(o));
                text.push('\n');
            }
            Err(e) => {
                eprintln!("dmacopy: {what} {arg}: {e}");
                if status == 0 {
                    status = e.exit_code();
                }
            }
        }
        reports.push(Report::new(arg, &res));
    }
    let out = if json {
        match serde_json::to_string_pretty(&reports) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("dmacopy: {what}: cannot format JSON: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        text
    };
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("dmacopy: cannot write to standard output: {e}");
        }
        if status == 0 {
            status = 1;
        }
    }
    ExitCode::from(status)
}

/// `dmacopy claim [--json] DEVICE...`: gives each device to dmacopy.
pub fn claim(devices: &[String], json: bool) -> ExitCode {
    let sys = Sysfs::default();
    run("claim", devices, json, |d| sys.claim(d), claimed_line)
}

/// `dmacopy release [--json] [--to DRIVER] DEVICE...`: gives each device back from dmacopy to
/// DRIVER, else to the driver it had before the claim, else to its upstream driver if loaded.
pub fn release(devices: &[String], to: Option<&str>, json: bool) -> ExitCode {
    let sys = Sysfs::default();
    run(
        "release",
        devices,
        json,
        |d| sys.release(d, to),
        released_line,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_of_an_error_names_its_kind_and_status() {
        let e: Result<Outcome, ClaimError> = Err(ClaimError::NoDevice {
            spec: "0x1".to_owned(),
        });
        let j = serde_json::to_value(Report::new("0x1", &e)).unwrap();
        assert_eq!(j["ok"], false);
        assert_eq!(j["error"], "no_device");
        assert_eq!(j["exit_status"], 3);
        assert!(j["device"].is_null());
    }

    #[test]
    fn lines() {
        let o = Outcome {
            device: "ffa80000.dma".to_owned(),
            from: Some("xilinx-zynqmp-dma".to_owned()),
            to: Some("dmacopy".to_owned()),
            changed: true,
            nodes: vec!["dmacopy8".to_owned()],
        };
        assert_eq!(
            claimed_line(&o),
            "ffa80000.dma: claimed from xilinx-zynqmp-dma: /dev/dmacopy8"
        );
        let j = serde_json::to_value(Report::new("0xffa80000", &Ok(o))).unwrap();
        assert_eq!(j["nodes"][0], "/dev/dmacopy8");
        assert!(j.get("error").is_none());
    }
}
