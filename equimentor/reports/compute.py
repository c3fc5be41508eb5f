"""The funnel and the equity audit, computed with aggregate queries and passed through
``lib.disclosure.protect`` (the one disclosure-control function). The tables of a page that count
its mentees are protected once, together (``page_tables``), so that they agree.

Identity groups use answers only of people with a current ``identity_reports`` consent; everyone
else counts as "Not stated". Breakdowns are by one to three dimensions at once (intersectional
cells), from the scheme's identity questions plus career stage and institution.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncQuarter
from django.utils import timezone

from equimentor.enrolment.models import Consent, ExpressionOfInterest, Participant
from equimentor.identity.dimensions import DIMENSIONS, PREFER_NOT
from equimentor.identity.models import IdentityAnswer
from equimentor.lib.disclosure import HIDDEN, Protected, Rules, protect
from equimentor.matching.models import Proposal, Via
from equimentor.relationships.models import Membership, Milestone, Relationship, SponsorshipAct
from equimentor.schemes.models import Institution

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
    if code == "institution":  # none: typed as not listed, until the coordinator maps it
        return value or "Not listed (awaiting the coordinator)"
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
    # a committee member's institutions (one, several, or none: the whole scheme)
    institutions: object = ()
    now: object = None
    # Results already computed for this scope (one page builds the same counts several times).
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        given = self.institutions
        if given is None:
            given = ()
        elif isinstance(given, Institution):
            given = (given,)
        self.institutions = tuple(given)

    @property
    def institution_ids(self) -> list[int] | None:
        """The ids of the institutions the scope is limited to; None for the whole scheme."""
        return [i.pk for i in self.institutions] if self.institutions else None

    def cached(self, key, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def people(self):
        """The scheme's participants (never those imported who have not yet accepted and
        consented: nothing about them is used until they do)."""
        qs = Participant.objects.filter(scheme=self.scheme).exclude(
            status=Participant.Status.INVITED
        )
        if self.institutions:
            qs = qs.filter(institution__in=self.institution_ids)
        return qs

    def restrict(self, qs, prefix):
        if self.institutions:
            return qs.filter(**{prefix + "institution__in": self.institution_ids})
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
    in a step are left out of it, exactly as a separate ``values().annotate(Count())`` would.
    (Pages now use ``person_cells``; this is the per-table form the tests check it against.)"""
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


# --- Counts per group from one query over people -------------------------------------------
#
# A page shows the funnel, the equity counts, the mentor counts, the days to match and
# representation overall, by the chosen groups and by quarter of registration. Every one of
# those figures counts people (or sums a per-person count), so they are worked out in ONE query:
# each participant in scope appears once, with their groups (identity answers from one pivot over
# the answers of consenting people), the quarter of registration and their facts (approved,
# matched, rank, trial passed, ...), read from per-person summaries of accepted proposals,
# memberships, sponsorship acts and milestones (each grouped by person, then LEFT JOINed: one pass
# over each table, no COUNT(DISTINCT)). The database groups the people by (groups, quarter) and
# sums the facts. As each person is in exactly one cell, every coarser table (overall, fewer
# dimensions, no quarter) is an exact sum of these cells, worked out in Python with no query.
# ``prepare`` makes the finest table a page needs; the one-query-per-table form these replaced is
# kept as the reference in tests/test_reports_one_query.py.

PERSON_COLS = [
    "registered",
    "approved",
    "mentees",
    "mentors",
    "current",  # neither withdrawn nor declined (representation)
    "matched",
    "rank1",
    "rank2",
    "rank3",
    "fallback",
    "trial",
    "six_months",
    "goals_met",
    "extended",
    "early",
    "closed",
    "carried",  # relationships as a mentor (see ``mentor_load`` for co-mentored ones)
    "current_rels",  # of which not closed
    "sponsorship",
    *OUTCOME_MILESTONES,
]
PERSON_STEPS = [s for s, _ in FUNNEL if s not in ("eoi", "eligible")]


def _flag(cond: Q):
    return Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField())


def _quarter_value(value):
    """A quarter's start as ``TruncQuarter`` gives it through the ORM (aware, current zone), from
    the raw value a cursor returns (naive on PostgreSQL, text on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if settings.USE_TZ:
        value = timezone.make_aware(value.replace(tzinfo=None))
    return value


class _EpochList(Aggregate):
    """PostgreSQL: an interval per row, in seconds as exact text, joined by commas (NULLs left
    out): medians need every value, and this carries them inside the one grouped query."""

    function = "STRING_AGG"
    template = "%(function)s(CAST(EXTRACT(EPOCH FROM %(expressions)s) AS text), ',')"
    output_field = TextField()


def _sql(qs) -> tuple[str, list]:
    sql, params = qs.order_by().query.sql_with_params()
    return sql, list(params)


def _cells_query(scope: Scope, by: list[str], quarter: bool) -> dict:
    """{(group values..., [quarter start]): {column: n}} for every cell with at least one person,
    plus ``"days"`` (days from registration to match) on PostgreSQL."""
    now = scope.now or timezone.now()
    scheme = scope.scheme
    qn = connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    approved = Q(status=Participant.Status.APPROVED)
    identity = [b for b in by if b not in ("institution", "career_stage")]

    # One row per person: their groups and flags. Identity answers come from one pivot over the
    # answers of consenting people (one pass, one join, whatever the number of dimensions);
    # nobody else's answers are read, so a missing value is "Not stated" (mapped in Python).
    keys = {}
    if "institution" in by:
        keys["institution"] = F("institution__name")
    if "career_stage" in by:
        keys["career_stage"] = F("career_stage")
    people = scope.people().annotate(
        **{f"g_{b}": expr for b, expr in keys.items()},
        f_pid=F("pk"),
        f_approved=_flag(approved),
        f_mentees=_flag(approved & Q(is_mentee=True)),
        f_mentors=_flag(approved & Q(is_mentor=True)),
        f_current=_flag(~Q(status__in=[Participant.Status.WITHDRAWN, Participant.Status.DECLINED])),
    )
    fields = ["f_pid", "f_approved", "f_mentees", "f_mentors", "f_current"]
    fields += [f"g_{b}" for b in keys]
    if quarter:
        people = people.annotate(g_quarter=TruncQuarter("registered_at"))
        fields.append("g_quarter")
    people = people.values(*fields)
    sources = [(people, "p")]
    if identity:
        consented = Consent.objects.filter(
            purpose=Consent.Purpose.IDENTITY_REPORTS, withdrawn_at__isnull=True
        ).values("participant_id")
        answers = (
            IdentityAnswer.objects.filter(dimension__in=identity, participant__in=consented)
            .values(f_pid=F("participant"))
            .annotate(
                **{
                    f"g_{code}": Max(Case(When(dimension=code, then=F("value"))))
                    for code in identity
                }
            )
        )
        sources.append((answers, "i"))
    by_alias = {}
    for b in by:
        by_alias[b] = f"{'i' if b in identity else 'p'}.{qn('g_' + b)}"
    group_cols = [by_alias[b] for b in by] + ([f"p.{qn('g_quarter')}"] if quarter else [])

    accepted = Proposal.objects.filter(scheme=scheme, status=Proposal.Status.ACCEPTED)
    accepted_aggs = {
        "f_rank1": Max(_flag(Q(via=Via.CHOICE, choice_rank=1))),
        "f_rank2": Max(_flag(Q(via=Via.CHOICE, choice_rank=2))),
        "f_rank3": Max(_flag(Q(via=Via.CHOICE, choice_rank=3))),
        "f_fallback": Max(_flag(Q(via=Via.FALLBACK))),
    }
    if pg:
        accepted_aggs["f_days"] = _EpochList(
            ExpressionWrapper(
                F("decided_at") - F("mentee__registered_at"), output_field=DurationField()
            )
        )
    sources.append((accepted.values(f_pid=F("mentee")).annotate(**accepted_aggs), "a"))
    # Memberships, both sides in one pass: flags of the person's relationships as a mentee, and
    # how many relationships they carry as a mentor (a person has at most one membership per
    # relationship, so counting rows counts relationships).
    closed = Q(relationship__state=Relationship.State.CLOSED)
    mentee = Q(side=Membership.Side.MENTEE)
    mentor = Q(side=Membership.Side.MENTOR)
    mem = (
        Membership.objects.filter(
            relationship__scheme=scheme, side__in=[Membership.Side.MENTEE, Membership.Side.MENTOR]
        )
        .values(f_pid=F("participant"))
        .annotate(
            f_trial=Max(_flag(mentee & Q(relationship__activated_at__isnull=False))),
            f_six_months=Max(
                _flag(
                    mentee
                    & Q(relationship__started_at__lte=now - SIX_MONTHS)
                    & (
                        Q(relationship__closed_at__isnull=True)
                        | Q(relationship__closed_at__gte=F("relationship__started_at") + SIX_MONTHS)
                    )
                )
            ),
            f_goals_met=Max(_flag(mentee & closed & Q(relationship__close_reason="goals_met"))),
            f_extended=Max(_flag(mentee & Q(relationship__extended_count__gt=0))),
            f_early=Max(_flag(mentee & closed & Q(relationship__close_reason__in=EARLY))),
            f_closed=Max(_flag(mentee & closed)),
            f_carried=Sum(_flag(mentor)),
            f_now=Sum(_flag(mentor & ~closed)),
        )
    )
    sources.append((mem, "m"))
    # Acts received and milestones, per person (the join below keeps people in scope only).
    acts = SponsorshipAct.objects.values(f_pid=F("mentee")).annotate(f_sponsorship=Count("pk"))
    sources.append((acts, "s"))
    ms = (
        Milestone.objects.filter(kind__in=OUTCOME_MILESTONES)
        .values(f_pid=F("participant"))
        .annotate(**{f"f_{k}": Sum(_flag(Q(kind=k))) for k in OUTCOME_MILESTONES})
    )
    sources.append((ms, "o"))

    cols = {
        "registered": "COUNT(*)",
        **{c: f"SUM(p.{qn('f_' + c)})" for c in ("approved", "mentees", "mentors", "current")},
        "matched": f"COUNT(a.{qn('f_pid')})",
        **{c: f"SUM(a.{qn('f_' + c)})" for c in ("rank1", "rank2", "rank3", "fallback")},
        **{
            c: f"SUM(m.{qn('f_' + c)})"
            for c in ("trial", "six_months", "goals_met", "extended", "early", "closed")
        },
        "carried": f"SUM(m.{qn('f_carried')})",
        "current_rels": f"SUM(m.{qn('f_now')})",
        "sponsorship": f"SUM(s.{qn('f_sponsorship')})",
        **{c: f"SUM(o.{qn('f_' + c)})" for c in OUTCOME_MILESTONES},
    }
    assert list(cols) == PERSON_COLS
    if pg:
        cols["days"] = f"STRING_AGG(a.{qn('f_days')}, ',')"
    params: list = []
    joins = []
    for qs, name in sources:
        sql, ps = _sql(qs)
        params += ps
        if name == "p":
            joins.append(f"({sql}) p")
        else:
            joins.append(f"LEFT JOIN ({sql}) {name} ON {name}.{qn('f_pid')} = p.{qn('f_pid')}")
    group = ", ".join(group_cols)
    sql = (
        f"SELECT {group + ', ' if group else ''}{', '.join(cols.values())} "
        f"FROM {' '.join(joins)}" + (f" GROUP BY {group}" if group else "")
    )
    out: dict = {}
    n = len(group_cols)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    for row in rows:
        counts = [int(v or 0) for v in row[n : n + len(PERSON_COLS)]]
        if not counts[0]:
            continue  # no one in scope (an aggregate without groups still gives a row)
        key = []
        for b, v in zip(by, row, strict=False):
            if b in identity:
                v = NOT_STATED if v is None else v
            elif b == "career_stage":
                v = None if v is None else str(v)
            key.append(v)
        if quarter:
            key.append(_quarter_value(row[n - 1]))
        key = tuple(key)
        cell = out.get(key)
        if cell is None:
            cell = out[key] = dict.fromkeys(PERSON_COLS, 0)
            if pg:
                cell["days"] = []
        for c, v in zip(PERSON_COLS, counts, strict=True):
            cell[c] += v
        if pg and row[-1]:
            cell["days"] += [float(x) / 86400 for x in row[-1].split(",")]
    return out


def _project(cells: dict, dims: list[str], quarter: bool, by: list[str], want_quarter: bool):
    """Sum the cells of a table grouped by ``dims`` (+ quarter) into cells by ``by`` (+ quarter)
    (lists, such as days to match, are joined)."""
    if list(dims) == list(by) and quarter == want_quarter:
        return cells
    idx = [dims.index(b) for b in by] + ([len(dims)] if want_quarter else [])
    out: dict = {}
    for key, row in cells.items():
        k = tuple(key[i] for i in idx)
        into = out.get(k)
        if into is None:
            out[k] = {c: list(v) if isinstance(v, list) else v for c, v in row.items()}
        else:
            for c, v in row.items():
                into[c] += v
    return out


def _covered(scope: Scope, kind: str, by: list[str], quarter: bool):
    """A table of ``kind`` already worked out for this scope that can be summed into ``by``."""
    for dims, q, table in scope.cache.get(("tables", kind), []):
        if set(by) <= set(dims) and (q or not quarter):
            return dims, q, table
    return None


def _keep(scope: Scope, kind: str, dims, quarter: bool, table) -> None:
    scope.cache.setdefault(("tables", kind), []).append((list(dims), quarter, table))


def person_cells(scope: Scope, by: list[str], quarter: bool = False) -> dict:
    """{(group values..., [quarter start]): {column: n}} for ``PERSON_COLS`` (cells with people).

    Worked out from a table already computed for this scope when one covers ``by`` (see
    ``prepare``), else with one query."""
    by = list(by)
    found = _covered(scope, "people", by, quarter)
    if found is None:
        found = (by, quarter, _cells_query(scope, by, quarter))
        _keep(scope, "people", *found)
    dims, q, table = found
    return scope.cached(
        ("people", tuple(dims), q, tuple(by), quarter),
        lambda: _project(table, dims, q, by, quarter),
    )


def _eoi_cells(scope: Scope, by: list[str], quarter: bool) -> dict:
    """{(institution?, [quarter]): {"eoi": n, "eligible": n}}; ``by`` is [] or ["institution"]."""
    found = _covered(scope, "eoi", by, quarter)
    if found is None:
        eoi = ExpressionOfInterest.objects.filter(scheme=scope.scheme)
        if scope.institutions:
            eoi = eoi.filter(institution__in=scope.institution_ids)
        exprs = {"g_institution": F("institution__name")} if by else {}
        if quarter:
            exprs["g_quarter"] = TruncQuarter("created_at")
        aggs = {"eoi": Count("pk"), "eligible": Count("pk", filter=Q(declared_eligible=True))}
        if exprs:
            rows = list(eoi.annotate(**exprs).values(*exprs).annotate(**aggs).order_by())
        else:
            rows = [eoi.order_by().aggregate(**aggs)]
        table = {}
        for r in rows:
            if not r["eoi"]:
                continue
            key = (r["g_institution"],) if by else ()
            if quarter:
                key += (r["g_quarter"],)
            table[key] = {"eoi": r["eoi"], "eligible": r["eligible"]}
        found = (list(by), quarter, table)
        _keep(scope, "eoi", *found)
    return _project(found[2], found[0], found[1], by, quarter)


def _steps_of(cells: dict, steps) -> dict:
    """{step: {group tuple: n}}, leaving out groups with no one in a step."""
    return {s: {k: row[s] for k, row in cells.items() if row[s]} for s in steps}


def prepare(scope: Scope, by: list[str]) -> None:
    """Work out, in one query each, the finest tables a page with breakdown ``by`` needs (by
    ``by`` and quarter): every other table on the page is summed from them."""
    person_cells(scope, by, quarter=True)
    if not [b for b in by if b != "institution"]:
        _eoi_cells(scope, by, quarter=True)
    else:
        _eoi_cells(scope, [], quarter=True)
    match_days(scope, by)  # PostgreSQL: from the table of people


def _funnel_counts(scope: Scope, by: list[str], quarter: bool) -> dict:
    out: dict = {}
    if not [b for b in by if b != "institution"]:
        out.update(_steps_of(_eoi_cells(scope, by, quarter), ["eoi", "eligible"]))
    out.update(_steps_of(person_cells(scope, by, quarter), PERSON_STEPS))
    return out


def _rows_of(counts: dict) -> list:
    keys = set()
    for step in counts.values():
        keys |= set(step)
    return _sorted_keys(keys)


def _row_label(scheme, by, key) -> str:
    return " · ".join(label(scheme, code, v) for code, v in zip(by, key, strict=False)) or "All"


# --- One protection of the mentee population per page --------------------------------------
#
# The funnel by group and the equity counts count the same people (a group's "Matched" is one
# cell in both), the overall funnel and the conversions are the funnel's column totals, and the
# funnel by quarter is another partition of the same people with the same totals. Protected one
# table at a time, one table could show what another hides. So a page protects its mentee
# population ONCE: one ``protect()`` over the page's groups (or the one row ``()``) and the union
# of the funnel steps and the equity columns, and every one of those tables is read from it.
# The quarter table is protected on its own, then its totals are made to agree with the page's
# (a total hidden in either is hidden in both, with the column that would give it away).
# This costs one ``protect()`` instead of four; the LP auditor (``disclosure.Linked``) is too
# slow for page rendering and is used in tests/test_reports_page_disclosure.py instead.


@dataclass
class PageTables:
    """The mentee tables of one page, protected together (see ``page_tables``)."""

    by: list
    main: Protected  # rows: the page's groups (or ``()``); columns: steps + equity-only columns
    steps: list  # the funnel steps in ``main`` (eoi/eligible only when no identity breakdown)
    funnel_rows: list  # the rows the funnel by group shows
    equity_rows: list  # the rows the equity counts show
    overall_steps: list  # the steps of the overall funnel
    rest: Protected | None  # overall steps not in ``main`` (eoi/eligible by identity): one row
    quarter: Protected  # the funnel by quarter (with column totals)
    quarter_by: list

    def total(self, step) -> tuple[Protected, tuple]:
        """(table, key) of the page's one published figure for everyone in ``step``."""
        if step in self.main.cols:
            return self.main, (("col", step) if self.by else ("cell", (), step))
        return self.rest, ("cell", (), step)


def page_tables(scope: Scope, by: list[str], rules: Rules, quarter_by=()) -> PageTables:
    """The mentee tables of a page broken down by ``by`` (with its funnel by quarter broken down
    by ``quarter_by``), protected once and cached in ``scope.cache``."""
    return scope.cached(
        ("protected", tuple(by), tuple(quarter_by), rules),
        lambda: _page_tables(scope, list(by), rules, list(quarter_by)),
    )


def _page_tables(scope: Scope, by: list[str], rules: Rules, quarter_by: list[str]) -> PageTables:
    funnel = funnel_counts(scope, by)
    equity = equity_counts(scope, by)
    steps = [s for s, _ in FUNNEL if s in funnel]
    cols = steps + [c for c, _ in EQUITY_COLS if c not in funnel]
    counts = {**funnel, **equity}
    funnel_rows = _rows_of(funnel) or [()]
    equity_rows = _rows_of(equity) or [()]
    rows = _sorted_keys(set(funnel_rows) | set(equity_rows))
    cells = {(k, c): counts[c].get(k, 0) for k in rows for c in cols}
    main = protect(rows, cols, cells, rules, row_totals=False, col_totals=bool(by))
    overall = funnel_counts(scope, []) if by else funnel
    overall_steps = [s for s, _ in FUNNEL if s in overall]
    rest_steps = [s for s in overall_steps if s not in steps]
    rest = None
    if rest_steps:  # expressions of interest carry no identity answers: counted overall only
        rest = protect(
            [()],
            rest_steps,
            {((), s): overall[s].get((), 0) for s in rest_steps},
            rules,
            row_totals=False,
            col_totals=False,
        )
    qcounts = funnel_counts(scope, quarter_by, quarter=True)
    qsteps = [s for s, _ in FUNNEL if s in qcounts]
    qkeys = _rows_of(qcounts) or [()]
    quarter = protect(
        qkeys,
        qsteps,
        {(k, s): qcounts[s].get(k, 0) for k in qkeys for s in qsteps},
        rules,
        row_totals=False,
        col_totals=True,
    )
    tables = PageTables(
        by, main, steps, funnel_rows, equity_rows, overall_steps, rest, quarter, quarter_by
    )
    for s in qsteps:
        if s in overall_steps:
            _agree(tables.total(s), (quarter, ("col", s)))
    return tables


def _agree(*figures) -> None:
    """One figure (everyone in a step) published by several tables as ``(table, key)``: if any
    table hides it, every table does, and a table that showed it hides the rest of its column too
    (its shown cells would add up to it). Hiding more never reveals more."""
    if not any(key in p.hidden for p, key in figures):
        return
    for p, key in figures:
        if key in p.hidden:
            continue
        keys = [key]
        if key[0] == "col":
            keys += [("cell", r, key[1]) for r in p.rows]
        for k in keys:
            if k not in p.hidden and p.values[k] > 0:
                p.hidden.add(k)
                p.display[k] = HIDDEN


def _sorted_keys(keys) -> list:
    return sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k))


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
        rows.append([_row_label(scheme, names, k)] + [_text(figure[(k, s)]) for s, _ in steps])
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
            (lbl, t.values[key])
            for s, lbl in steps
            for t, key in [figure[((), s)]]
            if _text((t, key)) not in (rules.small, HIDDEN)
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
    for to, frm in CONVERSIONS:
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
    return Report("Conversion rates", ["Step", "Rate"], rows)


def match_days(scope: Scope, by: list[str]) -> dict:
    """{group tuple: [days from registration to match]}."""
    return scope.cached(("days", tuple(by)), lambda: _days_by(scope, list(by)))


def _days_by(scope: Scope, by: list[str]) -> dict:
    if connection.vendor == "postgresql" and _covered(scope, "people", by, False):
        # Carried in the page's table of people: no query.
        cells = person_cells(scope, by)
        return defaultdict(list, {k: row["days"] for k, row in cells.items() if row["days"]})
    found = _covered(scope, "days", by, False)
    if found is None:
        table = _match_days(scope, by)
        _keep(scope, "days", by, False, table)
        return table
    dims, _, table = found
    idx = [dims.index(b) for b in by]
    out = defaultdict(list)
    for key, values in table.items():
        out[tuple(key[i] for i in idx)].extend(values)
    return out


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
    f = funnel_counts(scope, by)
    out = {k: f[k] for k in ("mentees", "matched", "rank1", "early")}
    out.update(_steps_of(person_cells(scope, by), ["closed", "sponsorship", *OUTCOME_MILESTONES]))
    return out


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
    cells = person_cells(scope, by)
    n_mentors = {k: row["mentors"] for k, row in cells.items() if row["mentors"]}
    carried = {k: row["carried"] for k, row in cells.items()}
    current = {k: row["current_rels"] for k, row in cells.items()}
    # Per person, memberships count relationships; a relationship with two or more mentors in
    # one group would be counted once per mentor, so take the extra ones off (usually none).
    for (key, is_closed), extra in _co_mentors(scope, by).items():
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


def _co_mentors(scope: Scope, by: list[str]) -> dict:
    """{(group, closed?): n}: how many times relationships are counted more than once when each
    mentor counts their own (n mentors of one relationship in one group count it n times)."""
    mentors = Membership.objects.filter(
        relationship__scheme=scope.scheme, side=Membership.Side.MENTOR
    )
    others = Membership.objects.filter(
        relationship=OuterRef("relationship"), side=Membership.Side.MENTOR
    ).exclude(pk=OuterRef("pk"))
    rows = list(
        scope.restrict(mentors.filter(Exists(others)), "participant__")
        .values_list("relationship", "participant", "relationship__state")
        .order_by()
    )
    if not rows:
        return {}
    # The groups of these few mentors only (a second, small query).
    people, keys = _annotate(scope.people().filter(pk__in={r[1] for r in rows}), by, "", "pk")
    group = {row[0]: tuple(row[1:]) for row in people.values_list("pk", *keys).order_by()}
    per_rel = defaultdict(int)
    closed = Relationship.State.CLOSED
    for rel, pid, state in rows:
        if pid in group:
            per_rel[(rel, group[pid], state == closed)] += 1
    extra = defaultdict(int)
    for (_, key, is_closed), n in per_rel.items():
        extra[(key, is_closed)] += n - 1
    return {k: n for k, n in extra.items() if n}


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
    from equimentor.reports.models import Benchmark

    marks = list(Benchmark.objects.filter(scheme=scope.scheme))
    if not marks:
        return None
    people = scope.people().exclude(
        status__in=[Participant.Status.WITHDRAWN, Participant.Status.DECLINED]
    )
    # From the page's table of people when it covers the benchmark's dimensions (no query).
    total = sum(row["current"] for row in person_cells(scope, []).values())
    rows = []
    for b in marks:
        dims = [d for d in b.groups if d in DIMENSIONS][:3]
        if _covered(scope, "people", dims, False):
            counts = _steps_of(person_cells(scope, dims), ["current"])["current"]
        else:
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
