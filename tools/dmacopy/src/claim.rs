// SPDX-License-Identifier: GPL-2.0

//! Moving a DMA channel between dmacopy and another driver on a running system.
//!
//! Each platform device that dmacopy can drive (a ZynqMP/Versal ZDMA channel, `ffa80000.dma`;
//! the BCM2835 DMA controller, `3f007000.dma-controller`, all its channels at once) is bound to
//! at most one driver. [`Sysfs::claim`] gives one to dmacopy and [`Sysfs::release`] gives it
//! back, through the driver core's files in `/sys/bus/platform`: the device's
//! `driver_override` (so that only the chosen driver may bind it, also after a later
//! rebind or module load), and the drivers' `unbind` and `bind`. Every other device stays with
//! its driver: nothing is unloaded.
//!
//! - **claim**: refuses (`Busy`) when a dmaengine client holds one of the device's channels in
//!   its current driver (sysfs `dma/dma*chan*/in_use`): unbinding the upstream driver then
//!   would pull the channel from under that client (the dmaengine core warns, and the client
//!   keeps a channel that is gone). Otherwise: `driver_override` = `dmacopy`, unbind from the
//!   current driver, bind to dmacopy. The previous driver is remembered in
//!   `/run/dmacopy/claims/<device>`. A device already bound to dmacopy is left as it is.
//! - **release**: refuses (`Busy`) while a process has one of the device's `/dev/dmacopyN`
//!   open or mapped (the kernel would allow the unbind, and the process's copies would fail
//!   with `ENODEV`). Otherwise: `driver_override` = the target driver, unbind from dmacopy,
//!   bind to the target. The target is `--to`, else the remembered previous driver, else the
//!   upstream driver of the device's compatible if it is loaded (`xilinx-zynqmp-dma`,
//!   `bcm2835-dma`); with none of these the device is left unbound with no override, for
//!   whichever driver binds it next.
//!
//! ```no_run
//! use dmacopy::claim::Sysfs;
//!
//! let sys = Sysfs::default();
//! let done = sys.claim("0xffa80000")?;
//! println!("{}: from {:?}, nodes {:?}", done.device, done.from, done.nodes);
//! sys.release("ffa80000.dma", None)?;
//! # Ok::<(), dmacopy::claim::ClaimError>(())
//! ```

use std::fmt;
use std::fs;
use std::io;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The driver name of dmacopy on the platform bus.
pub const DRIVER: &str = "dmacopy";

/// Device-tree compatibles that dmacopy drives, with the upstream driver of each (its name on
/// the platform bus, which is not always its module's name: `zynqmp_dma.ko` registers
/// `xilinx-zynqmp-dma`).
pub const COMPATIBLES: [(&str, &str); 2] = [
    ("xlnx,zynqmp-dma-1.0", "xilinx-zynqmp-dma"),
    ("brcm,bcm2835-dma", "bcm2835-dma"),
];

/// Where claim remembers each claimed device's previous driver.
pub const STATE_DIR: &str = "/run/dmacopy/claims";

/// Why a claim or release failed. Each kind has its own exit status ([`ClaimError::exit_code`]).
#[derive(Debug)]
pub enum ClaimError {
    /// No platform device by that name, address or node (exit 3).
    NoDevice {
        /// What the user gave.
        spec: String,
    },
    /// The device exists but is not a DMA channel dmacopy can drive (exit 4).
    NotChannel {
        /// The platform device.
        device: String,
        /// Its compatibles, comma-separated (empty: none).
        compatible: String,
    },
    /// The device is in use: a dmaengine client holds a channel (claim), or a process has a
    /// node open (release) (exit 5).
    Busy {
        /// The platform device.
        device: String,
        /// Who uses it.
        why: String,
    },
    /// The driver to bind to is not registered (its module is not loaded) (exit 6).
    NotLoaded {
        /// The driver's name.
        driver: String,
    },
    /// Permission denied on a sysfs file: not root (exit 7).
    Permission {
        /// The file.
        path: PathBuf,
    },
    /// Release of a device that another driver than dmacopy (and than `--to`) has (exit 8).
    NotClaimed {
        /// The platform device.
        device: String,
        /// Its driver.
        driver: String,
    },
    /// The driver refused to bind the device, or a sysfs file could not be read or written
    /// (exit 1).
    Io {
        /// What was being done.
        what: String,
        /// The error.
        err: io::Error,
    },
}

impl ClaimError {
    /// The exit status of the `dmacopy claim`/`release` command for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClaimError::Io { .. } => 1,
            ClaimError::NoDevice { .. } => 3,
            ClaimError::NotChannel { .. } => 4,
            ClaimError::Busy { .. } => 5,
            ClaimError::NotLoaded { .. } => 6,
            ClaimError::Permission { .. } => 7,
            ClaimError::NotClaimed { .. } => 8,
        }
    }

    /// A short machine-readable name of the kind, for JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            ClaimError::Io { .. } => "io",
            ClaimError::NoDevice { .. } => "no_device",
            ClaimError::NotChannel { .. } => "not_channel",
            ClaimError::Busy { .. } => "busy",
            ClaimError::NotLoaded { .. } => "not_loaded",
            ClaimError::Permission { .. } => "permission",
            ClaimError::NotClaimed { .. } => "not_claimed",
        }
    }
}

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimError::NoDevice { spec } => write!(
                f,
                "no platform device '{spec}' (give a name from /sys/bus/platform/devices such as \
                 ffa80000.dma, a register address such as 0xffa80000, or a node such as dmacopy0)"
            ),
            ClaimError::NotChannel { device, compatible } => write!(
                f,
                "{device} is not a DMA channel dmacopy can drive (compatible '{compatible}'; \
                 dmacopy drives {})",
                COMPATIBLES.map(|(c, _)| c).join(", ")
            ),
            ClaimError::Busy { device, why } => write!(f, "{device} is busy: {why}"),
            ClaimError::NotLoaded { driver } => write!(
                f,
                "driver '{driver}' is not loaded (no /sys/bus/platform/drivers/{driver}); load \
                 its module first"
            ),
            ClaimError::Permission { path } => {
                write!(
                    f,
                    "permission denied writing {} (run as root)",
                    path.display()
                )
            }
            ClaimError::NotClaimed { device, driver } => write!(
                f,
                "{device} is bound to {driver}, not to dmacopy: nothing to release"
            ),
            ClaimError::Io { what, err } => write!(f, "{what}: {err}"),
        }
    }
}

impl std::error::Error for ClaimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClaimError::Io { err, .. } => Some(err),
            _ => None,
        }
    }
}

/// What a claim or release did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The platform device.
    pub device: String,
    /// Its driver before (None: unbound).
    pub from: Option<String>,
    /// Its driver after (None: unbound).
    pub to: Option<String>,
    /// False when the device already was where it should be (nothing was written).
    pub changed: bool,
    /// Its `/dev/dmacopyN` nodes afterwards, e.g. `["dmacopy3"]` (empty after a release).
    pub nodes: Vec<String>,
}

/// The sysfs, procfs and state directories that claim and release work on; [`Default`] gives
/// the system's. Tests point them at a fake tree.
#[derive(Clone, Debug)]
pub struct Sysfs {
    /// `/sys/bus/platform`.
    pub platform: PathBuf,
    /// `/sys/class/misc`.
    pub misc: PathBuf,
    /// `/proc`.
    pub proc_dir: PathBuf,
    /// [`STATE_DIR`].
    pub state: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs {
            platform: PathBuf::from("/sys/bus/platform"),
            misc: PathBuf::from("/sys/class/misc"),
            proc_dir: PathBuf::from("/proc"),
            state: PathBuf::from(STATE_DIR),
        }
    }
}

/// Most `/proc/<pid>` entries examined for open nodes (a bound on a runaway listing).
const MAX_PROCS: usize = 1 << 16;

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> ClaimError {
    let what = what.into();
    move |err| ClaimError::Io { what, err }
}

/// Writes `value` to the sysfs attribute `path` in one `write(2)`.
fn write_attr(path: &Path, value: &str, what: &str) -> Result<(), ClaimError> {
    let res = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| f.write_all(value.as_bytes()));
    res.map_err(|err| match err.kind() {
        io::ErrorKind::PermissionDenied => ClaimError::Permission {
            path: path.to_path_buf(),
        },
        _ => ClaimError::Io {
            what: format!("{what} ({} <- '{}')", path.display(), value.trim_end()),
            err,
        },
    })
}

/// The file name that the symbolic link `path` points to, if it is one.
fn link_name(path: &Path) -> Option<String> {
    let target = fs::read_link(path).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Parses a register address: `0xffa80000`, `0XFFA80000` or `ffa80000`.
fn parse_addr(s: &str) -> Option<u64> {
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// Whether `s` can be a file name in a sysfs directory (no path, no `.`/`..`).
fn plain_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/') && !s.contains('\0')
}

impl Sysfs {
    fn device_dir(&self, device: &str) -> PathBuf {
        self.platform.join("devices").join(device)
    }

    fn driver_dir(&self, driver: &str) -> PathBuf {
        self.platform.join("drivers").join(driver)
    }

    /// Whether the driver `driver` is registered on the platform bus.
    pub fn driver_loaded(&self, driver: &str) -> bool {
        plain_name(driver) && self.driver_dir(driver).is_dir()
    }

    /// The platform device that `spec` names: a device name (`ffa80000.dma`), a register
    /// address (`0xffa80000`, the address the kernel puts first in the device's name), or a
    /// dmacopy node (`dmacopy3`, `/dev/dmacopy3`).
    pub fn resolve(&self, spec: &str) -> Result<String, ClaimError> {
        let none = || ClaimError::NoDevice {
            spec: spec.to_string(),
        };
        let spec_t = spec.trim();
        if plain_name(spec_t) && self.device_dir(spec_t).exists() {
            return Ok(spec_t.to_string());
        }
        let node = spec_t.strip_prefix("/dev/").unwrap_or(spec_t);
        if let Some(n) = node.strip_prefix(DRIVER) {
            if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) {
                return link_name(&self.misc.join(node).join("device")).ok_or_else(none);
            }
        }
        let addr = parse_addr(spec_t).ok_or_else(none)?;
        let prefix = format!("{addr:x}.");
        let entries = fs::read_dir(self.platform.join("devices"))
            .map_err(io_err("listing /sys/bus/platform/devices"))?;
        let mut found: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&prefix))
            .collect();
        found.sort();
        // Several devices at one address (unusual): the one dmacopy can drive.
        let pick = found
            .iter()
            .find(|n| self.upstream(n).is_some())
            .or(found.first());
        pick.cloned().ok_or_else(none)
    }

    /// The device-tree compatibles of `device` (from `of_node/compatible`, else `modalias`).
    pub fn compatibles(&self, device: &str) -> Vec<String> {
        let dir = self.device_dir(device);
        if let Ok(raw) = fs::read(dir.join("of_node/compatible")) {
            return raw
                .split(|&c| c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
        }
        // of:N<name>T<type>C<compat>C<compat>...
        let alias = fs::read_to_string(dir.join("modalias")).unwrap_or_default();
        let alias = alias.trim();
        match alias.strip_prefix("of:").and_then(|a| a.split_once('C')) {
            Some((_, compat)) => compat.split('C').map(str::to_string).collect(),
            None => Vec::new(),
        }
    }

    /// The upstream driver of `device` if dmacopy can drive it (by its compatible).
    pub fn upstream(&self, device: &str) -> Option<&'static str> {
        let compat = self.compatibles(device);
        COMPATIBLES
            .iter()
            .find(|(c, _)| compat.iter().any(|d| d == c))
            .map(|&(_, d)| d)
    }

    /// The driver `device` is bound to.
    pub fn driver_of(&self, device: &str) -> Option<String> {
        link_name(&self.device_dir(device).join("driver"))
    }

    /// The `driver_override` of `device` (None: not set).
    pub fn driver_override(&self, device: &str) -> Option<String> {
        let s = fs::read_to_string(self.device_dir(device).join("driver_override")).ok()?;
        let s = s.trim();
        (!s.is_empty() && s != "(null)").then(|| s.to_string())
    }

    /// The dmacopy nodes of `device` (`dmacopy3`, ...), sorted by number.
    pub fn nodes(&self, device: &str) -> Vec<String> {
        let mut nodes: Vec<String> = fs::read_dir(self.device_dir(device).join("misc"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(DRIVER))
                    .collect()
            })
            .unwrap_or_default();
        nodes.sort_by_key(|n| n[DRIVER.len()..].parse::<u32>().unwrap_or(u32::MAX));
        nodes
    }

    /// The dmaengine channels of `device` that a client holds (`dma0chan0 (in_use 1)`, ...).
    pub fn channels_in_use(&self, device: &str) -> Vec<String> {
        let Ok(dir) = fs::read_dir(self.device_dir(device).join("dma")) else {
            return Vec::new();
        };
        let mut busy: Vec<String> = dir
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let n = fs::read_to_string(e.path().join("in_use")).ok()?;
                let n = n.trim().parse::<u64>().ok()?;
                (n > 0).then(|| format!("{} (in_use {n})", e.file_name().to_string_lossy()))
            })
            .collect();
        busy.sort();
        busy
    }

    /// The processes that have one of `nodes` open or mapped, as `pid (comm) /dev/dmacopyN`.
    pub fn node_users(&self, nodes: &[String]) -> Vec<String> {
        let paths: Vec<String> = nodes.iter().map(|n| format!("/dev/{n}")).collect();
        let mut users = Vec::new();
        let Ok(procs) = fs::read_dir(&self.proc_dir) else {
            return users;
        };
        for entry in procs.filter_map(|e| e.ok()).take(MAX_PROCS) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.is_empty() || !name.bytes().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let dir = entry.path();
            let mut hit: Option<&String> = None;
            if let Ok(fds) = fs::read_dir(dir.join("fd")) {
                for fd in fds.filter_map(|e| e.ok()) {
                    if let Ok(t) = fs::read_link(fd.path()) {
                        if let Some(p) = paths.iter().find(|p| Path::new(p) == t) {
                            hit = Some(p);
                            break;
                        }
                    }
                }
            }
            if hit.is_none() {
                if let Ok(maps) = fs::read_to_string(dir.join("maps")) {
                    hit = paths
                        .iter()
                        .find(|p| maps.lines().any(|l| l.trim_end().ends_with(p.as_str())));
                }
            }
            if let Some(p) = hit {
                let comm = fs::read_to_string(dir.join("comm")).unwrap_or_default();
                users.push(format!("{name} ({}) {p}", comm.trim()));
            }
        }
        users
    }

    fn state_file(&self, device: &str) -> PathBuf {
        self.state.join(device)
    }

    /// The driver that `device` had before it was claimed, if claim remembered it.
    pub fn previous_driver(&self, device: &str) -> Option<String> {
        let s = fs::read_to_string(self.state_file(device)).ok()?;
        let s = s.trim();
        plain_name(s).then(|| s.to_string())
    }

    /// Checks `spec` and returns its device and current driver.
    fn channel(&self, spec: &str) -> Result<(String, Option<String>), ClaimError> {
        let device = self.resolve(spec)?;
        if self.upstream(&device).is_none() {
            return Err(ClaimError::NotChannel {
                compatible: self.compatibles(&device).join(","),
                device,
            });
        }
        let driver = self.driver_of(&device);
        Ok((device, driver))
    }

    /// Binds `device` to `driver` (its `driver_override` already names it) and checks that it
    /// took.
    fn bind(&self, device: &str, driver: &str) -> Result<(), ClaimError> {
        write_attr(
            &self.driver_dir(driver).join("bind"),
            device,
            &format!("binding {device} to {driver}"),
        )?;
        match self.driver_of(device) {
            Some(d) if d == driver => Ok(()),
            other => Err(ClaimError::Io {
                what: format!("binding {device} to {driver}"),
                err: io::Error::other(format!(
                    "the device is bound to {} afterwards",
                    other.as_deref().unwrap_or("no driver")
                )),
            }),
        }
    }

    /// Gives `spec`'s device to dmacopy; see the [module documentation](self).
    pub fn claim(&self, spec: &str) -> Result<Outcome, ClaimError> {
        let (device, from) = self.channel(spec)?;
        if from.as_deref() == Some(DRIVER) {
            return Ok(Outcome {
                nodes: self.nodes(&device),
                device,
                to: from.clone(),
                from,
                changed: false,
            });
        }
        if !self.driver_loaded(DRIVER) {
            return Err(ClaimError::NotLoaded {
                driver: DRIVER.to_string(),
            });
        }
        if from.is_some() {
            let busy = self.channels_in_use(&device);
            if !busy.is_empty() {
                return Err(ClaimError::Busy {
                    why: format!(
                        "a dmaengine client of {} holds {} (release it first, e.g. unload \
                         dmatest)",
                        from.as_deref().unwrap_or_default(),
                        busy.join(", ")
                    ),
                    device,
                });
            }
        }
        let override_path = self.device_dir(&device).join("driver_override");
        let old_override = self.driver_override(&device);
        write_attr(&override_path, DRIVER, "setting driver_override")?;
        if let Some(prev) = &from {
            if let Err(e) = write_attr(
                &self.driver_dir(prev).join("unbind"),
                &device,
                &format!("unbinding {device} from {prev}"),
            ) {
                let _ = write_attr(
                    &override_path,
                    old_override.as_deref().unwrap_or("\n"),
                    "restoring driver_override",
                );
                return Err(e);
            }
            // Best effort: without it, release falls back to the compatible's upstream driver.
            let _ = fs::create_dir_all(&self.state)
                .and_then(|_| fs::write(self.state_file(&device), format!("{prev}\n")));
        }
        if let Err(e) = self.bind(&device, DRIVER) {
            // Put it back where it was.
            let _ = write_attr(
                &override_path,
                old_override.as_deref().unwrap_or("\n"),
                "restoring driver_override",
            );
            if let Some(prev) = &from {
                let _ = write_attr(&self.driver_dir(prev).join("bind"), &device, "rebinding");
            }
            let _ = fs::remove_file(self.state_file(&device));
            return Err(e);
        }
        Ok(Outcome {
            nodes: self.nodes(&device),
            device,
            from,
            to: Some(DRIVER.to_string()),
            changed: true,
        })
    }

    /// Gives `spec`'s device back from dmacopy to `to`, else to the driver it had before the
    /// claim, else to its upstream driver if loaded; see the [module documentation](self).
    pub fn release(&self, spec: &str, to: Option<&str>) -> Result<Outcome, ClaimError> {
        if let Some(t) = to {
            if !plain_name(t) || t == DRIVER {
                return Err(ClaimError::Io {
                    what: format!("--to '{t}'"),
                    err: io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "not a driver to release to (a name from /sys/bus/platform/drivers \
                         other than dmacopy)",
                    ),
                });
            }
            if !self.driver_loaded(t) {
                return Err(ClaimError::NotLoaded {
                    driver: t.to_string(),
                });
            }
        }
        let (device, from) = self.channel(spec)?;
        let target: Option<String> = match to {
            Some(t) => Some(t.to_string()),
            // The remembered driver if it is loaded, else the upstream one if that is.
            None => self
                .previous_driver(&device)
                .filter(|d| self.driver_loaded(d))
                .or_else(|| {
                    self.upstream(&device)
                        .filter(|d| self.driver_loaded(d))
                        .map(str::to_string)
                }),
        };
        if from.as_deref() != Some(DRIVER) {
            let done = Outcome {
                device: device.clone(),
                from: from.clone(),
                to: from.clone(),
                changed: false,
                nodes: Vec::new(),
            };
            return match (&from, &to) {
                // Unbound, and no particular driver asked for: released already.
                (None, None) => Ok(done),
                (Some(d), Some(t)) if d == t => Ok(done),
                (Some(d), None) if Some(d) == target.as_ref() => Ok(done),
                (Some(d), _) => Err(ClaimError::NotClaimed {
                    device,
                    driver: d.clone(),
                }),
                // Unbound, and a driver asked for: bind it there below.
                (None, Some(_)) => self.hand_over(device, None, target),
            };
        }
        let users = self.node_users(&self.nodes(&device));
        if !users.is_empty() {
            return Err(ClaimError::Busy {
                why: format!(
                    "open or mapped by {} (close them first: after the unbind their copies \
                     would fail with ENODEV)",
                    users.join(", ")
                ),
                device,
            });
        }
        self.hand_over(device, from, target)
    }

    /// Moves `device` from `from` (unbinding it) to `target` (or to no driver).
    fn hand_over(
        &self,
        device: String,
        from: Option<String>,
        target: Option<String>,
    ) -> Result<Outcome, ClaimError> {
        let override_path = self.device_dir(&device).join("driver_override");
        // Clearing: a lone newline.
        let value = target.as_deref().unwrap_or("\n");
        write_attr(&override_path, value, "setting driver_override")?;
        if let Some(prev) = &from {
            write_attr(
                &self.driver_dir(prev).join("unbind"),
                &device,
                &format!("unbinding {device} from {prev}"),
            )?;
        }
        let _ = fs::remove_file(self.state_file(&device));
        if let Some(t) = &target {
            self.bind(&device, t)?;
        }
        Ok(Outcome {
            device,
            from,
            to: target,
            changed: true,
            nodes: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A fake platform bus: devices ffa80000.dma (ZDMA, bound to xilinx-zynqmp-dma, channel
    /// dma0chan0 with in_use `in_use`), ffa90000.dma (ZDMA, bound to dmacopy, node dmacopy0),
    /// and serial (a UART).
    fn tree(in_use: u32) -> (tempdir::Dir, Sysfs) {
        let t = tempdir::Dir::new();
        let root = t.path();
        let p = root.join("bus/platform");
        for d in ["xilinx-zynqmp-dma", "dmacopy", "uart-pl011"] {
            fs::create_dir_all(p.join("drivers").join(d)).unwrap();
        }
        let dev = |name: &str, compat: &[u8], driver: Option<&str>| {
            let d = p.join("devices").join(name);
            fs::create_dir_all(d.join("of_node")).unwrap();
            fs::write(d.join("of_node/compatible"), compat).unwrap();
            fs::write(d.join("driver_override"), "(null)\n").unwrap();
            if let Some(drv) = driver {
                symlink(p.join("drivers").join(drv), d.join("driver")).unwrap();
            }
            d
        };
        let a = dev(
            "ffa80000.dma",
            b"xlnx,zynqmp-dma-1.0\0",
            Some("xilinx-zynqmp-dma"),
        );
        fs::create_dir_all(a.join("dma/dma0chan0")).unwrap();
        fs::write(a.join("dma/dma0chan0/in_use"), format!("{in_use}\n")).unwrap();
        let b = dev("ffa90000.dma", b"xlnx,zynqmp-dma-1.0\0", Some("dmacopy"));
        fs::create_dir_all(b.join("misc/dmacopy0")).unwrap();
        dev(
            "ff000000.serial",
            b"arm,pl011\0arm,primecell\0",
            Some("uart-pl011"),
        );
        fs::create_dir_all(root.join("class/misc/dmacopy0")).unwrap();
        symlink(&b, root.join("class/misc/dmacopy0/device")).unwrap();
        fs::create_dir_all(root.join("proc")).unwrap();
        let sys = Sysfs {
            platform: p,
            misc: root.join("class/misc"),
            proc_dir: root.join("proc"),
            state: root.join("run"),
        };
        (t, sys)
    }

    /// A temporary directory removed when dropped (std only).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicU32, Ordering};

        pub struct Dir(PathBuf);

        impl Dir {
            pub fn new() -> Dir {
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "dmacopy-claim-test-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn resolve_by_name_address_and_node() {
        let (_t, sys) = tree(0);
        assert_eq!(sys.resolve("ffa80000.dma").unwrap(), "ffa80000.dma");
        assert_eq!(sys.resolve("0xffa80000").unwrap(), "ffa80000.dma");
        assert_eq!(sys.resolve("0XFFA90000").unwrap(), "ffa90000.dma");
        assert_eq!(sys.resolve("ffa90000").unwrap(), "ffa90000.dma");
        assert_eq!(sys.resolve("dmacopy0").unwrap(), "ffa90000.dma");
        assert_eq!(sys.resolve("/dev/dmacopy0").unwrap(), "ffa90000.dma");
        for bad in [
            "",
            "0x",
            "0xffab0000",
            "dmacopy7",
            "../devices/ffa80000.dma",
            "..",
            "zz",
        ] {
            let e = sys.resolve(bad).unwrap_err();
            assert_eq!(e.exit_code(), 3, "{bad}: {e}");
        }
    }

    #[test]
    fn not_a_channel() {
        let (_t, sys) = tree(0);
        let e = sys.claim("ff000000.serial").unwrap_err();
        assert_eq!(e.kind(), "not_channel");
        assert!(e.to_string().contains("arm,pl011,arm,primecell"), "{e}");
    }

    #[test]
    fn claim_of_a_claimed_device_changes_nothing() {
        let (_t, sys) = tree(0);
        let o = sys.claim("0xffa90000").unwrap();
        assert!(!o.changed);
        assert_eq!(o.nodes, ["dmacopy0"]);
        assert_eq!(sys.driver_override("ffa90000.dma"), None);
    }

    #[test]
    fn claim_refuses_a_channel_held_by_a_client() {
        let (_t, sys) = tree(1);
        let e = sys.claim("ffa80000.dma").unwrap_err();
        assert_eq!(e.exit_code(), 5, "{e}");
        assert!(e.to_string().contains("dma0chan0 (in_use 1)"), "{e}");
        // Nothing was written.
        assert_eq!(sys.driver_override("ffa80000.dma"), None);
    }

    #[test]
    fn claim_without_dmacopy_loaded() {
        let (_t, sys) = tree(0);
        fs::remove_dir(sys.platform.join("drivers/dmacopy")).unwrap();
        assert_eq!(sys.claim("ffa80000.dma").unwrap_err().kind(), "not_loaded");
    }

    #[test]
    fn release_checks() {
        let (_t, sys) = tree(0);
        // Another driver's device.
        assert_eq!(
            sys.release("ffa80000.dma", Some("dmacopy"))
                .unwrap_err()
                .exit_code(),
            1
        );
        assert_eq!(
            sys.release("ffa80000.dma", Some("no-such-driver"))
                .unwrap_err()
                .kind(),
            "not_loaded"
        );
        // Already with the driver asked for.
        let o = sys
            .release("ffa80000.dma", Some("xilinx-zynqmp-dma"))
            .unwrap();
        assert!(!o.changed);
        // Already with its upstream driver.
        assert!(!sys.release("ffa80000.dma", None).unwrap().changed);
        assert_eq!(
            sys.release("ffa80000.dma", Some("uart-pl011"))
                .unwrap_err()
                .kind(),
            "not_claimed"
        );
    }

    #[test]
    fn release_refuses_an_open_node() {
        let (t, sys) = tree(0);
        let fd = t.path().join("proc/42/fd");
        fs::create_dir_all(&fd).unwrap();
        symlink("/dev/dmacopy0", fd.join("3")).unwrap();
        fs::write(t.path().join("proc/42/comm"), "copier\n").unwrap();
        let e = sys.release("dmacopy0", None).unwrap_err();
        assert_eq!(e.exit_code(), 5, "{e}");
        assert!(e.to_string().contains("42 (copier) /dev/dmacopy0"), "{e}");
        // A mapping without a descriptor counts too.
        fs::remove_file(fd.join("3")).unwrap();
        fs::write(
            t.path().join("proc/42/maps"),
            "ffff8000-ffff9000 rw-s 00000000 00:05 7    /dev/dmacopy0\n",
        )
        .unwrap();
        assert_eq!(sys.release("dmacopy0", None).unwrap_err().exit_code(), 5);
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_addr("0xffa80000"), Some(0xffa8_0000));
        assert_eq!(parse_addr("3f007000"), Some(0x3f00_7000));
        assert_eq!(parse_addr("0x"), None);
        assert_eq!(parse_addr("+12"), None);
        assert_eq!(parse_addr("0x1_0"), None);
        assert_eq!(parse_addr("0x10000000000000000"), None);
    }
}
