// SPDX-License-Identifier: GPL-2.0

//! Which devices the driver binds: all that match its device-tree table, or only those that the
//! `channels` module parameter lists.
//!
//! `channels` is a comma-separated list of platform device names (`ffa80000.dma`,
//! `3f007000.dma-controller`) or register base addresses (`0xffa80000`, the start of the
//! device's first `reg` range). With it, probe declines every other device with `ENODEV` (one
//! info line, no error), so that another driver (e.g. `zynqmp_dma`) can have it. A device whose
//! `driver_override` names `dmacopy` is bound whatever the list says: an explicit claim from
//! user space always wins. The list selects devices, not channels within a device: the BCM2835
//! controller is one device with all its channels.

use kernel::{
    device::Core,
    platform,
    prelude::*,
    str::BStr, //
};

use crate::stand_in::binding;

/// Longest device name accepted in `channels` (platform device names are `<addr>.<node>`).
const MAX_NAME: usize = 64;

/// One entry of `channels`.
#[derive(Clone, Copy)]
enum Entry<'a> {
    /// A platform device name.
    Name(&'a [u8]),
    /// A register base address.
    Addr(u64),
}

impl<'a> Entry<'a> {
    /// Parses one entry (surrounding blanks already trimmed); `None` if it is malformed.
    fn parse(item: &'a [u8]) -> Option<Self> {
        if let Some(hex) = item
            .strip_prefix(b"0x")
            .or_else(|| item.strip_prefix(b"0X"))
        {
            if hex.is_empty() || hex.len() > 16 || !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let hex = core::str::from_utf8(hex).ok()?;
            return u64::from_str_radix(hex, 16).ok().map(Entry::Addr);
        }
        let name_char = |c: &u8| c.is_ascii_alphanumeric() || b"._-:@".contains(c);
        if item.is_empty() || item.len() > MAX_NAME || !item.iter().all(name_char) {
            return None;
        }
        Some(Entry::Name(item))
    }

    /// Whether this entry names the device `name` with registers at `reg_base`.
    fn matches(self, name: &[u8], reg_base: Option<u64>) -> bool {
        match self {
            Entry::Name(n) => n == name,
            Entry::Addr(a) => reg_base == Some(a),
        }
    }
}

/// The entries of `list`, each trimmed of blanks, empty ones skipped (`a,,b,` is `a,b`);
/// `Err(item)` for a malformed one.
fn entries(list: &[u8]) -> impl Iterator<Item = core::result::Result<Entry<'_>, &[u8]>> {
    list.split(|&c| c == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|item| !item.is_empty())
        .map(|item| Entry::parse(item).ok_or(item))
}

/// The `channels` list, if one was given with at least one entry (a list of blanks and commas
/// only, as a script may leave, means every device, like an empty one).
fn list() -> Option<&'static [u8]> {
    binding::channels_param()
        .map(|s| s.to_bytes().trim_ascii())
        .filter(|s| entries(s).next().is_some())
}

/// Checks `channels` when the module loads: a malformed entry fails the load, with a message
/// that names it.
pub(crate) fn check_param() -> Result {
    let Some(list) = list() else {
        return Ok(());
    };
    for entry in entries(list) {
        if let Err(item) = entry {
            pr_err!(
                "channels: '{}' is neither a platform device name (e.g. ffa80000.dma) nor a register address (e.g. 0xffa80000)\n",
                BStr::from_bytes(item)
            );
            return Err(EINVAL);
        }
    }
    Ok(())
}

/// Whether probe should bind `pdev`: `channels` is empty, lists it, or its `driver_override`
/// names this driver. Logs one info line when it is declined.
pub(crate) fn wanted(pdev: &platform::Device<Core<'_>>) -> bool {
    let Some(list) = list() else {
        return true;
    };
    let dev = pdev.as_ref();
    let name = dev.name().to_bytes();
    let reg_base = pdev.resource_by_index(0).map(|r| r.start());
    // Entries were checked at load: a malformed one (not reachable) matches nothing.
    if entries(list).any(|e| e.is_ok_and(|e| e.matches(name, reg_base))) {
        return true;
    }
    if binding::driver_override_is(dev, c"dmacopy") {
        return true;
    }
    dev_info!(
        dev,
        "not in channels=, left for other drivers (claim it with driver_override)\n"
    );
    false
}
