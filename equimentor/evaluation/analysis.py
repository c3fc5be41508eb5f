"""Descriptive analysis of anonymous responses, by role, with small-number suppression.

Groups are (role) or, with a filter, (role, the filter item's answer). A role's results are
shown only if it has ``k`` responses or more; a filter's cells are a partition of the role's
shown results and are protected against differencing by ``lib.disclosure.visible_cells``.
Results for mentors and mentees together are never shown, so the roles cannot be differenced.
Free text uses the higher ``k_text`` the same way.

The same people appear on several pages, so the rules hold across them (#23): an item's column
on a filtered page is one part of the column the unfiltered page shows, and is shown only if
``visible_parts`` allows it among the filter's answers to that item (the people in a shown group
who answered an item can be fewer than ``k``); the baseline/follow-up comparison pools the
questionnaires of a wave, and pools only those whose column their own results page shows, unless
the others together answered ``k`` or more — otherwise pooled minus published would be a hidden
group. ``tests/test_security_disclosure_pages.py`` checks every pair of pages with the auditor.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from equimentor.evaluation import definitions
from equimentor.evaluation.definitions import (
    CHOICE_TYPES,
    NUMERIC_TYPES,
    OTHER,
    ROLES,
    applies_to,
    option_labels,
    scale_choices,
)
from equimentor.evaluation.models import Response
from equimentor.lib.disclosure import visible_cells, visible_parts

ROLE_LABELS = {"mentee": "Mentees", "mentor": "Mentors"}


@dataclass
class Resp:
    role: str
    wave: str
    values: dict  # field -> (value, text)
    answer_ids: dict = field(default_factory=dict)  # field -> Answer id
    code: str = ""  # the questionnaire's code (any version)


def load(scheme, code: str | None = None, *, wave: str | None = None) -> list[Resp]:
    rows = Response.objects.filter(questionnaire__scheme=scheme).select_related("questionnaire")
    if code:
        rows = rows.filter(questionnaire__code=code)
    if wave:
        rows = rows.filter(questionnaire__wave=wave)
    out = []
    for r in rows.prefetch_related("answers"):
        answers = list(r.answers.all())
        out.append(
            Resp(
                role=r.role,
                wave=r.questionnaire.wave,
                values={a.item: (a.value, a.text) for a in answers},
                answer_ids={a.item: a.pk for a in answers},
                code=r.questionnaire.code,
            )
        )
    return out


def _fmt(x: float | None, places: int = 1) -> str:
    return "–" if x is None else f"{x:.{places}f}"


def numbers(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "mean": "–", "median": "–", "min": "–", "max": "–"}
    return {
        "n": len(values),
        "mean": _fmt(statistics.fmean(values)),
        "median": _fmt(statistics.median(values)),
        "min": f"{min(values):g}",
        "max": f"{max(values):g}",
    }


def groups(resps: list[Resp], k: int, filter_item: str | None = None, filter_value=None):
    """[(role, responses in the group, shown?)] for each role, after suppression."""
    table: dict = {}
    for role in ROLES:
        mine = [r for r in resps if r.role == role]
        if filter_item:
            parts: dict = {}
            for r in mine:
                key = r.values.get(filter_item, (None, ""))[0]
                parts[key] = parts.get(key, 0) + 1
            table[role] = parts or {None: 0}
        else:
            table[role] = {None: len(mine)}
    shown_roles, cells = visible_cells(table, k)
    out = []
    for role in ROLES:
        mine = [r for r in resps if r.role == role]
        if filter_item:
            mine = [r for r in mine if r.values.get(filter_item, (None, ""))[0] == filter_value]
            shown = (role, filter_value) in cells
        else:
            shown = role in shown_roles
        out.append((role, mine, shown))
    return out


def _answered(resps: list[Resp], fields) -> list[Resp]:
    return [r for r in resps if any(f in r.values for f in fields)]


def summarise_item(item: dict, grouped, k: int, column_ok=None) -> dict:
    """Per-role results of one item: n, and per type option counts/% or numeric summaries.
    ``column_ok(role, fields)`` may withhold a column (or a matrix row) that another page's
    figures would expose; by default every column with ``k`` answers is shown."""
    kind = item["type"]
    column_ok = column_ok or (lambda role, fields: True)
    cols = []
    for role, resps, shown in grouped:
        asked = applies_to(item, role)
        answered = _answered(resps, definitions.fields_of(item))
        cols.append(
            {
                "role": role,
                "label": ROLE_LABELS[role],
                "asked": asked,
                "group_n": len(resps),
                "n": len(answered),
                "shown": shown
                and asked
                and len(answered) >= k
                and column_ok(role, definitions.fields_of(item)),
                "resps": answered,
            }
        )
    block = {"item": item, "kind": kind, "cols": cols, "rows": [], "stats": [], "matrix": []}
    if kind in CHOICE_TYPES or kind in ("agree5", "stars", "scale10"):
        if kind in CHOICE_TYPES:
            labels = option_labels(item)
            options = [(o["code"], labels[o["code"]], o) for o in item["options"]]
            if item.get("other"):
                options.append((OTHER, labels[OTHER], {}))
        else:
            options = [(v, label, {}) for v, label in scale_choices(item)]
        for code, label, opt in options:
            cells = []
            for col in cols:
                offered = col["asked"] and applies_to(opt, col["role"])
                count = 0
                for r in col["resps"]:
                    value = r.values[item["code"]][0]
                    count += (code in value) if isinstance(value, list) else (value == code)
                cells.append(
                    {
                        "offered": offered,
                        "shown": col["shown"],
                        "count": count,
                        "pct": f"{100 * count / col['n']:.0f}%" if col["n"] else "–",
                    }
                )
            block["rows"].append({"code": code, "label": label, "cells": cells})
    if kind in NUMERIC_TYPES:
        for col in cols:
            values = [r.values[item["code"]][0] for r in col["resps"]]
            block["stats"].append({**numbers(values), "shown": col["shown"], "label": col["label"]})
    if kind == "matrix":
        for row in item["rows"]:
            fcode = f"{item['code']}.{row['code']}"
            stats = []
            for col in cols:
                values = [r.values[fcode][0] for r in col["resps"] if fcode in r.values]
                stats.append(
                    {
                        **numbers(values),
                        "shown": col["shown"]
                        and len(values) >= k
                        and column_ok(col["role"], [fcode]),
                        "label": col["label"],
                    }
                )
            block["matrix"].append({"label": row["label"], "stats": stats})
    return block


def results(definition: dict, resps: list[Resp], k: int, filter_item=None, filter_value=None):
    grouped = groups(resps, k, filter_item, filter_value)
    column_ok = None
    if filter_item:

        def column_ok(role, fields):
            """This filter answer's part of the column the unfiltered page shows: shown only if
            the parts hidden beside it add up to 0 or ``k``+ (``visible_parts``), and not when
            everyone in the hidden filter groups answered: the filter item's own table publishes
            each group's size, so the hidden parts, each at most its group's size, would then be
            pinned at those sizes (then the smallest shown part is hidden too, and so on)."""
            mine = [r for r in resps if r.role == role]
            sizes: dict = {}
            for r in mine:
                key = r.values.get(filter_item, (None, ""))[0]
                sizes[key] = sizes.get(key, 0) + 1
            parts: dict = {}
            for r in _answered(mine, fields):
                key = r.values.get(filter_item, (None, ""))[0]
                parts[key] = parts.get(key, 0) + 1
            shown = visible_parts(parts, k)
            while True:
                hidden = [g for g, n in parts.items() if n and g not in shown]
                if not hidden or sum(parts[g] for g in hidden) < sum(sizes[g] for g in hidden):
                    break
                others = sorted((n, str(g), g) for g, n in parts.items() if n and g in shown)
                if not others:
                    break
                shown = shown - {others[0][2]}
            return filter_value in shown

    blocks = [summarise_item(item, grouped, k, column_ok) for item in definition["items"]]
    return grouped, blocks


def star_means(resps: list[Resp], k: int, item_code: str = "stars") -> list[dict]:
    out = []
    for role, mine, shown in groups(resps, k):
        values = [r.values[item_code][0] for r in mine if item_code in r.values]
        out.append(
            {
                "role": role,
                "label": ROLE_LABELS[role],
                "n": len(values),
                "shown": shown and len(values) >= k,
                "mean": numbers(values)["mean"],
            }
        )
    return out


def text_answers(resps: list[Resp], item_code: str) -> list[tuple[str, str, object]]:
    """(role, text, answer id) of every free-text answer (or 'other' text) to an item."""
    out = []
    for r in resps:
        for fcode, (_value, text) in r.values.items():
            if text and fcode.split(".")[0] == item_code:
                out.append((r.role, text, r.answer_ids.get(fcode)))
    return out


def theme_table(themes, tags: dict, answers_by_id: dict, k: int, k_text: int) -> list[dict]:
    """Counts of each theme by role (shown only for roles with ``k``+ answers to the item) and
    the quotes under each theme (roles named only for roles with ``k_text``+ answers).

    Only the answers in ``answers_by_id`` (this page's) count. A theme belongs to the scheme's
    item, not to one questionnaire, so its tags can be on answers that are not here: another
    questionnaire asking the same item (a later cohort's copy of a template), or, for an item
    with an "other" option, a choice answer with no text. Those tags are left out of counts and
    quotes alike, so the page says nothing about answers it does not show."""
    roles_n = {role: 0 for role in ROLES}
    for role, _text in answers_by_id.values():
        roles_n[role] += 1
    shown = {role: n >= k for role, n in roles_n.items()}
    named = {role: n >= k_text for role, n in roles_n.items()}
    out = []
    for theme in themes:
        ids = [aid for aid in tags.get(theme.pk, []) if aid in answers_by_id]
        counts = {role: 0 for role in ROLES}
        quotes = []
        for aid in ids:
            role, text = answers_by_id[aid]
            counts[role] += 1
            quotes.append({"text": text, "role": ROLE_LABELS[role] if named[role] else ""})
        out.append(
            {
                "theme": theme,
                "cells": [
                    {"label": ROLE_LABELS[r], "count": counts[r], "shown": shown[r]} for r in ROLES
                ],
                "quotes": quotes,
            }
        )
    return out, roles_n


def _pool(resps: list[Resp], role: str, item: dict, k: int) -> list[Resp]:
    """The responses of ``role`` to pool for ``item`` across a wave's questionnaires: those of
    the questionnaires whose own results page shows this column, and the others only if
    together they answered the item ``k`` or more times (or not at all)."""
    fields = definitions.fields_of(item)
    by_code: dict[str, list[Resp]] = {}
    for r in resps:
        if r.role == role:
            by_code.setdefault(r.code, []).append(r)
    published, others, others_answered = [], [], 0
    for code in sorted(by_code):
        mine = by_code[code]
        answered = len(_answered(mine, fields))
        if len(mine) >= k and answered >= k:
            published += mine
        else:
            others += mine
            others_answered += answered
    return published + (others if others_answered == 0 or others_answered >= k else [])


def compare(baseline: list[Resp], followup: list[Resp], items: list[dict], k: int) -> list[dict]:
    """For items asked in both waves: per role, baseline and follow-up side by side."""
    out = []
    for item in items:
        waves = []
        for label, resps in (("Baseline", baseline), ("Six months", followup)):
            grouped = []
            for role in ROLES:
                pool = _pool(resps, role, item, k)
                grouped.append((role, pool, len(pool) >= k))
            waves.append((label, summarise_item(item, grouped, k)))
        out.append({"item": item, "waves": waves})
    return out
