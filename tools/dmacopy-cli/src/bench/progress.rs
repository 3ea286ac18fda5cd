// SPDX-License-Identifier: GPL-2.0

//! The progress of a bench on standard error: one line rewritten in place on a terminal, or a
//! line per finished point elsewhere (logs, pipes) and with `-q`.

use super::report::{latency, mb, rate, Run};
use std::io::{self, Write};

/// Where the bench is, and how to show it.
pub struct Progress {
    /// Rewrite one line with `\r`.
    live: bool,
    /// Runs to do: points times repeats.
    total: usize,
    /// Runs done (or skipped).
    done: usize,
    /// Characters of the live line on screen.
    shown: usize,
}

/// `[ 37/180]`: the run's number, padded to the width of the total.
fn counter(n: usize, total: usize) -> String {
    let w = total.to_string().len();
    format!("[{n:>w$}/{total}]")
}

/// The live line while run `n` goes: `[ 37/180] dma cpu1 64K rep 2/3 ...`.
pub fn running_line(n: usize, total: usize, label: &str, rep: u32, repeats: u32) -> String {
    format!("{} {label} rep {rep}/{repeats} ...", counter(n, total))
}

/// The line for a finished run: `[ 37/180] dma cpu1 64K rep 2/3: 12.3k/s, 4.56 MB/s, p50
/// 7.80 us, p99 12.0 us`, or the error.
pub fn finished_line(
    n: usize,
    total: usize,
    label: &str,
    rep: u32,
    repeats: u32,
    outcome: Result<&Run, &str>,
) -> String {
    let what = match outcome {
        // A run of `null` calls moves no bytes: no MB/s.
        Ok(r) if r.mb_per_s == 0.0 => format!(
            "{}, p50 {}, p99 {}",
            rate(r.copies_per_s),
            latency(r.p50_ns),
            latency(r.p99_ns)
        ),
        Ok(r) => format!(
            "{}, {}, p50 {}, p99 {}",
            rate(r.copies_per_s),
            mb(r.mb_per_s),
            latency(r.p50_ns),
            latency(r.p99_ns)
        ),
        Err(e) => format!("error: {e}"),
    };
    format!("{} {label} rep {rep}/{repeats}: {what}", counter(n, total))
}

impl Progress {
    /// Progress over `total` runs; `live` on a terminal without `-q`.
    pub fn new(total: usize, live: bool) -> Progress {
        Progress {
            live,
            total,
            done: 0,
            shown: 0,
        }
    }

    /// Writes to standard error; a closed or full stderr is not worth failing the bench for.
    fn write(&mut self, text: &str) {
        let mut err = io::stderr().lock();
        let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
    }

    /// Removes the live line, if one is shown.
    pub fn clear(&mut self) {
        if self.shown > 0 {
            let blank = format!("\r{:w$}\r", "", w = self.shown);
            self.write(&blank);
            self.shown = 0;
        }
    }

    /// A run starts.
    pub fn start(&mut self, label: &str, rep: u32, repeats: u32) {
        if self.live {
            let line = running_line(self.done + 1, self.total, label, rep, repeats);
            let pad = self.shown.saturating_sub(line.chars().count());
            let text = format!("\r{line}{:pad$}", "");
            self.shown = line.chars().count() + pad;
            self.write(&text);
        }
    }

    /// A run ended. A failed one is always reported, on a line of its own.
    pub fn finish(&mut self, label: &str, rep: u32, repeats: u32, outcome: Result<&Run, &str>) {
        self.done += 1;
        if !self.live || outcome.is_err() {
            let line = finished_line(self.done, self.total, label, rep, repeats, outcome);
            self.note(&line);
        }
    }

    /// `runs` fewer runs to come than planned (points dropped before the timed runs).
    pub fn drop_runs(&mut self, runs: usize) {
        self.total = self.total.saturating_sub(runs);
    }

    /// A run skipped (its point failed in an earlier repeat).
    pub fn skip(&mut self) {
        self.done += 1;
    }

    /// A message on a line of its own, under the live line.
    pub fn note(&mut self, msg: &str) {
        self.clear();
        self.write(&format!("{msg}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            running_line(37, 180, "dma cpu1 64K", 2, 3),
            "[ 37/180] dma cpu1 64K rep 2/3 ..."
        );
        assert_eq!(
            running_line(1, 9, "null cpu0", 1, 1),
            "[1/9] null cpu0 rep 1/1 ..."
        );
        let run = Run::new(12_345, 1.0, 4096, 7800, 12_000);
        assert_eq!(
            finished_line(180, 180, "dma cpu1 4K", 3, 3, Ok(&run)),
            "[180/180] dma cpu1 4K rep 3/3: 12.3k/s, 50.6 MB/s, p50 7.80 us, p99 12.0 us"
        );
        let null = Run::new(100_000, 1.0, 0, 5000, 20_000);
        assert_eq!(
            finished_line(3, 10, "null cpu0", 1, 3, Ok(&null)),
            "[ 3/10] null cpu0 rep 1/3: 100k/s, p50 5.00 us, p99 20.0 us"
        );
        assert_eq!(
            finished_line(5, 180, "channels x2 64", 1, 3, Err("boom")),
            "[  5/180] channels x2 64 rep 1/3: error: boom"
        );
    }
}
