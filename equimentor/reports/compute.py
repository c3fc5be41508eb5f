"""The funnel and the equity audit, computed with aggregate queries and passed, table by table,
through ``lib.disclosure.protect`` (the one disclosure-control function).

Identity groups use answers only of people with a current ``identity_reports`` consent; everyone
else counts as "Not stated". Breakdowns are by one to three dimensions at once (intersectional
cells), from the scheme's identity questions plus career stage and institution.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncQuarter
from django.utils import timezone

from equimentor.enrolment.models import Consent, ExpressionOfInterest, Participant
from equimentor.identity.dimensions import DIMENSIONS, PREFER_NOT
from equimentor.lib.disclosure import Rules, protect
from equimentor.matching.models import Proposal, Via
from equimentor.relationships.models import Membership, Milestone, Relationship, SponsorshipAct

NOT_STATED = "__not_stated"
EARLY = ["no_fault", "circumstances_changed", "lapsed", "safeguarding", "withdrawn"]
SIX_MONTHS = timedelta(days=182)
OUTCOME_MILESTONES = ["promotion", "grant", "fellowship"]


def dimensions(scheme) -> dict[str, str]:
    dims = {"institution": "Institution", "career_stage": "Career stage"}
    for code in scheme.identity_dimensions or []:
        if code in DIMENSIONS:
            dims[code] = DIMENSIONS[code].label
    return dims


def clean_by(scheme, by) -> list[str]:
    allowed = dimensions(scheme)
    out = []
    for code in by or []:
        if code in allowed and code not in out:
            out.append(code)
    return out[:3]


def _group_exprs(by: list[str], prefix: str, ref: str) -> tuple[dict, dict]:
    """(relations, annotations): annotations naming each person's group, for a queryset whose
    person is at ``prefix``; ``relations`` are the filtered joins they use (pass to ``alias``).

    An identity group is read through a LEFT JOIN on the person's one answer in that dimension,
    and the consent through an uncorrelated ``IN`` (evaluated once, then hashed), so a breakdown
    over many people costs one pass rather than a subquery per person."""
    relations, exprs = {}, {}
    consented = Consent.objects.filter(
        purpose=Consent.Purpose.IDENTITY_REPORTS, withdrawn_at__isnull=True
    ).values("participant_id")
    for code in by:
        alias = f"g_{code}"
        if code == "institution":
            exprs[alias] = F(prefix + "institution__name")
        elif code == "career_stage":
            exprs[alias] = Cast(prefix + "career_stage", CharField())
        else:
            rel = f"ans_{code}"
            relations[rel] = FilteredRelation(
                prefix + "identity_answers",
                condition=Q(**{prefix + "identity_answers__dimension": code}),
            )
            exprs[alias] = Case(
                When(
                    Q(**{f"{ref}__in": consented}),
                    then=Coalesce(F(rel + "__value"), Value(NOT_STATED)),
                ),
                default=Value(NOT_STATED),
                output_field=CharField(),
            )
    return relations, exprs


def _annotate(qs, by: list[str], prefix: str, ref: str):
    """(queryset with each person's groups as ``g_<code>``, the group keys)."""
    relations, exprs = _group_exprs(by, prefix, ref)
    if relations:
        qs = qs.alias(**relations)
    if exprs:
        qs = qs.annotate(**exprs)
    return qs, list(exprs)


def label(scheme, code: str, value) -> str:
    if code == "institution":
        return value or "Not stated"
    if code == "career_stage":
        return scheme.career_stage_label(int(value)) if value not in (None, "") else "Not stated"
    if code == "quarter":
        return f"{value.year} Q{(value.month - 1) // 3 + 1}" if value else "Not stated"
    if value in (None, "", NOT_STATED):
        return "Not stated"
    if value == PREFER_NOT:
        return "Prefer not to say"
    return DIMENSIONS[code].option_label(value) or "Not stated"


def _grouped_count(qs, keys, counted, distinct=True) -> dict:
    """{group tuple: n}: ``values(groups).annotate(Count(...))``, or one aggregate."""
    if not keys:
        n = qs.order_by().aggregate(n=Count(counted, distinct=distinct))["n"]
        return {(): n} if n else {}
    rows = qs.values(*keys).annotate(n=Count(counted, distinct=distinct)).order_by()
    return {tuple(r[k] for k in keys): r["n"] for r in rows}


def _counts(qs, by, prefix, ref, distinct_field="pk"):
    """{group tuple: n} for ``by``."""
    qs, keys = _annotate(qs, by, prefix, ref)
    return _grouped_count(qs, keys, distinct_field)


@dataclass
class Report:
    """Published tables: every figure here has been through the disclosure function."""

    title: str
    columns: list[str]
    rows: list[list[str]]  # first cell is the group label
    notes: list[str] = field(default_factory=list)
    chart: list[tuple[str, float]] = field(default_factory=list)  # (label, value) shown only


@dataclass
class Scope:
    scheme: object
    institution: object = None  # a committee member limited to one institution
    now: object = None
    # Results already computed for this scope (one page builds the same counts several times).
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def cached(self, key, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def people(self):
        qs = Participant.objects.filter(scheme=self.scheme)
        if self.institution is not None:
            qs = qs.filter(institution=self.institution)
        return qs

    def restrict(self, qs, prefix):
        if self.institution is not None:
            return qs.filter(**{prefix + "institution": self.institution})
        return qs


FUNNEL = [
    ("eoi", "Expressions of interest"),
    ("eligible", "Declared eligible"),
    ("registered", "Registered"),
    ("approved", "Approved"),
    ("mentees", "Approved mentees"),
    ("matched", "Matched"),
    ("rank1", "1st choice"),
    ("rank2", "2nd choice"),
    ("rank3", "3rd choice"),
    ("fallback", "By compatibility (fallback)"),
    ("trial", "Trial passed"),
    ("six_months", "Active at 6 months"),
    ("goals_met", "Closed: goals met"),
    ("extended", "Extended"),
    ("early", "Ended early"),
]
CONVERSIONS = [
    ("eligible", "eoi"),
    ("registered", "eligible"),
    ("approved", "registered"),
    ("matched", "mentees"),
    ("trial", "matched"),
    ("six_months", "trial"),
]


def funnel_counts(scope: Scope, by: list[str], quarter: bool = False) -> dict:
    """{step: {group tuple: n}} — every step counts people (mentees from "matched" on)."""
    return scope.cached(("funnel", tuple(by), quarter), lambda: _funnel_counts(scope, by, quarter))


def _grouped_steps(qs, keys, counted, steps: dict, distinct=True) -> dict:
    """{step: {group tuple: n}} for several steps over one queryset in ONE query: each step is a
    condition (``None``: every row) counted with ``Count(..., filter=...)``. Groups with no row
    in a step are left out of it, exactly as a separate ``values().annotate(Count())`` would."""
    aggs = {
        f"n_{i}": Count(counted, distinct=distinct, filter=cond)
        for i, cond in enumerate(steps.values())
    }
    if keys:
        rows = list(qs.values(*keys).annotate(**aggs).order_by())
    else:
        rows = [qs.order_by().aggregate(**aggs)]
    out = {}
    for i, step in enumerate(steps):
        out[step] = {tuple(r[k] for k in keys): r[f"n_{i}"] for r in rows if r[f"n_{i}"]}
    return out


def _funnel_counts(scope: Scope, by: list[str], quarter: bool) -> dict:
    now = scope.now or timezone.now()
    scheme = scope.scheme

    def grouped(qs, prefix, ref, date_field, steps):
        if quarter:
            qs = qs.annotate(g_quarter=TruncQuarter(date_field))
        qs, keys = _annotate(qs, by, prefix, ref)
        keys += ["g_quarter"] if quarter else []
        if prefix == "":  # one row per person (answers are unique per dimension): no DISTINCT
            return _grouped_steps(qs, keys, "pk", steps, distinct=False)
        return _grouped_steps(qs, keys, ref, steps)

    out: dict = {}
    identity_by = [b for b in by if b not in ("institution",)]
    if not identity_by:
        eoi = ExpressionOfInterest.objects.filter(scheme=scheme)
        if scope.institution is not None:
            eoi = eoi.filter(institution=scope.institution)
        exprs = {"g_institution": F("institution__name")} if by else {}
        q = eoi.annotate(**exprs)
        if quarter:
            q = q.annotate(g_quarter=TruncQuarter("created_at"))
        keys = list(exprs) + (["g_quarter"] if quarter else [])
        out.update(
            _grouped_steps(
                q, keys, "pk", {"eoi": None, "eligible": Q(declared_eligible=True)}, False
            )
        )
    approved = Q(status=Participant.Status.APPROVED)
    out.update(
        grouped(
            scope.people(),
            "",
            "pk",
            "registered_at",
            {"registered": None, "approved": approved, "mentees": approved & Q(is_mentee=True)},
        )
    )
    accepted = scope.restrict(
        Proposal.objects.filter(scheme=scheme, status=Proposal.Status.ACCEPTED), "mentee__"
    )
    steps = {"matched": None}
    for n in (1, 2, 3):
        steps[f"rank{n}"] = Q(via=Via.CHOICE, choice_rank=n)
    steps["fallback"] = Q(via=Via.FALLBACK)
    out.update(grouped(accepted, "mentee__", "mentee", "mentee__registered_at", steps))
    mem = scope.restrict(
        Membership.objects.filter(relationship__scheme=scheme, side=Membership.Side.MENTEE),
        "participant__",
    )
    closed = Q(relationship__state=Relationship.State.CLOSED)
    steps = {
        "trial": Q(relationship__activated_at__isnull=False),
        "six_months": Q(relationship__started_at__lte=now - SIX_MONTHS)
        & (
            Q(relationship__closed_at__isnull=True)
            | Q(relationship__closed_at__gte=F("relationship__started_at") + SIX_MONTHS)
        ),
        "goals_met": closed & Q(relationship__close_reason="goals_met"),
        "extended": Q(relationship__extended_count__gt=0),
        "early": closed & Q(relationship__close_reason__in=EARLY),
    }
    out.update(grouped(mem, "participant__", "participant", "participant__registered_at", steps))
    return out


def _rows_of(counts: dict) -> list:
    keys = set()
    for step in counts.values():
        keys |= set(step)
    return sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k))


def _row_label(scheme, by, key) -> str:
    return " · ".join(label(scheme, code, v) for code, v in zip(by, key, strict=False)) or "All"


def funnel_report(scope: Scope, by: list[str], rules: Rules, *, quarter=False) -> Report:
    scheme = scope.scheme
    counts = funnel_counts(scope, by, quarter=quarter)
    steps = [(s, lbl) for s, lbl in FUNNEL if s in counts]
    keys = _rows_of(counts) or [()]
    cells = {(k, s): counts[s].get(k, 0) for k in keys for s, _ in steps}
    grouped = bool(by) or quarter
    p = protect(keys, [s for s, _ in steps], cells, rules, row_totals=False, col_totals=grouped)
    names = [*by, "quarter"] if quarter else by
    rows = []
    for k in keys:
        rows.append([_row_label(scheme, names, k)] + [p.cell(k, s) for s, _ in steps])
    if grouped:
        rows.append(["All"] + [p.col_total(s) for s, _ in steps])
    title = "Funnel" + (" by " + ", ".join(dimensions(scheme).get(b, b) for b in by) if by else "")
    title += " by quarter of registration" if quarter else ""
    notes = []
    if any(b != "institution" for b in by):
        notes.append(
            "Expressions of interest carry no identity answers; the funnel starts at registration."
        )
    rep = Report(title, ["Group"] + [lbl for _, lbl in steps], rows, notes)
    if not grouped:
        rep.chart = [
            (lbl, p.values[("cell", (), s)])
            for s, lbl in steps
            if p.cell((), s) not in (rules.small, "x")
        ]
    return rep


def conversions(scope: Scope, rules: Rules) -> Report:
    counts = funnel_counts(scope, [])
    steps = [s for s, _ in FUNNEL if s in counts]
    p = protect(
        [()],
        steps,
        {((), s): counts[s].get((), 0) for s in steps},
        rules,
        row_totals=False,
        col_totals=False,
    )
    names = dict(FUNNEL)
    rows = []
    for to, frm in CONVERSIONS:
        if to in counts and frm in counts:
            a, b = ("cell", (), to), ("cell", (), frm)
            rows.append(
                [
                    f"{names[frm]} → {names[to]}",
                    rules.share(p.values[a], p.values[b], hidden=a in p.hidden or b in p.hidden),
                ]
            )
    days = match_days(scope, [])
    rows.append(["Median days from registration to match", rules.statistic(days.get((), []))])
    return Report("Conversion rates", ["Step", "Rate"], rows)


def match_days(scope: Scope, by: list[str]) -> dict:
    """{group tuple: [days from registration to match]}."""
    return scope.cached(("days", tuple(by)), lambda: _match_days(scope, by))


def _match_days(scope: Scope, by: list[str]) -> dict:
    accepted = scope.restrict(
        Proposal.objects.filter(
            scheme=scope.scheme, status=Proposal.Status.ACCEPTED, decided_at__isnull=False
        ),
        "mentee__",
    )
    qs, keys = _annotate(accepted, by, "mentee__", "mentee")
    out = defaultdict(list)
    if connection.vendor == "postgresql":
        # The interval in seconds, worked out by the database: reading 2 timestamps a row in
        # Python dominated the report's time at 50,000 matches. Same value, exactly.
        qs = qs.annotate(
            secs=Func(
                ExpressionWrapper(
                    F("decided_at") - F("mentee__registered_at"), output_field=DurationField()
                ),
                template="EXTRACT(EPOCH FROM %(expressions)s)",
                output_field=DecimalField(),
            )
        )
        for row in qs.values_list(*keys, "secs"):
            out[tuple(row[: len(keys)])].append(float(row[-1]) / 86400)
        return out
    for row in qs.values_list(*keys, "decided_at", "mentee__registered_at"):
        out[tuple(row[: len(keys)])].append((row[-2] - row[-1]).total_seconds() / 86400)
    return out


EQUITY_COLS = [
    ("mentees", "Approved mentees"),
    ("matched", "Matched"),
    ("rank1", "1st choice"),
    ("closed", "Closed"),
    ("early", "Ended early"),
    ("sponsorship", "Sponsorship acts received"),
    *[(m, f"Milestones: {m}") for m in OUTCOME_MILESTONES],
]


def equity_counts(scope: Scope, by: list[str]) -> dict:
    scheme = scope.scheme
    f = funnel_counts(scope, by)
    out = {k: f[k] for k in ("mentees", "matched", "rank1", "early")}
    mem = scope.restrict(
        Membership.objects.filter(
            relationship__scheme=scheme,
            side=Membership.Side.MENTEE,
            relationship__state=Relationship.State.CLOSED,
        ),
        "participant__",
    )
    out["closed"] = _counts(mem, by, "participant__", "participant", "participant")
    acts = scope.restrict(SponsorshipAct.objects.filter(relationship__scheme=scheme), "mentee__")
    out["sponsorship"] = _counts(acts, by, "mentee__", "mentee")
    ms = scope.restrict(Milestone.objects.filter(participant__scheme=scheme), "participant__")
    ms, keys = _annotate(ms, by, "participant__", "participant")
    out.update(_grouped_steps(ms, keys, "pk", {k: Q(kind=k) for k in OUTCOME_MILESTONES}))
    return out


def equity_report(scope: Scope, by: list[str], rules: Rules) -> tuple[Report, Report]:
    """(counts by group, indicators by group)."""
    scheme = scope.scheme
    counts = equity_counts(scope, by)
    cols = [c for c, _ in EQUITY_COLS]
    keys = _rows_of(counts) or [()]
    cells = {(k, c): counts[c].get(k, 0) for k in keys for c in cols}
    p = protect(keys, cols, cells, rules, row_totals=False, col_totals=bool(by))
    days = match_days(scope, by)

    def v(k, c):
        key = ("cell", k, c)
        return p.values[key], key in p.hidden

    count_rows = [[_row_label(scheme, by, k)] + [p.cell(k, c) for c in cols] for k in keys]
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
            rates.append((_row_label(scheme, by, k), r))
            gap = f"{r - overall:+.0f} pts"
        per = "–"
        if not (mth or sph) and mt >= rules.threshold and sp not in range(1, rules.threshold):
            per = f"{sp / mt:.2f}"
        ind_rows.append(
            [
                _row_label(scheme, by, k),
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
    mentors = scope.restrict(
        Participant.objects.filter(
            scheme=scheme, is_mentor=True, status=Participant.Status.APPROVED
        ),
        "",
    )
    n_mentors = _counts(mentors, by, "", "pk")
    mem = scope.restrict(
        Membership.objects.filter(relationship__scheme=scheme, side=Membership.Side.MENTOR),
        "participant__",
    )
    mem, mem_keys = _annotate(mem, by, "participant__", "participant")
    both = _grouped_steps(
        mem,
        mem_keys,
        "relationship",
        {"carried": None, "current": ~Q(relationship__state=Relationship.State.CLOSED)},
    )
    carried, current = both["carried"], both["current"]
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
        rows.append([_row_label(scheme, by, k)] + [p.cell(k, c) for c in cols] + [mean_load])
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
    if scope.institution is not None:
        rels = rels.filter(memberships__participant__institution=scope.institution).distinct()
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
    from equimentor.reports.models import Benchmark

    marks = list(Benchmark.objects.filter(scheme=scope.scheme))
    if not marks:
        return None
    people = scope.people().exclude(
        status__in=[Participant.Status.WITHDRAWN, Participant.Status.DECLINED]
    )
    total = people.count()
    rows = []
    for b in marks:
        dims = [d for d in b.groups if d in DIMENSIONS][:3]
        counts = _counts(people, dims, "", "pk")
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
    counts_rep, ind = equity_report(scope, by, rules)
    reports = [
        funnel_report(scope, [], rules),
        conversions(scope, rules),
        funnel_report(scope, by, rules) if by else None,
        funnel_report(scope, [], rules, quarter=True),
        counts_rep,
        ind,
        mentor_load(scope, by, rules),
        closed_by_reason(scope, rules),
        representation(scope, rules),
    ]
    return [r for r in reports if r is not None]
