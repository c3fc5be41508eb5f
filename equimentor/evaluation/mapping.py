"""Matching a survey tool's export to a questionnaire: its columns to items, its answers to the
items' options. Used by the import page and the ``import_responses`` command alike.

Forms tools (Microsoft and Google Forms, Qualtrics, REDCap) head each column with the question
as it was worded on their form, which drifts from the questionnaire's: a trailing full stop,
"I had" for "I have", a "(0-10)" hint, a matrix row as "Question [Row]" or "Question - Row".
So headers are compared after normalising (case, punctuation, a bracketed hint) by their
similarity (``rapidfuzz``: 0–100); a column is mapped when it matches an item at ``AUTO`` or
better, each item at most once, best matches first (so two columns worded alike, such as two
"Please tell us why.", take their items in order). A column that matches nothing that well is
left unmapped, with the nearest item shown: the import is refused until every column is mapped
or explicitly ignored (``IGNORE``).

Answers: each distinct value of a column mapped to a choice or scale item is set against the
item's options. The same wording after normalising, a leading scale number ("4 - Agree") and
common synonyms ("Neutral" for "Neither agree nor disagree", "Y" for "Yes") are mapped at once;
a "Yes" or "No" on an agreement item, or a wording merely close to an option, is only suggested
and must be chosen by the evaluator; anything else is theirs to map. A mapping saved for the
next file (``ImportMapping``) is applied first, column by header and answer by value.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from equimentor.evaluation import definitions
from equimentor.evaluation.definitions import (
    CHOICE_TYPES,
    OTHER,
    SCALE_TYPES,
    fields_of,
    scale_choices,
)

ROLE = "__role"
MONTH = "__month"
IGNORE = "__ignore"
TICK = "___"  # "item___option": a column holding whether one option of a multiple choice is ticked
TICKED, NOT_TICKED = "1", "0"
NO_ANSWER = "__none"
AUTO = 80  # a header this similar (0–100) to an item is mapped; below, it is only suggested
NEAR = 50  # below this, no item is named as the nearest to an unmapped column
CLOSE = 85  # an answer this similar to an option's wording is suggested (never mapped at once)
MAX_VALUES = 40  # distinct answers shown per column; more is not a choice or scale question

ROLE_WORDING = (
    "Role",
    "Respondent's role",
    "Are you a mentor or a mentee?",
    "Are you a mentee or a mentor?",
    "Mentor or mentee",
    "What is your role?",
    "What is your role in the scheme?",
)
MONTH_WORDING = ("Month", "Date", "Date answered")
# answers that mean an option whatever the wording of the option (normalised)
AGREE_SYNONYMS = {
    "neutral": 3,
    "neither": 3,
    "neither agree or disagree": 3,
    "neither disagree nor agree": 3,
    "neither agree nor disagree": 3,
    "undecided": 3,
    "agree strongly": 5,
    "disagree strongly": 1,
    "strongly agreed": 5,
    "agreed": 4,
    "disagreed": 2,
}
CHOICE_SYNONYMS = {
    "y": ("yes",),
    "n": ("no",),
    "true": ("yes",),
    "false": ("no",),
    "unsure": ("not sure", "don t know"),
    "not sure": ("unsure", "don t know"),
    "don t know": ("not sure", "unsure"),
    "dont know": ("not sure", "unsure", "don t know"),
    "prefer not to answer": ("prefer not to say",),
    "rather not say": ("prefer not to say",),
    "i prefer not to say": ("prefer not to say",),
}
YES = {"yes", "y", "true"}
NO = {"no", "n", "false"}


@lru_cache(maxsize=4096)
def normal(text: str) -> str:
    """Lower case, punctuation and underscores as spaces, single spaces: "Strongly Agree." and
    "strongly agree" read the same."""
    text = unicodedata.normalize("NFKC", str(text)).casefold().replace("’", "'")
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def _variants(text: str) -> tuple[str, ...]:
    """The normalised text, and the same without bracketed hints such as "(0-10)"."""
    out = [normal(text), normal(re.sub(r"\([^()]*\)", " ", text))]
    return tuple(dict.fromkeys(v for v in out if v))


def similarity(a: str, b: str) -> int:
    """How alike two wordings are, 0–100, after :func:`normal` (and without bracketed hints)."""
    best = 0.0
    for x in _variants(a):
        for y in _variants(b):
            best = max(best, fuzz.ratio(x, y), fuzz.token_sort_ratio(x, y))
    return round(best)


def _split(header: str) -> tuple[str, str] | None:
    """A matrix-style header as (question, row): "Question [Row]", "Question - Row" or, as
    REDCap labels a checkbox, "Question (choice=Option)"."""
    m = re.match(r"^(.*\S)\s*\(choice=(.+)\)\s*$", header) or re.match(
        r"^(.*\S)\s*\[([^\[\]]+)\]\s*$", header
    )
    if m:
        return m.group(1), m.group(2)
    for sep in (" - ", " – ", " — "):
        if sep in header:
            stem, rest = header.rsplit(sep, 1)
            return stem, rest
    return None


@dataclass(frozen=True)
class Target:
    """Something a column can be mapped to: ``code`` is a stored field code (an item, a matrix
    row ``code.row``, an "other" text ``code.other``), ``ROLE`` or ``MONTH``."""

    code: str
    label: str
    wordings: tuple[str, ...] = ()  # the wordings a header may match as a whole
    question: str = ""  # a matrix row's or an "other" text's question ...
    part: str = ""  # ... and its row or "other" label, matched as "Question [part]"
    part_alone: bool = False  # a matrix row may also be headed by its row label alone


def targets(definition: dict) -> list[Target]:
    out = [
        Target(ROLE, "Respondent's role (mentee or mentor)", ROLE_WORDING),
        Target(MONTH, "Date answered (kept as month)", MONTH_WORDING),
    ]
    for item in definition["items"]:
        code, text = item["code"], item["text"]
        if item["type"] == "matrix":
            for f, row in zip(fields_of(item), item["rows"], strict=True):
                out.append(
                    Target(
                        f,
                        f"{row['label']} (a row of “{text}”)",
                        (f,),
                        question=text,
                        part=row["label"],
                        part_alone=True,
                    )
                )
        else:
            out.append(Target(code, text, (text, code)))
        if item["type"] == "multiple":  # a column per option, ticked or not (REDCap, Qualtrics)
            for option, label in definitions.option_labels(item).items():
                out.append(
                    Target(
                        f"{code}{TICK}{option}",
                        f"{label} (ticked or not, in “{text}”)",
                        (f"{code}{TICK}{option}",),
                        question=text,
                        part=label,
                    )
                )
        if item.get("other"):
            other = item.get("other_label", "Other, please say")
            out.append(
                Target(
                    f"{code}.other",
                    f"{other} (the text of “{text}”)",
                    (f"{code}.other", f"{code}_other"),
                    question=text,
                    part=other if isinstance(other, str) else "Other, please say",
                )
            )
    return out


def score(header: str, target: Target) -> int:
    best = max((similarity(header, w) for w in target.wordings), default=0)
    if target.part:
        split = _split(header)
        if split:
            best = max(
                best,
                min(similarity(split[0], target.question), similarity(split[1], target.part)),
            )
        if target.part_alone:
            best = max(best, similarity(header, target.part))
    return best


def column_keys(headers: list[str]) -> list[str]:
    """A distinct key per column: its header, or for the second "Why?" in a file "Why? #2" (a
    blank header is "Column 3"). Mappings are keyed by these."""
    seen: Counter = Counter()
    out = []
    for i, h in enumerate(headers):
        base = h or f"Column {i + 1}"
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base} #{seen[base]}")
    return out


@dataclass
class Column:
    index: int
    header: str
    key: str
    target: str = ""  # a Target's code, IGNORE, or "" (not mapped)
    how: str = ""  # "saved" (from a saved mapping), "matched" (by wording), "chosen"
    confidence: int | None = None  # how alike the wording was, when matched
    nearest: str = ""  # for a column left unmapped: the most alike item still free ...
    nearest_score: int = 0  # ... and how alike


def match_columns(headers: list[str], definition: dict, saved: dict | None = None) -> list[Column]:
    """Each column's target: from ``saved`` (key -> target, by key or normalised key) first,
    then by wording, each target once, best matches first; the rest unmapped."""
    saved = saved or {}
    tgts = targets(definition)
    valid = {t.code for t in tgts} | {IGNORE}
    saved_normal = {normal(k): t for k, t in saved.items()}
    cols = [
        Column(i, h, k) for i, (h, k) in enumerate(zip(headers, column_keys(headers), strict=True))
    ]
    taken: set[str] = set()
    for c in cols:
        t = saved.get(c.key) or saved_normal.get(normal(c.key))
        if t in valid and t not in taken:
            c.target, c.how = t, "saved"
            if t != IGNORE:
                taken.add(t)
    scored = []
    for c in cols:
        if c.target:
            continue
        for pos, t in enumerate(tgts):
            if t.code not in taken:
                scored.append((-score(c.header, t), c.index, pos))
    scored.sort()
    for neg, ci, pos in scored:
        c, t = cols[ci], tgts[pos]
        if -neg < AUTO:
            continue
        if c.target or t.code in taken:
            continue
        c.target, c.how, c.confidence = t.code, "matched", -neg
        taken.add(t.code)
    for c in cols:  # the nearest among the targets left free
        if not c.target:
            free = [(n, p) for n, i, p in scored if i == c.index and tgts[p].code not in taken]
            if free and -free[0][0] >= NEAR:
                c.nearest, c.nearest_score = tgts[free[0][1]].code, -free[0][0]
            else:
                c.nearest, c.nearest_score = "", 0
    return cols


# -- answers --------------------------------------------------------------------------------------


def item_of(definition: dict, target: str) -> dict | None:
    """The item whose answers a column mapped to ``target`` holds, if they can be mapped
    (choice and scale items, matrix rows, an option's ticks, the role); None for text, numbers
    and the date."""
    if target == ROLE:
        return {"code": ROLE, "type": "role"}
    if TICK in target:
        code, option = target.split(TICK, 1)
        item = next((i for i in definition["items"] if i["code"] == code), None)
        labels = definitions.option_labels(item) if item else {}
        if option not in labels:
            return None
        return {"code": target, "type": "tick", "option": option, "label": labels[option]}
    code = target.split(".")[0]
    item = next((i for i in definition["items"] if i["code"] == code), None)
    if item is None or target.endswith(".other"):
        return None
    if item["type"] in CHOICE_TYPES or item["type"] in SCALE_TYPES or item["type"] == "matrix":
        return item
    return None


def answer_choices(item: dict) -> list[tuple[str, str]]:
    """(target, label) an answer of ``item`` can be mapped to."""
    if item["type"] == "tick":
        return [(TICKED, f"Ticked: “{item['label']}”"), (NOT_TICKED, "Not ticked")]
    if item["type"] == "role":
        return [
            ("mentee", "Mentee"),
            ("mentor", "Mentor"),
            (NO_ANSWER, "Not given (the role chosen for every row, if one was)"),
        ]
    if item["type"] in CHOICE_TYPES:
        out = [(o["code"], definitions.label_text(o)) for o in item["options"]]
        if item.get("other"):
            out.append((OTHER, "Other: keep the answer as its “other, please say” text"))
    else:
        out = [(str(v), label) for v, label in scale_choices(item)]
    return out + [(NO_ANSWER, "No answer (leave it blank)")]


def pieces(item: dict, raw: str) -> list[str]:
    """The answers in one cell: several ticks are separated by ";" (Microsoft Forms, our
    export) or, as Google Forms writes them, by ", " although options may hold commas."""
    if item["type"] != "multiple":
        return [raw.strip()] if raw.strip() else []
    if ";" not in raw and "," in raw:
        return _comma_pieces(item, raw)
    return [p.strip() for p in raw.split(";") if p.strip()]


def _comma_pieces(item: dict, raw: str, widest: int = 6) -> list[str]:
    """Ticks joined by commas, read against the options: at each place the longest run of
    comma-separated words (up to ``widest``) that is an option's wording is one tick; words
    between ticks that are none ("other" text, which may hold commas) stay together."""
    known = {
        normal(w) for o in item.get("options", []) for w in (o["code"], definitions.label_text(o))
    }
    tokens = raw.split(",")
    out: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + widest), i, -1):
            candidate = ",".join(tokens[i:j]).strip()
            if normal(candidate) in known:
                if unknown:
                    out.append(",".join(unknown).strip())
                    unknown = []
                out.append(candidate)
                i = j
                break
        else:
            unknown.append(tokens[i])
            i += 1
    if unknown:
        out.append(",".join(unknown).strip())
    return [p for p in out if p]


@dataclass
class Value:
    raw: str
    count: int
    target: str = ""  # an answer_choices target, or "" (not mapped)
    how: str = ""  # "same" wording, the scale's "number", "synonym", "saved", "chosen", "other"
    suggestion: str = ""  # a target the evaluator may confirm by choosing it
    why: str = ""


def _scale_value(item: dict, raw: str) -> tuple[str, str, str, str]:
    """(target, how, suggestion, why) of an answer to a scale item."""
    choices = scale_choices(item)
    values = {v for v, _ in choices}
    n = normal(raw)
    stars = raw.strip()
    if stars and set(stars) <= {"★", "☆"} and item["type"] == "stars":
        return str(stars.count("★")), "number", "", ""
    for v, label in choices:
        if n == normal(label):
            return str(v), "same", "", ""
    m = re.fullmatch(r"(\d+)(?:\s+(.*))?", n)
    if m and int(m.group(1)) in values:
        v, rest = int(m.group(1)), m.group(2) or ""
        label = normal(dict(choices)[v])
        if not rest or rest in label or rest in ("star", "stars", f"out of {max(values)}"):
            return str(v), "number", "", ""
        if rest == str(max(values)):  # "4/5"
            return str(v), "number", "", ""
        return "", "", str(v), "the answer begins with this number"
    if item["type"] in ("agree5", "matrix"):
        if n in AGREE_SYNONYMS:
            return str(AGREE_SYNONYMS[n]), "synonym", "", ""
        if n in YES:
            return "", "", "4", "a “Yes” on an agreement question: confirm it means Agree"
        if n in NO:
            return "", "", "2", "a “No” on an agreement question: confirm it means Disagree"
    best = max(((similarity(raw, label), v) for v, label in choices), default=(0, None))
    if best[0] >= CLOSE:
        return "", "", str(best[1]), f"worded like this answer ({best[0]}% alike)"
    return "", "", "", ""


def _choice_value(item: dict, raw: str) -> tuple[str, str, str, str]:
    n = normal(raw)
    options = [(o["code"], definitions.label_text(o)) for o in item["options"]]
    for code, label in options:
        if n in (normal(code), normal(label)):
            return code, "same", "", ""
    for alias in CHOICE_SYNONYMS.get(n, ()):
        for code, label in options:
            if alias in (normal(code), normal(label)):
                return code, "synonym", "", ""
    best = max(((similarity(raw, label), code) for code, label in options), default=(0, None))
    if best[0] >= CLOSE:
        return "", "", best[1], f"worded like this option ({best[0]}% alike)"
    if item.get("other"):
        return OTHER, "other", "", ""
    return "", "", "", ""


def auto_value(item: dict, raw: str) -> tuple[str, str, str, str]:
    """(target, how, suggestion, why) for one answer, before the evaluator's choices."""
    if item["type"] == "role":
        n = normal(raw)
        if n in ("mentee", "mentees", "mentor", "mentors"):
            return n.rstrip("s"), "same", "", ""
        said = {w.rstrip("s") for w in n.split()} & {"mentee", "mentor"}
        if len(said) == 1:
            role = said.pop()
            return "", "", role, f"the answer names the {role}s"
        return "", "", "", ""
    if item["type"] == "tick":
        n = normal(raw)
        if n in ("1", "checked", "ticked", "selected", "x", "true", "yes") or n in (
            normal(item["option"]),
            normal(item["label"]),
        ):
            return TICKED, "same", "", ""
        if n in ("0", "unchecked", "not ticked", "not selected", "false", "no"):
            return NOT_TICKED, "same", "", ""
        return "", "", "", ""
    if item["type"] in CHOICE_TYPES:
        return _choice_value(item, raw)
    return _scale_value(item, raw)


def match_values(
    item: dict, cells: list[str], saved: dict[str, str] | None = None, how: str = "saved"
) -> list[Value]:
    """Each distinct answer in ``cells`` (most frequent first) with its mapping: ``saved``
    (raw answer -> target, for this field) first, then :func:`auto_value`."""
    saved = saved or {}
    allowed = {t for t, _ in answer_choices(item)}
    saved_normal = {normal(k): t for k, t in saved.items()}
    counts: Counter = Counter(p for cell in cells for p in pieces(item, cell))
    out = []
    for raw, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        target, auto_how, suggestion, why = auto_value(item, raw)
        mine = saved.get(raw) or saved_normal.get(normal(raw))
        if mine in allowed and mine != target:
            target, found = mine, how
        else:
            found = auto_how
        out.append(Value(raw, count, target, found, suggestion, why))
    return out


@dataclass
class Plan:
    """A file set against a questionnaire: its columns, and the answers of each column that
    holds choice or scale answers (column index -> (item, values))."""

    columns: list[Column]
    values: dict[int, tuple[dict, list[Value]]] = field(default_factory=dict)

    @property
    def unmapped(self) -> list[Column]:
        return [c for c in self.columns if not c.target]

    @property
    def unmapped_values(self) -> list[tuple[Column, Value]]:
        return [
            (self.columns[i], v)
            for i, (_item, vals) in self.values.items()
            for v in vals
            if not v.target
        ]

    def mapping(self) -> dict[str, str]:
        return {c.key: c.target for c in self.columns}

    def value_map(self, field: str) -> dict[str, str]:
        for i, (_item, vals) in self.values.items():
            if self.columns[i].target == field:
                return {v.raw: v.target for v in vals if v.target}
        return {}

    def chosen_values(self) -> dict[str, dict[str, str]]:
        """The answers mapped otherwise than :func:`auto_value` would (what is worth saving)."""
        out: dict[str, dict[str, str]] = {}
        for i, (item, vals) in self.values.items():
            for v in vals:
                if v.target and v.target != auto_value(item, v.raw)[0]:
                    out.setdefault(self.columns[i].target, {})[v.raw] = v.target
        return out


def plan(
    headers: list[str],
    rows: list[list[str]],
    definition: dict,
    columns: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    *,
    match: bool = True,
    values_how: str = "saved",
) -> Plan:
    """Columns from ``columns`` (key -> target; an absent or blank key is matched by wording
    when ``match``), then each choice or scale column's answers against ``values``."""
    columns = columns or {}
    values = values or {}
    if match:
        cols = match_columns(headers, definition, {k: t for k, t in columns.items() if t})
    else:
        cols = [
            Column(i, h, k)
            for i, (h, k) in enumerate(zip(headers, column_keys(headers), strict=True))
        ]
        valid = {t.code for t in targets(definition)} | {IGNORE}
        for c in cols:
            t = columns.get(c.key, "")
            if t in valid:
                c.target, c.how = t, "saved"
    result = Plan(cols)
    for c in cols:
        item = item_of(definition, c.target) if c.target and c.target != IGNORE else None
        if item is None:
            continue
        cells = [row[c.index] if c.index < len(row) else "" for row in rows]
        result.values[c.index] = (item, match_values(item, cells, values.get(c.target), values_how))
    return result
