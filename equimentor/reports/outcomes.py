"""Questionnaire outcomes by group, for the equity audit — from anonymous responses only.

Evaluation responses are anonymous by construction (``evaluation.models``): nothing links one to
a participant, so they are never joined to identity answers from registration. Outcomes are
grouped only by what each response says itself:

* its **role** (mentee or mentor) — always the first split; mentors and mentees are never pooled,
  as on the evaluation pages, so one role's figures cannot be worked out from the other's;
* the questionnaire's own **filter items** (``filter: true``): the age band, and the optional
  identity-mirroring items (``dimension: gender`` and so on, whose options come from the identity
  catalogue with "Prefer not to say"); one or two at once.

Outcomes are the items a questionnaire has: the mean of each star rating and 0–10 scale, the
share agreeing (4 or 5) with each agreement item or matrix row, and the share answering "yes" to
each yes/no question. Every figure follows ``lib.disclosure``:

* counts pass through :func:`protect` per role — the role's total is published, so its groups
  get secondary suppression; with two items, the one-item breakdowns (margins) are published too;
* a share is withheld on a denominator below the threshold or a small numerator
  (:meth:`Rules.share`), a mean on fewer than ``min_values`` values (:meth:`Rules.statistic`);
* a figure of a group is shown only if its count is, and further figures are withheld until the
  withheld groups of every published total (the role's, and the margins) are themselves large
  enough to publish — so no group's figure comes out of the total's by subtraction.

The threshold is the stricter of the reports' and the evaluation settings'. A constant number of
queries (questionnaires, responses, the answers to the items used), however many groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from equimentor.evaluation.analysis import ROLE_LABELS
from equimentor.evaluation.definitions import ROLES, applies_to, option_labels
from equimentor.evaluation.models import Answer, EvaluationSettings, Questionnaire, Response, Wave
from equimentor.lib.disclosure import HIDDEN, WITHHELD, Rules, protect
from equimentor.reports.sections import Report
from equimentor.schemes.dimensions import DIMENSIONS

NOT_ANSWERED = "Not answered"
NOT_ASKED = "n/a"
AGREE = (4, 5)
MAX_BY = 2


@dataclass(frozen=True)
class Measure:
    field: str  # the stored answer's field code
    item: dict
    label: str
    kind: str  # "mean" | "agree" | "yes"

    def value(self, v):
        """The value this measure takes from one answer (None: not counted)."""
        if self.kind == "mean":
            return v if isinstance(v, int | float) and not isinstance(v, bool) else None
        if self.kind == "agree":
            return (v in AGREE) if isinstance(v, int) else None
        return (v == "yes") if isinstance(v, str) else None


@dataclass
class Outcomes:
    """What the page needs: the choices, what was chosen, and the published table."""

    questionnaires: list[tuple[str, str]]  # (code, title) with at least one response
    code: str = ""
    group_choices: list[tuple[str, str]] = field(default_factory=list)  # (item code, label)
    by: list[str] = field(default_factory=list)
    report: Report | None = None
    scheme_wide_note: str = ""

    @property
    def reports(self) -> list[Report]:
        return [self.report] if self.report else []


def _short(item: dict) -> str:
    if item.get("short"):
        return item["short"]
    if item.get("dimension") in DIMENSIONS:
        return DIMENSIONS[item["dimension"]].label
    text = item.get("text", item["code"])
    return text if len(text) <= 40 else text[:39].rstrip() + "…"


def group_items(items: list[dict]) -> list[dict]:
    """Items responses may be grouped by: single choices marked ``filter`` (the age band, the
    identity-mirroring items, and the like)."""
    return [i for i in items if i.get("type") == "single" and i.get("filter")]


def measures(items: list[dict], exclude=()) -> list[Measure]:
    out = []
    for item in items:
        kind, code = item.get("type"), item["code"]
        if code in exclude or item.get("dimension"):
            continue
        if kind in ("stars", "scale10"):
            out.append(Measure(code, item, f"{_short(item)}: mean", "mean"))
        elif kind == "agree5":
            out.append(Measure(code, item, f"{_short(item)}: % agree", "agree"))
        elif kind == "matrix":
            for row in item["rows"]:
                label = row.get("short") or row["label"]
                out.append(Measure(f"{code}.{row['code']}", item, f"{label}: % agree", "agree"))
        elif kind == "single" and "yes" in option_labels(item):
            out.append(Measure(code, item, f"{_short(item)}: % yes", "yes"))
    return out


def _union(definitions: list[dict]) -> list[dict]:
    seen, out = set(), []
    for d in definitions:
        for item in d.get("items", []):
            if item["code"] not in seen:
                seen.add(item["code"])
                out.append(item)
    return out


def outcome_rules(rules: Rules, scheme) -> Rules:
    """The stricter of the reports' rules and the evaluation settings' threshold."""
    k = max(rules.threshold, EvaluationSettings.for_scheme(scheme).k)
    return Rules(threshold=k, min_values=max(rules.min_values, k), round_to=rules.round_to)


def questionnaire_outcomes(
    scheme, rules: Rules, code: str = "", by=(), *, institutions=()
) -> Outcomes:
    """Outcomes of questionnaire ``code`` (default: the follow-up with most responses) by role
    and up to two of its filter items ``by``, through the disclosure rules."""
    rules = outcome_rules(rules, scheme)
    versions = list(
        Questionnaire.objects.filter(scheme=scheme)
        .annotate(n=Count("responses"))
        .order_by("code", "-version")
    )
    answered: dict[str, int] = {}
    latest: dict[str, Questionnaire] = {}
    for q in versions:
        answered[q.code] = answered.get(q.code, 0) + q.n
        latest.setdefault(q.code, q)
    codes = [c for c in latest if answered[c]]
    out = Outcomes([(c, latest[c].title) for c in codes])
    if institutions:
        names = " and ".join(i.name for i in institutions)
        out.scheme_wide_note = (
            "Questionnaire responses are anonymous and carry no institution, so these outcomes "
            f"are for the whole scheme, not for {names} alone."
        )
    if not codes:
        return out
    if code not in codes:
        code = max(codes, key=lambda c: (latest[c].wave == Wave.MONTH_6, answered[c], c))
    out.code = code
    items = _union([q.definition for q in versions if q.code == code])
    groupable = {i["code"]: i for i in group_items(items)}
    out.group_choices = [(c, _short(i)) for c, i in groupable.items()]
    by = [b for i, b in enumerate(by) if b in groupable and b not in by[:i]][:MAX_BY]
    out.by = by
    wanted = measures(items, exclude=by)
    fields = [m.field for m in wanted] + by
    resps = _load(scheme, code, fields)
    out.report = outcomes_report(
        latest[code].title, [groupable[b] for b in by], wanted, resps, rules
    )
    if out.scheme_wide_note:
        out.report.notes.append(out.scheme_wide_note)
    return out


def _load(scheme, code: str, fields: list[str]) -> list[tuple[str, dict]]:
    """[(role, {field: value})] of every response to any version of ``code``: two queries, and
    nothing but the response's own role and answers."""
    qs = Response.objects.filter(questionnaire__scheme=scheme, questionnaire__code=code)
    roles = dict(qs.values_list("pk", "role"))
    values: dict = {pk: {} for pk in roles}
    if values:
        for rid, item, value in Answer.objects.filter(
            response__questionnaire__scheme=scheme,
            response__questionnaire__code=code,
            item__in=fields,
        ).values_list("response_id", "item", "value"):
            values[rid][item] = value
    return [(roles[pk], v) for pk, v in values.items()]


# -- one role's table ---------------------------------------------------------------------------


def _options(item: dict, seen: set) -> list:
    """The item's answer codes in the questionnaire's order, then any others seen, then None."""
    codes = list(option_labels(item))
    codes += sorted(v for v in seen if v is not None and v not in codes)
    return codes + [None]


def _key_label(items: list[dict], key: tuple) -> str:
    """E.g. "Caring responsibilities: Yes · Age band: 30–39"."""
    parts = []
    for item, v in zip(items, key, strict=True):
        answer = NOT_ANSWERED if v is None else option_labels(item).get(v, str(v))
        parts.append(f"{_short(item)}: {answer}")
    return " · ".join(parts)


def _counts(role_resps, by_items) -> dict:
    out: dict = {}
    for values in role_resps:
        key = tuple(values.get(i["code"]) for i in by_items)
        out[key] = out.get(key, 0) + 1
    return out


def _one_way(keys: list, counts: dict, rules: Rules) -> tuple[dict, set, bool]:
    """(display by key, hidden keys, total hidden by secondary suppression)."""
    p = protect(keys, ["n"], {(k, "n"): counts.get(k, 0) for k in keys}, rules, row_totals=False)
    shown = {k: p.cell(k, "n") for k in keys}
    hidden = {k for k in keys if ("cell", k, "n") in p.hidden}
    total = ("col", "n")
    return shown, hidden, total in p.hidden and total not in p.primary


def _protect_role(role_resps, by_items, rules: Rules):
    """Counts of one role's groups: {key: n}, {key: text}, hidden keys, and the published lines
    (total, [member keys]) the figures must be guarded against."""
    counts = _counts(role_resps, by_items)
    if len(by_items) == 1:
        keys = [(v,) for v in _options(by_items[0], {k[0] for k in counts})]
        keys = [k for k in keys if counts.get(k)]
        shown, hidden, lost = _one_way(keys, counts, rules)
        if lost:  # the role's total is published elsewhere: publish none of its parts
            hidden = set(keys)
            shown = {k: rules.small if rules.is_small(counts[k]) else HIDDEN for k in keys}
        return counts, shown, hidden, [("role", keys)]
    a_item, b_item = by_items
    a_vals = [v for v in _options(a_item, {k[0] for k in counts}) if any(k[0] == v for k in counts)]
    b_vals = [v for v in _options(b_item, {k[1] for k in counts}) if any(k[1] == v for k in counts)]
    cells = {(a, b): counts.get((a, b), 0) for a in a_vals for b in b_vals}
    p = protect(a_vals, b_vals, cells, rules, row_totals=True, col_totals=True)
    keys = [(a, b) for a in a_vals for b in b_vals if cells[(a, b)]]
    shown = {k: p.cell(*k) for k in keys}
    hidden = {k for k in keys if ("cell", *k) in p.hidden}
    # The one-item breakdowns publish the margins they do not hide: if protecting this table
    # needed one of them (or the role's total) hidden, publish none of this role's cells.
    margins_a = {(a,): n for a in a_vals if (n := sum(cells[(a, b)] for b in b_vals))}
    margins_b = {(b,): n for b in b_vals if (n := sum(cells[(a, b)] for a in a_vals))}
    _, hidden_a, lost_a = _one_way(list(margins_a), margins_a, rules)
    _, hidden_b, lost_b = _one_way(list(margins_b), margins_b, rules)
    published = [("all",)] if not (lost_a or lost_b) else []
    published += [("row", a) for (a,) in margins_a if (a,) not in hidden_a and not lost_a]
    published += [("col", b) for (b,) in margins_b if (b,) not in hidden_b and not lost_b]
    if any(k in p.hidden and k not in p.primary for k in published):
        hidden = set(keys)
        shown = {k: rules.small if rules.is_small(cells[k]) else HIDDEN for k in keys}
    lines = [("role", keys)]
    lines += [(("row", a), [k for k in keys if k[0] == a]) for (a,) in margins_a]
    lines += [(("col", b), [k for k in keys if k[1] == b]) for (b,) in margins_b]
    return counts, shown, hidden, lines


def _figure(m: Measure, values: list, rules: Rules) -> tuple[str, tuple]:
    """(published text, (values counted, numerator)) of one measure over some answers."""
    vals = [x for x in (m.value(v) for v in values) if x is not None]
    if m.kind == "mean":
        return rules.statistic(vals, "mean", 1), (len(vals), 0)
    part = sum(1 for x in vals if x)
    return rules.share(part, len(vals)), (len(vals), part)


def _unsafe(m: Measure, withheld: list[tuple], rules: Rules) -> bool:
    """Whether the withheld groups of a published total could be worked out together: too few
    values behind a mean, or a small denominator or numerator behind a share."""
    n = sum(a[0] for a in withheld)
    part = sum(a[1] for a in withheld)
    if m.kind == "mean":
        return 0 < n < rules.min_values
    return n > 0 and (n < rules.threshold or rules.is_small(part))


def _guard(m: Measure, texts: dict, aggs: dict, lines, total_shown: dict, rules: Rules) -> None:
    """Withhold more figures (smallest first) until no published total gives a withheld one."""
    for _ in range(len(texts) + 1):
        changed = False
        for total, members in lines:
            if not total_shown.get(total):
                continue
            withheld = [aggs[k] for k in members if texts[k] == WITHHELD]
            if not _unsafe(m, withheld, rules):
                continue
            candidates = sorted(
                (aggs[k][0], str(k), k) for k in members if texts[k] not in (WITHHELD, NOT_ASKED)
            )
            if candidates:
                texts[candidates[0][2]] = WITHHELD
                changed = True
        if not changed:
            return


def _role_rows(role, role_resps, by_items, wanted, rules: Rules, shown_n: str) -> list[list[str]]:
    label = ROLE_LABELS[role]
    asked = [applies_to(m.item, role) for m in wanted]

    def figures(resps):
        texts, aggs = [], []
        for m, ok in zip(wanted, asked, strict=True):
            if not ok:
                texts.append(NOT_ASKED)
                aggs.append((0, 0))
                continue
            text, agg = _figure(m, [v[m.field] for v in resps if m.field in v], rules)
            texts.append(text)
            aggs.append(agg)
        return texts, aggs

    role_hidden = shown_n in (rules.small, HIDDEN) or len(role_resps) == 0
    total_texts, _ = figures(role_resps)
    if role_hidden:
        total_texts = [NOT_ASKED if t == NOT_ASKED else WITHHELD for t in total_texts]
    rows = [[label, shown_n, *total_texts]]
    if not by_items:
        return rows
    counts, shown, hidden, lines = _protect_role(role_resps, by_items, rules)
    keys = list(shown)
    per_key = {k: [] for k in keys}
    for values in role_resps:
        per_key[tuple(values.get(i["code"]) for i in by_items)].append(values)
    texts, aggs = {}, {}
    for k in keys:
        t, a = figures(per_key[k])
        if k in hidden or role_hidden:
            t = [NOT_ASKED if x == NOT_ASKED else WITHHELD for x in t]
        texts[k], aggs[k] = t, a
    # which totals' figures are published: the role's here; the margins' in the one-item view
    margin_texts: dict = {}
    if len(by_items) == 2:
        for pos in (0, 1):
            one = _role_rows(role, role_resps, [by_items[pos]], wanted, rules, shown_n)[1:]
            vals = _options(by_items[pos], {k[pos] for k in keys})
            present = [v for v in vals if any(k[pos] == v for k in keys)]
            for v, row in zip(present, one, strict=True):
                margin_texts[("row" if pos == 0 else "col", v)] = row[2:]
    for j, m in enumerate(wanted):
        if not asked[j]:
            continue
        col = {k: texts[k][j] for k in keys}
        total_shown = {"role": total_texts[j] != WITHHELD}
        for key, t in margin_texts.items():
            total_shown[key] = t[j] != WITHHELD
        _guard(m, col, {k: aggs[k][j] for k in keys}, lines, total_shown, rules)
        for k in keys:
            texts[k][j] = col[k]
    for k in keys:
        rows.append([f"{label} · {_key_label(by_items, k)}", shown[k], *texts[k]])
    return rows


def outcomes_report(
    title: str, by_items: list[dict], wanted: list[Measure], resps, rules: Rules
) -> Report:
    """The published table of questionnaire ``title``'s outcomes, from ``resps`` ([(role,
    {field: value})]) grouped by role and ``by_items``: no database, so the disclosure tests can
    read it beside the evaluation pages over the same people."""
    by_role = {role: [v for r, v in resps if r == role] for role in ROLES}
    p = protect(
        list(ROLES),
        ["n"],
        {(role, "n"): len(by_role[role]) for role in ROLES},
        rules,
        row_totals=False,
        col_totals=False,  # mentors and mentees are never pooled
    )
    rows = []
    for role in ROLES:
        rows += _role_rows(role, by_role[role], by_items, wanted, rules, p.cell(role, "n"))
    title = f"Questionnaire outcomes: {title} by role"
    if by_items:
        title += ", " + ", ".join(_short(i) for i in by_items)
    notes = [
        "From anonymous questionnaire responses, grouped only by the answers in each response "
        "(role and the questionnaire's own optional questions); never linked to registration "
        "or identity answers. Mentors and mentees are never pooled.",
        f"Counts from 1 to {rules.threshold - 1} are shown as “{rules.small}”; “x” hides a group "
        "to protect another; “–” withholds a share on fewer than "
        f"{rules.threshold} answers or a small numerator, a mean on fewer than "
        f"{rules.min_values} answers, or a figure that would reveal a hidden group's; "
        "“n/a”: not asked of this role.",
    ]
    return Report(title, ["Group", "Responses", *[m.label for m in wanted]], rows, notes)
