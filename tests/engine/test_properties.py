"""Property tests of the matching engine (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from matching.games import HospitalResident
from scipy.optimize import linear_sum_assignment

from equimentor.engine import check_stability, match, result_to_dict
from equimentor.engine.scoring import Scorer
from equimentor.engine.stable import explicit_positions
from equimentor.engine.validate import prepare
from tests.engine.helpers import allowed, by_id, check_rules, instances

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _mentor_key(inst, scorer, prep, i, j):
    """The mentor's order (smaller is better), computed independently per pair."""
    expl = explicit_positions(prep, np.array([i]), np.array([j]))[0]
    score = scorer.mentor_view(np.array([i]), np.array([j]))[0]
    return (int(expl), -float(score), i)


def brute_force_blocking(inst, result):
    """Blocking pairs by brute force over all pairs (O(n*m)), pinned part left out."""
    prep = prepare(inst)
    scorer = Scorer(prep)
    e_pos = {str(m.id): i for i, m in enumerate(inst.mentees)}
    r_pos = {str(r.id): j for j, r in enumerate(inst.mentors)}
    pinned = {str(e) for e, _ in inst.pinned}
    cap = [r.capacity for r in inst.mentors]
    for _, r in inst.pinned:
        cap[r_pos[str(r)]] -= 1
    current = {}
    held = {j: [] for j in range(len(inst.mentors))}
    for a in result.assignments:
        if str(a.mentee) in pinned:
            continue
        i, j = e_pos[str(a.mentee)], r_pos[str(a.mentor)]
        current[i] = j
        held[j].append(i)
    out = []
    for i, mentee in enumerate(inst.mentees):
        if str(mentee.id) in pinned:
            continue
        choices = [r_pos[str(c)] for c in mentee.choices]
        for rank, j in enumerate(choices):
            if not allowed(inst, mentee, inst.mentors[j]):
                continue
            cur = current.get(i)
            if cur is not None and cur in choices and choices.index(cur) <= rank:
                continue
            if len(held[j]) < cap[j]:
                out.append((i, j))
                continue
            key = _mentor_key(inst, scorer, prep, i, j)
            if any(key < _mentor_key(inst, scorer, prep, k, j) for k in held[j]):
                out.append((i, j))
    return out


@FAST
@given(instances())
def test_stable_capacity_and_hard_rules_both_phases(inst):
    for stable_only in (True, False):
        result = match(inst, stable_only=stable_only)
        check_rules(inst, result)
        assert brute_force_blocking(inst, result) == []
        assert check_stability(inst, result) == []
        assert result.metrics["blocking_pairs"] == 0


@FAST
@given(instances(full_fallback=False))
def test_hard_rules_kept_with_pruned_fallback(inst):
    result = match(inst)
    check_rules(inst, result)
    assert check_stability(inst, result) == []


@FAST
@given(instances())
def test_pinned_pairs_respected(inst):
    result = match(inst)
    got = {(str(a.mentee), str(a.mentor)) for a in result.assignments if a.via == "pinned"}
    assert got == {(str(e), str(r)) for e, r in inst.pinned}


@FAST
@given(instances())
def test_deterministic(inst):
    a = result_to_dict(match(inst))
    b = result_to_dict(match(inst))
    a["metrics"].pop("seconds")
    b["metrics"].pop("seconds")
    assert a == b


@pytest.mark.filterwarnings("ignore::UserWarning")
@FAST
@given(instances(rank_all=True, with_pinned=False))
def test_phase1_equals_matching_package(inst):
    mentees, mentors = by_id(inst)
    resident_prefs = {}
    for m in inst.mentees:
        row = [
            str(c)
            for c in m.choices
            if allowed(inst, m, mentors[str(c)]) and mentors[str(c)].capacity > 0
        ]
        if row:
            resident_prefs[str(m.id)] = row
    hospital_prefs = {
        str(r.id): [str(e) for e in r.ranking if str(r.id) in resident_prefs.get(str(e), [])]
        for r in inst.mentors
        if r.capacity > 0
    }
    capacities = {str(r.id): r.capacity for r in inst.mentors if r.capacity > 0}
    expected = set()
    if resident_prefs:
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        solved = game.solve(optimal="resident")
        expected = {(r.name, h.name) for h, rs in solved.items() for r in rs}
    result = match(inst, stable_only=True)
    got = {(str(a.mentee), str(a.mentor)) for a in result.assignments}
    assert got == expected


@FAST
@given(instances(max_mentees=8, max_mentors=5, policy="score"))
def test_phase2_is_optimal(inst):
    """Under the "score" policy phase 2 is the largest, then best-scoring, assignment (the
    "fair" policy is checked against an exact solver in test_fairness.py)."""
    phase1 = match(inst, stable_only=True)
    full = match(inst)
    # phase 1 part is unchanged by phase 2
    p1 = {(str(a.mentee), str(a.mentor), a.via) for a in phase1.assignments}
    p_full = {
        (str(a.mentee), str(a.mentor), a.via) for a in full.assignments if a.via != "fallback"
    }
    assert p1 == p_full
    prep = prepare(inst)
    scorer = Scorer(prep)
    mentees, mentors = by_id(inst)
    left = {str(r.id): r.capacity for r in inst.mentors}
    for a in phase1.assignments:
        left[str(a.mentor)] -= 1
    rows = [str(u.mentee) for u in phase1.unmatched]
    slots = [rid for rid, k in left.items() for _ in range(k)]
    e_pos = {str(m.id): i for i, m in enumerate(inst.mentees)}
    r_pos = {str(r.id): j for j, r in enumerate(inst.mentors)}

    def score(e, r):
        return float(scorer.pairs(np.array([e_pos[e]]), np.array([r_pos[r]]))[0])

    best_count, best_total = 0, 0.0
    if rows and slots:
        big = 1000.0
        w = np.zeros((len(rows), len(slots)))
        for a, e in enumerate(rows):
            for b, r in enumerate(slots):
                if allowed(inst, mentees[e], mentors[r]):
                    w[a, b] = big + score(e, r)
        ri, ci = linear_sum_assignment(w, maximize=True)
        chosen = [(rows[a], slots[b]) for a, b in zip(ri, ci, strict=True) if w[a, b] > 0]
        best_count = len(chosen)
        best_total = sum(score(e, r) for e, r in chosen)
    fb = [(str(a.mentee), str(a.mentor)) for a in full.assignments if a.via == "fallback"]
    assert len(fb) == best_count
    assert abs(sum(score(e, r) for e, r in fb) - best_total) < 1e-9
