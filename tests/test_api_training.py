"""Training sessions through the API (#20): a coordinator's token lists and schedules the
scheme's sessions through the page's form and service; a participant's token lists the sessions
open to her, takes a place (or the waiting list) and cancels; nobody else sees or changes any."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from equimentor.core.models import AuditEvent
from equimentor.training import services
from equimentor.training.models import Registration, Session
from tests.api_setup import bearer, token
from tests.training_setup import members, session

A = "scheme-a"
READ, WRITE = "sessions:read", "sessions:write"


def _day(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _new(**overrides) -> dict:
    return {
        "title": "Negotiating your job plan",
        "kind": "training",
        "audience": "everyone",
        "date": _day(),
        "start_time": "10:00",
        "end_time": "11:30",
        "time_zone": "Europe/London",
        "capacity": 2,
        "online_link": "https://meet.example/plan",
        **overrides,
    }


def _post(client, url, raw, body=None):
    return client.post(url, body or {}, content_type="application/json", **bearer(raw))


def test_a_coordinators_token_schedules_and_lists(client, scheme_a, alice):
    raw = token(alice, READ, WRITE)
    url = reverse("api:sessions", args=[A])
    made = _post(client, url, raw, _new())
    assert made.status_code == 201
    [one] = made.json()["sessions"]
    assert one["title"] == "Negotiating your job plan" and one["capacity"] == 2
    assert one["starts_at"].startswith(_day()) and one["confirmed"] == 0
    series = _post(client, url, raw, _new(title="Peer circle", repeat="weekly", occurrences=3))
    assert series.status_code == 201
    assert [s["series"] for s in series.json()["sessions"]] == ["Peer circle"] * 3
    listed = client.get(url, **bearer(raw)).json()["results"]
    assert [s["id"] for s in listed] == [one["id"], *[s["id"] for s in series.json()["sessions"]]]
    events = AuditEvent.objects.filter(action="training.session.scheduled")
    assert events.count() == 4 and all(e.via_token for e in events)


def test_bad_input_is_a_400_that_schedules_nothing(client, scheme_a, alice):
    raw = token(alice, READ, WRITE)
    url = reverse("api:sessions", args=[A])
    cases = [
        (_new(capacity=0), "capacity"),
        (_new(time_zone="Mars/Olympus"), "time_zone"),
        (_new(date="soon"), "date"),
        (_new(kind="party"), "kind"),
        (_new(deadline_date=_day(5)), "deadline_time"),
        (_new(audience="relationships"), "relationships"),
        (_new(date=_day(-3)), "non_field_errors"),  # the service: in the past
        (_new(online_link="", place=""), "non_field_errors"),
    ]
    for body, field in cases:
        response = _post(client, url, raw, body)
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (field, response.json())
    assert (
        "past"
        in _post(client, url, raw, _new(date=_day(-3))).json()["errors"]["non_field_errors"][0]
    )
    assert not Session.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="training.").exists()


def test_a_participant_takes_a_place_joins_the_waiting_list_and_cancels(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        people = members(scheme_a, alice, 3)
    s = session(scheme_a, alice, capacity=2)
    raws = [token(p.user, READ, WRITE) for p in people]
    url = reverse("api:my_session_registration", args=[A, s.pk])
    listed = client.get(reverse("api:my_sessions", args=[A]), **bearer(raws[0])).json()["results"]
    assert [x["id"] for x in listed] == [s.pk]
    assert listed[0]["my_registration"] is None and listed[0]["online_link"] is None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, url, raws[0])
        _post(client, url, raws[1])
        third = _post(client, url, raws[2])
    assert first.status_code == 201
    assert first.json()["my_registration"] == {"status": "confirmed", "waiting_list_position": None}
    assert first.json()["online_link"] == "https://meet.example/skills"
    assert third.status_code == 201
    assert third.json()["my_registration"] == {"status": "waitlisted", "waiting_list_position": 1}
    assert third.json()["online_link"] is None
    again = _post(client, url, raws[0])
    assert again.status_code == 409 and again.json()["detail"] == (
        "You already have a place at this session."
    )
    # the first gives up her place: the waiting list's first takes it
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.delete(url, **bearer(raws[0]))
    assert cancelled.status_code == 200
    assert cancelled.json()["my_registration"]["status"] == "cancelled"
    assert Registration.objects.get(participant=people[2]).status == "confirmed"
    assert client.delete(url, **bearer(raws[0])).status_code == 409
    assert {e.action for e in AuditEvent.objects.filter(via_token__isnull=False)} >= {
        "training.registration.confirmed",
        "training.registration.waitlisted",
        "training.registration.cancelled",
    }


def _patch(client, url, raw, body, **headers):
    return client.patch(url, body, content_type="application/json", **bearer(raw), **headers)


def test_a_coordinator_reads_and_changes_a_session_under_if_match(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        people = members(scheme_a, alice, 3)
    s = session(scheme_a, alice, capacity=3)
    for p in people[:2]:
        services.register(s, p, actor=p.user)
    raw = token(alice, READ, WRITE)
    url = reverse("api:session", args=[A, s.pk])
    read = client.get(url, **bearer(raw))
    assert read.status_code == 200
    assert (read.json()["id"], read.json()["confirmed"], read.json()["capacity"]) == (s.pk, 2, 3)
    tag = read["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=tag, **bearer(raw)).status_code == 304
    assert _patch(client, url, raw, {"place": "Room 4"}).status_code == 428
    assert _patch(client, url, raw, {"capacity": "many"}).status_code == 428  # said first
    assert _patch(client, url, raw, {"place": "Room 4"}, HTTP_IF_MATCH='"stale"').status_code == 412
    # a field the form refuses names it; fewer places than are taken is the service's refusal
    bad = _patch(client, url, raw, {"capacity": 0}, HTTP_IF_MATCH=tag)
    assert bad.status_code == 400 and "capacity" in bad.json()["errors"]
    too_few = _patch(client, url, raw, {"capacity": 1}, HTTP_IF_MATCH=tag)
    assert too_few.status_code == 409
    assert (
        too_few.json()["detail"] == "2 people hold places, so the session needs at least 2 places."
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = _patch(
            client, url, raw, {"start_time": "14:00", "end_time": "15:00"}, HTTP_IF_MATCH=tag
        )
    assert moved.status_code == 200, moved.json()
    s.refresh_from_db()
    assert s.starts_at.astimezone(ZoneInfo("Europe/London")).hour == 14
    assert (s.capacity, s.title, s.online_link) == (
        3,
        "Mentoring skills",
        "https://meet.example/skills",
    )
    assert moved["ETag"] != tag and moved.json()["starts_at"] != read.json()["starts_at"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.user.email for p in people[:2])
    # the old tag no longer changes anything
    assert _patch(client, url, raw, {"place": "Room 4"}, HTTP_IF_MATCH=tag).status_code == 412
    [event] = AuditEvent.objects.filter(action="training.session.updated")
    assert event.via_token is not None


def test_a_coordinator_lists_who_came_records_attendance_and_cancels(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        people = members(scheme_a, alice, 3)
    s = session(scheme_a, alice, capacity=2)
    regs = [services.register(s, p, actor=p.user) for p in people]
    raw = token(alice, READ, WRITE)
    listed = client.get(reverse("api:session_registrations", args=[A, s.pk]), **bearer(raw))
    assert [(r["id"], r["status"], r["waiting_list_position"]) for r in listed.json()] == [
        (regs[0].pk, "confirmed", None),
        (regs[1].pk, "confirmed", None),
        (regs[2].pk, "waitlisted", 1),
    ]
    assert listed.json()[0]["name"] == people[0].user.full_name
    attendance = reverse("api:session_attendance", args=[A, s.pk])
    early = _post(client, attendance, raw, {"attended": [regs[0].pk]})
    assert early.status_code == 409
    assert early.json()["detail"] == "Attendance is recorded once the session has started."
    Session.objects.filter(pk=s.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert _post(client, attendance, raw, {"attended": [regs[2].pk]}).status_code == 409
    assert _post(client, attendance, raw, {"attended": ["x"]}).status_code == 400
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = _post(client, attendance, raw, {"attended": [regs[0].pk]})
    assert done.status_code == 200
    assert done.json() == {"places": 2, "attended": 1, "asked": 1}
    assert [m.to for m in mail.outbox] == [[people[0].user.email]]  # asked for feedback, once
    again = client.get(reverse("api:session_registrations", args=[A, s.pk]), **bearer(raw))
    assert [r["attended"] for r in again.json()] == [True, False, None]
    # over: it can no longer be cancelled
    cancel = reverse("api:cancel_session", args=[A, s.pk])
    assert _post(client, cancel, raw).status_code == 409
    later = session(scheme_a, alice, title="Later")
    services.register(later, people[1], actor=people[1].user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        gone = _post(client, reverse("api:cancel_session", args=[A, later.pk]), raw)
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert [m.to for m in mail.outbox] == [[people[1].user.email]]
    repeat = _post(client, reverse("api:cancel_session", args=[A, later.pk]), raw)
    assert repeat.status_code == 409
    assert repeat.json()["detail"] == "This session is already cancelled."
    actions = set(
        AuditEvent.objects.filter(via_token__isnull=False).values_list("action", flat=True)
    )
    assert {"training.attendance.recorded", "training.session.cancelled"} <= actions


def test_nobody_else_sees_or_changes_sessions(
    client, scheme_a, scheme_b, alice, charlie, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [mine] = members(scheme_a, alice, 1)
        [other] = members(scheme_b, charlie, 1, prefix="b")
    s = session(scheme_a, alice)
    events = AuditEvent.objects.count()
    sessions_a = reverse("api:sessions", args=[A])
    for raw in (token(mine.user, READ, WRITE), token(charlie, READ, WRITE), token(alice, READ)):
        assert _post(client, sessions_a, raw, _new()).status_code == 403
    for raw in (token(mine.user, READ, WRITE), token(charlie, READ, WRITE)):
        assert client.get(sessions_a, **bearer(raw)).status_code == 403
    # a token without sessions:write registers for nothing
    url = reverse("api:my_session_registration", args=[A, s.pk])
    assert _post(client, url, token(mine.user, READ)).status_code == 403
    # a participant of another scheme: she has no participation in scheme-a (404, as the pages'
    # own-participation check), and scheme-a's session under her own scheme is not found
    theirs = token(other.user, READ, WRITE)
    assert client.get(reverse("api:my_sessions", args=[A]), **bearer(theirs)).status_code == 404
    assert _post(client, url, theirs).status_code == 404
    assert (
        _post(
            client, reverse("api:my_session_registration", args=["scheme-b", s.pk]), theirs
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("api:sessions", args=["scheme-b"]), **bearer(token(charlie, READ))
        ).json()["results"]
        == []
    )
    # nor one session: read, change, cancel, registrations, attendance
    one = [reverse(name, args=[A, s.pk]) for name in ("api:session", "api:session_registrations")]
    acts = [
        reverse(name, args=[A, s.pk]) for name in ("api:cancel_session", "api:session_attendance")
    ]
    for raw in (token(mine.user, READ, WRITE), token(charlie, READ, WRITE)):
        for url in one:
            assert client.get(url, **bearer(raw)).status_code == 403, url
        assert _patch(client, one[0], raw, {"place": "x"}, HTTP_IF_MATCH="*").status_code == 403
        for url in acts:
            assert _post(client, url, raw, {"attended": []}).status_code == 403, url
    read_only = token(alice, READ)
    assert _patch(client, one[0], read_only, {"place": "x"}, HTTP_IF_MATCH="*").status_code == 403
    for url in acts:
        assert _post(client, url, read_only, {"attended": []}).status_code == 403
    # charlie's own scheme has no such session
    for name in ("api:session", "api:session_registrations"):
        theirs = reverse(name, args=["scheme-b", s.pk])
        assert client.get(theirs, **bearer(token(charlie, READ))).status_code == 403
    assert not Registration.objects.exists()
    assert Session.objects.count() == 1
    assert Session.objects.get().status == "scheduled" and Session.objects.get().place == ""
    assert AuditEvent.objects.filter(action__startswith="training.").count() == 1
    assert AuditEvent.objects.count() - events == 13  # the 13 tokens made, nothing else
