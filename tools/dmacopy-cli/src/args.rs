// SPDX-License-Identifier: GPL-2.0

//! Command-line definitions (clap derive): the commands, their options, and the number formats.
//! The completions and the man page come from the same definitions (`dmacopy generate`).

use crate::bench::Row;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use core::time::Duration;
use dmacopy::Mode;

/// What `--help` shows after the options of every command.
const AFTER_HELP: &str = "\
BYTES and N are decimal or 0x hex; BYTES may end in K (KiB) or M (MiB): 4096, 0x1000, 64K, 1M. \
LIST is comma-separated. copy reports times measured in the kernel; bench times each call as the \
caller sees it (CLOCK_MONOTONIC). 1 MB/s is 10^6 bytes per second.

Exit status: 0 success; 1 failure (no device, ioctl error, wrong bytes after a copy; bench prints \
its table first); 2 usage error (also when the sizes do not fit the device's buffers).";

/// What `--help` shows after the options of `claim` and `release`.
const CLAIM_AFTER_HELP: &str = "\
DEVICE: a platform device name (ffa80000.dma), a register address (0xffa80000 or ffa80000) or a \
dmacopy node (dmacopy3, /dev/dmacopy3).

Exit status: 0 every device is where it was asked to be; otherwise that of the first failure: 1 a \
sysfs write or bind failed; 2 usage error; 3 no such device; 4 not a DMA channel dmacopy can \
drive; 5 busy (claim: a dmaengine client holds the channel; release: a process has its node \
open); 6 the driver to bind to is not loaded; 7 permission denied (not root); 8 release of a \
device that another driver has.";

/// Copy memory with the DMA channels of the dmacopy kernel module.
///
/// Inspect, exercise and benchmark /dev/dmacopyN, watch the driver's counters, and claim DMA
/// channels for dmacopy from their upstream driver. The interface it uses is documented in
/// Documentation/userspace-api/dmacopy.rst in dmacopy's source tree.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "dmacopy",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    subcommand_required = true,
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// What each /dev/dmacopyN drives, one row per channel.
    #[command(after_long_help = AFTER_HELP)]
    Info(InfoOpts),
    /// Fill SRC with a pseudo-random pattern and DST with a fixed one, copy, check, report.
    ///
    /// Fill SRC with a pseudo-random pattern and DST with a fixed one, copy, check DST, the rest
    /// of DST and SRC, and report the time and rate. --user: the same between two buffers of
    /// this process's own memory (DMACOPY_IOC_COPY_USER; --src-off and --dst-off are offsets
    /// into them, any alignment). --batch N: N copies of --len bytes (default 4K, or what fits)
    /// in one DMACOPY_IOC_COPY_BATCH, entry i from SRC slot i to DST slot N-1-i. Both need the
    /// driver to set copy_user / batch in caps (see info), else they fail saying so.
    #[command(after_long_help = AFTER_HELP)]
    Copy(CopyOpts),
    /// The driver's counters from debugfs (root only), or their rates with --watch.
    ///
    /// The driver's counters from debugfs (/sys/kernel/debug/dmacopy/dmacopyN/stats, root
    /// only). --watch: per channel copies/s, MB/s, errors/s and interrupts/s from the counters'
    /// changes, refreshed every --interval seconds until interrupted (SIGINT, SIGTERM: exit 0)
    /// or --count refreshes; on a terminal the table is redrawn in place.
    #[command(after_long_help = AFTER_HELP)]
    Stats(StatsOpts),
    /// Copies/s, MB/s and per-call latency (p50, p99) of each copy mode.
    ///
    /// Copies/s, MB/s and per-call latency (p50, p99) of each copy mode, from each CPU, against
    /// memcpy and the null ioctl (INFO), and with several channels at once; every size is
    /// checked in every mode first. A table, or JSON (dmacopy-bench/1).
    ///
    /// Each point: a warm-up of 0.1 s or 100 calls, then a timed loop; the dma, cpu and auto
    /// points of one size and CPU run side by side, their calls alternating in slices of about
    /// 20 ms until each has had its time, so that their ratios hold on a busy machine.
    #[command(after_long_help = AFTER_HELP)]
    Bench(BenchOpts),
    /// Give DMA channels to dmacopy (driver_override and bind), leaving other channels alone.
    ///
    /// Give DMA channels to dmacopy on a running system: each DEVICE is unbound from the
    /// driver that has it (e.g. zynqmp_dma) and bound to dmacopy through the kernel's
    /// driver_override; the other channels stay where they are. Root only.
    #[command(after_long_help = CLAIM_AFTER_HELP)]
    Claim(ClaimOpts),
    /// Give DMA channels back from dmacopy to the driver they came from, or to --to DRIVER.
    ///
    /// Give DMA channels back from dmacopy: each DEVICE is unbound from dmacopy and bound to
    /// --to DRIVER, else to the driver claim took it from, else to its upstream driver
    /// (xilinx-zynqmp-dma, bcm2835-dma) if that is loaded, else left unbound. Refused while a
    /// process has one of its nodes open. Root only.
    #[command(after_long_help = CLAIM_AFTER_HELP)]
    Release(ReleaseOpts),
    /// Shell completions or the man page, from these definitions (for packaging).
    #[command(hide = true)]
    Generate(GenerateOpts),
}

/// Options of `info`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args)]
pub struct InfoOpts {
    /// /dev/dmacopyN only (default: every node).
    #[arg(short, long, value_name = "N", value_parser = parse_device)]
    pub device: Option<u32>,
    /// A JSON array of one object per node instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `stats`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct StatsOpts {
    /// /dev/dmacopyN only (default: every node).
    #[arg(short, long, value_name = "N", value_parser = parse_device)]
    pub device: Option<u32>,
    /// JSON: an array of {node, path, counters} (with --watch: one object per line per refresh).
    #[arg(long)]
    pub json: bool,
    /// Rates per channel, refreshed until interrupted.
    #[arg(short, long)]
    pub watch: bool,
    /// Seconds between refreshes of --watch (e.g. 0.5).
    #[arg(short, long, value_name = "S", default_value = "1", value_parser = parse_secs,
          allow_negative_numbers = true, requires = "watch")]
    pub interval: Duration,
    /// Stop --watch after N refreshes (default: until interrupted).
    #[arg(short = 'c', long, value_name = "N", value_parser = parse_count, requires = "watch")]
    pub count: Option<u64>,
}

impl Default for StatsOpts {
    fn default() -> StatsOpts {
        StatsOpts {
            device: None,
            json: false,
            watch: false,
            interval: DEFAULT_SECS,
            count: None,
        }
    }
}

/// Options of `copy`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct CopyOpts {
    /// /dev/dmacopyN.
    #[arg(short, long, value_name = "N", default_value = "0", value_parser = parse_device)]
    pub device: u32,
    /// dma, cpu, or auto (the driver picks by auto_threshold).
    #[arg(short, long, value_name = "MODE", default_value = "dma", ignore_case = true,
          value_parser = mode_parser())]
    pub mode: Mode,
    /// Bytes to copy (default 1M, or as much as fits the buffers; with --batch 4K, or what fits).
    #[arg(short, long, value_name = "BYTES", value_parser = parse_len)]
    pub len: Option<u64>,
    /// Offset into SRC.
    #[arg(long, value_name = "BYTES", default_value = "0", value_parser = parse_size)]
    pub src_off: u64,
    /// Offset into DST.
    #[arg(long, value_name = "BYTES", default_value = "0", value_parser = parse_size)]
    pub dst_off: u64,
    /// Time limit of each copy (0: the module's timeout_ms).
    #[arg(long, value_name = "MS", default_value = "0", value_parser = parse_timeout_ms)]
    pub timeout_ms: u64,
    /// Copies to run; above 1, min/avg/max follow.
    #[arg(short = 'n', long, value_name = "N", default_value = "1", value_parser = parse_count)]
    pub iterations: u64,
    /// Seed of the SRC pattern.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_number)]
    pub seed: u64,
    /// No line per copy, only the summary and errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// DMACOPY_IOC_COPY_USER between two buffers of this process (--len up to 1024M).
    #[arg(long)]
    pub user: bool,
    /// N copies (1 to 256) in one DMACOPY_IOC_COPY_BATCH.
    #[arg(long, value_name = "N", value_parser = parse_batch, conflicts_with = "user")]
    pub batch: Option<u32>,
    /// One JSON document with every copy and the summary instead of the lines.
    #[arg(long)]
    pub json: bool,
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
            json: false,
        }
    }
}

/// Options of `bench`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct BenchOpts {
    /// The node of the single-node rows.
    #[arg(short, long, value_name = "N", default_value = "0", value_parser = parse_device)]
    pub device: u32,
    /// Bytes per copy; sizes the node cannot copy (above max_len, or not a multiple of align)
    /// are skipped.
    #[arg(long, value_name = "LIST", default_value = "64,256,1K,4K,16K,64K,256K,1M,4M",
          value_parser = parse_size_list)]
    pub sizes: ::std::vec::Vec<u64>,
    /// Least length of each timed loop, in seconds (e.g. 0.5).
    #[arg(long, value_name = "S", default_value = "1", value_parser = parse_secs,
          allow_negative_numbers = true)]
    pub secs: Duration,
    /// Timed runs of every point, interleaved.
    #[arg(long, value_name = "N", default_value = "3", value_parser = parse_repeats)]
    pub repeats: u32,
    /// CPUs to pin the caller to, e.g. 0,1 or 0-3 (default: every CPU the process may run on).
    #[arg(long, value_name = "LIST", value_parser = parse_cpus)]
    pub cpus: Option<::std::vec::Vec<u32>>,
    /// Nodes copying at once in the channels rows (counts above the number of nodes are
    /// skipped); thread i uses the i-th node and the i-th CPU of --cpus, round robin.
    #[arg(long, value_name = "LIST", default_value = "1,2,4,8", value_parser = parse_channel_list)]
    pub channels: ::std::vec::Vec<u32>,
    /// What to measure (default all): dma, cpu, auto (DMACOPY_IOC_COPY in that mode), memcpy
    /// (user space), null (DMACOPY_IOC_INFO), channels; user (DMACOPY_IOC_COPY_USER, dma mode,
    /// between two heap buffers), bounce (the same bytes by pwrite to SRC, COPY in dma mode,
    /// pread from DST; above buf_size in pieces of buf_size rounded down to align, one after
    /// the other, the last one's COPY rounded up to align), user-memcpy (memcpy between two heap buffers), user-huge and
    /// bounce-huge (user and bounce with both buffers on transparent huge pages: mapped
    /// 2M-aligned, madvise(MADV_HUGEPAGE), written, checked in /proc/self/smaps), side by side
    /// at each of --user-sizes; batch (one DMACOPY_IOC_COPY_BATCH of N dma copies) and single
    /// (the same N copies, one COPY each), side by side; copies/s counts copies. Rows the driver
    /// cannot run (caps) and the huge rows without transparent huge pages (or whose buffers did not get them) are listed as not measured,
    /// with the reason.
    #[arg(long, value_name = "LIST", default_value = ALL_ROWS, hide_default_value = true,
          value_parser = parse_row_list)]
    pub rows: ::std::vec::Vec<Row>,
    /// Bytes per copy of user, bounce, user-memcpy, user-huge, bounce-huge (at most 1024M).
    #[arg(long, value_name = "LIST", default_value = "4K,16K,64K,256K,1M,4M,16M,64M",
          value_parser = parse_user_size_list)]
    pub user_sizes: ::std::vec::Vec<u64>,
    /// Copies per batch of batch and single (at most 256).
    #[arg(long, value_name = "LIST", default_value = "1,16,256", value_parser = parse_entries_list)]
    pub batch_entries: ::std::vec::Vec<u32>,
    /// Bytes per copy of batch and single.
    #[arg(long, value_name = "LIST", default_value = "64,4K,64K", value_parser = parse_size_list)]
    pub batch_sizes: ::std::vec::Vec<u64>,
    /// The JSON document on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write the JSON document to FILE (the table still goes to standard output).
    #[arg(short, long, value_name = "FILE", value_parser = parse_file_name)]
    pub out: Option<String>,
    /// No live progress line, a line per finished run instead.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of `claim`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ClaimOpts {
    /// Platform device names (ffa80000.dma), register addresses (0xffa80000) or nodes
    /// (dmacopy3).
    #[arg(value_name = "DEVICE", required = true)]
    pub devices: Vec<String>,
    /// JSON: what happened to each device.
    #[arg(long)]
    pub json: bool,
}

/// Options of `release`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ReleaseOpts {
    /// Platform device names (ffa80000.dma), register addresses (0xffa80000) or nodes
    /// (dmacopy3).
    #[arg(value_name = "DEVICE", required = true)]
    pub devices: Vec<String>,
    /// Bind to this platform driver (default: the one the device had before claim if loaded,
    /// else its upstream driver if loaded, else none: left unbound).
    #[arg(long, value_name = "DRIVER")]
    pub to: Option<String>,
    /// JSON: what happened to each device.
    #[arg(long)]
    pub json: bool,
}

/// What `dmacopy generate` writes.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct GenerateOpts {
    /// What to generate.
    #[command(subcommand)]
    pub what: Generate,
}

/// `dmacopy generate completions SHELL` or `dmacopy generate man`.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Generate {
    /// The completion script of SHELL on standard output.
    Completions {
        /// bash, zsh or fish.
        #[arg(value_name = "SHELL", value_parser = PossibleValuesParser::new(SHELLS))]
        shell: String,
    },
    /// The man page dmacopy(1), roff, on standard output; with --dir, it and a page per
    /// command (dmacopy-copy.1, ...) as files in DIR.
    Man {
        /// The directory to write the pages to.
        #[arg(long, value_name = "DIR", value_parser = parse_file_name)]
        dir: Option<String>,
    },
}

/// The shells `dmacopy generate completions` knows.
pub const SHELLS: [&str; 3] = ["bash", "zsh", "fish"];

/// `--rows` when none is given: every row, by name.
const ALL_ROWS: &str =
    "dma,cpu,auto,memcpy,null,channels,user,bounce,user-memcpy,user-huge,bounce-huge,batch,single";

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

/// `--secs` (and `stats --interval`) when none is given.
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

/// Parses the arguments, the program name first, and checks what one option alone cannot.
/// Help and version requests come back as errors too (`exit` prints them, with status 0).
pub fn parse<I, T>(args: I) -> Result<Command, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    if let Command::Copy(o) = &cli.command {
        check_copy(o)?;
    }
    Ok(cli.command)
}

/// A usage error of `command`'s subcommand `sub`, formatted as clap's own.
fn usage_error(sub: &str, kind: ErrorKind, msg: String) -> clap::Error {
    let mut cmd = Cli::command();
    let sub_cmd = cmd.find_subcommand_mut(sub).map(|c| c.clone());
    match sub_cmd {
        Some(mut c) => c.error(kind, msg),
        None => cmd.error(kind, msg),
    }
}

/// The checks of `copy` between options.
fn check_copy(o: &CopyOpts) -> Result<(), clap::Error> {
    let err = |msg: String| Err(usage_error("copy", ErrorKind::ValueValidation, msg));
    if let Some(len) = o.len.filter(|&l| o.user && l > dmacopy::COPY_USER_MAX_LEN) {
        return err(format!(
            "--len {len} is above what one COPY_USER copies ({} bytes, 1 GiB)",
            dmacopy::COPY_USER_MAX_LEN
        ));
    }
    if o.user && o.src_off.max(o.dst_off) > dmacopy::COPY_USER_MAX_LEN {
        return err(format!(
            "with --user, --src-off and --dst-off are at most {} (1 GiB)",
            dmacopy::COPY_USER_MAX_LEN
        ));
    }
    Ok(())
}

/// The parser of `--mode`: dma, cpu or auto, in any case, offered as such to completions.
fn mode_parser() -> impl TypedValueParser<Value = Mode> {
    PossibleValuesParser::new(Mode::ALL.map(|m| m.name())).try_map(|s| s.parse::<Mode>())
}

/// A node number: N of /dev/dmacopyN.
pub fn parse_device(s: &str) -> core::result::Result<u32, String> {
    parse_number(s)
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("'{s}' is not a device number (N of /dev/dmacopyN)"))
}

/// `--len`: a size of at least 1.
fn parse_len(s: &str) -> core::result::Result<u64, String> {
    match parse_size(s)? {
        0 => Err("must be at least 1".to_owned()),
        n => Ok(n),
    }
}

/// A count of at least 1 (`--iterations`, `--count`).
fn parse_count(s: &str) -> core::result::Result<u64, String> {
    match parse_number(s)? {
        0 => Err("must be at least 1".to_owned()),
        n => Ok(n),
    }
}

/// `--timeout-ms`: milliseconds whose nanoseconds fit 64 bits.
fn parse_timeout_ms(s: &str) -> core::result::Result<u64, String> {
    let ms = parse_number(s)?;
    match ms.checked_mul(1_000_000) {
        Some(_) => Ok(ms),
        None => Err(format!("{ms} is too large")),
    }
}

/// `--batch`: 1 to `DMACOPY_BATCH_MAX` copies.
fn parse_batch(s: &str) -> core::result::Result<u32, String> {
    parse_number(s).and_then(|n| {
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=dmacopy::BATCH_MAX).contains(n))
            .ok_or_else(|| format!("'{s}' is not 1 to {} copies", dmacopy::BATCH_MAX))
    })
}

/// `--repeats`: 1 to [`MAX_REPEATS`].
fn parse_repeats(s: &str) -> core::result::Result<u32, String> {
    parse_number(s).and_then(|n| {
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_REPEATS).contains(n))
            .ok_or_else(|| format!("'{s}' is not 1 to {MAX_REPEATS}"))
    })
}

/// `--cpus`: a CPU list of CPUs below the bench's limit.
fn parse_cpus(s: &str) -> core::result::Result<Vec<u32>, String> {
    parse_cpu_list(s, crate::bench::cpu::MAX_CPUS)
}

/// `--out`: a file name, not empty.
fn parse_file_name(s: &str) -> core::result::Result<String, String> {
    if s.is_empty() {
        Err("the file name is empty".to_owned())
    } else {
        Ok(s.to_owned())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, clap::Error> {
        parse(core::iter::once("dmacopy").chain(line.split_whitespace()))
    }

    #[test]
    fn definitions() {
        Cli::command().debug_assert();
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
    fn defaults() {
        // The defaults of the definitions are those of the Default impls, which the commands'
        // own tests use.
        assert_eq!(
            parse_str("copy").unwrap(),
            Command::Copy(CopyOpts::default())
        );
        assert_eq!(
            parse_str("bench").unwrap(),
            Command::Bench(BenchOpts::default())
        );
        assert_eq!(
            parse_str("stats").unwrap(),
            Command::Stats(StatsOpts::default())
        );
        assert_eq!(
            parse_str("info").unwrap(),
            Command::Info(InfoOpts::default())
        );
        assert_eq!(DEFAULT_USER_SIZES[7], 64 << 20);
        assert_eq!(DEFAULT_SIZES.len(), 9);
        assert_eq!(DEFAULT_SIZES[8], 4 << 20);
    }

    #[test]
    fn commands() {
        assert_eq!(
            parse_str("info --json -d 2").unwrap(),
            Command::Info(InfoOpts {
                device: Some(2),
                json: true
            })
        );
        assert_eq!(
            parse_str("info --device=3").unwrap(),
            Command::Info(InfoOpts {
                device: Some(3),
                json: false
            })
        );
        assert_eq!(
            parse_str("stats -d1").unwrap(),
            Command::Stats(StatsOpts {
                device: Some(1),
                ..StatsOpts::default()
            })
        );
        assert_eq!(
            parse_str("stats --watch --json --count 2 --interval 0.5").unwrap(),
            Command::Stats(StatsOpts {
                device: None,
                json: true,
                watch: true,
                interval: Duration::from_millis(500),
                count: Some(2),
            })
        );
        assert_eq!(
            parse_str("claim ffa80000.dma 0xffa90000 --json").unwrap(),
            Command::Claim(ClaimOpts {
                devices: vec!["ffa80000.dma".to_owned(), "0xffa90000".to_owned()],
                json: true
            })
        );
        assert_eq!(
            parse_str("release --to zynqmp-dma ffa80000.dma").unwrap(),
            Command::Release(ReleaseOpts {
                devices: vec!["ffa80000.dma".to_owned()],
                to: Some("zynqmp-dma".to_owned()),
                json: false
            })
        );
        assert_eq!(
            parse_str("generate completions zsh").unwrap(),
            Command::Generate(GenerateOpts {
                what: Generate::Completions {
                    shell: "zsh".to_owned()
                }
            })
        );
    }

    #[test]
    fn help_and_version() {
        for line in [
            "help",
            "--help",
            "-h",
            "copy --len 4K --help",
            "bench --sizes 64 -h",
        ] {
            let e = parse_str(line).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{line}");
            assert_eq!(e.exit_code(), 0, "{line}");
        }
        let e = parse_str("--version").unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::DisplayVersion, 0));
        // No command: the help, as a usage error.
        let e = parse_str("").unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn copy_options() {
        let cmd = parse_str(
            "copy -d 1 --mode auto --len 64K --src-off 0x100 --dst-off=4K \
             --timeout-ms 50 --iterations 10 --seed 0xdead -q --json",
        );
        assert_eq!(
            cmd.unwrap(),
            Command::Copy(CopyOpts {
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
                json: true,
            })
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
            parse_str("copy --batch=0x10 -n3 -l4K"),
            Ok(Command::Copy(CopyOpts {
                batch: Some(16),
                iterations: 3,
                len: Some(4096),
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
        let cmd = parse_str(
            "bench -d 2 --sizes 4K,64,0x100,4k --secs 0.25 --repeats 5 --cpus 1,0 \
             --channels 8,1 --rows null,DMA,dma --json --out /tmp/b.json -q",
        );
        assert_eq!(
            cmd.unwrap(),
            Command::Bench(BenchOpts {
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
            })
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
    }

    #[test]
    fn command_lines_of_the_scripts() {
        // make run, scripts/bench-guest.sh and the README run these.
        for line in [
            "info",
            "copy --mode dma --len 1M",
            "copy --mode cpu --len 1M",
            "bench --json --out /tmp/ours.json -q --secs 1 --repeats 3 --channels 1,2,4,8 \
             --sizes 64,4096",
            "stats --watch --count 2",
            "claim 0xffa80000",
            "claim --json ffa80000.dma dmacopy3",
            "release 0xffa80000",
            "release --to xilinx-zynqmp-dma 0xffa90000",
            "release --json /dev/dmacopy3",
            "help",
        ] {
            let r = parse_str(line);
            assert!(
                r.is_ok() || r.as_ref().is_err_and(|e| e.exit_code() == 0),
                "{line}: {r:?}"
            );
        }
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
        assert_eq!(parse_row_list(ALL_ROWS), Ok(Row::ALL.to_vec()));
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
            ("frobnicate", "unrecognized subcommand 'frobnicate'"),
            ("--json", "unexpected argument '--json'"),
            ("info --bogus", "unexpected argument '--bogus'"),
            ("info -d", "a value is required for '--device <N>'"),
            ("info -d x", "not a device number"),
            ("info -d 4294967296", "not a device number"),
            ("info --json=yes", "unexpected value 'yes' for '--json'"),
            ("info extra", "unexpected argument 'extra'"),
            (
                "copy --mode fast",
                "invalid value 'fast' for '--mode <MODE>'",
            ),
            ("copy --len", "a value is required for '--len <BYTES>'"),
            ("copy --len 1G", "'1G' is not a size"),
            (
                "copy --len 0",
                "'0' for '--len <BYTES>': must be at least 1",
            ),
            ("copy --iterations 0", "must be at least 1"),
            ("copy --iterations 1K", "'1K' is not a number"),
            ("copy --timeout-ms 18446744073709551", "too large"),
            ("copy --batch 0", "'0' is not 1 to 256 copies"),
            ("copy --batch 257", "'257' is not 1 to 256 copies"),
            ("copy --batch", "a value is required for '--batch <N>'"),
            ("copy --batch 4K", "'4K' is not a number"),
            ("copy --user=1", "unexpected value '1' for '--user'"),
            ("copy --user --batch 2", "cannot be used with"),
            ("copy --batch 2 --user", "cannot be used with"),
            ("copy --user --len 1025M", "above what one COPY_USER copies"),
            ("copy --user --src-off 2048M", "at most 1073741824"),
            ("stats --interval 2", "--watch"),
            ("stats --count 2", "--watch"),
            ("stats --watch --count 0", "must be at least 1"),
            ("stats --watch --interval 0", "is not above 0"),
            ("bench --sizes", "a value is required for '--sizes <LIST>'"),
            ("bench --sizes 64,,1K", "'64,,1K' has an empty item"),
            ("bench --sizes 64,", "has an empty item"),
            ("bench --sizes 0,64", "a size must be at least 1"),
            ("bench --sizes 1G", "'1G' is not a size"),
            ("bench --secs 0", "'0' is not above 0"),
            ("bench --secs 3601", "at most 3600 seconds"),
            ("bench --secs -1", "not a number of seconds"),
            ("bench --secs 1e3", "not a number of seconds"),
            ("bench --secs nan", "not a number of seconds"),
            ("bench --secs 1.2.3", "not a number of seconds"),
            ("bench --secs .", "not a number of seconds"),
            ("bench --repeats 0", "'0' is not 1 to 1000"),
            ("bench --repeats 1001", "is not 1 to 1000"),
            ("bench --cpus 3-1", "'3-1' is an empty range"),
            ("bench --cpus 0-", "'' is not a number"),
            ("bench --cpus 99999", "CPU 99999 is not below"),
            ("bench --channels 0", "channel count 0 is not 1 to 1024"),
            ("bench --channels 1,2048", "channel count 2048"),
            ("bench --rows dma,dmatest", "unknown row 'dmatest'"),
            (
                "bench --user-sizes 1025M",
                "1074790400 is above what one COPY_USER",
            ),
            ("bench --user-sizes 0", "a size must be at least 1"),
            ("bench --batch-entries 0", "0 is not 1 to 256 entries"),
            (
                "bench --batch-entries 16,257",
                "257 is not 1 to 256 entries",
            ),
            ("bench --batch-sizes 64,", "'64,' has an empty item"),
            ("bench --out", "a value is required for '--out <FILE>'"),
            ("bench --out=", "the file name is empty"),
            ("bench -q=1", "unexpected argument '-='"),
            ("bench --mode dma", "unexpected argument '--mode'"),
            ("claim", "<DEVICE>"),
            ("release --to", "a value is required for '--to <DRIVER>'"),
            ("generate completions tcsh", "invalid value 'tcsh'"),
        ] {
            match parse_str(line) {
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains(needle), "{line}: {msg}");
                    assert_eq!(e.exit_code(), 2, "{line}: {msg}");
                }
                Ok(cmd) => panic!("{line}: accepted as {cmd:?}"),
            }
        }
    }
}
