// SPDX-License-Identifier: GPL-2.0

//! Plain-text tables for the terminal: columns two spaces apart, each as wide as its widest cell.

use core::fmt::Write;

/// Lays out `rows` (the header first) in columns two spaces apart; `right[i]` right-aligns
/// column `i`. Returns one line per row, padded to the full width of every column, so that a
/// caller can append more text; trim the end before printing.
pub fn lines<R: AsRef<[String]>>(right: &[bool], rows: &[R]) -> Vec<String> {
    let mut widths = vec![0; right.len()];
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r.as_ref()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|r| {
            let mut line = String::new();
            for (i, (cell, (&w, &right))) in
                r.as_ref().iter().zip(widths.iter().zip(right)).enumerate()
            {
                let sep = if i == 0 { "" } else { "  " };
                // Writing to a String cannot fail.
                let _ = if right {
                    write!(line, "{sep}{cell:>w$}")
                } else {
                    write!(line, "{sep}{cell:<w$}")
                };
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned() {
        let rows = [
            vec!["a".to_owned(), "n".to_owned()],
            vec!["long".to_owned(), "12345".to_owned()],
        ];
        assert_eq!(lines(&[false, true], &rows), ["a         n", "long  12345"]);
    }
}
