// SPDX-License-Identifier: GPL-2.0

//! Command-line parsing: the commands, their options, and the number formats.

use crate::bench::Row;
use core::time::Duration;
use dmacopy::Mode;

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `help`, `--help`, `-h`, or `--help` after a command.
    Help,
    /// `info`.
    Info(InfoOpts),
    /// `copy`.
    Copy(CopyOpts),
    /// `stats`.
    Stats(StatsOpts),
    /// `bench`.
    Bench(BenchOpts),
}

/// Options of `info`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InfoOpts {
    /// `-d N`: this node only.
    pub device: Option<u32>,
    /// `--json`.
    pub json: bool,
}

/// Options of `stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsOpts {
    /// `-d N`: this node only.
    pub device: Option<u32>,
}

/// Options of `copy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyOpts {
    /// `-d N` (default 0).
    pub device: u32,
    /// `--mode` (default dma).
    pub mode: Mode,
    /// `--len` (default: 1 MiB, or what fits the buffers).
    pub len: Option<u64>,
    /// `--src-off`.
    pub src_off: u64,
    /// `--dst-off`.
    pub dst_off: u64,
    /// `--timeout-ms` (0: the module's default).
    pub timeout_ms: u64,
    /// `--iterations` (at least 1).
    pub iterations: u64,
    /// `--seed`.
    pub seed: u64,
    /// `-q`: no line per copy, only the summary.
    pub quiet: bool,
    /// `--user`: `DMACOPY_IOC_COPY_USER` between two buffers of the CLI's own memory.
    pub user: bool,
    /// `--batch N`: N copies in one `DMACOPY_IOC_COPY_BATCH`.
    pub batch: Option<u32>,
}

impl Default for CopyOpts {
    fn default() -> CopyOpts {
        CopyOpts {
            device: 0,
            mode: Mode::Dma,
            len: None,
            src_off: 0,
            dst_off: 0,
            timeout_ms: 0,
            iterations: 1,
            seed: DEFAULT_SEED,
            quiet: false,
            user: false,
            batch: None,
        }
    }
}

/// Options of `bench`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchOpts {
    /// `-d N`: the node of the single-node rows (default 0).
    pub device: u32,
    /// `--sizes`: bytes per copy, increasing, no duplicates.
    pub sizes: Vec<u64>,
    /// `--secs`: the least length of each timed loop.
    pub secs: Duration,
    /// `--repeats`: timed runs of each point.
    pub repeats: u32,
    /// `--cpus`: the CPUs to pin the caller to, increasing; `None`: every CPU this process
    /// may run on.
    pub cpus: Option<Vec<u32>>,
    /// `--channels`: how many nodes copy at once in the `channels` rows, increasing.
    pub channels: Vec<u32>,
    /// `--rows`: what to measure, in [`Row::ALL`] order.
    pub rows: Vec<Row>,
    /// `--user-sizes`: bytes per copy of the `user`, `bounce` and `user-memcpy` rows.
    pub user_sizes: Vec<u64>,
    /// `--batch-entries`: copies per `COPY_BATCH` in the `batch` and `single` rows.
    pub batch_entries: Vec<u32>,
    /// `--batch-sizes`: bytes per copy of the `batch` and `single` rows.
    pub batch_sizes: Vec<u64>,
    /// `--json`: the JSON document on standard output instead of the table.
    pub json: bool,
    /// `--out FILE`: the JSON document to this file (the table still goes to standard output).
    pub out: Option<String>,
    /// `-q`: no live progress line; a line per finished point instead.
    pub quiet: bool,
}

/// `--sizes` when none is given.
pub const DEFAULT_SIZES: [u64; 9] = [
    64,
    256,
    1 << 10,
    4 << 10,
    16 << 10,
    64 << 10,
    256 << 10,
    1 << 20,
    4 << 20,
];

/// `--user-sizes` when none is given: 4 KiB to 64 MiB.
pub const DEFAULT_USER_SIZES: [u64; 8] = [
    4 << 10,
    16 << 10,
    64 << 10,
    256 << 10,
    1 << 20,
    4 << 20,
    16 << 20,
    64 << 20,
];

/// `--batch-entries` when none is given.
pub const DEFAULT_BATCH_ENTRIES: [u32; 3] = [1, 16, 256];

/// `--batch-sizes` when none is given.
pub const DEFAULT_BATCH_SIZES: [u64; 3] = [64, 4 << 10, 64 << 10];

/// `--channels` when none is given.
pub const DEFAULT_CHANNELS: [u32; 4] = [1, 2, 4, 8];

/// `--secs` when none is given.
pub const DEFAULT_SECS: Duration = Duration::from_secs(1);

/// `--repeats` when none is given.
pub const DEFAULT_REPEATS: u32 = 3;

/// The longest `--secs`: an hour per timed loop is more than any measurement needs.
pub const MAX_SECS: f64 = 3600.0;

/// The most `--repeats`.
pub const MAX_REPEATS: u32 = 1000;

/// The most threads (and nodes) a `channels` row may use.
pub const MAX_CHANNELS: u32 = 1024;

/// The most entries in a list option.
pub const MAX_LIST: usize = 256;

impl Default for BenchOpts {
    fn default() -> BenchOpts {
        BenchOpts {
            device: 0,
            sizes: DEFAULT_SIZES.to_vec(),
            secs: DEFAULT_SECS,
            repeats: DEFAULT_REPEATS,
            cpus: None,
            channels: DEFAULT_CHANNELS.to_vec(),
            rows: Row::ALL.to_vec(),
            user_sizes: DEFAULT_USER_SIZES.to_vec(),
            batch_entries: DEFAULT_BATCH_ENTRIES.to_vec(),
            batch_sizes: DEFAULT_BATCH_SIZES.to_vec(),
            json: false,
            out: None,
            quiet: false,
        }
    }
}

/// `--len` when none is given, if the buffers are that large.
pub const DEFAULT_LEN: u64 = 1 << 20;

/// `--seed` when none is given.
pub const DEFAULT_SEED: u64 = 1;

/// A usage error: what is wrong with the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

type Result<T> = core::result::Result<T, UsageError>;

fn usage<T>(msg: impl Into<String>) -> Result<T> {
    Err(UsageError(msg.into()))
}

/// Why a string is not a number.
enum NumberError {
    /// Not digits in the expected form.
    Invalid,
    /// Digits, but more than 64 bits' worth.
    TooLarge,
}

/// The digits of `s` as a number: `0x` hex or decimal, nothing else (no sign, no spaces).
fn parse_digits(s: &str) -> core::result::Result<u64, NumberError> {
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(NumberError::Invalid);
    }
    u64::from_str_radix(digits, radix).map_err(|_| NumberError::TooLarge)
}

/// A count or number: decimal or `0x` hex.
pub fn parse_number(s: &str) -> core::result::Result<u64, String> {
    parse_digits(s).map_err(|e| match e {
        NumberError::Invalid => format!("'{s}' is not a number (decimal, or hex with 0x)"),
        NumberError::TooLarge => format!("'{s}' is too large"),
    })
}

/// A byte count: decimal or `0x` hex, optionally followed by `K` (KiB) or `M` (MiB), in either
/// case, or `KiB` / `MiB`: `4096`, `0x1000`, `4K`, `1M`, `0x10K`.
pub fn parse_size(s: &str) -> core::result::Result<u64, String> {
    let suffixes: [(&str, u64); 6] = [
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("K", 1 << 10),
        ("k", 1 << 10),
        ("M", 1 << 20),
        ("m", 1 << 20),
    ];
    let (digits, unit) = suffixes
        .iter()
        .find_map(|&(suffix, unit)| s.strip_suffix(suffix).map(|d| (d, unit)))
        .unwrap_or((s, 1));
    let n = parse_digits(digits).map_err(|e| match e {
        NumberError::Invalid => {
            format!("'{s}' is not a size (a number, decimal or 0x hex, with an optional K or M)")
        }
        NumberError::TooLarge => format!("'{s}' is too large"),
    })?;
    n.checked_mul(unit)
        .ok_or_else(|| format!("'{s}' is too large"))
}

/// The comma-separated items of `s`, each through `item`; an error names the item. Empty
/// items (`1,,2`, a trailing comma) and lists longer than [`MAX_LIST`] are refused.
fn parse_list<T>(
    s: &str,
    item: impl Fn(&str) -> core::result::Result<Vec<T>, String>,
) -> core::result::Result<Vec<T>, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        if part.is_empty() {
            return Err(format!("'{s}' has an empty item"));
        }
        out.extend(item(part)?);
        if out.len() > MAX_LIST {
            return Err(format!("'{s}' has more than {MAX_LIST} items"));
        }
    }
    Ok(out)
}

/// Sorted, without duplicates.
fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort_unstable();
    v.dedup();
    v
}

/// A list of sizes, as [`parse_size`] reads them: `64,256,1K,4M`. Sorted, without
/// duplicates; 0 is refused.
pub fn parse_size_list(s: &str) -> core::result::Result<Vec<u64>, String> {
    let sizes = parse_list(s, |item| match parse_size(item)? {
        0 => Err("a size must be at least 1".to_owned()),
        n => Ok(vec![n]),
    })?;
    Ok(sorted(sizes))
}

/// A list of CPUs, as `taskset -c` reads them: `0,1`, `0-3`, `0-3,6`. Sorted, without
/// duplicates; every CPU below `limit`.
pub fn parse_cpu_list(s: &str, limit: u32) -> core::result::Result<Vec<u32>, String> {
    let cpu = |t: &str| {
        parse_number(t).and_then(|n| {
            u32::try_from(n)
                .ok()
                .filter(|&n| n < limit)
                .ok_or_else(|| format!("CPU {t} is not below {limit}"))
        })
    };
    let cpus = parse_list(s, |item| match item.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (cpu(a)?, cpu(b)?);
            if a > b {
                return Err(format!("'{item}' is an empty range"));
            }
            if (b - a) as usize >= MAX_LIST {
                return Err(format!("'{item}' has more than {MAX_LIST} CPUs"));
            }
            Ok((a..=b).collect())
        }
        None => Ok(vec![cpu(item)?]),
    })?;
    Ok(sorted(cpus))
}

/// A list of channel counts: `1,2,4,8`, each `1..=MAX_CHANNELS`. Sorted, without duplicates.
pub fn parse_channel_list(s: &str) -> core::result::Result<Vec<u32>, String> {
    let counts = parse_list(s, |item| {
        parse_number(item).and_then(|n| {
            u32::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_CHANNELS).contains(n))
                .map(|n| vec![n])
                .ok_or_else(|| format!("channel count {item} is not 1 to {MAX_CHANNELS}"))
        })
    })?;
    Ok(sorted(counts))
}

/// A list of sizes for `COPY_USER`: as [`parse_size_list`], each at most 1 GiB.
pub fn parse_user_size_list(s: &str) -> core::result::Result<Vec<u64>, String> {
    let sizes = parse_size_list(s)?;
    match sizes.iter().find(|&&n| n > dmacopy::COPY_USER_MAX_LEN) {
        Some(n) => Err(format!(
            "{n} is above what one COPY_USER copies ({}, 1 GiB)",
            dmacopy::COPY_USER_MAX_LEN
        )),
        None => Ok(sizes),
    }
}

/// A list of batch lengths: `1,16,256`, each 1 to `DMACOPY_BATCH_MAX`. Sorted, without
/// duplicates.
pub fn parse_entries_list(s: &str) -> core::result::Result<Vec<u32>, String> {
    let counts = parse_list(s, |item| {
        parse_number(item).and_then(|n| {
            u32::try_from(n)
                .ok()
                .filter(|n| (1..=dmacopy::BATCH_MAX).contains(n))
                .map(|n| vec![n])
                .ok_or_else(|| format!("{item} is not 1 to {} entries", dmacopy::BATCH_MAX))
        })
    })?;
    Ok(sorted(counts))
}

/// A list of rows by name: `dma,cpu,null`. In [`Row::ALL`] order, without duplicates.
pub fn parse_row_list(s: &str) -> core::result::Result<Vec<Row>, String> {
    let rows = parse_list(s, |item| item.parse::<Row>().map(|r| vec![r]))?;
    Ok(sorted(rows))
}

/// Seconds: decimal, with an optional fraction (`1`, `0.5`, `.25`), above 0 and at most
/// [`MAX_SECS`].
pub fn parse_secs(s: &str) -> core::result::Result<Duration, String> {
    let digits_ok = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.chars().filter(|&c| c == '.').count() <= 1
        && s.chars().any(|c| c.is_ascii_digit());
    let secs: f64 = if digits_ok {
        s.parse()
            .map_err(|_| format!("'{s}' is not a number of seconds"))?
    } else {
        return Err(format!("'{s}' is not a number of seconds (e.g. 1, 0.5)"));
    };
    if !(secs > 0.0 && secs <= MAX_SECS) {
        return Err(format!(
            "'{s}' is not above 0 and at most {MAX_SECS} seconds"
        ));
    }
    // The checks above keep this in range: no panic.
    Ok(Duration::from_secs_f64(secs))
}

/// The command-line arguments after the program name, one at a time, with the values of
/// options in either form, `--len 4K` or `--len=4K` (and `-d3` for short ones).
struct Args<I: Iterator<Item = String>> {
    args: I,
}

/// One option and its value, if it came attached (`--len=4K`, `-d3`).
struct Opt {
    name: String,
    attached: Option<String>,
}

impl<I: Iterator<Item = String>> Args<I> {
    fn next_opt(&mut self) -> Result<Option<Opt>> {
        let Some(arg) = self.args.next() else {
            return Ok(None);
        };
        if let Some((name, value)) = arg.split_once('=').filter(|_| arg.starts_with("--")) {
            return Ok(Some(Opt {
                name: name.to_owned(),
                attached: Some(value.to_owned()),
            }));
        }
        if arg.len() > 2 && arg.starts_with('-') && !arg.starts_with("--") {
            // `-d3`: a short option with its value attached.
            let (name, value) = arg.split_at(2);
            return Ok(Some(Opt {
                name: name.to_owned(),
                attached: Some(value.to_owned()),
            }));
        }
        if !arg.starts_with('-') || arg == "-" {
            return usage(format!("unexpected argument '{arg}'"));
        }
        Ok(Some(Opt {
            name: arg,
            attached: None,
        }))
    }

    /// The value of `opt`: attached, or the next argument.
    fn value(&mut self, opt: &mut Opt) -> Result<String> {
        match opt.attached.take().or_else(|| self.args.next()) {
            Some(v) => Ok(v),
            None => usage(format!("{} needs a value", opt.name)),
        }
    }

    fn number(&mut self, opt: &mut Opt) -> Result<u64> {
        let v = self.value(opt)?;
        parse_number(&v).map_err(|e| UsageError(format!("{}: {e}", opt.name)))
    }

    fn size(&mut self, opt: &mut Opt) -> Result<u64> {
        let v = self.value(opt)?;
        parse_size(&v).map_err(|e| UsageError(format!("{}: {e}", opt.name)))
    }

    /// The value of `opt` through `parse`, with the option's name in an error.
    fn parsed<T>(
        &mut self,
        opt: &mut Opt,
        parse: impl FnOnce(&str) -> core::result::Result<T, String>,
    ) -> Result<T> {
        let v = self.value(opt)?;
        parse(&v).map_err(|e| UsageError(format!("{}: {e}", opt.name)))
    }

    fn device(&mut self, opt: &mut Opt) -> Result<u32> {
        let v = self.value(opt)?;
        parse_number(&v)
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                UsageError(format!(
                    "{}: '{v}' is not a device number (N of /dev/dmacopyN)",
                    opt.name
                ))
            })
    }
}

/// `opt` takes no value: fails if one was attached.
fn flag(opt: &Opt) -> Result<()> {
    match &opt.attached {
        Some(v) => usage(format!("{} takes no value (got '{v}')", opt.name)),
        None => Ok(()),
    }
}

/// What to do with an option that no command-specific arm took.
fn unknown<T>(command: &str, opt: &Opt) -> Result<T> {
    usage(format!("{command}: unknown option '{}'", opt.name))
}

fn is_help(opt: &Opt) -> bool {
    opt.name == "-h" || opt.name == "--help"
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return usage("no command given");
    };
    let mut args = Args { args };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "info" => parse_info(&mut args),
        "copy" => parse_copy(&mut args),
        "stats" => parse_stats(&mut args),
        "bench" => parse_bench(&mut args),
        other if other.starts_with('-') => usage(format!("expected a command before '{other}'")),
        other => usage(format!("unknown command '{other}'")),
    }
}

fn parse_info(args: &mut Args<impl Iterator<Item = String>>) -> Result<Command> {
    let mut o = InfoOpts::default();
    while let Some(mut opt) = args.next_opt()? {
        match opt.name.as_str() {
            _ if is_help(&opt) => return Ok(Command::Help),
            "-d" | "--device" => o.device = Some(args.device(&mut opt)?),
            "--json" => {
                flag(&opt)?;
                o.json = true;
            }
            _ => return unknown("info", &opt),
        }
    }
    Ok(Command::Info(o))
}

fn parse_stats(args: &mut Args<impl Iterator<Item = String>>) -> Result<Command> {
    let mut o = StatsOpts::default();
    while let Some(mut opt) = args.next_opt()? {
        match opt.name.as_str() {
            _ if is_help(&opt) => return Ok(Command::Help),
            "-d" | "--device" => o.device = Some(args.device(&mut opt)?),
            _ => return unknown("stats", &opt),
        }
    }
    Ok(Command::Stats(o))
}

fn parse_copy(args: &mut Args<impl Iterator<Item = String>>) -> Result<Command> {
    let mut o = CopyOpts::default();
    while let Some(mut opt) = args.next_opt()? {
        match opt.name.as_str() {
            _ if is_help(&opt) => return Ok(Command::Help),
            "-d" | "--device" => o.device = args.device(&mut opt)?,
            "-m" | "--mode" => {
                let v = args.value(&mut opt)?;
                o.mode = v
                    .parse()
                    .map_err(|e| UsageError(format!("{}: {e}", opt.name)))?;
            }
            "-l" | "--len" => o.len = Some(args.size(&mut opt)?),
            "--src-off" => o.src_off = args.size(&mut opt)?,
            "--dst-off" => o.dst_off = args.size(&mut opt)?,
            "--timeout-ms" => o.timeout_ms = args.number(&mut opt)?,
            "-n" | "--iterations" => o.iterations = args.number(&mut opt)?,
            "--seed" => o.seed = args.number(&mut opt)?,
            "-q" | "--quiet" => {
                flag(&opt)?;
                o.quiet = true;
            }
            "--user" => {
                flag(&opt)?;
                o.user = true;
            }
            "--batch" => {
                o.batch = Some(args.parsed(&mut opt, |v| {
                    parse_number(v).and_then(|n| {
                        u32::try_from(n)
                            .ok()
                            .filter(|n| (1..=dmacopy::BATCH_MAX).contains(n))
                            .ok_or_else(|| {
                                format!("'{v}' is not 1 to {} copies", dmacopy::BATCH_MAX)
                            })
                    })
                })?);
            }
            _ => return unknown("copy", &opt),
        }
    }
    if o.len == Some(0) {
        return usage("--len must be at least 1");
    }
    if o.user && o.batch.is_some() {
        return usage("--user and --batch do not go together (COPY_USER copies one range)");
    }
    if let Some(len) = o.len.filter(|&l| o.user && l > dmacopy::COPY_USER_MAX_LEN) {
        return usage(format!(
            "--len {len} is above what one COPY_USER copies ({} bytes, 1 GiB)",
            dmacopy::COPY_USER_MAX_LEN
        ));
    }
    if o.user && o.src_off.max(o.dst_off) > dmacopy::COPY_USER_MAX_LEN {
        return usage(format!(
            "with --user, --src-off and --dst-off are at most {} (1 GiB)",
            dmacopy::COPY_USER_MAX_LEN
        ));
    }
    if o.iterations == 0 {
        return usage("--iterations must be at least 1");
    }
    if o.timeout_ms.checked_mul(1_000_000).is_none() {
        return usage(format!("--timeout-ms {} is too large", o.timeout_ms));
    }
    Ok(Command::Copy(o))
}

fn parse_bench(args: &mut Args<impl Iterator<Item = String>>) -> Result<Command> {
    let mut o = BenchOpts::default();
    while let Some(mut opt) = args.next_opt()? {
        match opt.name.as_str() {
            _ if is_help(&opt) => return Ok(Command::Help),
            "-d" | "--device" => o.device = args.device(&mut opt)?,
            "--sizes" => o.sizes = args.parsed(&mut opt, parse_size_list)?,
            "--secs" => o.secs = args.parsed(&mut opt, parse_secs)?,
            "--repeats" => {
                o.repeats = args.parsed(&mut opt, |v| {
                    parse_number(v).and_then(|n| {
                        u32::try_from(n)
                            .ok()
                            .filter(|n| (1..=MAX_REPEATS).contains(n))
                            .ok_or_else(|| format!("'{v}' is not 1 to {MAX_REPEATS}"))
                    })
                })?;
            }
            "--cpus" => {
                let limit = crate::bench::cpu::MAX_CPUS;
                o.cpus = Some(args.parsed(&mut opt, |v| parse_cpu_list(v, limit))?);
            }
            "--channels" => o.channels = args.parsed(&mut opt, parse_channel_list)?,
            "--rows" => o.rows = args.parsed(&mut opt, parse_row_list)?,
            "--user-sizes" => o.user_sizes = args.parsed(&mut opt, parse_user_size_list)?,
            "--batch-entries" => o.batch_entries = args.parsed(&mut opt, parse_entries_list)?,
            "--batch-sizes" => o.batch_sizes = args.parsed(&mut opt, parse_size_list)?,
            "--json" => {
                flag(&opt)?;
                o.json = true;
            }
            "-o" | "--out" => {
                let v = args.value(&mut opt)?;
                if v.is_empty() {
                    return usage(format!("{}: the file name is empty", opt.name));
                }
                o.out = Some(v);
            }
            "-q" | "--quiet" => {
                flag(&opt)?;
                o.quiet = true;
            }
            _ => return unknown("bench", &opt),
        }
    }
    Ok(Command::Bench(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("0x1000"), Ok(4096));
        assert_eq!(parse_size("0X1f"), Ok(31));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("3m"), Ok(3 << 20));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("0x10K"), Ok(16 << 10));
        assert_eq!(parse_size("0xbM"), Ok(11 << 20));
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        // 0xB is a hex digit, not a suffix.
        assert_eq!(parse_size("0x1B"), Ok(27));
    }

    #[test]
    fn bad_sizes() {
        for bad in [
            "", "K", "M", "0x", "0xK", "-1", "+1", " 1", "1 ", "1.5M", "1G", "1KK", "1MK", "4kib",
            "0x1g", "ten", "1e3", "0b101", "1_000",
        ] {
            assert!(parse_size(bad).is_err(), "'{bad}' was accepted");
        }
        // Overflow, in the digits and in the multiplication.
        assert!(parse_size("18446744073709551616").is_err());
        assert!(parse_size("0x10000000000000000").is_err());
        assert!(parse_size("17592186044416M").is_err());
        assert_eq!(parse_size("17592186044415M"), Ok(17_592_186_044_415 << 20));
        let msg = parse_size("1G").unwrap_err();
        assert!(msg.contains("'1G'"), "{msg}");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Ok(10));
        assert_eq!(parse_number("0xff"), Ok(255));
        assert!(parse_number("1K").is_err());
        assert!(parse_number("").is_err());
        assert!(parse_number("-3").is_err());
    }

    #[test]
    fn commands() {
        assert_eq!(parse_str("help"), Ok(Command::Help));
        assert_eq!(parse_str("--help"), Ok(Command::Help));
        assert_eq!(parse_str("copy --len 4K --help"), Ok(Command::Help));
        assert_eq!(parse_str("info"), Ok(Command::Info(InfoOpts::default())));
        assert_eq!(
            parse_str("info --json -d 2"),
            Ok(Command::Info(InfoOpts {
                device: Some(2),
                json: true
            }))
        );
        assert_eq!(
            parse_str("info --device=3"),
            Ok(Command::Info(InfoOpts {
                device: Some(3),
                json: false
            }))
        );
        assert_eq!(
            parse_str("stats -d1"),
            Ok(Command::Stats(StatsOpts { device: Some(1) }))
        );
        assert_eq!(parse_str("copy"), Ok(Command::Copy(CopyOpts::default())));
    }

    #[test]
    fn copy_options() {
        let cmd = parse_str(
            "copy -d 1 --mode auto --len 64K --src-off 0x100 --dst-off=4K \
             --timeout-ms 50 --iterations 10 --seed 0xdead -q",
        );
        assert_eq!(
            cmd,
            Ok(Command::Copy(CopyOpts {
                device: 1,
                mode: Mode::Auto,
                len: Some(64 << 10),
                src_off: 0x100,
                dst_off: 4096,
                timeout_ms: 50,
                iterations: 10,
                seed: 0xdead,
                quiet: true,
                user: false,
                batch: None,
            }))
        );
        assert!(matches!(
            parse_str("copy --user --len 3 --src-off 1"),
            Ok(Command::Copy(CopyOpts {
                user: true,
                batch: None,
                len: Some(3),
                src_off: 1,
                ..
            }))
        ));
        assert!(matches!(
            parse_str("copy --batch 256 -m cpu"),
            Ok(Command::Copy(CopyOpts {
                user: false,
                batch: Some(256),
                mode: Mode::Cpu,
                ..
            }))
        ));
        assert!(matches!(
            parse_str("copy --batch=0x10"),
            Ok(Command::Copy(CopyOpts {
                batch: Some(16),
                ..
            }))
        ));
        assert!(matches!(
            parse_str("copy --mode CPU"),
            Ok(Command::Copy(CopyOpts {
                mode: Mode::Cpu,
                ..
            }))
        ));
    }

    #[test]
    fn bench_options() {
        assert_eq!(parse_str("bench"), Ok(Command::Bench(BenchOpts::default())));
        assert_eq!(parse_str("bench --sizes 64 -h"), Ok(Command::Help));
        let cmd = parse_str(
            "bench -d 2 --sizes 4K,64,0x100,4k --secs 0.25 --repeats 5 --cpus 1,0 \
             --channels 8,1 --rows null,DMA,dma --json --out /tmp/b.json -q",
        );
        assert_eq!(
            cmd,
            Ok(Command::Bench(BenchOpts {
                device: 2,
                sizes: vec![64, 256, 4096],
                secs: Duration::from_millis(250),
                repeats: 5,
                cpus: Some(vec![0, 1]),
                channels: vec![1, 8],
                rows: vec![Row::Dma, Row::Null],
                user_sizes: DEFAULT_USER_SIZES.to_vec(),
                batch_entries: DEFAULT_BATCH_ENTRIES.to_vec(),
                batch_sizes: DEFAULT_BATCH_SIZES.to_vec(),
                json: true,
                out: Some("/tmp/b.json".to_owned()),
                quiet: true,
            }))
        );
        let Ok(Command::Bench(o)) = parse_str("bench --secs=2 --out=x") else {
            panic!("not a bench command");
        };
        assert_eq!(
            (o.secs, o.out.as_deref()),
            (Duration::from_secs(2), Some("x"))
        );
        let Ok(Command::Bench(o)) =
            parse_str("bench --user-sizes 1M,4K --batch-entries 256,1 --batch-sizes 0x40")
        else {
            panic!("not a bench command");
        };
        assert_eq!(
            (o.user_sizes, o.batch_entries, o.batch_sizes),
            (vec![4096, 1 << 20], vec![1, 256], vec![64])
        );
        assert_eq!(DEFAULT_USER_SIZES[7], 64 << 20);
        assert_eq!(DEFAULT_SIZES.len(), 9);
        assert_eq!(DEFAULT_SIZES[8], 4 << 20);
    }

    #[test]
    fn lists() {
        assert_eq!(parse_size_list("1M,64,1K,64"), Ok(vec![64, 1024, 1 << 20]));
        assert_eq!(parse_size_list("0x40"), Ok(vec![64]));
        assert!(parse_size_list("").is_err());
        let many = vec!["64"; MAX_LIST + 1].join(",");
        assert!(parse_size_list(&many)
            .unwrap_err()
            .contains("more than 256 items"));
        assert_eq!(parse_cpu_list("0,1", 1024), Ok(vec![0, 1]));
        assert_eq!(parse_cpu_list("2-4,0,3", 1024), Ok(vec![0, 2, 3, 4]));
        assert_eq!(parse_cpu_list("5-5", 1024), Ok(vec![5]));
        assert!(parse_cpu_list("0-1023", 1024).is_err());
        assert!(parse_cpu_list("8", 8).is_err());
        assert!(parse_cpu_list("1-2-3", 1024).is_err());
        assert!(parse_cpu_list("-1", 1024).is_err());
        assert_eq!(parse_channel_list("4,2,2,1"), Ok(vec![1, 2, 4]));
        assert_eq!(
            parse_row_list("channels,memcpy,cpu"),
            Ok(vec![Row::Cpu, Row::Memcpy, Row::Channels])
        );
        assert_eq!(parse_secs("1"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_secs(".5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_secs("2."), Ok(Duration::from_secs(2)));
        assert_eq!(parse_secs("3600"), Ok(Duration::from_secs(3600)));
        assert!(parse_secs("0.0").is_err());
        assert!(parse_secs("").is_err());
        assert!(parse_secs("inf").is_err());
    }

    #[test]
    fn usage_errors() {
        for (line, needle) in [
            ("", "no command"),
            ("frobnicate", "unknown command 'frobnicate'"),
            ("--json", "expected a command"),
            ("info --bogus", "info: unknown option '--bogus'"),
            ("info -d", "-d needs a value"),
            ("info -d x", "not a device number"),
            ("info -d 4294967296", "not a device number"),
            ("info --json=yes", "--json takes no value"),
            ("info extra", "unexpected argument 'extra'"),
            ("copy --mode fast", "unknown mode 'fast'"),
            ("copy --len", "--len needs a value"),
            ("copy --len 1G", "--len: '1G' is not a size"),
            ("copy --len 0", "--len must be at least 1"),
            ("copy --iterations 0", "--iterations must be at least 1"),
            ("copy --iterations 1K", "--iterations: '1K' is not a number"),
            ("copy --timeout-ms 18446744073709551", "too large"),
            ("copy --batch 0", "--batch: '0' is not 1 to 256 copies"),
            ("copy --batch 257", "--batch: '257' is not 1 to 256 copies"),
            ("copy --batch", "--batch needs a value"),
            ("copy --batch 4K", "--batch: '4K' is not a number"),
            ("copy --user=1", "--user takes no value"),
            (
                "copy --user --batch 2",
                "--user and --batch do not go together",
            ),
            ("copy --user --len 1025M", "above what one COPY_USER copies"),
            ("copy --user --src-off 2048M", "at most 1073741824"),
            ("stats --json", "stats: unknown option '--json'"),
            ("bench --sizes", "--sizes needs a value"),
            (
                "bench --sizes 64,,1K",
                "--sizes: '64,,1K' has an empty item",
            ),
            ("bench --sizes 64,", "has an empty item"),
            ("bench --sizes 0,64", "--sizes: a size must be at least 1"),
            ("bench --sizes 1G", "--sizes: '1G' is not a size"),
            ("bench --secs 0", "--secs: '0' is not above 0"),
            ("bench --secs 3601", "at most 3600 seconds"),
            ("bench --secs -1", "not a number of seconds"),
            ("bench --secs 1e3", "not a number of seconds"),
            ("bench --secs nan", "not a number of seconds"),
            ("bench --secs 1.2.3", "not a number of seconds"),
            ("bench --secs .", "not a number of seconds"),
            ("bench --repeats 0", "--repeats: '0' is not 1 to 1000"),
            ("bench --repeats 1001", "is not 1 to 1000"),
            ("bench --cpus 3-1", "--cpus: '3-1' is an empty range"),
            ("bench --cpus 0-", "--cpus: '' is not a number"),
            ("bench --cpus 99999", "CPU 99999 is not below"),
            (
                "bench --channels 0",
                "--channels: channel count 0 is not 1 to 1024",
            ),
            ("bench --channels 1,2048", "channel count 2048"),
            ("bench --rows dma,dmatest", "--rows: unknown row 'dmatest'"),
            (
                "bench --user-sizes 1025M",
                "--user-sizes: 1074790400 is above what one COPY_USER",
            ),
            ("bench --user-sizes 0", "a size must be at least 1"),
            (
                "bench --batch-entries 0",
                "--batch-entries: 0 is not 1 to 256 entries",
            ),
            (
                "bench --batch-entries 16,257",
                "257 is not 1 to 256 entries",
            ),
            (
                "bench --batch-sizes 64,",
                "--batch-sizes: '64,' has an empty item",
            ),
            ("bench --out", "--out needs a value"),
            ("bench --out=", "--out: the file name is empty"),
            ("bench -q=1", "-q takes no value"),
            ("bench --mode dma", "bench: unknown option '--mode'"),
        ] {
            match parse_str(line) {
                Err(UsageError(msg)) => assert!(msg.contains(needle), "{line}: {msg}"),
                Ok(cmd) => panic!("{line}: accepted as {cmd:?}"),
            }
        }
    }
}
