"""The reports pages keep their computed sections until the scheme's data changes (issue #17):
each kind of change the reports read, made through its service, shows on the next view; another
scheme's change does not throw the kept sections away; a kept view costs fewer queries and shows
the same page; and suppressed figures stay suppressed in what is kept."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core import versions
from equimentor.enrolment import consents
from equimentor.enrolment import services as enrolment
from equimentor.enrolment.models import Participant
from equimentor.identity import services as identity
from equimentor.lib.disclosure import Rules
from equimentor.matching import services as matching
from equimentor.privacy.services import erase_person
from equimentor.relationships.models import Membership, Relationship
from equimentor.relationships.services import lifecycle, outcomes
from equimentor.reports import cache as reports_cache
from equimentor.reports.models import ReportSettings
from equimentor.training import services as training
from tests import evaluation_setup as es
from tests import factories
from tests.matching_setup import choose, people
from tests.reports_data import generate
from tests.training_setup import members, session

API = "/api/v1/schemes/{}/reports/"
QUERY = "?by1=ethnicity"


def make_rows():
    """The "bench" scheme (120 participants, 50 relationships) and its coordinator, generated
    once for this module's tests; the tests on scheme A make their own rows."""
    scheme, coordinator, _ = generate(120, 50, seed=5)
    return scheme, coordinator


(bench,) = factories.rows_as("bench")


def tables(client, scheme, query=QUERY) -> list:
    response = client.get(API.format(scheme.slug) + query)
    assert response.status_code == 200
    return response.json()["tables"]


def fresh(client, scheme, query=QUERY) -> list:
    """The tables computed afresh: nothing kept."""
    cache.clear()
    return tables(client, scheme, query)


def shows_the_change(client, scheme, change, query=QUERY) -> None:
    """View, ``change()`` through a service, view again: the second view is what a fresh
    computation gives, and differs from the first."""
    before = tables(client, scheme, query)
    assert tables(client, scheme, query) == before  # kept, and the same
    version = versions.current(scheme)
    change()
    assert versions.current(scheme) > version
    after = tables(client, scheme, query)
    assert after != before, "the change does not show: the test would prove nothing"
    assert after == fresh(client, scheme, query)


def _mentee(scheme, *, consenting=True, status="approved"):
    for p in Participant.objects.filter(scheme=scheme, is_mentee=True, status=status).order_by(
        "pk"
    ):
        if p.consents.filter(
            purpose="identity_reports", withdrawn_at__isnull=True
        ).exists() == bool(consenting):
            return p
    raise AssertionError("no such mentee")


def test_a_registration_and_its_approval(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    shows_the_change(
        client,
        scheme,
        lambda: factories.register_participant(
            scheme, "new@example.org", role="mentee", approve_by=coordinator
        ),
        query="",
    )


def test_a_withdrawal(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    shows_the_change(
        client,
        scheme,
        lambda: enrolment.withdraw(_mentee(scheme), actor=coordinator, erase_identity=False),
        query="",
    )


def test_identity_answers(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    person = _mentee(scheme)
    current = person.identity_answers.filter(dimension="ethnicity").first()
    value = "black" if current is None or current.value != "black" else "white"
    shows_the_change(
        client,
        scheme,
        lambda: identity.save_identity(
            person,
            {"ethnicity": identity.Answer(value=value)},
            {"identity_reports": True, "identity_matching": False},
            actor=person.user,
        ),
    )


def test_consent_to_equity_reports_withdrawn(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    person = _mentee(scheme)
    shows_the_change(
        client,
        scheme,
        lambda: consents.withdraw_consent(person, "identity_reports", actor=person.user),
        query="?by1=ethnicity&by2=gender",
    )


def test_a_relationship_closed(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    rel = Relationship.objects.filter(scheme=scheme, state="active").order_by("pk").first()
    shows_the_change(
        client,
        scheme,
        lambda: lifecycle.close(rel, reason="lapsed", actor=coordinator),
        query="",
    )


def test_outcome_milestones(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    mentees = Participant.objects.filter(scheme=scheme, is_mentee=True, status="approved")

    def grants():  # enough to show (a single one would be "<5")
        for person in mentees.order_by("pk")[:6]:
            outcomes.add_milestone(
                person,
                kind="grant",
                title="A grant",
                achieved_on=timezone.localdate(),
                actor=person.user,
            )

    shows_the_change(client, scheme, grants, query="")


def test_a_sponsorship_act(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    rel = Relationship.objects.filter(scheme=scheme, state="active").order_by("pk").first()
    mentor = rel.memberships.get(side=Membership.Side.MENTOR)
    mentee = rel.memberships.get(side=Membership.Side.MENTEE).participant
    shows_the_change(
        client,
        scheme,
        lambda: outcomes.record_sponsorship(
            rel,
            mentor,
            mentee=mentee,
            kind="letter",
            description="A letter",
            on_date=timezone.localdate(),
            actor=mentor.participant.user,
        ),
        query="",
    )


def test_a_matching_round_published_and_a_proposal_accepted(client, scheme_a, alice):
    client.force_login(alice)
    mentors, mentees = people(scheme_a, alice, mentors=6, mentees=6, capacity=1)
    for mentee, mentor in zip(mentees, mentors, strict=True):
        choose(mentee, mentor)
    rnd = matching.open_round(scheme_a, actor=alice)
    matching.close_choices(rnd, actor=alice)
    published = []
    shows_the_change(
        client, scheme_a, lambda: published.extend(matching.publish(rnd, actor=alice)), query=""
    )

    def accept_all():
        for p in published:
            matching.reply(p, p.mentor, accept=True, actor=p.mentor.user)
            matching.reply(p, p.mentee, accept=True, actor=p.mentee.user)

    shows_the_change(client, scheme_a, accept_all, query="")


def test_evaluation_responses(client, scheme_a, alice):
    client.force_login(alice)
    followup = es.install(scheme_a, alice)["aimms-month-6"]
    shows_the_change(
        client,
        scheme_a,
        lambda: es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES)),
        query="?oq=aimms-month-6",
    )


def test_training_attendance(client, scheme_a, alice):
    client.force_login(alice)
    who = members(scheme_a, alice, 12)
    skills = session(scheme_a, alice, title="Skills", capacity=12)
    for p in who:
        training.register(skills, p, actor=None)
    with time_machine.travel(skills.ends_at + timedelta(hours=1)):
        client.force_login(alice)
        regs = list(skills.registrations.order_by("id"))
        shows_the_change(
            client,
            scheme_a,
            lambda: training.record_attendance(skills, {r.pk for r in regs[:8]}, actor=alice),
            query="",
        )


def test_disclosure_settings(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)

    def stricter():
        response = client.post(
            f"/manage/{scheme.slug}/reports/settings/",
            {"save_settings": "1", "threshold": 20, "min_values": 20},
        )
        assert response.status_code == 302
        assert ReportSettings.objects.get(scheme=scheme).threshold == 20

    shows_the_change(client, scheme, stricter, query="?by1=ethnicity&by2=gender")


def test_another_schemes_change_keeps_the_sections(client, bench, scheme_b):
    scheme, coordinator = bench
    charlie = factories.make_staff(scheme_b, "coordinator", email="c2@example.org")
    client.force_login(coordinator)
    first = tables(client, scheme)
    version = versions.current(scheme)
    factories.register_participant(scheme_b, "other@example.org", approve_by=charlie)
    assert versions.current(scheme) == version
    with CaptureQueriesContext(connection) as ctx:
        assert tables(client, scheme) == first
    assert not any("enrolment_participant" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.parametrize("page", ["/manage/bench/reports/", "/schemes/bench/reports/"])
def test_a_kept_page_costs_fewer_queries_and_reads_the_same(client, bench, page):
    scheme, coordinator = bench
    client.force_login(coordinator)
    url = page + "?by1=ethnicity&by2=gender"
    with CaptureQueriesContext(connection) as cold:
        first = client.get(url)
    with CaptureQueriesContext(connection) as warm:
        second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert len(warm) < len(cold)
    # none of the reports' own queries runs again
    assert not any("enrolment_participant" in q["sql"] for q in warm.captured_queries)

    def body(response):  # the page, less the CSRF token each response has its own
        text = response.content.decode()
        return [line for line in text.splitlines() if "csrfmiddlewaretoken" not in line]

    assert body(second) == body(first)


def test_what_is_kept_is_already_suppressed(client, scheme_a, alice, monkeypatch):
    """A small scheme's figures are "<5" on the first view and on the kept one, and what the
    cache is given holds the published tables, no other figure."""
    client.force_login(alice)
    given = []
    real_set = cache.set

    def spy(key, value, timeout=None):
        given.append(value)
        return real_set(key, value, timeout=timeout)

    monkeypatch.setattr(cache, "set", spy)
    factories.register_participant(scheme_a, "one@example.org", approve_by=alice)
    first = tables(client, scheme_a, "")
    funnel = next(t for t in first if t["title"] == "Funnel")
    assert "<5" in funnel["rows"][0]
    assert tables(client, scheme_a, "") == first
    assert len(given) == 1
    reports, outcomes = given[0]
    assert [r.rows for r in reports + outcomes.reports] == [t["rows"] for t in first]


def test_ten_at_once_compute_once(monkeypatch, settings):
    """Readers asking for the same missing sections at once wait for one computation."""
    monkeypatch.setattr(versions, "current", lambda scheme: 1)
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return ["sections"]

    scheme = SimpleNamespace(pk=987654)
    got = []

    def read():
        key = reports_cache.key(scheme, (), [], Rules(), ("", "", ""))
        got.append(reports_cache.sections(key, compute))

    threads = [threading.Thread(target=read) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [["sections"]] * 10
    assert len(calls) == 1


def test_kept_sections_expire(client, bench, settings):
    """Figures that move with the clock (sessions held, six months running) are kept at most
    REPORTS_CACHE_SECONDS."""
    scheme, coordinator = bench
    client.force_login(coordinator)
    settings.REPORTS_CACHE_SECONDS = 60
    tables(client, scheme)
    with CaptureQueriesContext(connection) as kept:
        tables(client, scheme)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        with CaptureQueriesContext(connection) as expired:
            tables(client, scheme)
    assert len(expired) > len(kept)


def test_erasing_a_person_moves_her_schemes_versions(bench):
    scheme, coordinator = bench
    person = _mentee(scheme)
    version = versions.current(scheme)
    erase_person(User.objects.get(pk=person.user_id), actor=coordinator)
    assert versions.current(scheme) > version


def test_folding_keeps_the_version(bench, scheme_b):
    scheme, coordinator = bench
    factories.register_participant(scheme, "new@example.org", approve_by=coordinator)
    versions.changed(scheme_b)
    before = {s.pk: versions.current(s) for s in (scheme, scheme_b)}
    assert versions.fold()["folded"] > 0
    assert {s.pk: versions.current(s) for s in (scheme, scheme_b)} == before
    versions.changed(scheme)
    assert versions.current(scheme) == before[scheme.pk] + 1


def test_the_rules_and_version_read_together_are_those_read_apart(scheme_a):
    """A kept page reads the report settings and the data version in one query: the same as
    ``rules_for`` and ``versions.current``, with or without settings, before and after a fold."""
    from equimentor.reports.models import rules_for

    def apart():
        return rules_for(scheme_a), versions.current(scheme_a)

    assert reports_cache.rules_and_version(scheme_a) == apart() == (Rules(), apart()[1])
    before = apart()[1]
    versions.changed(scheme_a)
    versions.changed(scheme_a)
    assert reports_cache.rules_and_version(scheme_a) == apart() == (Rules(), before + 2)
    versions.fold()
    versions.changed(scheme_a)
    assert reports_cache.rules_and_version(scheme_a) == apart() == (Rules(), before + 3)
    ReportSettings.objects.create(scheme=scheme_a, threshold=7, min_values=9, round_to_five=True)
    together = reports_cache.rules_and_version(scheme_a)
    assert together == apart() and together[0] == Rules(threshold=7, min_values=9, round_to=5)
