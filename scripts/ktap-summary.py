#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarises a `make test` run.

    ktap-summary.py [--cargo LOG] [--tap NAME LOG RC]...
                    [--run BOARD KERNEL KTAP RC SECS CONSOLE]... [--programs LIST]
    ktap-summary.py --self-test

--cargo    the output of `cargo test` (host tests)
--tap      a host check that prints TAP lines `ok N - name` / `not ok N - name` and exits
           nonzero on failure: its name, its output and its exit status
--run      one guest run of the kselftest collection: the emulated board (versal, rpi3), the
           kernel (normal, debug), the guest's output (the KTAP of the kernel's kselftest
           runner), the exit status of scripts/qemu.sh, the run's wall-clock seconds and its
           console log (named in the notes)
--programs the installed kselftest-list.txt: every program in it must report on every run
--self-test  check the rules below on made-up runs (TAP)

Lists every test with its result, per run (board and kernel), then the work counters of each
run (the sum of the lines `# dmacopy-count: NAME=VALUE` that the test programs print), a table
of what ran, passed, failed and was skipped on each run, with its time, and ends with one line
`N passed, N failed`. Exits 1 if anything failed, a result is missing, or a guest did not
finish cleanly (its kernel log included).

Skips: a test may skip on a board that lacks what it needs (its reason says what), and only
there: a skipped test counts as skipped (neither passed nor failed) when it skipped on every run
of that board and ran on another board. Any other skip counts as failed: one on a single
kernel of a board (the board has what the test needs, the run lost it), one of a test that ran
nowhere, one in a host check.
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


class Run:
    """One guest run: its board and kernel, and its own tally."""

    def __init__(self, board, kernel, secs):
        self.board = board
        self.kernel = kernel
        self.name = f"{board}/{kernel}"
        self.secs = secs
        self.passed = 0
        self.failed = 0
        self.skipped = 0


def skip_verdict(board, test, runs_results):
    """Whether a skip of TEST on BOARD is the board's lack rather than a failure.

    runs_results maps (board, kernel) to {test: outcome} with outcome "pass", "fail" or
    "skip". Returns None when the skip is accepted (the test skipped on every run of BOARD,
    and passed or failed on some run of another board), else why it counts as failed."""
    own = [res.get(test) for (b, _k), res in runs_results.items() if b == board]
    if any(o in ("pass", "fail") for o in own):
        return "it ran on another kernel of this board"
    if any(o is None for o in own):
        return "another run of this board has no result for it"
    if not any(res.get(test) in ("pass", "fail")
               for (b, _k), res in runs_results.items() if b != board):
        return "it ran on no other board"
    return None


def skip_rule(runs_results):
    """The set of (board, test) whose skips are accepted (see skip_verdict)."""
    return {(board, test)
            for (board, _k), res in runs_results.items()
            for test, outcome in res.items()
            if outcome == "skip" and skip_verdict(board, test, runs_results) is None}


def outcomes(path):
    """{program/test: "pass" | "fail" | "skip"} of one run's KTAP."""
    programs, _ = ktap(path)
    out = {}
    for prog, p in programs.items():
        for ok, test, directive, _reason in p["subtests"]:
            key = f"{prog}/{test}"
            if directive in ("SKIP", "XFAIL", "TODO"):
                out[key] = "skip"
            else:
                out[key] = "pass" if ok else "fail"
    return out


def kernel(run, path, rc, console, expected, results, t):
    name = run.name
    start = (t.passed, t.failed)
    programs, counts = ktap(path)
    print(f"kselftest [{name}] (KTAP from the emulated board, {path}):")
    for prog in expected:
        programs.setdefault(prog, {"subtests": [], "plan": None, "top": None})
    for prog, p in programs.items():
        if not p["subtests"] and p["plan"] is None and p["top"] is None:
            t.fail(f"[{name}] {prog}: did not run (nothing from it in the KTAP)")
            continue
        bad = 0
        board_skips = 0
        for ok, test, directive, reason in p["subtests"]:
            label = f"[{name}] {prog}/{test}"
            if directive in ("SKIP", "XFAIL", "TODO"):
                why = (skip_verdict(run.board, f"{prog}/{test}", results)
                       if directive == "SKIP" else directive)
                if why is None:
                    print(f"  SKIP  {label}  ({reason})")
                    run.skipped += 1
                    board_skips += 1
                    continue
                print(f"  {directive:<5} {label}  ({reason}) [counted as failed: {why}]")
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
        elif top[2] == "SKIP" and board_skips > 0 and bad == 0:
            # The runner marks a program whose tests all skipped (the board lacks what they
            # need, each said why above) as skipped.
            pass
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
        if rc in GUEST_STATUS or t.failed == start[1]:
            t.fail(note)
        else:
            t.notes.append(note)
    run.passed = t.passed - start[0]
    run.failed = t.failed - start[1]
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
    ap.add_argument("--run", nargs=6, action="append", default=[],
                    metavar=("BOARD", "KERNEL", "KTAP", "RC", "SECS", "CONSOLE"))
    ap.add_argument("--programs", metavar="LIST")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()

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
    runs = []
    results = {}
    for board, kern, path, rc, secs, console in args.run:
        runs.append((Run(board, kern, secs), path, number(rc, -1), console))
        results[(board, kern)] = outcomes(path)
    for run, path, rc, console in runs:
        kernel(run, path, rc, console, expected, results, t)
    if runs:
        # failed: failed tests, and missing results and a guest that did not end cleanly.
        print(f"{'run':<16} {'passed':>7} {'failed':>7} {'skipped':>8} {'time':>7}")
        for run, _path, _rc, _console in runs:
            secs = number(run.secs, None)
            took = f"{secs // 60}m{secs % 60:02d}s" if secs is not None else "?"
            print(f"{run.name:<16} {run.passed:>7} {run.failed:>7} {run.skipped:>8} {took:>7}")
    for n in t.notes:
        print(f"note: {n}")
    if t.skipped:
        print("note: a test may skip only on a board that lacks what it needs (on each of its "
              "runs, and run on another board); other skips count as failed")
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


def number(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def self_test():
    """The skip rule on made-up runs, as TAP."""
    cases = [
        ("a board-wide skip of a test that ran on the other board is accepted",
         {("versal", "normal"): {"t/a": "pass"}, ("versal", "debug"): {"t/a": "pass"},
          ("rpi3", "normal"): {"t/a": "skip"}, ("rpi3", "debug"): {"t/a": "skip"}},
         {("rpi3", "t/a")}),
        ("a skip on one kernel of a board only is not accepted",
         {("versal", "normal"): {"t/a": "pass"}, ("versal", "debug"): {"t/a": "skip"},
          ("rpi3", "normal"): {"t/a": "pass"}, ("rpi3", "debug"): {"t/a": "pass"}},
         set()),
        ("a test skipped on every board is not accepted anywhere",
         {("versal", "normal"): {"t/a": "skip"}, ("rpi3", "normal"): {"t/a": "skip"}},
         set()),
        ("a skip with no other board is not accepted",
         {("rpi3", "normal"): {"t/a": "skip"}, ("rpi3", "debug"): {"t/a": "skip"}},
         set()),
        ("a test that failed on the other board still lets this board skip it",
         {("versal", "normal"): {"t/a": "fail"}, ("rpi3", "normal"): {"t/a": "skip"}},
         {("rpi3", "t/a")}),
        ("a skip on a board whose other run has no result for the test is not accepted",
         {("versal", "normal"): {"t/a": "pass"}, ("rpi3", "normal"): {"t/a": "skip"},
          ("rpi3", "debug"): {}},
         set()),
    ]
    bad = 0
    for n, (name, results, want) in enumerate(cases, 1):
        got = skip_rule(results)
        print(f"{'ok' if got == want else 'not ok'} {n} - {name}")
        if got != want:
            print(f"# got {sorted(got)}, want {sorted(want)}")
            bad = 1
    print(f"1..{len(cases)}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
