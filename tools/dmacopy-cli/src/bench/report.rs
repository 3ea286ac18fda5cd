// SPDX-License-Identifier: GPL-2.0

//! What `dmacopy bench` reports: the JSON document (schema `dmacopy-bench/1`) and the table.

use super::maths::{spread_f64, spread_u64, Spread};
use super::Row;
use core::fmt::Write as _;
use serde::{Deserialize, Serialize};

/// The `schema` field.
pub const SCHEMA: &str = "dmacopy-bench/1";

/// The whole document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: String,
    /// The machine.
    pub system: System,
    /// The node of the single-node rows.
    pub device: DeviceInfo,
    /// How the bench ran.
    pub settings: Settings,
    /// The correctness pass, one entry per checked copy.
    pub verify: Vec<Verify>,
    /// The measurements.
    pub points: Vec<Point>,
}

/// The machine the bench ran on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// What `uname -srm` prints.
    pub uname: String,
    /// CPUs online.
    pub cpus: u32,
}

/// `DMACOPY_IOC_INFO` of the node, before and after the bench.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// `/dev/dmacopyN`.
    pub path: String,
    /// The controller's model.
    pub controller: String,
    /// Bytes in SRC, and in DST.
    pub buf_size: u64,
    /// The largest copy.
    pub max_len: u64,
    /// Alignment of DMA copies.
    pub align: u32,
    /// `auto_threshold` before the first copy of the bench.
    pub auto_threshold_before: u64,
    /// `auto_threshold` after the last.
    pub auto_threshold_after: u64,
    /// Physical address of the channel's registers.
    pub reg_base: u64,
    /// Linux IRQ number of the channel.
    pub irq: u32,
    /// `caps` (`DMACOPY_CAP_*` bits).
    #[serde(default)]
    pub caps: u32,
}

/// How the bench ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The least length of each timed loop.
    pub secs: f64,
    /// The longest warm-up before it (or 100 copies, whichever comes first).
    pub warmup_secs: f64,
    /// Timed runs of each point.
    pub repeats: u32,
    /// Bytes per copy, of the sizes that ran.
    pub sizes: Vec<u64>,
    /// CPUs the caller was pinned to.
    pub cpus: Vec<u32>,
    /// Channel counts of the `channels` rows that ran.
    pub channels: Vec<u32>,
    /// Sizes asked for that the node cannot copy (above `max_len`, or not a multiple of
    /// `align`).
    pub skipped_sizes: Vec<u64>,
    /// Channel counts asked for above the number of nodes.
    #[serde(default)]
    pub skipped_channels: Vec<u32>,
    /// The rows that ran.
    #[serde(default)]
    pub rows: Vec<Row>,
    /// Bytes per copy of the `user`, `bounce` and `user-memcpy` rows.
    #[serde(default)]
    pub user_sizes: Vec<u64>,
    /// Copies per call of the `batch` and `single` rows.
    #[serde(default)]
    pub batch_entries: Vec<u32>,
    /// Bytes per copy of the `batch` and `single` rows.
    #[serde(default)]
    pub batch_sizes: Vec<u64>,
    /// Rows, or points of a row, asked for and not measured, with the reason.
    #[serde(default)]
    pub not_measured: Vec<NotMeasured>,
    /// The largest piece of the `bounce` and `bounce-huge` rows (`max_len` rounded down to
    /// `align`): above it they go through SRC and DST in pieces of it, one after the other.
    /// `None`: no piece fits the node, or a document from before the pieces (the bounce rows
    /// then stopped at `buf_size`).
    #[serde(default)]
    pub bounce_piece: Option<u64>,
}

/// A row, or one size (and batch length) of it, that was not measured, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotMeasured {
    /// The row.
    pub row: Row,
    /// The size; `None`: every size of the row.
    pub size: Option<u64>,
    /// The batch length, for `batch` and `single`; `None`: every one.
    #[serde(default)]
    pub entries: Option<u32>,
    /// The CPU; `None`: every CPU. Set for a `user-huge` or `bounce-huge` point whose buffers
    /// did not get huge pages in a run from that CPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// Why, e.g. that the driver does not set a caps bit.
    pub reason: String,
}

/// 1, for documents written before `entries` was there.
const fn one() -> u32 {
    1
}

/// One copy of the correctness pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verify {
    /// `dma`, `cpu` or `auto`: the mode of the copy; `channels`: a DMA copy on another node
    /// that the `channels` rows use.
    pub row: Row,
    /// Bytes copied.
    pub size: u64,
    /// Where in SRC.
    #[serde(default)]
    pub src_off: u64,
    /// Where in DST.
    #[serde(default)]
    pub dst_off: u64,
    /// The node.
    #[serde(default)]
    pub node: String,
    /// Copies in the call (`batch`, `single`); 1 otherwise.
    #[serde(default = "one")]
    pub entries: u32,
    /// Whether DST held exactly what it should, and SRC was untouched.
    pub ok: bool,
    /// Why not; empty when ok.
    pub detail: String,
}

/// One timed run of one point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Calls in the timed loop ("channels": of all threads).
    pub copies: u64,
    /// Wall time of the timed loop.
    pub secs: f64,
    /// `copies / secs`.
    pub copies_per_s: f64,
    /// `size * copies / secs / 10^6`.
    pub mb_per_s: f64,
    /// Median latency of one call.
    pub p50_ns: u64,
    /// 99th percentile latency of one call.
    pub p99_ns: u64,
    /// Copies the driver ran with the DMA controller (`mode_used`); for `bounce` and
    /// `bounce-huge`, its `DMACOPY_IOC_COPY` calls: one per piece, several per call above
    /// `buf_size`.
    pub dma: u64,
    /// Copies the driver ran with the CPU.
    pub cpu: u64,
}

impl Run {
    /// The run of `copies` calls of `size` bytes in `secs` seconds.
    pub fn new(copies: u64, secs: f64, size: u64, p50_ns: u64, p99_ns: u64) -> Run {
        // CAST: counts and sizes far below 2^53; rates are approximate by nature.
        let copies_per_s = if secs > 0.0 {
            copies as f64 / secs
        } else {
            0.0
        };
        Run {
            copies,
            secs,
            copies_per_s,
            mb_per_s: copies_per_s * size as f64 / 1e6,
            p50_ns,
            p99_ns,
            dma: 0,
            cpu: 0,
        }
    }
}

/// One point: a row, a CPU, a channel count and a size, with its runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// What was measured.
    pub row: Row,
    /// The CPU the caller was pinned to; `None` for `channels` (thread i on the i-th CPU of
    /// the list, modulo its length).
    pub cpu: Option<u32>,
    /// Nodes copying at once.
    pub channels: u32,
    /// Bytes per copy (0 for `null`).
    pub size: u64,
    /// Copies per call: the batch length of `batch` and `single`, 1 otherwise.
    #[serde(default = "one")]
    pub entries: u32,
    /// One per repeat that completed.
    pub runs: Vec<Run>,
    /// Over the runs; `None` when none completed.
    pub copies_per_s: Option<Spread<f64>>,
    /// Over the runs.
    pub mb_per_s: Option<Spread<f64>>,
    /// Over the runs.
    pub p50_ns: Option<Spread<u64>>,
    /// Over the runs.
    pub p99_ns: Option<Spread<u64>>,
    /// Why a run failed (the point's later repeats are then skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Point {
    /// A point with no runs yet.
    pub fn new(row: Row, cpu: Option<u32>, channels: u32, size: u64) -> Point {
        Point {
            row,
            cpu,
            channels,
            size,
            entries: 1,
            runs: Vec::new(),
            copies_per_s: None,
            mb_per_s: None,
            p50_ns: None,
            p99_ns: None,
            error: None,
        }
    }

    /// A `batch` or `single` point: `entries` copies of `size` bytes per call.
    pub fn batch(row: Row, cpu: Option<u32>, entries: u32, size: u64) -> Point {
        Point {
            entries,
            ..Point::new(row, cpu, 1, size)
        }
    }

    /// The row's name, with the batch length for `batch` and `single`: `batch x16`.
    pub fn row_label(&self) -> String {
        if self.row.batched() {
            format!("{} x{}", self.row.name(), self.entries)
        } else {
            self.row.name().to_owned()
        }
    }

    /// Fills in the spreads from the runs.
    pub fn summarize(&mut self) {
        let f = |get: fn(&Run) -> f64| spread_f64(&self.runs.iter().map(get).collect::<Vec<_>>());
        let u = |get: fn(&Run) -> u64| spread_u64(&self.runs.iter().map(get).collect::<Vec<_>>());
        self.copies_per_s = f(|r| r.copies_per_s);
        self.mb_per_s = f(|r| r.mb_per_s);
        self.p50_ns = u(|r| r.p50_ns);
        self.p99_ns = u(|r| r.p99_ns);
    }

    /// A short name: `dma cpu1 64K`, `channels x4 64K`, `null cpu0`.
    pub fn label(&self) -> String {
        let mut s = self.row_label();
        if let Some(cpu) = self.cpu {
            let _ = write!(s, " cpu{cpu}");
        }
        if self.row == Row::Channels {
            let _ = write!(s, " x{}", self.channels);
        }
        if self.row != Row::Null {
            let _ = write!(s, " {}", size(self.size));
        }
        s
    }

    /// How the driver ran the copies of all runs: `dma`, `cpu`, `dma 37%`; empty for rows that
    /// do not go through `DMACOPY_IOC_COPY`.
    pub fn modes_used(&self) -> String {
        let dma: u64 = self.runs.iter().map(|r| r.dma).sum();
        let cpu: u64 = self.runs.iter().map(|r| r.cpu).sum();
        match (dma, cpu) {
            (0, 0) => String::new(),
            (_, 0) => "dma".to_owned(),
            (0, _) => "cpu".to_owned(),
            // CAST: a percentage for display.
            (d, c) => format!("dma {:.0}%", d as f64 * 100.0 / (d + c) as f64),
        }
    }
}

/// A byte count as the command line writes it: `64`, `1K`, `4M`; else plain bytes.
pub fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{}M", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{}K", bytes >> 10)
    } else {
        bytes.to_string()
    }
}

/// `x` with three significant digits at most (fewer decimals as it grows).
fn sig3(x: f64) -> String {
    if x >= 99.95 {
        format!("{x:.0}")
    } else if x >= 9.995 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A count, three significant digits: `850`, `12.3k`, `1.23M`.
pub fn count(x: f64) -> String {
    if x >= 999.5e3 {
        format!("{}M", sig3(x / 1e6))
    } else if x >= 999.5 {
        format!("{}k", sig3(x / 1e3))
    } else {
        sig3(x)
    }
}

/// Calls per second: `850/s`, `12.3k/s`, `1.23M/s`.
pub fn rate(per_s: f64) -> String {
    format!("{}/s", count(per_s))
}

/// MB/s (10^6 bytes per second), three significant digits: `4.56 MB/s`, `850 MB/s`.
pub fn mb(mb_per_s: f64) -> String {
    format!("{} MB/s", sig3(mb_per_s))
}

/// A latency: `850 ns`, `7.80 us`, `123 us`, `1.23 ms`, `2.00 s`.
pub fn latency(ns: u64) -> String {
    // CAST: display only.
    let x = ns as f64;
    if x >= 999.5e6 {
        format!("{} s", sig3(x / 1e9))
    } else if x >= 999.5e3 {
        format!("{} ms", sig3(x / 1e6))
    } else if x >= 999.5 {
        format!("{} us", sig3(x / 1e3))
    } else {
        format!("{ns} ns")
    }
}

/// The table's columns, and whether each is right-aligned.
const COLUMNS: [(&str, bool); 8] = [
    ("row", false),
    ("cpu", true),
    ("ch", true),
    ("size", true),
    ("copies/s median (min-max)", false),
    ("MB/s", true),
    ("p50", true),
    ("p99", true),
];

/// One table line's cells, then what follows them unaligned (modes used, or the error).
fn cells(p: &Point) -> (Vec<String>, String) {
    let mut c = vec![
        p.row_label(),
        p.cpu.map_or("-".to_owned(), |c| c.to_string()),
        p.channels.to_string(),
        if p.row == Row::Null {
            "-".to_owned()
        } else {
            size(p.size)
        },
    ];
    match (&p.copies_per_s, &p.mb_per_s, &p.p50_ns, &p.p99_ns) {
        (Some(r), Some(m), Some(p50), Some(p99)) => {
            c.push(format!(
                "{} ({}-{})",
                rate(r.median),
                count(r.min),
                count(r.max)
            ));
            c.push(if p.row == Row::Null {
                "-".to_owned()
            } else {
                mb(m.median)
            });
            c.push(latency(p50.median));
            c.push(latency(p99.median));
        }
        _ => c.extend(["-", "-", "-", "-"].map(str::to_owned)),
    }
    let mut tail = p.modes_used();
    if let Some(e) = &p.error {
        if !tail.is_empty() {
            tail.push_str("; ");
        }
        let _ = write!(tail, "error: {e}");
    }
    (c, tail)
}

/// The table: a header line, then a line per point, columns two spaces apart; after the
/// columns, how the driver ran the copies (`dma`, `cpu`, `dma 37%`) and any error.
pub fn table(points: &[Point]) -> String {
    let mut rows: Vec<(Vec<String>, String)> = vec![(
        COLUMNS.iter().map(|(n, _)| (*n).to_owned()).collect(),
        "mode".to_owned(),
    )];
    rows.extend(points.iter().map(cells));
    let right = COLUMNS.map(|(_, right)| right);
    let cells: Vec<&Vec<String>> = rows.iter().map(|(c, _)| c).collect();
    let mut out = String::new();
    for (line, (_, tail)) in crate::table::lines(&right, &cells).iter().zip(&rows) {
        out.push_str(format!("{line}  {tail}").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_point() -> Point {
        let mut p = Point::new(Row::Auto, Some(1), 1, 64 << 10);
        for (copies, p50) in [(1000, 900), (1200, 800), (1100, 850)] {
            let mut r = Run::new(copies, 1.0, 64 << 10, p50, 2 * p50);
            r.dma = copies / 4;
            r.cpu = copies - copies / 4;
            p.runs.push(r);
        }
        p.summarize();
        p
    }

    fn sample_report() -> Report {
        let mut null = Point::new(Row::Null, Some(0), 1, 0);
        null.runs.push(Run::new(560_000, 1.0, 0, 1700, 2500));
        null.summarize();
        let mut batch = Point::batch(Row::Batch, Some(0), 256, 4096);
        batch
            .runs
            .push(Run::new(256_000, 1.0, 4096, 90_000, 120_000));
        batch.summarize();
        let mut failed = Point::new(Row::Channels, None, 2, 4096);
        failed.error = Some("copy failed: ETIMEDOUT (Connection timed out)".to_owned());
        failed.summarize();
        Report {
            schema: SCHEMA.to_owned(),
            system: System {
                uname: "Linux 7.2.13 aarch64".to_owned(),
                cpus: 2,
            },
            device: DeviceInfo {
                path: "/dev/dmacopy0".to_owned(),
                controller: "zynqmp-zdma".to_owned(),
                buf_size: 1 << 20,
                max_len: 1 << 20,
                align: 1,
                auto_threshold_before: 65536,
                auto_threshold_after: 32768,
                reg_base: 0xffa8_0000,
                irq: 12,
                caps: 1,
            },
            settings: Settings {
                secs: 1.0,
                warmup_secs: 0.1,
                repeats: 3,
                sizes: vec![64, 1 << 20],
                cpus: vec![0, 1],
                channels: vec![1, 2],
                skipped_sizes: vec![4 << 20],
                skipped_channels: vec![16],
                rows: Row::ALL.to_vec(),
                user_sizes: vec![4096, 64 << 20],
                batch_entries: vec![1, 256],
                batch_sizes: vec![4096],
                not_measured: vec![NotMeasured {
                    row: Row::Bounce,
                    size: Some(64 << 20),
                    entries: None,
                    cpu: None,
                    reason: "larger than buf_size".to_owned(),
                }],
                bounce_piece: Some(1 << 20),
            },
            verify: vec![Verify {
                row: Row::Dma,
                size: 64,
                src_off: 0,
                dst_off: 0,
                node: "/dev/dmacopy0".to_owned(),
                entries: 1,
                ok: true,
                detail: String::new(),
            }],
            points: vec![sample_point(), null, failed, batch],
        }
    }

    #[test]
    fn summaries() {
        let p = sample_point();
        let c = p.copies_per_s.unwrap();
        assert_eq!((c.median, c.min, c.max), (1100.0, 1000.0, 1200.0));
        let m = p.mb_per_s.unwrap();
        assert!((m.median - 1100.0 * 65536.0 / 1e6).abs() < 1e-9);
        assert_eq!(
            p.p50_ns,
            Some(Spread {
                median: 850,
                min: 800,
                max: 900
            })
        );
        assert_eq!(p.p99_ns.unwrap().median, 1700);
        assert_eq!(p.modes_used(), "dma 25%");
        assert_eq!(p.label(), "auto cpu1 64K");
    }

    #[test]
    fn json_shape() {
        let report = sample_report();
        let text = serde_json::to_string_pretty(&report).unwrap();
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);

        // The field names and types that `make bench` and the plot read.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], "dmacopy-bench/1");
        assert_eq!(v["system"]["cpus"], 2);
        assert_eq!(v["device"]["reg_base"], 4_289_200_128u64);
        assert_eq!(v["device"]["auto_threshold_after"], 32768);
        assert_eq!(v["settings"]["warmup_secs"], 0.1);
        assert_eq!(v["settings"]["skipped_sizes"][0], 4_194_304);
        assert_eq!(v["verify"][0]["row"], "dma");
        assert_eq!(v["verify"][0]["ok"], true);
        let p = &v["points"][0];
        assert_eq!(p["row"], "auto");
        assert_eq!(p["cpu"], 1);
        assert_eq!(p["channels"], 1);
        assert_eq!(p["size"], 65536);
        assert_eq!(p["runs"].as_array().unwrap().len(), 3);
        assert_eq!(p["runs"][0]["copies"], 1000);
        assert_eq!(p["runs"][0]["copies_per_s"], 1000.0);
        assert_eq!(p["runs"][0]["dma"], 250);
        assert_eq!(p["runs"][0]["p99_ns"], 1800);
        assert_eq!(p["copies_per_s"]["median"], 1100.0);
        assert_eq!(p["p50_ns"]["median"], 850);
        assert!(p.get("error").is_none());
        assert_eq!(v["points"][1]["row"], "null");
        assert_eq!(v["points"][1]["size"], 0);
        let failed = &v["points"][2];
        assert_eq!(failed["cpu"], serde_json::Value::Null);
        assert_eq!(failed["copies_per_s"], serde_json::Value::Null);
        assert!(failed["error"].as_str().unwrap().contains("ETIMEDOUT"));
        assert_eq!(v["points"][3]["row"], "batch");
        assert_eq!(v["points"][3]["entries"], 256);
        assert_eq!(v["points"][0]["entries"], 1);
        assert_eq!(v["settings"]["not_measured"][0]["row"], "bounce");
        assert_eq!(v["settings"]["not_measured"][0]["size"], 64 << 20);
        assert_eq!(v["settings"]["user_sizes"][1], 64 << 20);
        assert_eq!(v["device"]["caps"], 1);
        assert_eq!(v["settings"]["bounce_piece"], 1 << 20);

        // A document without this CLI's extra fields (as the brief's sample) reads too.
        let minimal = r#"{"schema": "dmacopy-bench/1", "system": {"uname": "x", "cpus": 1},
            "device": {"path": "/dev/dmacopy0", "controller": "c", "buf_size": 1, "max_len": 1,
                "align": 1, "auto_threshold_before": 1, "auto_threshold_after": 1,
                "reg_base": 0, "irq": 0},
            "settings": {"secs": 1.0, "warmup_secs": 0.1, "repeats": 1, "sizes": [64],
                "cpus": [0], "channels": [1], "skipped_sizes": []},
            "verify": [{"row": "dma", "size": 64, "ok": true, "detail": ""}],
            "points": []}"#;
        let r: Report = serde_json::from_str(minimal).unwrap();
        assert_eq!(r.verify[0].size, 64);
        assert_eq!(r.verify[0].entries, 1);
        assert!(r.settings.not_measured.is_empty());
        assert_eq!(r.settings.bounce_piece, None);
    }

    #[test]
    fn units() {
        assert_eq!(rate(850.0), "850/s");
        assert_eq!(rate(12.345), "12.3/s");
        assert_eq!(rate(12_345.0), "12.3k/s");
        assert_eq!(rate(97_500.0), "97.5k/s");
        assert_eq!(rate(560_000.0), "560k/s");
        assert_eq!(rate(999_999.0), "1.00M/s");
        assert_eq!(rate(1_234_000.0), "1.23M/s");
        assert_eq!(mb(4.5612), "4.56 MB/s");
        assert_eq!(mb(0.512), "0.51 MB/s");
        assert_eq!(mb(1234.4), "1234 MB/s");
        assert_eq!(latency(850), "850 ns");
        assert_eq!(latency(7800), "7.80 us");
        assert_eq!(latency(12_340), "12.3 us");
        assert_eq!(latency(123_400), "123 us");
        assert_eq!(latency(1_234_000), "1.23 ms");
        assert_eq!(latency(4_294_967_295), "4.29 s");
        assert_eq!(size(64), "64");
        assert_eq!(size(1024), "1K");
        assert_eq!(size(4 << 20), "4M");
        assert_eq!(size(1536), "1536");
        assert_eq!(size(3 << 19), "1536K");
    }

    #[test]
    fn the_table() {
        let t = table(&sample_report().points);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[0],
            "row         cpu  ch  size  copies/s median (min-max)       MB/s      p50      p99  mode"
        );
        assert_eq!(
            lines[1],
            "auto          1   1   64K  1.10k/s (1.00k-1.20k)      72.1 MB/s   850 ns  1.70 us  dma 25%"
        );
        assert_eq!(
            lines[2],
            "null          0   1     -  560k/s (560k-560k)                 -  1.70 us  2.50 us"
        );
        assert_eq!(
            lines[3],
            "channels      -   2    4K  -                                  -        -        -  \
             error: copy failed: ETIMEDOUT (Connection timed out)"
        );
        assert!(
            lines[4].starts_with("batch x256    0   1    4K  256k/s (256k-256k)"),
            "{}",
            lines[4]
        );
    }
}
