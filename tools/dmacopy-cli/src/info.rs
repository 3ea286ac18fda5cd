// SPDX-License-Identifier: GPL-2.0

//! `dmacopy info`: what each node drives, as a table or as JSON.

use crate::args::InfoOpts;
use crate::{emit, open_node, select_nodes, CliError, CliResult};
use dmacopy::{errno_desc, uapi::CAP_NAMES, Device, Info};
use serde::Serialize;

/// The table's columns, and whether each is a number (right-aligned).
const COLUMNS: [(&str, bool); 10] = [
    ("node", false),
    ("controller", false),
    ("reg_base", true),
    ("irq", true),
    ("buf_size", true),
    ("max_len", true),
    ("align", true),
    ("auto_threshold", true),
    ("caps", false),
    ("abi", true),
];

/// One table row: the cells in [`COLUMNS`] order.
fn row(node: &str, info: &Info) -> [String; 10] {
    [
        node.to_owned(),
        info.controller_str().to_owned(),
        format!("{:#x}", info.reg_base),
        info.irq.to_string(),
        info.buf_size.to_string(),
        info.max_len.to_string(),
        info.align.to_string(),
        info.auto_threshold.to_string(),
        info.caps_string(),
        info.abi_version.to_string(),
    ]
}

/// The table: a header line, then one line per node, columns two spaces apart.
pub fn table(nodes: &[(String, Info)]) -> String {
    let header = COLUMNS.map(|(name, _)| name.to_owned());
    let rows: Vec<[String; 10]> = core::iter::once(header)
        .chain(nodes.iter().map(|(node, info)| row(node, info)))
        .collect();
    let right = COLUMNS.map(|(_, right)| right);
    let mut out = String::new();
    for line in crate::table::lines(&right, &rows) {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One node in `info --json`.
#[derive(Debug, Serialize)]
pub struct NodeJson<'a> {
    /// The node's path, e.g. `/dev/dmacopy0`.
    pub node: &'a str,
    /// The controller's model, e.g. `zynqmp-zdma`.
    pub controller: &'a str,
    /// The physical address of the channel's registers.
    pub reg_base: u64,
    /// The channel's Linux IRQ number.
    pub irq: u32,
    /// Bytes in SRC, and in DST.
    pub buf_size: u64,
    /// The largest COPY.
    pub max_len: u64,
    /// The DMA-mode alignment of offsets and lengths.
    pub align: u32,
    /// AUTO copies below this go by the CPU.
    pub auto_threshold: u64,
    /// The `DMACOPY_CAP_*` bits.
    pub caps: u32,
    /// The names of the known bits that are set.
    pub cap_names: Vec<&'static str>,
    /// `DMACOPY_ABI_VERSION` of the driver.
    pub abi: u32,
}

impl<'a> NodeJson<'a> {
    /// The JSON view of `info` of `node`.
    pub fn new(node: &'a str, info: &'a Info) -> NodeJson<'a> {
        NodeJson {
            node,
            controller: info.controller_str(),
            reg_base: info.reg_base,
            irq: info.irq,
            buf_size: info.buf_size,
            max_len: info.max_len,
            align: info.align,
            auto_threshold: info.auto_threshold,
            caps: info.caps,
            cap_names: CAP_NAMES
                .iter()
                .filter(|(bit, _)| info.caps & bit != 0)
                .map(|&(_, name)| name)
                .collect(),
            abi: info.abi_version,
        }
    }
}

/// The JSON array: one object per node.
pub fn json(nodes: &[(String, Info)]) -> String {
    let objects: Vec<NodeJson> = nodes
        .iter()
        .map(|(node, info)| NodeJson::new(node, info))
        .collect();
    crate::to_json(&objects)
}

/// Runs `dmacopy info`. A node that cannot be opened or asked is reported and skipped; the
/// command then fails after printing the others.
pub fn run(o: &InfoOpts) -> CliResult {
    let mut nodes = Vec::new();
    let mut failed = false;
    for index in select_nodes(o.device)? {
        let path = Device::node_path(index).display().to_string();
        let info = open_node(index).and_then(|dev| {
            dev.info().map_err(|e| {
                CliError::Failed(format!("{path}: DMACOPY_IOC_INFO: {}", errno_desc(&e)))
            })
        });
        match info {
            Ok(info) => nodes.push((path, info)),
            Err(CliError::Failed(msg)) => {
                eprintln!("dmacopy: {msg}");
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if o.json {
        emit(&json(&nodes))?;
    } else if !nodes.is_empty() {
        emit(&table(&nodes))?;
    }
    if failed {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmacopy::{ABI_VERSION, CAP_COPY_USER, CAP_MMAP, CAP_SG};

    fn zdma(reg_base: u64, irq: u32, caps: u32) -> Info {
        let mut info = Info {
            abi_version: ABI_VERSION,
            caps,
            buf_size: 1 << 20,
            max_len: 1 << 20,
            reg_base,
            irq,
            align: 1,
            auto_threshold: 4096,
            ..Info::default()
        };
        info.controller[..11].copy_from_slice(b"zynqmp-zdma");
        info
    }

    fn nodes() -> Vec<(String, Info)> {
        vec![
            ("/dev/dmacopy0".to_owned(), zdma(0xffa8_0000, 60, CAP_MMAP)),
            (
                "/dev/dmacopy1".to_owned(),
                zdma(0xffa9_0000, 61, CAP_MMAP | CAP_COPY_USER | CAP_SG),
            ),
        ]
    }

    #[test]
    fn the_table() {
        let t = table(&nodes());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            concat!(
                "node           controller     reg_base  irq  buf_size  max_len  align",
                "  auto_threshold  caps               abi"
            )
        );
        assert_eq!(
            lines[1],
            concat!(
                "/dev/dmacopy0  zynqmp-zdma  0xffa80000   60   1048576  1048576      1",
                "            4096  mmap                 1"
            )
        );
        assert!(lines[2].contains("0xffa90000   61"));
        assert!(lines[2].contains("mmap|copy_user|sg  "));
    }

    #[test]
    fn the_json() {
        let j = json(&nodes());
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert!(j.ends_with("}\n]\n"), "{j}");
        assert_eq!(v.as_array().map(Vec::len), Some(2));
        assert_eq!(v[0]["node"], "/dev/dmacopy0");
        assert_eq!(v[0]["controller"], "zynqmp-zdma");
        assert_eq!(v[0]["reg_base"], 4_289_200_128_u64);
        assert_eq!(v[0]["irq"], 60);
        assert_eq!(v[0]["cap_names"], serde_json::json!(["mmap"]));
        assert_eq!(v[1]["caps"], 7);
        assert_eq!(
            v[1]["cap_names"],
            serde_json::json!(["mmap", "copy_user", "sg"])
        );
        assert_eq!(v[1]["abi"], 1);
        assert_eq!(json(&[]), "[]\n");
    }
}
