"""Turning submitted or imported answers into stored values, the same way for both.

Stored shape per field code: ``(value, text)``. ``single``: option code (``"other"`` with text);
``multiple``: list of option codes; scales and numbers: int; ``text``: text only; a matrix row
(``code.row``): int on the agreement scale.
"""

from __future__ import annotations

from equimentor.evaluation.definitions import (
    CHOICE_TYPES,
    OTHER,
    fields_of,
    option_labels,
    scale_choices,
)

MAX_TEXT = 5000


class AnswerError(ValueError):
    pass


def shown(item: dict, values: dict) -> bool:
    """Whether a conditional item is asked, given the answers so far."""
    cond = item.get("show_if")
    if not cond:
        return True
    got = values.get(cond["item"], (None, ""))[0]
    got = got if isinstance(got, list) else [got]
    return any(g in cond["in"] for g in got if g is not None)


def _int(raw, lo: int, hi: int) -> int:
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError) as exc:
        raise AnswerError(f"'{raw}' is not a whole number") from exc
    if not lo <= number <= hi:
        raise AnswerError(f"{number} is outside {lo}–{hi}")
    return number


def clean_item(item: dict, raw: dict) -> dict[str, tuple]:
    """Clean one item from ``raw`` (field code -> submitted value; ``code.other`` for other text).

    Returns only the fields answered. Raises :class:`AnswerError` on a bad value.
    """
    kind, code = item["type"], item["code"]
    out: dict[str, tuple] = {}
    if kind == "text":
        text = str(raw.get(code) or "").strip()
        if len(text) > MAX_TEXT:
            raise AnswerError(f"the answer is longer than {MAX_TEXT} characters")
        if text:
            out[code] = (None, text)
    elif kind in CHOICE_TYPES:
        allowed = option_labels(item)
        got = raw.get(code)
        picked = [g for g in (got if isinstance(got, list) else [got]) if g not in (None, "")]
        bad = [p for p in picked if p not in allowed]
        if bad:
            raise AnswerError(f"'{bad[0]}' is not one of the options")
        other_text = str(raw.get(f"{code}.other") or "").strip()[:MAX_TEXT]
        if other_text and item.get("other") and OTHER not in picked:
            picked.append(OTHER)
        if kind == "single" and len(picked) > 1:
            raise AnswerError("choose only one option")
        exclusive = {o["code"] for o in item.get("options", []) if o.get("exclusive")}
        if len(picked) > 1 and exclusive & set(picked):
            alone = allowed[next(c for c in picked if c in exclusive)]
            raise AnswerError(f"“{alone}” cannot be combined with other answers")
        if picked:
            value = picked[0] if kind == "single" else picked
            out[code] = (value, other_text if OTHER in picked else "")
    elif kind == "matrix":
        for field in fields_of(item):
            got = raw.get(field)
            if got not in (None, ""):
                out[field] = (_int(got, 1, 5), "")
    else:
        got = raw.get(code)
        if got not in (None, ""):
            if kind == "number":
                out[code] = (_int(got, item.get("min", 0), item.get("max", 1000)), "")
            else:
                values = [v for v, _ in scale_choices(item)]
                out[code] = (_int(got, min(values), max(values)), "")
    return out


def clean(items: list[dict], raw: dict) -> tuple[dict[str, tuple], dict[str, str]]:
    """Clean every item; return (answers, errors by item code). Unshown items are dropped."""
    values: dict[str, tuple] = {}
    errors: dict[str, str] = {}
    for item in items:
        try:
            got = clean_item(item, raw)
        except AnswerError as exc:
            errors[item["code"]] = str(exc)
            continue
        if not shown(item, values):
            continue
        if item.get("required") and not got:
            errors[item["code"]] = "this question needs an answer"
        values.update(got)
    return values, errors
