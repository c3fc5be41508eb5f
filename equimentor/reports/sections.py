"""The report sections a page, an export or the API shows (``full_report``), each assembled
from the counts (``queries``) protected once per page (``tables``) or, for tables of their own,
through ``lib.disclosure.protect()`` here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from equimentor.lib.disclosure import HIDDEN, Protected, Rules, protect
from equimentor.relationships.models import Relationship
from equimentor.reports.labels import (
    CONVERSIONS,
    EQUITY_COLS,
    FUNNEL,
    clean_by,
    dimensions,
    row_label,
)
from equimentor.reports.models import Benchmark
from equimentor.reports.queries import (
    Scope,
    co_mentors,
    current_counts,
    match_days,
    person_cells,
    prepare,
)
from equimentor.reports.tables import page_tables
from equimentor.schemes.dimensions import DIMENSIONS

NOT_YET_DUE = "not yet due"
SIX_MONTHS_NOTE = (
    "Active at 6 months: no relationship has yet been running for six months, so this is not "
    "yet due."
)


@dataclass
class Report:
    """Published tables: every figure here has been through the disclosure function."""

    title: str
    columns: list[str]
    rows: list[list[str]]  # first cell is the group label
    notes: list[str] = field(default_factory=list)
    chart: list[tuple[str, float]] = field(default_factory=list)  # (label, value) shown only
    lines: object = None  # a charts.Lines of published figures over rounds (or None)


def funnel_report(
    scope: Scope, by: list[str], rules: Rules, *, quarter=False, page: list[str] | None = None
) -> Report:
    """The funnel (overall, by ``by``, or by quarter of registration), read from the mentee
    tables of the page broken down by ``page`` (default: ``by``; the overall funnel and the
    funnel by quarter may be on a page with a breakdown)."""
    scheme = scope.scheme
    page = list(by if page is None else page)
    if quarter:
        p = page_tables(scope, page, rules, quarter_by=by).quarter
        keys, steps = p.rows, [(s, lbl) for s, lbl in FUNNEL if s in p.cols]
    elif by:
        if list(by) != page:
            raise ValueError("a funnel by group is read from the page with that breakdown")
        tables = page_tables(scope, page, rules)
        p = tables.main
        keys, steps = tables.funnel_rows, [(s, lbl) for s, lbl in FUNNEL if s in tables.steps]
    else:
        tables = page_tables(scope, page, rules)
        keys, steps = [()], [(s, lbl) for s, lbl in FUNNEL if s in tables.overall_steps]
    grouped = bool(by) or quarter
    # each figure as (table, key): the overall funnel reads the page's totals
    figure = {
        (k, s): tables.total(s) if not grouped else (p, ("cell", k, s))
        for k in keys
        for s, _ in steps
    }
    names = [*by, "quarter"] if quarter else by
    rows = []
    for k in keys:
        rows.append([row_label(scheme, names, k)] + [_text(figure[(k, s)]) for s, _ in steps])
    if grouped:
        rows.append(["All"] + [p.col_total(s) for s, _ in steps])
    title = "Funnel" + (" by " + ", ".join(dimensions(scheme).get(b, b) for b in by) if by else "")
    title += " by quarter of registration" if quarter else ""
    notes = []
    if any(b != "institution" for b in by):
        notes.append(
            "Expressions of interest carry no identity answers; the funnel starts at registration."
        )
    not_due = {"six_months"} if not scope.six_months_due() else set()
    if not_due:
        at = [i + 1 for i, (s, _) in enumerate(steps) if s in not_due]
        for row in rows:
            for i in at:
                row[i] = NOT_YET_DUE
        if at:
            notes.append(SIX_MONTHS_NOTE)
    rep = Report(title, ["Group"] + [lbl for _, lbl in steps], rows, notes)
    if not grouped:
        rep.chart = [
            (lbl, t.values[key])
            for s, lbl in steps
            for t, key in [figure[((), s)]]
            if s not in not_due and _text((t, key)) not in (rules.small, HIDDEN)
        ]
    return rep


def _text(figure: tuple[Protected, tuple]) -> str:
    table, key = figure
    return table.display[key]


def conversions(scope: Scope, rules: Rules, *, page: list[str] | None = None) -> Report:
    """Shares between steps of the overall funnel, from the page's protected figures (hidden
    there, withheld here)."""
    tables = page_tables(scope, list(page or []), rules)
    names = dict(FUNNEL)
    rows = []
    notes = []
    for to, frm in CONVERSIONS:
        if to == "six_months" and not scope.six_months_due():
            rows.append([f"{names[frm]} → {names[to]}", NOT_YET_DUE])
            notes = [SIX_MONTHS_NOTE]
            continue
        if to in tables.overall_steps and frm in tables.overall_steps:
            (pa, a), (pb, b) = tables.total(to), tables.total(frm)
            rows.append(
                [
                    f"{names[frm]} → {names[to]}",
                    rules.share(
                        pa.values[a], pb.values[b], hidden=a in pa.hidden or b in pb.hidden
                    ),
                ]
            )
    days = match_days(scope, [])
    rows.append(
        ["Median days from registration to match", rules.statistic(days.get((), []), "median", 0)]
    )
    return Report("Conversion rates", ["Step", "Rate"], rows, notes)


def equity_report(scope: Scope, by: list[str], rules: Rules) -> tuple[Report, Report]:
    """(counts by group, indicators by group)."""
    scheme = scope.scheme
    tables = page_tables(scope, by, rules)  # the same cells as the funnel by group
    p = tables.main
    cols = [c for c, _ in EQUITY_COLS]
    keys = tables.equity_rows
    cells = {(k, c): p.values[("cell", k, c)] for k in keys for c in cols}
    days = match_days(scope, by)

    def v(k, c):
        key = ("cell", k, c)
        return p.values[key], key in p.hidden

    count_rows = [[row_label(scheme, by, k)] + [p.cell(k, c) for c in cols] for k in keys]
    if by:
        count_rows.append(["All"] + [p.col_total(c) for c in cols])
    total_mentees = sum(cells[(k, "mentees")] for k in keys)
    total_matched = sum(cells[(k, "matched")] for k in keys)
    overall = 100 * total_matched / total_mentees if total_mentees >= rules.threshold else None
    ind_rows, rates = [], []
    for k in keys:
        (m, mh), (mt, mth), (r1, r1h) = v(k, "mentees"), v(k, "matched"), v(k, "rank1")
        (cl, clh), (ea, eah), (sp, sph) = v(k, "closed"), v(k, "early"), v(k, "sponsorship")
        rate = rules.share(mt, m, hidden=mh or mth)
        gap = "–"
        if rate != "–" and overall is not None:
            r = 100 * mt / m
            rates.append((row_label(scheme, by, k), r))
            gap = f"{r - overall:+.0f} pts"
        per = "–"
        if not (mth or sph) and mt >= rules.threshold and sp not in range(1, rules.threshold):
            per = f"{sp / mt:.2f}"
        ind_rows.append(
            [
                row_label(scheme, by, k),
                rate,
                gap,
                rules.share(r1, mt, hidden=r1h or mth),
                rules.share(ea, cl, hidden=eah or clh),
                rules.statistic(days.get(k, []), "median", 0),
                per,
            ]
        )
    notes = []
    if len(rates) >= 2:
        hi_, lo_ = max(rates, key=lambda x: x[1]), min(rates, key=lambda x: x[1])
        notes.append(
            f"Match-rate gap between groups shown: {hi_[1] - lo_[1]:.0f} percentage points "
            f"({hi_[0]} {hi_[1]:.0f}% against {lo_[0]} {lo_[1]:.0f}%)."
        )
    title = " by " + ", ".join(dimensions(scheme)[b] for b in by) if by else ""
    counts_rep = Report(
        "Equity audit: counts" + title, ["Group"] + [lbl for _, lbl in EQUITY_COLS], count_rows
    )
    ind = Report(
        "Equity audit: indicators" + title,
        [
            "Group",
            "Match rate",
            "Gap to all mentees",
            "Got a 1st choice",
            "Early-ending rate",
            "Median days to match",
            "Sponsorship acts per matched mentee",
        ],
        ind_rows,
        notes,
        chart=rates,
    )
    return counts_rep, ind


def mentor_load(scope: Scope, by: list[str], rules: Rules) -> Report:
    """The "minority tax": mentees carried per mentor, by the mentor's group."""
    scheme = scope.scheme
    cells = person_cells(scope, by)
    n_mentors = {k: row["mentors"] for k, row in cells.items() if row["mentors"]}
    carried = {k: row["carried"] for k, row in cells.items()}
    current = {k: row["current_rels"] for k, row in cells.items()}
    # Per person, memberships count relationships; a relationship with two or more mentors in
    # one group would be counted once per mentor, so take the extra ones off (usually none).
    for (key, is_closed), extra in co_mentors(scope, by).items():
        carried[key] -= extra
        if not is_closed:
            current[key] -= extra
    carried = {k: n for k, n in carried.items() if n}
    current = {k: n for k, n in current.items() if n}
    keys = sorted(
        set(n_mentors) | set(carried), key=lambda k: tuple("" if v is None else str(v) for v in k)
    ) or [()]
    cols = ["mentors", "relationships", "current"]
    cells = {}
    for k in keys:
        cells[(k, "mentors")] = n_mentors.get(k, 0)
        cells[(k, "relationships")] = carried.get(k, 0)
        cells[(k, "current")] = current.get(k, 0)
    p = protect(keys, cols, cells, rules, row_totals=False, col_totals=bool(by))
    rows = []
    for k in keys:
        n, rel = cells[(k, "mentors")], cells[(k, "relationships")]
        hidden = ("cell", k, "mentors") in p.hidden or ("cell", k, "relationships") in p.hidden
        mean_load = "–" if hidden or n < rules.min_values else f"{rel / n:.2f}"
        rows.append([row_label(scheme, by, k)] + [p.cell(k, c) for c in cols] + [mean_load])
    if by:
        rows.append(["All"] + [p.col_total(c) for c in cols] + [""])
    return Report(
        "Mentor load by mentor group"
        + (" (" + ", ".join(dimensions(scheme)[b] for b in by) + ")" if by else ""),
        [
            "Mentor group",
            "Approved mentors",
            "Mentees mentored (all time)",
            "Mentoring now",
            "Mean mentees per mentor",
        ],
        rows,
        [f"A mean is shown only for groups of at least {rules.min_values} mentors."],
    )


def closed_by_reason(scope: Scope, rules: Rules) -> Report:
    rels = Relationship.objects.filter(scheme=scope.scheme, state=Relationship.State.CLOSED)
    if scope.institutions:
        rels = rels.filter(
            memberships__participant__institution__in=scope.institution_ids
        ).distinct()
    counts = dict(
        rels.values_list("close_reason").annotate(n=Count("pk", distinct=True)).order_by()
    )
    reasons = list(Relationship.CloseReason)
    p = protect(
        [r.value for r in reasons],
        ["n"],
        {(r.value, "n"): counts.get(r.value, 0) for r in reasons},
        rules,
        row_totals=False,
    )
    rows = [[r.label, p.cell(r.value, "n")] for r in reasons]
    rows.append(["All closed", p.col_total("n")])
    return Report("Relationships closed, by reason", ["Reason", "Relationships"], rows)


def representation(scope: Scope, rules: Rules) -> Report | None:
    marks = list(Benchmark.objects.filter(scheme=scope.scheme))
    if not marks:
        return None
    total = sum(row["current"] for row in person_cells(scope, []).values())
    rows = []
    for b in marks:
        dims = [d for d in b.groups if d in DIMENSIONS][:3]
        counts = current_counts(scope, dims)
        want = tuple(b.groups[d] for d in dims)
        n = counts.get(want, 0)
        p = protect(
            ["g", "rest"], ["n"], {("g", "n"): n, ("rest", "n"): total - n}, rules, row_totals=False
        )
        hidden = ("cell", "g", "n") in p.hidden
        rows.append(
            [
                b.label,
                p.cell("g", "n"),
                rules.share(n, total, hidden=hidden),
                f"{b.expected_percent.normalize():f}%",
                b.source,
            ]
        )
    return Report(
        "Representation against benchmarks",
        ["Group", "Participants", "Share of participants", "Benchmark", "Source"],
        rows,
        [
            f"Share of all {rules.count(total)} current participants; people who did not consent "
            "to equity reports count as not stated."
        ],
    )


def full_report(scope: Scope, by: list[str], rules: Rules) -> list[Report]:
    by = clean_by(scope.scheme, by)
    prepare(scope, by)
    counts_rep, ind = equity_report(scope, by, rules)
    # Every mentee table below reads the page's one protection (``page_tables``).
    reports = [
        funnel_report(scope, [], rules, page=by),
        conversions(scope, rules, page=by),
        funnel_report(scope, by, rules) if by else None,
        funnel_report(scope, [], rules, quarter=True, page=by),
        counts_rep,
        ind,
        mentor_load(scope, by, rules),
        closed_by_reason(scope, rules),
        representation(scope, rules),
    ]
    return [r for r in reports if r is not None]
