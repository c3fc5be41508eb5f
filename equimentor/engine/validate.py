"""Turning plain dicts into an :class:`Instance`, and checking an instance.

:func:`instance_from_dict` checks the *shape* of decoded JSON and builds the
dataclasses; :func:`prepare` checks the *meaning* (unique ids, known mentor
ids, capacities, pinned pairs ...) and indexes everything by integer position
for the algorithms. Both raise :class:`InstanceError` with a message naming the
offending entry.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import chain, compress
from operator import attrgetter
from typing import Any

import numpy as np

from .codes import TextCodes
from .model import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    MENTEE_FIELDS,
    MENTOR_FIELDS,
    POLICIES,
    Choices,
    Id,
    Instance,
    InstanceError,
    Mentee,
    Mentor,
    Settings,
)

# --------------------------------------------------------------------------- helpers


_JSON = json.JSONEncoder(ensure_ascii=False)


def show(value: Any) -> str:
    """Render an id or a value the way it appears in JSON."""
    try:
        return _JSON.encode(value)
    except (TypeError, ValueError):
        return repr(value)


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip() != ""


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def id_key(value: Id) -> str:
    """The identity of an id: ``5`` and ``"5"`` are the same person."""
    return str(value)


def _key_or_none(value: Any) -> str | None:
    """id_key for a valid non-string id, else None."""
    return str(value) if _is_id(value) else None


def _choice_error(where: str, chs: Any, row: list) -> None:
    seen: set[int] = set()
    for c, j in zip(chs, row, strict=True):
        if j is None:
            raise InstanceError(f"{where}: choice {show(c)} is not a known mentor id")
        if j in seen:
            raise InstanceError(f"{where}: choice {show(c)} is listed more than once")
        seen.add(j)


def _label(kind: str, pos: int, ident: Any) -> str:
    if _is_id(ident):
        return f"{kind}[{pos}] (id {show(ident)})"
    return f"{kind}[{pos}]"


# --------------------------------------------------------------------------- from dict

_MENTOR_KEYS = set(MENTOR_FIELDS)
_MENTEE_KEYS = set(MENTEE_FIELDS)
_SETTINGS_KEYS = {
    "weights",
    "different_institutions",
    "ideal_seniority_gap",
    "max_choices",
    "fallback_full_limit",
    "fallback_candidates",
    "policy",
}
_TOP_KEYS = {"mentors", "mentees", "settings", "pinned", "forbidden", "$schema", "name"}


def _check_keys(obj: dict, allowed: set[str], where) -> None:
    """``where``: the entry's label, or a function giving it (built only for a message)."""
    if obj.keys() <= allowed:
        return
    for key in obj:
        if key not in allowed:
            known = ", ".join(sorted(allowed - {"$schema"}))
            raise InstanceError(
                f"{_where(where)}: unknown field {show(key)} (known fields: {known})"
            )


def _where(where) -> str:
    return where if isinstance(where, str) else where()


def _list_of(obj: dict, key: str, where) -> list:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InstanceError(f"{_where(where)}: {key} must be a list, got {show(value)}")
    return value


def _text(obj: dict, key: str, where) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InstanceError(f"{_where(where)}: {key} must be a string, got {show(value)}")


_ATTRIBUTE_TYPES = {str, int, float, bool, type(None)}


def _attributes(obj: dict, where) -> dict:
    value = obj.get("attributes")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InstanceError(f"{_where(where)}: attributes must be an object, got {show(value)}")
    if set(map(type, value.values())) <= _ATTRIBUTE_TYPES:
        return value
    for key, val in value.items():
        if val is not None and not isinstance(val, str | int | float | bool):
            raise InstanceError(
                f"{_where(where)}: attribute {show(key)} must be a string, number, true/false "
                f"or null, got {show(val)}"
            )
    return value


def _pairs(d: dict, key: str) -> list[tuple[Id, Id]]:
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InstanceError(f"{key} must be a list of [mentee id, mentor id] pairs")
    out = []
    for pos, pair in enumerate(value):
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise InstanceError(
                f"{key}[{pos}]: must be a pair [mentee id, mentor id], got {show(pair)}"
            )
        out.append((pair[0], pair[1]))
    return out


def settings_from_dict(d: Any) -> Settings:
    """Build :class:`Settings` from a dict (``None`` gives the defaults).

    Raises
    ------
    InstanceError
        On an unknown field or a value of the wrong type.
    """
    if d is None:
        return Settings()
    if not isinstance(d, dict):
        raise InstanceError(f"settings must be an object, got {show(d)}")
    _check_keys(d, _SETTINGS_KEYS, "settings")
    s = Settings()
    if "weights" in d and d["weights"] is not None:
        if not isinstance(d["weights"], dict):
            raise InstanceError(f"settings: weights must be an object, got {show(d['weights'])}")
        s.weights = {**DEFAULT_WEIGHTS, **d["weights"]}
    for key in ("different_institutions", "policy"):
        if key in d and d[key] is not None:
            setattr(s, key, d[key])
    for key in ("ideal_seniority_gap", "max_choices", "fallback_full_limit", "fallback_candidates"):
        if key in d and (d[key] is not None or key == "max_choices"):
            setattr(s, key, d[key])
    check_settings(s)
    return s


def instance_from_dict(d: Any) -> Instance:
    """Build an :class:`Instance` from decoded JSON (see ``instance.schema.json``).

    Parameters
    ----------
    d:
        A dict with ``mentors``, ``mentees`` and optionally ``settings``,
        ``pinned`` and ``forbidden``.

    Returns
    -------
    Instance
        The validated instance. Ids are kept exactly as given.

    Raises
    ------
    InstanceError
        If anything is malformed or inconsistent; the message names the entry.
    """
    instance = instance_shape_from_dict(d)
    prepare(instance)  # semantic checks
    return instance


def instance_shape_from_dict(d: Any) -> Instance:
    """:func:`instance_from_dict` without the checks of meaning (unique ids, known
    mentor ids, capacities ...), which :func:`match` makes as its first step with the
    same messages: for a caller that matches the instance at once (the command line)."""
    if not isinstance(d, dict):
        raise InstanceError("the instance must be a JSON object with mentors and mentees")
    _check_keys(d, _TOP_KEYS, "instance")
    for key in ("mentors", "mentees"):
        if key not in d:
            raise InstanceError(f"instance: missing {show(key)} list")
        if not isinstance(d[key], list):
            raise InstanceError(f"instance: {key} must be a list")
    mentors = []
    append = mentors.append
    for pos, row in enumerate(d["mentors"]):
        if not isinstance(row, dict):
            raise InstanceError(f"mentors[{pos}]: must be an object, got {show(row)}")

        def where(pos=pos, row=row):
            return _label("mentors", pos, row.get("id"))

        _check_keys(row, _MENTOR_KEYS, where)
        if "id" not in row:
            raise InstanceError(f"{where()}: missing id")
        if "capacity" not in row:
            raise InstanceError(f"{where()}: missing capacity")
        ranking = row.get("ranking")
        if ranking is not None and not isinstance(ranking, list):
            raise InstanceError(f"{where()}: ranking must be a list of mentee ids")
        append(
            Mentor(
                row["id"],
                row["capacity"],
                ranking,
                _text(row, "institution", where),
                row.get("career_stage"),
                _text(row, "interests", where) or "",
                _attributes(row, where),
            )
        )
    mentees = []
    append = mentees.append
    for pos, row in enumerate(d["mentees"]):
        if not isinstance(row, dict):
            raise InstanceError(f"mentees[{pos}]: must be an object, got {show(row)}")

        def where(pos=pos, row=row):
            return _label("mentees", pos, row.get("id"))

        _check_keys(row, _MENTEE_KEYS, where)
        if "id" not in row:
            raise InstanceError(f"{where()}: missing id")
        append(
            Mentee(
                row["id"],
                _list_of(row, "choices", where),
                _text(row, "institution", where),
                row.get("career_stage"),
                _text(row, "interests", where) or "",
                _attributes(row, where),
                _list_of(row, "wants_shared", where),
                _list_of(row, "avoid", where),
                _list_of(row, "groups", where),
            )
        )
    return Instance(
        mentors=mentors,
        mentees=mentees,
        settings=settings_from_dict(d.get("settings")),
        pinned=_pairs(d, "pinned"),
        forbidden=_pairs(d, "forbidden"),
    )


# --------------------------------------------------------------------------- checks


def check_settings(s: Settings) -> None:
    """Raise :class:`InstanceError` if the settings are invalid."""
    if not isinstance(s, Settings):
        raise InstanceError(f"settings must be a Settings, got {type(s).__name__}")
    if not isinstance(s.weights, dict):
        raise InstanceError("settings: weights must be an object")
    for key, val in s.weights.items():
        if key not in COMPONENTS:
            raise InstanceError(
                f"settings: unknown weight {show(key)} (known: {', '.join(COMPONENTS)})"
            )
        if isinstance(val, bool) or not isinstance(val, int | float) or not math.isfinite(val):
            raise InstanceError(f"settings: weight {show(key)} must be a number, got {show(val)}")
        if val < 0:
            raise InstanceError(f"settings: weight {show(key)} must be ≥ 0, got {show(val)}")
    if sum(float(s.weights.get(k, DEFAULT_WEIGHTS[k])) for k in COMPONENTS) <= 0:
        raise InstanceError("settings: at least one weight must be greater than 0")
    if not isinstance(s.different_institutions, bool):
        raise InstanceError(
            f"settings: different_institutions must be true or false, "
            f"got {show(s.different_institutions)}"
        )
    if not _is_whole(s.ideal_seniority_gap) or s.ideal_seniority_gap < 0:
        raise InstanceError(
            f"settings: ideal_seniority_gap must be a whole number ≥ 0, "
            f"got {show(s.ideal_seniority_gap)}"
        )
    if s.max_choices is not None and (not _is_whole(s.max_choices) or s.max_choices < 1):
        raise InstanceError(
            f"settings: max_choices must be a whole number ≥ 1 or null, got {show(s.max_choices)}"
        )
    if not _is_whole(s.fallback_full_limit) or s.fallback_full_limit < 0:
        raise InstanceError(
            f"settings: fallback_full_limit must be a whole number ≥ 0, "
            f"got {show(s.fallback_full_limit)}"
        )
    if not _is_whole(s.fallback_candidates) or s.fallback_candidates < 1:
        raise InstanceError(
            f"settings: fallback_candidates must be a whole number ≥ 1, "
            f"got {show(s.fallback_candidates)}"
        )
    if not isinstance(s.policy, str) or s.policy not in POLICIES:
        raise InstanceError(
            f"settings: policy must be one of {', '.join(map(show, POLICIES))}, got {show(s.policy)}"
        )


def normalised(value: Any) -> str:
    """Normalised text of an institution or attribute value ('' if unknown)."""
    if value is None:
        return ""
    text = str(value).strip().casefold()
    if text in ("prefer_not_to_say", "prefer not to say"):
        return ""
    return text


RULE_TEXT = {
    "self": "this is you",
    "avoid": "you asked not to be matched with this mentor",
    "forbidden": "a match between you was declined or ended before",
    "institution": "you are at the same institution and this scheme pairs people "
    "across institutions",
}
"""Plain-words explanation of each hard rule, used when a choice is dropped."""


@dataclass(slots=True)
class Prepared:
    """An instance indexed by integer position (internal)."""

    instance: Instance
    n: int
    m: int
    mentor_index: dict[str, int]
    mentee_index: dict[str, int]
    capacity: list[int]  # capacity left after pinned pairs
    pinned: dict[int, int]  # mentee -> mentor
    choice_ptr: np.ndarray  # CSR over all choices (as mentor indices)
    choice_mentor: np.ndarray
    acc_ptr: np.ndarray  # CSR over acceptable choices
    acc_mentor: np.ndarray
    acc_rank: np.ndarray  # 0-based position in the mentee's original choices
    dropped: dict[int, list[tuple[int, str]]]
    blocked: dict[int, dict[int, str]]  # mentee -> {mentor: "avoid"|"forbidden"}
    blocked_codes: np.ndarray  # sorted i*m+j of blocked pairs
    same_person: np.ndarray  # mentee -> mentor index of the same person or -1
    mentee_inst: np.ndarray  # institution code or -1
    mentor_inst: np.ndarray
    ranking_pos: dict[int, dict[int, int]]  # mentor -> {mentee: position}
    rank_code: np.ndarray = None  # sorted j * n + i of explicit rankings
    rank_value: np.ndarray = None  # position in the ranking, aligned with rank_code
    # fields already read into lists by the checks (by name), for the scorer (which
    # releases them)
    columns_e: dict[str, list] | None = None
    columns_r: dict[str, list] | None = None

    def n_choices(self, i: int) -> int:
        """Number of choices mentee i made (acceptable or not)."""
        return int(self.choice_ptr[i + 1] - self.choice_ptr[i])

    def choice_rank(self, i: int, j: int) -> int | None:
        """1-based position of mentor j among mentee i's choices, or None."""
        row = self.choice_mentor[self.choice_ptr[i] : self.choice_ptr[i + 1]]
        hit = np.flatnonzero(row == j)
        return int(hit[0]) + 1 if len(hit) else None

    def violation(self, i: int, j: int) -> str | None:
        """The hard rule that pair (mentee i, mentor j) breaks, or None."""
        if self.same_person[i] == j:
            return "self"
        rule = self.blocked.get(i, {}).get(j)
        if rule is not None:
            return rule
        if self.instance.settings.different_institutions:
            a = self.mentee_inst[i]
            if a >= 0 and a == self.mentor_inst[j]:
                return "institution"
        return None

    def allowed(self, mi: np.ndarray, mj: np.ndarray) -> np.ndarray:
        """Vectorised: which pairs (mi[k], mj[k]) keep every hard rule."""
        ok = self.same_person[mi] != mj
        if self.instance.settings.different_institutions:
            a = self.mentee_inst[mi]
            ok &= ~((a >= 0) & (a == self.mentor_inst[mj]))
        if self.blocked_codes.size:
            bc = self.blocked_codes
            has = np.zeros(self.n, dtype=bool)
            has[bc // self.m] = True
            sel = np.flatnonzero(has[mi])  # pairs of mentees who have blocked pairs
            codes = mi[sel].astype(np.int64) * self.m + mj[sel]
            pos = np.minimum(np.searchsorted(bc, codes), len(bc) - 1)
            ok[sel[bc[pos] == codes]] = False
        return ok


def _entry(person: Any, cls: type, kind: str, pos: int, index: dict[str, int]) -> str:
    """Check that ``kind[pos]`` is a ``cls`` with a valid id not seen before in ``index`` (the
    ids of the same kind so far, by key), record its id there and return its label for
    messages."""
    if not isinstance(person, cls):
        raise InstanceError(
            f"{kind}[{pos}]: expected a {cls.__name__}, got {type(person).__name__}"
        )
    where = _label(kind, pos, person.id)
    if not _is_id(person.id):
        raise InstanceError(
            f"{where}: id must be a non-empty string or an integer, got {show(person.id)}"
        )
    key = id_key(person.id)
    if key in index:
        raise InstanceError(
            f"{where}: duplicate {kind[:-1]} id {show(person.id)} (also {kind}[{index[key]}])"
        )
    index[key] = pos
    return where


def _check_person_common(p: Any, where: str) -> None:
    if p.career_stage is not None and not _is_whole(p.career_stage):
        raise InstanceError(
            f"{where}: career_stage must be a whole number or null, got {show(p.career_stage)}"
        )
    if p.institution is not None and not isinstance(p.institution, str):
        raise InstanceError(f"{where}: institution must be a string, got {show(p.institution)}")
    if p.interests is not None and not isinstance(p.interests, str):
        raise InstanceError(f"{where}: interests must be a string, got {show(p.interests)}")
    if not isinstance(p.attributes, dict):
        raise InstanceError(f"{where}: attributes must be an object")


def _first_error(instance: Instance) -> None:
    """The checks of :func:`prepare`, one entry at a time: raises the
    :class:`InstanceError` naming the first offending entry, in the order the messages
    promise (settings; each mentor; each mentee; forbidden pairs; rankings; pinned
    pairs); returns if the instance is valid.

    :func:`prepare` calls it only when its vectorised checks find anything unusual; the
    index itself is built in one place, :func:`_index`.
    """
    if not isinstance(instance, Instance):
        raise InstanceError(f"expected an Instance, got {type(instance).__name__}")
    if not isinstance(instance.mentors, list) or not isinstance(instance.mentees, list):
        raise InstanceError("instance: mentors and mentees must be lists")
    settings = instance.settings
    check_settings(settings)
    mentors, mentees = instance.mentors, instance.mentees

    mentor_index: dict[str, int] = {}
    capacity: list[int] = []
    for j, mentor in enumerate(mentors):
        where = _entry(mentor, Mentor, "mentors", j, mentor_index)
        if not _is_whole(mentor.capacity) or mentor.capacity < 0:
            raise InstanceError(
                f"{where}: capacity must be a whole number ≥ 0, got {show(mentor.capacity)}"
            )
        capacity.append(mentor.capacity)
        _check_person_common(mentor, where)

    rows = None if instance.choices is None else _columnar_rows(instance.choices, len(mentees))
    mentee_index: dict[str, int] = {}
    blocked: dict[int, dict[int, str]] = {}
    max_choices = settings.max_choices
    for i, mentee in enumerate(mentees):
        where = _entry(mentee, Mentee, "mentees", i, mentee_index)
        _check_person_common(mentee, where)
        chs = mentee.choices
        if not isinstance(chs, list | tuple):
            raise InstanceError(f"{where}: choices must be a list of mentor ids")
        if rows is not None:
            if chs:
                raise InstanceError(
                    f"{where}: choices given both here and in the instance's columnar choices"
                )
            row = rows[i]
            for j in row:
                if not 0 <= j < len(mentors):
                    raise InstanceError(
                        f"{where}: choice at mentor position {j} is not a mentor position "
                        f"(there are {len(mentors)} mentors)"
                    )
            chs = [mentors[j].id for j in row]
        else:
            row = [mentor_index.get(_key_or_none(c)) for c in chs]
        if max_choices is not None and len(chs) > max_choices:
            raise InstanceError(
                f"{where}: {len(chs)} choices but the scheme allows at most {max_choices}"
            )
        _choice_error(where, chs, row)
        ws = mentee.wants_shared
        if not isinstance(ws, list | tuple) or not all(type(k) is str for k in ws):
            raise InstanceError(f"{where}: wants_shared must be a list of attribute names")
        gs = mentee.groups
        if not isinstance(gs, list | tuple) or not all(type(g) is str and g for g in gs):
            raise InstanceError(f"{where}: groups must be a list of non-empty group labels")
        av = mentee.avoid
        if av:
            if not isinstance(av, list | tuple):
                raise InstanceError(f"{where}: avoid must be a list of mentor ids")
            for a in av:
                if not _is_id(a):
                    raise InstanceError(f"{where}: avoid entry {show(a)} is not a valid id")
                j = mentor_index.get(id_key(a))
                if j is not None:  # unknown ids cannot be matched anyway
                    blocked.setdefault(i, {})[j] = "avoid"

    if not isinstance(instance.forbidden, list | tuple):
        raise InstanceError("forbidden must be a list of [mentee id, mentor id] pairs")
    for pos, pair in enumerate(instance.forbidden):
        if not (isinstance(pair, list | tuple) and len(pair) == 2) or not all(
            _is_id(x) for x in pair
        ):
            raise InstanceError(
                f"forbidden[{pos}]: must be a pair [mentee id, mentor id], got {show(pair)}"
            )
        i = mentee_index.get(id_key(pair[0]))
        j = mentor_index.get(id_key(pair[1]))
        if i is not None and j is not None:  # people not in this round are irrelevant
            blocked.setdefault(i, {}).setdefault(j, "forbidden")

    for j, mentor in enumerate(mentors):
        if mentor.ranking is None:
            continue
        where = _label("mentors", j, mentor.id)
        if not isinstance(mentor.ranking, list | tuple):
            raise InstanceError(f"{where}: ranking must be a list of mentee ids")
        seen: set[int] = set()
        for r in mentor.ranking:
            i = mentee_index.get(id_key(r)) if _is_id(r) else None
            if i is None:
                raise InstanceError(f"{where}: ranking entry {show(r)} is not a known mentee id")
            if i in seen:
                raise InstanceError(f"{where}: ranking lists mentee {show(r)} more than once")
            seen.add(i)

    if not isinstance(instance.pinned, list | tuple):
        raise InstanceError("pinned must be a list of [mentee id, mentor id] pairs")
    pinned: set[int] = set()
    for pos, pair in enumerate(instance.pinned):
        if not (isinstance(pair, list | tuple) and len(pair) == 2) or not all(
            _is_id(x) for x in pair
        ):
            raise InstanceError(
                f"pinned[{pos}]: must be a pair [mentee id, mentor id], got {show(pair)}"
            )
        where = f"pinned[{pos}] ({show(pair[0])}, {show(pair[1])})"
        i = mentee_index.get(id_key(pair[0]))
        j = mentor_index.get(id_key(pair[1]))
        if i is None:
            raise InstanceError(f"{where}: {show(pair[0])} is not a known mentee id")
        if j is None:
            raise InstanceError(f"{where}: {show(pair[1])} is not a known mentor id")
        if i in pinned:
            raise InstanceError(f"{where}: mentee {show(pair[0])} is pinned more than once")
        rule = _rule_broken(instance, i, j, blocked, mentor_index)
        if rule is not None:
            raise InstanceError(f"{where}: breaks a hard rule: {RULE_TEXT[rule]}")
        if capacity[j] <= 0:
            raise InstanceError(
                f"{where}: mentor {show(pair[1])} has no capacity left for this pinned pair "
                f"(capacity {mentors[j].capacity})"
            )
        capacity[j] -= 1
        pinned.add(i)


def _rule_broken(instance: Instance, i: int, j: int, blocked: dict, mentor_index: dict):
    """The hard rule pair (mentee i, mentor j) breaks, or None (as Prepared.violation)."""
    mentee, mentor = instance.mentees[i], instance.mentors[j]
    if mentor_index.get(id_key(mentee.id)) == j:
        return "self"
    rule = blocked.get(i, {}).get(j)
    if rule is not None:
        return rule
    if instance.settings.different_institutions:
        a = normalised(mentee.institution)
        if a and a == normalised(mentor.institution):
            return "institution"
    return None


def _plain(instance: Instance) -> Instance:
    """A copy of a valid instance in the exact types the vectorised checks expect (lists,
    :class:`Mentor` and :class:`Mentee`, ``str`` and ``int``), with equal values: what
    those checks call unusual without being invalid is a subclass of one of them."""

    def pid(x):
        return x if type(x) is str or type(x) is int else (str(x) if isinstance(x, str) else int(x))

    def text(x):
        return None if x is None else str(x)

    def whole(x):
        return None if x is None else int(x)

    mentors = [
        Mentor(
            id=pid(r.id),
            capacity=int(r.capacity),
            ranking=None if r.ranking is None else [pid(x) for x in r.ranking],
            institution=text(r.institution),
            career_stage=whole(r.career_stage),
            interests=text(r.interests),
            attributes=dict(r.attributes),
        )
        for r in instance.mentors
    ]
    mentees = [
        Mentee(
            id=pid(e.id),
            choices=[pid(x) for x in e.choices],
            institution=text(e.institution),
            career_stage=whole(e.career_stage),
            interests=text(e.interests),
            attributes=dict(e.attributes),
            wants_shared=list(e.wants_shared),
            avoid=list(e.avoid or []),
            groups=list(e.groups),
        )
        for e in instance.mentees
    ]
    return Instance(
        mentors=mentors,
        mentees=mentees,
        settings=instance.settings,
        pinned=list(instance.pinned),
        forbidden=list(instance.forbidden),
        choices=instance.choices,
    )


def _whole_array(values: Any) -> np.ndarray | None:
    """``values`` as a new one-dimensional int64 array if they are whole numbers (an integer
    numpy array, or a list or tuple of ``int``), else None."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1 or values.dtype.kind not in "iu":
            return None
        if values.dtype.kind == "u" and len(values) and values.max() > np.iinfo(np.int64).max:
            return None
        return values.astype(np.int64)  # (a copy: the index must not follow the caller's array)
    if not isinstance(values, list | tuple) or not _types(values) <= {int}:
        return None
    try:
        return np.array(values, dtype=np.int64).reshape(-1)
    except OverflowError:
        return None


def _columnar_arrays(choices: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, mentor) of columnar choices for ``n`` mentees as int64 arrays, their shape checked
    (mentor positions not checked against the mentors), or the :class:`InstanceError` saying
    what is wrong with it."""
    if not isinstance(choices, Choices):
        raise InstanceError(f"choices must be a Choices, got {type(choices).__name__}")
    ptr, mentor = _whole_array(choices.ptr), _whole_array(choices.mentor)
    if ptr is None:
        raise InstanceError("choices: ptr must be a list of whole numbers")
    if mentor is None:
        raise InstanceError("choices: mentor must be a list of whole numbers")
    if len(ptr) != n + 1:
        raise InstanceError(
            f"choices: ptr must have one entry per mentee and one more ({n + 1}), got {len(ptr)}"
        )
    if ptr[0] != 0 or ptr[-1] != len(mentor) or (np.diff(ptr) < 0).any():
        raise InstanceError(
            f"choices: ptr must rise from 0 to the number of choices ({len(mentor)}) "
            "without ever decreasing"
        )
    return ptr, mentor


def _columnar_rows(choices: Any, n: int) -> list[list[int]]:
    """Each mentee's row of columnar choices (mentor positions, not checked against the
    mentors), or the :class:`InstanceError` saying what is wrong with their shape."""
    ptr, mentor = _columnar_arrays(choices, n)
    at, flat = ptr.tolist(), mentor.tolist()
    return [flat[at[i] : at[i + 1]] for i in range(n)]


def _columnar(choices: Any, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(number of choices of each mentee, mentor position of each choice) of valid columnar
    choices; ``_Unusual`` on anything else."""
    try:
        ptr, mentor = _columnar_arrays(choices, n)
    except InstanceError:
        raise _Unusual from None
    if len(mentor) and (mentor.min() < 0 or mentor.max() >= m):
        raise _Unusual
    return np.diff(ptr), mentor


def columnar_choices(instance: Instance) -> Instance:
    """Turn the mentees' choices of ``instance`` into :class:`Choices` (mentor positions), in
    place, when the mentor ids are all strings or all integers and every choice is one of
    them, of the same type; otherwise leave ``instance`` as it was, for :func:`prepare` to
    name the first error with the usual message. Returns ``instance``.

    For the command line's file reader, which holds the choices' ids in lists of decoded
    JSON: each id is looked up here, once (so reading the file does what :func:`prepare`
    did for these lists), and :func:`prepare` checks and indexes the positions."""
    if instance.choices is not None:
        return instance
    mentors, mentees = instance.mentors, instance.mentees
    ids = list(map(_ID, mentors))
    types = _types(ids)
    if types != {str} and types != {int}:
        return instance
    index = dict(zip(ids, range(len(ids)), strict=True))
    if len(index) != len(ids):
        return instance  # (a duplicate id: prepare names it)
    chs = list(map(attrgetter("choices"), mentees))
    if not _types(chs) <= {list}:
        return instance
    total = sum(map(len, chs))
    if types == {int} and not _types(chain.from_iterable(chs)) <= {int}:
        return instance  # (True and 1.0 would find mentor 1; 1 would not find "1")
    try:
        mentor = _positions_of(ids, index, chain.from_iterable(chs), total)
    except (TypeError, _Unusual):  # (an unhashable choice; one that is not a mentor id)
        return instance
    ptr = np.zeros(len(mentees) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, chs), dtype=np.int64, count=len(chs)), out=ptr[1:])
    for mentee in mentees:
        mentee.choices = []
    instance.choices = Choices(ptr, mentor)
    return instance


_SLOTS_FROM = 1 << 15  # mentors (measured: the dict is faster at 25,000, slower at 50,000)


def _positions_of(ids: list, index: dict, choices, total: int) -> np.ndarray:
    """The position in ``ids`` (distinct, all ``str`` or all ``int``; ``index`` maps each to
    its position) of each of the ``total`` ``choices``; ``_Unusual`` if one is not among them,
    TypeError if one is unhashable.

    The same answer as ``index[c]`` for each choice, found with fewer cache misses: a dict
    lookup makes three that depend on each other (the hash table, the entry, the key), and
    with 100,000 mentors they reach beyond the processor's cache. Here each choice's hash
    picks a slot of a table of positions, gathered for all choices at once, and the id in
    that slot is compared with the choice, all at once too: exact, as the dict's compare is.
    A choice whose slot holds another id (two mentors' hashes can share a slot; the second
    one's choices) or no id is looked up in ``index``. Below ``_SLOTS_FROM`` mentors the dict
    stays in the cache and is the faster: it looks up every choice (docs/benchmarks.md)."""
    m = len(ids)
    if m < _SLOTS_FROM:
        try:
            return np.fromiter(map(index.get, choices), dtype=np.int64, count=total)
        except TypeError:  # (None, for a choice that is not a mentor id; or unhashable)
            raise _Unusual from None
    bits = max(10, m.bit_length() + 3)  # (8 to 16 slots a mentor: few share one)
    mask = (1 << bits) - 1
    table = np.full(mask + 1, m, dtype=np.int64)  # (m: no mentor in the slot)
    table[np.fromiter(map(hash, ids), dtype=np.int64, count=m) & mask] = np.arange(m)
    known = np.empty(m + 1, dtype=object)
    known[:m], known[m] = ids, object()  # (an object equal to nothing but itself)
    flat = np.fromiter(choices, dtype=object, count=total)
    pos = table[np.fromiter(map(hash, flat), dtype=np.int64, count=total) & mask]
    other = np.flatnonzero(known[pos] != flat)
    if len(other):
        found = list(map(index.get, flat[other].tolist()))
        if None in found:
            raise _Unusual
        pos[other] = found
    return pos


# --------------------------------------------------------------------------- fast path


class _Unusual(Exception):
    """Something the vectorised checks do not handle: check entry by entry."""


def prepare(instance: Instance) -> Prepared:
    """Check an instance and index it by position.

    Vectorised: ids become integer codes through one dict each, choices are
    flattened into arrays and checked with numpy. Whenever anything is unusual
    (an invalid entry, an unexpected type) the checks are redone entry by entry
    (:func:`_first_error`), which raises the error naming the first offending
    entry; a valid instance in unusual types (subclasses of list, str, int ...)
    is indexed as a copy in the plain types, and the result refers to the
    instance given.

    Raises
    ------
    InstanceError
        On duplicate ids, unknown mentor ids among choices, bad capacities,
        invalid pinned pairs and the like.
    """
    try:
        return _index(instance)
    except _Unusual:
        _first_error(instance)  # raises if the instance is invalid
    try:
        prep = _index(_plain(instance))
    except _Unusual:  # pragma: no cover - _plain gives the types _index reads
        raise RuntimeError("prepare: a valid instance was not indexed") from None
    prep.instance = instance
    return prep


_ID_TYPES = {str, int}
_ID = attrgetter("id")


def _types(values) -> set:
    return set(map(type, values))


def _fast_keys(ids: list) -> list[str]:
    """id_key of every id, or _Unusual if any id is not a valid id."""
    types = _types(ids)
    if not types <= _ID_TYPES:
        raise _Unusual
    if str in types:
        strs = ids if len(types) == 1 else [s for s in ids if type(s) is str]
        if not all(map(str.strip, strs)):
            raise _Unusual
        if int in types:
            return [x if type(x) is str else str(x) for x in ids]
        return ids
    return list(map(str, ids))


_COMMON_TYPES = (
    ("career_stage", {int, type(None)}),
    ("institution", {str, type(None)}),
    ("interests", {str, type(None)}),
    ("attributes", {dict}),
)


def _fast_common(people: list) -> dict[str, list]:
    """The common fields of ``people`` as lists (checked), by field name."""
    columns = {}
    for name, allowed in _COMMON_TYPES:
        columns[name] = values = list(map(attrgetter(name), people))
        if not _types(values) <= allowed:
            raise _Unusual
    return columns


def _inst_codes(mentor_vals: list, mentee_vals: list) -> tuple[np.ndarray, np.ndarray]:
    get = TextCodes(normalised).__getitem__  # (str or None: validated) coded as first seen
    return (
        np.fromiter(map(get, mentor_vals), dtype=np.int64, count=len(mentor_vals)),
        np.fromiter(map(get, mentee_vals), dtype=np.int64, count=len(mentee_vals)),
    )


def _choice_positions(chs: list, total: int, mentor_get) -> np.ndarray:
    """The mentor position of each choice id in the lists ``chs``; ``_Unusual`` if any is
    not a known mentor id."""
    try:  # mentor keys are str: anything else misses (None, which fromiter refuses)
        return np.fromiter(map(mentor_get, chain.from_iterable(chs)), dtype=np.int64, count=total)
    except TypeError:  # integer ids (as text in the index), or something invalid
        flat = list(chain.from_iterable(chs))
        ftypes = _types(flat)
        if not ftypes <= _ID_TYPES or bool in ftypes:
            raise _Unusual from None
        flat = [c if type(c) is str else str(c) for c in flat]
        codes = list(map(mentor_get, flat))
        if None in codes:
            raise _Unusual from None
        return np.array(codes, dtype=np.int64)


def _index(instance: Instance) -> Prepared:
    """The index of a valid instance in plain types; ``_Unusual`` on anything else
    (an invalid entry or an unexpected type)."""
    if not isinstance(instance, Instance):
        raise _Unusual
    mentors, mentees = instance.mentors, instance.mentees
    if type(mentors) is not list or type(mentees) is not list:
        raise _Unusual
    settings = instance.settings
    check_settings(settings)
    n, m = len(mentees), len(mentors)
    if not _types(mentors) <= {Mentor} or not _types(mentees) <= {Mentee}:
        raise _Unusual

    # mentors
    r_keys = _fast_keys(list(map(_ID, mentors)))
    mentor_index = dict(zip(r_keys, range(m), strict=True))
    if len(mentor_index) != m:
        raise _Unusual
    capacity = list(map(attrgetter("capacity"), mentors))
    if not _types(capacity) <= {int} or (m and min(capacity) < 0):
        raise _Unusual
    cols_r = _fast_common(mentors)

    # mentees
    e_keys = _fast_keys(list(map(_ID, mentees)))
    mentee_index = dict(zip(e_keys, range(n), strict=True))
    if len(mentee_index) != n:
        raise _Unusual
    cols_e = _fast_common(mentees)
    mentor_get = mentor_index.get
    same_person = np.full(n, -1, dtype=np.int64)  # the mentor with the mentee's id, if any
    both = list(mentor_index.keys() & mentee_index.keys())  # (looks up the fewer ids)
    if both:
        same_person[[mentee_index[k] for k in both]] = [mentor_index[k] for k in both]
    mentor_inst, mentee_inst = _inst_codes(cols_r["institution"], cols_e["institution"])

    # choices, flattened: mentor positions as given (columnar), or each id looked up
    chs = list(map(attrgetter("choices"), mentees))
    if not _types(chs) <= {list, tuple}:
        raise _Unusual
    if instance.choices is not None:
        if any(chs):
            raise _Unusual  # choices given twice
        lens, choice_mentor = _columnar(instance.choices, n, m)
    else:
        lens = np.fromiter(map(len, chs), dtype=np.int64, count=n)
        choice_mentor = _choice_positions(chs, int(lens.sum()), mentor_get)
    if settings.max_choices is not None and n and lens.max() > settings.max_choices:
        raise _Unusual
    choice_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=choice_ptr[1:])
    row_of = np.repeat(np.arange(n, dtype=np.int64), lens)
    if len(choice_mentor) > 1:
        # (the keys are in order but within each mentee's few choices: the stable sort, timsort
        # for these, runs through them in linear time, 10 ns a key at 50,000 and at 400,000
        # mentees, where the default sort took 47 and 58 ns)
        key = np.sort(row_of * max(m, 1) + choice_mentor, kind="stable")
        if (key[1:] == key[:-1]).any():
            raise _Unusual  # a choice listed twice

    # wants_shared
    cols_e["wants_shared"] = ws = list(map(attrgetter("wants_shared"), mentees))
    if not _types(ws) <= {list, tuple} or not _types(chain.from_iterable(ws)) <= {str}:
        raise _Unusual
    cols_e["groups"] = gs = list(map(attrgetter("groups"), mentees))
    if not _types(gs) <= {list, tuple} or not _types(chain.from_iterable(gs)) <= {str}:
        raise _Unusual
    if "" in chain.from_iterable(gs):
        raise _Unusual

    # avoid lists and forbidden pairs
    blocked: dict[int, dict[int, str]] = {}
    avoids = list(map(attrgetter("avoid"), mentees))
    for i in compress(range(n), avoids):  # the few mentees with an avoid list
        av = avoids[i]
        if not isinstance(av, list | tuple) or not all(_is_id(a) for a in av):
            raise _Unusual
        for a in av:
            j = mentor_get(id_key(a))
            if j is not None:
                blocked.setdefault(i, {})[j] = "avoid"

    if not isinstance(instance.forbidden, list | tuple):
        raise _Unusual
    for pair in instance.forbidden:
        if not (isinstance(pair, list | tuple) and len(pair) == 2) or not all(
            _is_id(x) for x in pair
        ):
            raise _Unusual
        i = mentee_index.get(id_key(pair[0]))
        j = mentor_index.get(id_key(pair[1]))
        if i is not None and j is not None:
            blocked.setdefault(i, {}).setdefault(j, "forbidden")

    # explicit rankings
    ranking_pos: dict[int, dict[int, int]] = {}
    rank_code = rank_value = np.zeros(0, dtype=np.int64)
    mentee_get = mentee_index.get
    ranked = [(j, p.ranking) for j, p in enumerate(mentors) if p.ranking is not None]
    if ranked:
        if not _types([r for _, r in ranked]) <= {list, tuple}:
            raise _Unusual
        flat_r = list(chain.from_iterable(r for _, r in ranked))
        rtypes = _types(flat_r)
        if not rtypes <= _ID_TYPES:
            raise _Unusual
        if int in rtypes:
            flat_r = [r if type(r) is str else str(r) for r in flat_r]
        rows_r = list(map(mentee_get, flat_r))
        if None in rows_r:
            raise _Unusual
        start = 0
        for j, ranking in ranked:
            rows = rows_r[start : start + len(ranking)]
            start += len(ranking)
            pos_map = dict(zip(rows, range(len(rows)), strict=True))
            if len(pos_map) != len(rows):
                raise _Unusual  # a mentee ranked twice
            ranking_pos[j] = pos_map
        # codes j * n + i, sorted, with the positions
        lens_r = np.fromiter((len(r) for _, r in ranked), dtype=np.int64, count=len(ranked))
        starts = np.cumsum(lens_r) - lens_r
        code = np.repeat(np.array([j for j, _ in ranked], dtype=np.int64), lens_r) * n
        code += np.array(rows_r, dtype=np.int64)
        order = np.argsort(code, kind="stable")
        rank_code = code[order]
        rank_value = (np.arange(len(code), dtype=np.int64) - np.repeat(starts, lens_r))[order]

    codes_b = [i * m + j for i, row in blocked.items() for j in row]
    prep = Prepared(
        instance=instance,
        n=n,
        m=m,
        mentor_index=mentor_index,
        mentee_index=mentee_index,
        capacity=capacity,
        pinned={},
        choice_ptr=choice_ptr,
        choice_mentor=choice_mentor,
        acc_ptr=np.zeros(n + 1, dtype=np.int64),
        acc_mentor=np.zeros(0, dtype=np.int64),
        acc_rank=np.zeros(0, dtype=np.int64),
        dropped={},
        blocked=blocked,
        blocked_codes=np.array(sorted(codes_b), dtype=np.int64),
        same_person=same_person,
        mentee_inst=mentee_inst,
        mentor_inst=mentor_inst,
        ranking_pos=ranking_pos,
        columns_e=cols_e,
        columns_r=cols_r,
    )

    # pinned pairs
    if not isinstance(instance.pinned, list | tuple):
        raise _Unusual
    for pair in instance.pinned:
        if not (isinstance(pair, list | tuple) and len(pair) == 2) or not all(
            _is_id(x) for x in pair
        ):
            raise _Unusual
        i = mentee_index.get(id_key(pair[0]))
        j = mentor_index.get(id_key(pair[1]))
        if i is None or j is None or i in prep.pinned or prep.violation(i, j) is not None:
            raise _Unusual
        if capacity[j] <= 0:
            raise _Unusual
        capacity[j] -= 1
        prep.pinned[i] = j

    # Acceptable choices: every hard rule checked on the flat arrays at once.
    keep = np.ones(len(choice_mentor), dtype=bool)
    if prep.pinned:
        keep &= ~np.isin(row_of, np.fromiter(prep.pinned, dtype=np.int64))
    mi, mj = row_of[keep], choice_mentor[keep]
    rank = (np.arange(len(choice_mentor), dtype=np.int64) - choice_ptr[row_of])[keep]
    ok = prep.allowed(mi, mj)
    dropped = prep.dropped
    bad_i, bad_j = mi[~ok], mj[~ok]
    is_self = (prep.same_person[bad_i] == bad_j).tolist()
    get_blocked = blocked.get
    for i, j, me in zip(bad_i.tolist(), bad_j.tolist(), is_self, strict=True):
        rule = "self" if me else get_blocked(i, {}).get(j, "institution")
        dropped.setdefault(i, []).append((j, rule))
    mi, mj, rank = mi[ok], mj[ok], rank[ok]
    prep.acc_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(mi, minlength=n), out=prep.acc_ptr[1:])
    prep.acc_mentor = mj
    prep.acc_rank = rank
    prep.rank_code, prep.rank_value = rank_code, rank_value
    return prep
