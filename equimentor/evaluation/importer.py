"""Importing responses from a forms tool's CSV: one row per response, one column per question.

``columns`` maps each column (by header: ``mapping.column_keys``) to a stored field code (an
item code, ``code.row`` for a matrix row, ``code.other`` for an "other" text), to one option of
a multiple choice (``code___option``: a column saying whether it is ticked, as REDCap and
Qualtrics export them), to ``ROLE`` or ``MONTH``, or to ``IGNORE``; a column mapped to nothing refuses the import. ``values`` maps
answers as written to the items' options (``mapping``: what is obvious is mapped without it);
several ticks are separated by ";".
:func:`check` parses everything and reports bad rows by row number (the header is row 1); the
import itself (``services.import_responses``) stores all rows or none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

import yaml

from equimentor.evaluation import answers, definitions, mapping
from equimentor.evaluation.definitions import CHOICE_TYPES, OTHER, scale_choices
from equimentor.evaluation.mapping import IGNORE, MONTH, NO_ANSWER, ROLE, TICK, TICKED
from equimentor.evaluation.services import ImportedRow

__all__ = ["IGNORE", "MONTH", "NO_ANSWER", "ROLE", "Check", "ImportFileError", "check", "read"]
MAX_ROWS = 5000
# A forms tool's export has a column per question (a few hundred at most) and answers of at most
# answers.MAX_TEXT characters. Beyond these a file is refused with a message: 100,000 columns once
# built a form field each and held a CPU for minutes, and a cell over csv's own limit was a 500.
MAX_COLUMNS = 300
MAX_CELL = 10_000


class ImportFileError(ValueError):
    """The file cannot be read as responses; the message says why, for the person."""


@dataclass
class Check:
    rows: list[ImportedRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def read(text: str) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of a CSV text; :class:`ImportFileError` past ``MAX_COLUMNS`` columns,
    ``MAX_CELL`` characters in a cell or ``MAX_ROWS`` rows, or if it cannot be parsed."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    rows = []
    try:
        for row in reader:
            while row and row[-1] == "":
                row.pop()
            if len(row) > MAX_COLUMNS:
                raise ImportFileError(
                    f"Line {reader.line_num} has more than {MAX_COLUMNS} columns: keep only the "
                    "columns of the questionnaire."
                )
            long = next((i for i, c in enumerate(row) if len(c) > MAX_CELL), None)
            if long is not None:
                raise ImportFileError(
                    f"Line {reader.line_num}, column {long + 1}: a cell is longer than "
                    f"{MAX_CELL:,} characters."
                )
            if len(rows) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it.")
            rows.append(row)
    except csv.Error as exc:  # e.g. a cell longer than the csv module's own limit
        raise ImportFileError(
            f"Line {reader.line_num} cannot be read as CSV (a cell is longer than "
            f"{MAX_CELL:,} characters, or a quote is not closed)."
        ) from exc
    if not rows:
        return [], []
    if _qualtrics(rows):
        # Qualtrics heads its columns with ids (Q1, Q2_1), then the questions' wording, then
        # '{"ImportId":…}': the wording is what can be matched, and neither row is a response
        return [h.strip() for h in rows[1]], rows[3:]
    return [h.strip() for h in rows[0]], rows[1:]


def _qualtrics(rows: list[list[str]]) -> bool:
    """A Qualtrics export: its third row is the columns' import ids."""
    return len(rows) >= 3 and any(c.startswith('{"ImportId"') for c in rows[2])


def targets(definition: dict) -> list[tuple[str, str]]:
    """(code, label) of everything a column can be mapped to."""
    return [(t.code, t.label) for t in mapping.targets(definition)]


def mapping_file(code: str, columns: dict, values: dict, role: str = "") -> str:
    """A mapping as the ``import_responses`` command reads it (YAML; see its ``--help``)."""
    spec: dict = {"questionnaire": code}
    if role:
        spec["role"] = role
    spec["columns"] = columns
    if values:
        spec["values"] = values
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


def _month(raw: str) -> date:
    raw = raw.strip()
    for fmt in (
        "%Y-%m-%d",
        "%d/%m/%Y",
        "%Y-%m-%d %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%Y-%m",
        "%m/%d/%Y %H:%M:%S",
    ):
        try:
            return datetime.strptime(raw, fmt).date().replace(day=1)  # noqa: DTZ007 - date only
        except ValueError:
            continue
    raise answers.AnswerError(f"'{raw}' is not a date")


def _translate(item: dict, raw: str, out: dict, values: dict[str, str] | None = None) -> None:
    """Put the column's value for ``item`` into ``out`` as codes (labels accepted). ``values``
    maps answers as written to option codes, scale values, ``NO_ANSWER`` or ``OTHER`` (the
    answer kept as the item's "other" text); it is tried first."""
    code = item["code"]
    kind = item["type"]
    if values:
        picked, other = [], ""
        known = True
        for p in mapping.pieces(item, raw):
            target = values.get(p)
            if target is None:
                known = False
                break
            if target == NO_ANSWER:
                continue
            if target == OTHER and kind in CHOICE_TYPES:
                other = p
                picked.append(OTHER)
            else:
                picked.append(target)
        if known:
            if other:
                out[f"{code}.other"] = other
            if kind == "multiple":
                out[code] = picked
            else:
                out[code] = picked[0] if picked else ""
            return
    if kind in CHOICE_TYPES:
        lookup = {}
        for o in item["options"]:
            lookup[o["code"].lower()] = o["code"]
            lookup[definitions.label_text(o).lower()] = o["code"]
        if item.get("other"):
            lookup[OTHER] = OTHER
            lookup[definitions.option_labels(item)[OTHER].lower()] = OTHER
        pieces = [p.strip() for p in raw.split(";")] if kind == "multiple" else [raw.strip()]
        picked = []
        for p in pieces:
            if not p:
                continue
            if p.lower() in lookup:
                picked.append(lookup[p.lower()])
            elif item.get("other"):
                out[f"{code}.other"] = p  # forms tools put the "other" text in the same cell
            else:
                raise answers.AnswerError(f"'{p}' is not one of the options")
        out[code] = picked if kind == "multiple" else (picked[0] if picked else "")
    elif kind in ("agree5", "stars", "scale10", "matrix"):
        labels = {label.lower(): v for v, label in scale_choices(item)}
        value = raw.strip()
        out_key = code
        out[out_key] = labels.get(value.lower(), value)
    else:
        out[code] = raw


def check(
    text: str,
    definition: dict,
    columns: dict[str, str],
    fixed_role: str = "",
    values: dict[str, dict[str, str]] | None = None,
) -> Check:
    """Every row parsed with ``columns`` (column key -> target, ``IGNORE`` or "": see
    ``mapping.column_keys``) and ``values`` (field -> {answer as written: target}). Refused
    (errors on row 1) while a column is unmapped or an answer of a choice or scale column maps
    to nothing: a column nobody mapped is never dropped silently."""
    result = Check()
    try:
        headers, rows = read(text)
    except ImportFileError as exc:
        result.errors.append((1, str(exc)))
        return result
    if not headers:
        result.errors.append((1, "The file is empty."))
        return result
    if len(rows) > MAX_ROWS:
        result.errors.append((1, f"At most {MAX_ROWS} rows can be imported at once."))
        return result
    plan = mapping.plan(headers, rows, definition, columns, values, match=False)
    for c in plan.unmapped:
        result.errors.append(
            (1, f"Column “{c.header}” is not mapped: map it to a question or ignore it.")
        )
    used: dict[str, str] = {}
    for c in plan.columns:
        if c.target and c.target != IGNORE:
            if c.target in used:
                result.errors.append(
                    (
                        1,
                        f"Columns “{used[c.target]}” and “{c.header}” are mapped to the same question.",
                    )
                )
            used[c.target] = c.header
    for c, v in plan.unmapped_values:
        result.errors.append(
            (
                1,
                f"Column “{c.header}”: the answer “{v.raw}” ({v.count} row{'s' if v.count != 1 else ''}) "
                "is not mapped to an option.",
            )
        )
    if result.errors:
        return result
    mapped = {c.key: c.target for c in plan.columns if c.target != IGNORE}
    if fixed_role not in definitions.ROLES and ROLE not in mapped.values():
        result.errors.append(
            (1, "Map a column to the respondent's role, or choose one role for every row.")
        )
        return result
    value_maps = {
        c.target: plan.value_map(c.target) for c in plan.columns if c.index in plan.values
    }
    items = {i["code"]: i for i in definition["items"]}
    keys = mapping.column_keys(headers)
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(keys, row + [""] * (len(keys) - len(row)), strict=False))
        raw: dict = {}
        ticks: dict[str, list[str]] = {}
        role, month, problems = fixed_role, None, []
        for key, target in mapped.items():
            value = cells.get(key, "")
            try:
                if target == ROLE:
                    said = value_maps.get(ROLE, {}).get(value.strip(), "")
                    role = fixed_role if said in ("", NO_ANSWER) else said
                elif target == MONTH:
                    month = _month(value) if value.strip() else None
                elif target.endswith(".other"):
                    raw[target] = value
                elif TICK in target:  # one option's column: ticked or not
                    code, option = target.split(TICK, 1)
                    if value_maps.get(target, {}).get(value.strip()) == TICKED:
                        ticks.setdefault(code, []).append(option)
                elif "." in target:  # a matrix row
                    item = items[target.split(".")[0]]
                    tmp: dict = {}
                    _translate({**item, "code": target}, value, tmp, value_maps.get(target))
                    raw.update(tmp)
                elif target in items:
                    _translate(items[target], value, raw, value_maps.get(target))
                else:
                    problems.append(f"column '{key}' is mapped to an unknown question")
            except answers.AnswerError as exc:
                problems.append(f"{key}: {exc}")
        for code, options in ticks.items():
            given = raw.get(code) if isinstance(raw.get(code), list) else []
            raw[code] = list(dict.fromkeys(given + options))
        if role not in definitions.ROLES:
            problems.append(f"role '{role}' is not mentee or mentor")
        else:
            values_, errors = answers.clean(definitions.items_for(definition, role), raw)
            problems += [f"{code}: {msg}" for code, msg in errors.items()]
        if problems:
            result.errors += [(number, p) for p in problems]
        else:
            result.rows.append(ImportedRow(row=number, role=role, month=month, values=values_))
    if not result.rows and not result.errors:
        result.errors.append((1, "There are no rows to import."))
    return result
