"""Phase 2: optimal assignment of the mentees left over to the free places.

Objective (lexicographic): first the largest number of mentees matched, then
the largest total compatibility score, over a *candidate set* of pairs that all
keep the hard rules:

* up to ``settings.fallback_full_limit`` leftover mentees (default 2000): the
  full feasible set (every leftover mentee x every mentor with a free place,
  minus pairs breaking a hard rule). Before solving, each mentee's list is
  trimmed to its best-scoring mentors whose free places add up to at least
  ``T = min(#leftover mentees, #free places)``; this is lossless (a mentee
  matched outside its trimmed list could move to a free place inside it at a
  score at least as high, as the other mentees use at most ``T - 1`` places),
  so the result is optimal over the full feasible set.
* above that: a pruned candidate set. The mentors with free places are
  grouped by interest (spherical k-means on their TF-IDF vectors, about
  ``CLUSTER_SIZE`` = 128 mentors a group). Each leftover mentee is scored
  exactly (all four components) against the mentors of the ``PROBES`` = 8
  groups whose centres are nearest to their interest text (mentees without
  interest text: the 8 largest groups); each group is also scored against the
  K mentees nearest to its centre, and mentors without interest text against
  every leftover mentee. The candidates are each mentee's
  ``fallback_candidates`` (K, default 30) best-scoring mentors among those
  compared, plus each mentor's K best-scoring mentees among those compared.
  With at most ``PROBES * CLUSTER_SIZE`` = 1024 mentors with free places (or
  no interest text at all) every mentee is compared with every such mentor.
  The assignment is optimal over this candidate set, not over all pairs. The
  work grows with ``#leftover x (PROBES x CLUSTER_SIZE + #mentors without
  text)`` instead of ``#leftover x #mentors with free places``.

The assignment is solved exactly with scipy's LAPJVsp
(``min_weight_full_bipartite_matching``) on a sparse graph: one row per
leftover mentee; one column per free place (a mentor with r free places gives
r identical columns) plus one private "unmatched" column per mentee. A real
edge costs ``2 - score`` (in [1, 2]); the unmatched column costs
``D = #mentees + 3``. Minimising the cost maximises ``k * (D - 2) + total
score`` for ``k`` matched mentees, and as the total score is at most ``k``,
``D - 2`` exceeds any possible score difference, so cardinality comes first.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from .scoring import Scorer
from .validate import Prepared

_BLOCK_CELLS = 4_000_000
CLUSTER_SIZE = 128
"""Mentors with free places per interest group (pruned candidate set)."""
PROBES = 8
"""Interest groups each leftover mentee is compared with (pruned candidate set)."""


def _mask_rules(prep: Prepared, rows: np.ndarray, cols: np.ndarray, col_pos: dict) -> np.ndarray:
    """Boolean block: True where (rows[a], cols[b]) keeps every hard rule."""
    ok = prep.same_person[rows][:, None] != cols[None, :]
    if prep.instance.settings.different_institutions:
        a = prep.mentee_inst[rows][:, None]
        ok &= ~((a >= 0) & (a == prep.mentor_inst[cols][None, :]))
    for r, i in enumerate(rows.tolist()):
        bl = prep.blocked.get(i)
        if bl:
            for j in bl:
                c = col_pos.get(j)
                if c is not None:
                    ok[r, c] = False
    return ok


def _spherical_kmeans(x: sp.csr_matrix, k: int, iters: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Group the unit-length sparse rows of ``x`` into ``k`` clusters by cosine.

    Spherical k-means (deterministic start: evenly spaced rows). Returns
    (label per row, dense unit centroids, k x features, float32).
    """
    cent = x[np.linspace(0, x.shape[0] - 1, k).astype(np.int64)].toarray().astype(np.float32)
    label = np.full(x.shape[0], -1, dtype=np.int64)
    for _ in range(iters):
        new = np.asarray(np.argmax(x @ cent.T, axis=1)).ravel()
        if np.array_equal(new, label):
            break
        label = new
        onehot = sp.csr_matrix(
            (np.ones(len(label)), (label, np.arange(len(label)))), shape=(k, len(label))
        )
        summed = (onehot @ x).toarray().astype(np.float32)
        norms = np.linalg.norm(summed, axis=1)
        filled = norms > 0
        cent[filled] = summed[filled] / norms[filled, None]
    return label, cent


def _top_k(key: np.ndarray, other: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best-scoring entries per ``key`` (ties: smaller ``other``)."""
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((other, -score))  # best first (ties: smaller other) ...
    order = order[np.argsort(key[order], kind="stable")]  # ... within each key
    sk = key[order]
    start = np.flatnonzero(np.concatenate([[True], sk[1:] != sk[:-1]]))
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.append(start, len(order))))
    return order[rank < k]


def _pruned_candidates(
    prep: Prepared, scorer: Scorer, rows: np.ndarray, cols: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Candidate pairs above ``fallback_full_limit`` (see the module docstring).

    Mentors with free places are grouped by interest (spherical k-means on
    their TF-IDF vectors, about ``CLUSTER_SIZE`` mentors a group); each leftover
    mentee is compared exactly with the mentors of its ``PROBES`` nearest
    groups, every group with at least the K mentees nearest to it, and every
    mentor without interest text with every mentee. Each mentee keeps its K
    best compared mentors, each mentor its K best compared mentees.
    """
    k_cand = prep.instance.settings.fallback_candidates
    nu, nf = len(rows), len(cols)
    groups: list[tuple[np.ndarray, np.ndarray]] = []  # (row positions, column positions)
    # few mentors (or no interest texts): every mentee is compared with every mentor
    if nf <= PROBES * CLUSTER_SIZE or not scorer.has_model:
        everyone_c = np.arange(nf)
    else:
        text_r = scorer.has_text_r[cols]
        everyone_c = np.flatnonzero(~text_r)
        with_text = np.flatnonzero(text_r)
        if len(with_text):
            n_groups = max(1, -(-len(with_text) // CLUSTER_SIZE))
            label, cent = _spherical_kmeans(scorer.x_r[cols[with_text]], n_groups)
            sim = np.asarray(scorer.x_e[rows] @ cent.T)  # mentees x groups
            probes = min(PROBES, n_groups)
            sizes = np.bincount(label, minlength=n_groups)
            # mentees without text (all-zero similarity) try the largest groups
            sim[~scorer.has_text_e[rows]] = (sizes / sizes.max())[None, :]
            pr = np.argsort(-sim, axis=1, kind="stable")[:, :probes]
            p_row = np.repeat(np.arange(nu), probes)
            p_grp = pr.ravel()
            kk = min(k_cand, nu)
            near = np.argsort(-sim, axis=0, kind="stable")[:kk]  # K nearest mentees per group
            p_row = np.concatenate([p_row, near.ravel()])
            p_grp = np.concatenate([p_grp, np.tile(np.arange(n_groups), kk)])
            code = np.unique(p_grp * nu + p_row)
            g_of, r_of = code // nu, code % nu
            g_start = np.searchsorted(g_of, np.arange(n_groups + 1))
            c_order = np.argsort(label, kind="stable")
            c_start = np.searchsorted(label[c_order], np.arange(n_groups + 1))
            for g in range(n_groups):
                members = with_text[c_order[c_start[g] : c_start[g + 1]]]
                if len(members):
                    groups.append((r_of[g_start[g] : g_start[g + 1]], members))
    if len(everyone_c):
        groups.append((np.arange(nu), everyone_c))
    best_val = np.full((nu, k_cand), -1.0)  # each mentee's K best so far
    best_col = np.zeros((nu, k_cand), dtype=np.int64)
    m_r, m_c, m_s = [], [], []  # mentor-side bests
    for g_rows, g_cols in groups:
        g_pos = {j: c for c, j in enumerate(cols[g_cols].tolist())}
        chunk = max(1, _BLOCK_CELLS // max(len(g_cols), 1))
        for start in range(0, len(g_rows), chunk):
            rr = g_rows[start : start + chunk]
            score = scorer.block(rows[rr], cols[g_cols])
            ok = _mask_rules(prep, rows[rr], cols[g_cols], g_pos)
            score = np.where(ok, score, -1.0)
            k1 = min(k_cand, len(g_cols))
            top = (
                np.argpartition(-score, k1 - 1, axis=1)[:, :k1]
                if k1 < len(g_cols)
                else (np.broadcast_to(np.arange(len(g_cols)), score.shape))
            )
            val = np.concatenate([best_val[rr], np.take_along_axis(score, top, axis=1)], axis=1)
            col = np.concatenate([best_col[rr], g_cols[top]], axis=1)
            sel = np.argpartition(-val, k_cand - 1, axis=1)[:, :k_cand]
            best_val[rr] = np.take_along_axis(val, sel, axis=1)
            best_col[rr] = np.take_along_axis(col, sel, axis=1)
            k2 = min(k_cand, len(rr))
            top = (
                np.argpartition(-score, k2 - 1, axis=0)[:k2]
                if k2 < len(rr)
                else (np.broadcast_to(np.arange(len(rr))[:, None], score.shape))
            )
            val = np.take_along_axis(score, top, axis=0)
            a, b = np.nonzero(val >= 0)
            m_r.append(rr[top[a, b]])
            m_c.append(g_cols[b])
            m_s.append(val[a, b])
    out_r: list[np.ndarray] = []
    out_c: list[np.ndarray] = []
    a, b = np.nonzero(best_val >= 0)
    out_r.append(a)
    out_c.append(best_col[a, b])
    if m_r:
        r, c, v = np.concatenate(m_r), np.concatenate(m_c), np.concatenate(m_s)
        keep = _top_k(c, r, v, k_cand)
        out_r.append(r[keep])
        out_c.append(c[keep])
    return out_r, out_c


def candidate_pairs(
    prep: Prepared, scorer: Scorer, rows: np.ndarray, cols: np.ndarray, free: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (row position, column position) pairs; see the module docstring."""
    s = prep.instance.settings
    nu, nf = len(rows), len(cols)
    col_pos = {j: c for c, j in enumerate(cols.tolist())}
    chunk = max(1, _BLOCK_CELLS // max(nf, 1))
    out_r: list[np.ndarray] = []
    out_c: list[np.ndarray] = []
    if nu <= s.fallback_full_limit:
        target = min(nu, int(free.sum()))
        for start in range(0, nu, chunk):
            r = rows[start : start + chunk]
            score = scorer.block(r, cols)
            ok = _mask_rules(prep, r, cols, col_pos)
            score = np.where(ok, score, -1.0)
            order = np.argsort(-score, axis=1, kind="stable")
            srt = np.take_along_axis(score, order, axis=1)
            caps = np.where(srt >= 0, free[order], 0)
            before = np.cumsum(caps, axis=1) - caps  # free places strictly before
            keep = (srt >= 0) & (before < target)
            rr, kk = np.nonzero(keep)
            out_r.append(rr + start)
            out_c.append(order[rr, kk])
    else:
        out_r, out_c = _pruned_candidates(prep, scorer, rows, cols)
    if not out_r:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    r_all = np.concatenate(out_r).astype(np.int64)
    c_all = np.concatenate(out_c).astype(np.int64)
    code = np.sort(r_all * nf + c_all)
    if len(code):
        code = code[np.concatenate([[True], code[1:] != code[:-1]])]
    return code // nf, code % nf


def solve_assignment(
    nu: int, free: np.ndarray, cr: np.ndarray, cc: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal (max cardinality, then max total score) assignment.

    ``free[c]`` is the number of places of column-mentor ``c``; candidate edge
    ``e`` joins row ``cr[e]`` and mentor ``cc[e]`` with ``score[e]``.
    Returns matched (row, mentor column) arrays.
    """
    if len(cr) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    deg = np.bincount(cc, minlength=len(free))
    slots = np.minimum(free, deg)
    offset = np.concatenate([[0], np.cumsum(slots)])
    n_slots = int(offset[-1])
    slot_owner = np.repeat(np.arange(len(free)), slots)
    reps = slots[cc]
    e_row = np.repeat(cr, reps)
    e_cost = np.repeat(2.0 - np.clip(score, 0.0, 1.0), reps)
    first = np.repeat(offset[cc], reps)
    within = np.arange(len(e_row)) - np.repeat(np.cumsum(reps) - reps, reps)
    e_col = first + within
    big = float(min(nu, n_slots) + 3)
    if nu <= n_slots:
        # rows: mentees; columns: places, then one "unmatched" column per mentee
        rows = np.concatenate([e_row, np.arange(nu)])
        cols = np.concatenate([e_col, n_slots + np.arange(nu)])
        shape = (nu, n_slots + nu)
    else:
        # fewer places than mentees: rows: places; columns: mentees, then one
        # "empty" column per place (the same problem, solved from the smaller side)
        rows = np.concatenate([e_col, np.arange(n_slots)])
        cols = np.concatenate([e_row, nu + np.arange(n_slots)])
        shape = (n_slots, nu + n_slots)
    cost = np.concatenate([e_cost, np.full(shape[0], big)])
    graph = sp.csr_matrix((cost, (rows, cols)), shape=shape)
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    if nu <= n_slots:
        real = col_ind < n_slots
        mentee, slot = row_ind[real], col_ind[real]
    else:
        real = col_ind < nu
        mentee, slot = col_ind[real], row_ind[real]
    order = np.argsort(mentee, kind="stable")
    return mentee[order].astype(np.int64), slot_owner[slot[order]].astype(np.int64)


def run_phase2(
    prep: Prepared, scorer: Scorer, mentor: np.ndarray, residual: np.ndarray
) -> dict[str, object]:
    """Assign leftover mentees; updates ``mentor`` in place.

    Returns a small dict of facts used to explain who stays unmatched.
    """
    pinned = np.zeros(prep.n, dtype=bool)
    if prep.pinned:
        pinned[list(prep.pinned)] = True
    rows = np.flatnonzero((mentor < 0) & ~pinned)
    cols = np.flatnonzero(residual > 0)
    info: dict[str, object] = {
        "leftover": len(rows),
        "free_places": int(residual[cols].sum()),
        "has_candidate": np.zeros(prep.n, dtype=bool),
        "full": len(rows) <= prep.instance.settings.fallback_full_limit,
    }
    if len(rows) == 0 or len(cols) == 0:
        return info
    free = residual[cols].astype(np.int64)
    cr, cc = candidate_pairs(prep, scorer, rows, cols, free)
    info["has_candidate"][rows[np.unique(cr)]] = True
    score = scorer.pairs(rows[cr], cols[cc])
    r, c = solve_assignment(len(rows), free, cr, cc, score)
    mentor[rows[r]] = cols[c]
    np.subtract.at(residual, cols[c], 1)
    return info
