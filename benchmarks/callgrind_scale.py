"""Instructions executed by ``match()`` at a few sizes, counted by valgrind's callgrind
(a count of work that does not depend on the machine's load or its caches).

    nice .venv/bin/python benchmarks/callgrind_scale.py --workdir var/bench --sizes 25000 50000 100000

For each size (n mentees x n/4 mentors, 10 choices, the instances of ``bench_matching.py
--scale``) three processes run under ``valgrind --tool=callgrind``: reading the instance
only, then reading it and ``match(stable_only=True)``, then reading it and ``match()``;
phase 1 is the second count less the first, phase 2 the third less the second. Slow:
about 50 times the native time.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))


def child(path: str, mode: str) -> None:
    import gc

    import orjson
    from ortools.graph.python import min_cost_flow  # noqa: F401

    from equimentor.engine import fallback, instance_from_dict, match  # noqa: F401

    gc.disable()
    with open(path, "rb") as fh:
        inst = instance_from_dict(orjson.loads(fh.read()))
    if mode != "load":
        match(inst, stable_only=mode == "stable")


def count(path: str, mode: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                os.path.abspath(__file__),
                "--child",
                path,
                mode,
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        )
        with open(out, encoding="utf-8") as fh:
            text = fh.read()
    return int(re.search(r"^(?:totals|summary): (\d+)", text, re.M).group(1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=os.path.join(HERE, "..", "var", "bench"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    from bench_matching import _instance_path

    rows = []
    for n in args.sizes:
        path = _instance_path(args.workdir, n, n // 4, (10, 10), args.seed)
        load, stable, both = (count(path, m) for m in ("load", "stable", "both"))
        rows.append((n, stable - load, both - stable, both - load))
        print(
            f"  {n} mentees: instructions, phase 1 {(stable - load) / 1e9:.2f} G, phase 2 "
            f"{(both - stable) / 1e9:.2f} G, both {(both - load) / 1e9:.2f} G",
            flush=True,
        )
    for (n1, *a), (n2, *b) in zip(rows, rows[1:], strict=False):
        e = [math.log(y / x) / math.log(n2 / n1) for x, y in zip(a, b, strict=True)]
        print(f"  {n1} -> {n2}: exponent phase 1 {e[0]:.2f}, phase 2 {e[1]:.2f}, both {e[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
