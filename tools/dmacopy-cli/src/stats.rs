// SPDX-License-Identifier: GPL-2.0

//! `dmacopy stats`: the driver's counters, from `/sys/kernel/debug/dmacopy/dmacopyN/stats`, as
//! they are, as JSON, or as rates per channel refreshed every second (`--watch`).

use crate::args::StatsOpts;
use crate::{emit, select_nodes, CliError, CliResult};
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use dmacopy::{errno_desc, Device, NODE_PREFIX};
use serde::Serialize;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// The counters of one stats file: `name: value` lines, in the file's order. A line that is
/// not a name and a number is left out.
pub fn parse_counters(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

/// One node in `stats --json`.
#[derive(Debug, Serialize)]
pub struct NodeStats {
    /// The node, e.g. `dmacopy0`.
    pub node: String,
    /// The stats file.
    pub path: String,
    /// The counters by name.
    pub counters: BTreeMap<String, u64>,
}

/// Runs `dmacopy stats`: a header line per node, then its stats file as it is; with `--json`
/// an array of [`NodeStats`]; with `--watch`, [`watch`].
pub fn run(o: &StatsOpts) -> CliResult {
    let nodes = select_nodes(o.device)?;
    if !debugfs_mounted() {
        return Err(CliError::Failed(format!(
            "debugfs is not mounted: mount -t debugfs none {DEBUGFS}"
        )));
    }
    if o.watch {
        return watch(o, &nodes);
    }
    let mut failed = false;
    let mut all = Vec::new();
    for (i, index) in nodes.into_iter().enumerate() {
        let path = stats_path(index);
        match fs::read_to_string(&path) {
            Ok(text) if o.json => all.push(NodeStats {
                node: format!("{NODE_PREFIX}{index}"),
                path: path.display().to_string(),
                counters: parse_counters(&text).into_iter().collect(),
            }),
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
    if o.json {
        emit(&crate::to_json(&all))?;
    }
    if failed {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}

/// The counters `stats --watch` follows, summed as it shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Copies by DMA.
    pub dma_copies: u64,
    /// Copies by the CPU.
    pub cpu_copies: u64,
    /// Bytes copied, both ways.
    pub bytes: u64,
    /// Failed copies: `errors` (the controller flagged one) plus `timeouts`.
    pub errors: u64,
    /// Interrupts of the channel.
    pub irqs: u64,
}

impl Totals {
    /// From a stats file's counters; a missing one counts 0.
    pub fn of(counters: &[(String, u64)]) -> Totals {
        let get = |name: &str| {
            counters
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |&(_, v)| v)
        };
        Totals {
            dma_copies: get("dma_copies"),
            cpu_copies: get("cpu_copies"),
            bytes: get("dma_bytes").wrapping_add(get("cpu_bytes")),
            errors: get("errors").wrapping_add(get("timeouts")),
            irqs: get("irqs"),
        }
    }

    /// How much each counter grew since `before`; None if one went down (the counters start
    /// again at 0 when the channel is bound again).
    fn since(&self, before: &Totals) -> Option<Totals> {
        Some(Totals {
            dma_copies: self.dma_copies.checked_sub(before.dma_copies)?,
            cpu_copies: self.cpu_copies.checked_sub(before.cpu_copies)?,
            bytes: self.bytes.checked_sub(before.bytes)?,
            errors: self.errors.checked_sub(before.errors)?,
            irqs: self.irqs.checked_sub(before.irqs)?,
        })
    }
}

/// One channel's rates over one refresh of `stats --watch`; in JSON one object of a line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rates {
    /// The node, e.g. `dmacopy0`.
    pub node: String,
    /// Copies per second, both modes (null: no rate yet, or the counters started again).
    pub copies_per_s: Option<f64>,
    /// DMA copies per second.
    pub dma_copies_per_s: Option<f64>,
    /// CPU copies per second.
    pub cpu_copies_per_s: Option<f64>,
    /// 10^6 bytes per second, both modes.
    pub mb_per_s: Option<f64>,
    /// Failed copies (errors and timeouts) per second.
    pub errors_per_s: Option<f64>,
    /// Interrupts per second.
    pub irqs_per_s: Option<f64>,
    /// Why the stats file could not be read this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Rates {
    /// The rates of `node` from `before` to `now`, `secs` apart.
    pub fn between(node: String, before: &Totals, now: &Totals, secs: f64) -> Rates {
        let Some(d) = now.since(before).filter(|_| secs > 0.0) else {
            return Rates {
                node,
                ..Rates::default()
            };
        };
        // CAST: counts far below 2^53 in any interval a person watches.
        let per_s = |v: u64| Some(v as f64 / secs);
        Rates {
            node,
            copies_per_s: per_s(d.dma_copies + d.cpu_copies),
            dma_copies_per_s: per_s(d.dma_copies),
            cpu_copies_per_s: per_s(d.cpu_copies),
            mb_per_s: per_s(d.bytes).map(|b| b / 1e6),
            errors_per_s: per_s(d.errors),
            irqs_per_s: per_s(d.irqs),
            error: None,
        }
    }
}

/// One line of `stats --watch --json`.
#[derive(Debug, Serialize)]
pub struct WatchLine<'a> {
    /// 1 for the first refresh.
    pub refresh: u64,
    /// Seconds since the watch started.
    pub elapsed_s: f64,
    /// The channels, in node order.
    pub channels: &'a [Rates],
}

/// The table of one refresh: a header, then a line per channel.
pub fn watch_table(rates: &[Rates]) -> String {
    const COLUMNS: [&str; 7] = [
        "node", "copies/s", "dma/s", "cpu/s", "MB/s", "errors/s", "irqs/s",
    ];
    let cell = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
    let mut rows = vec![COLUMNS.map(str::to_owned)];
    for r in rates {
        rows.push([
            r.node.clone(),
            cell(r.copies_per_s),
            cell(r.dma_copies_per_s),
            cell(r.cpu_copies_per_s),
            cell(r.mb_per_s),
            cell(r.errors_per_s),
            cell(r.irqs_per_s),
        ]);
    }
    let right = [false, true, true, true, true, true, true];
    let mut out = String::new();
    for (line, r) in crate::table::lines(&right, &rows)
        .into_iter()
        .zip(core::iter::once(None).chain(rates.iter().map(Some)))
    {
        out.push_str(line.trim_end());
        if let Some(e) = r.and_then(|r| r.error.as_deref()) {
            out.push_str("  ");
            out.push_str(e);
        }
        out.push('\n');
    }
    out
}

/// Set by SIGINT and SIGTERM during `stats --watch`.
static STOP: AtomicBool = AtomicBool::new(false);

/// Makes SIGINT and SIGTERM set [`STOP`] instead of ending the process, so that the watch ends
/// with status 0 and a whole last line.
fn catch_stop_signals() -> CliResult {
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register(signal, &STOP)
            .map_err(|e| CliError::Failed(format!("sigaction: {}", errno_desc(&e))))?;
    }
    Ok(())
}

/// Sleeps until `deadline`, in short steps; false if a stop signal came first.
fn sleep_until(deadline: Instant) -> bool {
    // TIMEOUT: a signal is seen within this much.
    const STEP: Duration = Duration::from_millis(50);
    loop {
        if STOP.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(STEP));
    }
}

/// The totals of node `index` now, or why they cannot be read.
fn read_totals(index: u32) -> Result<Totals, String> {
    let path = stats_path(index);
    fs::read_to_string(&path)
        .map(|text| Totals::of(&parse_counters(&text)))
        .map_err(|e| read_error(&path, &e))
}

/// `dmacopy stats --watch`: every `--interval`, each channel's rates since the refresh before,
/// until SIGINT or SIGTERM (status 0) or `--count` refreshes. Nodes that come (a channel
/// claimed) are shown from their second refresh on; nodes that go are dropped.
fn watch(o: &StatsOpts, nodes: &[u32]) -> CliResult {
    let mut before: BTreeMap<u32, (Instant, Totals)> = BTreeMap::new();
    for &index in nodes {
        let totals = read_totals(index).map_err(CliError::Failed)?;
        before.insert(index, (Instant::now(), totals));
    }
    catch_stop_signals()?;
    let redraw = !o.json && io::stdout().is_terminal();
    let start = Instant::now();
    let mut refresh: u64 = 0;
    while o.count.is_none_or(|n| refresh < n) {
        // The refreshes keep to the start's beat, however long each one takes.
        let due = start
            + o.interval
                .saturating_mul(u32::try_from(refresh + 1).unwrap_or(u32::MAX));
        if !sleep_until(due) {
            break;
        }
        refresh += 1;
        let now_nodes = match o.device {
            Some(n) => vec![n],
            None => Device::list().unwrap_or_default(),
        };
        let mut rates = Vec::new();
        let mut after = BTreeMap::new();
        for index in now_nodes {
            let node = format!("{NODE_PREFIX}{index}");
            let now = Instant::now();
            match read_totals(index) {
                Ok(totals) => {
                    rates.push(match before.get(&index) {
                        Some((then, old)) => Rates::between(
                            node,
                            old,
                            &totals,
                            now.duration_since(*then).as_secs_f64(),
                        ),
                        None => Rates {
                            node,
                            ..Rates::default()
                        },
                    });
                    after.insert(index, (now, totals));
                }
                Err(e) => rates.push(Rates {
                    node,
                    error: Some(e),
                    ..Rates::default()
                }),
            }
        }
        before = after;
        let elapsed = start.elapsed().as_secs_f64();
        if o.json {
            emit(&crate::to_json_line(&WatchLine {
                refresh,
                elapsed_s: elapsed,
                channels: &rates,
            }))?;
        } else {
            // On a terminal: home, clear, and the table in place of the last one.
            let (clear, sep) = if redraw {
                ("\x1b[H\x1b[2J", "")
            } else if refresh > 1 {
                ("", "\n")
            } else {
                ("", "")
            };
            let every = o.interval.as_secs_f64();
            emit(&format!(
                "{clear}{sep}dmacopy stats --watch: refresh {refresh}, {elapsed:.1} s, every \
                 {every} s{}\n{}",
                if redraw { " (Ctrl-C to stop)" } else { "" },
                watch_table(&rates)
            ))?;
        }
    }
    Ok(())
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

    const SAMPLE: &str = "dma_copies: 10\ncpu_copies: 5\ndma_bytes: 4000000\ncpu_bytes: 1000000\n\
                          errors: 1\ntimeouts: 2\ninterrupted: 0\nirqs: 12\nspurious_irqs: 0\n\
                          last_ns: 1000\nmax_ns: 2000\n";

    #[test]
    fn counters() {
        let c = parse_counters(SAMPLE);
        assert_eq!(c.len(), 11);
        assert_eq!(c[0], ("dma_copies".to_owned(), 10));
        assert_eq!(
            parse_counters("a: 1\nnot a counter\nb: x\n c : 3"),
            [("a".to_owned(), 1), ("c".to_owned(), 3)]
        );
        let t = Totals::of(&c);
        assert_eq!(
            t,
            Totals {
                dma_copies: 10,
                cpu_copies: 5,
                bytes: 5_000_000,
                errors: 3,
                irqs: 12
            }
        );
    }

    #[test]
    fn rates() {
        let before = Totals::of(&parse_counters(SAMPLE));
        let now = Totals {
            dma_copies: 30,
            cpu_copies: 5,
            bytes: 9_000_000,
            errors: 3,
            irqs: 52,
        };
        let r = Rates::between("dmacopy0".to_owned(), &before, &now, 2.0);
        assert_eq!(r.copies_per_s, Some(10.0));
        assert_eq!(r.dma_copies_per_s, Some(10.0));
        assert_eq!(r.cpu_copies_per_s, Some(0.0));
        assert_eq!(r.mb_per_s, Some(2.0));
        assert_eq!(r.errors_per_s, Some(0.0));
        assert_eq!(r.irqs_per_s, Some(20.0));
        // Counters that started again: no rate.
        let r = Rates::between("dmacopy0".to_owned(), &now, &before, 1.0);
        assert_eq!(r.copies_per_s, None);
        let line = crate::to_json_line(&WatchLine {
            refresh: 1,
            elapsed_s: 1.0,
            channels: &[r],
        });
        assert!(
            line.ends_with("}]}\n") && !line[..line.len() - 1].contains('\n'),
            "{line}"
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(v["channels"][0]["copies_per_s"].is_null());
        assert!(v["channels"][0].get("error").is_none());
    }

    #[test]
    fn the_watch_table() {
        let rates = [
            Rates {
                node: "dmacopy0".to_owned(),
                copies_per_s: Some(1234.5),
                dma_copies_per_s: Some(1234.5),
                cpu_copies_per_s: Some(0.0),
                mb_per_s: Some(80.9),
                errors_per_s: Some(0.0),
                irqs_per_s: Some(1234.5),
                error: None,
            },
            Rates {
                node: "dmacopy1".to_owned(),
                error: Some("cannot read".to_owned()),
                ..Rates::default()
            },
        ];
        let t = watch_table(&rates);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines,
            [
                "node      copies/s   dma/s  cpu/s  MB/s  errors/s  irqs/s",
                "dmacopy0    1234.5  1234.5    0.0  80.9       0.0  1234.5",
                "dmacopy1         -       -      -     -         -       -  cannot read",
            ]
        );
    }

    #[test]
    fn stop_signal() {
        catch_stop_signals().unwrap();
        assert!(sleep_until(Instant::now()));
        signal_hook::low_level::raise(SIGTERM).unwrap();
        assert!(!sleep_until(Instant::now() + Duration::from_secs(10)));
        STOP.store(false, Ordering::Relaxed);
    }
}
