"""The page's counts come from one query over people (``queries.person_cells``); here they are
checked against the straightforward form — one grouped query per table, as the reports were first
written — on generated data with the awkward cases added: co-mentors, a mentee matched twice, a
registration on a quarter boundary in summer time, withdrawn consent and a blank answer."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count, F, Q
from django.db.models.functions import TruncQuarter
from django.utils import timezone

from equimentor.enrolment.models import Consent, ExpressionOfInterest, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.lib.disclosure import Rules
from equimentor.matching.models import Proposal, Via
from equimentor.relationships.models import Membership, Milestone, Relationship, SponsorshipAct
from equimentor.reports import queries, sections
from equimentor.reports.labels import OUTCOME_MILESTONES
from equimentor.reports.queries import EARLY, SIX_MONTHS, Scope
from tests import factories
from tests.reports_data import generate

BYS = [
    [],
    ["institution"],
    ["ethnicity"],
    ["career_stage"],
    ["ethnicity", "gender"],
    ["gender", "institution"],
    ["ethnicity", "gender", "disability"],
]


# --- the reference: one grouped query per table -------------------------------------------------


def grouped_steps(qs, keys, counted, steps: dict, distinct=True) -> dict:
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


def ref_funnel(scope: Scope, by, quarter=False) -> dict:
    now = scope.now
    scheme = scope.scheme

    def grouped(qs, prefix, ref, date_field, steps):
        if quarter:
            qs = qs.annotate(g_quarter=TruncQuarter(date_field))
        qs, keys = queries.annotate_groups(qs, by, prefix, ref)
        keys += ["g_quarter"] if quarter else []
        return grouped_steps(qs, keys, ref if prefix else "pk", steps)

    out = {}
    if not [b for b in by if b != "institution"]:
        eoi = ExpressionOfInterest.objects.filter(scheme=scheme)
        if scope.institutions:
            eoi = eoi.filter(institution__in=scope.institutions)
        exprs = {"g_institution": F("institution__name")} if by else {}
        q = eoi.annotate(**exprs)
        if quarter:
            q = q.annotate(g_quarter=TruncQuarter("created_at"))
        keys = list(exprs) + (["g_quarter"] if quarter else [])
        out.update(
            grouped_steps(q, keys, "pk", {"eoi": None, "eligible": Q(declared_eligible=True)})
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


def ref_equity(scope: Scope, by) -> dict:
    scheme = scope.scheme
    out = {}
    mem = scope.restrict(
        Membership.objects.filter(
            relationship__scheme=scheme,
            side=Membership.Side.MENTEE,
            relationship__state=Relationship.State.CLOSED,
        ),
        "participant__",
    )
    out["closed"] = queries.group_counts(mem, by, "participant__", "participant", "participant")
    acts = scope.restrict(SponsorshipAct.objects.filter(relationship__scheme=scheme), "mentee__")
    out["sponsorship"] = queries.group_counts(acts, by, "mentee__", "mentee")
    ms = scope.restrict(Milestone.objects.filter(participant__scheme=scheme), "participant__")
    ms, keys = queries.annotate_groups(ms, by, "participant__", "participant")
    out.update(grouped_steps(ms, keys, "pk", {k: Q(kind=k) for k in OUTCOME_MILESTONES}))
    return out


def ref_mentors(scope: Scope, by) -> dict:
    scheme = scope.scheme
    mentors = scope.restrict(
        Participant.objects.filter(
            scheme=scheme, is_mentor=True, status=Participant.Status.APPROVED
        ),
        "",
    )
    out = {"mentors": queries.group_counts(mentors, by, "", "pk")}
    mem = scope.restrict(
        Membership.objects.filter(relationship__scheme=scheme, side=Membership.Side.MENTOR),
        "participant__",
    )
    mem, keys = queries.annotate_groups(mem, by, "participant__", "participant")
    out.update(
        grouped_steps(
            mem,
            keys,
            "relationship",
            {"carried": None, "current": ~Q(relationship__state=Relationship.State.CLOSED)},
        )
    )
    return out


def ref_current(scope: Scope, by) -> dict:
    people = scope.people().exclude(
        status__in=[Participant.Status.WITHDRAWN, Participant.Status.DECLINED]
    )
    return queries.group_counts(people, by, "", "pk")


def ref_days(scope: Scope, by) -> dict:
    accepted = scope.restrict(
        Proposal.objects.filter(
            scheme=scope.scheme, status=Proposal.Status.ACCEPTED, decided_at__isnull=False
        ),
        "mentee__",
    )
    qs, keys = queries.annotate_groups(accepted, by, "mentee__", "mentee")
    out = defaultdict(list)
    for row in qs.values_list(*keys, "decided_at", "mentee__registered_at"):
        out[tuple(row[: len(keys)])].append((row[-2] - row[-1]).total_seconds() / 86400)
    return {k: sorted(v) for k, v in out.items()}


# --- data -----------------------------------------------------------------------------------------


def make_rows():
    """Generated data with the awkward cases added (the module's docstring): made once for this
    module's tests."""
    scheme, coordinator, _ = generate(360, 130, seed=11)
    people = list(Participant.objects.filter(scheme=scheme).order_by("pk"))
    mentees = [p for p in people if p.is_mentee and p.status == "approved"]
    mentors = [p for p in people if p.is_mentor and p.status == "approved"]
    now = timezone.now()
    # co-mentors: a network whose two mentors share every group, one closed, one open
    twin = mentors[1]
    Participant.objects.filter(pk=twin.pk).update(
        institution=mentors[0].institution, career_stage=mentors[0].career_stage
    )
    IdentityAnswer.objects.filter(participant=twin).delete()
    for a in IdentityAnswer.objects.filter(participant=mentors[0]):
        IdentityAnswer.objects.create(participant=twin, dimension=a.dimension, value=a.value)
    if not Consent.objects.filter(participant=mentors[0], purpose="identity_reports").exists():
        Consent.objects.filter(participant=twin, purpose="identity_reports").delete()
    elif not Consent.objects.filter(participant=twin, purpose="identity_reports").exists():
        c = Consent.objects.filter(participant=mentors[0], purpose="identity_reports").first()
        Consent.objects.create(
            participant=twin, purpose=c.purpose, document=c.document, given_at=now
        )
    for state in ("active", "closed"):
        rel = Relationship.objects.create(
            scheme=scheme,
            kind="network",
            state=state,
            close_reason="goals_met" if state == "closed" else "",
            closed_at=now if state == "closed" else None,
            started_at=now - timedelta(days=250),
            start_date=(now - timedelta(days=250)).date(),
            end_date=now.date(),
            original_end_date=now.date(),
            last_activity_at=now,
        )
        for p, side in ((mentors[0], "mentor"), (twin, "mentor"), (mentors[2], "mentor")):
            Membership.objects.create(relationship=rel, participant=p, side=side, joined_at=now)
        Membership.objects.create(
            relationship=rel, participant=mentees[-1], side="mentee", joined_at=now
        )
    # a mentee matched twice (then by fallback), with a second relationship that ended early
    first = Proposal.objects.filter(scheme=scheme, status="accepted").first()
    again = first.mentee
    Relationship.objects.filter(proposal=first).update(
        state="closed", close_reason="lapsed", closed_at=now, extended_count=1
    )
    second = Proposal.objects.create(
        scheme=scheme,
        mentee=again,
        mentor=mentors[3],
        via=Via.FALLBACK,
        status="accepted",
        proposed_at=now - timedelta(days=5),
        decided_at=now - timedelta(days=2),
    )
    rel = Relationship.objects.create(
        scheme=scheme,
        proposal=second,
        state="closed",
        close_reason="no_fault",
        closed_at=now,
        activated_at=now - timedelta(days=1),
        started_at=now - timedelta(days=2),
        start_date=(now - timedelta(days=2)).date(),
        end_date=now.date(),
        original_end_date=now.date(),
        last_activity_at=now,
    )
    for p, side in ((mentors[3], "mentor"), (again, "mentee")):
        Membership.objects.create(relationship=rel, participant=p, side=side, joined_at=now)
    # registered in the first minutes of 1 April (summer time): the second quarter in London
    Participant.objects.filter(pk=mentees[0].pk).update(
        registered_at=datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    )
    Consent.objects.filter(participant=mentees[1], purpose="identity_reports").update(
        withdrawn_at=now
    )
    IdentityAnswer.objects.update_or_create(
        participant=mentees[2], dimension="gender", defaults={"value": ""}
    )
    return scheme, Participant.objects.get(pk=mentors[0].pk).institution


[generated] = factories.rows_as("generated")


def _funnel_from(scope, by, quarter=False):
    counts = queries.funnel_counts(scope, by, quarter=quarter)
    return {step: dict(groups) for step, groups in counts.items()}


@pytest.mark.parametrize("committee", [False, True])
def test_one_query_matches_one_query_per_table(generated, committee):
    scheme, institution = generated
    now = timezone.now()
    inst = institution if committee else None
    page = Scope(scheme, inst, now=now)  # as a page does: the finest table first
    queries.prepare(page, ["ethnicity", "gender", "disability"])
    for by in BYS:
        ref = ref_funnel(Scope(scheme, inst, now=now), by)
        assert _funnel_from(Scope(scheme, inst, now=now), by) == ref, by
        if set(by) <= {"ethnicity", "gender", "disability"}:
            assert _funnel_from(page, by) == ref, by
        for q_by in ([], ["institution"], ["ethnicity"]):
            assert _funnel_from(Scope(scheme, inst, now=now), q_by, quarter=True) == ref_funnel(
                Scope(scheme, inst, now=now), q_by, quarter=True
            ), q_by
        assert _funnel_from(page, [], quarter=True) == ref_funnel(
            Scope(scheme, inst, now=now), [], quarter=True
        )
        equity = queries.equity_counts(Scope(scheme, inst, now=now), by)
        for col, groups in ref_equity(Scope(scheme, inst, now=now), by).items():
            assert equity[col] == groups, (by, col)
        cells = queries.person_cells(Scope(scheme, inst, now=now), by)
        mentors = ref_mentors(Scope(scheme, inst, now=now), by)
        assert {k: r["mentors"] for k, r in cells.items() if r["mentors"]} == mentors["mentors"]
        assert {k: r["current"] for k, r in cells.items() if r["current"]} == ref_current(
            Scope(scheme, inst, now=now), by
        )
        expected_days = ref_days(Scope(scheme, inst, now=now), by)
        for scope in (Scope(scheme, inst, now=now), page):
            if scope is page and not set(by) <= {"ethnicity", "gender", "disability"}:
                continue
            days = queries.match_days(scope, by)
            got = {k: sorted(v) for k, v in days.items() if v}
            assert got.keys() == expected_days.keys(), by
            for k, values in expected_days.items():
                assert got[k] == pytest.approx(values, abs=1e-9), (by, k)


def test_co_mentors_count_a_relationship_once(generated):
    scheme, institution = generated
    now = timezone.now()
    for by in BYS:
        expected = ref_mentors(Scope(scheme, now=now), by)
        cells = queries.person_cells(Scope(scheme, now=now), by)
        carried = {k: r["carried"] for k, r in cells.items()}
        current = {k: r["current_rels"] for k, r in cells.items()}
        for (key, closed), extra in queries.co_mentors(Scope(scheme, now=now), by).items():
            carried[key] -= extra
            if not closed:
                current[key] -= extra
        assert {k: n for k, n in carried.items() if n} == expected["carried"], by
        assert {k: n for k, n in current.items() if n} == expected["current"], by
    # the network's two look-alike mentors are counted once per relationship
    assert queries.co_mentors(Scope(scheme, now=now), ["institution"])


def test_full_report_identical_with_and_without_the_page_tables(generated):
    """Each table alone (fresh scope) equals the same table on a page (shared scope)."""
    scheme, _ = generated
    now = timezone.now()
    rules = Rules(threshold=3, min_values=3)
    by = ["ethnicity", "gender"]
    page = sections.full_report(Scope(scheme, now=now), by, rules)
    counts, ind = sections.equity_report(Scope(scheme, now=now), by, rules)
    alone = [
        sections.funnel_report(Scope(scheme, now=now), [], rules),
        sections.conversions(Scope(scheme, now=now), rules),
        sections.funnel_report(Scope(scheme, now=now), by, rules),
        sections.funnel_report(Scope(scheme, now=now), [], rules, quarter=True),
        counts,
        ind,
        sections.mentor_load(Scope(scheme, now=now), by, rules),
        sections.closed_by_reason(Scope(scheme, now=now), rules),
    ]
    assert [(r.title, r.rows, r.chart) for r in page[: len(alone)]] == [
        (r.title, r.rows, r.chart) for r in alone
    ]
