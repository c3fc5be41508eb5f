"""Running both phases and checking stability."""

from __future__ import annotations

import time

import numpy as np

from .codes import number
from .explain import dropped_notes, ordinal, pair_reasons, unmatched_cause, unmatched_reason
from .model import (
    COMPONENTS,
    Assignment,
    Deferred,
    Id,
    Instance,
    InstanceError,
    Result,
    Unmatched,
)
from .scoring import Scorer
from .stable import explicit_positions, run_phase1
from .validate import Prepared, id_key, prepare, show

TOP_CHOICES = 3
"""``metrics.top_choices`` counts mentees matched to one of their first 3 choices."""


def match(instance: Instance, *, stable_only: bool = False) -> Result:
    """Match mentees to mentors.

    Parameters
    ----------
    instance:
        The problem (see :class:`Instance`).
    stable_only:
        If true, run phase 1 (stable matching over the mentees' choices) only.

    Returns
    -------
    Result
        Assignments (pinned, phase 1 ``"choice"``, phase 2 ``"fallback"``),
        unmatched mentees with reasons, and metrics.

    Raises
    ------
    InstanceError
        If the instance is invalid (the message names the offending entry).
    """
    if not isinstance(stable_only, bool):
        raise TypeError("stable_only must be True or False")
    return _match(instance, stable_only, time.perf_counter())


def _match(instance: Instance, stable_only: bool, started: float) -> Result:
    prep = prepare(instance)
    scorer = Scorer(prep)
    mentor, proposal, mo = run_phase1(prep, scorer)
    acc_score = mo.score  # (the rest of the mentors' orders is not needed any more)
    del mo
    residual = np.array(prep.capacity, dtype=np.int64)
    np.subtract.at(residual, mentor[mentor >= 0], 1)
    via_choice = mentor >= 0
    cells = _cells(prep)
    phase2 = None
    if not stable_only:
        # (imported here: phase 2 needs scipy's graph algorithms, which take a while to import
        # and which phase 1 alone never uses)
        from .fallback import run_phase2

        phase2 = run_phase2(prep, scorer, mentor, residual, cells)
    for i, j in prep.pinned.items():
        mentor[i] = j
    ai = np.flatnonzero(mentor >= 0)
    aj = mentor[ai]
    # the mentors' view of the assigned pairs: those matched through a choice were
    # scored for the mentors' orders
    view = np.empty(len(ai), dtype=np.float64)
    chosen = via_choice[ai]
    view[chosen] = acc_score[proposal[ai[chosen]]]
    if not chosen.all():
        view[~chosen] = scorer.mentor_view(ai[~chosen], aj[~chosen])
    a_view = np.zeros(prep.n)
    a_view[ai] = view
    blocking = _blocking(prep, scorer, mentor, acc_score=acc_score, assigned_score=a_view)
    # the scores reported: the compatibility score (the same as the mentors' view under
    # the "score" policy; under "fair" the view is the base score, the same number as the
    # score for a mentee who asked to share nothing, so only the askers' are computed)
    scores = view
    if prep.instance.settings.policy != "score":
        ask = scorer.want_count[ai] > 0
        if ask.any():
            scores = view.copy()
            scores[ask] = scorer.pairs(ai[ask], aj[ask])
    result = _build_result(prep, scorer, mentor, proposal, via_choice, phase2, scores)
    rank_rows, rank = result.metrics.pop("_rank_rows"), result.metrics.pop("_rank")
    result.metrics["groups"] = _group_metrics(prep, scorer, mentor, rank_rows, rank, phase2)
    result.metrics["blocking_pairs"] = len(blocking)
    result.metrics["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _cells(prep: Prepared) -> tuple[np.ndarray, int]:
    """(cell of each mentee, number of cells): mentees with the same set of ``groups``
    labels share a cell, numbered in order of first appearance."""
    groups = [tuple(sorted(set(m.groups))) for m in prep.instance.mentees]
    codes, distinct = number(groups)
    return codes, max(len(distinct), 1)


def _group_metrics(
    prep: Prepared,
    scorer: Scorer,
    mentor: np.ndarray,
    rank_rows: np.ndarray,
    rank_values: np.ndarray,
    phase2: dict | None,
) -> dict[str, dict[str, int]]:
    """Per group label: its mentees, how many were matched (by choice: first, within
    the top choices; by the fallback), how many asked to share characteristics and had
    them all shared by their mentor, and how many were left with no possible place."""
    mentees = prep.instance.mentees
    labels = [sorted(set(m.groups)) for m in mentees]
    if not any(labels):
        return {}
    n = prep.n
    matched = mentor >= 0
    rank = np.zeros(n, dtype=np.int64)
    rank[rank_rows] = rank_values
    pinned = np.zeros(n, dtype=bool)
    if prep.pinned:
        pinned[list(prep.pinned)] = True
    asked = scorer.want_count > 0
    honoured = np.zeros(n, dtype=bool)
    ai = np.flatnonzero(matched & asked)
    if len(ai):
        shared = scorer.components_pairs(ai, mentor[ai])["shared"][0]
        honoured[ai] = shared >= 1.0
    no_place = np.zeros(n, dtype=bool)
    if phase2 is not None and phase2.get("leftover"):
        no_place = ~matched & ~pinned & ~phase2["has_candidate"]
    columns = {
        "mentees": np.ones(n, dtype=bool),
        "matched": matched,
        "first_choice": rank == 1,
        "top_choices": (rank >= 1) & (rank <= TOP_CHOICES),
        "fallback": matched & (rank == 0) & ~pinned,
        "asked_shared": asked,
        "shared_honoured": honoured,
        "no_place": no_place,
    }
    flat = np.fromiter((len(g) for g in labels), dtype=np.int64, count=n)
    who = np.repeat(np.arange(n, dtype=np.int64), flat)
    codes, names = number([x for g in labels for x in g])
    out: dict[str, dict[str, int]] = {}
    sums = {k: np.bincount(codes, weights=v[who], minlength=len(names)) for k, v in columns.items()}
    for pos in np.argsort(np.array(names, dtype=object), kind="stable").tolist():
        out[names[pos]] = {k: int(sums[k][pos]) for k in columns}
    return out


def _build_result(
    prep: Prepared,
    scorer: Scorer,
    mentor: np.ndarray,
    proposal: np.ndarray,
    via_choice: np.ndarray,
    phase2: dict | None,
    scores: np.ndarray,
) -> Result:
    """Metrics now; assignments (pairs ``i, mentor[i]`` in mentee order) with reasons
    and unmatched mentees with reasons as :class:`Deferred` lists, phrased on first use.

    ``scores`` are the scores of the assigned pairs, in mentee order.
    """
    ai = np.flatnonzero(mentor >= 0)
    aj = mentor[ai]
    pinned = np.zeros(prep.n, dtype=bool)
    if prep.pinned:
        pinned[list(prep.pinned)] = True
    is_pinned = pinned[ai]
    is_choice = via_choice[ai] & ~is_pinned
    rank = np.zeros(len(ai), dtype=np.int64)
    rank[is_choice] = prep.acc_rank[proposal[ai[is_choice]]] + 1
    n_choice, n_pinned = int(is_choice.sum()), int(is_pinned.sum())
    unmatched_rows = np.flatnonzero(mentor < 0)
    metrics = {
        "mentees": prep.n,
        "matched": len(ai),
        "first_choice": int((rank[is_choice] == 1).sum()),
        "top_choices": int((rank[is_choice] <= TOP_CHOICES).sum()),
        "fallback": len(ai) - n_choice - n_pinned,
        "pinned": n_pinned,
        "unmatched": len(unmatched_rows),
        "mean_score": round(float(scores.mean()), 4) if len(scores) else None,
        "blocking_pairs": 0,
        "seconds": 0.0,
        "_rank_rows": ai[is_choice],
        "_rank": rank[is_choice],
    }

    def assignments() -> list[Assignment]:
        return _assignments(prep, scorer, ai, aj, rank, is_choice, scores)

    def unmatched() -> list[Unmatched]:
        mentees = prep.instance.mentees
        return [
            Unmatched(
                mentee=mentees[i].id,
                reason=unmatched_reason(prep, i, phase2),
                cause=unmatched_cause(prep, i, phase2),
            )
            for i in unmatched_rows.tolist()
        ]

    return Result(
        assignments=Deferred(assignments, len(ai)),
        unmatched=Deferred(unmatched, len(unmatched_rows)),
        metrics=metrics,
    )


def _assignments(
    prep: Prepared,
    scorer: Scorer,
    ai: np.ndarray,
    aj: np.ndarray,
    rank: np.ndarray,
    is_choice: np.ndarray,
    scores: np.ndarray,
) -> list[Assignment]:
    """The assigned pairs (ai[k], aj[k]) with their components and reasons."""
    inst = prep.instance
    comps = scorer.components_pairs(ai, aj)
    comp_rows = [(c, comps[c][0].tolist(), comps[c][1].tolist()) for c in COMPONENTS if c in comps]
    comp_dicts = [{c: round(v[k], 4) for c, v, a in comp_rows if a[k]} for k in range(len(ai))]
    all_reasons = pair_reasons(prep, scorer, ai, aj, comp_dicts)
    score_list = scores.tolist()
    rank_list = rank.tolist()
    choice_list = is_choice.tolist()
    mentees, mentors = inst.mentees, inst.mentors
    assignments: list[Assignment] = []
    for k, (i, j) in enumerate(zip(ai.tolist(), aj.tolist(), strict=True)):
        reasons = all_reasons[k]
        if i in prep.pinned:
            via, r = "pinned", prep.choice_rank(i, j)
            reasons.insert(0, "set by the scheme coordinator")
        elif choice_list[k]:
            via, r = "choice", rank_list[k]
            reasons.insert(0, f"your {ordinal(r)} choice")
        else:
            via, r = "fallback", None
            if not reasons:
                reasons.append("matched to a mentor with free capacity")
        reasons.extend(dropped_notes(prep, i))
        assignments.append(
            Assignment(
                mentee=mentees[i].id,
                mentor=mentors[j].id,
                via=via,
                choice_rank=r,
                score=round(score_list[k], 4),
                reasons=reasons,
                components=comp_dicts[k],
            )
        )
    return assignments


def _blocking(
    prep: Prepared,
    scorer: Scorer,
    mentor: np.ndarray,
    acc_score: np.ndarray | None = None,
    assigned_score: np.ndarray | None = None,
) -> list[tuple[int, int]]:
    """Blocking (mentee, mentor) index pairs among the non-pinned part.

    ``mentor[i]`` is mentee i's mentor index or -1. Only acceptable pairs count
    (the mentor is among the mentee's choices and the pair keeps the hard
    rules). Pinned mentees and the places they use are left out. Scores
    already computed may be passed (as ``Scorer.mentor_view``): ``acc_score`` per
    acceptable choice, ``assigned_score[i]`` for the pair (i, mentor[i]).
    """
    n = prep.n
    pinned = np.zeros(n, dtype=bool)
    if prep.pinned:
        pinned[list(prep.pinned)] = True
    counts = np.diff(prep.acc_ptr)
    mi = np.repeat(np.arange(n, dtype=np.int64), counts)
    mj = prep.acc_mentor
    rank = prep.acc_rank
    big = np.iinfo(np.int64).max
    cur_rank = np.full(n, big, dtype=np.int64)
    is_cur = mentor[mi] == mj
    cur_rank[mi[is_cur]] = rank[is_cur]
    cand = (rank < cur_rank[mi]) & ~pinned[mi]
    ci, cj = mi[cand], mj[cand]
    c_idx = np.flatnonzero(cand)
    if len(ci) == 0:
        return []
    ai = np.flatnonzero((mentor >= 0) & ~pinned)
    aj = mentor[ai]
    cap = np.array(prep.capacity, dtype=np.int64)
    held = np.bincount(aj, minlength=prep.m)
    blocking = held[cj] < cap[cj]
    # worst held mentee per mentor, in the mentor's order
    a_score = scorer.mentor_view(ai, aj) if assigned_score is None else assigned_score[ai]
    a_expl = explicit_positions(prep, ai, aj)
    order = np.lexsort((ai, -a_score, a_expl, aj))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = aj[order][1:] != aj[order][:-1]
    worst = order[last]
    w_expl = np.full(prep.m, -1, dtype=np.int64)
    w_neg = np.zeros(prep.m)
    w_i = np.full(prep.m, -1, dtype=np.int64)
    w_expl[aj[worst]] = a_expl[worst]
    w_neg[aj[worst]] = -a_score[worst]
    w_i[aj[worst]] = ai[worst]
    c_score = scorer.mentor_view(ci, cj) if acc_score is None else acc_score[c_idx]
    c_expl = explicit_positions(prep, ci, cj)
    we, wn, wi = w_expl[cj], w_neg[cj], w_i[cj]
    better = (c_expl < we) | ((c_expl == we) & ((-c_score < wn) | ((-c_score == wn) & (ci < wi))))
    blocking |= (held[cj] > 0) & better
    return list(zip(ci[blocking].tolist(), cj[blocking].tolist(), strict=True))


def check_stability(instance: Instance, result: Result) -> list[tuple[Id, Id]]:
    """Blocking pairs of ``result`` with respect to the choices of ``instance``.

    A pair (mentee, mentor) blocks when the mentor is among the mentee's
    choices and the pair keeps the hard rules, the mentee is unmatched or
    matched to a mentor they ranked lower (or did not choose), and the mentor
    has a free place or prefers the mentee to one of its current mentees.
    Pinned mentees, and the places they use, are left out. Runs in time
    linear in the number of choices.

    Parameters
    ----------
    instance:
        The instance that was matched.
    result:
        A result for it (e.g. from :func:`match`).

    Returns
    -------
    list[tuple]
        ``(mentee id, mentor id)`` pairs, ids as given in the instance; empty
        when the result is stable.

    Raises
    ------
    InstanceError
        If the instance is invalid or the result names unknown people or
        matches a mentee twice.
    """
    prep = prepare(instance)
    scorer = Scorer(prep)
    mentor = np.full(prep.n, -1, dtype=np.int64)
    for pos, a in enumerate(result.assignments):
        i = prep.mentee_index.get(id_key(a.mentee))
        j = prep.mentor_index.get(id_key(a.mentor))
        if i is None or j is None:
            raise InstanceError(
                f"assignments[{pos}]: unknown mentee {show(a.mentee)} or mentor {show(a.mentor)}"
            )
        if mentor[i] >= 0:
            raise InstanceError(f"assignments[{pos}]: mentee {show(a.mentee)} is matched twice")
        mentor[i] = j
    pairs = _blocking(prep, scorer, mentor)
    return [(instance.mentees[i].id, instance.mentors[j].id) for i, j in pairs]
