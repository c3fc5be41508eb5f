"""Stage-by-stage growth of ``match()`` for two checkouts, run alternately.

On a shared machine one checkout's growth exponent moves by ±0.1 from one round to the
next, so a change is judged against the code before it in the same run: in each round,
each size, the base checkout's ``bench_matching.py --child stages`` and then this one's
(the other way round in every second round), each a fresh process. Prints per stage the
median CPU time at the smallest and largest size and the exponent between them, for
both checkouts, then phase 1, phase 2 and both phases with each round's exponent.

    git worktree add /tmp/base <commit>     # or: git archive <commit> | tar -x -C /tmp/base
    nice .venv/bin/python benchmarks/paired_scale.py --base /tmp/base --rounds 3 50000 400000

Both checkouts read the instances of ``bench_matching.py --scale`` from ``--workdir``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _child(checkout: str, path: str) -> dict:
    script = os.path.join(checkout, "benchmarks", "bench_matching.py")
    out = subprocess.run(
        [sys.executable, script, "--child", "stages", path],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _exp(a: float, b: float, n1: int, n2: int) -> str:
    return f"{math.log(b / a) / math.log(n2 / n1):.2f}" if a > 0 and b > 0 else "-"


def main() -> int:
    from bench_matching import _instance_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the other checkout (the code before)")
    ap.add_argument("--workdir", default=os.path.join(HERE, "..", "var", "bench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("sizes", type=int, nargs="+")
    args = ap.parse_args()
    trees = [("base", os.path.abspath(args.base)), ("this", os.path.join(HERE, ".."))]
    paths = {n: _instance_path(args.workdir, n, n // 4, (10, 10), args.seed) for n in args.sizes}
    runs: dict[tuple[str, int], list[dict]] = {(t, n): [] for t, _ in trees for n in args.sizes}
    loads = []
    for k in range(args.rounds):
        for n in args.sizes:
            for name, checkout in trees if k % 2 == 0 else trees[::-1]:
                loads.append(os.getloadavg()[0])
                got = _child(checkout, paths[n])
                loads.append(os.getloadavg()[0])
                runs[(name, n)].append(got)
                print(
                    f"  round {k + 1}, {name}, {n} mentees: CPU phase 1 "
                    f"{got['stable']['cpu_s']:.2f} s, both {got['both']['cpu_s']:.2f} s, "
                    f"load {loads[-2]:.1f}-{loads[-1]:.1f}",
                    flush=True,
                )
    med = statistics.median
    n1, n2 = args.sizes[0], args.sizes[-1]
    print(f"\n  CPU s, medians of {args.rounds} rounds, load {min(loads):.1f}-{max(loads):.1f}")
    print(
        f"  | stage (both phases) | base {n1:,} | base {n2:,} | exponent | this {n1:,} "
        f"| this {n2:,} | exponent |"
    )
    for lab in runs[("this", n2)][0]["both"]["stages"]:
        row = []
        for name, _ in trees:
            a = med(g["both"]["stages"].get(lab, (0, 0))[1] for g in runs[(name, n1)])
            b = med(g["both"]["stages"].get(lab, (0, 0))[1] for g in runs[(name, n2)])
            row += [f"{a:.3f}", f"{b:.3f}", _exp(a, b, n1, n2)]
        print(f"  | {lab} | " + " | ".join(row) + " |")
    whole = {
        "phase 1": lambda g: g["stable"]["cpu_s"],
        "phase 2": lambda g: g["both"]["cpu_s"] - g["stable"]["cpu_s"],
        "both phases": lambda g: g["both"]["cpu_s"],
    }
    for key, f in whole.items():
        row = []
        for name, _ in trees:
            small, large = runs[(name, n1)], runs[(name, n2)]
            a, b = med(map(f, small)), med(map(f, large))
            each = ", ".join(_exp(f(x), f(y), n1, n2) for x, y in zip(small, large, strict=True))
            row += [f"{a:.2f}", f"{b:.2f}", f"{_exp(a, b, n1, n2)} (rounds {each})"]
        print(f"  | **{key}** | " + " | ".join(row) + " |")
    for name, _ in trees:  # (a checkout whose reader turns choice ids into positions)
        small, large = runs[(name, n1)], runs[(name, n2)]
        if "read" not in small[0]:
            continue
        lookups = lambda g: g["read"]["choice_ids_to_positions"][1]  # noqa: E731
        a, b = med(map(lookups, small)), med(map(lookups, large))
        print(
            f"  {name}: the reader's choice-id lookups {a:.3f} s, {b:.3f} s "
            f"(exponent {_exp(a, b, n1, n2)})"
        )
        for key in ("phase 1", "both phases"):
            f = whole[key]
            a = med(f(g) + lookups(g) for g in small)
            b = med(f(g) + lookups(g) for g in large)
            each = ", ".join(
                _exp(f(x) + lookups(x), f(y) + lookups(y), n1, n2)
                for x, y in zip(small, large, strict=True)
            )
            print(
                f"  {name}: {key} and those lookups {a:.2f} s, {b:.2f} s, exponent "
                f"{_exp(a, b, n1, n2)} (rounds {each})"
            )
    for name, _ in trees:
        got = runs[(name, n2)]
        print(
            f"  {name}: peak RSS at {n2:,} {max(g['peak_rss_mb'] for g in got):.0f} MB; "
            f"work counted {got[0]['counts_both']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
