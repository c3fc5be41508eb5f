"""A proposal's reasons as each side may read them.

The engine writes reasons from the mentee's point of view ("your 2nd choice", "shared: ethnicity").
Identity dimensions are never named outside the coordinator's dry-run view: emails and the
mentor's page say only that characteristics the mentee asked for are shared.
"""

from __future__ import annotations

import re

from equimentor.identity.dimensions import DIMENSIONS

_CHOICE = re.compile(r"^your (\d+(?:st|nd|rd|th)) choice$")


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


def reasons_for(reasons: list[str], side: str) -> list[str]:
    """``side`` is "mentee" or "mentor"."""
    out = []
    for reason in reasons:
        if reason.startswith("shared:"):
            out.append(_shared(reason, side))
            continue
        choice = _CHOICE.match(reason)
        if choice and side == "mentor":
            out.append(f"you were their {choice.group(1)} choice")
            continue
        if side == "mentor" and reason.startswith("mentor ") and reason.endswith(" ahead"):
            out.append("you are " + reason.removeprefix("mentor "))
            continue
        out.append(reason)
    return [r for r in out if r]
