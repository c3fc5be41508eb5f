"""Phase 1: mentee-proposing deferred acceptance with mentor capacities.

Mentors order the mentees who chose them by (explicit ranking position, or
after everyone in the ranking) then compatibility score (higher first) then
position of the mentee in the input (earlier first). With strict orders the
mentee-proposing algorithm yields the mentee-optimal stable matching, whatever
order the proposals are made in.
"""

from __future__ import annotations

from dataclasses import dataclass
from heapq import heappush, heapreplace

import numpy as np

from .model import Instance
from .scoring import Scorer
from .validate import Prepared, id_key, prepare

_UNRANKED = np.iinfo(np.int64).max


@dataclass(slots=True)
class MentorOrder:
    """Acceptable (mentee, mentor) pairs sorted by mentor, best mentee first."""

    pair_mentee: np.ndarray  # per acceptable choice p
    score: np.ndarray  # the mentor's view of pair p (``Scorer.mentor_view``)
    order: np.ndarray  # order[g] = p, grouped by mentor, best first
    gpos: np.ndarray  # gpos[p] = g


def explicit_positions(prep: Prepared, mi: np.ndarray, mj: np.ndarray) -> np.ndarray:
    """Position of mentee mi[k] in mentor mj[k]'s explicit ranking (or a large number)."""
    out = np.full(len(mi), _UNRANKED, dtype=np.int64)
    rc = prep.rank_code
    if rc is not None and len(rc) and len(mi):
        mj = np.asarray(mj, dtype=np.int64)
        ranks = np.zeros(prep.m, dtype=bool)
        ranks[rc // max(prep.n, 1)] = True
        sel = np.flatnonzero(ranks[mj])  # pairs whose mentor gave a ranking
        code = mj[sel] * prep.n + np.asarray(mi, dtype=np.int64)[sel]
        pos = np.minimum(np.searchsorted(rc, code), len(rc) - 1)
        hit = rc[pos] == code
        out[sel[hit]] = prep.rank_value[pos[hit]]
    return out


_MIN_SCORE_BITS = 16


def sort_for_mentors(mentor: np.ndarray, explicit: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Indices sorted by ``mentor``, then ``explicit`` (both ascending), then ``score``
    (descending), then index: the same as ``np.lexsort((-score, explicit, mentor))``.

    ``explicit`` is a position in the mentor's own ranking, its largest value
    ``U`` standing for "not ranked". Usually (no value negative or NaN, and at
    least 16 bits to spare) one integer holds the mentor; then the position if
    below ``U``, else ``U`` plus the score (clipped to [0, 1]) rounded down to
    the bits left, reversed; then the index. These are unique, so one unstable
    sort orders them. Where equal rounded values hide different scores
    (closer than 2**-16 apart, or outside [0, 1]) an exact sort of just those
    runs puts them right. Otherwise: the stable order by score, then a stable
    sort by mentor and position.
    """
    k = len(mentor)
    if k == 0 or mentor.min() < 0 or explicit.min() < 0 or np.isnan(score.min()):
        return np.lexsort((-score, explicit, mentor))
    u = int(explicit.max())
    idx_bits = max(k - 1, 1).bit_length()
    second_bits = 63 - max(int(mentor.max()), 1).bit_length() - idx_bits
    top = min((1 << second_bits) - 1 - u, (1 << 52) - 1) if second_bits > 0 else 0
    if top < (1 << _MIN_SCORE_BITS) - 1:
        by_score = np.argsort(-score, kind="stable")
        return by_score[np.lexsort((explicit[by_score], mentor[by_score]))]
    # (top is exact as a float; the rounding is monotone in the score)
    q = (np.clip(score, 0.0, 1.0) * top).astype(np.int64)
    second = np.where(explicit < u, explicit, u + (top - q))
    packed = (mentor << second_bits | second) << idx_bits | np.arange(k, dtype=np.int64)
    # The keys themselves are sorted, not their positions (an argsort of 4 million keys
    # reads them at random, and so would gathering them and the scores in that order):
    # the index is the keys' low bits, and the scores are read only where two keys
    # share a rounded score.
    packed.sort()
    order = packed & ((1 << idx_bits) - 1)
    run = packed >> idx_bits  # (mentor, position or rounded score)
    del packed
    same = np.flatnonzero(run[1:] == run[:-1])
    bad = same[score[order[same + 1]] > score[order[same]]]
    if len(bad):  # the exact order inside the runs that rounding merged
        runs = np.unique(run[bad + 1])  # (run is sorted: each run is one slice)
        inside = np.zeros(k + 1, dtype=np.int64)
        np.add.at(inside, np.searchsorted(run, runs, "left"), 1)
        np.add.at(inside, np.searchsorted(run, runs, "right"), -1)
        at = np.flatnonzero(np.cumsum(inside[:k]))
        sub = order[at]
        order[at] = sub[np.lexsort((sub, -score[sub], run[at]))]
    return order


def mentor_order(prep: Prepared, scorer: Scorer) -> MentorOrder:
    """Sort every acceptable choice into its mentor's preference order."""
    counts = np.diff(prep.acc_ptr)
    mi = np.repeat(np.arange(prep.n, dtype=np.int64), counts)
    mj = prep.acc_mentor
    score = scorer.mentor_view(mi, mj)
    rv = prep.rank_value
    unranked = int(rv.max()) + 1 if rv is not None and len(rv) else 0  # after every position
    explicit = np.minimum(explicit_positions(prep, mi, mj), unranked)
    # by mentor, then explicit position, then score (higher first); the pairs
    # are listed by mentee, so ties go to the earlier mentee
    order = sort_for_mentors(mj, explicit, score)
    gpos = np.empty_like(order)
    gpos[order] = np.arange(len(order), dtype=np.int64)
    return MentorOrder(pair_mentee=mi, score=score, order=order, gpos=gpos)


def deferred_acceptance(
    ptr: list[int], cm: list[int], gp: list[int], owner: list[int], cap: list[int]
) -> list[list[int]]:
    """Core loop over integer arrays (plain lists), one proposal at a time.

    The reference form, kept for the tests and the benchmark;
    :func:`run_phase1` uses :func:`deferred_acceptance_rounds`.

    Mentee ``i`` proposes along ``cm[ptr[i]:ptr[i+1]]`` (mentor per
    proposal); ``gp[p]`` is the proposal's position in its mentor's order
    (smaller is better, unique) and ``owner[g]`` the mentee at position ``g``.
    Returns for each mentor a heap of ``-g`` of the proposals it holds.
    """
    n = len(ptr) - 1
    heaps: list[list[int]] = [[] for _ in range(len(cap))]
    nxt = ptr[:-1]
    end = ptr[1:]
    for i in range(n):
        cur = i
        while cur >= 0:
            p = nxt[cur]
            e = end[cur]
            while p < e:
                j = cm[p]
                g = gp[p]
                p += 1
                h = heaps[j]
                if len(h) < cap[j]:
                    heappush(h, -g)
                    nxt[cur] = p
                    cur = -1
                    break
                if h and h[0] < -g:  # mentor prefers cur to its worst held mentee
                    ev = -heapreplace(h, -g)
                    nxt[cur] = p
                    cur = owner[ev]
                    break
            else:
                nxt[cur] = p
                cur = -1
    return heaps


def deferred_acceptance_rounds(
    ptr: np.ndarray, acc_mentor: np.ndarray, mo: MentorOrder, cap: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Deferred acceptance in rounds, on numpy arrays (what :func:`run_phase1` uses).

    In each round every free mentee with a choice left proposes to their
    next choice at once; each mentor keeps the best of the mentees it holds
    and the new proposers, up to capacity, and rejects the rest (McVitie and
    Wilson's simultaneous form of Gale-Shapley). With strict orders this gives
    the same matching as the one-at-a-time :func:`deferred_acceptance`.
    Positions ``g`` in the mentors' order (``mo.gpos``) sort by mentor first,
    so one sort per round groups each mentor's candidates best first.

    Returns ``(mentor, proposal)`` per mentee as :func:`collect` does.
    """
    n = len(ptr) - 1
    nxt = ptr[:-1].copy()
    end = ptr[1:]
    # mentor at position g: the positions sort by mentor first, so each mentor's are one
    # run (counted, not gathered); and mentee at position g (32 bits: half the memory read
    # by the gathers of each round)
    g_mentor = np.repeat(
        np.arange(len(cap), dtype=np.int32), np.bincount(acc_mentor, minlength=len(cap))
    )
    g_mentee = mo.pair_mentee.astype(np.int32)[mo.order]
    cap_a = np.asarray(cap, dtype=np.int32)
    held = np.zeros(0, dtype=np.int64)  # positions held, sorted
    free = np.flatnonzero(nxt < end)
    while len(free):
        new = mo.gpos[nxt[free]]
        nxt[free] += 1
        new.sort()
        g = np.concatenate([held, new])
        g.sort(kind="stable")  # two sorted runs: the stable sort merges them
        mj = g_mentor[g]
        starts = np.empty(len(g), dtype=bool)
        starts[0] = True
        np.not_equal(mj[1:], mj[:-1], out=starts[1:])
        idx = np.arange(len(g))
        rank = idx - np.maximum.accumulate(np.where(starts, idx, 0))  # place at its mentor
        keep = rank < cap_a[mj]
        held = g[keep]
        out = g_mentee[g[~keep]]
        free = out[nxt[out] < end[out]]
    mentor = np.full(n, -1, dtype=np.int64)
    proposal = np.full(n, -1, dtype=np.int64)
    mentor[g_mentee[held]] = g_mentor[held]
    proposal[g_mentee[held]] = mo.order[held]
    return mentor, proposal


def run_phase1(prep: Prepared, scorer: Scorer) -> tuple[np.ndarray, np.ndarray, MentorOrder]:
    """Run deferred acceptance.

    Returns
    -------
    (mentor, proposal, order):
        ``mentor[i]`` is the mentor index matched to mentee ``i`` (-1 if
        none), ``proposal[i]`` the index of the acceptable choice used.
    """
    mo = mentor_order(prep, scorer)
    mentor, proposal = deferred_acceptance_rounds(
        prep.acc_ptr, prep.acc_mentor, mo, list(prep.capacity)
    )
    return mentor, proposal, mo


def collect(n: int, heaps: list[list[int]], mo: MentorOrder) -> tuple[np.ndarray, np.ndarray]:
    """Turn the mentors' heaps into per-mentee arrays."""
    held = [-x for h in heaps for x in h]
    g = np.array(held, dtype=np.int64)
    p = mo.order[g]
    mentee = mo.pair_mentee[p]
    lens = np.fromiter((len(h) for h in heaps), dtype=np.int64, count=len(heaps))
    mentor_of = np.repeat(np.arange(len(heaps), dtype=np.int64), lens)
    mentor = np.full(n, -1, dtype=np.int64)
    proposal = np.full(n, -1, dtype=np.int64)
    mentor[mentee] = mentor_of
    proposal[mentee] = p
    return mentor, proposal


def hr_preferences(
    instance: Instance,
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
    """Phase 1 as a hospital-resident problem, for cross-checking other solvers.

    Returns
    -------
    (mentee_prefs, mentor_prefs, capacities):
        Keyed by ids as strings. Mentees: their acceptable choices in order
        (only non-pinned mentees with at least one). Mentors: those who chose
        them acceptably, in the engine's order (only mentors with places left
        after pinned pairs; they are also removed from mentees' lists).

    Raises
    ------
    InstanceError
        If the instance is invalid.
    """
    prep = prepare(instance)
    mo = mentor_order(prep, Scorer(prep))
    e_keys = [id_key(p.id) for p in instance.mentees]
    r_keys = [id_key(p.id) for p in instance.mentors]
    open_ = [c > 0 for c in prep.capacity]
    mentee_prefs: dict[str, list[str]] = {}
    ptr = prep.acc_ptr.tolist()
    acc = prep.acc_mentor.tolist()
    for i in range(prep.n):
        row = [r_keys[j] for j in acc[ptr[i] : ptr[i + 1]] if open_[j]]
        if row:
            mentee_prefs[e_keys[i]] = row
    mentor_prefs: dict[str, list[str]] = {r_keys[j]: [] for j in range(prep.m) if open_[j]}
    for p in mo.order.tolist():
        j = acc[p]
        if open_[j]:
            mentor_prefs[r_keys[j]].append(e_keys[int(mo.pair_mentee[p])])
    capacities = {r_keys[j]: prep.capacity[j] for j in range(prep.m) if open_[j]}
    return mentee_prefs, mentor_prefs, capacities
