"""Equity of matching on skewed cohorts: the "score" policy (before) and the "fair" one side by side.

    .venv/bin/python benchmarks/bench_equity.py --workdir var/bench
    .venv/bin/python benchmarks/bench_equity.py --workdir var/bench --cost 100000 --repeats 3

For each ratio of places to mentees (default 0.8 and 1.3) it generates a cohort shaped like UK
academic medicine (``equimentor.engine.generate.skewed_cohort``: mentors mostly white men,
minority-ethnic mentees choosing the few minority-ethnic mentors far more often and often asking
to share ethnicity or gender), matches it under both policies (each in a fresh process) and
prints, per group, the match rate, the share who got their first choice and the share of those
who asked to share characteristics whose mentor shares them all; per mentor group, the places
used against the places offered; and the number matched, the total and mean score (what
fairness gives up), the blocking pairs and the time.

``--cost N`` also times ``match()`` (both phases; wall and CPU time of the process) under each
policy in fresh processes, alternately, on the skewed cohort of N mentees with 80% places and on
the standard benchmark instance (N mentees, N/4 mentors, 10 choices;
``benchmarks/bench_matching.py``), and prints the ratio fair / score of the medians and the load
average while they ran (on a shared machine the CPU time is the steadier figure).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)


def _cohort(workdir: str, n: int, ratio: float, seed: int) -> str:
    from equimentor.engine.generate import skewed_cohort

    path = os.path.join(workdir, f"skewed-{n}-p{round(100 * ratio)}-s{seed}.json")
    if not os.path.exists(path):
        os.makedirs(workdir, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(skewed_cohort(n, ratio, seed=seed), fh)
    return path


def _standard(workdir: str, n: int, seed: int) -> str:
    from equimentor.engine.generate import generate_instance

    path = os.path.join(workdir, f"instance-{n}x{n // 4}-c10-10-s{seed}.json")
    if not os.path.exists(path):
        os.makedirs(workdir, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(generate_instance(n, n // 4, seed=seed, choices=(10, 10)), fh)
    return path


def child(path: str, policy: str) -> dict:
    """Match under ``policy`` and measure it (runs in a fresh process)."""
    from equimentor.engine import instance_from_dict, match

    with open(path, encoding="utf-8") as fh:
        inst = instance_from_dict(json.load(fh))
    inst.settings.policy = policy
    t, cpu = time.perf_counter(), time.process_time()
    result = match(inst)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    out = {"seconds": seconds, "cpu": cpu, "metrics": {k: v for k, v in result.metrics.items()}}
    places: dict[str, list[int]] = {}
    group_of = {str(r.id): r.attributes.get("group") for r in inst.mentors}
    for r in inst.mentors:
        places.setdefault(r.attributes.get("group") or "all", [0, 0])[0] += r.capacity
    total = 0.0
    for a in result.assignments:
        places[group_of.get(str(a.mentor)) or "all"][1] += 1
        total += a.score
    out["mentor_places"] = places
    out["total_score"] = total
    return out


def _run(args: list[str]) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    –"


def compare(path: str) -> None:
    res = {policy: _run([path, policy]) for policy in ("score", "fair")}
    old, new = res["score"]["metrics"], res["fair"]["metrics"]
    n = old["mentees"]
    print(f"  mentees {n}; matched {old['matched']} (score) / {new['matched']} (fair)")
    print(
        "  group                    | match rate  score   fair | 1st choice  score   fair "
        "| shared as asked  score   fair"
    )
    for label in sorted(old["groups"]):
        a, b = old["groups"][label], new["groups"][label]
        print(
            f"  {label:<24} | {a['mentees']:>6}     {_pct(a['matched'], a['mentees'])} "
            f"{_pct(b['matched'], b['mentees'])} |             {_pct(a['first_choice'], a['mentees'])}"
            f" {_pct(b['first_choice'], b['mentees'])} |                  "
            f"{_pct(a['shared_honoured'], a['asked_shared'])} "
            f"{_pct(b['shared_honoured'], b['asked_shared'])}"
        )
    overall_old, overall_new = old["matched"] / n, new["matched"] / n
    gaps = {
        policy: max(100 * (over - g["matched"] / g["mentees"]) for g in m["groups"].values())
        for policy, m, over in (("score", old, overall_old), ("fair", new, overall_new))
    }
    print(
        f"  largest gap below the overall match rate: {gaps['score']:.1f} points (score), "
        f"{gaps['fair']:.1f} points (fair)"
    )
    print("  mentor group             | places used / offered  score            fair")
    for label in sorted(res["score"]["mentor_places"]):
        a, b = res["score"]["mentor_places"][label], res["fair"]["mentor_places"][label]
        print(
            f"  {label:<24} | {a[0]:>6} places  {a[1]:>6} {_pct(a[1], a[0])}  "
            f"{b[1]:>6} {_pct(b[1], b[0])}"
        )
    t_old, t_new = res["score"]["total_score"], res["fair"]["total_score"]
    print(
        f"  total score {t_old:.1f} (score) / {t_new:.1f} (fair): "
        f"{100 * (t_old - t_new) / t_old:.2f}% given up for fairness; mean score "
        f"{old['mean_score']} / {new['mean_score']}; fallback pairs {old['fallback']} / "
        f"{new['fallback']}; blocking pairs {old['blocking_pairs']} / {new['blocking_pairs']}; "
        f"match() {res['score']['seconds']:.2f} s / {res['fair']['seconds']:.2f} s"
    )


def cost(path: str, repeats: int) -> None:
    times: dict[str, list[float]] = {"score": [], "fair": []}
    cpus: dict[str, list[float]] = {"score": [], "fair": []}
    loads = [os.getloadavg()[0]]
    for _ in range(repeats):
        for policy in ("score", "fair"):
            run = _run([path, policy])
            times[policy].append(run["seconds"])
            cpus[policy].append(run["cpu"])
            loads.append(os.getloadavg()[0])
    for label, got in (("wall", times), ("CPU", cpus)):
        med = {p: statistics.median(t) for p, t in got.items()}
        print(
            f"  match() both phases, {label} time, median of {repeats} fresh processes each "
            f"(alternately): score {med['score']:.2f} s "
            f"({', '.join(f'{t:.2f}' for t in got['score'])}), fair {med['fair']:.2f} s "
            f"({', '.join(f'{t:.2f}' for t in got['fair'])}): "
            f"fair / score = {med['fair'] / med['score']:.2f}"
        )
    print(
        f"  load average (1 min) before and after each process: {min(loads):.1f}–{max(loads):.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default=os.path.join(ROOT, "var", "bench"))
    ap.add_argument("--mentees", type=int, default=20_000)
    ap.add_argument("--ratios", type=float, nargs="*", default=[0.8, 1.3])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cost", type=int, default=0, help="also time both policies at this size")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        gc.disable()  # as in ``equimentor match``: a process that only matches
        print(json.dumps(child(*args.child)))
        return 0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for ratio in args.ratios:
        print(
            f"\n## skewed cohort: {args.mentees} mentees, places {round(100 * ratio)}% of mentees"
        )
        compare(_cohort(args.workdir, args.mentees, ratio, args.seed))
    if args.cost:
        print(f"\n## cost: skewed cohort, {args.cost} mentees, places 80% of mentees")
        cost(_cohort(args.workdir, args.cost, 0.8, args.seed), args.repeats)
        print(f"\n## cost: standard instance, {args.cost} mentees x {args.cost // 4}, 10 choices")
        cost(_standard(args.workdir, args.cost, args.seed), args.repeats)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
