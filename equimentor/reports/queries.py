"""The counts behind the reports, read with aggregate queries (some of them PostgreSQL- or
SQLite-specific): every figure counts people, so a page's counts come from one query over people
(``person_cells``) and one over expressions of interest (``eoi_cells``), kept in the ``Scope``'s
cache; coarser tables are summed from them in Python.

Identity groups use answers only of people with a current ``identity_reports`` consent; everyone
else counts as "Not stated". Nothing here protects a figure: ``tables`` and ``sections`` do.
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
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
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
from equimentor.identity.models import IdentityAnswer
from equimentor.matching.models import Proposal, Via
from equimentor.matching.queries import accepted_with_date, days_to_match
from equimentor.relationships.models import Membership, Milestone, Relationship, SponsorshipAct
from equimentor.reports.labels import FUNNEL, NOT_STATED, OUTCOME_MILESTONES
from equimentor.schemes.models import Institution

EARLY = ["no_fault", "circumstances_changed", "lapsed", "safeguarding", "withdrawn"]
SIX_MONTHS = timedelta(days=182)


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

    def six_months_due(self) -> bool:
        """Has any relationship of the scheme started at least six months ago? Until one has,
        "Active at 6 months" is not yet due (a scheme-wide fact, so it tells nothing of any
        group or institution)."""
        now = self.now or timezone.now()
        return self.cached(
            ("six_months_due",),
            lambda: Relationship.objects.filter(
                scheme=self.scheme, started_at__lte=now - SIX_MONTHS
            ).exists(),
        )

    def restrict(self, qs, prefix):
        if self.institutions:
            return qs.filter(**{prefix + "institution__in": self.institution_ids})
        return qs


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


def annotate_groups(qs, by: list[str], prefix: str, ref: str):
    """(queryset with each person's groups as ``g_<code>``, the group keys)."""
    relations, exprs = _group_exprs(by, prefix, ref)
    if relations:
        qs = qs.alias(**relations)
    if exprs:
        qs = qs.annotate(**exprs)
    return qs, list(exprs)


def _grouped_count(qs, keys, counted, distinct=True) -> dict:
    """{group tuple: n}: ``values(groups).annotate(Count(...))``, or one aggregate."""
    if not keys:
        n = qs.order_by().aggregate(n=Count(counted, distinct=distinct))["n"]
        return {(): n} if n else {}
    rows = qs.values(*keys).annotate(n=Count(counted, distinct=distinct)).order_by()
    return {tuple(r[k] for k in keys): r["n"] for r in rows}


def group_counts(qs, by, prefix, ref, distinct_field="pk"):
    """{group tuple: n} for ``by``."""
    qs, keys = annotate_groups(qs, by, prefix, ref)
    return _grouped_count(qs, keys, distinct_field)


def funnel_counts(scope: Scope, by: list[str], quarter: bool = False) -> dict:
    """{step: {group tuple: n}} — every step counts people (mentees from "matched" on)."""
    return scope.cached(("funnel", tuple(by), quarter), lambda: _funnel_counts(scope, by, quarter))


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


def eoi_cells(scope: Scope, by: list[str], quarter: bool) -> dict:
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


def steps_of(cells: dict, steps) -> dict:
    """{step: {group tuple: n}}, leaving out groups with no one in a step."""
    return {s: {k: row[s] for k, row in cells.items() if row[s]} for s in steps}


def prepare(scope: Scope, by: list[str], *, days: bool = True) -> None:
    """Work out, in one query each, the finest tables a page with breakdown ``by`` needs (by
    ``by`` and quarter): every other table on the page is summed from them, so no query runs
    twice. Called by a page (``full_report``) and by each page's tables (``page_tables``), so a
    report computed on its own reads people once too. ``days``: the days to match as well."""
    person_cells(scope, by, quarter=True)
    if not [b for b in by if b != "institution"]:
        eoi_cells(scope, by, quarter=True)
    else:
        eoi_cells(scope, [], quarter=True)
    if days:
        match_days(scope, by)  # PostgreSQL: from the table of people


def _funnel_counts(scope: Scope, by: list[str], quarter: bool) -> dict:
    out: dict = {}
    if not [b for b in by if b != "institution"]:
        out.update(steps_of(eoi_cells(scope, by, quarter), ["eoi", "eligible"]))
    out.update(steps_of(person_cells(scope, by, quarter), PERSON_STEPS))
    return out


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
    accepted = scope.restrict(accepted_with_date(scope.scheme), "mentee__")
    qs, keys = annotate_groups(accepted, by, "mentee__", "mentee")
    return days_to_match(qs, keys)


def current_counts(scope: Scope, by: list[str]) -> dict:
    """{group tuple: n} of current participants (neither withdrawn nor declined), from the page's
    table of people when it covers ``by`` (no query), else with one query."""
    if _covered(scope, "people", by, False):
        return steps_of(person_cells(scope, by), ["current"])["current"]
    people = scope.people().exclude(
        status__in=[Participant.Status.WITHDRAWN, Participant.Status.DECLINED]
    )
    return group_counts(people, by, "", "pk")


def equity_counts(scope: Scope, by: list[str]) -> dict:
    f = funnel_counts(scope, by)
    out = {k: f[k] for k in ("mentees", "matched", "rank1", "early")}
    out.update(steps_of(person_cells(scope, by), ["closed", "sponsorship", *OUTCOME_MILESTONES]))
    return out


def co_mentors(scope: Scope, by: list[str]) -> dict:
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
    people, keys = annotate_groups(scope.people().filter(pk__in={r[1] for r in rows}), by, "", "pk")
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
