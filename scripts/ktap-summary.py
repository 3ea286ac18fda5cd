#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarises a `make test` run.

    ktap-summary.py HOST_LOG KTAP_LOG GUEST_RC

HOST_LOG is the output of `cargo test`; KTAP_LOG the guest's output, the KTAP of the
kernel's kselftest runner; GUEST_RC the exit status of scripts/qemu.sh. Lists every test
with its result and ends with one line `N passed, N failed`. Exits 1 if anything failed,
a result is missing, a test was skipped, or the guest did not finish cleanly.
"""

import re
import sys

RESULT = re.compile(r"^(not ok|ok) (\d+) (.*?)(?: # (SKIP|TODO)\b ?(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")


def host_counts(path):
    passed = failed = 0
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return 0, 1, ["host tests: no output"]
    for m in re.finditer(r"test result: \w+\. (\d+) passed; (\d+) failed", text):
        passed += int(m.group(1))
        failed += int(m.group(2))
    notes = []
    if passed + failed == 0:
        notes.append("host tests: no result found")
        failed += 1
    return passed, failed, notes


def ktap(path):
    """Returns (subtests, plans, top-level results) from the runner's nested KTAP."""
    subtests, plans, top = [], [], []
    for raw in open(path, errors="replace"):
        line = raw.rstrip("\r\n")
        depth = 0
        while line.startswith("# "):
            line = line[2:]
            depth += 1
        m = RESULT.match(line)
        if m:
            entry = (m.group(1) == "ok", m.group(3).strip(), m.group(4), m.group(5) or "")
            (top if depth == 0 else subtests).append(entry)
            continue
        m = PLAN.match(line)
        if m and depth == 1:
            plans.append(int(m.group(1)))
    return subtests, plans, top


def main():
    host_log, ktap_log, guest_rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hp, hf, notes = host_counts(host_log)
    print(f"host tests: {hp} passed, {hf} failed")

    subtests, plans, top = ktap(ktap_log)
    passed = hp
    failed = hf
    print("kselftest (KTAP from the emulated board):")
    for ok, name, directive, reason in subtests:
        if directive == "SKIP":
            print(f"  SKIP  {name}  ({reason})")
            failed += 1
        elif ok:
            print(f"  PASS  {name}")
            passed += 1
        else:
            print(f"  FAIL  {name}")
            failed += 1
    expected = sum(plans)
    if not plans:
        notes.append("kselftest: no test plan in the output")
        failed += 1
    elif len(subtests) < expected:
        notes.append(f"kselftest: {expected - len(subtests)} of {expected} results missing")
        failed += expected - len(subtests)
    if not top:
        notes.append("kselftest: the runner reported no result")
        failed += 1
    for ok, name, _, _ in top:
        if not ok:
            notes.append(f"kselftest runner: not ok {name}")
    if guest_rc != 0:
        what = {124: "did not finish in time", 125: "stopped without a result",
                3: "kernel reported an oops, BUG or WARN"}.get(guest_rc, f"exit status {guest_rc}")
        notes.append(f"emulated board: {what} (console in build/test.log)")
        if not any(not ok for ok, _, _, _ in subtests):
            failed += 1
    if any(d == "SKIP" for _, _, d, _ in subtests):
        notes.append("skipped tests count as failed: under make test everything must run")
    for n in notes:
        print(f"note: {n}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
