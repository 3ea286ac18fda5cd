#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The report of `make bench`: merges what the guest measured into one JSON document, prints
the table and the targets of issues 7 and 9, and writes the same table in Markdown and a plot.

    bench-report.py --ours OURS.json --dmatest DMATEST.json --out-dir DIR
                    [--date ISO-8601] [--qemu QEMU] [--console LOG]
    bench-report.py --self-test

OURS.json is `dmacopy bench --json`'s document (schema dmacopy-bench/1); DMATEST.json is
scripts/bench-guest.sh's record of the kernel's dmatest on the board's upstream driver
(zynqmp_dma on versal, bcm2835-dma on rpi3; schema dmacopy-dmatest/1, whose "board" names the
board, versal when absent). Writes DIR/bench.json (ours, plus the rows dmatest-irq and
dmatest-polled, "date", "host", "targets", "targets9", "ratios9"), DIR/bench.md and
DIR/bench.png.

Issue 9's rows: user (COPY_USER in DMA mode), bounce (pwrite to SRC, COPY, pread from DST;
above buf_size in pieces of buf_size rounded down to align, one after the other, as a program
without COPY_USER must: the report says how many), user-memcpy, and user-huge and bounce-huge (user and bounce with both user buffers on
transparent huge pages), side by side at each size; batch (one COPY_BATCH of N copies) and single (the same
copies one COPY each), side by side at each batch length and size. Their ratios are taken
within each repeat (the runs were measured moments apart) and shown as the median and the
spread (min-max) over the repeats. Rows that the driver could not run (caps), sizes that the
bounce path could not take (documents of dmacopy bench before it went in pieces: above
buf_size), and the huge rows where the kernel has no
transparent huge pages or the buffers did not get them (per size, or per size and CPU), are listed in "settings.not_measured" of OURS.json
with the reason; they are reported as not measured, not as missing.

Exit status: 0 when the data is complete, whether or not the targets are met (a benchmark
reports; it is not a test); 1 when the run is not usable (a verification failed, a point is
missing, a document is malformed): then only bench.json is written, with its "problems".

The interpreter is Debian's /usr/bin/python3 on purpose: the plot needs its
python3-matplotlib (scripts/setup.sh installs it), which another python3 first in PATH
(pyenv, a virtualenv) would not see.
"""

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile

# Rows of `dmacopy bench`, in the table's order; dmatest's come last.
ROW_ORDER = ["dma", "cpu", "auto", "memcpy", "null", "channels", "user", "bounce", "user-memcpy",
             "user-huge", "bounce-huge", "batch", "single", "dmatest-irq", "dmatest-polled"]
USER_ROWS = ("user", "bounce", "user-memcpy", "user-huge", "bounce-huge")
HUGE_ROWS = ("user-huge", "bounce-huge")
BATCH_ROWS = ("batch", "single")
DMATEST_ROWS = {"irq": "dmatest-irq", "polled": "dmatest-polled"}
# Issue 7, point 2.
T1_SMALL_MAX = 64 << 10        # up to here (inclusive) DMA must be 1.5x dmatest's best...
T1_SMALL_NEED = 1.5
T1_LARGE_NEED = 1.2            # ...and 1.2x above
T2_SIZE, T2_NEED = 64, 0.15    # DMA at 64 B against the null ioctl
T3_NEED = 0.95                 # AUTO within 5% of the better of DMA and CPU
T4_SIZE, T4_NEED = 64 << 10, 1.7   # 2 channels against 1
# Issue 9: COPY_USER (DMA) against the bounce path from 1 MiB on; a batch of 256 x 4 KiB
# against the same copies one COPY each.
T9_USER_FROM, T9_USER_NEED = 1 << 20, 2.0
T9_BATCH_ENTRIES, T9_BATCH_SIZE, T9_BATCH_NEED = 256, 4 << 10, 10.0
# The emulated boards: QEMU's machine, and what the comparison with dmatest measures there. The
# targets above were set for versal; on another board they are shown for reference.
BOARDS = {
    "versal": {
        "machine": "xlnx-versal-virt",
        "targets": "issue 7",
        "how": "dmatest's channel is another ZDMA channel of the same model, handed from dmacopy "
               "to zynqmp_dma for the purpose; the other channels stay with dmacopy",
    },
    "rpi3": {
        "machine": "raspi3b",
        "targets": "issue 7, set for versal's ZDMA; here for reference only",
        "how": "the BCM2835 controller is one device for all its channels, so dmacopy is unbound "
               "from it after its rows, bcm2835-dma (with virt-dma) takes it, and dmatest "
               "copies on hardware channel 0, the one dmacopy0 used; every size is a multiple "
               "of 4 (QEMU's model never ends a copy of another length), which dmatest copies "
               "exactly (norandom=1)",
    },
}


class Problem(Exception):
    """The data cannot make a report."""


# --- Statistics -------------------------------------------------------------------------

def median(xs):
    """The median; of an even count, the mean of the middle two (as `dmacopy bench`)."""
    s = sorted(xs)
    if not s:
        raise Problem("median of nothing")
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": median(xs), "min": min(xs), "max": max(xs)}


def ratio(a, b):
    """a / b, or None when either is missing or b is 0."""
    if a is None or b is None or b == 0:
        return None
    return a / b


# --- dmatest ------------------------------------------------------------------------------

def parse_summary(line):
    """dmatest's summary line (drivers/dma/dmatest.c, dmatest_func):
    'dmatest: dma0chan0-copy0: summary 2000 tests, 0 failures 6694.80 iops 26779 KB/s (0)'.
    iops = tests / run time (the thread's loop, measured in microseconds); KB/s is KiB/s
    (bytes >> 10 per second), truncated to a whole number."""
    words = line.replace(",", " ").split()
    try:
        i = words.index("summary")
        tests, failures = int(words[i + 1]), int(words[i + 3])
        iops, kib = float(words[i + 5]), int(words[i + 7])
        ret = int(words[i + 9].strip("()"))
    except (ValueError, IndexError) as e:
        raise Problem(f"cannot read dmatest's summary line {line!r}") from e
    if words[i + 2] != "tests" or words[i + 4] != "failures" or words[i + 6] != "iops" \
            or words[i + 8] != "KB/s":
        raise Problem(f"cannot read dmatest's summary line {line!r}")
    return {"tests": tests, "failures": failures, "iops": iops, "kib_per_s": kib, "ret": ret}


def dmatest_points(dm):
    """Points of the rows dmatest-irq and dmatest-polled from the guest's record of runs: one
    per (mode, size), or per (mode, size, CPU) when the thread was pinned ("pinned": N)."""
    by_key = {}
    for r in dm.get("runs", []):
        if r["mode"] not in DMATEST_ROWS:
            raise Problem(f"dmatest run of unknown mode {r['mode']!r}")
        parsed = parse_summary(r["summary"])
        for k in ("tests", "failures", "iops", "kib_per_s", "ret"):
            if parsed[k] != r[k]:
                raise Problem(f"dmatest run {r}: {k} disagrees with its summary line")
        # The one failure allowed: in interrupt mode, the copy in flight that stopping the
        # run cut short (scripts/bench-guest.sh), flagged by the guest as "cut".
        cut = int(r.get("cut", 0))
        if cut not in (0, 1) or (cut and r["mode"] != "irq") or r["failures"] != cut:
            raise Problem(f"dmatest run with failures: {r['summary']}")
        if r["ret"] or r["tests"] <= cut or r["iops"] <= 0:
            raise Problem(f"dmatest run without a completed copy: {r['summary']}")
        size, iops = int(r["size"]), float(r["iops"])
        secs = r["tests"] / iops            # dmatest's own run time (its loop, in µs)
        copies = r["tests"] - cut
        rate = copies / secs
        run = {
            "copies": copies,
            "secs": secs,
            "copies_per_s": rate,
            # 10^6 bytes/s, as our rows: every copy moves exactly `size` bytes (norandom=1).
            "mb_per_s": rate * size / 1e6,
            "p50_ns": None,
            "p99_ns": None,
            "mean_ns": 1e9 / rate,
            "tests": r["tests"], "cut": cut, "iops": iops, "kib_per_s": r["kib_per_s"],
            "pinned": r.get("pinned"),
            "cpus_seen": r.get("cpus_seen", []),
            "repeat": r.get("repeat"),
        }
        by_key.setdefault((r["mode"], size, r.get("pinned")), []).append(run)
    points = []
    for (mode, size, cpu), runs in sorted(by_key.items(),
                                          key=lambda kv: (kv[0][1], kv[0][0], kv[0][2] or -1)):
        runs.sort(key=lambda r: (r["repeat"] is None, r["repeat"]))
        points.append({
            "row": DMATEST_ROWS[mode], "cpu": cpu, "channels": 1, "size": size, "runs": runs,
            "copies_per_s": spread([r["copies_per_s"] for r in runs]),
            "mb_per_s": spread([r["mb_per_s"] for r in runs]),
            "p50_ns": None, "p99_ns": None,
            "mean_ns": spread([r["mean_ns"] for r in runs]),
        })
    return points


# --- The merged document --------------------------------------------------------------------

def key(p):
    return (p["row"], p.get("cpu"), p.get("channels", 1), p["size"], p.get("entries", 1))


class Data:
    """Both documents, indexed."""

    def __init__(self, ours, dm):
        if ours.get("schema") != "dmacopy-bench/1":
            raise Problem(f"OURS is not a dmacopy-bench/1 document (schema {ours.get('schema')!r})")
        if dm.get("schema") != "dmacopy-dmatest/1":
            raise Problem(f"DMATEST is not a dmacopy-dmatest/1 document (schema {dm.get('schema')!r})")
        self.board = dm.get("board", "versal")
        if self.board not in BOARDS:
            raise Problem(f"DMATEST names an unknown board {self.board!r} (known: {', '.join(BOARDS)})")
        self.ours, self.dm = ours, dm
        self.points = list(ours.get("points", [])) + dmatest_points(dm)
        self.idx = {}
        for p in self.points:
            if key(p) in self.idx:
                raise Problem(f"two points for {key(p)}")
            self.idx[key(p)] = p
        st = ours.get("settings", {})
        self.ours_sizes = [int(s) for s in st.get("sizes", [])]
        self.ours_skipped = [int(s) for s in st.get("skipped_sizes", [])]
        self.dm_sizes = [int(s) for s in dm.get("settings", {}).get("sizes", [])]
        self.sizes = sorted(set(self.ours_sizes) | set(self.ours_skipped) | set(self.dm_sizes))
        self.cpus = [int(c) for c in st.get("cpus", [])] or sorted(
            {p["cpu"] for p in ours.get("points", []) if p.get("cpu") is not None})
        self.channels = [int(c) for c in st.get("channels", [])]
        self.dm_skipped = {(s["mode"], int(s["size"])): s["reason"] for s in dm.get("skipped", [])}
        self.rows = st.get("rows") or []
        self.user_sizes = [int(s) for s in st.get("user_sizes", [])]
        self.batch_entries = [int(n) for n in st.get("batch_entries", [])]
        self.batch_sizes = [int(s) for s in st.get("batch_sizes", [])]
        self.not_measured = list(st.get("not_measured", []))
        self.sizes = sorted(set(self.sizes) | {p["size"] for p in self.points
                                               if p["row"] in USER_ROWS + BATCH_ROWS})
        # dmatest's rows: cpu None (its thread not pinned), or one per CPU it was pinned to.
        self.dm_cpus = [int(c) for c in dm.get("settings", {}).get("cpus", [])] or [None]

    def median(self, row, cpu, size, channels=1, what="copies_per_s", entries=1):
        p = self.idx.get((row, cpu, channels, size, entries))
        if p is None or p.get(what) is None:
            return None
        return p[what]["median"]

    def not_measured_why(self, row, size=None, entries=None, cpu=None):
        """The reason a row (at size, with entries, from cpu) was not measured, from OURS'
        settings, or None when it was meant to be. An entry with a cpu (a huge row whose
        buffers did not get huge pages in a run from that CPU) is about that CPU only."""
        for m in self.not_measured:
            if m.get("row") != row:
                continue
            if m.get("cpu") is not None and cpu is not None and int(m["cpu"]) != cpu:
                continue
            if m.get("size") is not None and size is not None and int(m["size"]) != size:
                continue
            if m.get("entries") is not None and entries is not None and int(m["entries"]) != entries:
                continue
            return m.get("reason", "not measured")
        return None

    def ratios(self, num, den):
        """num's copies/s over den's within each repeat (the CLI runs them side by side): the
        list, or None when a point is missing or their runs do not pair up."""
        pts = [self.idx.get(k) for k in (num, den)]
        if any(p is None or not p.get("runs") for p in pts):
            return None
        runs = [[r.get("copies_per_s") for r in p["runs"]] for p in pts]
        if len(runs[0]) != len(runs[1]) or any(v in (None, 0) for v in runs[1]) or None in runs[0]:
            return None
        return [a / b for a, b in zip(*runs)]

    def paired(self, num, dens):
        """The median over repeats of num's copies/s over the best of dens' in the same repeat
        (the CLI runs them back to back), where every point has the same number of runs; else
        the ratio of the medians. Keys as in self.idx; None when a point is missing."""
        num, dens = k5(num), [k5(d) for d in dens]
        pts = [self.idx.get(k) for k in [num] + list(dens)]
        if any(p is None or p.get("copies_per_s") is None for p in pts):
            return None
        runs = [[r.get("copies_per_s") for r in p.get("runs", [])] for p in pts]
        n = len(runs[0])
        if n and all(len(r) == n and None not in r for r in runs):
            return median([runs[0][i] / max(r[i] for r in runs[1:]) for i in range(n)])
        return ratio(pts[0]["copies_per_s"]["median"],
                     max(p["copies_per_s"]["median"] for p in pts[1:]))

    def dmatest(self, row, size):
        """dmatest's median in that row at size: the best over the CPUs its thread was pinned
        to, if it was; None when not measured."""
        m = [v for v in (self.median(row, c, size) for c in self.dm_cpus) if v is not None]
        return max(m) if m else None

    def best(self, size):
        """dmatest's best at size: the better of its two modes' medians (and of the CPUs its
        thread was pinned to), or None."""
        m = [v for v in (self.dmatest(r, size) for r in DMATEST_ROWS.values()) if v is not None]
        return max(m) if m else None

    def null_rate(self, cpu):
        """The null ioctl's rate from cpu, or from its only CPU when it ran on one."""
        v = self.median("null", cpu, 0)
        if v is None:
            nulls = [p for p in self.points if p["row"] == "null"]
            if len(nulls) == 1:
                v = nulls[0]["copies_per_s"]["median"]
        return v

    def why_missing(self, row, size, entries=None, cpu=None):
        why = self.not_measured_why(row, size, entries, cpu)
        if why is not None:
            return f"{row} not measured: {why}"
        if size in self.ours_skipped and not row.startswith("dmatest"):
            return "size skipped by dmacopy bench (larger than buf_size)"
        for mode, r in DMATEST_ROWS.items():
            if r == row and (mode, size) in self.dm_skipped:
                return "dmatest: " + self.dm_skipped[(mode, size)]
        return "not measured"

    def problems(self):
        """Why the run is not usable, as sentences; empty when it is."""
        out = []
        for v in self.ours.get("verify", []):
            if not v.get("ok"):
                out.append(f"verification failed: {v.get('row')} at {v.get('size')} B: {v.get('detail')}")
        if not self.ours.get("verify"):
            out.append("dmacopy bench reported no verification pass")
        if not self.ours_sizes:
            out.append("dmacopy bench measured no size")
        for p in self.points:
            if p.get("error"):
                out.append(f"{label(p)} at {fmt_size(p['size'])}: {p['error']}")
                continue
            for r in p.get("runs", []):
                if not r.get("copies") or r.get("copies_per_s") in (None, 0):
                    out.append(f"{label(p)} at {fmt_size(p['size'])}: a run without copies")
                    break
        expect = []
        for s in self.ours_sizes:
            for row in ("dma", "cpu", "auto"):
                expect += [(row, c, 1, s) for c in self.cpus]
            expect += [("channels", None, n, s) for n in self.channels]
        for s in self.dm_sizes:
            for mode, row in DMATEST_ROWS.items():
                if (mode, s) not in self.dm_skipped:
                    expect += [(row, c, 1, s) for c in self.dm_cpus]
        expect = [k5(k) for k in expect]
        for row in USER_ROWS:
            if row in self.rows:
                expect += [(row, c, 1, s, 1) for s in self.user_sizes for c in self.cpus
                           if self.not_measured_why(row, s, cpu=c) is None]
        for row in BATCH_ROWS:
            if row in self.rows:
                expect += [(row, c, 1, s, n) for s in self.batch_sizes for n in self.batch_entries
                           for c in self.cpus if self.not_measured_why(row, s, n) is None]
        for k in expect:
            if k not in self.idx:
                out.append(f"missing: {k[0]}{f' x{k[4]}' if k[0] in BATCH_ROWS else ''}"
                           f"{'' if k[1] is None else f' cpu{k[1]}'}"
                           f"{f' x{k[2]}' if k[0] == 'channels' else ''} at {fmt_size(k[3])}")
        if not any(p["row"] == "null" for p in self.points):
            out.append("missing: the null ioctl row")
        for f in self.dm.get("failed", []):
            out.append(f"dmatest at {f.get('size')} B ({f.get('mode')}): {f.get('reason')}")
        return out


def k5(k):
    """A point's key with its batch length: (row, cpu, channels, size, entries)."""
    return tuple(k) if len(k) == 5 else tuple(k) + (1,)


# --- Targets ---------------------------------------------------------------------------------

def check(label_, r, need, missing=None):
    return {"what": label_, "ratio": r, "need": need,
            "met": None if r is None else r >= need - 1e-9, "missing": missing if r is None else None}


def verdict(checks):
    if any(c["met"] is False for c in checks):
        return "not met"
    if not checks or any(c["met"] is None for c in checks):
        return "incomplete"
    return "met"


def targets(d):
    """The four targets of issue 7, point 2, each with one check per (size, CPU)."""
    out = []
    # 1. DMA against dmatest's best.
    cs = []
    for s in d.ours_sizes:
        need = T1_SMALL_NEED if s <= T1_SMALL_MAX else T1_LARGE_NEED
        best = d.best(s)
        for c in d.cpus:
            r = ratio(d.median("dma", c, s), best)
            cs.append(check(f"{fmt_size(s)} cpu{c}", r, need,
                            d.why_missing("dmatest-irq", s) if best is None else d.why_missing("dma", s)))
    out.append({"id": 1, "name": "DMA copies/s >= 1.5x dmatest's best up to 64 KiB, >= 1.2x above, "
                "from every CPU", "checks": cs})
    # 2. DMA at 64 B against the null ioctl.
    cs = []
    for c in d.cpus:
        r = ratio(d.median("dma", c, T2_SIZE), d.null_rate(c))
        cs.append(check(f"cpu{c}", r, T2_NEED, "no DMA point at 64 B or no null ioctl row"))
    out.append({"id": 2, "name": "DMA at 64 B >= 0.15x the null ioctl's rate, from every CPU",
                "checks": cs})
    # 3. AUTO against the better of DMA and CPU.
    cs = []
    for s in d.ours_sizes:
        for c in d.cpus:
            r = d.paired(("auto", c, 1, s), [("dma", c, 1, s), ("cpu", c, 1, s)])
            cs.append(check(f"{fmt_size(s)} cpu{c}", r, T3_NEED, d.why_missing("auto", s)))
    out.append({"id": 3, "name": "AUTO within 5% of the better of DMA and CPU (>= 0.95x), at every "
                "size, from every CPU (median over repeats of the ratio within a repeat, in which "
                "the three run side by side)", "checks": cs})
    # 4. Two channels against one.
    r = d.paired(("channels", None, 2, T4_SIZE), [("channels", None, 1, T4_SIZE)])
    out.append({"id": 4, "name": "2 channels from 2 threads >= 1.7x the copies/s of 1, at 64 KiB",
                "checks": [check("64 KiB", r, T4_NEED, d.why_missing("channels", T4_SIZE))]})
    for t in out:
        t["verdict"] = verdict(t["checks"])
    return out


def ratio_spread(rs):
    return None if not rs else {"median": median(rs), "min": min(rs), "max": max(rs)}


def ratios9(d):
    """Issue 9's comparisons, each a dict with the ratio's median and spread over repeats:
    COPY_USER against the bounce path and against memcpy, per size and CPU; COPY_BATCH against
    the same copies one COPY each, per batch length, size and CPU."""
    user, batch = [], []
    for s in d.user_sizes:
        for c in d.cpus:
            u = ("user", c, 1, s, 1)
            if u not in d.idx and d.not_measured_why("user", s) is None:
                continue
            user.append({
                "size": s, "cpu": c,
                "user_mb_per_s": d.median("user", c, s, what="mb_per_s"),
                "bounce_mb_per_s": d.median("bounce", c, s, what="mb_per_s"),
                "memcpy_mb_per_s": d.median("user-memcpy", c, s, what="mb_per_s"),
                "x_bounce": ratio_spread(d.ratios(u, ("bounce", c, 1, s, 1))),
                "x_memcpy": ratio_spread(d.ratios(u, ("user-memcpy", c, 1, s, 1))),
                "why_user": d.not_measured_why("user", s),
                "why_bounce": d.not_measured_why("bounce", s),
            })
    for s in d.batch_sizes:
        for n in d.batch_entries:
            for c in d.cpus:
                b = ("batch", c, 1, s, n)
                if b not in d.idx and d.not_measured_why("batch", s, n) is None:
                    continue
                batch.append({
                    "size": s, "entries": n, "cpu": c,
                    "batch_copies_per_s": d.median("batch", c, s, entries=n),
                    "single_copies_per_s": d.median("single", c, s, entries=n),
                    "x_single": ratio_spread(d.ratios(b, ("single", c, 1, s, n))),
                    "why": d.not_measured_why("batch", s, n),
                })
    huge = []
    if any(r in d.rows for r in HUGE_ROWS):
        for s in d.user_sizes:
            for c in d.cpus:
                uh = ("user-huge", c, 1, s, 1)
                if uh not in d.idx and d.not_measured_why("user-huge", s, cpu=c) is None:
                    continue
                huge.append({
                    "size": s, "cpu": c,
                    "user_huge_mb_per_s": d.median("user-huge", c, s, what="mb_per_s"),
                    "bounce_huge_mb_per_s": d.median("bounce-huge", c, s, what="mb_per_s"),
                    "x_bounce_huge": ratio_spread(d.ratios(uh, ("bounce-huge", c, 1, s, 1))),
                    "x_user": ratio_spread(d.ratios(uh, ("user", c, 1, s, 1))),
                    "why_user_huge": d.not_measured_why("user-huge", s, cpu=c),
                    "why_bounce_huge": d.not_measured_why("bounce-huge", s, cpu=c),
                })
    return {"user": user, "user_huge": huge, "batch": batch}


def targets9(d):
    """The two targets of issue 9, with a check per (size, CPU) and per CPU; ratios are the
    median over repeats of the ratio within each repeat."""
    out = []
    cs = []
    for s in d.user_sizes:
        if s < T9_USER_FROM:
            continue
        for c in d.cpus:
            rs = d.ratios(("user", c, 1, s, 1), ("bounce", c, 1, s, 1))
            missing = d.why_missing("user", s) if ("user", c, 1, s, 1) not in d.idx \
                else d.why_missing("bounce", s)
            cs.append(check(f"{fmt_size(s)} cpu{c}", median(rs) if rs else None, T9_USER_NEED, missing))
    if not cs:
        cs.append(check("-", None, T9_USER_NEED, "no user size of 1 MiB or more was asked for"))
    out.append({"id": "9.1", "name": "COPY_USER (DMA) >= 2x the bounce path (write SRC, COPY, read DST) "
                "at 1 MiB and above, from every CPU", "checks": cs})
    # The same rule on THP buffers: user-huge over bounce-huge.
    cs = []
    if not any(r in d.rows for r in HUGE_ROWS):
        cs.append(check("-", None, T9_USER_NEED, "the user-huge and bounce-huge rows were not asked for"))
    for s in d.user_sizes if cs == [] else []:
        if s < T9_USER_FROM:
            continue
        for c in d.cpus:
            rs = d.ratios(("user-huge", c, 1, s, 1), ("bounce-huge", c, 1, s, 1))
            missing = d.why_missing("user-huge", s, cpu=c) if ("user-huge", c, 1, s, 1) not in d.idx \
                else d.why_missing("bounce-huge", s, cpu=c)
            cs.append(check(f"{fmt_size(s)} cpu{c}", median(rs) if rs else None, T9_USER_NEED, missing))
    if not cs:
        cs.append(check("-", None, T9_USER_NEED, "no user size of 1 MiB or more was asked for"))
    out.append({"id": "9.1-thp", "name": "on THP buffers: COPY_USER (DMA) >= 2x the bounce path, both "
                "with user buffers on transparent huge pages (user-huge over bounce-huge), at 1 MiB "
                "and above, from every CPU", "checks": cs})
    cs = []
    n, s = T9_BATCH_ENTRIES, T9_BATCH_SIZE
    for c in d.cpus:
        rs = d.ratios(("batch", c, 1, s, n), ("single", c, 1, s, n))
        missing = d.why_missing("batch", s, n) if ("batch", c, 1, s, n) not in d.idx \
            else d.why_missing("single", s, n)
        cs.append(check(f"cpu{c}", median(rs) if rs else None, T9_BATCH_NEED, missing))
    out.append({"id": "9.2", "name": "COPY_BATCH of 256 x 4 KiB >= 10x the copies/s of single COPY "
                "ioctls of 4 KiB, from every CPU", "checks": cs})
    for t in out:
        t["verdict"] = verdict(t["checks"])
    return out


def fmt_rspread(r):
    if r is None:
        return "-"
    return f"{fmt_ratio(r['median'])} [{fmt_ratio(r['min'])}-{fmt_ratio(r['max'])}]"


def not_measured_note(u, *rows):
    """Why the first of `rows` (names like "user-huge") that was not measured at this point was
    not, from its `why_` field; empty when all were."""
    for row in rows:
        why = u["why_" + row.replace("-", "_")]
        if why:
            return f"{row} not measured: {why}"
    return ""


def ratio9_lines(r9):
    """Issue 9's comparisons as two small tables."""
    out = []
    if r9["user"]:
        out.append("COPY_USER (dma) against the bounce path and memcpy, MB/s medians; ratios within "
                   "each repeat, median [min-max]:")
        hdr = ["size", "cpu", "user", "bounce", "user-memcpy", "x bounce", "x memcpy"]
        rows = []
        for u in r9["user"]:
            note = not_measured_note(u, "user", "bounce")
            rows.append([fmt_size(u["size"]), f"cpu{u['cpu']}", fmt_num(u["user_mb_per_s"]),
                         fmt_num(u["bounce_mb_per_s"]), fmt_num(u["memcpy_mb_per_s"]),
                         fmt_rspread(u["x_bounce"]), fmt_rspread(u["x_memcpy"]), note])
        out += small_table(hdr, rows)
    if r9.get("user_huge"):
        if out:
            out.append("")
        out.append("on THP buffers (user buffers on transparent huge pages): COPY_USER (dma) against "
                   "the bounce path, MB/s medians; ratios within each repeat, median [min-max]; x user: "
                   "user-huge over user (heap buffers, small pages):")
        hdr = ["size", "cpu", "user-huge", "bounce-huge", "x bounce-huge", "x user"]
        rows = []
        for u in r9["user_huge"]:
            note = not_measured_note(u, "user-huge", "bounce-huge")
            rows.append([fmt_size(u["size"]), f"cpu{u['cpu']}", fmt_num(u["user_huge_mb_per_s"]),
                         fmt_num(u["bounce_huge_mb_per_s"]), fmt_rspread(u["x_bounce_huge"]),
                         fmt_rspread(u["x_user"]), note])
        out += small_table(hdr, rows)
    if r9["batch"]:
        if out:
            out.append("")
        out.append("COPY_BATCH against the same copies one COPY each, copies/s medians; ratios "
                   "within each repeat, median [min-max]:")
        hdr = ["size", "entries", "cpu", "batch", "single", "x single"]
        rows = [[fmt_size(b["size"]), str(b["entries"]), f"cpu{b['cpu']}",
                 fmt_num(b["batch_copies_per_s"]), fmt_num(b["single_copies_per_s"]),
                 fmt_rspread(b["x_single"]), ("not measured: " + b["why"]) if b["why"] else ""]
                for b in r9["batch"]]
        out += small_table(hdr, rows)
    return out


def small_table(hdr, rows):
    n = len(hdr)
    widths = [max([len(hdr[i])] + [len(r[i]) for r in rows]) for i in range(n)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(hdr, widths)).rstrip()]
    for r in rows:
        cells = "  ".join(c.ljust(w) for c, w in zip(r[:n], widths))
        lines.append((cells + ("  " + r[n] if len(r) > n and r[n] else "")).rstrip())
    return lines


def not_measured_lines(d):
    out = []
    for m in d.not_measured:
        at = "" if m.get("size") is None else f" at {fmt_size(m['size'])}"
        n = "" if m.get("entries") is None else f" x{m['entries']}"
        cpu = "" if m.get("cpu") is None else f" cpu{m['cpu']}"
        out.append(f"not measured: {m['row']}{n}{cpu}{at}: {m.get('reason')}")
    return out


# --- Formatting ------------------------------------------------------------------------------

def fmt_size(n):
    n = int(n)
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} B"


def fmt_num(x):
    """3 significant digits with k/M: 97.5k, 1.23M, 850, 7.92."""
    if x is None:
        return "-"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def fmt_ns(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.3g} ms"
    if x >= 1e3:
        return f"{x / 1e3:.3g} µs"
    return f"{x:.0f} ns"


def fmt_ratio(r):
    if r is None:
        return "-"
    return f"{r:.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def label(p):
    row, cpu = p["row"], p.get("cpu")
    if row in BATCH_ROWS:
        row = f"{row} x{p.get('entries', 1)}"
    if row == "channels":
        return f"channels {p.get('channels', 1)}"
    if row.startswith("dmatest-"):
        return "dmatest " + row[len("dmatest-"):] + ("" if cpu is None else f" cpu{cpu}")
    return row if cpu is None else f"{row} cpu{cpu}"


def cpus_seen(p):
    """' [cpu 0,1]': the CPUs dmatest's unpinned thread was seen on, over the point's runs."""
    if p.get("cpu") is not None:
        return ""
    cpus = sorted({c for r in p.get("runs", []) for c in (r.get("cpus_seen") or [])})
    return f" [cpu {','.join(str(c) for c in cpus)}]" if cpus else ""


def sort_key(p):
    row = p["row"]
    return (ROW_ORDER.index(row) if row in ROW_ORDER else len(ROW_ORDER), row,
            -1 if p.get("cpu") is None else p["cpu"], p.get("channels", 1))


def table_rows(d):
    """[(size, label, cells...)] for every point with a size, per size in table order."""
    rows = []
    for s in d.sizes:
        best = d.best(s)
        irq, pol = d.dmatest("dmatest-irq", s), d.dmatest("dmatest-polled", s)
        pts = sorted((p for p in d.points if p["size"] == s), key=sort_key)
        for p in pts:
            cps = p["copies_per_s"]
            lat = p.get("p50_ns")
            star = ""
            if lat is None and p.get("mean_ns") is not None:
                lat, star = p["mean_ns"], "*"
            rows.append([
                fmt_size(s), label(p) + cpus_seen(p),
                f"{fmt_num(cps['median'])} [{fmt_num(cps['min'])}-{fmt_num(cps['max'])}]",
                fmt_num(p["mb_per_s"]["median"]) if p.get("mb_per_s") else "-",
                (fmt_ns(lat["median"]) + star) if lat else "-",
                fmt_ns(p["p99_ns"]["median"]) if p.get("p99_ns") else "-",
                fmt_ratio(ratio(cps["median"], irq)), fmt_ratio(ratio(cps["median"], pol)),
                fmt_ratio(ratio(cps["median"], best)),
            ])
        for mode, row in DMATEST_ROWS.items():
            if (mode, s) in d.dm_skipped:
                rows.append([fmt_size(s), label({"row": row}), "skipped: " + d.dm_skipped[(mode, s)]]
                            + [""] * 6)
        if s in d.ours_skipped:
            rows.append([fmt_size(s), "dma, cpu, auto, ...", "skipped: larger than buf_size"] + [""] * 6)
    return rows


HEADER = ["size", "row", "copies/s median [min-max]", "MB/s", "p50", "p99",
          "x dmatest irq", "x dmatest polled", "x best"]


def null_lines(d):
    out = []
    for p in sorted((p for p in d.points if p["row"] == "null"), key=sort_key):
        c = p["copies_per_s"]
        where = "" if p.get("cpu") is None else f", cpu{p['cpu']}"
        p50 = fmt_ns(p["p50_ns"]["median"]) if p.get("p50_ns") else "-"
        out.append(f"null ioctl (INFO){where}: {fmt_num(c['median'])}/s "
                   f"[{fmt_num(c['min'])}-{fmt_num(c['max'])}], p50 {p50}")
    return out


def text_table(d):
    rows = table_rows(d)
    widths = [max(len(HEADER[i]), *(len(r[i]) for r in rows)) if rows else len(HEADER[i])
              for i in range(len(HEADER))]
    lines = []

    def line(cells):
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    lines.append(line(HEADER))
    prev = None
    for r in rows:
        if prev is not None and r[0] != prev:
            lines.append("")
        cells = list(r)
        if r[0] == prev:
            cells[0] = ""
        if cells[2].startswith("skipped"):
            lines.append(line(cells[:2] + [""] * 7).rstrip() + "  " + cells[2])
        else:
            lines.append(line(cells))
        prev = r[0]
    return lines


def md_table(d):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 7) + "|"]
    prev = None
    for r in table_rows(d):
        cells = list(r)
        if r[0] == prev:
            cells[0] = ""
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        prev = r[0]
    return lines


def repeats_note(d):
    n = d.ours.get("settings", {}).get("repeats")
    return f"{n} repeats (BENCH_REPEATS), each point's runs side by side with the rows it is " \
        "compared with" if n else "side by side"


def bounce_note(d):
    """How the bounce rows went above buf_size: in pieces of "settings.bounce_piece" bytes
    (max_len rounded down to align), and how many at each larger size that was measured;
    empty when none was, or for a document from before the pieces (no bounce_piece: the
    bounce rows stopped at buf_size, larger sizes are listed as not measured)."""
    dev = d.ours.get("device", {})
    try:
        piece = int(d.ours.get("settings", {})["bounce_piece"])
        buf_size, align = int(dev["buf_size"]), max(int(dev.get("align", 1)), 1)
    except (KeyError, TypeError, ValueError):
        return []
    if piece <= 0:
        return []
    sizes = sorted({int(p["size"]) for p in d.points if p["row"] in ("bounce", "bounce-huge")
                    and int(p["size"]) > piece})
    if not sizes:
        return []
    parts = []
    for s in sizes:
        n, tail = -(-s // piece), s % piece
        parts.append(f"{fmt_size(s)} = {n} pieces" + (f" (the last of {fmt_size(tail)})" if tail else ""))
    return [f"bounce and bounce-huge above buf_size ({fmt_size(buf_size)}) go through SRC and DST in "
            f"pieces of {fmt_size(piece)} (max_len rounded down to align {align}), one after the other "
            f"(pwrite, COPY, pread each): " + ", ".join(parts) + "."]


def target_lines(ts):
    out = []
    for t in ts:
        out.append(f"{t['id']}. {t['name']}: {t['verdict'].upper()}")
        for c in t["checks"]:
            if c["ratio"] is None:
                out.append(f"     {c['what']:<14} n/a ({c['missing']})")
            else:
                out.append(f"     {c['what']:<14} {c['ratio']:7.3f}x  need {c['need']:.2f}x  "
                           f"{'met' if c['met'] else 'not met'}")
    return out


# --- Host ------------------------------------------------------------------------------------

def host_info(qemu, uname, machine):
    cpu, n = "unknown", 0
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                k, _, v = ln.partition(":")
                if k.strip() == "model name" and cpu == "unknown":
                    cpu = v.strip()
                if k.strip() == "processor":
                    n += 1
    except OSError:
        pass
    try:
        qv = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30,
                            check=False).stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        qv = "unknown"
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = "unknown"
    # The load over the last 15 minutes, i.e. during the run: TCG's figures move with it.
    return {"cpu": cpu, "cores": n or os.cpu_count(), "qemu": qv, "machine": machine,
            "kernel": uname, "host_kernel": platform.release(), "loadavg_at_end": load}


# --- Plot ------------------------------------------------------------------------------------

def plot(d, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"dma": "tab:blue", "cpu": "tab:orange", "auto": "tab:green", "memcpy": "tab:purple",
              "dmatest-irq": "black", "dmatest-polled": "tab:gray", "null": "tab:red",
              "user": "tab:cyan", "bounce": "tab:olive", "user-memcpy": "tab:brown",
              "user-huge": "tab:pink", "bounce-huge": "darkgoldenrod"}
    styles = {None: "-", 0: "-", 1: "--", 2: "-.", 3: (0, (1, 1))}
    fig, axes = plt.subplots(1, 3, figsize=(19, 7.5))
    series = {}
    for p in d.points:
        if p["row"] in ("null", "channels") + BATCH_ROWS:
            continue
        series.setdefault((p["row"], p.get("cpu")), []).append(p)

    def draw(ax, pts, what, fallback=None, **kw):
        pts = sorted(pts, key=lambda p: p["size"])
        xs, ys, lo, hi = [], [], [], []
        for p in pts:
            v = p.get(what) or (p.get(fallback) if fallback else None)
            if not v:
                continue
            xs.append(p["size"])
            ys.append(v["median"])
            lo.append(v["median"] - v["min"])
            hi.append(v["max"] - v["median"])
        if xs:
            ax.errorbar(xs, ys, yerr=[lo, hi], capsize=2, marker="o", markersize=3, **kw)

    for (row, cpu), pts in sorted(series.items(), key=lambda kv: sort_key(kv[1][0])):
        name = label(pts[0])
        kw = {"color": colors.get(row), "linestyle": styles.get(cpu, ":"), "label": name}
        draw(axes[0], pts, "copies_per_s", **kw)
        draw(axes[1], pts, "p50_ns", "mean_ns", **kw)
    for p in sorted((p for p in d.points if p["row"] == "null"), key=sort_key):
        axes[0].axhline(p["copies_per_s"]["median"], color=colors["null"],
                        linestyle=styles.get(p.get("cpu"), ":"), linewidth=1, label=label(p) + " (INFO)")
    for n in sorted({p.get("channels", 1) for p in d.points if p["row"] == "channels"}):
        draw(axes[2], [p for p in d.points if p["row"] == "channels" and p.get("channels") == n],
             "copies_per_s", label=f"{n} channel{'s' if n > 1 else ''} at once")
    labels = [("copies/s", "copies/s (median, bars: min-max)"),
              ("latency", "per-copy latency, ns (p50; dmatest: mean)"),
              ("aggregate", "aggregate copies/s, all threads (median, bars: min-max)")]
    for ax, (name, ylabel) in zip(axes, labels):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(d.sizes)
        ax.set_xticklabels([fmt_size(s).replace(" ", "") for s in d.sizes], rotation=45)
        ax.set_xlabel("bytes per copy")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    axes[2].legend(fontsize=8)
    # One legend for the rate and latency panels, under them (cpu1: dashed, cpu2: dash-dot,
    # cpu3: dotted).
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=8, fontsize=8, frameon=False)
    axes[0].set_title("rate")
    axes[1].set_title("latency")
    axes[2].set_title("channels copying at once (DMA)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- Main ------------------------------------------------------------------------------------

def footnote(d):
    return "dmatest: mean latency (1 / its rate); it reports no percentiles. x dmatest irq, " \
        "x dmatest polled: the row's median over that mode's median" + (
            " (from its better CPU)" if d.dm_cpus != [None] else "") + \
        "; x best: over the better of the two." + (
        " dmatest cpuN: its thread pinned to CPU N." if d.dm_cpus != [None] else
        " [cpu N]: the CPUs its thread (not pinned) was seen on, sampled every 0.2 s.")


def comparison(d):
    """What the run compares, on its board: our node against dmatest's channel."""
    dev = d.ours.get("device", {})
    reg = dev.get("reg_base")
    return (f"compares: dmacopy's {dev.get('path', '?')} ({dev.get('controller', '?')}, registers at "
            f"{hex(reg) if isinstance(reg, int) else '?'}) against the kernel's dmatest on the "
            f"upstream {d.dm.get('driver', '?')}, channel {d.dm.get('channel')} of "
            f"{d.dm.get('device')}, in the same boot: {BOARDS[d.board]['how']}")


def describe(d, doc):
    h = doc["host"]
    st = d.ours.get("settings", {})
    dst = d.dm.get("settings", {})
    dev = d.ours.get("device", {})
    return [
        f"date: {doc['date']}",
        f"machine: QEMU {h['machine']} (board {d.board}; TCG, "
        f"{d.ours.get('system', {}).get('cpus', '?')} guest CPUs),"
        f" {h['qemu']}; host {h['cpu']}, {h['cores']} cores, load average (1, 5, 15 min) at the end"
        f" {h.get('loadavg_at_end', '?')}; guest {h['kernel']}",
        f"dmacopy: buf_size {fmt_size(dev.get('buf_size', 0))}, auto_threshold "
        f"{dev.get('auto_threshold_before', '?')} -> {dev.get('auto_threshold_after', '?')} bytes; "
        f"{st.get('secs', '?')} s per point after {st.get('warmup_secs', '?')} s warm-up, "
        f"{st.get('repeats', '?')} run(s) per point: median [min-max]",
        comparison(d),
        f"dmatest: upstream {d.dm.get('driver', '?')} on {d.dm.get('device')} ({d.dm.get('channel')}), "
        f"norandom=1 noverify=1, {dst.get('secs', '?')} s per run after {dst.get('warmup_secs', '?')} s warm-up, "
        f"{dst.get('repeats', '?')} run(s) per point, " + (
            f"its thread pinned to CPU {', '.join(str(c) for c in d.dm_cpus)} in turn"
            if d.dm_cpus != [None] else "its thread not pinned") + "; in interrupt mode the copy "
        "in flight when a run is stopped is cut short and not counted",
        "Under QEMU the copy itself costs no modelled time: these figures are the fixed costs of "
        "each path (system call, register writes, interrupt delivery, wake-up), not a real "
        "board's bandwidth.",
    ]


def report(ours, dm, out_dir, date, qemu, console=None):
    """Writes the outputs; returns (exit status, printed lines)."""
    os.makedirs(out_dir, exist_ok=True)
    d = Data(ours, dm)
    uname = ours.get("system", {}).get("uname") or dm.get("uname", "unknown")
    doc = dict(ours)
    doc["date"] = date
    doc["board"] = d.board
    doc["host"] = host_info(qemu, uname, BOARDS[d.board]["machine"])
    doc["points"] = sorted(d.points, key=lambda p: (p["size"], sort_key(p)))
    doc["dmatest"] = {k: dm.get(k) for k in ("board", "device", "driver", "channel", "thread", "settings",
                                              "interrupts", "skipped", "failed")}
    problems = d.problems()
    doc["problems"] = problems
    for f in ("bench.md", "bench.png"):
        if os.path.exists(os.path.join(out_dir, f)):
            os.remove(os.path.join(out_dir, f))
    if problems:
        with open(os.path.join(out_dir, "bench.json"), "w") as f:
            json.dump(doc, f, indent=1)
        lines = ["the benchmark run is not usable:"] + [f"  {p}" for p in problems]
        if console:
            lines.append(f"(guest console: {console})")
        return 1, lines
    ts = targets(d)
    doc["targets"] = ts
    ts9 = targets9(d)
    doc["targets9"] = ts9
    r9 = ratios9(d)
    doc["ratios9"] = r9
    nm = not_measured_lines(d)
    with open(os.path.join(out_dir, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1)
    head = describe(d, doc)
    out = head + [""] + null_lines(d) + [""] + text_table(d) + ["",
        "* " + footnote(d), "",
        f"targets ({BOARDS[d.board]['targets']}; ratios of medians within this run):"] + target_lines(ts) + \
        ["", "issue 9 (COPY_USER, COPY_BATCH), one boot, " + repeats_note(d) + ":"] + bounce_note(d) + \
        ratio9_lines(r9) + \
        ([""] + nm if nm else []) + ["", "targets (issue 9; median over repeats of the ratio within each "
                                    "repeat):"] + target_lines(ts9)
    md = ["## Benchmark (`make bench`)", ""] + [f"- {x}" for x in head] + [""] + \
        [f"- {x}" for x in null_lines(d)] + ["", "![make bench: rate and latency against size](bench.png)", ""] + \
        md_table(d) + ["", "\\* " + footnote(d), "",
                       f"### Targets ({BOARDS[d.board]['targets']})", "", "```"] + target_lines(ts) + ["```", ""] + \
        ["### Issue 9: COPY_USER and COPY_BATCH", "", repeats_note(d) + "."] + \
        sum(([""] + [x] for x in bounce_note(d)), []) + ["", "```"] + ratio9_lines(r9) + \
        ([""] + nm if nm else []) + ["```", "", "### Targets (issue 9)", "", "```"] + target_lines(ts9) + ["```", ""]
    with open(os.path.join(out_dir, "bench.md"), "w") as f:
        f.write("\n".join(md))
    plot(d, os.path.join(out_dir, "bench.png"),
         f"dmacopy on QEMU {doc['host']['machine']}, {date}; host {doc['host']['cpu']} x{doc['host']['cores']}"
         f" (the emulated copy costs no modelled time)")
    out += ["", f"written: {os.path.join(out_dir, 'bench.json')}, bench.md, bench.png"]
    return 0, out


# --- Self-test -------------------------------------------------------------------------------

def fixture():
    """A small, complete pair of documents with chosen numbers: 2 CPUs, 3 sizes, 2 channel
    counts, 2 repeats (so that medians are means of two)."""
    sizes = [64, 65536, 262144]

    def pt(row, cpu, size, rates, channels=1, p50=1000, p99=2000):
        runs = [{"copies": int(r), "secs": 1.0, "copies_per_s": r, "mb_per_s": r * size / 1e6,
                 "p50_ns": p50, "p99_ns": p99, "dma": int(r), "cpu": 0} for r in rates]
        return {"row": row, "cpu": cpu, "channels": channels, "size": size, "runs": runs,
                "copies_per_s": spread(rates), "mb_per_s": spread([r * size / 1e6 for r in rates]),
                "p50_ns": spread([p50] * len(rates)), "p99_ns": spread([p99] * len(rates))}
    points = [pt("null", c, 0, [500e3, 600e3]) for c in (0, 1)]
    # dmatest best: 64 B -> 10k (irq 10k, polled 8k); 64 KiB -> 2k; 256 KiB -> 1k.
    dma = {(0, 64): [15e3, 15e3],      # 1.5x exactly: met; 15k/550k = 0.027 < 0.15: not met
           (1, 64): [14e3, 15.9e3],    # median 14.95k: 1.495x: not met
           (0, 65536): [3e3, 3e3], (1, 65536): [2.9e3, 3.1e3],   # 1.5x: met
           (0, 262144): [1.2e3, 1.2e3], (1, 262144): [1.1e3, 1.3e3]}   # 1.2x: met
    cpu = {(c, s): [v * 2 for v in r] for (c, s), r in dma.items()}
    auto = {(c, s): [v * 2 * 0.95 for v in r] for (c, s), r in dma.items()}   # 0.95x: met
    auto[(1, 65536)] = [5.6e3, 5.8e3]      # per repeat 5.6/5.8, 5.8/6.2: median 0.9505, met
    for c in (0, 1):
        for s in sizes:
            points += [pt("dma", c, s, dma[(c, s)]), pt("cpu", c, s, cpu[(c, s)]),
                       pt("auto", c, s, auto[(c, s)]), pt("memcpy", c, s, [1e6, 1.1e6])]
    for s in sizes:
        points += [pt("channels", None, s, [1000.0, 1000.0], 1),
                   pt("channels", None, s, [1700.0, 1700.0] if s == 65536 else [1500.0, 1500.0], 2)]
    ours = {"schema": "dmacopy-bench/1", "system": {"uname": "Linux 7.2.13 aarch64", "cpus": 2},
            "device": {"path": "/dev/dmacopy0", "controller": "zynqmp-zdma", "buf_size": 262144,
                       "max_len": 262144, "align": 1, "auto_threshold_before": 65536,
                       "auto_threshold_after": 65536, "reg_base": 4289200128, "irq": 12},
            "settings": {"secs": 1.0, "warmup_secs": 0.1, "repeats": 2, "sizes": sizes,
                         "cpus": [0, 1], "channels": [1, 2], "skipped_sizes": [4194304]},
            "verify": [{"row": "dma", "size": s, "ok": True, "detail": ""} for s in sizes],
            "points": points}
    runs = []
    dm_rates = {("irq", 64): [10e3, 10e3], ("polled", 64): [7e3, 9e3],
                ("irq", 65536): [2e3, 1e3, 3e3], ("polled", 65536): [1e3, 1e3],
                ("irq", 262144): [1e3, 1e3], ("polled", 262144): [500.0, 500.0],
                ("irq", 4194304): [50.0, 60.0]}
    for (mode, size), rates in dm_rates.items():
        for i, r in enumerate(rates):
            # 1 s runs; above 64 B, interrupt mode has the copy cut short by the stop.
            cut = 1 if mode == "irq" and size > 64 else 0
            tests = int(r) + cut
            line = (f"dmatest: dma0chan0-copy0: summary {tests} tests, {cut} failures "
                    f"{tests:.2f} iops {tests * size // 1024} KB/s (0)")
            runs.append({"mode": mode, "size": size, "repeat": i, "pinned": None, "tests": tests,
                         "failures": cut, "cut": cut, "iops": float(tests),
                         "kib_per_s": tests * size // 1024, "ret": 0, "cpus_seen": [i % 2],
                         "summary": line})
    dm = {"schema": "dmacopy-dmatest/1", "device": "ffaf0000.dma", "channel": "dma0chan0",
          "driver": "xilinx-zynqmp-dma",
          "settings": {"secs": 1, "warmup_secs": 0.1, "repeats": 2, "sizes": sizes + [4194304]},
          "runs": runs,
          "skipped": [{"mode": "polled", "size": 4194304, "reason": "every copy failed: x"}],
          "failed": []}
    return ours, dm


def with_issue9(ours, caps=True, thp=True, pieces=True):
    """ours with issue 9's rows: user, bounce, user-memcpy, user-huge, bounce-huge at 4 KiB to
    16 MiB (bounce and bounce-huge above buf_size in pieces; with pieces False, a document of
    dmacopy bench before the pieces: bounce and bounce-huge not measured at 16 MiB, "above
    buf_size", with the reason; user-huge on CPU 1 at 4 MiB
    not measured: its buffers lost their huge pages), batch and single of 1 and 256 entries of
    64 B and 4 KiB; with caps False, those rows listed as not measured (a driver without
    copy_user and batch); with thp False, the huge rows listed as not measured (a kernel
    without transparent huge pages)."""
    st = ours["settings"]
    st.update(rows=["dma", "cpu", "auto", "memcpy", "null", "channels", "user", "bounce",
                    "user-memcpy", "user-huge", "bounce-huge", "batch", "single"],
              user_sizes=[4096, 1 << 20, 4 << 20, 16 << 20], batch_entries=[1, 256],
              batch_sizes=[64, 4096])
    if not caps:
        st["not_measured"] = [
            {"row": "user", "size": None, "entries": None,
             "reason": "DMACOPY_IOC_COPY_USER is not supported by this driver (caps mmap: no copy_user)"},
            {"row": "bounce", "size": None, "entries": None, "reason": "measured only next to COPY_USER"},
            {"row": "user-memcpy", "size": None, "entries": None, "reason": "measured only next to COPY_USER"},
            {"row": "user-huge", "size": None, "entries": None,
             "reason": "DMACOPY_IOC_COPY_USER is not supported by this driver (caps mmap: no copy_user)"},
            {"row": "bounce-huge", "size": None, "entries": None, "reason": "measured only next to COPY_USER"},
            {"row": "batch", "size": None, "entries": None,
             "reason": "DMACOPY_IOC_COPY_BATCH is not supported by this driver (caps mmap: no batch)"},
            {"row": "single", "size": None, "entries": None, "reason": "measured only next to COPY_BATCH"}]
        return ours
    why_big = "the bounce path goes through SRC and DST, of buf_size 4194304 bytes"
    if pieces:
        st["bounce_piece"] = ours["device"]["max_len"]
    st["not_measured"] = [] if pieces else [{"row": "bounce", "size": 16 << 20, "entries": None,
                                             "reason": why_big}]
    if thp:
        if not pieces:
            st["not_measured"].append({"row": "bounce-huge", "size": 16 << 20, "entries": None,
                                       "reason": why_big})
        st["not_measured"] += [
            {"row": "user-huge", "size": 4 << 20, "entries": None, "cpu": 1,
             "reason": "rep 2: after the run: not backed by huge pages: 4096 KiB at 0xffff80000000, "
                       "AnonHugePages 2048 KiB of Anonymous 4096 KiB"}]
    else:
        why = ("its buffers need transparent huge pages: the kernel has no transparent huge pages "
               "(/sys/kernel/mm/transparent_hugepage is absent: CONFIG_TRANSPARENT_HUGEPAGE is off)")
        st["not_measured"] += [{"row": r, "size": None, "entries": None, "reason": why} for r in HUGE_ROWS]

    def pt(row, cpu, size, rates, entries=1):
        runs = [{"copies": int(r), "secs": 1.0, "copies_per_s": r, "mb_per_s": r * size / 1e6,
                 "p50_ns": 1000, "p99_ns": 2000, "dma": int(r), "cpu": 0} for r in rates]
        return {"row": row, "cpu": cpu, "channels": 1, "size": size, "entries": entries, "runs": runs,
                "copies_per_s": spread(rates), "mb_per_s": spread([r * size / 1e6 for r in rates]),
                "p50_ns": spread([1000] * len(rates)), "p99_ns": spread([2000] * len(rates))}
    user = {4096: ([10e3, 10e3], [8e3, 8e3]),
            1 << 20: ([3000.0, 3000.0], [1000.0, 1600.0]),    # 3.0, 1.875: median 2.4375, met
            4 << 20: ([100.0, 100.0], [51.0, 50.0])}          # 1.96, 2.0: median 1.98, not met
    for c in (0, 1):
        for size, (u, b) in user.items():
            ours["points"] += [pt("user", c, size, u), pt("bounce", c, size, b),
                               pt("user-memcpy", c, size, [v * 4 for v in u])]
        ours["points"] += [pt("user", c, 16 << 20, [20.0, 30.0]),
                           pt("user-memcpy", c, 16 << 20, [50.0, 50.0])]
        if pieces:
            # In pieces: 20/8, 30/12: 2.5x both, met.
            ours["points"].append(pt("bounce", c, 16 << 20, [8.0, 12.0]))
        huge = {4096: ([12e3, 12e3], [9e3, 9e3]),
                1 << 20: ([4000.0, 4000.0], [1000.0, 1000.0]),    # 4.0x: met
                4 << 20: ([200.0, 200.0], [100.0, 110.0])}        # 2.0, 1.818: median 1.909, not met
        for size, (uh, bh) in huge.items() if thp else []:
            if (c, size) != (1, 4 << 20):
                ours["points"].append(pt("user-huge", c, size, uh))
            ours["points"].append(pt("bounce-huge", c, size, bh))
        if thp:
            ours["points"].append(pt("user-huge", c, 16 << 20, [40.0, 40.0]))
        if thp and pieces:
            # 40/16, 40/25: 2.5, 1.6: median 2.05, met.
            ours["points"].append(pt("bounce-huge", c, 16 << 20, [16.0, 25.0]))
        for size in (64, 4096):
            for n in (1, 256):
                if (n, size) == (256, 4096):
                    b, si = ([100e3, 120e3], [10e3, 12e3]) if c == 0 else ([90e3, 100e3], [10e3, 10e3])
                else:
                    b, si = [20e3, 20e3], [10e3, 10e3]
                ours["points"] += [pt("batch", c, size, b, n), pt("single", c, size, si, n)]
    return ours


def self_test():
    n, bad = 0, 0

    def ok(cond, name):
        nonlocal n, bad
        n += 1
        print(f"{'ok' if cond else 'not ok'} {n} - {name}")
        bad += 0 if cond else 1

    def close(a, b):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)

    ok(median([3, 1, 2]) == 2, "median of an odd count is the middle value")
    ok(median([4, 1, 3, 2]) == 2.5, "median of an even count is the mean of the middle two")
    ok(spread([2, 9, 4]) == {"median": 4, "min": 2, "max": 9}, "spread: median, min, max")
    s = parse_summary("[   12.5] dmatest: dma0chan0-copy0: summary 25806 tests, 0 failures "
                      "20996.97 iops 83987 KB/s (0)")
    ok(s == {"tests": 25806, "failures": 0, "iops": 20996.97, "kib_per_s": 83987, "ret": 0},
       "dmatest's summary line is read")
    s = parse_summary("dmatest: dma0chan0-copy0: summary 0 tests, 0 failures 0.00 iops 0 KB/s (-12)")
    ok(s["ret"] == -12 and s["tests"] == 0, "a summary with an error code is read")
    try:
        parse_summary("dmatest: dma0chan0-copy0: summary garbage")
        ok(False, "a malformed summary line is refused")
    except Problem:
        ok(True, "a malformed summary line is refused")

    ours, dm = fixture()
    d = Data(ours, dm)
    ok(d.problems() == [], "the complete fixture has no problem")
    ok(close(d.median("dmatest-irq", None, 65536), 2e3), "dmatest row median over 3 runs")
    ok(close(d.median("dmatest-polled", None, 64), 8e3), "dmatest row median of 2 runs is their mean")
    ok(close(d.best(64), 10e3) and close(d.best(65536), 2e3), "dmatest best is the better mode's median")
    p = d.idx[("dmatest-irq", None, 1, 262144, 1)]
    ok(close(p["mb_per_s"]["median"], 1e3 * 262144 / 1e6), "dmatest MB/s is 10^6 bytes/s from its rate")
    ok(close(p["mean_ns"]["median"], 1e6), "dmatest mean latency is 1e9 / rate")
    ok(close(d.best(4194304), 55.0), "dmatest best with one mode skipped is the other's median")

    ts = {t["id"]: t for t in targets(d)}
    c1 = {c["what"]: c for c in ts[1]["checks"]}
    ok(c1["64 B cpu0"]["met"] is True and close(c1["64 B cpu0"]["ratio"], 1.5),
       "target 1: exactly 1.5x at 64 B is met")
    ok(c1["64 B cpu1"]["met"] is False and close(c1["64 B cpu1"]["ratio"], 1.495),
       "target 1: 1.495x at 64 B is not met")
    ok(c1["64 KiB cpu0"]["need"] == 1.5 and c1["256 KiB cpu0"]["need"] == 1.2,
       "target 1: 1.5x up to 64 KiB, 1.2x above")
    ok(c1["256 KiB cpu1"]["met"] is True, "target 1: 1.2x above 64 KiB is met")
    ok(ts[1]["verdict"] == "not met", "target 1: one miss makes it not met")
    c2 = {c["what"]: c for c in ts[2]["checks"]}
    ok(close(c2["cpu0"]["ratio"], 15e3 / 550e3) and c2["cpu0"]["met"] is False,
       "target 2: DMA 64 B over the same CPU's null ioctl rate")
    c3 = {c["what"]: c for c in ts[3]["checks"]}
    ok(close(c3["64 B cpu0"]["ratio"], 0.95) and c3["64 B cpu0"]["met"] is True,
       "target 3: AUTO at 0.95x the better mode is met")
    ok(close(c3["64 KiB cpu1"]["ratio"], (5.6e3 / 5.8e3 + 5.8e3 / 6.2e3) / 2),
       "target 3: the median of the ratios within each repeat, against the better of DMA and CPU")
    ok(ts[3]["verdict"] == "met", "target 3: met everywhere")
    ok(close(ts[4]["checks"][0]["ratio"], 1.7) and ts[4]["verdict"] == "met",
       "target 4: 2 channels at exactly 1.7x is met")

    ours2, dm2 = fixture()
    ours2["points"] = [p for p in ours2["points"] if key(p) != ("auto", 1, 1, 65536, 1)]
    d2 = Data(ours2, dm2)
    ok(any("auto cpu1 at 64 KiB" in x for x in d2.problems()), "a missing point is a problem")
    t3 = [t for t in targets(d2) if t["id"] == 3][0]
    ok(t3["verdict"] == "incomplete", "a target with a missing point is incomplete, not met")
    ours3, dm3 = fixture()
    ours3["verify"][1]["ok"] = False
    ok(any("verification failed" in x for x in Data(ours3, dm3).problems()),
       "a failed verification is a problem")
    ours4, dm4 = fixture()
    dm4["runs"] = [r for r in dm4["runs"] if not (r["mode"] == "irq" and r["size"] == 64)]
    ok(any("dmatest-irq at 64 B" in x for x in Data(ours4, dm4).problems()),
       "a dmatest point neither measured nor skipped is a problem")
    p = d.idx[("dmatest-irq", None, 1, 65536, 1)]
    ok(p["runs"][0]["copies"] == 2000 and p["runs"][0]["tests"] == 2001
       and close(p["runs"][0]["copies_per_s"], 2000.0),
       "dmatest: the copy cut short by the stop is not counted")
    ours6, dm6 = fixture()
    dm6["runs"][0]["cut"] = 0
    dm6["runs"][2]["cut"] = 0
    try:
        Data(ours6, dm6)
        ok(True, "a run without failures needs no cut")
    except Problem:
        ok(False, "a run without failures needs no cut")
    bad_cut = [r for r in dm6["runs"] if r["cut"]][0]
    bad_cut["cut"] = 0
    try:
        Data(ours6, dm6)
        ok(False, "a dmatest failure other than the cut copy is refused")
    except Problem:
        ok(True, "a dmatest failure other than the cut copy is refused")

    # dmatest's thread pinned to each CPU in turn: rows per CPU, best over them.
    ours7, dm7 = fixture()
    dm7["settings"]["cpus"] = [0, 1]
    pinned = []
    for r in dm7["runs"]:
        for c in (0, 1):
            q = dict(r, pinned=c)
            if c == 1:      # half the rate from CPU 1
                t = (q["tests"] - q["cut"]) // 2 + q["cut"]
                q.update(tests=t, iops=float(t), kib_per_s=t * q["size"] // 1024,
                         summary=f"dmatest: dma0chan0-copy0: summary {t} tests, {q['cut']} "
                         f"failures {t:.2f} iops {t * q['size'] // 1024} KB/s (0)")
            pinned.append(q)
    dm7["runs"] = pinned
    d7 = Data(ours7, dm7)
    ok(d7.problems() == [] and close(d7.median("dmatest-irq", 1, 64), 5e3)
       and close(d7.best(64), 10e3), "pinned dmatest: a row per CPU, the best over CPUs")
    dm7["runs"] = [r for r in pinned if not (r["pinned"] == 1 and r["size"] == 64
                                              and r["mode"] == "polled")]
    ok(any("dmatest-polled cpu1 at 64 B" in x for x in Data(ours7, dm7).problems()),
       "pinned dmatest: a CPU's missing point is a problem")

    ours5, dm5 = fixture()
    dm5["runs"][0]["iops"] = 1.0
    try:
        Data(ours5, dm5)
        ok(False, "a dmatest run that disagrees with its summary line is refused")
    except Problem:
        ok(True, "a dmatest run that disagrees with its summary line is refused")

    # Issue 9.
    o9, dm9 = fixture()
    d9 = Data(with_issue9(o9), dm9)
    ok(d9.problems() == [], "issue 9: the complete fixture has no problem")
    t9 = {t["id"]: t for t in targets9(d9)}
    c91 = {c["what"]: c for c in t9["9.1"]["checks"]}
    ok(set(c91) == {"1 MiB cpu0", "1 MiB cpu1", "4 MiB cpu0", "4 MiB cpu1", "16 MiB cpu0", "16 MiB cpu1"},
       "target 9.1: a check per size from 1 MiB and CPU")
    ok(close(c91["1 MiB cpu0"]["ratio"], 2.4375) and c91["1 MiB cpu0"]["met"] is True,
       "target 9.1: the median of the ratios within each repeat, met")
    ok(close(c91["4 MiB cpu1"]["ratio"], (100 / 51 + 2.0) / 2) and c91["4 MiB cpu1"]["met"] is False,
       "target 9.1: 1.98x is not met")
    ok(close(c91["16 MiB cpu0"]["ratio"], 2.5) and c91["16 MiB cpu1"]["met"] is True
       and all(c["ratio"] is not None for c in c91.values()),
       "target 9.1: bounce above buf_size (in pieces) is measured: every check has its ratio")
    bn = bounce_note(d9)
    ok(len(bn) == 1 and "above buf_size (256 KiB) go through SRC and DST in pieces of 256 KiB "
       "(max_len rounded down to align 1)" in bn[0]
       and bn[0].endswith(": 1 MiB = 4 pieces, 4 MiB = 16 pieces, 16 MiB = 64 pieces."),
       "issue 9: the report says how many pieces of buf_size the bounce rows took above it")
    o9a, dm9a = fixture()
    o9a = with_issue9(o9a)
    o9a["device"].update(buf_size=4 << 20, max_len=(4 << 20) - 1, align=4)
    o9a["settings"]["bounce_piece"] = (4 << 20) - 4
    bn = bounce_note(Data(o9a, dm9a))
    ok(len(bn) == 1 and "pieces of 4194300 B (max_len rounded down to align 4)" in bn[0]
       and bn[0].endswith(": 4 MiB = 2 pieces (the last of 4 B), 16 MiB = 5 pieces (the last of 16 B)."),
       "issue 9: pieces of max_len rounded down to align, and the last one's size")
    # A document from before the pieces: bounce not measured above buf_size, with the reason;
    # still read, the targets incomplete there, and no note on pieces.
    o9o, dm9o = fixture()
    d9o = Data(with_issue9(o9o, pieces=False), dm9o)
    t9o = {t["id"]: t for t in targets9(d9o)}
    c91o = {c["what"]: c for c in t9o["9.1"]["checks"]}
    ok(d9o.problems() == [] and bounce_note(d9o) == [],
       "issue 9, an older document: bounce not measured at 16 MiB is no problem, and no note on pieces")
    ok(c91o["16 MiB cpu0"]["ratio"] is None and "bounce not measured: the bounce path goes through SRC"
       in c91o["16 MiB cpu0"]["missing"], "target 9.1, an older document: where bounce was not measured, "
       "it says why")
    t9ho = {c["what"]: c for c in t9o["9.1-thp"]["checks"]}
    ok(t9ho["16 MiB cpu1"]["ratio"] is None and "bounce-huge not measured: the bounce path goes through SRC"
       in t9ho["16 MiB cpu1"]["missing"], "target 9.1-thp, an older document: bounce-huge above buf_size "
       "says why")
    ok(t9["9.1"]["verdict"] == "not met", "target 9.1: one miss makes it not met")
    c92 = {c["what"]: c for c in t9["9.2"]["checks"]}
    ok(close(c92["cpu0"]["ratio"], 10.0) and c92["cpu0"]["met"] is True
       and close(c92["cpu1"]["ratio"], 9.5) and c92["cpu1"]["met"] is False,
       "target 9.2: batch 256 x 4 KiB against single, 10x met, 9.5x not met")
    r9 = ratios9(d9)
    u = [x for x in r9["user"] if x["size"] == 1 << 20 and x["cpu"] == 0][0]
    ok(u["x_bounce"] == {"median": 2.4375, "min": 1.875, "max": 3.0} and close(u["x_memcpy"]["median"], 0.25),
       "issue 9: user against bounce and memcpy, median and spread over repeats")
    b = [x for x in r9["batch"] if x["size"] == 4096 and x["entries"] == 256 and x["cpu"] == 1][0]
    ok(b["x_single"] == {"median": 9.5, "min": 9.0, "max": 10.0}, "issue 9: batch against single")
    o9b, dm9b = fixture()
    o9b = with_issue9(o9b)
    o9b["points"] = [p for p in o9b["points"] if key(p) != ("single", 1, 1, 64, 256)]
    ok(any("missing: single x256 cpu1 at 64 B" in x for x in Data(o9b, dm9b).problems()),
       "issue 9: a missing batch point is a problem")
    o9c, dm9c = fixture()
    d9c = Data(with_issue9(o9c, caps=False), dm9c)
    t9c = {t["id"]: t for t in targets9(d9c)}
    ok(d9c.problems() == [] and t9c["9.1"]["verdict"] == "incomplete"
       and "not supported by this driver (caps mmap: no copy_user)" in t9c["9.1"]["checks"][0]["missing"]
       and "no batch" in t9c["9.2"]["checks"][0]["missing"],
       "issue 9: a driver without the caps: not measured, with the reason, and the targets incomplete")
    ok(t9c["9.1-thp"]["verdict"] == "incomplete"
       and "user-huge not measured: DMACOPY_IOC_COPY_USER is not supported" in t9c["9.1-thp"]["checks"][0]["missing"],
       "issue 9, THP: a driver without copy_user: the THP check is incomplete, with the reason")

    # Issue 9 on THP buffers: user-huge against bounce-huge, a check set of its own.
    t9h = {c["what"]: c for c in t9["9.1-thp"]["checks"]}
    ok(set(t9h) == set(c91), "target 9.1-thp: a check per size from 1 MiB and CPU, as 9.1")
    ok(close(t9h["1 MiB cpu0"]["ratio"], 4.0) and t9h["1 MiB cpu0"]["met"] is True
       and close(t9h["4 MiB cpu0"]["ratio"], (2.0 + 200 / 110) / 2) and t9h["4 MiB cpu0"]["met"] is False,
       "target 9.1-thp: user-huge over bounce-huge, the median of the ratios within each repeat")
    ok(t9h["4 MiB cpu1"]["ratio"] is None and t9h["4 MiB cpu1"]["missing"].startswith(
        "user-huge not measured: rep 2: after the run: not backed by huge pages")
       and close(t9h["4 MiB cpu0"]["ratio"], (2.0 + 200 / 110) / 2),
       "target 9.1-thp: a CPU whose buffers lost their huge pages says why; the other CPU is measured")
    ok(close(t9h["16 MiB cpu1"]["ratio"], 2.05) and t9h["16 MiB cpu1"]["met"] is True,
       "target 9.1-thp: bounce-huge above buf_size (in pieces) is measured")
    ok(t9["9.1-thp"]["verdict"] == "not met" and close(c91["1 MiB cpu0"]["ratio"], 2.4375),
       "target 9.1-thp: its own verdict; 9.1 (small pages) is unchanged")
    uh = [x for x in r9["user_huge"] if x["size"] == 1 << 20 and x["cpu"] == 0][0]
    ok(uh["x_bounce_huge"] == {"median": 4.0, "min": 4.0, "max": 4.0} and close(uh["x_user"]["median"], 4 / 3)
       and close(uh["user_huge_mb_per_s"], 4000 * (1 << 20) / 1e6),
       "issue 9, THP: user-huge against bounce-huge and against user, median and spread over repeats")
    ok([x["why_user_huge"] is not None for x in r9["user_huge"] if x["size"] == 4 << 20] == [False, True],
       "issue 9, THP: a per-CPU reason is about that CPU only")
    o9h, dm9h = fixture()
    o9h = with_issue9(o9h)
    o9h["points"] = [p for p in o9h["points"] if key(p) != ("user-huge", 0, 1, 1 << 20, 1)]
    ok(any("missing: user-huge cpu0 at 1 MiB" in x for x in Data(o9h, dm9h).problems()),
       "issue 9, THP: a huge point neither measured nor listed as not measured is a problem")
    o9t, dm9t = fixture()
    d9t = Data(with_issue9(o9t, thp=False), dm9t)
    t9t = {t["id"]: t for t in targets9(d9t)}
    ok(d9t.problems() == [] and t9t["9.1-thp"]["verdict"] == "incomplete"
       and all("user-huge not measured: its buffers need transparent huge pages: the kernel has no "
               "transparent huge pages" in c["missing"] for c in t9t["9.1-thp"]["checks"])
       and t9t["9.1"]["verdict"] == "not met",
       "issue 9, THP: a kernel without THP: the huge rows not measured, with the reason; 9.1 unchanged")
    o9o, dm9o = fixture()
    o9o = with_issue9(o9o)
    o9o["settings"]["rows"] = [r for r in o9o["settings"]["rows"] if r not in HUGE_ROWS]
    o9o["points"] = [p for p in o9o["points"] if p["row"] not in HUGE_ROWS]
    o9o["settings"]["not_measured"] = [m for m in o9o["settings"]["not_measured"] if m["row"] not in HUGE_ROWS]
    d9o = Data(o9o, dm9o)
    t9o = {t["id"]: t for t in targets9(d9o)}
    ok(d9o.problems() == [] and ratios9(d9o)["user_huge"] == []
       and t9o["9.1-thp"]["checks"][0]["missing"] == "the user-huge and bounce-huge rows were not asked for",
       "issue 9, THP: a run without the huge rows (an older CLI, or --rows): incomplete, says so")

    with tempfile.TemporaryDirectory() as tmp:
        o9, dm9 = fixture()
        rc9, lines9 = report(with_issue9(o9), dm9, tmp, "2026-01-01T00:00:00Z", "true")
        text9 = "\n".join(lines9)
        md9 = open(os.path.join(tmp, "bench.md")).read()
        ok(rc9 == 0 and "9.1. COPY_USER (DMA) >= 2x the bounce path" in text9 and "NOT MET" in text9
           and "2.44x [1.88x-3.00x]" in text9
           and "not measured: bounce at" not in text9
           and "16 MiB  cpu0  419    168     839          2.50x [2.50x-2.50x]" in text9
           and "in pieces of 256 KiB (max_len rounded down to align 1), one after the other (pwrite, "
               "COPY, pread each): 1 MiB = 4 pieces, 4 MiB = 16 pieces, 16 MiB = 64 pieces." in text9
           and "\n\n- bounce and bounce-huge above buf_size (256 KiB) go through SRC and DST in pieces" not in md9
           and "\n\nbounce and bounce-huge above buf_size (256 KiB) go through SRC and DST in pieces" in md9
           and "9.2. COPY_BATCH of 256 x 4 KiB" in text9 and "### Issue 9" in md9
           and "| batch x256 cpu0 | 110k [100k-120k] |" in md9,
           "issue 9: the report prints the ratios, what was not measured, and the targets")
        ok("9.1-thp. on THP buffers: COPY_USER (DMA) >= 2x the bounce path" in text9
           and "9.1-thp. on THP buffers" in md9 and "| user-huge cpu0 | 4k [4k-4k] |" in md9
           and "| bounce-huge cpu1 | 1k [1k-1k] |" in md9
           and "not measured: user-huge cpu1 at 4 MiB: rep 2: after the run: not backed by huge pages" in text9
           and "not measured: bounce-huge at" not in md9
           and "4.00x [4.00x-4.00x]" in text9 and "on THP buffers (user buffers on transparent huge pages)" in md9,
           "issue 9, THP: the report has the huge rows, their ratios, what was not measured and why, and "
           "the THP target with its own verdict")
        # A document from before the pieces: bounce not measured above buf_size, said so.
        o9p, dm9p = fixture()
        rc9p, lines9p = report(with_issue9(o9p, pieces=False), dm9p, tmp, "2026-01-01T00:00:00Z", "true")
        text9p = "\n".join(lines9p)
        md9p = open(os.path.join(tmp, "bench.md")).read()
        ok(rc9p == 0 and "not measured: bounce at 16 MiB: the bounce path" in text9p
           and "not measured: bounce-huge at 16 MiB: the bounce path" in md9p
           and "in pieces of" not in text9p + md9p and "9.1. COPY_USER (DMA) >= 2x" in md9p,
           "issue 9, an older document: the report says what was not measured above buf_size, no pieces")
        o9t, dm9t = fixture()
        rc9t, lines9t = report(with_issue9(o9t, thp=False), dm9t, tmp, "2026-01-01T00:00:00Z", "true")
        text9t = "\n".join(lines9t)
        ok(rc9t == 0 and "not measured: user-huge: its buffers need transparent huge pages: the kernel has no" in text9t
           and "and above, from every CPU: INCOMPLETE" in text9t,
           "issue 9, THP: without THP the report says the huge rows were not measured and why")
        doc9 = json.load(open(os.path.join(tmp, "bench.json")))
        ok([t["id"] for t in doc9["targets9"]] == ["9.1", "9.1-thp", "9.2"] and doc9["ratios9"]["batch"]
           and doc9["ratios9"]["user_huge"],
           "issue 9: bench.json has targets9 and ratios9")
        o9c, dm9c = fixture()
        rc9c, lines9c = report(with_issue9(o9c, caps=False), dm9c, tmp, "2026-01-01T00:00:00Z", "true")
        text9c = "\n".join(lines9c)
        ok(rc9c == 0 and "not measured: user: DMACOPY_IOC_COPY_USER is not supported by this driver" in text9c
           and "9.1. COPY_USER (DMA) >= 2x the bounce path (write SRC, COPY, read DST) at 1 MiB and above, "
           "from every CPU: INCOMPLETE" in text9c,
           "issue 9: without the caps the report says the rows were not measured and why")

        rc, lines = report(*fixture(), tmp, "2026-01-01T00:00:00Z", "true")
        text = "\n".join(lines)
        ok(rc == 0, "the report of the fixture succeeds")
        ok("1. DMA copies/s >= 1.5x" in text and "NOT MET" in text, "the targets are printed")
        md = open(os.path.join(tmp, "bench.md")).read()
        ok("| 64 B | dma cpu0 | 15k [15k-15k] |" in md and "1.50x" in md
           and "| dmatest irq [cpu 0,1] | 10k [10k-10k] |" in md,
           "the Markdown table has the row, its rate and its ratio")
        ok("skipped: every copy failed: x" in md, "a skipped dmatest point says why")
        doc = json.load(open(os.path.join(tmp, "bench.json")))
        ok(doc["date"] == "2026-01-01T00:00:00Z" and "cpu" in doc["host"]
           and any(p["row"] == "dmatest-polled" for p in doc["points"]),
           "bench.json has the date, the host and dmatest's rows")
        ok(os.path.getsize(os.path.join(tmp, "bench.png")) > 10000, "the plot is drawn")
        ok("QEMU xlnx-versal-virt (board versal" in text
           and "upstream xilinx-zynqmp-dma, channel dma0chan0 of ffaf0000.dma" in text
           and "targets (issue 7;" in text, "versal: the machine, what is compared, its targets")
        ours8, dm8 = fixture()
        ours8["device"].update(controller="bcm2835-dma", align=4, reg_base=0x3f007000)
        dm8.update(board="rpi3", device="3f007000.dma-controller", driver="bcm2835-dma")
        rc8, lines8 = report(ours8, dm8, tmp, "2026-01-01T00:00:00Z", "true")
        text8 = "\n".join(lines8)
        ok(rc8 == 0 and "QEMU raspi3b (board rpi3" in text8 and "bcm2835-dma, registers at 0x3f007000"
           in text8 and "channel dma0chan0 of 3f007000.dma-controller" in text8
           and "multiple of 4" in text8 and "for reference only" in text8
           and json.load(open(os.path.join(tmp, "bench.json")))["host"]["machine"] == "raspi3b",
           "rpi3: the machine, what is compared, and the targets marked as versal's")
        dm8["board"] = "pdp11"
        try:
            Data(ours8, dm8)
            ok(False, "an unknown board is refused")
        except Problem:
            ok(True, "an unknown board is refused")
        rc, _ = report(ours3, dm3, tmp, "2026-01-01T00:00:00Z", "true")
        ok(rc == 1 and not os.path.exists(os.path.join(tmp, "bench.md"))
           and json.load(open(os.path.join(tmp, "bench.json")))["problems"],
           "an unusable run fails, with its problems in bench.json and no table or plot")
    print(f"1..{n}")
    print(f"{n - bad} passed, {bad} failed")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ours")
    ap.add_argument("--dmatest")
    ap.add_argument("--out-dir")
    ap.add_argument("--date", default=None, help="the run's UTC time (default: now)")
    ap.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-aarch64"))
    ap.add_argument("--console", default=None, help="the guest's console log, named on failure")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not (a.ours and a.dmatest and a.out_dir):
        ap.error("give --ours, --dmatest and --out-dir (or --self-test)")
    date = a.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        with open(a.ours) as f:
            ours = json.load(f)
        with open(a.dmatest) as f:
            dm = json.load(f)
        rc, lines = report(ours, dm, a.out_dir, date, a.qemu, a.console)
    except (OSError, ValueError, KeyError, TypeError, Problem) as e:
        print(f"bench-report: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("\n".join(lines), file=sys.stdout if rc == 0 else sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
