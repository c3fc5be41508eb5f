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
    score: np.ndarray  # compatibility of pair p
    order: np.ndarray  # order[g] = p, grouped by mentor, best first
    gpos: np.ndarray  # gpos[p] = g


def explicit_positions(prep: Prepared, mi: np.ndarray, mj: np.ndarray) -> np.ndarray:
    """Position of mentee mi[k] in mentor mj[k]'s explicit ranking (or a large number)."""
    out = np.full(len(mi), _UNRANKED, dtype=np.int64)
    if prep.ranking_pos:
        ranked = np.fromiter(prep.ranking_pos.keys(), dtype=np.int64)
        for k in np.flatnonzero(np.isin(mj, ranked)).tolist():
            pos = prep.ranking_pos[int(mj[k])].get(int(mi[k]))
            if pos is not None:
                out[k] = pos
    return out


def mentor_order(prep: Prepared, scorer: Scorer) -> MentorOrder:
    """Sort every acceptable choice into its mentor's preference order."""
    counts = np.diff(prep.acc_ptr)
    mi = np.repeat(np.arange(prep.n, dtype=np.int64), counts)
    mj = prep.acc_mentor
    score = scorer.pairs(mi, mj)
    explicit = explicit_positions(prep, mi, mj)
    order = np.lexsort((mi, -score, explicit, mj))
    gpos = np.empty_like(order)
    gpos[order] = np.arange(len(order), dtype=np.int64)
    return MentorOrder(pair_mentee=mi, score=score, order=order, gpos=gpos)


def deferred_acceptance(
    ptr: list[int], cm: list[int], gp: list[int], owner: list[int], cap: list[int]
) -> list[list[int]]:
    """Core loop over integer arrays (plain lists for speed).

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


def run_phase1(prep: Prepared, scorer: Scorer) -> tuple[np.ndarray, np.ndarray, MentorOrder]:
    """Run deferred acceptance.

    Returns
    -------
    (mentor, proposal, order):
        ``mentor[i]`` is the mentor index matched to mentee ``i`` (-1 if
        none), ``proposal[i]`` the index of the acceptable choice used.
    """
    mo = mentor_order(prep, scorer)
    heaps = deferred_acceptance(
        prep.acc_ptr.tolist(),
        prep.acc_mentor.tolist(),
        mo.gpos.tolist(),
        mo.pair_mentee[mo.order].tolist(),
        list(prep.capacity),
    )
    return (*collect(prep.n, heaps, mo), mo)


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
