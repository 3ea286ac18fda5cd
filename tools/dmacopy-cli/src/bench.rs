// SPDX-License-Identifier: GPL-2.0

//! `dmacopy bench`: copies/s, MB/s and per-call latency of the driver's copy paths, from each
//! CPU, against user-space `memcpy` and the null ioctl, and with several channels at once.
//!
//! A correctness pass comes first (every size in every mode, checked byte for byte); then the
//! timed runs, interleaved: every point once, then every point again, `repeats` times, so that
//! a drift of the machine spreads over all points. Each run is a warm-up, then a timed loop of
//! at least `secs` with every call timed by `CLOCK_MONOTONIC`; the report gives, per point, the
//! median and the spread over the runs. The JSON document follows schema `dmacopy-bench/1`.

pub mod cpu;
mod huge;
mod maths;
mod measure;
mod progress;
mod report;
mod verify;

use crate::args::BenchOpts;
use crate::{emit, open_node, select_nodes, CliError, CliResult};
use core::fmt;
use core::str::FromStr;
use dmacopy::pattern::Pattern;
use dmacopy::{errno_desc, CopyRequest, Device, Info, Mode, CAP_BATCH, CAP_COPY_USER};
use huge::BufError;
use maths::{Samples, SAMPLE_CAP};
use measure::Outcome;
use progress::Progress;
use report::{DeviceInfo, NotMeasured, Point, Report, Run, Settings, System, Verify};
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;

/// What a point measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Row {
    /// `DMACOPY_IOC_COPY` in DMA mode, on one node.
    Dma,
    /// `DMACOPY_IOC_COPY` in CPU mode.
    Cpu,
    /// `DMACOPY_IOC_COPY` in AUTO mode.
    Auto,
    /// A user-space copy between two heap buffers.
    Memcpy,
    /// `DMACOPY_IOC_INFO`: the fixed cost of a call.
    Null,
    /// DMA copies on several nodes at once, a thread per node.
    Channels,
    /// `DMACOPY_IOC_COPY_USER` in DMA mode between two heap buffers (`--user-sizes`).
    User,
    /// The bounce path for the same bytes: `pwrite` to SRC, `DMACOPY_IOC_COPY` in DMA mode,
    /// `pread` from DST; above `buf_size`, in pieces of `buf_size` rounded down to `align`,
    /// one after the other ([`bounce_pieces`]), as a program without `COPY_USER` must.
    Bounce,
    /// A user-space copy between two heap buffers, at the `user` sizes.
    #[serde(rename = "user-memcpy")]
    UserMemcpy,
    /// `user` between two buffers on transparent huge pages ([`huge::HugeBuf`]).
    #[serde(rename = "user-huge")]
    UserHuge,
    /// `bounce` from and to two buffers on transparent huge pages.
    #[serde(rename = "bounce-huge")]
    BounceHuge,
    /// `DMACOPY_IOC_COPY_BATCH` of `entries` DMA copies.
    Batch,
    /// The same copies as `batch`, one `DMACOPY_IOC_COPY` each.
    Single,
}

/// Rows whose points run side by side (see [`measure::side_by_side`]), by what they compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// `dma`, `cpu`, `auto` of one size and CPU.
    Modes,
    /// `user`, `bounce`, `user-memcpy`, `user-huge`, `bounce-huge` of one size and CPU.
    User,
    /// `batch`, `single` of one batch length, size and CPU.
    Batch,
}

impl Row {
    /// Every row, in the order of the report.
    pub const ALL: [Row; 13] = [
        Row::Dma,
        Row::Cpu,
        Row::Auto,
        Row::Memcpy,
        Row::Null,
        Row::Channels,
        Row::User,
        Row::Bounce,
        Row::UserMemcpy,
        Row::UserHuge,
        Row::BounceHuge,
        Row::Batch,
        Row::Single,
    ];

    /// The name on the command line and in the report.
    pub const fn name(self) -> &'static str {
        match self {
            Row::Dma => "dma",
            Row::Cpu => "cpu",
            Row::Auto => "auto",
            Row::Memcpy => "memcpy",
            Row::Null => "null",
            Row::Channels => "channels",
            Row::User => "user",
            Row::Bounce => "bounce",
            Row::UserMemcpy => "user-memcpy",
            Row::UserHuge => "user-huge",
            Row::BounceHuge => "bounce-huge",
            Row::Batch => "batch",
            Row::Single => "single",
        }
    }

    /// The rows measured side by side with this one, if any.
    pub const fn group(self) -> Option<Group> {
        match self {
            Row::Dma | Row::Cpu | Row::Auto => Some(Group::Modes),
            Row::User | Row::Bounce | Row::UserMemcpy | Row::UserHuge | Row::BounceHuge => {
                Some(Group::User)
            }
            Row::Batch | Row::Single => Some(Group::Batch),
            Row::Memcpy | Row::Null | Row::Channels => None,
        }
    }

    /// Whether the row's user buffers are on transparent huge pages (`user-huge`,
    /// `bounce-huge`).
    pub const fn huge(self) -> bool {
        matches!(self, Row::UserHuge | Row::BounceHuge)
    }

    /// Whether the row goes through SRC and DST (`bounce`, `bounce-huge`).
    pub const fn bounces(self) -> bool {
        matches!(self, Row::Bounce | Row::BounceHuge)
    }

    /// Whether a call of this row makes several copies (`batch`, `single`).
    pub const fn batched(self) -> bool {
        matches!(self, Row::Batch | Row::Single)
    }

    /// The copy mode of a `dma`, `cpu` or `auto` row.
    pub const fn mode(self) -> Option<Mode> {
        match self {
            Row::Dma => Some(Mode::Dma),
            Row::Cpu => Some(Mode::Cpu),
            Row::Auto => Some(Mode::Auto),
            _ => None,
        }
    }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Row {
    type Err = String;

    fn from_str(s: &str) -> Result<Row, String> {
        Row::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown row '{s}' (expected dma, cpu, auto, memcpy, null, channels, user, \
                     bounce, user-memcpy, user-huge, bounce-huge, batch or single)"
                )
            })
    }
}

/// What will run: the options, fitted to the device and the machine.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Sizes that run.
    pub sizes: Vec<u64>,
    /// Sizes asked for that the node cannot copy.
    pub skipped_sizes: Vec<u64>,
    /// Channel counts that run (only if the `channels` row does).
    pub channels: Vec<u32>,
    /// Channel counts above the number of nodes.
    pub skipped_channels: Vec<u32>,
    /// The points, in report order.
    pub points: Vec<Point>,
    /// What was asked for and will not run, and why.
    pub not_measured: Vec<NotMeasured>,
}

/// Where the copies of a `batch` or `single` call of `entries` copies of `size` bytes go, in
/// buffers of `buf_size`: `(src_off, dst_off, len)` each. Entry `i` uses slot `i` modulo the
/// slots that fit, from SRC slot `k` to DST slot `slots - 1 - k`.
pub fn batch_layout(entries: u32, size: u64, buf_size: u64) -> Vec<(u64, u64, u64)> {
    let slots = (buf_size / size.max(1)).clamp(1, u64::from(entries.max(1)));
    (0..u64::from(entries))
        .map(|i| {
            let k = i % slots;
            (k * size, (slots - 1 - k) * size, size)
        })
        .collect()
}

/// One piece of a bounce: `len` bytes at `off` in the user buffers go to SRC at 0 by `pwrite`,
/// `copy_len` bytes (`len` rounded up to the node's `align`) from SRC to DST by
/// `DMACOPY_IOC_COPY` in DMA mode, and `len` bytes from DST at 0 back by `pread`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Where the piece starts in the user buffers.
    pub off: u64,
    /// Its bytes.
    pub len: u64,
    /// The bytes the copy moves: `len` rounded up to `align` (the rest of SRC is copied
    /// along and not read back).
    pub copy_len: u64,
}

/// The largest piece of a bounce on a node with `info`: `max_len` (at most `buf_size`)
/// rounded down to `align`; `None` if that is 0.
pub fn bounce_piece_len(info: &Info) -> Option<u64> {
    let align = u64::from(info.align.max(1));
    let most = info.max_len.min(info.buf_size);
    Some(most - most % align).filter(|&n| n > 0)
}

/// How a bounce moves `len` bytes through SRC and DST of a node with `info`: in pieces of
/// [`bounce_piece_len`] in turn (the last one shorter), each written to SRC, copied, read
/// back from DST, as a program without `DMACOPY_IOC_COPY_USER` must do; one piece up to
/// `buf_size`. `None` if the node cannot take a piece (`max_len` below `align`).
pub fn bounce_pieces(len: u64, info: &Info) -> Option<Vec<Piece>> {
    let piece = bounce_piece_len(info)?;
    let align = u64::from(info.align.max(1));
    let mut pieces = Vec::new();
    let mut off = 0;
    while off < len {
        let n = piece.min(len - off);
        // At most `piece`, a multiple of `align`: the copy fits the buffers.
        let copy_len = n.div_ceil(align) * align;
        pieces.push(Piece {
            off,
            len: n,
            copy_len,
        });
        off += n;
    }
    Some(pieces)
}

/// Fits the options to a node with `info`, `nodes` nodes in all, and `cpus` to run on; `thp`:
/// the size of a transparent huge page, or why anonymous memory cannot have them
/// ([`huge::available`]).
pub fn plan(
    o: &BenchOpts,
    info: &Info,
    nodes: usize,
    cpus: &[u32],
    thp: &Result<usize, String>,
) -> Plan {
    let align = u64::from(info.align.max(1));
    let (sizes, skipped_sizes): (Vec<u64>, Vec<u64>) = o
        .sizes
        .iter()
        .partition(|&&s| s <= info.max_len && s % align == 0);
    let (channels, skipped_channels): (Vec<u32>, Vec<u32>) = if o.rows.contains(&Row::Channels) {
        o.channels
            .iter()
            .partition(|&&n| usize::try_from(n).is_ok_and(|n| n <= nodes))
    } else {
        (Vec::new(), Vec::new())
    };
    let mut points = Vec::new();
    let mut not_measured = Vec::new();
    let mut skip = |row, size, entries, reason: String| {
        not_measured.push(NotMeasured {
            row,
            size,
            entries,
            cpu: None,
            reason,
        });
    };
    let caps = info.caps_string();
    for &row in &o.rows {
        match row {
            Row::Dma | Row::Cpu | Row::Auto | Row::Memcpy => {
                for &c in cpus {
                    points.extend(sizes.iter().map(|&s| Point::new(row, Some(c), 1, s)));
                }
            }
            Row::Null => points.extend(cpus.iter().map(|&c| Point::new(row, Some(c), 1, 0))),
            Row::Channels => {
                for &n in &channels {
                    points.extend(sizes.iter().map(|&s| Point::new(row, None, n, s)));
                }
            }
            Row::User | Row::Bounce | Row::UserMemcpy | Row::UserHuge | Row::BounceHuge => {
                if !info.has(CAP_COPY_USER) {
                    let reason = if matches!(row, Row::User | Row::UserHuge) {
                        format!(
                            "DMACOPY_IOC_COPY_USER is not supported by this driver (caps {caps}: \
                             no copy_user)"
                        )
                    } else {
                        format!(
                            "measured only next to COPY_USER, which this driver does not \
                             support (caps {caps}: no copy_user)"
                        )
                    };
                    skip(row, None, None, reason);
                    continue;
                }
                if let (true, Err(why)) = (row.huge(), thp) {
                    skip(
                        row,
                        None,
                        None,
                        format!("its buffers need transparent huge pages: {why}"),
                    );
                    continue;
                }
                if row.bounces() && bounce_piece_len(info).is_none() {
                    skip(
                        row,
                        None,
                        None,
                        format!(
                            "the bounce path goes through SRC and DST in pieces of max_len {} \
                             rounded down to align {align}: none fits",
                            info.max_len
                        ),
                    );
                    continue;
                }
                // Above buf_size, the bounce rows go through SRC and DST in pieces
                // (`bounce_pieces`): every size runs.
                let run = o.user_sizes.clone();
                for &c in cpus {
                    points.extend(run.iter().map(|&s| Point::new(row, Some(c), 1, s)));
                }
            }
            Row::Batch | Row::Single => {
                if !info.has(CAP_BATCH) {
                    let reason = if row == Row::Batch {
                        format!(
                            "DMACOPY_IOC_COPY_BATCH is not supported by this driver (caps {caps}: \
                             no batch)"
                        )
                    } else {
                        format!(
                            "measured only next to COPY_BATCH, which this driver does not \
                             support (caps {caps}: no batch)"
                        )
                    };
                    skip(row, None, None, reason);
                    continue;
                }
                let mut run = Vec::new();
                for &s in &o.batch_sizes {
                    if s > info.max_len || s % align != 0 {
                        skip(
                            row,
                            Some(s),
                            None,
                            format!(
                                "the node copies at most {} bytes, in multiples of {align}",
                                info.max_len
                            ),
                        );
                        continue;
                    }
                    run.extend(o.batch_entries.iter().map(|&n| (n, s)));
                }
                for &c in cpus {
                    points.extend(run.iter().map(|&(n, s)| Point::batch(row, Some(c), n, s)));
                }
            }
        }
    }
    Plan {
        sizes,
        skipped_sizes,
        channels,
        skipped_channels,
        points,
        not_measured,
    }
}

/// The order in which the points run within one repeat (indices into `points`): the modes of
/// one size and CPU back to back (DMA, CPU, AUTO, memcpy), then the null calls, then the channel
/// counts of one size back to back, then the `user` group (`user`, `bounce`, `user-memcpy`,
/// `user-huge`, `bounce-huge`) of one size and CPU,
/// then `batch` and `single` of one batch length, size and CPU. The ratios that matter (AUTO against DMA and CPU, two
/// channels against one) then compare runs measured moments apart, whatever else the machine
/// does over the minutes of a whole bench.
pub fn run_order(points: &[Point]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| {
        let p = &points[i];
        let group = match p.row {
            Row::Null => 1,
            Row::Channels => 2,
            Row::User | Row::Bounce | Row::UserMemcpy | Row::UserHuge | Row::BounceHuge => 3,
            Row::Batch | Row::Single => 4,
            _ => 0,
        };
        let row = Row::ALL.iter().position(|&r| r == p.row);
        (group, p.size, p.cpu, p.channels, p.entries, row)
    });
    order
}

/// The copies of the correctness pass: for each mode among the rows (DMA for `channels` too)
/// and each size, one at offset 0 and one at nonzero aligned offsets. `(row, request)`.
pub fn verify_requests(rows: &[Row], sizes: &[u64], info: &Info) -> Vec<(Row, CopyRequest)> {
    let mut modes: Vec<Row> = rows
        .iter()
        .copied()
        .filter(|r| r.mode().is_some())
        .collect();
    if rows.contains(&Row::Channels) && !modes.contains(&Row::Dma) {
        modes.insert(0, Row::Dma);
    }
    let (src_off, dst_off) = verify::offsets(info.align);
    let mut out = Vec::new();
    for row in modes {
        let mode = row.mode().unwrap_or(Mode::Dma);
        for &size in sizes {
            out.push((
                row,
                CopyRequest {
                    len: size,
                    mode,
                    ..CopyRequest::default()
                },
            ));
            if let Some(len) = verify::fitted_len(size, src_off, dst_off, info.buf_size, info.align)
            {
                out.push((
                    row,
                    CopyRequest {
                        src_off,
                        dst_off,
                        len,
                        mode,
                        timeout_ns: 0,
                    },
                ));
            }
        }
    }
    out
}

/// Runs the correctness pass on `dev` (the requests, then a copy of each of `extra`: the
/// `user`, `bounce`, `user-huge`, `bounce-huge`, `batch` and `single` points of one CPU) and on
/// the other nodes the `channels` rows use (one DMA copy of the largest size each). Also
/// returns the `user-huge` and `bounce-huge` sizes whose buffers did not get huge pages (not
/// checked, and not to be measured), with the reason.
fn verify_pass(
    dev: &Device,
    info: &Info,
    rows: &[Row],
    sizes: &[u64],
    extra: &[Point],
    channel_nodes: &[u32],
    progress: &mut Progress,
) -> CliResult<(Vec<Verify>, Vec<NotMeasured>)> {
    // Known to be there when a huge row is planned (see `plan`).
    let thp = huge::available().ok();
    let mut not_huge = Vec::new();
    let buf_size = usize::try_from(info.buf_size)
        .map_err(|_| CliError::Failed(format!("buf_size {} is too large", info.buf_size)))?;
    // Two seeds, used in turn, so that a copy that does nothing cannot pass on what the one
    // before left.
    let patterns = [Pattern::new(buf_size, 1), Pattern::new(buf_size, 2)];
    let path = dev.path().display().to_string();
    let mut out = Vec::new();
    let mut record = |row: Row, req: &CopyRequest, node: &str, entries, r: Result<(), String>| {
        if let Err(e) = &r {
            let n = if row.batched() {
                format!("{entries} x ")
            } else {
                String::new()
            };
            progress.note(&format!(
                "dmacopy: verify: {node}: {row} copy of {n}{} bytes (src_off {}, dst_off {}): {e}",
                req.len, req.src_off, req.dst_off
            ));
        }
        out.push(Verify {
            row,
            size: req.len,
            src_off: req.src_off,
            dst_off: req.dst_off,
            node: node.to_owned(),
            entries,
            ok: r.is_ok(),
            detail: r.err().unwrap_or_default(),
        });
    };
    for (i, (row, req)) in verify_requests(rows, sizes, info).iter().enumerate() {
        let r = verify::check(dev, info, &patterns[i % 2], req);
        record(*row, req, &path, 1, r);
    }
    for (i, p) in extra.iter().enumerate() {
        let seed = 3 + i as u64;
        let mut check = |row, src_off, dst_off, len, r: Result<(), String>| {
            let req = CopyRequest {
                src_off,
                dst_off,
                len,
                ..CopyRequest::default()
            };
            record(row, &req, &path, p.entries, r);
        };
        let huge = if p.row.huge() { thp } else { None };
        if p.row.huge() && huge.is_none() {
            return Err(CliError::Failed(
                "transparent huge pages went away since the plan".to_owned(),
            ));
        }
        // The user buffers of a huge row without huge pages: the row is not measured at
        // this size, and says why.
        let mut outcome = |row, src_off, dst_off, len, r: Result<(), BufError>| match r {
            Err(BufError::NotHuge(why)) => {
                if !not_huge
                    .iter()
                    .any(|m: &NotMeasured| m.row == p.row && m.size == Some(p.size))
                {
                    not_huge.push(NotMeasured {
                        row: p.row,
                        size: Some(p.size),
                        entries: None,
                        cpu: None,
                        reason: format!("the buffers of the correctness pass: {why}"),
                    });
                }
            }
            Err(BufError::Failed(e)) => check(row, src_off, dst_off, len, Err(e)),
            Ok(()) => check(row, src_off, dst_off, len, Ok(())),
        };
        match p.row {
            Row::User | Row::UserHuge => {
                let r = verify::check_user(dev, info, p.size, (0, 0), seed, huge);
                outcome(p.row, 0, 0, p.size, r);
                if p.size > 8 {
                    // Odd offsets: neither address, nor the two alike, aligned.
                    let r = verify::check_user(dev, info, p.size - 8, (3, 5), seed, huge);
                    outcome(p.row, 3, 5, p.size - 8, r);
                }
            }
            Row::Bounce | Row::BounceHuge => {
                let r = verify::check_bounce(dev, info, p.size, seed, huge);
                outcome(p.row, 0, 0, p.size, r);
                // Once per row, whatever the sizes: the pieces above buf_size, with a last
                // piece of 3 bytes (not a multiple of any align above 1: its copy rounds up).
                if !extra[..i].iter().any(|q| q.row == p.row) {
                    if let Some(piece) = bounce_piece_len(info) {
                        let len = 2 * piece + 3;
                        let r = verify::check_bounce(dev, info, len, seed + 100, huge);
                        outcome(p.row, 0, 0, len, r);
                    }
                }
            }
            Row::Batch | Row::Single => {
                let layout = batch_layout(p.entries, p.size, info.buf_size);
                let r =
                    verify::check_batch(dev, info, &patterns[i % 2], &layout, p.row == Row::Batch);
                check(p.row, 0, 0, p.size, r);
            }
            _ => {}
        }
    }
    if let Some(&largest) = sizes.last() {
        let req = CopyRequest::new(largest);
        for &node in channel_nodes {
            let p = Device::node_path(node).display().to_string();
            if p == path {
                continue;
            }
            let r = Device::open(&p)
                .map_err(|e| format!("cannot open: {}", errno_desc(&e)))
                .and_then(|d| {
                    let i = d.info().map_err(|e| format!("INFO: {}", errno_desc(&e)))?;
                    if i.buf_size != info.buf_size {
                        return Err(format!(
                            "buf_size {} differs from {path}'s {}",
                            i.buf_size, info.buf_size
                        ));
                    }
                    verify::check(&d, &i, &patterns[0], &req)
                });
            record(Row::Channels, &req, &p, 1, r);
        }
    }
    Ok((out, not_huge))
}

/// What the device says, for the report.
fn device_info(path: &str, before: &Info, after: &Info) -> DeviceInfo {
    DeviceInfo {
        path: path.to_owned(),
        controller: before.controller_str().to_owned(),
        buf_size: before.buf_size,
        max_len: before.max_len,
        align: before.align,
        auto_threshold_before: before.auto_threshold,
        auto_threshold_after: after.auto_threshold,
        reg_base: before.reg_base,
        irq: before.irq,
        caps: before.caps,
    }
}

/// A list for a message: `64, 1K, 4M`.
fn size_list(sizes: &[u64]) -> String {
    sizes
        .iter()
        .map(|&s| report::size(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lines above the table.
fn header(r: &Report) -> String {
    let d = &r.device;
    let s = &r.settings;
    let failed = r.verify.iter().filter(|v| !v.ok).count();
    let verify = if failed == 0 {
        format!("{} copies checked, all correct", r.verify.len())
    } else {
        format!("{failed} of {} copies FAILED (see above)", r.verify.len())
    };
    format!(
        "dmacopy bench: {} ({}, buf_size {}, align {}), auto_threshold {} before, {} after\n\
         {}, {} CPUs; runs of {} s after a warm-up, {} per point: median (min-max) over them\n\
         verify: {verify}\n\n",
        d.path,
        d.controller,
        d.buf_size,
        d.align,
        d.auto_threshold_before,
        d.auto_threshold_after,
        r.system.uname,
        r.system.cpus,
        s.secs,
        s.repeats,
    )
}

/// The lines below the table: what was asked for and not measured, and why.
fn not_measured(r: &Report) -> String {
    let mut out = String::new();
    for m in &r.settings.not_measured {
        let at = m
            .size
            .map_or(String::new(), |s| format!(" at {}", report::size(s)));
        let cpu = m.cpu.map_or(String::new(), |c| format!(" cpu{c}"));
        out.push_str(&format!("not measured: {}{cpu}{at}: {}\n", m.row, m.reason));
    }
    out
}

/// Runs `dmacopy bench`.
pub fn run(o: &BenchOpts) -> CliResult {
    let nodes = select_nodes(None)?;
    select_nodes(Some(o.device))?;
    let dev = open_node(o.device)?;
    let path = dev.path().display().to_string();
    let ioc_info = |dev: &Device| {
        dev.info()
            .map_err(|e| CliError::Failed(format!("{path}: DMACOPY_IOC_INFO: {}", errno_desc(&e))))
    };
    let before = ioc_info(&dev)?;

    let allowed = cpu::allowed()
        .map_err(|e| CliError::Failed(format!("sched_getaffinity: {}", errno_desc(&e))))?;
    let cpus = match &o.cpus {
        None => allowed.clone(),
        Some(cpus) => {
            if let Some(c) = cpus.iter().find(|c| !allowed.contains(c)) {
                let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
                return Err(CliError::Usage(format!(
                    "--cpus: CPU {c} is not one this process may run on ({})",
                    list.join(",")
                )));
            }
            cpus.clone()
        }
    };

    let thp = huge::available();
    let mut plan = plan(o, &before, nodes.len(), &cpus, &thp);
    let mut progress = Progress::new(
        plan.points.len() * o.repeats as usize,
        !o.quiet && std::io::stderr().is_terminal(),
    );
    if !plan.skipped_sizes.is_empty() {
        progress.note(&format!(
            "dmacopy: skipping sizes {}: {path} copies at most {} bytes, in multiples of {}",
            size_list(&plan.skipped_sizes),
            before.max_len,
            before.align.max(1)
        ));
    }
    if !plan.skipped_channels.is_empty() {
        let list: Vec<String> = plan.skipped_channels.iter().map(u32::to_string).collect();
        progress.note(&format!(
            "dmacopy: skipping {} channels: there are {} nodes",
            list.join(", "),
            nodes.len()
        ));
    }
    for m in &plan.not_measured {
        let what = match (m.size, m.entries) {
            (Some(s), _) => format!("{} at {}", m.row, report::size(s)),
            (None, _) => format!("the {} row", m.row),
        };
        progress.note(&format!("dmacopy: not measuring {what}: {}", m.reason));
    }
    if plan.points.is_empty() {
        return Err(CliError::Failed("nothing to measure".to_owned()));
    }
    let secs = o.secs.as_secs_f64();
    let runs = plan.points.len() * o.repeats as usize;
    // CAST: an estimate for display.
    let estimate = runs as f64 * (secs + measure::WARMUP.as_secs_f64());
    progress.note(&format!(
        "dmacopy bench: {} points, {} runs of {secs} s each: about {:.0} s",
        plan.points.len(),
        o.repeats,
        estimate.ceil()
    ));

    let max_channels = plan.channels.last().copied().unwrap_or(0) as usize;
    let channel_nodes = &nodes[..max_channels.min(nodes.len())];
    let extra: Vec<Point> = plan
        .points
        .iter()
        .filter(|p| {
            matches!(
                p.row,
                Row::User
                    | Row::Bounce
                    | Row::UserHuge
                    | Row::BounceHuge
                    | Row::Batch
                    | Row::Single
            ) && p.cpu == cpus.first().copied()
        })
        .cloned()
        .collect();
    let (verified, not_huge) = verify_pass(
        &dev,
        &before,
        &o.rows,
        &plan.sizes,
        &extra,
        channel_nodes,
        &mut progress,
    )?;
    // The huge rows whose buffers did not get huge pages in the correctness pass: not measured
    // at that size, from any CPU.
    for m in not_huge {
        progress.note(&format!(
            "dmacopy: not measuring {} at {}: {}",
            m.row,
            m.size.map_or(String::new(), report::size),
            m.reason
        ));
        let before = plan.points.len();
        plan.points
            .retain(|p| !(p.row == m.row && Some(p.size) == m.size));
        progress.drop_runs((before - plan.points.len()) * o.repeats as usize);
        plan.not_measured.push(m);
    }

    let mut points = plan.points.clone();
    // Per point: why a huge row's buffers had no huge pages in a run (the point is then not
    // measured; its later repeats are skipped).
    let mut not_huge: Vec<Option<String>> = vec![None; points.len()];
    let order = run_order(&points);
    let mut samples = Samples::new(SAMPLE_CAP);
    for rep in 1..=o.repeats {
        let mut k = 0;
        while k < order.len() {
            let p = &points[order[k]];
            if let Some(kind) = p.row.group() {
                // DMA, CPU and AUTO of one size and CPU, and the like: side by side (see
                // `run_order`).
                let (cpu, size, entries) = (p.cpu, p.size, p.entries);
                let mut group = Vec::new();
                while let Some(&i) = order.get(k) {
                    let q = &points[i];
                    if q.row.group() != Some(kind)
                        || q.cpu != cpu
                        || q.size != size
                        || q.entries != entries
                    {
                        break;
                    }
                    if q.error.is_some() || not_huge[i].is_some() {
                        progress.skip();
                    } else {
                        group.push(i);
                    }
                    k += 1;
                }
                if group.is_empty() {
                    continue;
                }
                let labels: Vec<String> = group.iter().map(|&i| points[i].label()).collect();
                progress.start(&labels.join(" + "), rep, o.repeats);
                let pts: Vec<&Point> = group.iter().map(|&i| &points[i]).collect();
                let ran = |r: Result<Vec<Run>, String>| {
                    r.map(|runs| runs.into_iter().map(Outcome::Ran).collect::<Vec<_>>())
                };
                let r = match kind {
                    Group::Modes => ran(measure::interleaved(&pts, &dev, o.secs)),
                    Group::User => {
                        measure::user_group(&pts, &dev, &before, thp.clone().ok(), o.secs)
                    }
                    Group::Batch => ran(measure::batch_group(&pts, &dev, &before, o.secs)),
                };
                for (n, &i) in group.iter().enumerate() {
                    let p = &mut points[i];
                    match r.as_ref().map(|outcomes| &outcomes[n]) {
                        Ok(Outcome::Ran(run)) => {
                            progress.finish(&labels[n], rep, o.repeats, Ok(run));
                            p.runs.push(*run);
                        }
                        Ok(Outcome::NotHuge(why)) => {
                            let why = format!("rep {rep}: {why}");
                            progress.note(&format!("dmacopy: not measuring {}: {why}", labels[n]));
                            progress.skip();
                            not_huge[i] = Some(why);
                        }
                        Err(e) => {
                            progress.finish(&labels[n], rep, o.repeats, Err(e));
                            p.error = Some(format!("rep {rep}: {e}"));
                        }
                    }
                }
                continue;
            }
            let p = &mut points[order[k]];
            k += 1;
            if p.error.is_some() {
                progress.skip();
                continue;
            }
            let label = p.label();
            progress.start(&label, rep, o.repeats);
            let r = if p.row == Row::Channels {
                measure::channels(p, &nodes, &cpus, o.secs)
            } else {
                measure::single(p, &dev, o.secs, &mut samples)
            };
            match r {
                Ok(run) => {
                    progress.finish(&label, rep, o.repeats, Ok(&run));
                    p.runs.push(run);
                }
                Err(e) => {
                    progress.finish(&label, rep, o.repeats, Err(&e));
                    p.error = Some(format!("rep {rep}: {e}"));
                }
            }
        }
    }
    progress.clear();
    drop(samples);
    // The huge points whose buffers did not get huge pages: not measured (their runs from
    // earlier repeats, if any, go too: a point is measured on huge pages in every repeat, or
    // not at all).
    let mut kept = Vec::with_capacity(points.len());
    for (p, why) in points.into_iter().zip(not_huge) {
        match why {
            None => kept.push(p),
            Some(reason) => plan.not_measured.push(NotMeasured {
                row: p.row,
                size: Some(p.size),
                entries: None,
                cpu: p.cpu,
                reason,
            }),
        }
    }
    let mut points = kept;
    // Back to the CPUs the process started with; nothing depends on it.
    let _ = cpu::pin_to(&allowed);
    let after = ioc_info(&dev)?;
    for p in &mut points {
        p.summarize();
    }

    let report = Report {
        schema: report::SCHEMA.to_owned(),
        system: System {
            uname: cpu::uname(),
            cpus: cpu::online(),
        },
        device: device_info(&path, &before, &after),
        settings: Settings {
            secs,
            warmup_secs: measure::WARMUP.as_secs_f64(),
            repeats: o.repeats,
            sizes: plan.sizes.clone(),
            cpus: cpus.clone(),
            channels: plan.channels.clone(),
            skipped_sizes: plan.skipped_sizes.clone(),
            skipped_channels: plan.skipped_channels.clone(),
            rows: o.rows.clone(),
            user_sizes: o.user_sizes.clone(),
            batch_entries: o.batch_entries.clone(),
            batch_sizes: o.batch_sizes.clone(),
            not_measured: plan.not_measured.clone(),
            bounce_piece: bounce_piece_len(&before),
        },
        verify: verified,
        points,
    };
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::Failed(format!("cannot format the JSON: {e}")))?
        + "\n";
    // The table (or the JSON) first: a file that cannot be written loses no measurement.
    if o.json && o.out.is_none() {
        emit(&json)?;
    } else {
        emit(&(header(&report) + &report::table(&report.points) + &not_measured(&report)))?;
    }
    if let Some(out) = &o.out {
        std::fs::write(out, &json)
            .map_err(|e| CliError::Failed(format!("cannot write {out}: {}", errno_desc(&e))))?;
    }

    let wrong = report.verify.iter().filter(|v| !v.ok).count();
    let failed = report.points.iter().filter(|p| p.error.is_some()).count();
    if wrong + failed > 0 {
        eprintln!(
            "dmacopy: bench: {wrong} of {} checked copies failed, {failed} of {} points failed",
            report.verify.len(),
            report.points.len()
        );
        return Err(CliError::Reported);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transparent huge pages of 2 MiB.
    const THP: Result<usize, String> = Ok(2 << 20);

    fn info(max_len: u64, align: u32) -> Info {
        Info {
            buf_size: max_len,
            max_len,
            align,
            ..Info::default()
        }
    }

    #[test]
    fn rows() {
        for r in Row::ALL {
            assert_eq!(r.name().parse::<Row>(), Ok(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.name())
            );
        }
        assert_eq!("NULL".parse::<Row>(), Ok(Row::Null));
        assert!("dmatest"
            .parse::<Row>()
            .unwrap_err()
            .contains("unknown row 'dmatest'"));
        assert_eq!(Row::Auto.mode(), Some(Mode::Auto));
        assert_eq!(Row::Channels.mode(), None);
    }

    #[test]
    fn order_pairs_the_compared_runs() {
        let p = plan(&BenchOpts::default(), &info(1 << 20, 1), 8, &[0, 1], &THP);
        let order = run_order(&p.points);
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..p.points.len()).collect::<Vec<_>>());
        let ran: Vec<&Point> = order.iter().map(|&i| &p.points[i]).collect();
        // DMA, CPU and AUTO of one size and CPU run back to back, and so do 1 and 2 channels.
        let at = |row, cpu, ch, size| {
            ran.iter()
                .position(|q| **q == Point::new(row, cpu, ch, size))
                .unwrap()
        };
        for size in [64, 65536] {
            let d = at(Row::Dma, Some(1), 1, size);
            assert_eq!(at(Row::Cpu, Some(1), 1, size), d + 1);
            assert_eq!(at(Row::Auto, Some(1), 1, size), d + 2);
            let c = at(Row::Channels, None, 1, size);
            assert_eq!(at(Row::Channels, None, 2, size), c + 1);
        }
    }

    #[test]
    fn default_plan() {
        let o = BenchOpts::default();
        let p = plan(&o, &info(1 << 20, 1), 8, &[0, 1], &THP);
        assert_eq!(p.skipped_sizes, vec![4 << 20]);
        assert_eq!(p.sizes.len(), 8);
        assert_eq!(p.channels, vec![1, 2, 4, 8]);
        assert!(p.skipped_channels.is_empty());
        // dma, cpu, auto, memcpy: 2 CPUs x 8 sizes; null: 2; channels: 4 x 8.
        assert_eq!(p.points.len(), 4 * 16 + 2 + 32);
        assert_eq!(p.points[0], Point::new(Row::Dma, Some(0), 1, 64));
        assert_eq!(p.points[8], Point::new(Row::Dma, Some(1), 1, 64));
        assert_eq!(p.points[64], Point::new(Row::Null, Some(0), 1, 0));
        assert_eq!(p.points[66], Point::new(Row::Channels, None, 1, 64));
        assert_eq!(
            p.points.last(),
            Some(&Point::new(Row::Channels, None, 8, 1 << 20))
        );
    }

    #[test]
    fn fitted_plan() {
        let o = BenchOpts {
            sizes: vec![2, 64, 100, 4096, 8192],
            channels: vec![1, 2, 4],
            rows: vec![Row::Dma, Row::Channels],
            ..BenchOpts::default()
        };
        let p = plan(&o, &info(4096, 4), 2, &[1], &THP);
        assert_eq!(p.sizes, vec![64, 100, 4096]);
        assert_eq!(p.skipped_sizes, vec![2, 8192]);
        assert_eq!(p.channels, vec![1, 2]);
        assert_eq!(p.skipped_channels, vec![4]);
        assert_eq!(p.points.len(), 3 + 2 * 3);
        // No channels row: no channel counts, none skipped.
        let o = BenchOpts {
            rows: vec![Row::Null],
            ..o
        };
        let p = plan(&o, &info(4096, 4), 2, &[0, 1], &THP);
        assert!(p.channels.is_empty() && p.skipped_channels.is_empty());
        assert_eq!(p.points.len(), 2);
    }

    #[test]
    fn verify_plan() {
        let i = info(4096, 1);
        let reqs = verify_requests(&[Row::Cpu, Row::Auto], &[64, 4096], &i);
        let short: Vec<(Row, u64, u64, u64, Mode)> = reqs
            .iter()
            .map(|(r, q)| (*r, q.src_off, q.dst_off, q.len, q.mode))
            .collect();
        assert_eq!(
            short,
            vec![
                (Row::Cpu, 0, 0, 64, Mode::Cpu),
                (Row::Cpu, 24, 40, 64, Mode::Cpu),
                (Row::Cpu, 0, 0, 4096, Mode::Cpu),
                (Row::Cpu, 24, 40, 4056, Mode::Cpu),
                (Row::Auto, 0, 0, 64, Mode::Auto),
                (Row::Auto, 24, 40, 64, Mode::Auto),
                (Row::Auto, 0, 0, 4096, Mode::Auto),
                (Row::Auto, 24, 40, 4056, Mode::Auto),
            ]
        );
        // The channels rows copy by DMA: DMA is checked for them.
        let reqs = verify_requests(&[Row::Channels], &[64], &i);
        assert_eq!(reqs.len(), 2);
        assert!(reqs
            .iter()
            .all(|(r, q)| *r == Row::Dma && q.mode == Mode::Dma));
        assert!(verify_requests(&[Row::Memcpy, Row::Null], &[64], &i).is_empty());
    }

    #[test]
    fn new_rows_need_their_caps() {
        let o = BenchOpts {
            rows: vec![
                Row::User,
                Row::Bounce,
                Row::UserMemcpy,
                Row::UserHuge,
                Row::BounceHuge,
                Row::Batch,
                Row::Single,
            ],
            ..BenchOpts::default()
        };
        let i = Info {
            caps: dmacopy::CAP_MMAP,
            ..info(4 << 20, 1)
        };
        let p = plan(&o, &i, 8, &[0, 1], &THP);
        assert!(p.points.is_empty());
        let rows: Vec<Row> = p.not_measured.iter().map(|m| m.row).collect();
        assert_eq!(rows, o.rows);
        assert!(p.not_measured.iter().all(|m| m.size.is_none()));
        assert_eq!(
            p.not_measured[0].reason,
            "DMACOPY_IOC_COPY_USER is not supported by this driver (caps mmap: no copy_user)"
        );
        assert!(p.not_measured[1]
            .reason
            .starts_with("measured only next to COPY_USER"));
        assert_eq!(p.not_measured[3].reason, p.not_measured[0].reason);
        assert!(p.not_measured[4]
            .reason
            .starts_with("measured only next to COPY_USER"));
        assert!(p.not_measured[5].reason.contains("(caps mmap: no batch)"));
    }

    #[test]
    fn new_rows_plan() {
        let o = BenchOpts::default();
        let i = Info {
            caps: dmacopy::CAP_MMAP | dmacopy::CAP_COPY_USER | dmacopy::CAP_SG | dmacopy::CAP_BATCH,
            ..info(4 << 20, 4)
        };
        let p = plan(&o, &i, 8, &[0, 1], &THP);
        let count = |row| p.points.iter().filter(|q| q.row == row).count();
        // 8 sizes from 4 KiB to 64 MiB, 2 CPUs; bounce and bounce-huge go on above buf_size
        // (4 MiB), in pieces.
        assert_eq!((count(Row::User), count(Row::UserMemcpy)), (16, 16));
        assert_eq!((count(Row::UserHuge), count(Row::BounceHuge)), (16, 16));
        assert_eq!(count(Row::Bounce), 16);
        assert!(p
            .points
            .contains(&Point::new(Row::Bounce, Some(1), 1, 64 << 20)));
        assert!(p.not_measured.is_empty(), "{:?}", p.not_measured);
        // A node whose max_len is below its align takes no piece: not measured, and why.
        let tiny = Info {
            caps: i.caps,
            ..info(2, 4)
        };
        let p2 = plan(&o, &tiny, 8, &[0], &THP);
        assert!(!p2.points.iter().any(|q| q.row.bounces()));
        let skipped: Vec<(Row, Option<u64>)> = p2
            .not_measured
            .iter()
            .filter(|m| m.row.bounces())
            .map(|m| (m.row, m.size))
            .collect();
        assert_eq!(skipped, vec![(Row::Bounce, None), (Row::BounceHuge, None)]);
        // 3 lengths x 3 sizes x 2 CPUs.
        assert_eq!((count(Row::Batch), count(Row::Single)), (18, 18));
        assert!(p
            .points
            .contains(&Point::batch(Row::Batch, Some(1), 256, 4096)));

        // Side by side: user, bounce, user-memcpy of one size and CPU; batch and single of one
        // length, size and CPU.
        let order = run_order(&p.points);
        let ran: Vec<&Point> = order.iter().map(|&k| &p.points[k]).collect();
        let at = |q: &Point| ran.iter().position(|r| *r == q).unwrap();
        let u = at(&Point::new(Row::User, Some(1), 1, 1 << 20));
        assert_eq!(at(&Point::new(Row::Bounce, Some(1), 1, 1 << 20)), u + 1);
        assert_eq!(at(&Point::new(Row::UserMemcpy, Some(1), 1, 1 << 20)), u + 2);
        assert_eq!(at(&Point::new(Row::UserHuge, Some(1), 1, 1 << 20)), u + 3);
        assert_eq!(at(&Point::new(Row::BounceHuge, Some(1), 1, 1 << 20)), u + 4);
        assert_eq!(Row::BounceHuge.group(), Some(Group::User));
        assert!(Row::UserHuge.huge() && Row::BounceHuge.bounces() && !Row::User.huge());
        assert_eq!("Bounce-Huge".parse::<Row>(), Ok(Row::BounceHuge));

        // Without transparent huge pages: the huge rows are not measured, with the reason;
        // the others are as before.
        let no = Err(format!(
            "the kernel has no transparent huge pages ({} is absent)",
            huge::SYSFS
        ));
        let q = plan(&o, &i, 8, &[0, 1], &no);
        assert!(!q.points.iter().any(|x| x.row.huge()));
        assert_eq!(q.points.len() + 16 + 16, p.points.len());
        let huge: Vec<&NotMeasured> = q.not_measured.iter().filter(|m| m.row.huge()).collect();
        assert_eq!(huge.len(), 2);
        assert!(huge.iter().all(|m| m.size.is_none()
            && m.cpu.is_none()
            && m.reason
                == "its buffers need transparent huge pages: the kernel has no transparent huge \
                    pages (/sys/kernel/mm/transparent_hugepage is absent)"));
        let b = at(&Point::batch(Row::Batch, Some(0), 16, 64));
        assert_eq!(at(&Point::batch(Row::Single, Some(0), 16, 64)), b + 1);
        assert_eq!(Row::Single.group(), Some(Group::Batch));
        assert_eq!(Row::Memcpy.group(), None);
        assert_eq!("user-memcpy".parse::<Row>(), Ok(Row::UserMemcpy));
    }

    #[test]
    fn bounce_pieces_cover_the_copy() {
        let piece = |off, len, copy_len| Piece { off, len, copy_len };
        // Up to buf_size: one piece.
        let i = info(4 << 20, 1);
        assert_eq!(
            bounce_pieces(4 << 20, &i),
            Some(vec![piece(0, 4 << 20, 4 << 20)])
        );
        assert_eq!(bounce_pieces(5, &i), Some(vec![piece(0, 5, 5)]));
        // 64 MiB through 4 MiB: 16 pieces of 4 MiB, in turn.
        let p = bounce_pieces(64 << 20, &i).unwrap();
        assert_eq!(p.len(), 16);
        assert!(p
            .iter()
            .enumerate()
            .all(|(k, q)| *q == piece(k as u64 * (4 << 20), 4 << 20, 4 << 20)));
        // align 4 (rpi3): pieces of buf_size rounded down to 4, the last one's copy rounded
        // up to 4, inside the buffers.
        let a = info(4099, 4);
        assert_eq!(bounce_piece_len(&a), Some(4096));
        assert_eq!(
            bounce_pieces(2 * 4096 + 3, &a),
            Some(vec![
                piece(0, 4096, 4096),
                piece(4096, 4096, 4096),
                piece(8192, 3, 4)
            ])
        );
        assert_eq!(bounce_pieces(6, &info(4096, 4)), Some(vec![piece(0, 6, 8)]));
        for (len, q) in [(1, 4), (4097, 4), (12345, 64), (1 << 20, 3)] {
            let n = info(4096 + 7, q);
            let p = bounce_pieces(len, &n).unwrap();
            assert_eq!(p.iter().map(|x| x.len).sum::<u64>(), len);
            assert!(p.windows(2).all(|w| w[1].off == w[0].off + w[0].len));
            assert!(p.iter().all(|x| x.copy_len % u64::from(q) == 0
                && x.copy_len >= x.len
                && x.copy_len <= n.max_len));
        }
        // max_len below align: no piece fits.
        assert_eq!(bounce_pieces(8, &info(2, 4)), None);
        assert_eq!(bounce_pieces(0, &i), Some(vec![]));
    }

    #[test]
    fn batch_layouts() {
        // Enough room: every entry has its own slots, DST reversed.
        assert_eq!(
            batch_layout(3, 64, 4096),
            vec![(0, 128, 64), (64, 64, 64), (128, 0, 64)]
        );
        // 256 x 64 KiB in 4 MiB: 64 slots, used 4 times over.
        let l = batch_layout(256, 64 << 10, 4 << 20);
        assert_eq!(l.len(), 256);
        assert_eq!(l[0], (0, 63 << 16, 64 << 10));
        assert_eq!(l[64], l[0]);
        assert!(l
            .iter()
            .all(|&(s, d, n)| s + n <= 4 << 20 && d + n <= 4 << 20));
        assert_eq!(batch_layout(1, 4096, 4096), vec![(0, 0, 4096)]);
    }

    #[test]
    fn user_group_on_a_fake_node() {
        let dev = Device::open("/dev/null").unwrap();
        let i = info(4096, 1);
        let secs = core::time::Duration::from_millis(10);
        let m = Point::new(Row::UserMemcpy, None, 1, 4096);
        let runs = measure::user_group(&[&m], &dev, &i, None, secs).unwrap();
        let Outcome::Ran(run) = &runs[0] else {
            panic!("{runs:?}")
        };
        assert!(run.copies > 0 && run.dma == 0);
        // A huge row whose buffers do not get huge pages (4 KiB "huge pages": none in smaps)
        // is not measured, with the figures; the others run.
        let h = Point::new(Row::UserHuge, None, 1, 4096);
        let runs = measure::user_group(&[&m, &h], &dev, &i, Some(4096), secs).unwrap();
        assert!(
            matches!(&runs[0], Outcome::Ran(r) if r.copies > 0),
            "{runs:?}"
        );
        assert!(
            matches!(&runs[1], Outcome::NotHuge(e) if e.starts_with("not backed by huge pages: 4 KiB at 0x")
                && e.contains("AnonHugePages 0 KiB of Anonymous 4 KiB")),
            "{runs:?}"
        );
        // COPY_USER on a node without INFO: the error comes through.
        let u = Point::new(Row::User, None, 1, 4096);
        let e = measure::user_group(&[&u, &m], &dev, &i, None, secs).unwrap_err();
        assert!(e.contains("COPY_USER copy failed: ENOTTY"), "{e}");
        let b = Point::batch(Row::Batch, None, 4, 64);
        let e = measure::batch_group(&[&b], &dev, &i, secs).unwrap_err();
        assert!(e.contains("batch of 4 copies failed: ENOTTY"), "{e}");
    }
}
