"""An exact reference for the fair fallback on small instances, with scipy's MILP solver.

Phase 2 of ``match(instance)`` under the ``"fair"`` policy must equal, on the mentees left
unmatched by phase 1 and the places left free, the lexicographic optimum of

1. the number of mentees matched;
2. the leximin of the cells' match rates over the whole round: the sorted vector of rates
   as large as possible, written as the lexicographic maximum of theta_1, theta_2, ... where
   theta_k is the sum of the k smallest rates (Ogryczak and Sliwinski 2006: theta_k(y) is the
   maximum over t of k t - sum_c max(0, t - y_c), a linear program);
3. the total base score (the score without the ``shared`` component),

each solved as a mixed-integer program (``scipy.optimize.milp``, HiGHS) over every pair that
keeps the hard rules.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import LinearConstraint, milp

from equimentor.engine import Instance, Result, match
from equimentor.engine.scoring import Scorer
from equimentor.engine.validate import prepare
from tests.engine.helpers import allowed

# Slack on the solver's own answers: HiGHS keeps constraints to within 1e-6 (its feasibility
# tolerance), so an optimum it reports may be off by that much, and a level fixed at exactly the
# previous optimum can be refused. Rates here are multiples of 1/size with size <= 9, so distinct
# rates differ by more than 0.01: 1e-5 tells them apart.
TOL = 1e-5


@dataclass
class Phase2:
    """The phase-2 problem: leftover mentees, free places, their feasible pairs."""

    rows: list[int]  # mentee positions
    cap: dict[int, int]  # mentor position -> free places
    pairs: list[tuple[int, int]]  # (mentee position, mentor position)
    base: np.ndarray  # base score per pair
    score: np.ndarray  # score per pair (with the shared component)
    cell: list[int]  # cell per mentee position
    before: np.ndarray  # per cell: mentees matched before phase 2 (phase 1 and pinned)
    size: np.ndarray  # per cell: all mentees


def cells_of(inst: Instance) -> list[int]:
    keys: dict[tuple, int] = {}
    return [keys.setdefault(tuple(sorted(set(m.groups))), len(keys)) for m in inst.mentees]


def phase2_problem(inst: Instance, phase1: Result) -> Phase2:
    e_pos = {str(m.id): i for i, m in enumerate(inst.mentees)}
    r_pos = {str(r.id): j for j, r in enumerate(inst.mentors)}
    cap = {j: r.capacity for j, r in enumerate(inst.mentors)}
    matched = set()
    for a in phase1.assignments:
        cap[r_pos[str(a.mentor)]] -= 1
        matched.add(e_pos[str(a.mentee)])
    rows = [i for i in range(len(inst.mentees)) if i not in matched]
    cap = {j: k for j, k in cap.items() if k > 0}
    pairs = [(i, j) for i in rows for j in cap if allowed(inst, inst.mentees[i], inst.mentors[j])]
    prep = prepare(inst)
    scorer = Scorer(prep)
    mi, mj = (
        np.array([p[0] for p in pairs], dtype=np.int64),
        np.array([p[1] for p in pairs], dtype=np.int64),
    )
    base = scorer.pairs(mi, mj, shared=False) if pairs else np.zeros(0)
    score = scorer.pairs(mi, mj) if pairs else np.zeros(0)
    cell = cells_of(inst)
    n_cells = max(cell) + 1 if cell else 0
    size = np.bincount(cell, minlength=n_cells).astype(float)
    before = np.bincount([cell[i] for i in matched], minlength=n_cells).astype(float)
    return Phase2(rows, cap, pairs, base, score, cell, before, size)


def _solve(c, constraints, integrality, bounds_lo, bounds_hi):
    """Solve with HiGHS; on a numerical "Solve error" (seen once in CI), again without presolve,
    which avoids the reductions that fail on these small, tightly constrained programs."""
    for options in ({}, {"presolve": False}):
        res = milp(
            c,
            constraints=constraints,
            integrality=integrality,
            bounds=(bounds_lo, bounds_hi),
            options=options,
        )
        if res.status == 0:
            return res
    raise AssertionError(res.message)


def exact_optimum(p: Phase2) -> tuple[int, list[float], float]:
    """(most matched, theta_1..theta_G of the leximin rates, most total base score)."""
    n_pairs, n_cells = len(p.pairs), len(p.size)
    rates0 = p.before / p.size
    if n_pairs == 0:
        return 0, list(np.cumsum(np.sort(rates0))), 0.0
    # variables: x (pairs), then (t_k, d_k1..d_kG) for k = 1..G
    n_var = n_pairs + n_cells * (1 + n_cells)
    lo = np.zeros(n_var)
    hi = np.ones(n_var)
    integrality = np.zeros(n_var)
    integrality[:n_pairs] = 1
    for k in range(n_cells):
        t = n_pairs + k * (1 + n_cells)
        lo[t], hi[t] = -1.0, 2.0  # t_k is free in [-1, 2] (rates are in [0, 1])
        hi[t + 1 : t + 1 + n_cells] = 3.0
    rows = []
    lb, ub = [], []
    for i in p.rows:  # each mentee at most once
        a = np.zeros(n_var)
        a[[e for e, (ii, _) in enumerate(p.pairs) if ii == i]] = 1
        rows.append(a), lb.append(0), ub.append(1)
    for j, k in p.cap.items():  # each mentor within their free places
        a = np.zeros(n_var)
        a[[e for e, (_, jj) in enumerate(p.pairs) if jj == j]] = 1
        rows.append(a), lb.append(0), ub.append(k)
    for k in range(n_cells):  # d_kc >= t_k - rate_c
        t = n_pairs + k * (1 + n_cells)
        for c in range(n_cells):
            a = np.zeros(n_var)
            a[t + 1 + c] = 1
            a[t] = -1
            for e, (i, _) in enumerate(p.pairs):
                if p.cell[i] == c:
                    a[e] = 1 / p.size[c]
            rows.append(a), lb.append(-rates0[c]), ub.append(np.inf)

    def theta_row(k):
        a = np.zeros(n_var)
        t = n_pairs + k * (1 + n_cells)
        a[t] = k + 1
        a[t + 1 : t + 1 + n_cells] = -1
        return a

    count = np.zeros(n_var)
    count[:n_pairs] = 1
    res = _solve(-count, LinearConstraint(np.array(rows), lb, ub), integrality, lo, hi)
    most = round(-res.fun)
    rows.append(count), lb.append(most), ub.append(most)
    thetas = []
    for k in range(n_cells):
        res = _solve(-theta_row(k), LinearConstraint(np.array(rows), lb, ub), integrality, lo, hi)
        thetas.append(-res.fun)
        rows.append(theta_row(k)), lb.append(-res.fun - TOL), ub.append(np.inf)
    score = np.zeros(n_var)
    score[:n_pairs] = p.base
    res = _solve(-score, LinearConstraint(np.array(rows), lb, ub), integrality, lo, hi)
    return most, thetas, -res.fun


def best_assignment(p: Phase2, rows: set[int], score: np.ndarray) -> float:
    """The largest total ``score`` (one value per pair) over assignments that match exactly the
    mentees ``rows``, each within the mentors' free places (a MILP)."""
    if not rows:
        return 0.0
    n = len(p.pairs)
    cons, lb, ub = [], [], []
    for i in p.rows:
        a = np.zeros(n)
        a[[e for e, (ii, _) in enumerate(p.pairs) if ii == i]] = 1
        k = 1 if i in rows else 0
        cons.append(a), lb.append(k), ub.append(k)
    for j, k in p.cap.items():
        a = np.zeros(n)
        a[[e for e, (_, jj) in enumerate(p.pairs) if jj == j]] = 1
        cons.append(a), lb.append(0), ub.append(k)
    res = _solve(
        -score, LinearConstraint(np.array(cons), lb, ub), np.ones(n), np.zeros(n), np.ones(n)
    )
    return -res.fun


def counts_feasible(p: Phase2, counts) -> bool:
    """Whether some assignment matches exactly ``counts[c]`` leftover mentees of each cell
    ``c``, each mentee at most once and each mentor within their free places (a MILP)."""
    n = len(p.pairs)
    if n == 0:
        return not any(counts)
    cons, lb, ub = [], [], []
    for i in p.rows:
        a = np.zeros(n)
        a[[e for e, (ii, _) in enumerate(p.pairs) if ii == i]] = 1
        cons.append(a), lb.append(0), ub.append(1)
    for j, k in p.cap.items():
        a = np.zeros(n)
        a[[e for e, (_, jj) in enumerate(p.pairs) if jj == j]] = 1
        cons.append(a), lb.append(0), ub.append(k)
    for c, k in enumerate(counts):
        a = np.zeros(n)
        a[[e for e, (ii, _) in enumerate(p.pairs) if p.cell[ii] == c]] = 1
        cons.append(a), lb.append(k), ub.append(k)
    res = milp(
        np.zeros(n),
        constraints=LinearConstraint(np.array(cons), lb, ub),
        integrality=np.ones(n),
        bounds=(np.zeros(n), np.ones(n)),
    )
    return res.status == 0


def leximin_counts(p: Phase2, most: int, thetas: list[float]) -> set[tuple[int, ...]]:
    """Every leximin-optimal vector of counts, by enumeration: the vectors of ``most``
    leftover mentees in all whose sorted rates are the exact optimum's and that some
    assignment achieves."""
    n_cells = len(p.size)
    left = np.bincount([p.cell[i] for i in p.rows], minlength=n_cells)
    found = set()
    for counts in itertools.product(*(range(k + 1) for k in left)):
        if sum(counts) != most:
            continue
        rates = np.sort((p.before + np.array(counts)) / p.size)
        if np.allclose(np.cumsum(rates), thetas, atol=TOL) and counts_feasible(p, counts):
            found.add(tuple(counts))
    return found


def engine_values(inst: Instance, p: Phase2) -> tuple[int, list[float], float, list]:
    """The same three values for the engine's own phase 2 (the third: the best total base
    score of an assignment of the mentees it matched, as step 3 decides who is matched and
    step 4 who with whom), and the engine's pairs."""
    e_pos = {str(m.id): i for i, m in enumerate(inst.mentees)}
    r_pos = {str(r.id): j for j, r in enumerate(inst.mentors)}
    result = match(inst)
    fb = [
        (e_pos[str(a.mentee)], r_pos[str(a.mentor)])
        for a in result.assignments
        if a.via == "fallback"
    ]
    matched = p.before.copy()
    for i, _ in fb:
        matched[p.cell[i]] += 1
    rates = np.sort(matched / p.size)
    return len(fb), list(np.cumsum(rates)), best_assignment(p, {i for i, _ in fb}, p.base), fb
