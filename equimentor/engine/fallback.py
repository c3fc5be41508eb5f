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
* above that: for each leftover mentee its ``fallback_candidates`` (K, default
  30) best mentors, plus for each mentor with free places its K best leftover
  mentees, ranked by an approximate score in which the interest similarity is
  the cosine in a 64-dimensional truncated SVD (LSA) of the TF-IDF vectors. The
  candidate pairs are then scored exactly and the assignment is optimal over
  this candidate set, not over all pairs.

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

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from .scoring import Scorer
from .validate import Prepared

_BLOCK_CELLS = 4_000_000
SVD_DIM = 64


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


def _embeddings(scorer: Scorer, rows: np.ndarray, cols: np.ndarray):
    """Unit-length LSA embeddings of the interest texts, or None."""
    if scorer.vectorizer is None:
        return None
    from sklearn.decomposition import TruncatedSVD

    x = sp.vstack([scorer.x_e[rows], scorer.x_r[cols]]).tocsr()
    dim = min(SVD_DIM, x.shape[1] - 1, x.shape[0] - 1)
    if dim < 2:
        return None
    svd = TruncatedSVD(n_components=dim, algorithm="randomized", n_iter=4, random_state=0)
    with warnings.catch_warnings():  # explained-variance ratio on tiny inputs
        warnings.simplefilter("ignore", RuntimeWarning)
        z = svd.fit_transform(x).astype(np.float32)
    norms = np.linalg.norm(z, axis=1)
    z /= np.where(norms > 0, norms, 1.0)[:, None]
    return z[: len(rows)], z[len(rows) :]


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
        k_mentee = min(s.fallback_candidates, nf)
        k_mentor = min(s.fallback_candidates, nu)
        emb = _embeddings(scorer, rows, cols)
        best_val = np.full((k_mentor, nf), -np.inf, dtype=np.float32)
        best_row = np.full((k_mentor, nf), -1, dtype=np.int64)
        for start in range(0, nu, chunk):
            r = rows[start : start + chunk]
            approx = None
            if emb is not None:
                approx = np.clip(emb[0][start : start + chunk] @ emb[1].T, 0.0, 1.0)
            score = scorer.block(r, cols, interests=approx).astype(np.float32)
            ok = _mask_rules(prep, r, cols, col_pos)
            score[~ok] = -np.inf
            # mentee side: K best mentors per row
            if k_mentee < nf:
                top = np.argpartition(-score, k_mentee - 1, axis=1)[:, :k_mentee]
            else:
                top = np.broadcast_to(np.arange(nf), (len(r), nf))
            vals = np.take_along_axis(score, top, axis=1)
            rr, kk = np.nonzero(np.isfinite(vals))
            out_r.append(rr + start)
            out_c.append(top[rr, kk])
            # mentor side: running K best rows per column
            kk2 = min(k_mentor, len(r))
            part = np.argpartition(-score, kk2 - 1, axis=0)[:kk2]
            pv = np.take_along_axis(score, part, axis=0)
            allv = np.concatenate([best_val, pv], axis=0)
            allr = np.concatenate([best_row, part + start], axis=0)
            sel = np.argpartition(-allv, k_mentor - 1, axis=0)[:k_mentor]
            best_val = np.take_along_axis(allv, sel, axis=0)
            best_row = np.take_along_axis(allr, sel, axis=0)
        kr, kc = np.nonzero(np.isfinite(best_val))
        out_r.append(best_row[kr, kc])
        out_c.append(kc)
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
