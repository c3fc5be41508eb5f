"""Per-stage timing of ``match()`` without touching the engine: the engine's stage
functions are wrapped (module attributes replaced) for the life of the process, and
each wrapper adds its wall and CPU time (``time.process_time``: this process, all
threads) to a table that ``take()`` returns and clears.

Stages are timed inclusively: ``phase 2`` contains its own steps, listed under it.
Also counted, from the stages' inputs and outputs (work that does not depend on the
machine's load): deferred acceptance's rounds and proposals, the pairs scored in
phase 2, the candidate pairs, the edges of the assignment's graph.

Used by ``bench_matching.py --scale`` (``--child stages``).
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

STAGES = [
    # (label, module, attribute) - the label's indent marks a step inside the stage above
    ("validation and indexing (prepare)", "core", "prepare"),
    ("TF-IDF model and attribute codes (Scorer)", "core", "Scorer"),
    ("phase 1: mentors' orders (score chosen pairs, sort)", "stable", "mentor_order"),
    ("phase 1: deferred acceptance", "stable", "deferred_acceptance_rounds"),
    ("cells", "core", "_cells"),
    ("phase 2 (all of run_phase2)", "fallback", "run_phase2"),
    ("  candidates: interest groups and probes", "fallback", "Candidates._comparisons"),
    ("  candidates: scoring and top-K lists", "fallback", "Candidates.lists"),
    ("  assignment (LAPJVsp)", "fallback", "solve_assignment"),
    ("  fair counts (step 2)", "fallback", "fair_counts"),
    ("  step 3 / step 4 min-cost flow", "fallback", "_with_counts"),
    ("  step 4 (matched mentees' mentors)", "fallback", "_assign_matched"),
    ("stability check", "core", "_blocking"),
    ("result and metrics", "core", "_build_result"),
    ("group metrics", "core", "_group_metrics"),
]

_table: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
counts: dict[str, int] = defaultdict(int)
counting = False
"""Count the work too (deferred acceptance is run a second time to count its rounds:
set only on a run whose times are not kept)."""


def _wrap(label: str, fn):
    def timed(*args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            out = fn(*args, **kwargs)
        finally:
            row = _table[label]
            row[0] += time.perf_counter() - t
            row[1] += time.process_time() - c
        if counting:
            _count(label, args, out)
        return out

    timed.__wrapped__ = fn
    return timed


def _count(label: str, args, out) -> None:
    if "deferred acceptance" in label:
        counts["da_rounds"] += _da_rounds(*args)
    elif "scoring and top-K" in label:
        counts["candidate_pairs"] += int(sum(len(x[0]) for x in out))
    elif "interest groups" in label:
        counts["blocks"] += len(out)
        counts["pairs_scored"] += int(sum(len(r) * len(c) for r, c in out))
    elif "LAPJVsp" in label:
        nu, free, cr, cc, _ = args
        counts["assignment_edges"] += int(
            np.minimum(free, np.bincount(cc, minlength=len(free)))[cc].sum()
        )
    elif label.startswith("phase 2 (all"):
        counts["leftover"] += int(out["leftover"])
        counts["free_places"] += int(out["free_places"])


def _da_rounds(ptr, acc_mentor, mo, cap) -> int:
    """Rounds of deferred acceptance (the same rounds as the engine's; counted again,
    outside the timed call)."""
    nxt = ptr[:-1].copy()
    end = ptr[1:]
    g_mentor = acc_mentor[mo.order]
    g_mentee = mo.pair_mentee[mo.order]
    cap_a = np.asarray(cap, dtype=np.int64)
    held = np.zeros(0, dtype=np.int64)
    free = np.flatnonzero(nxt < end)
    rounds = 0
    while len(free):
        rounds += 1
        counts["da_proposals"] += len(free)
        counts["da_held_resorted"] += len(held)
        new = mo.gpos[nxt[free]]
        nxt[free] += 1
        g = np.sort(np.concatenate([held, new]), kind="stable")
        mj = g_mentor[g]
        starts = np.empty(len(g), dtype=bool)
        starts[0] = True
        np.not_equal(mj[1:], mj[:-1], out=starts[1:])
        idx = np.arange(len(g))
        rank = idx - np.maximum.accumulate(np.where(starts, idx, 0))
        keep = rank < cap_a[mj]
        held = g[keep]
        out = g_mentee[g[~keep]]
        free = out[nxt[out] < end[out]]
    return rounds


def install() -> None:
    """Wrap the stages (once per process)."""
    import importlib

    for label, mod, attr in STAGES:
        module = importlib.import_module(f"equimentor.engine.{mod}")
        if "." in attr:
            cls_name, meth = attr.split(".")
            cls = getattr(module, cls_name)
            setattr(cls, meth, _wrap(label, getattr(cls, meth)))
        else:
            setattr(module, attr, _wrap(label, getattr(module, attr)))


def take() -> tuple[dict[str, tuple[float, float]], dict[str, int]]:
    """The stages' (wall, CPU) times and the counts since the last call; cleared."""
    out = {label: tuple(_table[label]) for label, _, _ in STAGES if label in _table}
    got = dict(counts)
    _table.clear()
    counts.clear()
    return out, got
