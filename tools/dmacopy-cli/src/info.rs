// SPDX-License-Identifier: GPL-2.0

//! `dmacopy info`: what each node drives, as a table or as JSON.

use crate::args::InfoOpts;
use crate::{emit, open_node, select_nodes, CliError, CliResult};
use core::fmt::Write as _;
use dmacopy::{errno_desc, uapi::CAP_NAMES, Device, Info};

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

/// `s` as a JSON string, quotes included.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One node as a JSON object, on one line.
fn json_object(node: &str, info: &Info) -> String {
    let caps: Vec<String> = CAP_NAMES
        .iter()
        .filter(|(bit, _)| info.caps & bit != 0)
        .map(|(_, name)| json_string(name))
        .collect();
    format!(
        "{{\"node\": {}, \"controller\": {}, \"reg_base\": {}, \"irq\": {}, \"buf_size\": {}, \
         \"max_len\": {}, \"align\": {}, \"auto_threshold\": {}, \"caps\": {}, \
         \"cap_names\": [{}], \"abi\": {}}}",
        json_string(node),
        json_string(info.controller_str()),
        info.reg_base,
        info.irq,
        info.buf_size,
        info.max_len,
        info.align,
        info.auto_threshold,
        info.caps,
        caps.join(", "),
        info.abi_version,
    )
}

/// The JSON array: one object per node, one per line.
pub fn json(nodes: &[(String, Info)]) -> String {
    if nodes.is_empty() {
        return "[]\n".to_owned();
    }
    let objects: Vec<String> = nodes
        .iter()
        .map(|(node, info)| format!("  {}", json_object(node, info)))
        .collect();
    format!("[\n{}\n]\n", objects.join(",\n"))
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
        assert!(j.starts_with("[\n  {\"node\": \"/dev/dmacopy0\", \"controller\": \"zynqmp-zdma\", \"reg_base\": 4289200128, \"irq\": 60, "));
        assert!(j.contains(
            "\"caps\": 7, \"cap_names\": [\"mmap\", \"copy_user\", \"sg\"], \"abi\": 1}\n]\n"
        ));
        assert!(j.contains("\"abi\": 1},\n  {\"node\": \"/dev/dmacopy1\""));
        assert_eq!(json(&[]), "[]\n");
    }

    #[test]
    fn json_strings() {
        assert_eq!(json_string("zynqmp-zdma"), "\"zynqmp-zdma\"");
        assert_eq!(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(json_string("\n\t\u{1}"), "\"\\n\\t\\u0001\"");
        assert_eq!(json_string("é"), "\"é\"");
    }
}
