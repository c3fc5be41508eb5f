"""Converting results (and instances) to plain JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from .model import MENTEE_FIELDS, MENTOR_FIELDS, Instance, Result


def result_to_dict(result: Result) -> dict[str, Any]:
    """The JSON form of a result (see ``result.schema.json``).

    Parameters
    ----------
    result:
        A :class:`Result` from :func:`match`.

    Returns
    -------
    dict
        ``{"assignments": [...], "unmatched": [...], "metrics": {...}}`` with
        ids exactly as given in the instance. ``choice_rank`` is left out when
        the mentor was not one of the mentee's choices.

    Raises
    ------
    TypeError
        If ``result`` is not a :class:`Result`.
    """
    if not isinstance(result, Result):
        raise TypeError(f"expected a Result, got {type(result).__name__}")
    assignments = []
    for a in result.assignments:
        row: dict[str, Any] = {"mentee": a.mentee, "mentor": a.mentor, "via": a.via}
        if a.choice_rank is not None:
            row["choice_rank"] = a.choice_rank
        row["score"] = a.score
        row["reasons"] = list(a.reasons)
        row["components"] = dict(a.components)
        assignments.append(row)
    return {
        "assignments": assignments,
        "unmatched": [
            {"mentee": u.mentee, "reason": u.reason, "cause": u.cause} for u in result.unmatched
        ],
        "metrics": dict(result.metrics),
    }


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The JSON form of an instance (the inverse of ``instance_from_dict``).

    Optional fields that are empty are left out.
    """
    if not isinstance(instance, Instance):
        raise TypeError(f"expected an Instance, got {type(instance).__name__}")

    def person(p, fields) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for f in fields:
            v = getattr(p, f)
            if f in ("id", "capacity", "choices") or v not in (None, "", [], {}):
                row[f] = list(v) if isinstance(v, tuple) else v
        return row

    mentees = [person(p, MENTEE_FIELDS) for p in instance.mentees]
    if instance.choices is not None:  # (positions back to the mentors' ids)
        at = list(instance.choices.ptr)
        ids = [instance.mentors[j].id for j in instance.choices.mentor]
        for i, row in enumerate(mentees):
            row["choices"] = ids[at[i] : at[i + 1]]
    s = instance.settings
    return {
        "settings": {
            "weights": dict(s.weights),
            "different_institutions": s.different_institutions,
            "ideal_seniority_gap": s.ideal_seniority_gap,
            "max_choices": s.max_choices,
            "fallback_full_limit": s.fallback_full_limit,
            "fallback_candidates": s.fallback_candidates,
            "policy": s.policy,
        },
        "mentors": [person(p, MENTOR_FIELDS) for p in instance.mentors],
        "mentees": mentees,
        "pinned": [list(p) for p in instance.pinned],
        "forbidden": [list(p) for p in instance.forbidden],
    }
