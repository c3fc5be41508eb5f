"""What needs a coordinator's attention (#21): each kind counted for its scheme only, the
safeguarding count for leads only and without details, bulk reminders through the task queue,
once per person within the gap, each logged; a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from equimentor.backoffice.models import Nudge
from equimentor.core.models import AuditEvent
from equimentor.core.roles import Role
from equimentor.core.tasks import task_backends
from equimentor.matching import services as matching
from equimentor.matching.models import Proposal
from equimentor.relationships.models import Flag, Relationship
from equimentor.relationships.services import raise_flag
from equimentor.safeguarding import services as sg
from equimentor.safeguarding.models import Case
from equimentor.schemes.models import StaffRole
from tests import factories
from tests.matching_setup import choose, people

DASHBOARD = "backoffice:dashboard"


def _world(scheme, coordinator, capture):
    """Two proposals waiting (one mentee replied), a third mentee unranked in a collecting round,
    a relationship with a contact request and lapsed meetings, one registration to review."""
    with capture(execute=True):
        mentors, mentees = people(scheme, coordinator, mentors=3, mentees=3, capacity=1)
        choose(mentees[0], mentors[0])
        choose(mentees[1], mentors[1])
        first = matching.open_round(scheme, actor=coordinator)
        matching.close_choices(first, actor=coordinator)
        matching.dry_run(first, actor=coordinator, stable_only=True)  # choices only
        proposals = {p.mentee_id: p for p in matching.publish(first, actor=coordinator)}
        p0 = proposals[mentees[0].pk]
        matching.reply(p0, p0.mentee, accept=True, actor=p0.mentee.user)  # mentor still to reply
        factories.register_participant(scheme, "waiting@example.org")  # not yet reviewed
    return mentors, mentees, proposals


def _relationship_with_flags(scheme, coordinator, capture):
    with capture(execute=True):
        mentor = factories.register_participant(
            scheme,
            "flagged-mentor@example.org",
            role="mentor",
            institution=factories.InstitutionFactory(name="Flagged Mentor U"),
            approve_by=coordinator,
        )
        mentor.career_stage, mentor.mentor_capacity = 4, 1
        mentor.save(update_fields=["career_stage", "mentor_capacity"])
        mentees = [
            factories.register_participant(
                scheme,
                "flagged-mentee@example.org",
                institution=factories.InstitutionFactory(name="Flagged Mentee U"),
                approve_by=coordinator,
            )
        ]
        mentors = [mentor]
        choose(mentees[0], mentors[0])
        rnd = matching.open_round(scheme, actor=coordinator)
        matching.close_choices(rnd, actor=coordinator)
        p = next(
            p for p in matching.publish(rnd, actor=coordinator) if p.mentee_id == mentees[0].pk
        )
        matching.reply(p, p.mentor, accept=True, actor=p.mentor.user)
        matching.reply(p, p.mentee, accept=True, actor=p.mentee.user)
    rel = Relationship.objects.get(proposal=p)
    raise_flag(scheme, Flag.Kind.CONTACT_REQUESTED, f"c-{rel.pk}", relationship=rel)
    raise_flag(scheme, Flag.Kind.MEETINGS_LAPSED, f"l-{rel.pk}", relationship=rel)
    return rel, mentors[0], mentees[0]


def _counts(client, scheme):
    page = client.get(reverse(DASHBOARD, args=[scheme.slug]))
    assert page.status_code == 200
    return {item.key: item.count for item in page.context["attention"]}, page.content.decode()


def test_each_kind_is_counted_for_its_own_scheme(
    client, scheme_a, scheme_b, alice, charlie, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _world(scheme_a, alice, capture)
    client.force_login(alice)
    counts, _ = _counts(client, scheme_a)
    assert counts == {"registrations": 1}  # proposals are not yet a week old; no round collects
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        with capture(execute=True):
            matching.open_round(scheme_a, actor=alice)  # collecting: mentee 2 has ranked nobody
        client.force_login(alice)
        counts, html = _counts(client, scheme_a)
        # choices only: mentee 2 ranked nobody, had no proposal, and is the one unranked
        assert counts == {"proposals": 2, "unranked": 1, "registrations": 1}
        assert "Needs attention" in html
        assert (
            "waiting more than 7 days for a reply (2 for the mentor&#x27;s, 1 for the mentee&#x27;s)"
            in html
        )
        # another scheme's coordinator sees none of it, on their page or on A's
        client.force_login(charlie)
        counts_b, _ = _counts(client, scheme_b)
        assert counts_b == {}
        assert client.get(reverse(DASHBOARD, args=[scheme_a.slug])).status_code == 403
        for kind in Nudge.Kind.values:
            url = reverse("backoffice:attention", args=[scheme_a.slug, kind])
            assert client.get(url).status_code == 403
            remind = reverse("backoffice:remind", args=[scheme_a.slug, kind])
            assert client.post(remind).status_code == 403
    assert not Nudge.objects.exists()


def test_flags_and_the_safeguarding_count_for_leads_only(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    rel, mentor, mentee = _relationship_with_flags(scheme_a, alice, capture)
    lead = factories.make_staff(scheme_a, Role.SAFEGUARDING, email="lead@example.org")
    StaffRole.objects.create(user=lead, scheme=scheme_a, role=Role.COORDINATOR)
    with capture(execute=True):
        case, _ = sg.raise_concern(
            mentee.user, scheme_a, sg.Concern("wellbeing", "SECRET-DETAIL of the case", "talk")
        )
    Case.objects.filter(pk=case.pk).update(received_on=timezone.localdate() - timedelta(days=10))
    client.force_login(alice)  # a coordinator, not a lead
    counts, html = _counts(client, scheme_a)
    assert counts == {"contact": 1, "lapsed": 1}
    assert "past a deadline" not in html
    assert "?flag=contact_requested" in html
    listed = client.get(
        reverse("relationships:manage_list", args=[scheme_a.slug]), {"flag": "meetings_lapsed"}
    )
    assert [r.pk for r in listed.context["rows"]] == [rel.pk]
    client.force_login(lead)
    counts, html = _counts(client, scheme_a)
    assert counts == {"safeguarding": 1, "contact": 1, "lapsed": 1}
    assert "<strong>1</strong> safeguarding cases past a deadline" in html
    assert "SECRET-DETAIL" not in html and mentee.user.full_name not in html


def test_a_bulk_reminder_goes_once_per_person_within_the_gap_and_is_logged(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    mentors, mentees, proposals = _world(scheme_a, alice, capture)
    fresh = [Proposal.objects.get(pk=p.pk) for p in proposals.values()]
    waiting_on = {p.mentor.user.email for p in fresh if not p.mentor_reply} | {
        p.mentee.user.email for p in fresh if not p.mentee_reply
    }
    assert len(waiting_on) == 3  # both mentors, and the mentee who has not replied
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        client.force_login(alice)
        url = reverse("backoffice:remind", args=[scheme_a.slug, Nudge.Kind.PROPOSAL_REPLY])
        mail.outbox.clear()
        with capture(execute=True):
            done = client.post(url, follow=True)
        n = len(waiting_on)
        assert f"Reminding {n} people." in done.content.decode()
        assert sorted(m.to[0] for m in mail.outbox) == sorted(waiting_on)
        body = next(m for m in mail.outbox if m.to[0] == proposals[mentees[0].pk].mentor.user.email)
        assert "still waiting for your reply" in body.body
        assert "/proposals/" in body.body and "Declining is fine" in body.body
        assert Nudge.objects.filter(kind=Nudge.Kind.PROPOSAL_REPLY).count() == n
        events = AuditEvent.objects.filter(action="backoffice.reminder.sent")
        assert events.count() == n and all(e.actor_id == alice.pk for e in events)
        # again the same day: nobody is reminded twice
        mail.outbox.clear()
        with capture(execute=True):
            again = client.post(url, follow=True)
        assert f"all {n} were reminded within the last 7 days" in again.content.decode()
        assert not mail.outbox and Nudge.objects.count() == n
        listing = client.get(
            reverse("backoffice:attention", args=[scheme_a.slug, Nudge.Kind.PROPOSAL_REPLY])
        ).content.decode()
        assert listing.count("(skipped)") == n and "Remind 0 people" in listing
    with time_machine.travel(timezone.now() + timedelta(days=16)):
        client.force_login(alice)
        mail.outbox.clear()
        with capture(execute=True):
            client.post(url)
        assert len(mail.outbox) == n  # a week later, due again


def test_the_overview_reads_a_fixed_number_of_queries(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _world(scheme_a, alice, capture)
    client.force_login(alice)
    url = reverse(DASHBOARD, args=[scheme_a.slug])
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        client.force_login(alice)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        _relationship_with_flags(scheme_a, alice, capture)
        with capture(execute=True):
            for n in range(4):
                factories.register_participant(scheme_a, f"more{n}@example.org")
        with CaptureQueriesContext(connection) as many:
            page = client.get(url)
        assert len(many.captured_queries) == len(few.captured_queries)
        assert {i.key for i in page.context["attention"]} >= {"contact", "lapsed"}


def test_reminders_the_queue_refuses_are_said_not_claimed(
    client, scheme_a, alice, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    capture = django_capture_on_commit_callbacks
    _world(scheme_a, alice, capture)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    # the configured backend refuses every task, as one whose broker is down does
    monkeypatch.setattr(type(task_backends["default"]), "enqueue", broker_down)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        client.force_login(alice)
        url = reverse("backoffice:remind", args=[scheme_a.slug, Nudge.Kind.PROPOSAL_REPLY])
        mail.outbox.clear()
        with capture(execute=True):
            page = client.post(url, follow=True).content.decode()
    assert "The reminders could not be started" in page and "Reminding" not in page
    assert not mail.outbox and not Nudge.objects.exists()
    assert "not accepted by the task queue" in caplog.text and alice.email not in caplog.text
