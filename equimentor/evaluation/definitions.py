"""Questionnaire definitions: plain data (from YAML or JSON), validated here.

A definition is ``{"code", "title", "wave", "version", "intro", "items": [...]}``. Each item has a
stable ``code`` and a ``type``:

- ``single`` (options; ``other: true`` adds "Other, please say"), ``multiple`` (the same, ticks),
- ``agree5`` (1 strongly disagree … 5 strongly agree), ``stars`` (1–5), ``scale10`` (0–10),
- ``number`` (whole number, ``min``/``max``), ``text`` (free text),
- ``matrix`` (``rows``, each answered on the 5-point agreement scale; stored as ``code.row``).

Optional: ``roles`` (only mentors or mentees are asked; also on options), ``show_if``
(``{item, in: [codes]}``, asked only after that answer), ``required``, ``help``, ``section``,
``filter: true`` (a single-choice item results may be filtered by, and reports may group by),
``exclusive`` on an option, ``short`` (a short label for report columns, e.g. "Good relationship";
also on a matrix row).

Identity-mirroring items: ``dimension: <code>`` names a question of the identity catalogue
(``schemes.dimensions.DIMENSIONS``: ethnicity, gender, disability, caring, first_generation,
sexual_orientation, migration). Such an item is a single choice whose options come from the
catalogue, always with "Prefer not to say" (``prefer_not_to_say``); it is never required and is
always a filter, so results and the equity audit can group anonymous responses by it. Only
``code``, ``dimension`` and optionally ``text``, ``help``, ``section``, ``roles``, ``short`` and
``show_if`` are written; ``type`` (``single``), ``text`` (the catalogue's question), ``options``
and ``filter`` are filled in by :func:`validate`. The answer lives only in the anonymous response:
it is never joined to the person's identity answers from registration. At installation a
scheme keeps only the dimension items of the identity questions it asks
(:func:`for_dimensions`). For example::

    - code: disability
      dimension: disability
      section: For equity monitoring (optional)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates_data"
TYPES = {"single", "multiple", "agree5", "stars", "scale10", "number", "text", "matrix"}
CHOICE_TYPES = {"single", "multiple"}
SCALE_TYPES = {"agree5", "stars", "scale10"}
NUMERIC_TYPES = {"agree5", "stars", "scale10", "number"}
ROLES = ("mentee", "mentor")
WAVES = ("baseline", "month_6")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OTHER = "other"

AGREE5 = [
    (1, "Strongly disagree"),
    (2, "Disagree"),
    (3, "Neither agree nor disagree"),
    (4, "Agree"),
    (5, "Strongly agree"),
]
STARS = [(i, f"{i} star{'s' if i > 1 else ''}") for i in range(1, 6)]


class DefinitionError(ValueError):
    """The definition is not valid; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def scale_choices(item: dict) -> list[tuple[int, str]]:
    """The (value, label) pairs of a scale item (or of a matrix's rows)."""
    kind = item["type"]
    if kind in ("agree5", "matrix"):
        return AGREE5
    if kind == "stars":
        return STARS
    if kind == "scale10":
        low, high = item.get("low_label", ""), item.get("high_label", "")
        return [
            (
                i,
                f"{i}{' – ' + low if i == 0 and low else ''}{' – ' + high if i == 10 and high else ''}",
            )
            for i in range(11)
        ]
    return []


def applies_to(entry: dict, role: str) -> bool:
    return role in entry.get("roles", ROLES)


def items_for(definition: dict, role: str) -> list[dict]:
    """The items (with their options) a person in ``role`` is asked."""
    out = []
    for item in definition.get("items", []):
        if not applies_to(item, role):
            continue
        item = dict(item)
        if "options" in item:
            item["options"] = [o for o in item["options"] if applies_to(o, role)]
        out.append(item)
    return out


def fields_of(item: dict) -> list[str]:
    """The stored answer codes of an item (a matrix stores one per row)."""
    if item["type"] == "matrix":
        return [f"{item['code']}.{row['code']}" for row in item["rows"]]
    return [item["code"]]


def dimension_options(code: str) -> list[dict]:
    """The options of an identity-mirroring item: the catalogue's, then "Prefer not to say"."""
    dim = DIMENSIONS[code]
    return [
        *({"code": c, "label": label} for c, label in dim.options),
        {"code": PREFER_NOT, "label": "Prefer not to say"},
    ]


def _expand(definition: dict, errors: list[str]) -> dict:
    """A copy with every ``dimension`` item filled in from the identity catalogue."""
    items = definition.get("items")
    if not isinstance(items, list):
        return definition
    out, used = [], set()
    for pos, item in enumerate(items, start=1):
        if not isinstance(item, dict) or "dimension" not in item:
            out.append(item)
            continue
        where = f"Item {pos} ({item.get('code', '')})"
        dim = item["dimension"]
        if dim not in DIMENSIONS:
            errors.append(f"{where}: 'dimension' is one of {', '.join(DIMENSIONS)}.")
            out.append(item)
            continue
        if dim in used:
            errors.append(f"{where}: the dimension '{dim}' is asked twice.")
        used.add(dim)
        if item.get("type", "single") != "single":
            errors.append(f"{where}: a dimension item is a single choice (leave out 'type').")
        if item.get("required"):
            errors.append(f"{where}: a dimension item is never required.")
        if item.get("other"):
            errors.append(f"{where}: a dimension item has no 'other' option.")
        options = dimension_options(dim)
        given = item.get("options")
        if given is not None and (
            not isinstance(given, list)
            or [o.get("code") if isinstance(o, dict) else o for o in given]
            != [o["code"] for o in options]
        ):
            errors.append(
                f"{where}: the options of a dimension item come from the identity catalogue; "
                "leave out 'options'."
            )
        out.append(
            {
                **item,
                "type": "single",
                "text": item.get("text") or DIMENSIONS[dim].question,
                "options": options,
                "filter": True,
            }
        )
    return {**definition, "items": out}


def for_dimensions(definition: dict, asked) -> dict:
    """A copy without the dimension items of identity questions not in ``asked`` (the scheme's
    identity questions), and without conditions that pointed at them."""
    asked = set(asked or [])
    dropped = {
        i["code"] for i in definition["items"] if i.get("dimension") and i["dimension"] not in asked
    }
    items = [
        i
        for i in definition["items"]
        if i["code"] not in dropped and (i.get("show_if") or {}).get("item") not in dropped
    ]
    return {**definition, "items": items}


def dimension_items(definition: dict) -> list[dict]:
    return [i for i in definition.get("items", []) if i.get("dimension")]


def validate(definition: Any) -> dict:
    """Return the definition, with its dimension items filled in from the identity catalogue,
    if valid; raise :class:`DefinitionError` listing every problem."""
    errors: list[str] = []
    if not isinstance(definition, dict):
        raise DefinitionError(
            ["The definition must be a mapping with code, title, wave and items."]
        )
    definition = _expand(definition, errors)
    for key in ("code", "title", "wave", "items"):
        if key not in definition:
            errors.append(f"Missing '{key}'.")
    code = str(definition.get("code", ""))
    if code and not re.match(r"^[a-z0-9][a-z0-9-]{0,59}$", code):
        errors.append("The questionnaire code uses lower-case letters, digits and hyphens.")
    if definition.get("wave") not in WAVES:
        errors.append(f"'wave' is one of: {', '.join(WAVES)}.")
    items = definition.get("items") or []
    if not isinstance(items, list) or not items:
        errors.append("Give at least one item.")
        items = []
    seen: dict[str, dict] = {}
    for pos, item in enumerate(items, start=1):
        where = f"Item {pos}"
        if not isinstance(item, dict):
            errors.append(f"{where} must be a mapping.")
            continue
        icode = item.get("code", "")
        where = f"Item {pos} ({icode})" if icode else where
        if not isinstance(icode, str) or not CODE.match(icode):
            errors.append(f"{where}: the code uses lower-case letters, digits and underscores.")
        elif icode in seen:
            errors.append(f"{where}: the code is used twice.")
        if item.get("type") not in TYPES:
            errors.append(f"{where}: 'type' is one of {', '.join(sorted(TYPES))}.")
        if not str(item.get("text", "")).strip():
            errors.append(f"{where}: give the question 'text'.")
        for r in item.get("roles", []):
            if r not in ROLES:
                errors.append(f"{where}: roles are mentee and mentor.")
        if item.get("type") in CHOICE_TYPES:
            options = item.get("options") or []
            if not options:
                errors.append(f"{where}: give the answer options.")
            codes = set()
            for opt in options:
                ocode = opt.get("code", "") if isinstance(opt, dict) else ""
                label = opt.get("label") if isinstance(opt, dict) else None
                if not CODE.match(str(ocode)) or label is None or not str(label).strip():
                    errors.append(f"{where}: each option has a code and a label.")
                    continue
                if not isinstance(label, str):
                    # YAML reads an unquoted Yes/No as true/false, and cuts a label at a comma.
                    errors.append(
                        f"{where}: option '{ocode}' needs its label in quotes, "
                        'for example label: "Yes, as a mentee".'
                    )
                    continue
                if ocode in codes or (ocode == OTHER and item.get("other")):
                    errors.append(f"{where}: option code '{ocode}' is used twice.")
                codes.add(ocode)
                for r in opt.get("roles", []):
                    if r not in ROLES:
                        errors.append(f"{where}: option roles are mentee and mentor.")
        if item.get("type") == "matrix":
            rows = item.get("rows") or []
            if not rows or not all(
                isinstance(r, dict) and CODE.match(str(r.get("code", ""))) and r.get("label")
                for r in rows
            ):
                errors.append(f"{where}: a matrix has rows, each with a code and a label.")
        if item.get("type") == "number":
            lo, hi = item.get("min", 0), item.get("max", 1000)
            if not (isinstance(lo, int) and isinstance(hi, int) and lo <= hi):
                errors.append(f"{where}: 'min' and 'max' are whole numbers, min ≤ max.")
        cond = item.get("show_if")
        if cond is not None:
            target = seen.get(cond.get("item")) if isinstance(cond, dict) else None
            if target is None or target.get("type") not in CHOICE_TYPES:
                errors.append(
                    f"{where}: 'show_if' names an earlier single or multiple choice item."
                )
            elif not isinstance(cond.get("in"), list) or not cond["in"]:
                errors.append(f"{where}: 'show_if' lists the answers ('in') that show it.")
        if item.get("filter") and item.get("type") != "single":
            errors.append(f"{where}: only single-choice items can be filters.")
        if isinstance(icode, str):
            seen[icode] = item
    if errors:
        raise DefinitionError(errors)
    return definition


def parse(text: str) -> dict:
    """Parse YAML (or JSON, which is YAML) text and validate it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError([f"Not valid YAML: {exc}"]) from exc
    return validate(data)


def dump(definition: dict) -> str:
    """YAML for editing: a dimension item's filled-in type, options and filter are left out
    (they come from the identity catalogue again when the text is saved)."""
    items = [
        {k: v for k, v in i.items() if k not in ("type", "options", "filter")}
        if isinstance(i, dict) and i.get("dimension")
        else i
        for i in definition.get("items", [])
    ]
    return yaml.safe_dump(
        {**definition, "items": items}, sort_keys=False, allow_unicode=True, width=100
    )


def shipped() -> dict[str, dict]:
    """The shipped templates, by code."""
    out = {}
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        definition = parse(path.read_text(encoding="utf-8"))
        out[definition["code"]] = definition
    return out


def words(code) -> str:
    """An option code as words, for a label that is missing: ``as_mentee`` -> "As mentee"."""
    text = " ".join(str(code).replace("_", " ").split())
    return text[:1].upper() + text[1:]


def label_text(option: dict) -> str:
    """An option's label, always as text.

    :func:`validate` refuses a label that is not text, but definitions stored before it did may
    hold one YAML read as true/false (an unquoted ``Yes, as a mentee`` or ``No``) or as a
    number; the ``repair_option_labels`` migration mends them. Until then a true/false (or
    missing) label reads as the option's code in words, and a number or date as written.
    """
    label = option.get("label")
    if isinstance(label, str):
        return label
    if label is None or isinstance(label, bool):
        return words(option.get("code", ""))
    return str(label)


def option_labels(item: dict) -> dict[str, str]:
    """Option code -> label (as text), with "other" last if the item offers it."""
    labels = {o["code"]: label_text(o) for o in item.get("options", [])}
    if item.get("other"):
        other = item.get("other_label", "Other")
        labels[OTHER] = other if isinstance(other, str) and other.strip() else "Other"
    return labels
