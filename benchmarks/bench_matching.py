"""Benchmark the matching engine; each measurement runs in a fresh process.

    .venv/bin/python benchmarks/bench_matching.py --workdir var/bench

Stages:

* ``phase1``: 100,000 mentees x 25,000 mentors, 10 choices each. Times JSON
  parsing, instance construction (with validation), then
  ``match(instance, stable_only=True)`` as a whole, then its steps one by one:
  validation and indexing, the TF-IDF model, the mentors' preference orders
  (scoring the 1M chosen pairs), deferred acceptance (in rounds, as used), the
  stability check, and the result with reasons; then the one-proposal-at-a-time
  deferred acceptance for reference (and that both agree).
* ``full``: ``match()`` with both phases (all scoring, fallback candidates from
  interest text, explanations, stability check) on 100,000 mentees, with the
  peak RSS of the process (``resource.getrusage``).
* ``compare``: the PyPI package ``matching`` (``HospitalResident``,
  ``optimal="resident"``) on the same preferences (mentor lists restricted to
  the mentees who chose them, in the engine's order); checks both give the
  identical matching and reports the time ratio.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _instance_path(workdir: str, n: int, m: int, choices: tuple[int, int], seed: int) -> str:
    from equimentor.engine.generate import generate_instance

    path = os.path.join(workdir, f"instance-{n}x{m}-c{choices[0]}-{choices[1]}-s{seed}.json")
    if not os.path.exists(path):
        os.makedirs(workdir, exist_ok=True)
        data = generate_instance(n, m, seed=seed, choices=choices)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
    return path


def child_match(path: str) -> dict:
    """Only the headline figure, ``match(stable_only=True)``, in a fresh process."""
    from equimentor.engine import instance_from_dict, match

    with open(path, encoding="utf-8") as fh:
        inst = instance_from_dict(json.load(fh))
    t, c = time.perf_counter(), time.process_time()
    result = match(inst, stable_only=True)
    out = {"match_stable_only_s": time.perf_counter() - t}
    out["match_stable_only_cpu_s"] = time.process_time() - c
    out["matched"] = result.metrics["matched"]
    out["blocking_pairs"] = result.metrics["blocking_pairs"]
    return out


def child_phase1(path: str) -> dict:
    import numpy as np

    from equimentor.engine import instance_from_dict, match
    from equimentor.engine.core import _blocking, _build_result
    from equimentor.engine.scoring import Scorer
    from equimentor.engine.stable import (
        collect,
        deferred_acceptance,
        deferred_acceptance_rounds,
        mentor_order,
    )
    from equimentor.engine.validate import prepare

    out = {}
    t = time.perf_counter()
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    out["json_parse_s"] = time.perf_counter() - t
    t = time.perf_counter()
    inst = instance_from_dict(data)
    out["instance_from_dict_s"] = time.perf_counter() - t
    del data
    # the headline figure: what a coordinator waits for once the instance is built
    t, c = time.perf_counter(), time.process_time()
    result = match(inst, stable_only=True)
    out["match_stable_only_s"] = time.perf_counter() - t
    out["match_stable_only_cpu_s"] = time.process_time() - c  # CPU time of this process
    out["matched"] = result.metrics["matched"]
    out["blocking_pairs"] = result.metrics["blocking_pairs"]
    # the reasons in plain words, phrased when the result is first read
    t = time.perf_counter()
    len(result.assignments.items), len(result.unmatched.items)
    out["reasons_on_first_read_s"] = time.perf_counter() - t
    del result
    # the same steps again, one by one (as in core.match)
    # (steps timed with the collector paused, as in the whole child process: see main)
    t0 = t = time.perf_counter()
    prep = prepare(inst)
    out["step_prepare_s"] = time.perf_counter() - t
    t = time.perf_counter()
    scorer = Scorer(prep)
    out["step_tfidf_and_attributes_s"] = time.perf_counter() - t
    t = time.perf_counter()
    mo = mentor_order(prep, scorer)
    out["step_mentor_orders_s"] = time.perf_counter() - t
    t = time.perf_counter()
    mentor, proposal = deferred_acceptance_rounds(
        prep.acc_ptr, prep.acc_mentor, mo, list(prep.capacity)
    )
    out["step_deferred_acceptance_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ai = np.flatnonzero(mentor >= 0)
    scores = mo.score[proposal[ai]]
    a_score = np.zeros(prep.n)
    a_score[ai] = scores
    _blocking(prep, scorer, mentor, acc_score=mo.score, assigned_score=a_score)
    out["step_stability_check_s"] = time.perf_counter() - t
    t = time.perf_counter()
    res = _build_result(prep, scorer, mentor, proposal, mentor >= 0, None, scores)
    out["step_result_metrics_s"] = time.perf_counter() - t
    out["steps_total_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    len(res.assignments.items), len(res.unmatched.items)
    out["step_reasons_s"] = time.perf_counter() - t
    # the one-proposal-at-a-time form (heaps on Python lists), for reference
    t = time.perf_counter()
    args = (
        prep.acc_ptr.tolist(),
        prep.acc_mentor.tolist(),
        mo.gpos.tolist(),
        mo.pair_mentee[mo.order].tolist(),
        list(prep.capacity),
    )
    heaps = deferred_acceptance(*args)
    same = collect(prep.n, heaps, mo)[0]
    out["reference_da_one_at_a_time_s"] = time.perf_counter() - t
    out["reference_da_identical"] = bool(np.array_equal(same, mentor))
    out["mentees"] = prep.n
    out["mentors"] = prep.m
    out["choices"] = int(prep.acc_ptr[-1])
    out["peak_rss_mb"] = _rss_mb()
    return out


def child_full(path: str) -> dict:
    from equimentor.engine import instance_from_dict, match

    t = time.perf_counter()
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    inst = instance_from_dict(data)
    del data
    load = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    result = match(inst)
    out = {"load_and_validate_s": load, "match_s": time.perf_counter() - t}
    out["match_cpu_s"] = time.process_time() - c  # CPU time of this process (all threads)
    out.update({f"metric_{k}": v for k, v in result.metrics.items()})
    out["peak_rss_mb"] = _rss_mb()
    return out


def child_phases(path: str, repeats: int) -> dict:
    """Phase 1 alone (``match(stable_only=True)``) and both phases (``match()``) in one fresh
    process: one run of each to warm up, then each ``repeats`` times, alternately; the
    medians of the CPU times, phase 2 the difference. Peak RSS of the process (instance
    included)."""
    import orjson

    from equimentor.engine import instance_from_dict, match

    with open(path, "rb") as fh:
        inst = instance_from_dict(orjson.loads(fh.read()))
    times: dict[str, list[tuple[float, float]]] = {"stable": [], "both": []}
    out: dict[str, float] = {}
    for k in range(repeats + 1):
        for mode in ("stable", "both"):
            t, c = time.perf_counter(), time.process_time()
            result = match(inst, stable_only=mode == "stable")
            if k:
                times[mode].append((time.perf_counter() - t, time.process_time() - c))
            out[f"matched_{mode}"] = result.metrics["matched"]
            out["fallback"] = result.metrics["fallback"]
            del result
    for mode, got in times.items():
        out[f"{mode}_s"] = statistics.median(w for w, _ in got)
        out[f"{mode}_cpu_s"] = statistics.median(c for _, c in got)
    out["peak_rss_mb"] = _rss_mb()
    return out


def child_compare(path: str, public_api: bool, cli_result: str | None = None) -> dict:
    from matching.algorithms.hospital_resident import hospital_resident
    from matching.games import HospitalResident
    from matching.games.hospital_resident import _make_players

    from equimentor.engine import instance_from_dict, match
    from equimentor.engine.stable import hr_preferences

    with open(path, encoding="utf-8") as fh:
        inst = instance_from_dict(json.load(fh))
    t = time.perf_counter()
    result = match(inst, stable_only=True)
    engine_s = time.perf_counter() - t
    ours = {(str(a.mentee), str(a.mentor)) for a in result.assignments}
    mentee_prefs, mentor_prefs, caps = hr_preferences(inst)
    out = {"mentees": len(inst.mentees), "engine_match_stable_only_s": engine_s}
    t = time.perf_counter()
    if public_api:
        game = HospitalResident.create_from_dictionaries(mentee_prefs, mentor_prefs, caps)
        out["matching_build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        solved = game.solve(optimal="resident")
    else:
        residents, hospitals = _make_players(mentee_prefs, mentor_prefs, caps)
        out["matching_build_s"] = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        solved = hospital_resident(residents, hospitals, optimal="resident")
        out["matching_solve_cpu_s"] = time.process_time() - c
    out["matching_solve_s"] = time.perf_counter() - t
    theirs = {(r.name, h.name) for h, rs in solved.items() for r in rs}
    out["identical"] = ours == theirs
    if cli_result:  # the pairs `equimentor match --stable-only` wrote
        import orjson

        with open(cli_result, "rb") as fh:
            written = orjson.loads(fh.read())["assignments"]
        out["identical_to_command"] = {(str(a["mentee"]), str(a["mentor"])) for a in written} == (
            theirs
        )
    out["pairs"] = len(ours)
    out["ratio_matching_solve_over_engine"] = out["matching_solve_s"] / engine_s
    return out


def run_child(args: list[str], timeout: float) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"timeout_s": timeout}
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_command(args: list[str], timeout: float) -> dict:
    """Run a command as a fresh process: wall time, CPU time (user + system) and peak RSS."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return {"timeout_s": timeout}
        time.sleep(0.005)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        return {"error": proc.stderr.read().decode()[-2000:]}
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def command_vs_package(path: str, workdir: str, repeats: int, timeout: float) -> None:
    """`equimentor match` end to end (a fresh process, file in, file out), with
    --stable-only and with both phases, against the `matching` package's solve on the same
    instance, in one run; the pairs the command wrote against the package's."""
    exe = os.path.join(os.path.dirname(sys.executable), "equimentor")
    out1 = os.path.join(workdir, "command-stable-only.json")
    out2 = os.path.join(workdir, "command-both.json")
    runs: dict[str, list[dict]] = {"stable_only": [], "both": []}
    loads = [os.getloadavg()[0]]
    for _ in range(repeats):
        runs["stable_only"].append(
            run_command([exe, "match", path, "--stable-only", "--out", out1], timeout)
        )
        runs["both"].append(run_command([exe, "match", path, "--out", out2], timeout))
        loads.append(os.getloadavg()[0])
    package = run_child(["compare", path, "algorithm", out1], timeout)
    loads.append(os.getloadavg()[0])
    solve = package.get("matching_solve_s")
    solve_cpu = package.get("matching_solve_cpu_s")
    for kind, got in runs.items():
        if any("wall_s" not in r for r in got):
            print(f"  equimentor match ({kind}): {got}")
            continue
        wall = statistics.median(r["wall_s"] for r in got)
        cpu = statistics.median(r["cpu_s"] for r in got)
        rss = max(r["peak_rss_mb"] for r in got)
        ratio = (
            f"; matching's solve / command = {solve / wall:.1f} (wall), {solve_cpu / cpu:.1f} (CPU)"
            if solve
            else ""
        )
        walls = ", ".join(f"{r['wall_s']:.2f}" for r in got)
        flag = " --stable-only" if kind == "stable_only" else ""
        print(
            f"  equimentor match{flag}: wall {walls} s (median {wall:.2f}), CPU median "
            f"{cpu:.2f} s, peak RSS {rss:.0f} MB{ratio}"
        )
    print(
        f"  matching package: build {package.get('matching_build_s', 0):.2f} s, solve "
        f"{solve if solve is None else round(solve, 2)} s (CPU "
        f"{solve_cpu if solve_cpu is None else round(solve_cpu, 2)} s); identical pairs: "
        f"{package.get('identical_to_command')} ({package.get('pairs')} pairs)"
        + ("" if solve else f" {package}")
    )
    print(f"  load average (1 min) during these runs: {min(loads):.1f}–{max(loads):.1f}")


def child_stages(path: str) -> dict:
    """Phase 1 alone (``match(stable_only=True)``) and both phases (``match()``) in one fresh
    process, each stage of ``match()`` timed (``benchmarks/stages.py``): the engine's modules
    imported first, the file read as ``equimentor match`` reads it (the choices' ids turned
    into mentor positions while reading, ``validate.columnar_choices``; its time is reported
    apart, under ``read``), then one run of each mode that counts the work (deferred
    acceptance's rounds, pairs scored, candidate pairs, assignment edges) and warms up, then
    one timed run of each. Peak RSS of the process (instance included)."""
    import orjson
    import stages
    from ortools.graph.python import min_cost_flow  # noqa: F401

    from equimentor.engine import (
        fallback,  # noqa: F401  (imported before timing, as scipy)
        match,
    )
    from equimentor.engine.validate import columnar_choices, instance_shape_from_dict

    stages.install()
    read: dict = {}
    t, c = time.perf_counter(), time.process_time()
    with open(path, "rb") as fh:
        data = orjson.loads(fh.read())
    read["json"] = (time.perf_counter() - t, time.process_time() - c)
    t, c = time.perf_counter(), time.process_time()
    inst = instance_shape_from_dict(data)
    read["shape"] = (time.perf_counter() - t, time.process_time() - c)
    t, c = time.perf_counter(), time.process_time()
    columnar_choices(inst)
    read["choice_ids_to_positions"] = (time.perf_counter() - t, time.process_time() - c)
    assert inst.choices is not None
    del data
    out: dict = {"read": read}
    for timed in (False, True):
        stages.counting = not timed
        for mode in ("stable", "both"):
            t, c = time.perf_counter(), time.process_time()
            result = match(inst, stable_only=mode == "stable")
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            got, counts = stages.take()
            if timed:
                out[mode] = {"wall_s": wall, "cpu_s": cpu, "stages": got}
            else:
                out[f"counts_{mode}"] = counts
            out[f"matched_{mode}"] = result.metrics["matched"]
            out["fallback"] = result.metrics["fallback"]
            del result
    out["peak_rss_mb"] = _rss_mb()
    return out


def _exponent(a: float, b: float, n1: int, n2: int) -> float:
    import math

    return math.log(b / a) / math.log(n2 / n1) if a > 0 and b > 0 else float("nan")


def scale(sizes: list[int], workdir: str, seed: int, timeout: float, repeats: int) -> None:
    """Phase 1 alone and both phases at growing sizes (n mentees x n/4 mentors, 10 choices).

    ``repeats`` rounds; in each round every size once, in a fresh process (see
    child_stages), so that a busy spell of the shared machine falls on all sizes rather
    than on one. Per size, the median over the rounds of: the CPU time of phase 1
    (``match(stable_only=True)``), of both phases (``match()``), phase 2 the difference,
    and each stage of ``match()``; growth exponents between sizes from CPU times (steadier
    than wall time on a shared machine), and the exponent of each round's own
    smallest-to-largest ratio (their spread shows the noise)."""
    paths = {n: _instance_path(workdir, n, n // 4, (10, 10), seed) for n in sizes}
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    for k in range(repeats):
        for n in sizes:
            load = os.getloadavg()[0]
            got = run_child(["stages", paths[n]], timeout)
            if "both" not in got:
                print(f"  round {k + 1}, {n} mentees: {got}")
                continue
            got["load"] = (load, os.getloadavg()[0])
            runs[n].append(got)
            print(
                f"  round {k + 1}, {n} mentees: phase 1 CPU {got['stable']['cpu_s']:.2f} s, "
                f"both CPU {got['both']['cpu_s']:.2f} s (wall {got['both']['wall_s']:.2f}), "
                f"peak RSS {got['peak_rss_mb']:.0f} MB, load {load:.1f}-{got['load'][1]:.1f}",
                flush=True,
            )
    with open(os.path.join(workdir, "scale-stages.json"), "w", encoding="utf-8") as fh:
        json.dump({str(n): got for n, got in runs.items()}, fh)  # (every round, for analysis)
    med = statistics.median
    rows = []
    for n in sizes:
        got = runs[n]
        if not got:
            continue
        p1 = med(g["stable"]["cpu_s"] for g in got)
        both = med(g["both"]["cpu_s"] for g in got)
        p2 = med(g["both"]["cpu_s"] - g["stable"]["cpu_s"] for g in got)
        labels = list(got[0]["both"]["stages"])
        st = {}
        for mode in ("stable", "both"):
            for lab in labels:
                st[(mode, lab)] = med(g[mode]["stages"].get(lab, (0, 0))[1] for g in got)
            st[(mode, "(rest of match)")] = med(
                g[mode]["cpu_s"]
                - sum(v[1] for lab, v in g[mode]["stages"].items() if not lab.startswith(" "))
                for g in got
            )
        res = {"phase1": p1, "phase2": p2, "both": both, "stages": st, "got": got}
        rows.append((n, res))
        c = got[0]
        print(
            f"\n  {n} mentees x {n // 4}: {len(got)} rounds; median CPU phase 1 {p1:.2f} s, "
            f"phase 2 {p2:.2f} s, both {both:.2f} s; phase 2 matched {c['fallback']} of "
            f"{n - c['matched_stable']} left over; peak RSS "
            f"{max(g['peak_rss_mb'] for g in got):.0f} MB (max); load "
            f"{min(g['load'][0] for g in got):.1f}-{max(g['load'][1] for g in got):.1f}; "
            f"counts {c['counts_both']}"
        )
    if not rows:
        return
    (n1, a), (n2, b) = rows[0], rows[-1]
    for mode, title in (("stable", "phase 1 alone"), ("both", "both phases")):
        labels = [lab for m, lab in rows[-1][1]["stages"] if m == mode]
        print(f"\n  stage CPU time, {title} (median over rounds), s:")
        print("  | " + " | ".join(["stage", *(f"{n:,}" for n, _ in rows), "exponent"]) + " |")
        for lab in labels:
            vals = [r["stages"].get((mode, lab), 0.0) for _, r in rows]
            e = _exponent(
                a["stages"].get((mode, lab), 0.0), b["stages"].get((mode, lab), 0.0), n1, n2
            )
            print("  | " + " | ".join([lab, *(f"{v:.3f}" for v in vals), f"{e:.2f}"]) + " |")
    print("\n  reading the file as `equimentor match` does, CPU (median over rounds), s:")
    for part in rows[-1][1]["got"][0]["read"]:
        vals = [med(g["read"][part][1] for g in r["got"]) for _, r in rows]
        e = _exponent(vals[0], vals[-1], n1, n2)
        print(f"  | {part} | " + " | ".join(f"{v:.3f}" for v in vals) + f" | {e:.2f} |")
    for mode, title in (("stable", "phase 1"), ("both", "both phases")):
        vals = [
            med(g[mode]["cpu_s"] + g["read"]["choice_ids_to_positions"][1] for g in r["got"])
            for _, r in rows
        ]
        print(
            f"  {title} and the reader's choice-id lookups: CPU "
            f"{', '.join(f'{v:.2f}' for v in vals)} s; exponent "
            f"{_exponent(vals[0], vals[-1], n1, n2):.2f}"
        )
    for key in ("phase1", "phase2", "both"):
        vals = [r[key] for _, r in rows]
        steps = ", ".join(
            f"{_exponent(x[key], y[key], m1, m2):.2f}"
            for (m1, x), (m2, y) in zip(rows, rows[1:], strict=False)
        )
        per_round = []
        for ga, gb in zip(a["got"], b["got"], strict=False):
            va = {"phase1": ga["stable"]["cpu_s"], "both": ga["both"]["cpu_s"]}
            vb = {"phase1": gb["stable"]["cpu_s"], "both": gb["both"]["cpu_s"]}
            va["phase2"], vb["phase2"] = va["both"] - va["phase1"], vb["both"] - vb["phase1"]
            per_round.append(f"{_exponent(va[key], vb[key], n1, n2):.2f}")
        print(
            f"  {key}: CPU {', '.join(f'{v:.2f}' for v in vals)} s; exponent {n1}->{n2} "
            f"{_exponent(a[key], b[key], n1, n2):.2f} (neighbours {steps}; each round "
            f"{', '.join(per_round)})"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the matching engine.")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "var", "bench"))
    ap.add_argument("--mentees", type=int, default=100_000)
    ap.add_argument("--mentors", type=int, default=25_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--compare-sizes", type=int, nargs="*", default=[2_000, 10_000, 25_000, 50_000, 100_000]
    )
    ap.add_argument("--compare-timeout", type=float, default=600.0)
    ap.add_argument("--public-api-max", type=int, default=2_000)
    ap.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="fresh processes for the headline phase-1 figure (the machine's timings vary)",
    )
    ap.add_argument(
        "--command",
        action="store_true",
        help="only: `equimentor match` end to end against the matching package (issue #17)",
    )
    ap.add_argument(
        "--scale",
        type=int,
        nargs="+",
        help="only: phase 1 and 2 at these numbers of mentees (x n/4 mentors, 10 choices)",
    )
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        # As in ``equimentor match``: a process that only matches pauses Python's cyclic garbage
        # collector (the engine itself never does, as it may run inside a web server).
        gc.disable()
        kind, path, *rest = args.child
        if kind == "phase1":
            res = child_phase1(path)
        elif kind == "match":
            res = child_match(path)
        elif kind == "full":
            res = child_full(path)
        elif kind == "phases":
            res = child_phases(path, int(rest[0]))
        elif kind == "stages":
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            res = child_stages(path)
        else:
            res = child_compare(path, rest[:1] == ["public"], *rest[1:2])
        print(json.dumps(res))
        return 0

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if args.command or args.scale:
        if args.command:
            big = _instance_path(args.workdir, args.mentees, args.mentors, (10, 10), args.seed)
            print(
                f"\n## equimentor match end to end vs matching's solve: {args.mentees} x "
                f"{args.mentors}, 10 choices"
            )
            command_vs_package(big, args.workdir, args.repeats, args.compare_timeout)
        if args.scale:
            print("\n## phase 1 and phase 2 at scale")
            scale(args.scale, args.workdir, args.seed, args.compare_timeout, args.repeats)
        return 0
    big = _instance_path(args.workdir, args.mentees, args.mentors, (10, 10), args.seed)
    print(f"\n## phase 1: {args.mentees} mentees x {args.mentors} mentors, 10 choices")
    for k, v in run_child(["phase1", big], 600).items():
        print(f"  {k}: {v:.3f}" if isinstance(v, float) else f"  {k}: {v}")
    runs = [run_child(["match", big], 600) for _ in range(args.repeats)]
    times = sorted(r["match_stable_only_s"] for r in runs)
    print(
        f"  match(stable_only=True) in {len(times)} more fresh processes: min {times[0]:.3f} s, "
        f"median {statistics.median(times):.3f} s, max {times[-1]:.3f} s "
        f"({', '.join(f'{t:.3f}' for t in times)})"
    )
    print(f"\n## both phases: {args.mentees} mentees x {args.mentors} mentors, 10 choices")
    for k, v in run_child(["full", big], 600).items():
        print(f"  {k}: {v:.3f}" if isinstance(v, float) else f"  {k}: {v}")
    roomy = _instance_path(args.workdir, args.mentees, 2 * args.mentors, (3, 10), args.seed)
    print(f"\n## both phases: {args.mentees} mentees x {2 * args.mentors} mentors, 3-10 choices")
    for k, v in run_child(["full", roomy], 600).items():
        print(f"  {k}: {v:.3f}" if isinstance(v, float) else f"  {k}: {v}")
    for n in args.compare_sizes:
        path = _instance_path(args.workdir, n, n // 4, (10, 10), args.seed)
        mode = ["public"] if n <= args.public_api_max else []
        api = "HospitalResident API" if mode else "algorithm function, input checks skipped"
        print(f"\n## vs matching==1.4.3 ({api}): {n} mentees x {n // 4} mentors")
        for k, v in run_child(["compare", path, *mode], args.compare_timeout).items():
            print(f"  {k}: {v:.3f}" if isinstance(v, float) else f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
