"""Phase 2: optimal assignment of the mentees left over to the free places.

Two policies (``settings.policy``), both over the same kind of *candidate set*
(pairs that keep every hard rule; see below and ``docs/matching.md``):

``"score"``
    first the largest number of mentees matched, then the largest total
    compatibility score.
``"fair"`` (the default)
    1. the largest number of mentees matched;
    2. among those, the match rates of the mentees' *cells* (mentees with the
       same ``groups`` labels) as equal as possible: the lexicographic max-min
       (leximin) of the cells' rates over the whole round, phase 1 included;
    3. among those, the largest total *base* score (the score without the
       ``shared`` component), which decides who is matched;
    4. with the matched mentees fixed, the largest total score (with
       ``shared``), which decides who is matched with whom.

    Steps 1-3 never look at what a mentee asked to share, so asking may steer
    *which* mentor she gets, never *whether* she (or her group) is matched.

Step 2 is exact. The numbers of mentees of each cell that can be matched
together form an integral polymatroid (the image of the transversal matroid of
the candidate graph), and a leximin-optimal vector of rates maximises
``sum_c U((a_c + z_c) / N_c)`` for a concave ``U`` that is steep enough
(``a_c`` mentees of cell ``c`` matched before phase 2, ``N_c`` in all). Over a
polymatroid such a separable concave objective is maximised by the greedy that
gives one more place at a time to the cell with the largest gain, dropping a
cell for good once it cannot take one more (Federgruen and Groenevelt 1986):
here, the cell with the lowest current rate, ties to the cell with fewer
mentees (a larger step), then the cell's number. That greedy is computed with a
few maximum flows (``scipy.sparse.csgraph.maximum_flow``): the accepted units
of a prefix of the greedy's order are feasible exactly when a flow saturates
them, so the first unit refused is found by a search over prefixes (usually the
first guess is right: as many units as the free places or leftover mentees allow,
then, if those do not fit, as many as a flow of every pending unit matches), and the cells that
cannot take another unit are those that cannot reach the sink in the residual
graph. With several cells the counts are computed first, with their *ties*:
the leximin-optimal vectors of counts differ from the greedy's only in which
cells of a tie (same size, same rate, dropped at a refusal of that key) hold
the places above the tie's level (proof in docs/matching.md). Steps 1 and 3
are then one minimum-cost flow (OR-Tools) with the cells' counts as supplies
and one pool node per tie sharing its places among its cells, so that step 3
maximises the base score over every leximin-optimal vector of counts (counts
that add up to the most that can be matched make any such matching a largest
one), or the plain assignment when every leftover mentee can be matched or
one cell has them all. Step 4 is a minimum-cost flow too, in which
every mentee matched in step 3 is matched.

The candidate set:

* up to ``settings.fallback_full_limit`` leftover mentees (default 2000): the
  full feasible set (every leftover mentee x every mentor with a free place,
  minus pairs breaking a hard rule). Before solving, each mentee's list is
  trimmed to its best-scoring mentors whose free places add up to at least
  ``T = min(#leftover mentees, #free places)``; this is lossless (a mentee
  matched outside its trimmed list could move to a free place inside it at a
  score at least as high, as the other mentees use at most ``T - 1`` places),
  so the result is optimal over the full feasible set. (Under ``"fair"``, lists
  trimmed by base score serve steps 1-3, lists trimmed by score step 4.)
* above that: a pruned candidate set. The mentors with free places are
  grouped by interest (spherical k-means on their TF-IDF vectors, about
  ``CLUSTER_SIZE`` = 128 mentors a group). Each leftover mentee is scored
  exactly (all four components) against the mentors of the ``PROBES`` = 8
  groups whose centres are nearest to their interest text (mentees without
  interest text: the 8 largest groups); with fewer free places than a quarter
  of the leftover mentees, against one group of about
  ``b = max(CLUSTER_SIZE / 2, ceil(8 * CLUSTER_SIZE * SCARCE * places / leftover))``
  mentors, the groups balanced (round(mentors / b) of them, none above its
  share) and every mentor compared when fewer than 1.5 b have free places, so
  that the work per mentee depends neither on the number of mentors nor on how
  unevenly their interests cluster; each group is also scored against the K
  mentees of each cell nearest to its
  centre, and mentors without interest text against every leftover mentee. The candidates are each mentee's
  ``fallback_candidates`` (K, default 30) best-scoring mentors among those
  compared (with scarce places ``ceil(K * 4 * places / leftover)``, at least
  1), plus each mentor's K best-scoring mentees among those compared and,
  when the leftover mentees are in several cells, its ``ceil(K / cells)`` best
  of each cell (so that every cell can reach every mentor). With at most
  ``PROBES`` x ``CLUSTER_SIZE`` mentors with free places (1.5 b with scarce
  places; or no interest text at all) every mentee is compared with every such
  mentor. The assignment is optimal over this candidate set, not over all
  pairs. (Under ``"fair"`` the lists of steps 1-3 are ranked by base score;
  step 4 adds, for each matched mentee who asked to share characteristics, her
  K best mentors by score among those she was compared with.)

The assignments are solved exactly with scipy's LAPJVsp
(``min_weight_full_bipartite_matching``) on a sparse graph: one row per
leftover mentee; one column per free place (a mentor with r free places gives
r identical columns) plus one private "unmatched" column per mentee. A real
edge costs ``2 - score`` (in [1, 2]); the unmatched column costs
``D = #mentees + 3``. Minimising the cost maximises ``k * (D - 2) + total
score`` for ``k`` matched mentees, and as the total score is at most ``k``,
``D - 2`` exceeds any possible score difference, so cardinality comes first.

``spherical_kmeans``, ``balanced_groups``, ``first_k_rows`` and
``Candidates.scarcity`` are public: each has a contract of its own (its
docstring), which tests/engine/test_fast_paths.py holds it to directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import (
    breadth_first_order,
    maximum_flow,
    min_weight_full_bipartite_matching,
)

from .scoring import Scorer
from .validate import Prepared

BLOCK_PAIRS = 1_000_000
"""Pairs scored at a time (a block of mentees x mentors); larger blocks are cut by mentees."""
CLUSTER_SIZE = 128
"""Mentors with free places per interest group (pruned candidate set)."""
PROBES = 8
"""Interest groups each leftover mentee is compared with (pruned candidate set)."""
SCARCE = 4
"""With fewer free places than 1 / SCARCE of the leftover mentees, each is compared with one
balanced group of about max(CLUSTER_SIZE / 2, ceil(PROBES * CLUSTER_SIZE * SCARCE * places /
leftover)) mentors instead of PROBES groups, and keeps her ceil(K * SCARCE * places / leftover)
best candidates instead of K (at least 1)."""
SCORE_SCALE = 1 << 30
"""Base scores are whole multiples of 1 / SCORE_SCALE in the minimum-cost flow of step 3."""


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


def spherical_kmeans(x: sp.csr_matrix, k: int, iters: int = 8) -> tuple[np.ndarray, np.ndarray]:
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


def balanced_groups(x: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Group the unit-length sparse rows of ``x`` into ``k`` groups of at most
    ``ceil(rows / k)`` rows each, by cosine: spherical k-means, then each row, in
    order of its similarity to a centre (the most similar first, ties to the earlier
    row, then the earlier group), to that centre's group while it has room; then the
    centres of the groups so formed. Returns (group per row, dense unit centres,
    k x features, float32)."""
    label, cent = spherical_kmeans(x, k)
    n = x.shape[0]
    if k <= 1 or n == 0:
        return label, cent
    room = np.full(k, -(-n // k), dtype=np.int64)
    sim = np.asarray(x @ cent.T)  # rows x groups
    label = np.full(n, -1, dtype=np.int64)
    left = n
    for flat in np.argsort(-sim, axis=None, kind="stable").tolist():
        r, g = divmod(flat, k)
        if label[r] < 0 and room[g]:
            label[r] = g
            room[g] -= 1
            left -= 1
            if not left:
                break
    onehot = sp.csr_matrix((np.ones(n), (label, np.arange(n))), shape=(k, n))
    summed = (onehot @ x).toarray().astype(np.float32)
    norms = np.linalg.norm(summed, axis=1)
    filled = norms > 0
    cent[filled] = summed[filled] / norms[filled, None]
    return label, cent


def first_k_rows(sim: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns): for each column of ``sim``, the ``k`` rows that a stable sort by
    descending value puts first (the largest values, ties to the earlier row), found
    without sorting the column."""
    n, m = sim.shape
    if k >= n:
        return np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    out_r, out_c = [], []
    for c, col in enumerate(np.ascontiguousarray(sim.T)):
        kth = np.partition(col, n - k)[n - k]  # the column's k-th largest value
        above = np.flatnonzero(col > kth)
        tied = np.flatnonzero(col == kth)[: k - len(above)]  # the earliest rows
        out_r += [above, tied]
        out_c.append(np.full(k, c, dtype=np.int64))
    return np.concatenate(out_r), np.concatenate(out_c)


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


def _sorted_unique(code: np.ndarray) -> np.ndarray:
    """``np.unique`` of integers, by one sort (faster here than numpy's hashing)."""
    code = np.sort(code)
    if len(code) > 1:
        code = code[np.concatenate([[True], code[1:] != code[:-1]])]
    return code


def _unique_pairs(out_r: list, out_c: list, out_v: list, nf: int):
    """The distinct (row, column) pairs of the pieces given, sorted, with their values."""
    if not out_r:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    code = np.concatenate(out_r).astype(np.int64) * nf + np.concatenate(out_c)
    val = np.concatenate(out_v)
    order = np.argsort(code)
    code, val = code[order], val[order]
    if len(code) > 1:
        first = np.concatenate([[True], code[1:] != code[:-1]])
        code, val = code[first], val[first]
    return code // nf, code % nf, val


@dataclass
class Candidates:
    """Who is compared with whom in phase 2, and the candidate pairs it gives.

    ``rows`` are the leftover mentees, ``cols`` the mentors with free places
    (``free`` each), ``cell`` each row's cell (0 for all under ``"score"``).
    """

    prep: Prepared
    scorer: Scorer
    rows: np.ndarray
    cols: np.ndarray
    free: np.ndarray
    cell: np.ndarray
    blocks: list = field(default_factory=list)  # (row positions, column positions) compared
    full: bool = True

    def __post_init__(self) -> None:
        self.full = len(self.rows) <= self.prep.instance.settings.fallback_full_limit
        self.col_pos = {j: c for c, j in enumerate(self.cols.tolist())}
        if not self.full:
            self.blocks = self._comparisons()

    def pairs(self, shared: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate (row position, column position) pairs ranked by the score
        (``shared=False``: the base score), with that score."""
        return self.lists(shared=shared, askers=False)[0]

    def lists(self, shared: bool = False, askers: bool = True) -> list:
        """[(rows, columns, values)]: the candidates ranked by the base score — or the
        score if ``shared`` — with that score, and, if ``askers``, the lists of the mentees
        who asked to share characteristics ranked by the score, with the score; from one
        scoring of the pairs compared."""
        ask = self.scorer.want_count[self.rows] > 0 if askers else None
        if ask is not None and not ask.any():
            ask = None
        if self.full:
            return self._full_lists(shared, ask)
        return self._pruned_lists(shared, ask)

    def _full_lists(self, shared: bool, ask: np.ndarray | None) -> list:
        rows, cols, free = self.rows, self.cols, self.free
        nu, nf = len(rows), len(cols)
        target = min(nu, int(free.sum()))
        chunk = max(1, BLOCK_PAIRS // max(nf, 1))
        out: list[tuple[list, list, list]] = [([], [], []), ([], [], [])]

        def trim(score, part, k):
            order = np.argsort(-score, axis=1, kind="stable")
            srt = np.take_along_axis(score, order, axis=1)
            caps = np.where(srt >= 0, free[order], 0)
            before = np.cumsum(caps, axis=1) - caps  # free places strictly before
            keep = (srt >= 0) & (before < target)
            rr, kk = np.nonzero(keep)
            out[k][0].append(part[rr])
            out[k][1].append(order[rr, kk])
            out[k][2].append(srt[rr, kk])

        for start in range(0, nu, chunk):
            part = np.arange(start, min(nu, start + chunk))
            r = rows[part]
            ok = _mask_rules(self.prep, r, cols, self.col_pos)
            if ask is None:
                trim(np.where(ok, self.scorer.block(r, cols, shared=shared), -1.0), part, 0)
                continue
            base, score = self.scorer.block(r, cols, both=True)
            trim(np.where(ok, base, -1.0), part, 0)
            a = ask[part]
            if a.any():
                trim(np.where(ok[a], score, -1.0), part[a], 1)
        return [_unique_pairs(*out[0], nf)] + (
            [_unique_pairs(*out[1], nf)] if ask is not None else []
        )

    def scarcity(self) -> float:
        """Free places per leftover mentee, times SCARCE (below 1: places are scarce)."""
        return SCARCE * float(self.free.sum()) / max(len(self.rows), 1)

    def _own_list_length(self) -> int:
        """How many of her best candidates each mentee keeps (pruned candidate set): K, or
        when places are scarce ceil(K * SCARCE * places / leftover), at least 1 (most
        leftover mentees stay unmatched, and who gets a place is decided by the mentors'
        own lists: a longer list for everyone only makes the assignment slower)."""
        k = self.prep.instance.settings.fallback_candidates
        scarcity = self.scarcity()
        return k if scarcity >= 1 else max(1, min(k, int(np.ceil(k * scarcity))))

    def _comparisons(self) -> list:
        """The blocks of (rows, columns) scored in the pruned candidate set."""
        prep, scorer, rows, cols = self.prep, self.scorer, self.rows, self.cols
        k_cand = prep.instance.settings.fallback_candidates
        nu, nf = len(rows), len(cols)
        blocks: list[tuple[np.ndarray, np.ndarray]] = []
        # groups each mentee is compared with: PROBES groups of about CLUSTER_SIZE mentors;
        # when places are scarce (fewer than a quarter of the leftover mentees: most of them
        # stay unmatched, and the mentors' own lists pick who gets a place) one group of
        # about `budget` mentors, balanced, so that the work per mentee depends neither on
        # the number of mentors with free places nor on how unevenly interests group them
        scarcity = self.scarcity()
        scarce = scarcity < 1
        if scarce:
            budget = max(CLUSTER_SIZE // 2, int(np.ceil(PROBES * CLUSTER_SIZE * scarcity)), 1)
            probes = 1
            few = 2 * nf < 3 * budget  # (fewer than 1.5 budgets: one group)
        else:
            probes = PROBES
            few = nf <= probes * CLUSTER_SIZE
        # few mentors (or no interest texts): every mentee is compared with every mentor
        if few or not scorer.has_model:
            everyone_c = np.arange(nf)
        else:
            text_r = scorer.has_text_r[cols]
            everyone_c = np.flatnonzero(~text_r)
            with_text = np.flatnonzero(text_r)
            if len(with_text):
                x = scorer.x_r[cols[with_text]]
                if scarce:
                    n_groups = max(1, (2 * len(with_text) + budget) // (2 * budget))  # (rounded)
                    label, cent = balanced_groups(x, n_groups)
                else:
                    n_groups = max(1, -(-len(with_text) // CLUSTER_SIZE))
                    label, cent = spherical_kmeans(x, n_groups)
                sim = np.asarray(scorer.x_e[rows] @ cent.T)  # mentees x groups
                probes = min(probes, n_groups)
                sizes = np.bincount(label, minlength=n_groups)
                # mentees without text (all-zero similarity) try the largest groups
                sim[~scorer.has_text_e[rows]] = (sizes / sizes.max())[None, :]
                if probes == 1:  # (the first of the best, as the stable sort below)
                    pr = np.argmax(sim, axis=1)
                else:
                    pr = np.argsort(-sim, axis=1, kind="stable")[:, :probes]
                p_row = [np.repeat(np.arange(nu), probes)]
                p_grp = [pr.ravel()]
                # the K mentees of each cell nearest to each group
                for c in np.unique(self.cell).tolist():
                    in_c = np.flatnonzero(self.cell == c)
                    near, grp = first_k_rows(sim[in_c], min(k_cand, len(in_c)))
                    p_row.append(in_c[near])
                    p_grp.append(grp)
                code = _sorted_unique(np.concatenate(p_grp) * nu + np.concatenate(p_row))
                g_of, r_of = code // nu, code % nu
                g_start = np.searchsorted(g_of, np.arange(n_groups + 1))
                c_order = np.argsort(label, kind="stable")
                c_start = np.searchsorted(label[c_order], np.arange(n_groups + 1))
                for g in range(n_groups):
                    members = with_text[c_order[c_start[g] : c_start[g + 1]]]
                    if len(members):
                        blocks.append((r_of[g_start[g] : g_start[g + 1]], members))
        if len(everyone_c):
            blocks.append((np.arange(nu), everyone_c))
        return blocks

    def _pruned_lists(self, shared: bool, ask: np.ndarray | None) -> list:
        prep, scorer, rows, cols = self.prep, self.scorer, self.rows, self.cols
        k_cand = prep.instance.settings.fallback_candidates
        nu, nf = len(rows), len(cols)
        n_cells = int(self.cell.max()) + 1 if nu else 1
        present = np.unique(self.cell)
        # a mentor's lists: its K best mentees and, with several cells, its ceil(K / cells)
        # best of each cell (so that every cell can reach every mentor)
        k_cell = -(-k_cand // len(present)) if len(present) > 1 else 0
        # each mentee's K best so far: by the ranking score, and (askers) by the score
        best = [(np.full((nu, k_cand), -1.0), np.zeros((nu, k_cand), dtype=np.int64))]
        if ask is not None:
            best.append((np.full((nu, k_cand), -1.0), np.zeros((nu, k_cand), dtype=np.int64)))
        # mentor-side bests: final ones, and those of blocks scored in several chunks (to merge)
        done: list[tuple] = []
        merge_all: list[tuple] = []
        merge_cell: list[tuple] = []

        def keep_best(k, rr, score, g_cols):
            best_val, best_col = best[k]
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

        for g_rows, g_cols in self.blocks:
            g_pos = {j: c for c, j in enumerate(cols[g_cols].tolist())}
            chunk = max(1, BLOCK_PAIRS // max(len(g_cols), 1))
            whole = len(g_rows) <= chunk  # each mentor is in one block: its bests are final
            for start in range(0, len(g_rows), chunk):
                rr = g_rows[start : start + chunk]
                ok = _mask_rules(prep, rows[rr], cols[g_cols], g_pos)
                if ask is None:
                    score = np.where(ok, scorer.block(rows[rr], cols[g_cols], shared=shared), -1.0)
                else:
                    score, full = scorer.block(rows[rr], cols[g_cols], both=True)
                    score = np.where(ok, score, -1.0)
                    a = ask[rr]
                    if a.any():
                        keep_best(1, rr[a], np.where(ok[a], full, -1.0), g_cols)
                keep_best(0, rr, score, g_cols)
                # each mentor's K best among these rows, and its best of each cell
                (done if whole else merge_all).append(_column_best(score, rr, g_cols, k_cand))
                if k_cell:
                    (done if whole else merge_cell).append(
                        _column_best_by_cell(score, rr, self.cell[rr], g_cols, k_cell)
                    )
        for piece, k_keep, by_cell in ((merge_all, k_cand, False), (merge_cell, k_cell, True)):
            if piece:
                r, c, v = (np.concatenate(x) for x in zip(*piece, strict=True))
                keep = _top_k(c * n_cells + self.cell[r] if by_cell else c, r, v, k_keep)
                done.append((r[keep], c[keep], v[keep]))
        best_val, best_col = best[0]
        k_own = self._own_list_length()
        if k_own < k_cand:  # places are scarce: each mentee keeps her k_own best
            top = np.argpartition(-best_val, k_own - 1, axis=1)[:, :k_own]
            best_val = np.take_along_axis(best_val, top, axis=1)
            best_col = np.take_along_axis(best_col, top, axis=1)
        a, b = np.nonzero(best_val >= 0)
        out_r = [a] + [d[0] for d in done]
        out_c = [best_col[a, b]] + [d[1] for d in done]
        out_v = [best_val[a, b]] + [d[2] for d in done]
        lists = [_unique_pairs(out_r, out_c, out_v, nf)]
        if ask is not None:
            a, b = np.nonzero(best[1][0] >= 0)
            lists.append(_unique_pairs([a], [best[1][1][a, b]], [best[1][0][a, b]], nf))
        return lists


def _column_best(score: np.ndarray, rr: np.ndarray, g_cols: np.ndarray, k: int) -> tuple:
    """(rows, columns, values) of each column's ``k`` best rows of ``score`` (a block of
    rows ``rr`` x columns ``g_cols``; pairs scored -1, which break a rule, left out)."""
    k2 = min(k, len(rr))
    top = (
        np.argpartition(-score, k2 - 1, axis=0)[:k2]
        if k2 < len(rr)
        else np.broadcast_to(np.arange(len(rr))[:, None], score.shape)
    )
    val = np.take_along_axis(score, top, axis=0)
    a, b = np.nonzero(val >= 0)
    return rr[top[a, b]], g_cols[b], val[a, b]


def _column_best_by_cell(
    score: np.ndarray, rr: np.ndarray, cells: np.ndarray, g_cols: np.ndarray, k: int
) -> tuple:
    """(rows, columns, values) of each column's ``k`` best rows of each cell (``k`` small:
    the best row at a time, the first of equals; pairs scored -1 left out)."""
    order = np.argsort(cells, kind="stable")
    ranked = score[order]  # (a copy: the rows of each cell together)
    cuts = np.flatnonzero(np.diff(cells[order])) + 1
    starts, ends = np.concatenate([[0], cuts]), np.append(cuts, len(order))
    every = np.arange(len(g_cols))
    out_r, out_c, out_v = (
        [np.zeros(0, dtype=np.int64)],
        [np.zeros(0, dtype=np.int64)],
        [np.zeros(0)],
    )
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        part = ranked[lo:hi]
        for _ in range(min(k, hi - lo)):
            best = part.argmax(axis=0)
            val = part[best, every]
            ok = val >= 0
            out_r.append(rr[order[lo + best[ok]]])
            out_c.append(g_cols[ok])
            out_v.append(val[ok])
            part[best, every] = -2.0
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)


def candidate_pairs(
    prep: Prepared, scorer: Scorer, rows: np.ndarray, cols: np.ndarray, free: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (row position, column position) pairs ranked by score, with every
    mentee in one cell (the ``"score"`` policy); see the module docstring."""
    cand = Candidates(prep, scorer, rows, cols, free, np.zeros(len(rows), dtype=np.int64))
    return cand.pairs(shared=True)[:2]


def solve_assignment(
    nu: int,
    free: np.ndarray,
    cr: np.ndarray,
    cc: np.ndarray,
    score: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal (max cardinality, then max total score) assignment.

    ``free[c]`` is the number of places of column-mentor ``c``; candidate edge
    ``e`` joins row ``cr[e]`` and mentor ``cc[e]`` with ``score[e]``.
    Returns matched (row, mentor column) arrays.
    """
    if len(cr) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # (32-bit positions and temporaries let go early: at 400,000 mentees this graph has
    # millions of edges, and it is phase 2's peak of memory)
    deg = np.bincount(cc, minlength=len(free))
    slots = np.minimum(free, deg)
    offset = np.concatenate([[0], np.cumsum(slots)])
    n_slots = int(offset[-1])
    slot_owner = np.repeat(np.arange(len(free)), slots)
    reps = slots[cc].astype(np.int32)
    n_edges = int(reps.sum())
    # each edge once per place of its mentor: column offset[mentor] + 0, 1, ...
    e_col = np.repeat(offset[cc].astype(np.int32), reps)
    e_col -= np.repeat((np.cumsum(reps, dtype=np.int64) - reps).astype(np.int32), reps)
    e_col += np.arange(n_edges, dtype=np.int32)
    e_row = np.repeat(cr.astype(np.int32), reps)
    big = float(min(nu, n_slots) + 3)
    cost = np.empty(n_edges + min(nu, n_slots))
    cost[:n_edges] = np.repeat(2.0 - np.clip(score, 0.0, 1.0), reps)
    cost[n_edges:] = big
    del reps
    if nu <= n_slots:
        # rows: mentees; columns: places, then one "unmatched" column per mentee
        rows = np.concatenate([e_row, np.arange(nu, dtype=np.int32)])
        del e_row
        cols = np.concatenate([e_col, n_slots + np.arange(nu, dtype=np.int32)])
        shape = (nu, n_slots + nu)
    else:
        # fewer places than mentees: rows: places; columns: mentees, then one
        # "empty" column per place (the same problem, solved from the smaller side)
        rows = np.concatenate([e_col, np.arange(n_slots, dtype=np.int32)])
        cols = np.concatenate([e_row, nu + np.arange(n_slots, dtype=np.int32)])
        del e_row
        shape = (n_slots, nu + n_slots)
    del e_col
    graph = sp.csr_matrix((cost, (rows, cols)), shape=shape)
    del cost, rows, cols
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    if nu <= n_slots:
        real = col_ind < n_slots
        mentee, slot = row_ind[real], col_ind[real]
    else:
        real = col_ind < nu
        mentee, slot = col_ind[real], row_ind[real]
    order = np.argsort(mentee, kind="stable")
    return mentee[order].astype(np.int64), slot_owner[slot[order]].astype(np.int64)


# --------------------------------------------------------------------------- the fair steps


class _Network:
    """source -> cell -> leftover mentee -> mentor with free places -> sink, for
    maximum flows in which only the source arcs' capacities (the cells' counts) change."""

    def __init__(self, cell: np.ndarray, n_cells: int, free: np.ndarray, cr, cc) -> None:
        nu, nf = len(cell), len(free)
        self.n_cells = n_cells
        self.source, self.sink = 0, 1 + n_cells + nu + nf
        r0, m0 = 1 + n_cells, 1 + n_cells + nu
        tails = np.concatenate(
            [np.zeros(n_cells, dtype=np.int64), 1 + cell, r0 + cr, m0 + np.arange(nf)]
        )
        heads = np.concatenate(
            [1 + np.arange(n_cells), r0 + np.arange(nu), m0 + cc, np.full(nf, self.sink)]
        )
        caps = np.concatenate(
            [np.ones(n_cells), np.ones(nu), np.ones(len(cr)), free.astype(np.float64)]
        )
        n = self.sink + 1
        self.graph = sp.csr_matrix((caps.astype(np.int32), (tails, heads)), shape=(n, n))
        # the source's row holds the cells' arcs, in cell order
        lo, hi = self.graph.indptr[0], self.graph.indptr[1]
        assert np.array_equal(self.graph.indices[lo:hi], 1 + np.arange(n_cells))
        self._source_arcs = slice(lo, hi)

    def flow(self, counts: np.ndarray):
        """A maximum flow with ``counts[c]`` on the arc source -> cell c."""
        self.graph.data[self._source_arcs] = counts.astype(np.int32)
        return maximum_flow(self.graph, self.source, self.sink)

    def stuck(self, result) -> np.ndarray:
        """Cells that cannot take one more mentee on top of a saturating flow ``result``:
        those from which the sink cannot be reached in the residual graph."""
        residual = (self.graph - result.flow).tocsr()
        residual.data = (residual.data > 0).astype(np.int8)
        residual.eliminate_zeros()
        reach = breadth_first_order(
            residual.T.tocsr(), self.sink, directed=True, return_predecessors=False
        )
        can = np.zeros(self.graph.shape[0], dtype=bool)
        can[reach] = True
        return ~can[1 : 1 + self.n_cells]


def fair_counts(
    cell: np.ndarray, before: np.ndarray, size: np.ndarray, free: np.ndarray, cr, cc
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many leftover mentees of each cell the fair fallback matches (step 2), and
    which cells may trade their last place among themselves (for step 3).

    ``cell[r]`` is leftover row r's cell; ``before[c]`` the mentees of cell c
    matched before phase 2 and ``size[c]`` all its mentees; ``(cr, cc)`` the
    candidate pairs. Returns ``(z, tie, upper)``: ``z`` the counts of the greedy described
    in the module docstring (units in order of (rate before the unit, cell size,
    cell), each taken while the taken units can all be matched together, a cell
    dropped at its first refusal; leximin-optimal among the largest matchings),
    ``tie[c]``, for each cell, the number of the tie its count belongs to, or -1
    when its count is the same in every leximin-optimal vector of counts, and
    ``upper[c]``, whether a tied cell stands at the upper level of its tie.

    A tie is a key (rate, size) of the greedy's order at which units were refused:
    its cells are those dropped at one of those refusals that stand, in ``z``, at
    that level (their unit of the key refused, or never reached) or one above it
    (their unit of the key accepted). The leximin-optimal counts are exactly the
    vectors of a largest matching in which every other cell has its ``z[c]`` and
    each tie's cells keep their number of places at the upper level, shared among
    them in any way (docs/matching.md, "Why step 3 is exact").
    """
    n_cells = len(size)
    left = np.bincount(cell, minlength=n_cells)
    units_max = min(int(free.sum()), len(cell))
    # the units: the k-th leftover mentee of cell c (k = 0, 1, ...) raises its rate from
    # (before + k) / size; only the first min(left, places) of a cell can ever be taken
    n_units = np.minimum(left, units_max)
    u_cell = np.repeat(np.arange(n_cells), n_units)
    u_k = np.arange(len(u_cell)) - np.repeat(np.cumsum(n_units) - n_units, n_units)
    rate = (before[u_cell] + u_k) / size[u_cell]  # (exact: equal fractions, equal floats)
    pending = u_cell[np.lexsort((u_cell, size[u_cell], rate))]
    net = _Network(cell, n_cells, free, cr, cc)
    z = np.zeros(n_cells, dtype=np.int64)
    frozen = np.zeros(n_cells, dtype=bool)
    tie = np.full(n_cells, -1, dtype=np.int64)
    upper = np.zeros(n_cells, dtype=bool)
    ties: dict[tuple[int, int], int] = {}  # (size, level) of a refused unit -> its tie
    while True:
        pending = pending[~frozen[pending]]
        if len(pending) == 0:
            break
        # more units than places or leftover mentees: no more than units_max can be
        # matched, so first try that many (usually they fit, and the next is refused)
        q = units_max - int(z.sum())
        ok = net.flow(z + np.bincount(pending[:q], minlength=n_cells)) if q < len(pending) else None
        if ok is None or ok.flow_value != z.sum() + q:
            everyone = net.flow(z + np.bincount(pending, minlength=n_cells))
            if everyone.flow_value == z.sum() + len(pending):
                z += np.bincount(pending, minlength=n_cells)
                break
            # no more than everyone.flow_value can be matched: try that many units first
            q = min(everyone.flow_value - int(z.sum()), len(pending) - 1)
            ok = net.flow(z + np.bincount(pending[:q], minlength=n_cells))
        if ok.flow_value != z.sum() + q:  # refused earlier: the largest prefix that fits
            lo, hi = 0, q - 1
            ok = None
            while lo < hi:
                mid = (lo + hi + 1) // 2
                res = net.flow(z + np.bincount(pending[:mid], minlength=n_cells))
                if res.flow_value == z.sum() + mid:
                    lo, ok = mid, res
                else:
                    hi = mid - 1
            q = lo
            if ok is None:
                ok = net.flow(z + np.bincount(pending[:q], minlength=n_cells))
        z += np.bincount(pending[:q], minlength=n_cells)
        refused = int(pending[q])
        stuck = net.stuck(ok)
        stuck[refused] = True  # (the unit refused: its cell is among them)
        # the cells dropped now that stand at the refused unit's key: at its level with
        # their unit of that key still to come, or one above with it accepted
        new = stuck & ~frozen
        n, level = int(size[refused]), int(before[refused] + z[refused])
        at = before + z
        low = new & (size == n) & (at == level) & (z < n_units)
        up = new & (size == n) & (at == level + 1) & (z >= 1)
        tie[low | up] = ties.setdefault((n, level), len(ties))
        upper |= up
        frozen |= stuck
        pending = pending[q + 1 :]
    # a tie whose cells all stand at one level leaves nothing to share; number the others
    kept = [t for t in range(len(ties)) if upper[tie == t].any() and not upper[tie == t].all()]
    renumber = np.full(len(ties) + 1, -1, dtype=np.int64)
    renumber[kept] = np.arange(len(kept))
    tie = renumber[tie]  # (-1 stays -1: the last entry)
    upper &= tie >= 0
    return z, tie, upper


def _with_counts(
    cell: np.ndarray,
    z: np.ndarray,
    free: np.ndarray,
    cr,
    cc,
    base: np.ndarray,
    tie: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Step 3: the largest total base score over matchings that match exactly ``z[c]``
    leftover mentees of each cell (a minimum-cost flow with the counts as supplies) —
    or, with ``tie``, over every leximin-optimal vector of counts: the cells of a tie
    (``tie[c] >= 0``) stand at a lower level ``L`` or at ``L + 1`` (``upper[c]``), and
    their number at ``L + 1`` is kept while the places above ``L`` go to whichever of
    them scores best: each such cell supplies its count at ``L`` and takes at most one
    more from its tie's pool node, which supplies the number of its cells at ``L + 1``.
    (Step 4 too: one cell, all its mentees matched, the scores instead of base scores.)

    Each mentor keeps only its ``m[c]`` best candidates of each cell, ``m[c]`` the most
    the cell can have matched: lossless, since a mentee matched to a mentor outside that
    list could be replaced there by one of the list left unmatched (the other matched
    mentees of the cell are at most ``m[c] - 1``).
    """
    from ortools.graph.python import min_cost_flow

    n_cells, nu, nf = len(z), len(cell), len(free)
    lower = z.copy()  # each cell's count, or in a tie its count at the lower level
    most = z.copy()  # the most each cell can have matched
    n_ties = 0
    if tie is not None:
        tied = tie >= 0
        lower[tied & upper] -= 1
        most[tied & ~upper] += 1
        n_ties = int(tie.max()) + 1 if tied.any() else 0
    key = cc * n_cells + cell[cr]
    if (np.bincount(key, minlength=nf * n_cells) > np.tile(most, nf)).any():
        order = np.lexsort((cr, -base, key))  # by (mentor, cell), best first
        sk = key[order]
        start = np.flatnonzero(np.concatenate([[True], sk[1:] != sk[:-1]]))
        rank = np.arange(len(order)) - np.repeat(start, np.diff(np.append(start, len(order))))
        keep = np.sort(order[rank < most[cell[cr[order]]]])
        er, ec, base = cr[keep], cc[keep], base[keep]
    else:  # (no mentor has more candidates of a cell than the cell can have matched)
        er, ec = cr, cc
    # nodes: cells, leftover mentees, mentors, the sink, then one pool per tie
    r0, m0, sink = n_cells, n_cells + nu, n_cells + nu + nf
    p0 = sink + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = [cell, r0 + er, m0 + np.arange(nf)]
    heads = [r0 + np.arange(nu), m0 + ec, np.full(nf, sink)]
    caps = [np.ones(nu + len(er), dtype=np.int64), free.astype(np.int64)]
    # (costs: minus the base score in whole multiples of 2^-30, at most 2^30 in magnitude)
    costs = [
        np.zeros(nu, dtype=np.int64),
        -np.round(np.clip(base, 0.0, 1.0) * SCORE_SCALE).astype(np.int64),
        np.zeros(nf, dtype=np.int64),
    ]
    supplies = np.zeros(p0 + n_ties, dtype=np.int64)
    supplies[:n_cells] = lower
    supplies[sink] = -int(z.sum())
    if n_ties:
        members = np.flatnonzero(tie >= 0)
        tails.append(p0 + tie[members])
        heads.append(members)
        caps.append(np.ones(len(members), dtype=np.int64))
        costs.append(np.zeros(len(members), dtype=np.int64))
        supplies[p0:] = np.bincount(tie[members][upper[members]], minlength=n_ties)
    first_edge = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )[nu]
    flow.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:  # pragma: no cover - the counts are feasible by construction
        raise RuntimeError(f"phase 2: the minimum-cost flow failed ({status})")
    used = flow.flows(first_edge + np.arange(len(er))) > 0
    r, c = er[used], ec[used]
    order = np.argsort(r, kind="stable")
    return r[order], c[order]


def run_phase2(
    prep: Prepared,
    scorer: Scorer,
    mentor: np.ndarray,
    residual: np.ndarray,
    cells: tuple[np.ndarray, int] | None = None,
) -> dict[str, object]:
    """Assign leftover mentees; updates ``mentor`` in place.

    ``cells`` is ``(cell of each mentee, number of cells)`` for the ``"fair"``
    policy. Returns a small dict of facts used to explain who stays unmatched.
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
    fair = prep.instance.settings.policy == "fair"
    if not fair or cells is None:
        cell_of = np.zeros(prep.n, dtype=np.int64)
        n_cells = 1
    else:
        cell_of, n_cells = cells
    cand = Candidates(prep, scorer, rows, cols, free, cell_of[rows])
    lists = cand.lists(shared=not fair, askers=fair)
    cr, cc, val = lists[0]  # (under "fair", ranked by the base score)
    info["has_candidate"][rows[cr]] = True
    if not fair:
        r, c = solve_assignment(len(rows), free, cr, cc, val)
    else:
        cell = cell_of[rows]
        left = np.bincount(cell, minlength=n_cells)
        z, tie, upper = left, None, None
        if np.count_nonzero(left) > 1:  # step 2 (with one cell, any largest matching)
            matched = mentor >= 0
            matched[pinned] = True
            before = np.bincount(cell_of[matched], minlength=n_cells)
            size = np.bincount(cell_of, minlength=n_cells)
            z, tie, upper = fair_counts(cell, before, size, free, cr, cc)
        if np.array_equal(z, left) or np.count_nonzero(left) <= 1:
            # everyone can be matched, or one cell: steps 1-3 are the plain assignment
            r, c = solve_assignment(len(rows), free, cr, cc, val)
        else:
            r, c = _with_counts(cell, z, free, cr, cc, val, tie, upper)
        if len(lists) > 1:
            r, c = _assign_matched(cand, r, c, lists[0], lists[1])
    mentor[rows[r]] = cols[c]
    np.subtract.at(residual, cols[c], 1)
    return info


def _assign_matched(cand: Candidates, r, c, ranked, asked) -> tuple[np.ndarray, np.ndarray]:
    """Step 4: the mentees matched in steps 1-3 (rows ``r``) stay matched; who is
    matched with whom maximises the total score (with ``shared``), over their
    candidates ``ranked`` (by the base score) and, for those who asked to share
    characteristics, their own lists ranked by the score, ``asked``."""
    scorer = cand.scorer
    asker = scorer.want_count[cand.rows] > 0
    if not asker[r].any():  # the score is the base score
        return r, c
    cr, cc, base = ranked
    in_m = np.zeros(len(cand.rows), dtype=bool)
    in_m[r] = True
    keep = in_m[cr]
    er, ec, score = cr[keep], cc[keep], base[keep]
    # (the score is the base score but for the mentees who asked)
    a = asker[er]
    score[a] = scorer.pairs(cand.rows[er[a]], cand.cols[ec[a]])
    ar, ac, av = asked
    keep = in_m[ar]
    er, ec, score = _unique_pairs([er, ar[keep]], [ec, ac[keep]], [score, av[keep]], len(cand.cols))
    local = np.full(len(cand.rows), -1, dtype=np.int64)  # rows renumbered 0..len(r)-1
    local[r] = np.arange(len(r))
    # all of them matched (the matching of steps 1-3 is among these pairs): a minimum-cost
    # flow with one cell, which OR-Tools solves faster here than LAPJVsp the assignment
    one = np.zeros(len(r), dtype=np.int64)
    lr, lc = _with_counts(one, np.array([len(r)]), cand.free, local[er], ec, score)
    return r[lr], lc
