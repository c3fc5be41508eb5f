"""The auditor's least and greatest values (``lib.disclosure_audit``: two cases settled without
solving, once a part of the system is known to be consistent, the rest by ``linprog``) are those
of ``scipy.optimize.linprog`` on the same figures, every cell asked both ways in any order: the
same value, the same "no upper limit", the same ``ValueError`` when the figures are
inconsistent."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from equimentor.lib.disclosure_audit import _Problem

ATOMS = range(6)
ROOT = Path(__file__).resolve().parent.parent


@st.composite
def systems(draw):
    """Cells over a few atoms, some published (exact, a range, at least some number, or a
    range that cannot hold), and an order in which to ask for every cell's extremes."""
    n = draw(st.integers(1, 7))
    cells = {f"c{i}": draw(st.sets(st.sampled_from(ATOMS), max_size=4)) for i in range(n)}
    known = {}
    for key in cells:
        kind = draw(st.sampled_from(["exact", "range", "at least", "impossible", "unpublished"]))
        lo = draw(st.integers(0, 6))
        if kind == "exact":
            known[key] = (lo, lo)
        elif kind == "range":
            known[key] = (lo, lo + draw(st.integers(1, 4)))
        elif kind == "at least":
            known[key] = (lo, math.inf)
        elif kind == "impossible":
            known[key] = (lo + 1, lo)
    asks = draw(st.permutations([(k, s) for k in cells for s in (1, -1)]))
    return cells, known, asks


def _whole(cells, known, key, sense):
    """``linprog`` on every atom at once (no merging, no splitting): the value, math.inf, or
    None when the figures are inconsistent."""
    atoms = sorted({a for v in cells.values() for a in v})
    col = {a: i for i, a in enumerate(atoms)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for k, (lo, hi) in known.items():
        row = np.zeros(len(atoms))
        row[[col[a] for a in cells[k]]] = 1
        if lo == hi:
            a_eq.append(row)
            b_eq.append(lo)
            continue
        if hi != math.inf:
            a_ub.append(row)
            b_ub.append(hi)
        if lo > 0:
            a_ub.append(-row)
            b_ub.append(-lo)
    if not atoms:
        return None if any(lo > 0 or lo > hi for lo, hi in known.values()) else 0.0
    c = np.zeros(len(atoms))
    c[[col[a] for a in cells[key]]] = sense
    res = linprog(
        c,
        A_eq=np.array(a_eq) if a_eq else None,
        b_eq=b_eq or None,
        A_ub=np.array(a_ub) if a_ub else None,
        b_ub=b_ub or None,
        bounds=(0, None),
        method="highs",
    )
    if res.status == 3:
        return math.inf
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return sense * res.fun


def _outcome(solve, key, sense):
    try:
        return solve(key, sense)
    except ValueError as e:
        assert "inconsistent" in str(e)
        return None


def _same(a, b) -> bool:
    if a is None or b is None or math.inf in (a, b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-7)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_extremes_agree_with_linprog(system):
    cells, known, asks = system
    problem = _Problem(cells, known)  # one problem for every ask: what it learnt is reused
    reference = _Problem(cells, known)
    whole_feasible = _whole(cells, known, next(iter(cells)), 1) is not None
    for key, sense in asks:
        got = _outcome(problem.extreme, key, sense)
        # the path of before: linprog afresh on the same part of the system
        assert _same(got, _outcome(lambda k, s: reference._solve(k, s)[0], key, sense)), (
            key,
            sense,
        )
        if whole_feasible:  # then every part is, and the split changes no value
            assert _same(got, _whole(cells, known, key, sense)), (key, sense)


AUDIT = (
    "from equimentor.lib.disclosure_audit import audit\n"
    "assert audit({'a': {1}, 'b': {2}, 'all': {1, 2}}, {'a': 3, 'b': 10, 'all': 13},"
    " small={'a'}, threshold=5)\n"
)
FLOW = (
    "from ortools.graph.python import min_cost_flow\n"
    "f = min_cost_flow.SimpleMinCostFlow()\n"
    "f.add_arc_with_capacity_and_unit_cost(0, 1, 1, 1)\n"
    "f.set_node_supply(0, 1)\n"
    "f.set_node_supply(1, -1)\n"
    "assert f.solve() == f.OPTIMAL\n"
)


@pytest.mark.parametrize("first,second", [(AUDIT, FLOW), (FLOW, AUDIT)])
def test_one_process_audits_pages_and_matches(first, second):
    """The auditor's solver and matching's (OR-Tools) load into one process in either order: a
    worker that protects a report and then runs a round needs both. (``highspy`` and OR-Tools
    export the same native symbols, and whichever came second failed to load.)"""
    done = subprocess.run(
        [sys.executable, "-c", first + second], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
