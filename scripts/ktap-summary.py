#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarises a `make test` run.

    ktap-summary.py [--cargo LOG] [--tap NAME LOG RC]...
                    [--kernel NAME KTAP RC CONSOLE]... [--programs LIST]

--cargo    the output of `cargo test` (host tests)
--tap      a host check that prints TAP lines `ok N - name` / `not ok N - name` and exits
           nonzero on failure: its name, its output and its exit status
--kernel   one guest run of the kselftest collection: the kernel's name (normal, debug), the
           guest's output (the KTAP of the kernel's kselftest runner), the exit status of
           scripts/qemu.sh and the console log (named in the notes)
--programs the installed kselftest-list.txt: every program in it must report on every kernel

Lists every test with its result, per kernel, then the work counters of each kernel (the sum of
the lines `# dmacopy-count: NAME=VALUE` that the test programs print), and ends with one line
`N passed, N failed`. Exits 1 if anything failed, a result is missing, a test was skipped,
or a guest did not finish cleanly (its kernel log included).
"""

import argparse
import re
import sys

RESULT = re.compile(r"^(not ok|ok) (\d+)(?: -)? ?(.*?)(?: # (SKIP|TODO|XFAIL|TIMEOUT)\b ?(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")
PROGRAM = re.compile(r"^selftests: (\S+): (\S+)$")
TOP = re.compile(r"^selftests: (\S+): (\S+)")
COUNT = re.compile(r"^dmacopy-count: ([A-Za-z_][A-Za-z0-9_]*)=(\d+)\s*$")
COUNTERS = ["fuzz_calls", "soak_copies", "injected_faults", "unbind_rounds", "load_cycles"]
GUEST_STATUS = {
    3: "the kernel reported a problem (KASAN, lockdep, kmemleak, WARN, BUG or oops), "
       "or its log was incomplete",
    124: "did not finish within its time limit",
    125: "stopped without reporting a result",
}


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.notes = []
        self.skipped = False

    def ok(self):
        self.passed += 1

    def fail(self, note=None):
        self.failed += 1
        if note:
            self.notes.append(note)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def cargo(path, t):
    text = read(path)
    if text is None:
        t.fail(f"host tests: no output at {path}")
        return
    passed = failed = 0
    for m in re.finditer(r"test result: \w+\. (\d+) passed; (\d+) failed", text):
        passed += int(m.group(1))
        failed += int(m.group(2))
    print(f"host tests (cargo test): {passed} passed, {failed} failed")
    t.passed += passed
    t.failed += failed
    if passed + failed == 0:
        t.fail("host tests: cargo test reported no result (did it build? see its log)")


def tap(name, path, rc, t):
    text = read(path)
    if text is None:
        t.fail(f"{name}: no output at {path}")
        return
    print(f"host check {name}:")
    bad = 0
    seen = 0
    for line in text.splitlines():
        m = RESULT.match(line.strip())
        if not m:
            continue
        seen += 1
        ok, what, directive = m.group(1) == "ok", m.group(3).strip(), m.group(4)
        if directive == "SKIP":
            print(f"  SKIP  [host] {name}: {what}")
            t.fail()
            t.skipped = True
            bad += 1
        elif ok:
            print(f"  PASS  [host] {name}: {what}")
            t.ok()
        else:
            print(f"  FAIL  [host] {name}: {what}")
            t.fail()
            bad += 1
    if seen == 0:
        t.fail(f"{name}: no result line (ok N - name) in {path}")
    elif rc != 0 and bad == 0:
        t.fail(f"{name}: exit status {rc} although every check passed")


def ktap(path):
    """Parses the runner's nested KTAP.

    Returns (programs, counts): programs maps a program name to a dict with its subtest
    results, its plan and its top-level result; counts the summed dmacopy-count lines."""
    programs = {}
    counts = {}
    current = None
    text = read(path) or ""
    for raw in text.splitlines():
        line = raw.rstrip("\r\n")
        depth = 0
        while line.startswith("#"):
            line = line[2:] if line.startswith("# ") else line[1:]
            depth += 1
        m = COUNT.match(line)
        if m and depth >= 1:
            counts.setdefault(current, {})
            counts[current][m.group(1)] = counts[current].get(m.group(1), 0) + int(m.group(2))
            continue
        if depth == 1:
            m = PROGRAM.match(line)
            if m:
                current = m.group(2)
                programs.setdefault(current, {"subtests": [], "plan": None, "top": None})
                continue
        m = RESULT.match(line)
        if m:
            ok, name = m.group(1) == "ok", m.group(3).strip()
            entry = (ok, name, m.group(4), m.group(5) or "")
            if depth == 0:
                mt = TOP.match(name)
                prog = mt.group(2) if mt else name
                programs.setdefault(prog, {"subtests": [], "plan": None, "top": None})
                programs[prog]["top"] = entry
                current = None
            elif depth == 1 and current is not None:
                programs[current]["subtests"].append(entry)
            continue
        m = PLAN.match(line)
        if m and depth == 1 and current is not None and programs[current]["plan"] is None:
            programs[current]["plan"] = int(m.group(1))
    return programs, counts


def kernel(name, path, rc, console, expected, t):
    start = t.failed
    programs, counts = ktap(path)
    print(f"kselftest [{name}] (KTAP from the emulated board, {path}):")
    for prog in expected:
        programs.setdefault(prog, {"subtests": [], "plan": None, "top": None})
    for prog, p in programs.items():
        if not p["subtests"] and p["plan"] is None and p["top"] is None:
            t.fail(f"[{name}] {prog}: did not run (nothing from it in the KTAP)")
            continue
        bad = 0
        for ok, test, directive, reason in p["subtests"]:
            label = f"[{name}] {prog}/{test}"
            if directive in ("SKIP", "XFAIL", "TODO"):
                print(f"  {directive:<5} {label}  ({reason})")
                t.fail()
                t.skipped = True
                bad += 1
            elif ok:
                print(f"  PASS  {label}")
                t.ok()
            else:
                print(f"  FAIL  {label}")
                t.fail()
                bad += 1
        plan, got = p["plan"], len(p["subtests"])
        if plan is None:
            t.fail(f"[{name}] {prog}: no test plan in its output (did it start?)")
            bad += 1
        elif got < plan:
            t.failed += plan - got
            t.notes.append(f"[{name}] {prog}: {plan - got} of {plan} results missing")
            bad += 1
        top = p["top"]
        if top is None:
            if bad == 0:
                t.fail(f"[{name}] {prog}: the runner reported no result for it")
            else:
                t.notes.append(f"[{name}] {prog}: the runner reported no result for it")
        elif not top[0] or top[2]:
            why = " ".join(x for x in (top[2], top[3]) if x)
            note = f"[{name}] {prog}: not ok from the runner{(' (' + why + ')') if why else ''}"
            if bad == 0:
                t.fail(note)
            else:
                t.notes.append(note)
    if not programs:
        t.fail(f"[{name}] kselftest: no program reported (console: {console})")
    if rc != 0:
        what = GUEST_STATUS.get(rc, f"exit status {rc}")
        note = f"[{name}] emulated board: {what} (console: {console})"
        # A test failure already counted explains a plain nonzero status of the runner.
        if rc in GUEST_STATUS or t.failed == start:
            t.fail(note)
        else:
            t.notes.append(note)
    total = {}
    for per in counts.values():
        for k, v in per.items():
            total[k] = total.get(k, 0) + v
    names = COUNTERS + sorted(k for k in total if k not in COUNTERS)
    print(f"counts [{name}]: " + " ".join(f"{k}={total.get(k, 0)}" for k in names))
    for k in total:
        if k not in COUNTERS:
            t.notes.append(f"[{name}] unknown counter name '{k}' (known: {', '.join(COUNTERS)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cargo", metavar="LOG")
    ap.add_argument("--tap", nargs=3, action="append", default=[], metavar=("NAME", "LOG", "RC"))
    ap.add_argument("--kernel", nargs=4, action="append", default=[],
                    metavar=("NAME", "KTAP", "RC", "CONSOLE"))
    ap.add_argument("--programs", metavar="LIST")
    args = ap.parse_args()

    t = Tally()
    expected = []
    if args.programs:
        text = read(args.programs)
        if text is None:
            t.fail(f"no kselftest list at {args.programs}")
        else:
            expected = [ln.split(":", 1)[1] for ln in text.split() if ":" in ln]
    if args.cargo:
        cargo(args.cargo, t)
    for name, log, rc in args.tap:
        tap(name, log, int(rc), t)
    for name, path, rc, console in args.kernel:
        kernel(name, path, int(rc), console, expected, t)
    for n in t.notes:
        print(f"note: {n}")
    if t.skipped:
        print("note: skipped tests count as failed: under make test everything must run")
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
