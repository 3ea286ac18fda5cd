// SPDX-License-Identifier: GPL-2.0

//! The timed loops: one point on the calling thread, pinned to its CPU, or a `channels` point
//! with one thread per node, released together.

use super::cpu;
use super::huge::{Buf, BufError};
use super::maths::{p50_p99, Samples, SAMPLE_CAP};
use super::report::{Point, Run};
use super::Row;
use core::hint::black_box;
use core::time::Duration;
use dmacopy::{errno_desc, CopyBatch, CopyRequest, Device, Info, Mode};
use std::os::unix::fs::FileExt;
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread;
use std::time::Instant;

/// The longest warm-up before a timed loop.
pub const WARMUP: Duration = Duration::from_millis(100);

/// The most calls in a warm-up.
pub const WARMUP_CALLS: u64 = 100;

/// What one call did: the copies it made (a batch makes several), and how many of them the
/// driver ran with the DMA controller and with the CPU (`mode_used`; neither for `memcpy`,
/// `null` and other calls that do not report it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    copies: u64,
    dma: u64,
    cpu: u64,
}

impl Done {
    /// One copy that the driver ran in `mode`.
    fn one(mode: Mode) -> Done {
        match mode {
            Mode::Cpu => Done {
                copies: 1,
                dma: 0,
                cpu: 1,
            },
            _ => Done {
                copies: 1,
                dma: 1,
                cpu: 0,
            },
        }
    }

    /// `copies` copies (or calls) that do not go through the driver's copy ioctls.
    fn other(copies: u64) -> Done {
        Done {
            copies,
            dma: 0,
            cpu: 0,
        }
    }

    /// The copies the driver ran with the DMA controller and with the CPU.
    pub fn modes(self) -> (u64, u64) {
        (self.dma, self.cpu)
    }

    /// Adds `d` to these counts.
    fn add(&mut self, d: Done) {
        self.copies += d.copies;
        self.dma += d.dma;
        self.cpu += d.cpu;
    }
}

/// One call of a point: a copy, a memcpy, an INFO, a batch, a bounce.
pub type CallResult = Result<Done, String>;

/// A copy through `DMACOPY_IOC_COPY`.
fn copy(dev: &Device, req: &CopyRequest) -> CallResult {
    match dev.copy(req) {
        Ok(res) => Ok(Done::one(res.mode_used)),
        Err(e) => Err(e.to_string()),
    }
}

/// A bounce of `src` into `dst` (of the same length) through SRC and DST of `dev`, in
/// `pieces` ([`super::bounce_pieces`]): each written to SRC at 0, copied to DST at 0 by
/// `DMACOPY_IOC_COPY` in DMA mode, read back from DST. One copy, of `src.len()` bytes; the
/// driver's modes are counted per piece.
pub fn bounce(
    dev: &Device,
    info: &Info,
    pieces: &[super::Piece],
    src: &[u8],
    dst: &mut [u8],
) -> CallResult {
    let file = dev.file();
    let mut done = Done::other(1);
    for (i, p) in pieces.iter().enumerate() {
        let range = usize::try_from(p.off)
            .ok()
            .zip(usize::try_from(p.off + p.len).ok())
            .filter(|&(a, b)| b <= src.len() && b <= dst.len() && a < b)
            .ok_or_else(|| {
                format!(
                    "piece {i} ({} bytes at {}) is outside the buffers",
                    p.len, p.off
                )
            })?;
        let at = |what: &str| {
            format!(
                "piece {i} of {} ({} bytes at {}): {what}",
                pieces.len(),
                p.len,
                p.off
            )
        };
        file.write_all_at(&src[range.0..range.1], 0)
            .map_err(|e| at(&format!("writing SRC: {}", errno_desc(&e))))?;
        let d = copy(dev, &CopyRequest::new(p.copy_len)).map_err(|e| at(&e))?;
        done.dma += d.dma;
        done.cpu += d.cpu;
        file.read_exact_at(&mut dst[range.0..range.1], info.buf_size)
            .map_err(|e| at(&format!("reading DST: {}", errno_desc(&e))))?;
    }
    Ok(done)
}

/// What a timed loop did.
#[derive(Clone, Copy, Debug)]
struct Loop {
    /// Calls made.
    calls: u64,
    copies: u64,
    start: Instant,
    end: Instant,
    dma: u64,
    cpu: u64,
}

impl Loop {
    /// A loop that starts at `start`, with nothing done yet.
    fn new(start: Instant) -> Loop {
        Loop {
            calls: 0,
            copies: 0,
            start,
            end: start,
            dma: 0,
            cpu: 0,
        }
    }

    /// Counts one call that did `d`.
    fn add(&mut self, d: Done) {
        self.calls += 1;
        self.copies += d.copies;
        self.dma += d.dma;
        self.cpu += d.cpu;
    }
}

/// Calls `op` for [`WARMUP`] or [`WARMUP_CALLS`] calls, whichever comes first; returns the
/// rate it ran at, in calls per second.
fn warm_up(op: &mut impl FnMut() -> CallResult) -> Result<f64, String> {
    let start = Instant::now();
    let mut calls = 0;
    loop {
        op().map_err(|e| format!("warm-up call {}: {e}", calls + 1))?;
        calls += 1;
        let t = start.elapsed();
        if calls >= WARMUP_CALLS || t >= WARMUP {
            // CAST: a small count; a rate.
            return Ok(calls as f64 / t.as_secs_f64().max(1e-9));
        }
    }
}

/// Room for the samples of a loop of `secs` at `rate` calls per second, with a margin.
fn expected_calls(rate: f64, secs: Duration) -> u64 {
    // CAST: saturating float-to-int conversion, as intended.
    (rate * secs.as_secs_f64() * 1.25) as u64 + 1024
}

/// Calls `op` until `secs` have passed since the start (checked after every call), timing
/// each call into `samples`.
fn timed(
    op: &mut impl FnMut() -> CallResult,
    secs: Duration,
    samples: &mut Samples,
) -> Result<Loop, String> {
    let start = Instant::now();
    let mut l = Loop::new(start);
    loop {
        let t0 = Instant::now();
        let done = op().map_err(|e| format!("call {} of the timed loop: {e}", l.calls + 1))?;
        let t1 = Instant::now();
        // CAST: saturating; a call longer than 584 years is not a concern.
        samples.push(t1.duration_since(t0).as_nanos() as u64);
        l.add(done);
        if t1.duration_since(start) >= secs {
            l.end = t1;
            return Ok(l);
        }
    }
}

/// The run of a loop of `size`-byte calls, from its samples.
fn run_of(l: &Loop, size: u64, sets: &[&Samples]) -> Result<Run, String> {
    let (p50, p99) = p50_p99(sets).ok_or("no call completed")?;
    let secs = l.end.duration_since(l.start).as_secs_f64();
    let mut run = Run::new(l.copies, secs, size, u64::from(p50), u64::from(p99));
    run.dma = l.dma;
    run.cpu = l.cpu;
    Ok(run)
}

/// Warm-up, then the timed loop, of `op` on the calling thread.
fn measure(
    mut op: impl FnMut() -> CallResult,
    size: u64,
    secs: Duration,
    samples: &mut Samples,
) -> Result<Run, String> {
    let rate = warm_up(&mut op)?;
    samples.reset(expected_calls(rate, secs));
    let l = timed(&mut op, secs, samples)?;
    run_of(&l, size, &[samples])
}

/// One run of a single-thread point (`dma`, `cpu`, `auto`, `memcpy`, `null`) on `dev`, with
/// the calling thread pinned to the point's CPU.
pub fn single(
    point: &Point,
    dev: &Device,
    secs: Duration,
    samples: &mut Samples,
) -> Result<Run, String> {
    if let Some(c) = point.cpu {
        cpu::pin(c).map_err(|e| format!("cannot pin to CPU {c}: {}", errno_desc(&e)))?;
    }
    let size = point.size;
    let mode = match point.row {
        Row::Dma => Mode::Dma,
        Row::Cpu => Mode::Cpu,
        Row::Auto => Mode::Auto,
        Row::Memcpy => {
            let len = usize::try_from(size).map_err(|_| format!("size {size} is too large"))?;
            let src = vec![0x5a_u8; len];
            let mut dst = vec![0_u8; len];
            let op = || {
                dst.copy_from_slice(black_box(&src));
                black_box(&mut dst);
                Ok(Done::other(1))
            };
            return measure(op, size, secs, samples);
        }
        Row::Null => {
            let op = || match black_box(dev.info()) {
                Ok(_) => Ok(Done::other(1)),
                Err(e) => Err(format!("DMACOPY_IOC_INFO failed: {}", errno_desc(&e))),
            };
            return measure(op, 0, secs, samples);
        }
        _ => {
            return Err(format!(
                "a {} point is not measured on its own",
                point.row.name()
            ))
        }
    };
    let req = CopyRequest {
        len: size,
        mode,
        ..CopyRequest::default()
    };
    measure(|| copy(dev, &req), size, secs, samples)
}

/// How long one slice of an interleaved run lasts, about.
pub const SLICE: Duration = Duration::from_millis(20);

/// One run of each of several copy points of one size and CPU (`dma`, `cpu`, `auto`), measured
/// side by side on the calling thread: see [`side_by_side`].
pub fn interleaved(points: &[&Point], dev: &Device, secs: Duration) -> Result<Vec<Run>, String> {
    let Some(first) = points.first() else {
        return Ok(Vec::new());
    };
    let mut reqs = Vec::new();
    for p in points {
        let mode = p
            .row
            .mode()
            .ok_or_else(|| format!("{} is not a copy mode", p.row.name()))?;
        if p.size != first.size || p.cpu != first.cpu {
            return Err("interleaved points differ in size or CPU".to_owned());
        }
        reqs.push(CopyRequest {
            len: first.size,
            mode,
            ..CopyRequest::default()
        });
    }
    let lanes: Vec<Op<'_>> = reqs
        .iter()
        .map(|req| Box::new(move || copy(dev, req)) as Op<'_>)
        .collect();
    side_by_side(first.cpu, first.size, lanes, secs)
}

/// A call of one lane of [`side_by_side`].
pub type Op<'a> = Box<dyn FnMut() -> CallResult + 'a>;

/// One run of each of several lanes (calls of `size`-byte copies), measured side by side on
/// the calling thread, pinned to `cpu`: after a warm-up of each, their calls alternate in
/// slices of about [`SLICE`] (first, second, third, then second, third, first, ...: each round
/// starts one further on) until each has spent `secs` in its own calls. Whatever else the
/// machine does in the meantime weighs on all of them alike, so their ratios hold even when
/// the machine's speed drifts from one second to the next. Each run's rate is its copies over
/// the time spent in its own slices.
pub fn side_by_side(
    cpu_id: Option<u32>,
    size: u64,
    ops: Vec<Op<'_>>,
    secs: Duration,
) -> Result<Vec<Run>, String> {
    if let Some(c) = cpu_id {
        cpu::pin(c).map_err(|e| format!("cannot pin to CPU {c}: {}", errno_desc(&e)))?;
    }
    struct Lane<'a> {
        op: Op<'a>,
        per_slice: u64,
        busy: Duration,
        l: Loop,
        samples: Samples,
    }
    let now = Instant::now();
    let mut lanes = Vec::new();
    for mut op in ops {
        let rate = warm_up(&mut op)?;
        let mut samples = Samples::new(SAMPLE_CAP);
        samples.reset(expected_calls(rate, secs));
        lanes.push(Lane {
            op,
            // CAST: saturating; at least one call per slice.
            per_slice: ((rate * SLICE.as_secs_f64()) as u64).max(1),
            busy: Duration::ZERO,
            l: Loop::new(now),
            samples,
        });
    }
    // Each round starts one lane further on, so that each lane follows each other equally
    // often: a slice right after another mode's (a long CPU copy cools the caches for the next
    // DMA one, say) costs every lane alike.
    let n = lanes.len();
    let mut round = 0;
    while lanes.iter().any(|l| l.busy < secs) {
        for j in 0..n {
            let lane = &mut lanes[(round + j) % n];
            if lane.busy >= secs {
                continue;
            }
            let slice = Instant::now();
            let mut t0 = slice;
            for _ in 0..lane.per_slice {
                let done = (lane.op)()
                    .map_err(|e| format!("call {} of the timed loop: {e}", lane.l.calls + 1))?;
                let t1 = Instant::now();
                // CAST: saturating; a call longer than 584 years is not a concern.
                lane.samples.push(t1.duration_since(t0).as_nanos() as u64);
                t0 = t1;
                lane.l.add(done);
            }
            lane.busy += t0.duration_since(slice);
        }
        round += 1;
    }
    lanes
        .iter_mut()
        .map(|lane| {
            // The run's time is the time spent in its own slices.
            lane.l.start = now;
            lane.l.end = now + lane.busy;
            run_of(&lane.l, size, &[&lane.samples])
        })
        .collect()
}

/// What a side-by-side lane of the `user` group came to: a run, or, for `user-huge` and
/// `bounce-huge`, the reason it was not measured (its buffers did not get huge pages).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The run.
    Ran(Run),
    /// Not measured, and why.
    NotHuge(String),
}

/// One run of each of the `user`, `bounce`, `user-memcpy`, `user-huge` and `bounce-huge` points
/// of one size and CPU, side by side ([`side_by_side`]), each with its own two user buffers of
/// the size, every page written before (on the heap; for the `-huge` rows on transparent huge
/// pages of `thp` bytes, checked: [`Buf`]):
/// - `user`, `user-huge`: `DMACOPY_IOC_COPY_USER` in DMA mode from one to the other;
/// - `bounce`, `bounce-huge`: `pwrite` of one to SRC, `DMACOPY_IOC_COPY` in DMA mode, `pread`
///   of DST into the other: what a program without `COPY_USER` does for the same result;
///   above `buf_size` in pieces of `buf_size` rounded down to `align`, one after the other
///   ([`bounce`]);
/// - `user-memcpy`: a copy by the CPU in user space.
///
/// A `-huge` point whose buffers did not get huge pages, or lost them during the run (checked
/// again after it), is [`Outcome::NotHuge`]; the others run without it.
pub fn user_group(
    points: &[&Point],
    dev: &Device,
    info: &Info,
    thp: Option<usize>,
    secs: Duration,
) -> Result<Vec<Outcome>, String> {
    let Some(first) = points.first() else {
        return Ok(Vec::new());
    };
    let size = first.size;
    // Per point: its buffers, or why it has none on huge pages.
    let mut bufs: Vec<Result<(Buf, Buf), String>> = Vec::new();
    for p in points {
        if p.size != size || p.cpu != first.cpu {
            return Err("side-by-side points differ in size or CPU".to_owned());
        }
        let huge = if p.row.huge() {
            Some(thp.ok_or("no transparent huge pages for the -huge rows")?)
        } else {
            None
        };
        let pair = Buf::new(size, 0x5a, huge).and_then(|s| Ok((s, Buf::new(size, 0xa5, huge)?)));
        bufs.push(match pair {
            Ok(pair) => Ok(pair),
            Err(BufError::NotHuge(why)) => Err(why),
            Err(BufError::Failed(e)) => return Err(e),
        });
    }
    let mut ops: Vec<Op<'_>> = Vec::new();
    for (p, pair) in points.iter().zip(bufs.iter_mut()) {
        let Ok((src, dst)) = pair else {
            continue;
        };
        let op: Op<'_> = match p.row {
            Row::User | Row::UserHuge => Box::new(move || {
                dev.copy_user(black_box(src.bytes()), dst.bytes_mut(), Mode::Dma, 0)
                    .map(|r| Done::one(r.mode_used))
                    .map_err(|e| format!("COPY_USER {e}"))
            }),
            Row::Bounce | Row::BounceHuge => {
                let pieces = super::bounce_pieces(size, info)
                    .ok_or_else(|| format!("no bounce piece fits max_len {}", info.max_len))?;
                Box::new(move || {
                    let done = bounce(dev, info, &pieces, black_box(src.bytes()), dst.bytes_mut());
                    black_box(dst.bytes_mut());
                    done
                })
            }
            Row::UserMemcpy => Box::new(move || {
                dst.bytes_mut().copy_from_slice(black_box(src.bytes()));
                black_box(dst.bytes_mut());
                Ok(Done::other(1))
            }),
            other => return Err(format!("{} is not a COPY_USER comparison", other.name())),
        };
        ops.push(op);
    }
    let mut runs = side_by_side(first.cpu, size, ops, secs)?.into_iter();
    bufs.iter()
        .map(|pair| match pair {
            Err(why) => Ok(Outcome::NotHuge(why.clone())),
            Ok((src, dst)) => {
                let run = runs.next().ok_or("a lane without its run")?;
                // Still on huge pages after the run (the driver's pinning may not migrate them).
                match src.check().and_then(|()| dst.check()) {
                    Ok(()) => Ok(Outcome::Ran(run)),
                    Err(e) => Ok(Outcome::NotHuge(format!("after the run: {e}"))),
                }
            }
        })
        .collect()
}

/// One run of each of the `batch` and `single` points of one batch length, size and CPU, side
/// by side ([`side_by_side`]): the same copies ([`super::batch_layout`]), in DMA mode, in one
/// `DMACOPY_IOC_COPY_BATCH` per call, or one `DMACOPY_IOC_COPY` each. A call is all the
/// copies; copies/s counts each copy.
pub fn batch_group(
    points: &[&Point],
    dev: &Device,
    info: &Info,
    secs: Duration,
) -> Result<Vec<Run>, String> {
    let Some(first) = points.first() else {
        return Ok(Vec::new());
    };
    let (size, entries) = (first.size, first.entries);
    let layout = super::batch_layout(entries, size, info.buf_size);
    let mut ops: Vec<Op<'_>> = Vec::new();
    for p in points {
        if p.size != size || p.cpu != first.cpu || p.entries != entries {
            return Err("side-by-side points differ in size, batch length or CPU".to_owned());
        }
        let mut batch = CopyBatch::new();
        for &(s, d, l) in &layout {
            batch.push(s, d, l, Mode::Dma).map_err(|e| e.to_string())?;
        }
        let op: Op<'_> = match p.row {
            Row::Batch => Box::new(move || {
                let res = batch.run(dev).map_err(|e| e.to_string())?;
                let mut done = Done::other(0);
                for r in &res.results {
                    done.add(Done::one(r.mode_used));
                }
                Ok(done)
            }),
            Row::Single => {
                let reqs: Vec<CopyRequest> = batch.requests().collect();
                Box::new(move || {
                    let mut done = Done::other(0);
                    for req in &reqs {
                        done.add(copy(dev, req)?);
                    }
                    Ok(done)
                })
            }
            other => return Err(format!("{} is not a COPY_BATCH comparison", other.name())),
        };
        ops.push(op);
    }
    side_by_side(first.cpu, size, ops, secs)
}

/// Where the threads of a `channels` point meet before their timed loops.
struct Gate {
    state: Mutex<GateState>,
    cv: Condvar,
}

struct GateState {
    /// Threads that finished their warm-up (or failed it).
    ready: usize,
    /// `Some(true)`: go; `Some(false)`: give up (a thread could not be started).
    open: Option<bool>,
}

impl Gate {
    fn new() -> Gate {
        Gate {
            state: Mutex::new(GateState {
                ready: 0,
                open: None,
            }),
            cv: Condvar::new(),
        }
    }

    /// A thread: says it is ready, then waits for the gate to open. Whether to go on.
    fn arrive(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.ready += 1;
        self.cv.notify_all();
        // TIMEOUT: none needed: the spawning thread opens the gate once every thread it
        // started has arrived, and each arrives after a warm-up bounded by WARMUP plus one
        // call (itself bounded by the driver's timeout).
        loop {
            if let Some(go) = s.open {
                return go;
            }
            s = self.cv.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The spawning thread: waits until `threads` have arrived (if `go`), then opens.
    fn open(&self, threads: usize, go: bool) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while go && s.ready < threads {
            s = self.cv.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        s.open = Some(go);
        self.cv.notify_all();
    }
}

/// One thread of a `channels` point: opens `node`, pins itself to `cpu`, warms up, meets the
/// others at `gate`, and copies for `secs`.
fn channel_thread(
    node: u32,
    cpu_id: u32,
    size: u64,
    secs: Duration,
    cap: usize,
    gate: &Gate,
) -> Result<(Loop, Samples), String> {
    let path = Device::node_path(node);
    let req = CopyRequest::new(size);
    let prepared = Device::open(&path)
        .map_err(|e| format!("cannot open {}: {}", path.display(), errno_desc(&e)))
        .and_then(|dev| {
            cpu::pin(cpu_id)
                .map_err(|e| format!("cannot pin to CPU {cpu_id}: {}", errno_desc(&e)))?;
            let rate = warm_up(&mut || copy(&dev, &req))?;
            Ok((dev, rate))
        });
    let go = gate.arrive();
    let (dev, rate) = prepared.map_err(|e| format!("{}: {e}", path.display()))?;
    if !go {
        return Err("not started".to_owned());
    }
    let mut samples = Samples::new(cap);
    samples.reset(expected_calls(rate, secs));
    let l = timed(&mut || copy(&dev, &req), secs, &mut samples)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((l, samples))
}

/// One run of a `channels` point: thread i copies on `nodes[i]`, pinned to
/// `cpus[i % cpus.len()]`; all start together. copies/s is the total over the wall time from
/// the first thread's start to the last one's end.
pub fn channels(point: &Point, nodes: &[u32], cpus: &[u32], secs: Duration) -> Result<Run, String> {
    let n = usize::try_from(point.channels).unwrap_or(usize::MAX);
    if n == 0 || n > nodes.len() || cpus.is_empty() {
        return Err(format!(
            "{} channels: not enough nodes or CPUs",
            point.channels
        ));
    }
    let cap = (SAMPLE_CAP / n).max(1024);
    let gate = Gate::new();
    let results: Vec<Result<(Loop, Samples), String>> = thread::scope(|s| {
        let mut handles = Vec::with_capacity(n);
        let mut spawn_error = None;
        for (i, &node) in nodes.iter().take(n).enumerate() {
            let c = cpus[i % cpus.len()];
            let gate = &gate;
            let spawned = thread::Builder::new()
                .name(format!("dmacopy{node}"))
                .spawn_scoped(s, move || {
                    channel_thread(node, c, point.size, secs, cap, gate)
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    spawn_error = Some(format!("cannot start a thread: {e}"));
                    break;
                }
            }
        }
        gate.open(handles.len(), spawn_error.is_none());
        let mut results: Vec<_> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a thread panicked".to_owned()))
            })
            .collect();
        if let Some(e) = spawn_error {
            results.insert(0, Err(e));
        }
        results
    });
    let mut loops = Vec::with_capacity(n);
    let mut sets = Vec::with_capacity(n);
    for r in results {
        let (l, s) = r?;
        loops.push(l);
        sets.push(s);
    }
    let (Some(start), Some(end)) = (
        loops.iter().map(|l| l.start).min(),
        loops.iter().map(|l| l.end).max(),
    ) else {
        return Err("no thread ran".to_owned());
    };
    let total = Loop {
        calls: loops.iter().map(|l| l.calls).sum(),
        copies: loops.iter().map(|l| l.copies).sum(),
        start,
        end,
        dma: loops.iter().map(|l| l.dma).sum(),
        cpu: loops.iter().map(|l| l.cpu).sum(),
    };
    let refs: Vec<&Samples> = sets.iter().collect();
    run_of(&total, point.size, &refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_on_a_fake_call() {
        let mut calls = 0u64;
        let mut op = || {
            calls += 1;
            Ok(Done::one(if calls % 4 == 0 {
                Mode::Cpu
            } else {
                Mode::Dma
            }))
        };
        let rate = warm_up(&mut op).unwrap();
        assert!(rate > 0.0);
        let mut samples = Samples::new(SAMPLE_CAP);
        let secs = Duration::from_millis(20);
        let l = timed(&mut op, secs, &mut samples).unwrap();
        assert!(l.end.duration_since(l.start) >= secs);
        assert_eq!(l.copies, samples.seen());
        assert_eq!(l.dma + l.cpu, l.copies);
        assert!(l.cpu > 0 && l.dma > 3 * l.cpu - 3);
        let run = run_of(&l, 64, &[&samples]).unwrap();
        assert_eq!(run.copies, l.copies);
        assert!(run.secs >= 0.02);
        assert!((run.mb_per_s - run.copies_per_s * 64.0 / 1e6).abs() < 1e-6);
        assert!(run.p50_ns <= run.p99_ns);
    }

    #[test]
    fn errors_end_the_loop() {
        let mut n = 0;
        let mut op = || {
            n += 1;
            if n == 150 {
                Err("copy failed: EIO (Input/output error)".to_owned())
            } else {
                Ok(Done::other(1))
            }
        };
        warm_up(&mut op).unwrap();
        let mut samples = Samples::new(16);
        let e = timed(&mut op, Duration::from_secs(5), &mut samples).unwrap_err();
        assert!(
            e.starts_with("call 50 of the timed loop: copy failed: EIO"),
            "{e}"
        );
        let mut failing = || Err::<Done, _>("boom".to_owned());
        assert_eq!(warm_up(&mut failing).unwrap_err(), "warm-up call 1: boom");
    }

    #[test]
    fn memcpy_and_null_points() {
        let dev = Device::open("/dev/null").unwrap();
        let mut samples = Samples::new(SAMPLE_CAP);
        let secs = Duration::from_millis(10);
        let p = Point::new(Row::Memcpy, None, 1, 4096);
        let run = single(&p, &dev, secs, &mut samples).unwrap();
        assert!(run.copies > 0 && run.dma == 0 && run.cpu == 0);
        // /dev/null has no INFO: the error names the errno.
        let p = Point::new(Row::Null, None, 1, 0);
        let e = single(&p, &dev, secs, &mut samples).unwrap_err();
        assert!(e.contains("DMACOPY_IOC_INFO failed: ENOTTY"), "{e}");
        let p = Point::new(Row::Dma, None, 1, 64);
        let e = single(&p, &dev, secs, &mut samples).unwrap_err();
        assert!(e.contains("ENOTTY"), "{e}");
    }

    #[test]
    fn gate_releases_all_or_none() {
        let gate = Gate::new();
        let go = thread::scope(|s| {
            let hs: Vec<_> = (0..3).map(|_| s.spawn(|| gate.arrive())).collect();
            gate.open(3, true);
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(go, vec![true; 3]);
        let gate = Gate::new();
        let go = thread::scope(|s| {
            let h = s.spawn(|| gate.arrive());
            gate.open(5, false);
            h.join().unwrap()
        });
        assert!(!go);
    }

    #[test]
    fn channels_without_nodes() {
        let p = Point::new(Row::Channels, None, 2, 64);
        assert!(channels(&p, &[0], &[0], Duration::from_millis(1)).is_err());
        // Nodes that do not exist: every thread reports, none hangs.
        let e = channels(&p, &[900_001, 900_002], &[0], Duration::from_millis(1)).unwrap_err();
        assert!(
            e.contains("/dev/dmacopy900001") && e.contains("ENOENT"),
            "{e}"
        );
    }
}
