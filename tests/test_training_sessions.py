"""Sessions: scheduling and its refusals, registration, the waiting list, changes and
cancellations told to everyone with calendar updates, withdrawal, and the day-before reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from equimentor.core.models import AuditEvent
from equimentor.enrolment import services as enrolment
from equimentor.training import scheduler, services
from equimentor.training.models import Registration, Session
from tests.training_setup import local, members, plan, session


def _event(message):
    name, data, mimetype = message.attachments[0]
    cal = icalendar.Calendar.from_ical(data)
    return cal, next(iter(cal.walk("VEVENT"))), mimetype


def _to(email):
    return [m for m in mail.outbox if m.to == [email]]


@pytest.fixture
def three(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        people = members(scheme_a, alice, 3)
    mail.outbox.clear()
    return people


# -- scheduling ------------------------------------------------------------------------------------


def test_coordinator_schedules_a_session_in_a_time_zone(client, scheme_a, alice):
    client.force_login(alice)
    day = (timezone.now() + timedelta(days=10)).date()
    response = client.post(
        reverse("training:manage_new_session", args=["scheme-a"]),
        {
            "title": "Peer circle",
            "kind": "peer_support",
            "audience": "mentees",
            "date": day.isoformat(),
            "start_time": "09:00",
            "end_time": "10:30",
            "time_zone": "Asia/Kolkata",
            "online_link": "https://meet.example/circle",
            "capacity": "6",
        },
    )
    s = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("training:manage_session", args=["scheme-a", s.pk])
    assert s.starts_at == datetime(day.year, day.month, day.day, 3, 30, tzinfo=UTC)
    assert s.ends_at - s.starts_at == timedelta(minutes=90)
    assert (s.kind, s.audience, s.capacity, s.time_zone) == (
        "peer_support",
        "mentees",
        6,
        "Asia/Kolkata",
    )
    assert AuditEvent.objects.filter(action="training.session.scheduled", object_id=str(s.pk))
    page = client.get(reverse("training:manage_session", args=["scheme-a", s.pk]))
    assert b"Peer circle" in page.content and b"0 of 6 taken" in page.content


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"local_start": local(days=-1)}, "would start in the past"),
        ({"local_end": local(hour=9)}, "ends before it starts"),
        ({"local_end": local(hour=10)}, "ends before it starts"),
        ({"capacity": 0}, "between 1 and 500 places"),
        ({"online_link": "", "place": ""}, "online link, a place"),
        ({"local_deadline": local(hour=11)}, "must close before the session starts"),
        ({"local_deadline": local(days=-2)}, "deadline has already passed"),
        ({"time_zone": "Mars/Olympus"}, "time zone"),
        ({"title": "  "}, "title"),
        ({"audience": "relationships", "relationship_ids": []}, "relationships"),
    ],
)
def test_a_bad_session_is_refused_with_a_reason(scheme_a, alice, changes, message):
    with pytest.raises(services.TrainingError, match=message):
        session(scheme_a, alice, **changes)
    assert not Session.objects.exists()


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(client, scheme_a, alice):
    client.force_login(alice)
    day = (timezone.now() - timedelta(days=1)).date().isoformat()
    data = {
        "title": "Yesterday's session",
        "kind": "training",
        "audience": "everyone",
        "date": day,
        "start_time": "09:00",
        "end_time": "10:00",
        "time_zone": "Europe/London",
        "place": "Room 1",
        "capacity": "0",
    }
    response = client.post(reverse("training:manage_new_session", args=["scheme-a"]), data)
    assert response.status_code == 400
    assert b"Ensure this value is greater than or equal to 1" in response.content
    assert b"Yesterday&#x27;s session" in response.content
    data["capacity"] = "5"
    response = client.post(reverse("training:manage_new_session", args=["scheme-a"]), data)
    assert response.status_code == 400 and b"would start in the past" in response.content
    assert not Session.objects.exists()


def test_a_monthly_series_keeps_the_local_time_across_summer_time(scheme_a, alice):
    start = datetime(timezone.now().year + 1, 1, 15, 18, 0)
    made = services.schedule(
        scheme_a,
        plan(local_start=start, local_end=start + timedelta(hours=1), title="Peer circle"),
        actor=alice,
        repeat="monthly",
        occurrences=7,
    )
    assert len(made) == 7
    assert {s.series.title for s in made} == {"Peer circle"}
    london = [
        s.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")) for s in made
    ]
    assert [(d.month, d.day, d.hour) for d in london] == [(m, 15, 18) for m in range(1, 8)]
    assert made[0].starts_at.hour == 18 and made[6].starts_at.hour == 17  # BST in July


# -- registration and the waiting list ----------------------------------------------------------------


def test_register_then_full_then_waitlist_promoted_in_order(
    scheme_a, alice, three, django_capture_on_commit_callbacks
):
    a, b, c = three
    s = session(scheme_a, alice, capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        ra = services.register(s, a, actor=a.user)
        rb = services.register(s, b, actor=b.user)
        rc = services.register(s, c, actor=c.user)
    assert [r.status for r in (ra, rb, rc)] == ["confirmed", "waitlisted", "waitlisted"]
    cal, event, mimetype = _event(_to(a.user.email)[0])
    assert str(cal["METHOD"]) == "REQUEST" and "method=REQUEST" in mimetype
    assert event.decoded("DTSTART").astimezone(UTC) == s.starts_at
    assert str(event["UID"]).startswith(str(s.uid))
    assert "number 2 on its waiting list" in _to(c.user.email)[0].body
    assert not _to(b.user.email)[0].attachments  # no invitation without a place
    with pytest.raises(services.TrainingError, match="already have a place"):
        services.register(s, a, actor=a.user)
    with pytest.raises(services.TrainingError, match="already on the waiting list"):
        services.register(s, b, actor=b.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(ra, actor=a.user)
    statuses = dict(Registration.objects.values_list("participant_id", "status"))
    assert statuses == {a.pk: "cancelled", b.pk: "confirmed", c.pk: "waitlisted"}
    cancel_cal, cancel_event, _ = _event(_to(a.user.email)[0])
    assert str(cancel_cal["METHOD"]) == "CANCEL" and str(cancel_event["STATUS"]) == "CANCELLED"
    promoted = _to(b.user.email)[0]
    assert "A place for you" in promoted.subject
    cal, event, _ = _event(promoted)
    assert str(cal["METHOD"]) == "REQUEST"
    assert int(event["SEQUENCE"]) == 1  # the session's 0 + the place's first change
    assert _to(c.user.email) == []
    assert AuditEvent.objects.filter(action="training.registration.promoted").count() == 1
    # a capacity raised by the coordinator promotes the next in line
    with django_capture_on_commit_callbacks(execute=True):
        services.update(s, plan(capacity=2), actor=alice)
    assert Registration.objects.get(participant=c).status == "confirmed"


def test_registering_again_after_cancelling_reuses_the_row_with_a_newer_sequence(
    scheme_a, alice, three, django_capture_on_commit_callbacks
):
    a = three[0]
    s = session(scheme_a, alice)
    reg = services.register(s, a, actor=a.user)
    services.cancel_registration(reg, actor=a.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.register(s, a, actor=a.user)
    assert again.pk == reg.pk and again.status == "confirmed" and again.sequence == 2
    _, event, _ = _event(mail.outbox[0])
    assert int(event["SEQUENCE"]) == 2


def test_no_registration_after_the_deadline_nor_cancelling_after_the_start(scheme_a, alice, three):
    a, b, _ = three
    s = session(scheme_a, alice, local_deadline=local(days=5))
    reg = services.register(s, a, actor=a.user)
    with time_machine.travel(s.registration_deadline + timedelta(minutes=1)):
        with pytest.raises(
            services.TrainingError, match="Registration for this session has closed"
        ):
            services.register(s, b, actor=b.user)
        services.cancel_registration(reg, actor=a.user)  # cancelling is still possible
        with pytest.raises(services.TrainingError, match="has closed"):
            services.register(s, a, actor=a.user)
    s2 = session(scheme_a, alice, title="Second")
    reg2 = services.register(s2, b, actor=b.user)
    with time_machine.travel(s2.starts_at + timedelta(minutes=5)):
        with pytest.raises(services.TrainingError, match="has started"):
            services.cancel_registration(reg2, actor=b.user)
        with pytest.raises(services.TrainingError, match="has started"):
            services.register(s2, a, actor=a.user)
        with pytest.raises(services.TrainingError, match="has started"):
            services.update(s2, plan(title="Second", capacity=3), actor=alice)
    assert Registration.objects.get(pk=reg2.pk).status == "confirmed"


def test_audience_and_status_decide_who_may_register(scheme_a, alice, three):
    mentee = three[0]
    mentor = members(scheme_a, alice, 1, role="mentor", prefix="mentor")[0]
    for_mentors = session(scheme_a, alice, audience="mentors")
    with pytest.raises(services.TrainingError, match="not open to you"):
        services.register(for_mentors, mentee, actor=mentee.user)
    assert services.register(for_mentors, mentor, actor=mentor.user).status == "confirmed"
    from tests import factories

    waiting = factories.register_participant(scheme_a, "unreviewed@example.org")
    training = session(scheme_a, alice, title="Training")
    info = session(scheme_a, alice, title="Information", kind="information")
    with pytest.raises(services.TrainingError, match="not open to you"):
        services.register(training, waiting, actor=waiting.user)
    assert services.register(info, waiting, actor=waiting.user).status == "confirmed"


def test_participant_pages_register_waitlist_and_cancel(client, scheme_a, alice, three):
    a, b, _ = three
    s = session(scheme_a, alice, capacity=1, title="Writing a fellowship bid")
    client.force_login(a.user)
    listing = client.get(reverse("training:sessions", args=["scheme-a"]))
    assert b"Writing a fellowship bid" in listing.content
    page = reverse("training:session", args=["scheme-a", s.pk])
    assert b">Register<" in client.get(page).content
    client.post(reverse("training:register", args=["scheme-a", s.pk]))
    assert b"You have a place" in client.get(page).content
    ics = client.get(reverse("training:session_ics", args=["scheme-a", s.pk]))
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"https://meet.example/skills" in ics.content
    response = client.post(reverse("training:register", args=["scheme-a", s.pk]), follow=True)
    assert b"You already have a place" in response.content
    client.force_login(b.user)
    assert b"Join the waiting list" in client.get(page).content
    assert b"https://meet.example/skills" not in client.get(page).content
    client.post(reverse("training:register", args=["scheme-a", s.pk]))
    assert b"number 1 on the waiting list" in client.get(page).content
    client.force_login(a.user)
    client.post(reverse("training:cancel", args=["scheme-a", s.pk]))
    client.force_login(b.user)
    assert b"You have a place" in client.get(page).content


# -- a session moved or cancelled -------------------------------------------------------------------


def test_moving_a_session_tells_everyone_and_updates_calendars(
    scheme_a, alice, three, django_capture_on_commit_callbacks
):
    a, b, c = three
    s = session(scheme_a, alice, capacity=2)
    for p in three:
        services.register(s, p, actor=p.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.update(s, plan(capacity=2, local_start=local(days=8, hour=14)), actor=alice)
    s.refresh_from_db()
    assert s.sequence == 1
    for p in (a, b):
        cal, event, _ = _event(_to(p.user.email)[0])
        assert str(cal["METHOD"]) == "REQUEST"
        assert event.decoded("DTSTART").astimezone(UTC) == s.starts_at
        assert int(event["SEQUENCE"]) == 1
    told_c = _to(c.user.email)[0]
    assert "still on the waiting list" in told_c.body and not told_c.attachments
    # a change of title only tells nobody
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.update(
            s, plan(capacity=2, title="Renamed", local_start=local(days=8, hour=14)), actor=alice
        )
    assert mail.outbox == []
    with pytest.raises(services.TrainingError, match="2 people hold places"):
        services.update(s, plan(capacity=1, local_start=local(days=8, hour=14)), actor=alice)


def test_cancelling_a_session_sends_calendar_cancellations(
    client, scheme_a, alice, three, django_capture_on_commit_callbacks
):
    a, b, c = three
    s = session(scheme_a, alice, capacity=2)
    for p in three:
        services.register(s, p, actor=p.user)
    mail.outbox.clear()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("training:manage_cancel_session", args=["scheme-a", s.pk]))
    s.refresh_from_db()
    assert s.is_cancelled and s.sequence == 1
    for p in (a, b):
        cal, event, _ = _event(_to(p.user.email)[0])
        assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) == 1
    assert not _to(c.user.email)[0].attachments
    with pytest.raises(services.TrainingError, match="cancelled"):
        services.register(s, c, actor=c.user)
    with pytest.raises(services.TrainingError, match="already cancelled"):
        services.cancel_session(s, actor=alice)


def test_withdrawing_from_the_scheme_ends_registrations_and_frees_places(
    scheme_a, alice, three, django_capture_on_commit_callbacks
):
    a, b, c = three
    s1 = session(scheme_a, alice, capacity=1, title="One")
    s2 = session(scheme_a, alice, capacity=5, title="Two", local_start=local(days=9))
    services.register(s1, a, actor=a.user)
    services.register(s1, b, actor=b.user)
    services.register(s2, a, actor=a.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.withdraw(a, actor=a.user, erase_identity=False)
    assert set(Registration.objects.filter(participant=a).values_list("status", flat=True)) == {
        "ended"
    }
    assert Registration.objects.get(session=s1, participant=b).status == "confirmed"
    ended = next(m for m in _to(a.user.email) if "have ended" in m.subject)
    assert len(ended.attachments) == 2
    for _, data, _ in ended.attachments:
        assert str(icalendar.Calendar.from_ical(data)["METHOD"]) == "CANCEL"
    assert any("A place for you" in m.subject for m in _to(b.user.email))


# -- the reminder the day before --------------------------------------------------------------------


def test_reminder_the_day_before_once_and_not_for_late_places(
    scheme_a, alice, three, django_capture_on_commit_callbacks
):
    a, b, _ = three
    s = session(scheme_a, alice)
    services.register(s, a, actor=a.user)
    mail.outbox.clear()
    with time_machine.travel(s.starts_at - timedelta(hours=30)):
        assert scheduler.run()["reminders"] == 0
    with time_machine.travel(s.starts_at - timedelta(hours=20)):
        services.register(s, b, actor=b.user)  # confirmed less than a day before: no reminder
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert scheduler.run()["reminders"] == 1
            assert scheduler.run()["reminders"] == 0
    assert [m.to for m in mail.outbox] == [[a.user.email]]
    assert mail.outbox[0].subject.startswith("Tomorrow: Mentoring skills")
    from equimentor.core import jobs

    assert "training.reminders" in {j.name for j in jobs.registered()}


# -- who sees what ---------------------------------------------------------------------------------


def test_another_schemes_staff_and_participants_get_nothing(
    client, scheme_a, scheme_b, alice, charlie, three
):
    s = session(scheme_a, alice, title="Scheme A only")
    services.register(s, three[0], actor=three[0].user)
    client.force_login(charlie)
    for name in ("manage_session", "manage_edit_session"):
        assert client.get(reverse(f"training:{name}", args=["scheme-a", s.pk])).status_code == 403
        assert client.get(reverse(f"training:{name}", args=["scheme-b", s.pk])).status_code == 403
    assert client.get(reverse("training:manage_sessions", args=["scheme-a"])).status_code == 403
    assert (
        client.post(reverse("training:manage_cancel_session", args=["scheme-b", s.pk])).status_code
        == 403
    )
    from tests import factories

    outsider = factories.register_participant(scheme_b, "outsider@example.org", approve_by=charlie)
    client.force_login(outsider.user)
    assert (
        b"Scheme A only" not in client.get(reverse("training:sessions", args=["scheme-b"])).content
    )
    for name in ("session", "session_ics"):
        assert client.get(reverse(f"training:{name}", args=["scheme-b", s.pk])).status_code == 404
        assert client.get(reverse(f"training:{name}", args=["scheme-a", s.pk])).status_code == 404
    assert client.post(reverse("training:register", args=["scheme-b", s.pk])).status_code == 404
    assert not Registration.objects.filter(participant=outsider).exists()
    # a mentee does not see a mentors-only session
    mentors_only = session(scheme_a, alice, title="Mentors only", audience="mentors")
    client.force_login(three[1].user)
    assert (
        b"Mentors only" not in client.get(reverse("training:sessions", args=["scheme-a"])).content
    )
    url = reverse("training:session", args=["scheme-a", mentors_only.pk])
    assert client.get(url).status_code == 404


def test_erasure_exports_registrations_and_frees_places_without_emailing(
    scheme_a, alice, three, django_capture_on_commit_callbacks
):
    from equimentor.privacy import services as privacy

    a, b, _ = three
    s = session(scheme_a, alice, capacity=1)
    services.register(s, a, actor=a.user)
    services.register(s, b, actor=b.user)
    exported = privacy.export_person(a.user)
    assert [r["session_id"] for r in exported["training"]["session_registrations"]] == [s.pk]
    email = a.user.email
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(a.user, actor=None)
    assert Registration.objects.get(participant=a).status == "ended"
    assert Registration.objects.get(participant=b).status == "confirmed"
    assert _to(email) == [] and len(_to(b.user.email)) == 1
