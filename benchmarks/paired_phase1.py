"""Compare ``match(stable_only=True)`` between two checkouts, run alternately.

This machine's timings drift by a third within minutes, so a change to the
engine is judged by paired runs: a fresh process with the other checkout's
engine, then one with this checkout's, and so on, on the same instance file.

    git worktree add /tmp/base <commit>
    .venv/bin/python benchmarks/paired_phase1.py --base /tmp/base --runs 12 \\
        var/bench/instance-100000x25000-c10-10-s1.json
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# Runs in a fresh interpreter with the checkout's directory first on sys.path.
_CHILD = """
import gc, json, sys, time
gc.disable()  # as equimentor match does (the engine itself no longer does)
sys.path.insert(0, sys.argv[1])
from equimentor.engine import instance_from_dict, match
with open(sys.argv[2], encoding="utf-8") as fh:
    inst = instance_from_dict(json.load(fh))
t = time.perf_counter()
result = match(inst, stable_only=True)
print(time.perf_counter() - t, result.metrics["matched"])
"""


def _time(checkout: str, path: str) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, checkout, path],
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("instance", help="an instance file (benchmarks/generate_instance.py)")
    ap.add_argument("--base", required=True, help="the other checkout (e.g. a git worktree)")
    ap.add_argument("--runs", type=int, default=12)
    args = ap.parse_args(argv)
    path = os.path.abspath(args.instance)
    base, new = [], []
    for k in range(args.runs):
        b, matched_b = _time(os.path.abspath(args.base), path)
        n, matched_n = _time(ROOT, path)
        if matched_b != matched_n:
            print(f"run {k + 1}: the two checkouts match different numbers of mentees")
            return 1
        base.append(b)
        new.append(n)
        print(f"run {k + 1}: base {b:.3f} s, this checkout {n:.3f} s")
    for label, xs in (("base", base), ("this checkout", new)):
        print(
            f"{label}: median {statistics.median(xs):.3f} s, mean {statistics.mean(xs):.3f} s, "
            f"min {min(xs):.3f} s, max {max(xs):.3f} s"
        )
    diffs = [b - n for b, n in zip(base, new, strict=True)]
    print(f"paired difference (base - this): median {statistics.median(diffs):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
