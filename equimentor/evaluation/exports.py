"""Exports of anonymous responses: CSV (codes and labels), XLSX, and REDCap (data dictionary and
data, longitudinal: ``baseline_arm_1`` / ``month_6_arm_1``; checkboxes as ``field___code``).

Rows come in random (UUID) order, numbered from 1; a record id is never a person.
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook

from equimentor.evaluation.analysis import Resp
from equimentor.evaluation.definitions import (
    CHOICE_TYPES,
    OTHER,
    fields_of,
    option_labels,
    scale_choices,
)
from equimentor.lib.cells import csv_writer, xlsx_append, xlsx_append_typed

EVENTS = {"baseline": "baseline_arm_1", "month_6": "month_6_arm_1"}
DICTIONARY_HEADER = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]


def var(code: str) -> str:
    """A REDCap variable name for a stored field code."""
    return code.replace(".", "_").replace("-", "_").lower()


def union_items(definitions: list[dict]) -> list[dict]:
    """Every item of the given definitions, once per code (first definition wins)."""
    seen, out = set(), []
    for d in definitions:
        for item in d["items"]:
            if item["code"] not in seen:
                seen.add(item["code"])
                out.append(item)
    return out


def columns(items: list[dict]) -> list[tuple[str, str, callable]]:
    """(header, kind, getter(values) -> cell) for the flat code/label export."""
    cols = []
    for item in items:
        code, kind = item["code"], item["type"]
        if kind == "multiple":
            labels = option_labels(item)
            for ocode in labels:
                cols.append((f"{code}___{ocode}", "code", _tick(code, ocode)))
            cols.append((f"{code}_label", "label", _multi_label(code, labels)))
        elif kind == "single":
            labels = option_labels(item)
            cols.append((code, "code", _value(code)))
            cols.append((f"{code}_label", "label", _single_label(code, labels)))
        elif kind == "matrix":
            scale = dict(scale_choices(item))
            for f in fields_of(item):
                cols.append((var(f), "code", _value(f)))
                cols.append((f"{var(f)}_label", "label", _single_label(f, scale)))
        elif kind == "text":
            cols.append((code, "text", _text(code)))
        else:
            cols.append((code, "code", _value(code)))
            if kind in ("agree5", "stars"):
                cols.append(
                    (f"{code}_label", "label", _single_label(code, dict(scale_choices(item))))
                )
        if item.get("other"):
            cols.append((f"{code}_other", "text", _text(code)))
    return cols


def _value(f):
    return lambda v: "" if f not in v else v[f][0]


def _text(f):
    return lambda v: "" if f not in v else v[f][1]


def _tick(f, ocode):
    return lambda v: "" if f not in v else int(ocode in v[f][0])


def _multi_label(f, labels):
    # labels are text (``option_labels``); a code an older version offered is written as it is
    return lambda v: "" if f not in v else "; ".join(labels.get(c, c) for c in v[f][0])


def _single_label(f, labels):
    return lambda v: "" if f not in v else labels.get(v[f][0], "")


def table(items: list[dict], resps: list[Resp]) -> tuple[list[str], list[list]]:
    cols = columns(items)
    header = ["response", "wave", "role"] + [c[0] for c in cols]
    rows = []
    for n, r in enumerate(resps, start=1):
        rows.append([n, r.wave, r.role] + [get(r.values) for _h, _k, get in cols])
    return header, rows


def to_csv(items, resps) -> str:
    header, rows = table(items, resps)
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def to_xlsx(items, resps) -> bytes:
    header, rows = table(items, resps)
    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    xlsx_append(ws, header)
    for row in rows:
        xlsx_append(ws, row)
    dictionary = wb.create_sheet("Dictionary")
    xlsx_append(dictionary, ["column", "question", "kind"])
    labels = {i["code"]: i["text"] for i in items}
    for h, kind, _get in columns(items):
        xlsx_append(
            dictionary,
            [
                h,
                labels.get(h.split("___")[0].removesuffix("_label").removesuffix("_other"), ""),
                kind,
            ],
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _choices(pairs) -> str:
    return " | ".join(f"{code}, {label}" for code, label in pairs)


def redcap_dictionary(items: list[dict], form: str = "evaluation") -> str:
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow(DICTIONARY_HEADER)
    blank = [""] * (len(DICTIONARY_HEADER) - 5)
    w.writerow(["record_id", form, "", "text", "Record ID", *blank])
    w.writerow(
        [
            "respondent_role",
            form,
            "",
            "radio",
            "Role",
            _choices([("mentee", "Mentee"), ("mentor", "Mentor")]),
            *[""] * 12,
        ]
    )
    section = None
    for item in items:
        header = item.get("section", "") if item.get("section") != section else ""
        section = item.get("section", section)
        logic = ""
        if item.get("show_if"):
            c = item["show_if"]
            target = next(i for i in items if i["code"] == c["item"])
            if target["type"] == "multiple":
                logic = " or ".join(f"[{var(c['item'])}({v})] = '1'" for v in c["in"])
            else:
                logic = " or ".join(f"[{var(c['item'])}] = '{v}'" for v in c["in"])
        kind = item["type"]
        row = {
            "name": var(item["code"]),
            "label": item["text"],
            "type": "",
            "choices": "",
            "validation": "",
            "min": "",
            "max": "",
            "note": item.get("help", ""),
            "matrix": "",
        }
        if kind in CHOICE_TYPES:
            row["type"] = "checkbox" if kind == "multiple" else "radio"
            row["choices"] = _choices(option_labels(item).items())
        elif kind in ("agree5", "stars", "scale10"):
            row["type"] = "radio"
            row["choices"] = _choices(scale_choices(item))
        elif kind == "number":
            row.update(
                type="text", validation="integer", min=item.get("min", 0), max=item.get("max", 1000)
            )
        elif kind == "text":
            row["type"] = "notes"
        if kind == "matrix":
            for f, r in zip(fields_of(item), item["rows"], strict=True):
                w.writerow(
                    [
                        var(f),
                        form,
                        header,
                        "radio",
                        f"{item['text']} {r['label']}",
                        _choices(scale_choices(item)),
                        "",
                        "",
                        "",
                        "",
                        "",
                        logic,
                        "",
                        "",
                        "",
                        var(item["code"]),
                        "",
                        "",
                    ]
                )
                header = ""
        else:
            w.writerow(
                [
                    row["name"],
                    form,
                    header,
                    row["type"],
                    row["label"],
                    row["choices"],
                    row["note"],
                    row["validation"],
                    row["min"],
                    row["max"],
                    "",
                    logic,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        if item.get("other"):
            w.writerow(
                [
                    f"{var(item['code'])}_other",
                    form,
                    "",
                    "text",
                    item.get("other_label", "Other, please say"),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    f"[{var(item['code'])}({OTHER})] = '1'"
                    if kind == "multiple"
                    else f"[{var(item['code'])}] = '{OTHER}'",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
    return buf.getvalue()


def redcap_data(items: list[dict], resps: list[Resp]) -> str:
    header = ["record_id", "redcap_event_name", "respondent_role"]
    getters = []
    for item in items:
        code, kind = item["code"], item["type"]
        if kind == "multiple":
            for ocode in option_labels(item):
                header.append(f"{var(code)}___{ocode}")
                getters.append(_tick(code, ocode))
        elif kind == "matrix":
            for f in fields_of(item):
                header.append(var(f))
                getters.append(_value(f))
        elif kind == "text":
            header.append(var(code))
            getters.append(_text(code))
        else:
            header.append(var(code))
            getters.append(_value(code))
        if item.get("other"):
            header.append(f"{var(code)}_other")
            getters.append(_text(code))
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow(header)
    for n, r in enumerate(resps, start=1):
        cells = [get(r.values) for get in getters]
        # an unanswered checkbox question is blank in REDCap exports only if never shown; 0s here
        w.writerow(
            [
                n,
                EVENTS[r.wave],
                r.role,
                *[
                    0 if c == "" and h.count("___") else c
                    for c, h in zip(cells, header[3:], strict=True)
                ],
            ]
        )
    return buf.getvalue()


# -- aggregated results (the results page's tables) -----------------------------------------------

NOT_ASKED = "N/A"
HIDDEN = "–"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _stat(value):
    """A summary figure as a number where it is one ("4.6" -> 4.6), else as written ("–")."""
    if isinstance(value, str) and NUMBER.fullmatch(value):
        return float(value) if "." in value else int(value)
    return value


def results_table(blocks: list[dict]) -> tuple[list[str], list[list]]:
    """The results page's tables (``analysis.results`` blocks) as one table: per item, a row
    for how many answered, one per answer (count and share) and, for numbers and scales, the
    mean, median, minimum and maximum; a column pair per role. A figure the page withholds is
    "–" here too, and a question or answer not put to a role is "N/A"."""
    roles = [col["label"] for col in blocks[0]["cols"]] if blocks else []
    header = ["Section", "Item", "Question", "Row"]
    for role in roles:
        header += [role, f"{role} %"]
    rows: list[list] = []
    for block in blocks:
        item = block["item"]
        base = [item.get("section", ""), item["code"], item["text"]]

        def n_of(col):
            if not col["asked"]:
                return NOT_ASKED
            return col["n"] if col["shown"] else HIDDEN

        rows.append(base + ["Answered (n)"] + [x for c in block["cols"] for x in (n_of(c), "")])
        for row in block["rows"]:
            cells: list = []
            for cell in row["cells"]:
                if not cell["offered"]:
                    cells += [NOT_ASKED, NOT_ASKED]
                elif cell["shown"]:
                    cells += [cell["count"], cell["pct"]]
                else:
                    cells += [HIDDEN, HIDDEN]
            rows.append(base + [row["label"], *cells])
        summaries = [("Mean", "mean"), ("Median", "median"), ("Minimum", "min"), ("Maximum", "max")]
        if block["stats"]:
            for label, key in summaries:
                rows.append(
                    base
                    + [label]
                    + [
                        x
                        for s in block["stats"]
                        for x in (_stat(s[key]) if s["shown"] else HIDDEN, "")
                    ]
                )
        for m in block["matrix"]:
            rows.append(
                base
                + [f"{m['label']}: answered (n)"]
                + [x for s in m["stats"] for x in (s["n"] if s["shown"] else HIDDEN, "")]
            )
            for label, key in summaries:
                rows.append(
                    base
                    + [f"{m['label']}: {label.lower()}"]
                    + [x for s in m["stats"] for x in (_stat(s[key]) if s["shown"] else HIDDEN, "")]
                )
    return header, rows


def results_csv(blocks: list[dict]) -> str:
    header, rows = results_table(blocks)
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def results_xlsx(blocks: list[dict], about: list[tuple[str, str]]) -> bytes:
    """The table on a "Results" sheet (counts, shares and summaries stored as numbers, withheld
    cells as text), and what it covers on an "About" sheet."""
    header, rows = results_table(blocks)
    wb = Workbook()
    ws = wb.active
    ws.title = "Results"
    xlsx_append(ws, header)
    for row in rows:
        xlsx_append_typed(ws, [v if isinstance(v, str) else str(v) for v in row])
    notes = wb.create_sheet("About")
    for key, value in about:
        xlsx_append(notes, [key, value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
