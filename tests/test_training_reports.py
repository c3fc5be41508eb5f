"""Training in the reports: sessions, places and attendance by kind, anonymous feedback by kind
with the small-number rules, attendance and induction completion by group, peer support and
staying in mentoring; on the coordinator's and committee's pages and exports, in constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from equimentor.identity.models import IdentityAnswer
from equimentor.reports.models import rules_for
from equimentor.reports.queries import Scope
from equimentor.reports.training import training_reports
from equimentor.training import induction, services
from equimentor.training.models import FeedbackInvitation
from tests.training_setup import local, members, session


def _table(reports, title):
    found = [r for r in reports if r.title.startswith(title)]
    assert found, [r.title for r in reports]
    return {row[0]: row[1:] for row in found[0].rows}


def _answer(session, n, usefulness=4):
    invs = FeedbackInvitation.objects.filter(
        registration__session=session, has_responded=False
    ).order_by("id")[:n]
    for inv in invs:
        services.submit_feedback(inv, usefulness=usefulness, would_recommend=True)
    with time_machine.travel(timezone.now() + timedelta(days=60)):  # every request has closed
        services.store_pending_feedback()


@pytest.fixture
def held(scheme_a, alice):
    people = members(scheme_a, alice, 12)
    for p in people[6:]:
        IdentityAnswer.objects.filter(participant=p, dimension="ethnicity").update(value="black")
    training = session(scheme_a, alice, title="Skills", capacity=12)
    circle = session(scheme_a, alice, title="Circle", kind="peer_support", capacity=6)
    for p in people:
        services.register(training, p, actor=None)
    for p in people[:6]:
        services.register(circle, p, actor=None)
    later = max(training.ends_at, circle.ends_at) + timedelta(hours=1)
    with time_machine.travel(later):
        t_regs = list(training.registrations.order_by("id"))
        services.record_attendance(training, {r.pk for r in t_regs[:8]}, actor=alice)
        services.record_attendance(
            circle, set(circle.registrations.values_list("pk", flat=True)), actor=alice
        )
        _answer(training, 7)
        _answer(circle, 3, usefulness=5)
    return people, training, circle, later


def test_sessions_feedback_and_attendance_tables(scheme_a, alice, held):
    people, training, circle, later = held
    rules = rules_for(scheme_a)
    with time_machine.travel(later):
        reports = training_reports(Scope(scheme_a), [], rules)
        kinds = _table(reports, "Training and peer-support sessions held")
        assert kinds["Training"] == ["1", "1", "12", "8", "67%"]
        assert kinds["Peer support"] == ["1", "1", "6", "6", "100%"]
        assert kinds["All sessions"] == ["2", "2", "18", "14", "78%"]
        feedback = _table(reports, "Session feedback by kind")
        # 7 + 3 answers: the 3 are too few, and hiding them alone would let the total give them
        # away, so both kinds are hidden; the whole (10 answers) is shown
        assert feedback["All sessions"] == ["10", "4.3", "100%"]
        assert feedback["Training"][0] == "x" and feedback["Peer support"][0] == "x"
        assert feedback["Training"][1] == "–"
        _answer(circle, 2, usefulness=5)
        feedback = _table(training_reports(Scope(scheme_a), [], rules), "Session feedback by kind")
        assert feedback["Training"] == ["7", "–", "100%"]  # a mean needs 8 answers
        assert feedback["Peer support"][0] == "5"
        by_group = _table(
            training_reports(Scope(scheme_a), ["ethnicity"], rules), "Session attendance by"
        )
        # 2 of the second group came: "<5", and the first group's 6 is hidden with it, since
        # the total (8) is published
        assert by_group["Asian or Asian British"] == ["6", "x", "6"]
        assert by_group["Black, Black British, Caribbean or African"] == ["6", "<5", "0"]
        assert by_group["All"] == ["12", "8", "6"]


def test_induction_completion_by_group_and_peer_support_staying(scheme_a, alice, held):
    people, training, circle, later = held
    draft = induction.start_draft(scheme_a, actor=alice)
    item = induction.save_item(
        draft, induction.ItemData("link", "AMS", url="https://x.example"), actor=alice
    )
    induction.publish(draft, actor=alice)
    for p in people[:7]:
        induction.complete_item(p, item, actor=None)
    with time_machine.travel(later):
        reports = training_reports(Scope(scheme_a), ["ethnicity"], rules_for(scheme_a))
    table = _table(reports, "Induction completion")
    assert table["Asian or Asian British"][:3] == ["6", "x", "–"]  # would give the "<5" away
    assert table["Black, Black British, Caribbean or African"][:3] == ["6", "<5", "–"]
    assert table["All"][:3] == ["12", "7", "58%"]
    assert table["All"][3] == "–"  # a median needs 8 people
    staying = _table(reports, "Mentees in mentoring")
    assert staying["Came to peer support"] == ["0", "0", "–"]  # none in a relationship yet


def test_on_the_pages_and_exports_and_in_constant_queries(client, scheme_a, alice, held):
    people, training, circle, later = held
    with time_machine.travel(later):
        client.force_login(alice)
        page = client.get(reverse("reports:dashboard", args=["scheme-a"]))
        assert b"Training and peer-support sessions held" in page.content
        assert b"Session feedback by kind" in page.content
        csv = client.get(reverse("reports:export", args=["scheme-a", "csv"]))
        assert b"Session attendance" in csv.content
        with CaptureQueriesContext(connection) as before:
            training_reports(Scope(scheme_a), ["ethnicity"], rules_for(scheme_a))
    more = members(scheme_a, alice, 5, prefix="more")
    extra = session(scheme_a, alice, title="Extra", local_start=local(days=9))
    for p in more:
        services.register(extra, p, actor=None)
    with time_machine.travel(extra.ends_at + timedelta(hours=1)):
        services.record_attendance(
            extra, set(extra.registrations.values_list("pk", flat=True)), actor=alice
        )
        with CaptureQueriesContext(connection) as after:
            training_reports(Scope(scheme_a), ["ethnicity"], rules_for(scheme_a))
    assert len(after.captured_queries) == len(before.captured_queries)
