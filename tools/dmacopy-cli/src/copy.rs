// SPDX-License-Identifier: GPL-2.0

//! `dmacopy copy`: fill the window with test patterns, copy, verify, and report time and rate.

use crate::args::{CopyOpts, DEFAULT_LEN};
use crate::{emit, open_node, select_nodes, CliError, CliResult};
use core::fmt::Write as _;
use dmacopy::pattern::{self, Pattern, Span};
use dmacopy::{
    errno_desc, unsupported, BatchError, CopyBatch, CopyError, CopyRequest, CopyResult, Device,
    Info, Mode, CAP_BATCH, CAP_COPY_USER, CAP_MMAP,
};
use rustix::io::Errno;
use serde::Serialize;

/// The errnos that the hints below name, as [`CopyError::errno`] and [`BatchError::errno`] give
/// them.
const EINVAL: i32 = Errno::INVAL.raw_os_error();
const EFAULT: i32 = Errno::FAULT.raw_os_error();

/// `copy --json`: the one document of a run of the command.
#[derive(Debug, Serialize)]
pub struct CopyJson {
    /// The node, e.g. `dmacopy0`.
    pub node: String,
    /// `copy` (DMACOPY_IOC_COPY), `copy_user` or `batch`.
    pub kind: &'static str,
    /// The mode asked for.
    pub mode: &'static str,
    /// Bytes per copy.
    pub len: u64,
    /// Offset into SRC (with `copy_user`: into this process's source buffer).
    pub src_off: u64,
    /// Offset into DST (with `copy_user`: into this process's destination buffer).
    pub dst_off: u64,
    /// The seed of the SRC pattern.
    pub seed: u64,
    /// Copies per batch (`batch` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The offsets of the two ranges within their pages (`copy_user` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_offsets: Option<[usize; 2]>,
    /// Each run (copy, or batch), in order; all were verified.
    pub runs: Vec<RunJson>,
    /// Over the runs, when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
}

impl CopyJson {
    /// A document of `kind` without runs yet.
    fn new(node: &str, kind: &'static str, o: &CopyOpts, len: u64) -> CopyJson {
        CopyJson {
            node: node.to_owned(),
            kind,
            mode: o.mode.name(),
            len,
            src_off: o.src_off,
            dst_off: o.dst_off,
            seed: o.seed,
            count: None,
            page_offsets: None,
            runs: Vec::new(),
            summary: None,
        }
    }
}

/// One verified copy or batch of `copy --json`.
#[derive(Debug, Serialize)]
pub struct RunJson {
    /// Time measured in the kernel (of a batch: the whole batch).
    pub elapsed_ns: u64,
    /// The rate, in 10^6 bytes per second (null when the time is 0).
    pub mb_per_s: Option<f64>,
    /// The mode the copy used (not of a batch: see `entries`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_used: Option<&'static str>,
    /// The controller's status at completion (not of a batch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hw_status: Option<u32>,
    /// Each entry of a batch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<EntryJson>,
}

impl RunJson {
    /// One copy of `len` bytes.
    fn single(len: u64, res: &CopyResult) -> RunJson {
        RunJson {
            elapsed_ns: res.elapsed_ns,
            mb_per_s: mb_per_s(len, res.elapsed_ns),
            mode_used: Some(res.mode_used.name()),
            hw_status: Some(res.hw_status),
            entries: Vec::new(),
        }
    }
}

/// One entry of a batch in `copy --json`.
#[derive(Debug, Serialize)]
pub struct EntryJson {
    /// Time of this entry, measured in the kernel.
    pub elapsed_ns: u64,
    /// The mode it used.
    pub mode_used: &'static str,
    /// The controller's status at its completion.
    pub hw_status: u32,
}

/// Times and rates over several runs.
#[derive(Debug, PartialEq, Serialize)]
pub struct Summary {
    /// How many.
    pub runs: usize,
    /// Shortest, mean and longest time.
    pub min_ns: u64,
    /// The mean time.
    pub avg_ns: u64,
    /// The longest time.
    pub max_ns: u64,
    /// The rates at those times, in 10^6 bytes per second (null when a time is 0).
    pub mb_per_s_max: Option<f64>,
    /// The rate at the mean time.
    pub mb_per_s_avg: Option<f64>,
    /// The rate at the longest time.
    pub mb_per_s_min: Option<f64>,
}

impl Summary {
    /// Over runs of `bytes` each that took `times` ns; None without runs.
    pub fn of(bytes: u64, times: &[u64]) -> Option<Summary> {
        let (&min, &max) = (times.iter().min()?, times.iter().max()?);
        let total: u128 = times.iter().map(|&t| u128::from(t)).sum();
        // CAST: the average of u64 values fits a u64.
        let avg = (total / times.len() as u128) as u64;
        Some(Summary {
            runs: times.len(),
            min_ns: min,
            avg_ns: avg,
            max_ns: max,
            mb_per_s_max: mb_per_s(bytes, min),
            mb_per_s_avg: mb_per_s(bytes, avg),
            mb_per_s_min: mb_per_s(bytes, max),
        })
    }
}

/// The rate of `bytes` in `ns`, in 10^6 bytes per second; None for 0 ns.
fn mb_per_s(bytes: u64, ns: u64) -> Option<f64> {
    // CAST: precision loss only above 2^53; bytes per ns times 1000 is MB/s.
    (ns != 0).then(|| bytes as f64 * 1e3 / ns as f64)
}

/// Ends a command: with `--json` the document (its summary from `times` when there are several
/// runs of `bytes` each), else the summary line of several runs (`what`).
fn finish(o: &CopyOpts, mut doc: CopyJson, what: &str, bytes: u64, times: &[u64]) -> CliResult {
    if o.json {
        if times.len() > 1 {
            doc.summary = Summary::of(bytes, times);
        }
        emit(&crate::to_json(&doc))
    } else if times.len() > 1 {
        emit(&summary_of(&doc.node, what, bytes, times))
    } else {
        Ok(())
    }
}

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
    match mb_per_s(bytes, ns) {
        Some(r) => format!("{r:.1} MB/s"),
        None => "- MB/s".to_owned(),
    }
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

/// The summary of runs (`what`, e.g. `3 dma copies of 64 bytes`) of `bytes` each that took
/// `times` nanoseconds each.
fn summary_of(node: &str, what: &str, bytes: u64, times: &[u64]) -> String {
    let Some(Summary {
        min_ns: min,
        avg_ns: avg,
        max_ns: max,
        ..
    }) = Summary::of(bytes, times)
    else {
        return String::new();
    };
    format!(
        "{node}: {what}, all verified: time min {}, avg {}, max {}; \
         rate max {}, avg {}, min {}\n",
        micros(min),
        micros(avg),
        micros(max),
        rate(bytes, min),
        rate(bytes, avg),
        rate(bytes, max),
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
    if err.errno() == Some(EINVAL) && dma && misaligned {
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
    if o.user {
        return run_user(o);
    }
    if let Some(n) = o.batch {
        return run_batch(o, n);
    }
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

    let mut doc = CopyJson::new(&node, "copy", o, req.len);
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
        if o.json {
            doc.runs.push(RunJson::single(req.len, &res));
        } else if !o.quiet {
            emit(&copy_line(&node, run, &req, &res))?;
        }
        times.push(res.elapsed_ns);
    }
    let what = format!("{} {} copies of {} bytes", times.len(), req.mode, req.len);
    finish(o, doc, &what, req.len, &times)
}

/// Opens node `o.device` and asks for its INFO: `(node name, device, info)`.
fn open_with_info(o: &CopyOpts) -> CliResult<(String, Device, Info)> {
    select_nodes(Some(o.device))?;
    let node = format!("{}{}", dmacopy::NODE_PREFIX, o.device);
    let dev = open_node(o.device)?;
    let info = dev
        .info()
        .map_err(|e| CliError::Failed(format!("{node}: DMACOPY_IOC_INFO: {}", errno_desc(&e))))?;
    Ok((node, dev, info))
}

/// Bytes after each user buffer's range that are checked too, so that a copy that writes
/// past its end shows.
pub const USER_GUARD: usize = 64;

/// A zeroed buffer of `len` bytes, or a message when the memory is not there.
fn buffer(len: usize, what: &str) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| format!("cannot allocate {len} bytes for the {what} buffer"))?;
    v.resize(len, 0);
    Ok(v)
}

/// The message for a failed COPY_USER, with a hint for the errors the arguments can cause.
fn user_failure(node: &str, err: &CopyError) -> String {
    let hint = match err.errno() {
        Some(EINVAL) => {
            " (len must be 1 to 1 GiB, the ranges must not overlap, flags and reserved zero)"
        }
        Some(EFAULT) => " (a range is not accessible: SRC readable, DST writable)",
        _ => "",
    };
    format!("{node}: COPY_USER {err}{hint}")
}

/// The line for one verified COPY_USER, e.g. `dmacopy0: dma copy_user 1048576 bytes (src +0,
/// dst +0; page offsets 0x10, 0x10): 1234.5 us, 850.2 MB/s, verified`.
pub fn user_line(
    node: &str,
    run: Option<(u64, u64)>,
    req: &CopyRequest,
    page_offsets: (usize, usize),
    res: &CopyResult,
) -> String {
    let run = run.map_or(String::new(), |(i, n)| format!("[{i}/{n}] "));
    let hw = if res.hw_status != 0 {
        format!(", hw_status {:#x}", res.hw_status)
    } else {
        String::new()
    };
    format!(
        "{node}: {run}{} copy_user {} bytes (src +{}, dst +{}; page offsets {:#x}, {:#x}): {}, \
         {}{hw}, verified\n",
        mode_label(req.mode, res.mode_used),
        req.len,
        req.src_off,
        req.dst_off,
        page_offsets.0,
        page_offsets.1,
        micros(res.elapsed_ns),
        rate(req.len, res.elapsed_ns),
    )
}

/// `dmacopy copy --user`: `DMACOPY_IOC_COPY_USER` from a buffer of this process (filled with
/// the SRC pattern) at `--src-off` into another (filled with the DST pattern) at `--dst-off`;
/// both buffers are checked after each copy, [`USER_GUARD`] bytes past the ranges included.
fn run_user(o: &CopyOpts) -> CliResult {
    let (node, dev, info) = open_with_info(o)?;
    if !info.has(CAP_COPY_USER) {
        return Err(CliError::Failed(format!(
            "{node}: copy --user: {}",
            unsupported("DMACOPY_IOC_COPY_USER", "copy_user", info.caps)
        )));
    }
    let fail = |msg: String| CliError::Failed(msg);
    let len = o.len.unwrap_or(DEFAULT_LEN);
    // CAST: the parser bounds len and the offsets by 1 GiB each.
    let (src_off, dst_off, n) = (o.src_off as usize, o.dst_off as usize, len as usize);
    let mut src = buffer(src_off + n + USER_GUARD, "source").map_err(fail)?;
    let mut dst = buffer(dst_off + n + USER_GUARD, "destination").map_err(fail)?;
    let page = 4096;
    let page_offsets = (
        (src.as_ptr() as usize + src_off) % page,
        (dst.as_ptr() as usize + dst_off) % page,
    );
    let req = CopyRequest {
        src_off: o.src_off,
        dst_off: o.dst_off,
        len,
        mode: o.mode,
        timeout_ns: o.timeout_ms.saturating_mul(1_000_000),
    };
    let mut doc = CopyJson::new(&node, "copy_user", o, len);
    doc.page_offsets = Some([page_offsets.0, page_offsets.1]);
    let mut times = Vec::new();
    for i in 1..=o.iterations {
        let run = (o.iterations > 1).then_some((i, o.iterations));
        pattern::fill_src(&mut src, o.seed);
        pattern::fill_dst(&mut dst);
        let res = dev
            .copy_user(
                &src[src_off..src_off + n],
                &mut dst[dst_off..dst_off + n],
                o.mode,
                req.timeout_ns,
            )
            .map_err(|e| fail(user_failure(&node, &e)))?;
        if let Err(e) = pattern::verify_seeded(o.seed, &src, &dst, src_off, dst_off, n) {
            return Err(fail(format!(
                "{node}: {}{} copy_user {len} bytes (src +{src_off}, dst +{dst_off}, seed {}) \
                 is wrong: {e}",
                run.map_or(String::new(), |(i, n)| format!("[{i}/{n}] ")),
                mode_label(o.mode, res.mode_used),
                o.seed,
            )));
        }
        if o.json {
            doc.runs.push(RunJson::single(len, &res));
        } else if !o.quiet {
            emit(&user_line(&node, run, &req, page_offsets, &res))?;
        }
        times.push(res.elapsed_ns);
    }
    let what = format!("{} {} copy_user copies of {len} bytes", times.len(), o.mode);
    finish(o, doc, &what, len, &times)
}

/// The copies of `copy --batch count` on a device with `info`: `count` entries of one length
/// each, entry `i` from SRC slot `i` (from `--src-off`) to DST slot `count - 1 - i` (from
/// `--dst-off`), so that entries that ran in the wrong place show. The length is `--len`, or
/// 4 KiB, or what fits (a multiple of `align` in DMA and AUTO modes); a usage error if the
/// slots do not fit the buffers.
pub fn batch_spans(o: &CopyOpts, count: u32, info: &Info, node: &str) -> CliResult<Vec<Span>> {
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
    let n = u64::from(count);
    let len = match o.len {
        Some(len) if len.checked_mul(n).is_none_or(|all| all > room) => {
            return usage(format!(
                "--batch {count} x --len {len} from --src-off {} / --dst-off {} passes the end \
                 of the buffers of {node} (buf_size {size}; {room} bytes fit, {} per copy)",
                o.src_off,
                o.dst_off,
                room / n
            ))
        }
        Some(len) => len,
        None => {
            let align = if o.mode == Mode::Cpu {
                1
            } else {
                u64::from(info.align.max(1))
            };
            let len = DEFAULT_BATCH_LEN.min(room / n) / align * align;
            if len == 0 {
                return usage(format!(
                    "--batch {count}: no copy of a multiple of {align} bytes fits {count} times \
                     in the buffers of {node} from --src-off {} / --dst-off {}",
                    o.src_off, o.dst_off
                ));
            }
            len
        }
    };
    // CAST: every offset is inside the buffers, whose size fits a usize (checked by the
    // caller).
    let (s, d, l) = (o.src_off as usize, o.dst_off as usize, len as usize);
    let count = count as usize;
    Ok((0..count)
        .map(|i| (s + i * l, d + (count - 1 - i) * l, l))
        .collect())
}

/// `--len` of `copy --batch` when none is given, if it fits.
pub const DEFAULT_BATCH_LEN: u64 = 4096;

/// The message for a failed batch: which entries completed, and the usual hints.
fn batch_failure(node: &str, err: &BatchError, info: &Info, mode: Mode) -> String {
    let mut msg = format!("{node}: COPY_BATCH {err}");
    match (err.errno(), err.done) {
        (_, Some(0)) => msg.push_str(" (no entry completed)"),
        (_, Some(done)) => {
            // Writing to a String cannot fail.
            let _ = write!(
                msg,
                " (entries 0 to {} completed; the rest did not)",
                done - 1
            );
        }
        (Some(EINVAL), None) => {
            let _ = write!(
                msg,
                " (an entry is out of the buffers{}; nothing was copied)",
                if mode == Mode::Cpu {
                    String::new()
                } else {
                    format!(" or, in dma mode, not a multiple of align {}", info.align)
                }
            );
        }
        _ => {}
    }
    msg
}

/// `dmacopy copy --batch N`: N copies in one `DMACOPY_IOC_COPY_BATCH`, over the window filled
/// with the test patterns, checked after each batch ([`batch_spans`]).
fn run_batch(o: &CopyOpts, count: u32) -> CliResult {
    let (node, mut dev, info) = open_with_info(o)?;
    if !info.has(CAP_BATCH) {
        return Err(CliError::Failed(format!(
            "{node}: copy --batch: {}",
            unsupported("DMACOPY_IOC_COPY_BATCH", "batch", info.caps)
        )));
    }
    if !info.has(CAP_MMAP) {
        return Err(CliError::Failed(format!(
            "{node}: the window cannot be mapped (no mmap in caps {})",
            info.caps_string()
        )));
    }
    let fail = |msg: String| CliError::Failed(msg);
    let buf_size = usize::try_from(info.buf_size)
        .map_err(|_| fail(format!("{node}: buf_size {} too large", info.buf_size)))?;
    let spans = batch_spans(o, count, &info, &node)?;
    let mut batch = CopyBatch::with_timeout(o.timeout_ms.saturating_mul(1_000_000));
    for &(s, d, l) in &spans {
        // CAST: usize to u64 never loses bits here.
        batch
            .push(s as u64, d as u64, l as u64, o.mode)
            .map_err(|e| fail(e.to_string()))?;
    }
    let len = spans.first().map_or(0, |sp| sp.2 as u64);
    let total = len * u64::from(count);
    let pattern = Pattern::new(buf_size, o.seed);
    let mut win = dev
        .map()
        .map_err(|e| fail(format!("{node}: mmap: {}", errno_desc(&e))))?;
    let mut doc = CopyJson::new(&node, "batch", o, len);
    doc.count = Some(count);
    let mut times = Vec::new();
    for i in 1..=o.iterations {
        let run = (o.iterations > 1).then_some((i, o.iterations));
        let (src, dst) = win.split_mut();
        pattern.fill(src, dst);
        let res = win
            .copy_batch(&mut batch)
            .map_err(|e| fail(batch_failure(&node, &e, &info, o.mode)))?;
        let prefix = run.map_or(String::new(), |(i, n)| format!("[{i}/{n}] "));
        if let Err(e) = pattern.verify_spans(win.src(), win.dst(), &spans) {
            return Err(fail(format!(
                "{node}: {prefix}batch of {count} {} copies of {len} bytes (src_off {}, \
                 dst_off {}, seed {}) is wrong: {e}",
                o.mode, o.src_off, o.dst_off, o.seed
            )));
        }
        if o.json {
            doc.runs.push(batch_run(total, &res));
        } else if !o.quiet {
            emit(&batch_line(&node, &prefix, o, len, &res))?;
        }
        times.push(res.elapsed_ns);
    }
    let what = format!(
        "{} batches of {count} {} copies of {len} bytes",
        times.len(),
        o.mode
    );
    finish(o, doc, &what, total, &times)
}

/// One verified batch of `total` bytes in `copy --json`.
fn batch_run(total: u64, res: &dmacopy::BatchResult) -> RunJson {
    RunJson {
        elapsed_ns: res.elapsed_ns,
        mb_per_s: mb_per_s(total, res.elapsed_ns),
        mode_used: None,
        hw_status: None,
        entries: res
            .results
            .iter()
            .map(|r| EntryJson {
                elapsed_ns: r.elapsed_ns,
                mode_used: r.mode_used.name(),
                hw_status: r.hw_status,
            })
            .collect(),
    }
}

/// The line for one verified batch, e.g. `dmacopy0: batch of 16 dma copies of 4096 bytes
/// (src_off 0, dst_off 0, DST slots in reverse order): 123.4 us in all, 7.7 us per copy,
/// 531.2 MB/s; mode_used dma x16, verified`.
pub fn batch_line(
    node: &str,
    prefix: &str,
    o: &CopyOpts,
    len: u64,
    res: &dmacopy::BatchResult,
) -> String {
    let n = res.results.len() as u64;
    let dma = res
        .results
        .iter()
        .filter(|r| r.mode_used == Mode::Dma)
        .count();
    let cpu = res.results.len() - dma;
    let used = match (dma, cpu) {
        (_, 0) => format!("dma x{dma}"),
        (0, _) => format!("cpu x{cpu}"),
        _ => format!("dma x{dma}, cpu x{cpu}"),
    };
    let hw: Vec<String> = res
        .results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.hw_status != 0)
        .map(|(i, r)| format!("#{i} {:#x}", r.hw_status))
        .take(4)
        .collect();
    let hw = if hw.is_empty() {
        String::new()
    } else {
        format!(", hw_status {}", hw.join(" "))
    };
    format!(
        "{node}: {prefix}batch of {n} {} copies of {len} bytes (src_off {}, dst_off {}, DST \
         slots in reverse order): {} in all, {} per copy, {}; mode_used {used}{hw}, verified\n",
        o.mode,
        o.src_off,
        o.dst_off,
        micros(res.elapsed_ns),
        micros(res.elapsed_ns / n.max(1)),
        rate(len * n, res.elapsed_ns),
    )
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
        let what = "3 dma copies of 1000000 bytes";
        let s = summary_of(
            "dmacopy0",
            what,
            1_000_000,
            &[1_000_000, 2_000_000, 4_000_000],
        );
        assert_eq!(
            s,
            "dmacopy0: 3 dma copies of 1000000 bytes, all verified: time min 1000.0 us, \
             avg 2333.3 us, max 4000.0 us; rate max 1000.0 MB/s, avg 428.6 MB/s, \
             min 250.0 MB/s\n"
        );
        assert_eq!(summary_of("dmacopy0", what, 1, &[]), "");
    }

    #[test]
    fn json_document() {
        let o = CopyOpts {
            iterations: 2,
            ..CopyOpts::default()
        };
        let mut doc = CopyJson::new("dmacopy0", "copy", &o, 1_000_000);
        let res = CopyResult {
            elapsed_ns: 1_000_000,
            mode_used: Mode::Dma,
            hw_status: 0,
        };
        doc.runs.push(RunJson::single(1_000_000, &res));
        doc.runs.push(RunJson::single(
            1_000_000,
            &CopyResult {
                elapsed_ns: 0,
                ..res
            },
        ));
        doc.summary = Summary::of(1_000_000, &[1_000_000, 3_000_000]);
        let v: serde_json::Value = serde_json::from_str(&crate::to_json(&doc)).unwrap();
        assert_eq!(v["node"], "dmacopy0");
        assert_eq!(
            (&v["kind"], &v["mode"], &v["len"]),
            (&"copy".into(), &"dma".into(), &1_000_000.into())
        );
        assert!(v.get("count").is_none() && v.get("page_offsets").is_none());
        assert_eq!(v["runs"][0]["mb_per_s"], 1000.0);
        assert_eq!(v["runs"][0]["mode_used"], "dma");
        assert!(v["runs"][1]["mb_per_s"].is_null());
        assert!(v["runs"][0].get("entries").is_none());
        assert_eq!(v["summary"]["avg_ns"], 2_000_000);
        assert_eq!(v["summary"]["mb_per_s_min"], 1000.0 / 3.0);

        let batch = dmacopy::BatchResult {
            elapsed_ns: 10,
            results: vec![res; 2],
        };
        let run = serde_json::to_value(batch_run(8192, &batch)).unwrap();
        assert_eq!(run["entries"][1]["mode_used"], "dma");
        assert!(run.get("mode_used").is_none() && run.get("hw_status").is_none());
        assert_eq!(Summary::of(1, &[]), None);
    }

    #[test]
    fn failures() {
        let info = info(1 << 20);
        let err = |errno| CopyError {
            error: io::Error::from_raw_os_error(errno),
            result: None,
        };
        let einval = EINVAL;
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

    #[test]
    fn batch_layout() {
        let node = "dmacopy0";
        let o = CopyOpts {
            batch: Some(4),
            ..CopyOpts::default()
        };
        // 4 KiB each by default, DST slots reversed.
        let spans = batch_spans(&o, 4, &info(1 << 20), node).unwrap();
        assert_eq!(
            spans,
            vec![
                (0, 3 * 4096, 4096),
                (4096, 2 * 4096, 4096),
                (2 * 4096, 4096, 4096),
                (3 * 4096, 0, 4096)
            ]
        );
        // The default shrinks to what fits, to a multiple of align (64 here) unless in CPU mode.
        let o = CopyOpts { src_off: 64, ..o };
        let spans = batch_spans(&o, 3, &info(4096), node).unwrap();
        assert_eq!(spans[0], (64, 2 * 1344, 1344));
        let cpu = CopyOpts {
            mode: Mode::Cpu,
            ..o.clone()
        };
        assert_eq!(batch_spans(&cpu, 3, &info(4096), node).unwrap()[0].2, 1344);
        let spans = batch_spans(&cpu, 256, &info(4096), node).unwrap();
        assert_eq!((spans.len(), spans[255]), (256, (64 + 255 * 15, 0, 15)));
        // Nothing fits, and a --len that does not.
        let msg = match batch_spans(&o, 256, &info(4096), node) {
            Err(CliError::Usage(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(
            msg.contains("no copy of a multiple of 64 bytes fits 256 times"),
            "{msg}"
        );
        let o = CopyOpts {
            len: Some(2048),
            ..o
        };
        let msg = match batch_spans(&o, 2, &info(4096), node) {
            Err(CliError::Usage(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(
            msg.contains("--batch 2 x --len 2048 from --src-off 64 / --dst-off 0 passes the end")
                && msg.contains("4032 bytes fit, 2016 per copy"),
            "{msg}"
        );
        let o = CopyOpts {
            len: Some(u64::MAX),
            ..o
        };
        assert!(batch_spans(&o, 2, &info(4096), node).is_err());
    }

    #[test]
    fn batch_messages() {
        let info = info(1 << 20);
        let err = |errno, done| BatchError {
            error: io::Error::from_raw_os_error(errno),
            done,
            completed: Vec::new(),
            elapsed_ns: None,
            count: 16,
        };
        let msg = batch_failure(
            "dmacopy0",
            &err(Errno::IO.raw_os_error(), Some(3)),
            &info,
            Mode::Dma,
        );
        assert!(
            msg.starts_with("dmacopy0: COPY_BATCH batch of 16 copies failed: EIO ("),
            "{msg}"
        );
        assert!(
            msg.ends_with("; 3 of 16 completed (entries 0 to 2 completed; the rest did not)"),
            "{msg}"
        );
        let msg = batch_failure(
            "dmacopy0",
            &err(Errno::TIMEDOUT.raw_os_error(), Some(0)),
            &info,
            Mode::Dma,
        );
        assert!(msg.ends_with("(no entry completed)"), "{msg}");
        let msg = batch_failure("dmacopy0", &err(EINVAL, None), &info, Mode::Dma);
        assert!(
            msg.ends_with("not a multiple of align 64; nothing was copied)"),
            "{msg}"
        );
        let msg = batch_failure("dmacopy0", &err(EINVAL, None), &info, Mode::Cpu);
        assert!(
            msg.ends_with("(an entry is out of the buffers; nothing was copied)"),
            "{msg}"
        );

        let res = dmacopy::BatchResult {
            elapsed_ns: 160_000,
            results: vec![
                CopyResult {
                    elapsed_ns: 1,
                    mode_used: Mode::Dma,
                    hw_status: 0,
                };
                16
            ],
        };
        let o = CopyOpts::default();
        assert_eq!(
            batch_line("dmacopy0", "", &o, 4096, &res),
            "dmacopy0: batch of 16 dma copies of 4096 bytes (src_off 0, dst_off 0, DST slots in \
             reverse order): 160.0 us in all, 10.0 us per copy, 409.6 MB/s; mode_used dma x16, \
             verified\n"
        );
    }

    #[test]
    fn user_messages() {
        let req = CopyRequest {
            src_off: 3,
            ..CopyRequest::new(1_048_576)
        };
        let res = CopyResult {
            elapsed_ns: 1_234_500,
            mode_used: Mode::Dma,
            hw_status: 0,
        };
        assert_eq!(
            user_line("dmacopy0", Some((1, 2)), &req, (0x13, 0x10), &res),
            "dmacopy0: [1/2] dma copy_user 1048576 bytes (src +3, dst +0; page offsets 0x13, \
             0x10): 1234.5 us, 849.4 MB/s, verified\n"
        );
        let err = CopyError {
            error: io::Error::from_raw_os_error(EFAULT),
            result: None,
        };
        assert!(user_failure("dmacopy0", &err)
            .ends_with("(a range is not accessible: SRC readable, DST writable)"));
        let err = CopyError {
            error: unsupported("DMACOPY_IOC_COPY_USER", "copy_user", CAP_MMAP),
            result: None,
        };
        assert_eq!(
            user_failure("dmacopy0", &err),
            "dmacopy0: COPY_USER copy failed: DMACOPY_IOC_COPY_USER is not supported by this \
             driver (caps mmap: no copy_user)"
        );
        assert_eq!(buffer(5, "x").unwrap(), vec![0; 5]);
        assert!(buffer(usize::MAX, "source")
            .unwrap_err()
            .contains("cannot allocate"));
    }
}
