"""A proposal's reasons as each side may read them.

The engine writes reasons from the mentee's point of view ("your 2nd choice", "shared: ethnicity").
Identity dimensions are never named outside the coordinator's dry-run view: emails and the
mentor's page say only that characteristics the mentee asked for are shared. Notes on the mentee's
*other* choices that a hard rule left out ("your choice 22 was not considered: ...") name the
mentor when the run is stored (:func:`name_dropped_choices`) and are never shown to the mentor:
they tell of the mentee's conflicts of interest and past matches.
"""

from __future__ import annotations

import re

from equimentor.schemes.dimensions import DIMENSIONS

_CHOICE = re.compile(r"^your (\d+(?:st|nd|rd|th)) choice$")
_DROPPED = re.compile(r"^your choice (.+?) was not considered: (.+)$")
# A dropped choice whose reason the mentee must not learn (``adapter.explained_pairs``): the
# coordinator reads this, the mentee nothing at all (as when a mentor has no free place).
UNTOLD = "kept apart (not shown to the mentee)"


def name_dropped_choices(
    reasons: list[str], names: dict[str, str], untold: set[str] = frozenset()
) -> list[str]:
    """Put the mentor's name for the engine's id into notes on dropped choices.

    ``names`` maps the id as the engine shows it (a participant's pk, as text) to a name;
    ``untold`` holds the ids whose reason is not the mentee's to know (:data:`UNTOLD`).
    """
    out = []
    for reason in reasons:
        dropped = _DROPPED.match(reason)
        if dropped:
            who, why = dropped.group(1), dropped.group(2)
            if who in untold:
                why = UNTOLD
            reason = f"your choice {names.get(who, who)} was not considered: {why}"
        out.append(reason)
    return out


def dropped_choices(reasons: list[str]) -> list[tuple[str, str]]:
    """(engine id, why) of each note on a dropped choice."""
    return [(m.group(1), m.group(2)) for m in map(_DROPPED.match, reasons) if m]


def dropped_choice_ids(reasons: list[str]) -> set[str]:
    """The engine's ids of the mentors named in notes on dropped choices."""
    return {m.group(1) for m in map(_DROPPED.match, reasons) if m}


def _shared(reason: str, side: str) -> str:
    keys = [k.strip() for k in reason.removeprefix("shared:").split(",")]
    identity = [k for k in keys if k in DIMENSIONS]
    plain = [k.replace("_", " ") for k in keys if k not in DIMENSIONS]
    parts = []
    if identity:
        parts.append(
            "shares characteristics "
            + ("you" if side == "mentee" else "your mentee")
            + " asked for"
        )
    if plain:
        parts.append("same " + " and ".join(plain))
    return "; ".join(parts)


# The engine's words for the mentee ("your", "you"), as the coordinator reads them.
_FOR_COORDINATOR = [
    (re.compile(r"\byour (\d+(?:st|nd|rd|th)) choice\b"), r"the mentee's \1 choice"),
    (re.compile(r"\byour choice "), "the mentee's choice "),
    (re.compile(r"\bnone of your choices\b"), "none of the mentee's choices"),
    (re.compile(r"\ball your choices\b"), "all the mentee's choices"),
    (re.compile(r"\bbetween you\b"), "between them"),
    (re.compile(r": this is you\b"), ": this is the mentee"),
    (re.compile(r": you asked "), ": the mentee asked "),
    (re.compile(r": you are at the same institution"), ": they are at the same institution"),
    (re.compile(r"^you made no choices\b"), "the mentee made no choices"),
]


def for_coordinator(reason: str) -> str:
    """A reason (or an unmatched mentee's reason) in the third person, for the coordinator."""
    for pattern, replacement in _FOR_COORDINATOR:
        reason = pattern.sub(replacement, reason)
    return reason


def reasons_for(reasons: list[str], side: str) -> list[str]:
    """``side`` is "mentee", "mentor" or "coordinator" (the dry run: nothing left out)."""
    if side == "coordinator":
        return [for_coordinator(r) for r in reasons]
    out = []
    for reason in reasons:
        if reason.startswith("shared:"):
            out.append(_shared(reason, side))
            continue
        if side == "mentor" and _DROPPED.match(reason):
            continue  # about the mentee's other choices: theirs alone
        if reason.endswith(": " + UNTOLD) and _DROPPED.match(reason):
            continue  # a reason the mentee must not learn
        choice = _CHOICE.match(reason)
        if choice and side == "mentor":
            out.append(f"you were their {choice.group(1)} choice")
            continue
        if side == "mentor" and reason.startswith("mentor ") and reason.endswith(" ahead"):
            out.append("you are " + reason.removeprefix("mentor "))
            continue
        out.append(reason)
    return [r for r in out if r]
