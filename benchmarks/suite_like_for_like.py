"""Issue #22's like-for-like figure: the tests that existed when the issue was filed, timed on
that commit's code and on today's, on this machine, one run after the other.

    git worktree add /work/wt-suite-old ac50f23      # the commit the 391 s were measured on
    (cd /work/wt-suite-old && python3 -m venv .venv && .venv/bin/pip install -e '.[test]')
    .venv/bin/python benchmarks/suite_like_for_like.py --old /work/wt-suite-old \
        --plan old1,new2,old2,new2,old1,new2,old2,new2

1. Collects the node ids on both trees (`pytest --collect-only -q`) and keeps those the old
   tree has with the same node id today (written to --ids, the new runs read it as `@file`);
   the old ids missing today are printed and counted, never mapped by guess.
2. Runs the plan in order, never two at once, each on SQLite (DATABASE_URL unset), each tree
   with its own Redis database: `old1` the old tree's own `./scripts/test` (one process, as it
   was run then), `old2` the same with `-n 2` (what 5cb07e4 then made the default),
   `new2` today's `./scripts/test` (two workers) on the kept ids, `new1` the same on one
   process, `newall` today's whole suite on two workers.
3. Prints and appends to --out (JSON lines) each run's wall time, pytest's summary line and the
   load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

NEW = Path(__file__).resolve().parent.parent


def node_ids(tree: Path, env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        [".venv/bin/pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if "::" in line]


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def env_for(redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")}
    env["EQUIMENTOR_TEST_REDIS_URL"] = redis_url
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="worktree of the old commit")
    parser.add_argument("--new", type=Path, default=NEW, help="worktree of today's code")
    parser.add_argument("--plan", default="old1,new2,old1,new2")
    parser.add_argument("--old-redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--new-redis", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--ids", type=Path, default=NEW / "var" / "like_for_like_ids.txt")
    parser.add_argument("--out", type=Path, default=NEW / "var" / "like_for_like.jsonl")
    args = parser.parse_args()
    old_env, new_env = env_for(args.old_redis), env_for(args.new_redis)

    old_ids = node_ids(args.old, old_env)
    new_ids = set(node_ids(args.new, new_env))
    kept = [i for i in old_ids if i in new_ids]
    missing = [i for i in old_ids if i not in new_ids]
    print(f"old {len(old_ids)} tests, today {len(new_ids)}, same node id {len(kept)}")
    for node in missing:
        print("  not found today:", node)
    args.ids.parent.mkdir(parents=True, exist_ok=True)
    args.ids.write_text("\n".join(kept) + "\n")

    common = ["-q", "-p", "no:cacheprovider"]
    runs = {
        "old1": (args.old, old_env, ["./scripts/test", *common]),
        "old2": (args.old, old_env, ["./scripts/test", *common, "-n", "2"]),
        "new2": (args.new, new_env, ["./scripts/test", *common, f"@{args.ids}"]),
        "new1": (
            args.new,
            {**new_env, "EQUIMENTOR_TEST_WORKERS": "0"},
            ["./scripts/test", *common, f"@{args.ids}"],
        ),
        "newall": (args.new, new_env, ["./scripts/test", *common]),
    }
    walls: dict[str, list[float]] = {}
    for name in args.plan.split(","):
        tree, env, command = runs[name]
        before, started = load(), datetime.now(UTC)
        t0 = time.monotonic()
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        wall = time.monotonic() - t0
        summary = next(
            (ln for ln in reversed(done.stdout.splitlines()) if re.search(r" in [\d.]+s", ln)),
            "(no summary)",
        )
        row = {
            "run": name,
            "start_utc": started.strftime("%H:%M:%S"),
            "wall_s": round(wall, 1),
            "exit": done.returncode,
            "pytest": summary.strip("= "),
            "load_before": before,
            "load_after": load(),
        }
        print(json.dumps(row), flush=True)
        with args.out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        if done.returncode:
            print(done.stdout[-3000:], done.stderr[-2000:])
        walls.setdefault(name, []).append(wall)
    for name, values in walls.items():
        print(f"{name}: median {statistics.median(values):.0f} s of {len(values)}")
    if "new2" in walls:
        for name in ("old1", "old2"):
            if name in walls:
                ratio = statistics.median(walls["new2"]) / statistics.median(walls[name])
                print(f"new2 / {name} = {ratio:.2f} (target for old1: 0.50)")


if __name__ == "__main__":
    main()
