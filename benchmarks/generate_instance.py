"""Write a seeded, national-scale matching instance in the CLI's JSON format.

    .venv/bin/python benchmarks/generate_instance.py --mentees 100000 --mentors 25000 \
        --choices 10 10 --seed 1 --out var/bench/instance-100k.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from equimentor.engine.generate import generate_instance  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentees", type=int, default=100_000)
    ap.add_argument("--mentors", type=int, default=25_000)
    ap.add_argument("--choices", type=int, nargs=2, default=(3, 10), metavar=("LOW", "HIGH"))
    ap.add_argument("--capacity", type=int, nargs=2, default=(1, 4), metavar=("LOW", "HIGH"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    data = generate_instance(
        args.mentees,
        args.mentors,
        seed=args.seed,
        choices=tuple(args.choices),
        capacity=tuple(args.capacity),
    )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    print(
        f"wrote {args.out}: {args.mentees} mentees, {args.mentors} mentors "
        f"in {time.perf_counter() - t:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
