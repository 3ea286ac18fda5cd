// SPDX-License-Identifier: GPL-2.0

//! `dmacopy copy`: fill the window with test patterns, copy, verify, and report time and rate.

use crate::args::{CopyOpts, DEFAULT_LEN};
use crate::{emit, open_node, select_nodes, CliError, CliResult};
use core::fmt::Write as _;
use dmacopy::pattern::Pattern;
use dmacopy::{errno_desc, CopyError, CopyRequest, CopyResult, Info, Mode, CAP_MMAP};

/// The copy to make on a device with `info`, from the options; a usage error if it does not
/// fit the buffers.
pub fn request(o: &CopyOpts, info: &Info, node: &str) -> Result<CopyRequest, CliError> {
    let size = info.buf_size;
    let usage = |msg: String| Err(CliError::Usage(msg));
    for (name, off) in [("--src-off", o.src_off), ("--dst-off", o.dst_off)] {
        if off >= size {
            return usage(format!(
                "{name} {off} is past the end of the buffers of {node} (buf_size {size})"
            ));
        }
    }
    let room = size - o.src_off.max(o.dst_off);
    let len = match o.len {
        Some(len) if len > size => {
            return usage(format!(
                "--len {len} is larger than the buffers of {node} (buf_size {size})"
            ))
        }
        Some(len) if len > room => {
            return usage(format!(
                "--len {len} from --src-off {} / --dst-off {} passes the end of the buffers of \
                 {node} (buf_size {size}; at most {room} bytes fit)",
                o.src_off, o.dst_off
            ))
        }
        Some(len) => len,
        None => DEFAULT_LEN.min(room),
    };
    Ok(CopyRequest {
        src_off: o.src_off,
        dst_off: o.dst_off,
        len,
        mode: o.mode,
        // The parser checked that this does not overflow.
        timeout_ns: o.timeout_ms.saturating_mul(1_000_000),
    })
}

/// Microseconds, one decimal.
fn micros(ns: u64) -> String {
    // CAST: precision loss only above 2^53 ns (104 days).
    format!("{:.1} us", ns as f64 / 1e3)
}

/// The rate of `bytes` in `ns`, in MB/s (10^6 bytes per second).
fn rate(bytes: u64, ns: u64) -> String {
    if ns == 0 {
        return "- MB/s".to_owned();
    }
    // CAST: as in `micros`; bytes per ns times 1000 is MB/s.
    format!("{:.1} MB/s", bytes as f64 * 1e3 / ns as f64)
}

/// How the copy was done: `dma`, `cpu`, or `auto->cpu` when the driver picked.
fn mode_label(requested: Mode, used: Mode) -> String {
    if requested == Mode::Auto {
        format!("auto->{used}")
    } else {
        used.to_string()
    }
}

/// The line for one verified copy, e.g. `dmacopy0: dma copy 1048576 bytes (src_off 0,
/// dst_off 0): 1234.5 us, 850.2 MB/s, verified`.
pub fn copy_line(
    node: &str,
    run: Option<(u64, u64)>,
    req: &CopyRequest,
    res: &CopyResult,
) -> String {
    let run = run.map_or(String::new(), |(i, n)| format!("[{i}/{n}] "));
    let hw = if res.hw_status != 0 {
        format!(", hw_status {:#x}", res.hw_status)
    } else {
        String::new()
    };
    format!(
        "{node}: {run}{} copy {} bytes (src_off {}, dst_off {}): {}, {}{hw}, verified\n",
        mode_label(req.mode, res.mode_used),
        req.len,
        req.src_off,
        req.dst_off,
        micros(res.elapsed_ns),
        rate(req.len, res.elapsed_ns),
    )
}

/// The summary of several copies of `len` bytes that took `times` nanoseconds each.
pub fn summary(node: &str, req: &CopyRequest, times: &[u64]) -> String {
    let (Some(&min), Some(&max)) = (times.iter().min(), times.iter().max()) else {
        return String::new();
    };
    let total: u128 = times.iter().map(|&t| u128::from(t)).sum();
    // CAST: the average of u64 values fits a u64.
    let avg = (total / times.len() as u128) as u64;
    format!(
        "{node}: {} {} copies of {} bytes, all verified: time min {}, avg {}, max {}; \
         rate max {}, avg {}, min {}\n",
        times.len(),
        req.mode,
        req.len,
        micros(min),
        micros(avg),
        micros(max),
        rate(req.len, min),
        rate(req.len, avg),
        rate(req.len, max),
    )
}

/// The message for a failed copy, with a hint when the arguments break the alignment rule.
fn copy_failure(node: &str, req: &CopyRequest, info: &Info, err: &CopyError) -> String {
    let mut msg = format!("{node}: {err}");
    let align = u64::from(info.align.max(1));
    let dma = req.mode == Mode::Dma || (req.mode == Mode::Auto && req.len >= info.auto_threshold);
    let misaligned = [req.src_off, req.dst_off, req.len]
        .iter()
        .any(|v| v % align != 0);
    if err.errno() == Some(libc::EINVAL) && dma && misaligned {
        // Writing to a String cannot fail.
        let _ = write!(
            msg,
            " (in dma mode, src_off, dst_off and len must be multiples of align {align})"
        );
    }
    msg
}

/// Runs `dmacopy copy`.
pub fn run(o: &CopyOpts) -> CliResult {
    select_nodes(Some(o.device))?;
    let node = format!("{}{}", dmacopy::NODE_PREFIX, o.device);
    let mut dev = open_node(o.device)?;
    let info = dev
        .info()
        .map_err(|e| CliError::Failed(format!("{node}: DMACOPY_IOC_INFO: {}", errno_desc(&e))))?;
    if !info.has(CAP_MMAP) {
        return Err(CliError::Failed(format!(
            "{node}: the window cannot be mapped (no mmap in caps {})",
            info.caps_string()
        )));
    }
    let req = request(o, &info, &node)?;
    let fail = |msg: String| CliError::Failed(msg);
    let buf_size = usize::try_from(info.buf_size)
        .map_err(|_| fail(format!("{node}: buf_size {} too large", info.buf_size)))?;
    // CAST: `request` checked that the range is inside the buffers, whose size fits a usize.
    let (src_off, dst_off, len) = (req.src_off as usize, req.dst_off as usize, req.len as usize);
    let pattern = Pattern::new(buf_size, o.seed);
    let mut win = dev
        .map()
        .map_err(|e| fail(format!("{node}: mmap: {}", errno_desc(&e))))?;

    let mut times = Vec::new();
    for i in 1..=o.iterations {
        let run = (o.iterations > 1).then_some((i, o.iterations));
        let (src, dst) = win.split_mut();
        pattern.fill(src, dst);
        let res = win
            .copy(&req)
            .map_err(|e| fail(copy_failure(&node, &req, &info, &e)))?;
        if let Err(e) = pattern.verify(win.src(), win.dst(), src_off, dst_off, len) {
            return Err(fail(format!(
                "{node}: {}{} copy {} bytes (src_off {}, dst_off {}, seed {}) is wrong: {e}",
                run.map_or(String::new(), |(i, n)| format!("[{i}/{n}] ")),
                mode_label(req.mode, res.mode_used),
                req.len,
                req.src_off,
                req.dst_off,
                o.seed,
            )));
        }
        if !o.quiet {
            emit(&copy_line(&node, run, &req, &res))?;
        }
        times.push(res.elapsed_ns);
    }
    if o.iterations > 1 {
        emit(&summary(&node, &req, &times))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn info(buf_size: u64) -> Info {
        Info {
            buf_size,
            max_len: buf_size,
            align: 64,
            auto_threshold: 4096,
            ..Info::default()
        }
    }

    fn usage_msg(r: Result<CopyRequest, CliError>) -> String {
        match r {
            Err(CliError::Usage(msg)) => msg,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn requests() {
        let o = CopyOpts::default();
        let req = request(&o, &info(1 << 20), "dmacopy0").unwrap();
        assert_eq!(req, CopyRequest::new(1 << 20));
        // The default length shrinks to what fits.
        let req = request(&o, &info(64 << 10), "dmacopy0").unwrap();
        assert_eq!(req.len, 64 << 10);
        let o = CopyOpts {
            dst_off: 1000,
            timeout_ms: 5,
            ..CopyOpts::default()
        };
        let req = request(&o, &info(4096), "dmacopy0").unwrap();
        assert_eq!(
            (req.len, req.dst_off, req.timeout_ns),
            (3096, 1000, 5_000_000)
        );
    }

    #[test]
    fn requests_that_do_not_fit() {
        let o = CopyOpts {
            len: Some(2 << 20),
            ..CopyOpts::default()
        };
        let msg = usage_msg(request(&o, &info(1 << 20), "dmacopy0"));
        assert_eq!(
            msg,
            "--len 2097152 is larger than the buffers of dmacopy0 (buf_size 1048576)"
        );
        let o = CopyOpts {
            len: Some(4096),
            src_off: 1,
            ..CopyOpts::default()
        };
        assert!(usage_msg(request(&o, &info(4096), "dmacopy0")).contains("at most 4095 bytes fit"));
        let o = CopyOpts {
            dst_off: 4096,
            ..CopyOpts::default()
        };
        assert!(
            usage_msg(request(&o, &info(4096), "dmacopy0")).starts_with("--dst-off 4096 is past")
        );
    }

    #[test]
    fn lines() {
        let req = CopyRequest::new(1_048_576);
        let res = CopyResult {
            elapsed_ns: 1_234_500,
            mode_used: Mode::Dma,
            hw_status: 0,
        };
        assert_eq!(
            copy_line("dmacopy0", None, &req, &res),
            "dmacopy0: dma copy 1048576 bytes (src_off 0, dst_off 0): 1234.5 us, 849.4 MB/s, \
             verified\n"
        );
        let auto = CopyRequest {
            mode: Mode::Auto,
            len: 100,
            ..req
        };
        let res = CopyResult {
            elapsed_ns: 0,
            mode_used: Mode::Cpu,
            hw_status: 0x40,
        };
        assert_eq!(
            copy_line("dmacopy1", Some((2, 3)), &auto, &res),
            "dmacopy1: [2/3] auto->cpu copy 100 bytes (src_off 0, dst_off 0): 0.0 us, - MB/s, \
             hw_status 0x40, verified\n"
        );
    }

    #[test]
    fn summaries() {
        let req = CopyRequest::new(1_000_000);
        let s = summary("dmacopy0", &req, &[1_000_000, 2_000_000, 4_000_000]);
        assert_eq!(
            s,
            "dmacopy0: 3 dma copies of 1000000 bytes, all verified: time min 1000.0 us, \
             avg 2333.3 us, max 4000.0 us; rate max 1000.0 MB/s, avg 428.6 MB/s, \
             min 250.0 MB/s\n"
        );
        assert_eq!(summary("dmacopy0", &req, &[]), "");
    }

    #[test]
    fn failures() {
        let info = info(1 << 20);
        let err = |errno| CopyError {
            error: io::Error::from_raw_os_error(errno),
            result: None,
        };
        let einval = libc::EINVAL;
        let misaligned = CopyRequest {
            src_off: 3,
            ..CopyRequest::new(4096)
        };
        let msg = copy_failure("dmacopy0", &misaligned, &info, &err(einval));
        assert!(msg.starts_with("dmacopy0: copy failed: EINVAL ("), "{msg}");
        assert!(msg.ends_with("must be multiples of align 64)"), "{msg}");
        // No alignment hint in CPU mode, nor for aligned requests.
        let cpu = CopyRequest {
            mode: Mode::Cpu,
            ..misaligned
        };
        assert!(!copy_failure("dmacopy0", &cpu, &info, &err(einval)).contains("align"));
        let aligned = CopyRequest::new(4096);
        assert!(!copy_failure("dmacopy0", &aligned, &info, &err(einval)).contains("align"));
    }
}
