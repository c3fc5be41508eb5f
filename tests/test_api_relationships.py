"""The relationships API: members see and change their own relationships through the services,
the scheme's coordinator lists them; nobody else sees anything, and private notes never appear."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from equimentor.relationships import services
from equimentor.relationships.models import CheckIn, Flag, Goal, Meeting, Relationship
from tests import factories
from tests.api_setup import if_match
from tests.relationships_setup import agree, plan, relationship_rows

SECRET = "Private: worried about my head of department"
SLUG = "scheme-a"


make_rows = relationship_rows
scheme_a, alice, world = factories.rows_as("scheme_a", "alice", "world")


def _urls(rel, *, meeting=None, goal=None, check_in=None):
    """Every member endpoint of one relationship."""
    urls = [
        reverse("api:my_relationships", args=[SLUG]),
        reverse("api:relationship_meetings", args=[SLUG, rel.pk]),
        reverse("api:relationship_goals", args=[SLUG, rel.pk]),
        reverse("api:my_check_ins", args=[SLUG]),
    ]
    if meeting is not None:
        urls.append(reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, meeting.pk]))
    if goal is not None:
        urls.append(reverse("api:relationship_goal", args=[SLUG, rel.pk, goal.pk]))
    if check_in is not None:
        urls.append(reverse("api:answer_check_in", args=[SLUG, check_in.pk]))
    return urls


def _future(days: int = 7) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_my_relationships(client, world):
    rel, mentor, mentee, _ = world
    services.schedule_meeting(
        rel, mentor, plan(f"{_future(10)}T10:00"), actor=mentor.participant.user
    )
    client.force_login(mentee.participant.user)
    [item] = client.get(reverse("api:my_relationships", args=[SLUG])).json()["results"]
    assert item["id"] == rel.pk
    assert item["state"] == "accepted" and item["kind"] == "one_to_one"
    assert item["my_side"] == "mentee" and item["still_member"] is True
    assert item["end_date"] == rel.end_date.isoformat()
    assert item["others"] == [
        {"name": mentor.participant.user.full_name, "side": "mentor", "role": "Mentor"}
    ]
    assert item["next_meeting"]["time_zone"] == "Europe/London"
    assert item["next_meeting"]["starts_at"].startswith(_future(10))
    # the other mentee of the scheme has none
    client.force_login(world[3].user)
    assert client.get(reverse("api:my_relationships", args=[SLUG])).json()["results"] == []


def test_meetings_schedule_list_and_log(client, world):
    rel, mentor, mentee, _ = world
    url = reverse("api:relationship_meetings", args=[SLUG, rel.pk])
    client.force_login(mentor.participant.user)
    # bad input: a message per field
    bad = client.post(
        url,
        {"date": "soon", "time": "10:00", "time_zone": "Mars/Olympus", "mode": "telepathy"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert {"date", "time_zone", "mode"} <= set(bad.json()["errors"])
    in_person = client.post(
        url,
        {"date": _future(), "time": "10:00", "time_zone": "UTC", "mode": "in_person"},
        content_type="application/json",
    )
    assert in_person.status_code == 400 and "location" in in_person.json()["errors"]
    # a future meeting: everyone is invited
    response = client.post(
        url,
        {
            "date": _future(),
            "time": "14:30",
            "time_zone": "Europe/London",
            "duration_minutes": 45,
            "video_link": "https://video.example.org/room",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    future = response.json()
    assert future["status"] == "scheduled" and future["duration_minutes"] == 45
    assert future["arranged_by"] == mentor.participant.user.full_name
    # logging a meeting that has not started is refused by the service
    log_future = reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, future["id"]])
    refused = client.post(
        log_future, {"happened": True, "actual_minutes": 40}, content_type="application/json"
    )
    assert refused.status_code == 409 and "once it has started" in refused.json()["detail"]
    # a past meeting, logged by the mentee: the trial starts
    past = client.post(
        url,
        {"date": "2020-01-06", "time": "10:00", "time_zone": "Europe/London"},
        content_type="application/json",
    ).json()
    client.force_login(mentee.participant.user)
    log = reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, past["id"]])
    assert client.post(log, {"happened": True}, content_type="application/json").status_code == 400
    response = client.post(
        log,
        {
            "happened": True,
            "actual_minutes": 50,
            "agenda": "Fellowship application",
            "agenda_by": "mentee",
            "shared_notes": "Draft the case for support.",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "held"
    assert response.json()["shared_notes"] == "Draft the case for support."
    rel.refresh_from_db()
    assert rel.state == Relationship.State.TRIAL and rel.last_met_at is not None
    listed = client.get(url).json()["results"]
    assert [m["id"] for m in listed] == [future["id"], past["id"]]


def test_meetings_refused_in_a_closed_relationship(client, world):
    rel, mentor, mentee, _ = world
    services.close(
        rel, reason="circumstances_changed", member=mentee, actor=mentee.participant.user
    )
    client.force_login(mentor.participant.user)
    response = client.post(
        reverse("api:relationship_meetings", args=[SLUG, rel.pk]),
        {"date": _future(), "time": "10:00", "time_zone": "UTC"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


def test_goals_add_list_and_update(client, world):
    rel, mentor, mentee, _ = world
    url = reverse("api:relationship_goals", args=[SLUG, rel.pk])
    new = {"title": "Submit a fellowship application", "target_date": _future(90)}
    # goals belong to the mentee
    client.force_login(mentor.participant.user)
    refused = client.post(url, new, content_type="application/json")
    assert refused.status_code == 409 and "mentee" in refused.json()["detail"]
    client.force_login(mentee.participant.user)
    bad = client.post(url, {"title": "", "target_date": "someday"}, content_type="application/json")
    assert bad.status_code == 400 and {"title", "target_date"} <= set(bad.json()["errors"])
    past = client.post(url, {**new, "target_date": "2020-01-01"}, content_type="application/json")
    assert past.status_code == 409
    response = client.post(url, new, content_type="application/json")
    assert response.status_code == 201, response.content
    goal = response.json()
    assert goal["mine"] is True and goal["status"] == "not_started" and goal["progress"] == 0
    goal_url = reverse("api:relationship_goal", args=[SLUG, rel.pk, goal["id"]])
    tag = client.get(goal_url)["ETag"]
    too_much = {"progress": 140}
    assert (
        client.patch(goal_url, too_much, "application/json", HTTP_IF_MATCH=tag).status_code == 400
    )
    updated = client.patch(
        goal_url,
        {"status": "in_progress", "progress": 40},
        content_type="application/json",
        **if_match(client, goal_url),
    )
    assert updated.status_code == 200 and updated.json()["progress"] == 40
    achieved = client.patch(
        goal_url,
        {"status": "achieved"},
        content_type="application/json",
        **if_match(client, goal_url),
    )
    assert achieved.json()["progress"] == 100
    assert Goal.objects.get(pk=goal["id"]).reviews.count() == 2
    # the mentor sees the goal but cannot change it
    client.force_login(mentor.participant.user)
    [listed] = client.get(url).json()
    assert listed["mine"] is False and listed["owner"] == mentee.participant.user.full_name
    assert (
        client.patch(
            goal_url,
            {"progress": 10},
            content_type="application/json",
            **if_match(client, goal_url),
        ).status_code
        == 409
    )


def test_check_ins_due_and_answered(client, world, alice):
    rel, mentor, mentee, _ = world
    item = CheckIn.objects.create(
        relationship=rel,
        participant=mentee.participant,
        number=1,
        due_on=timezone.localdate(),
        sent_at=timezone.now(),
    )
    answer = reverse("api:answer_check_in", args=[SLUG, item.pk])
    # the other member neither sees nor answers it
    client.force_login(mentor.participant.user)
    assert client.get(reverse("api:my_check_ins", args=[SLUG])).json() == []
    assert client.post(answer, {"rating": 5}, content_type="application/json").status_code == 404
    client.force_login(mentee.participant.user)
    [due] = client.get(reverse("api:my_check_ins", args=[SLUG])).json()
    assert due == {
        "id": item.pk,
        "relationship": rel.pk,
        "number": 1,
        "due_on": item.due_on.isoformat(),
    }
    assert client.post(answer, {"rating": 9}, content_type="application/json").status_code == 400
    response = client.post(answer, {"rating": 2}, content_type="application/json")
    assert response.status_code == 200 and "rating" not in response.json()
    assert client.post(answer, {"rating": 4}, content_type="application/json").status_code == 409
    assert client.get(reverse("api:my_check_ins", args=[SLUG])).json() == []
    assert Flag.objects.filter(relationship=rel, kind="low_check_in").exists()
    # the coordinator sees the flag, not the rating
    client.force_login(alice)
    [row] = client.get(reverse("api:scheme_relationships", args=[SLUG])).json()["results"]
    assert [f["kind"] for f in row["open_flags"]] == ["low_check_in"]
    assert "rating" not in str(row)


def test_coordinator_list(client, world, alice):
    rel, mentor, mentee, _ = world
    meeting = services.schedule_meeting(
        rel, mentor, plan("2020-01-06T10:00"), actor=mentor.participant.user
    )
    services.log_meeting(
        meeting,
        mentor,
        happened=True,
        actual_minutes=50,
        shared_notes="Shared between the two of us",
        actor=mentor.participant.user,
    )
    agree(rel, mentor, mentee)
    url = reverse("api:scheme_relationships", args=[SLUG])
    client.force_login(alice)
    [row] = client.get(url).json()["results"]
    assert row["id"] == rel.pk and row["state"] == "trial" and row["kind"] == "one_to_one"
    assert row["meetings_held"] == 1 and row["open_flags"] == []
    assert row["days_since_last_meeting"] >= (timezone.now() - meeting.starts_at).days
    assert {m["side"] for m in row["members"]} == {"mentor", "mentee"}
    assert "Shared between" not in str(row)
    assert client.get(url + "?state=closed").json()["results"] == []
    assert len(client.get(url + "?state=open&weeks=2").json()["results"]) == 1
    assert client.get(url + "?flagged=1").json()["results"] == []


def test_outsiders_get_nothing(client, world, alice, bob, charlie):
    rel, mentor, mentee, outsider = world
    meeting = services.schedule_meeting(
        rel, mentor, plan("2020-01-06T10:00"), actor=mentor.participant.user
    )
    goal = Goal.objects.create(
        relationship=rel,
        owner=mentee.participant,
        title="A goal",
        target_date=timezone.localdate(),
    )
    check_in = CheckIn.objects.create(
        relationship=rel,
        participant=mentee.participant,
        number=1,
        due_on=timezone.localdate(),
        sent_at=timezone.now(),
    )
    calls = [
        ("get", reverse("api:relationship_meetings", args=[SLUG, rel.pk])),
        ("post", reverse("api:relationship_meetings", args=[SLUG, rel.pk])),
        ("post", reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, meeting.pk])),
        ("get", reverse("api:relationship_goals", args=[SLUG, rel.pk])),
        ("post", reverse("api:relationship_goals", args=[SLUG, rel.pk])),
        ("patch", reverse("api:relationship_goal", args=[SLUG, rel.pk, goal.pk])),
        ("post", reverse("api:answer_check_in", args=[SLUG, check_in.pk])),
    ]
    payload = {
        "date": _future(),
        "time": "10:00",
        "time_zone": "UTC",
        "happened": True,
        "actual_minutes": 30,
        "title": "Mine now",
        "target_date": _future(),
        "progress": 50,
        "rating": 1,
    }
    # another participant of the scheme, the coordinator (not a member), another scheme's
    # coordinator, and someone registered elsewhere
    for user in (outsider.user, alice, charlie, bob):
        client.force_login(user)
        for method, url in calls:
            response = getattr(client, method)(url, payload, content_type="application/json")
            assert response.status_code == 404, (user, method, url)
    # their own lists: a participant of the scheme (the outsider, bob) has none of this
    # relationship's check-ins or relationships; staff who take no part are not registered
    not_registered = {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "You are not registered with this scheme.",
    }
    for user in (outsider.user, bob):
        client.force_login(user)
        assert client.get(reverse("api:my_check_ins", args=[SLUG])).json() == []
        mine = client.get(reverse("api:my_relationships", args=[SLUG]))
        assert mine.status_code == 200 and mine.json()["results"] == []
    for user in (alice, charlie):
        client.force_login(user)
        for name in ("api:my_check_ins", "api:my_relationships"):
            response = client.get(reverse(name, args=[SLUG]))
            assert (response.status_code, response.json()) == (404, not_registered)
    # the coordinators' list: another scheme's coordinator and members get nothing
    listing = reverse("api:scheme_relationships", args=[SLUG])
    for user in (charlie, bob, mentor.participant.user, mentee.participant.user):
        client.force_login(user)
        assert client.get(listing).status_code == 403
    client.force_login(charlie)
    assert (
        client.get(reverse("api:scheme_relationships", args=["scheme-b"])).json()["results"] == []
    )
    # and anonymous callers nothing at all
    client.logout()
    for method, url in [*calls, ("get", listing), ("get", _urls(rel)[0]), ("get", _urls(rel)[3])]:
        response = getattr(client, method)(url, payload, content_type="application/json")
        assert response.status_code == 403, (method, url)
    assert Meeting.objects.filter(relationship=rel).count() == 1
    assert Goal.objects.get(pk=goal.pk).reviews.count() == 0
    assert CheckIn.objects.get(pk=check_in.pk).answered_at is None


def test_private_notes_never_appear(client, world, alice):
    rel, mentor, mentee, _ = world
    meeting = services.schedule_meeting(
        rel, mentor, plan("2020-01-06T10:00"), actor=mentor.participant.user
    )
    services.add_private_note(rel, mentee, SECRET, meeting=meeting, actor=mentee.participant.user)
    services.add_private_note(rel, mentor, SECRET, actor=mentor.participant.user)
    for person in (mentee, mentor):
        client.force_login(person.participant.user)
        for url in _urls(rel):
            response = client.get(url)
            assert response.status_code == 200, url
            assert SECRET not in response.content.decode()
        logged = client.post(
            reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, meeting.pk]),
            {"happened": True, "actual_minutes": 30},
            content_type="application/json",
        )
        assert logged.status_code == 200 and SECRET not in logged.content.decode()
    client.force_login(alice)
    body = client.get(reverse("api:scheme_relationships", args=[SLUG])).content.decode()
    assert SECRET not in body and "private" not in body.lower()


def test_the_schema_documents_the_endpoints(client, db):
    body = client.get(reverse("api:schema")).content.decode()
    for path in (
        "/api/v1/me/schemes/{slug}/relationships/",
        "/api/v1/me/schemes/{slug}/relationships/{id}/meetings/",
        "/api/v1/me/schemes/{slug}/relationships/{id}/meetings/{mid}/log/",
        "/api/v1/me/schemes/{slug}/relationships/{id}/goals/",
        "/api/v1/me/schemes/{slug}/relationships/{id}/goals/{gid}/",
        "/api/v1/me/schemes/{slug}/check-ins/",
        "/api/v1/me/schemes/{slug}/check-ins/{id}/answer/",
        "/api/v1/schemes/{slug}/relationships/",
    ):
        assert path in body, path


def test_the_coordinators_filters_refuse_what_they_do_not_take(client, world, alice):
    """Found by the schema fuzz (#20): an unknown kind or state was ignored (every relationship
    listed) and ``?flagged=false`` listed the flagged ones; now a 400 names the filter."""
    rel, *_ = world
    services.raise_flag(rel.scheme, "low_check_in", "fuzz-filters", relationship=rel)
    url = reverse("api:scheme_relationships", args=[SLUG])
    client.force_login(alice)
    for query, field in [
        ("kind=one-to-one", "kind"),
        ("kind=", "kind"),
        ("state=ongoing", "state"),
        ("flagged=perhaps", "flagged"),
        ("weeks=0", "weeks"),
    ]:
        refused = client.get(f"{url}?{query}")
        assert refused.status_code == 400 and list(refused.json()["errors"]) == [field], query
    assert [r["id"] for r in client.get(url + "?flagged=true").json()["results"]] == [rel.pk]
    assert client.get(url + "?flagged=false&kind=group").json()["results"] == []
    assert [r["id"] for r in client.get(url + "?flagged=false").json()["results"]] == [rel.pk]
    assert [r["id"] for r in client.get(url + "?state=open&kind=one_to_one").json()["results"]] == [
        rel.pk
    ]


def test_a_form_post_without_happened_is_refused_not_read_as_missed(client, world):
    """Found by the schema fuzz (#20): DRF reads a boolean missing from form-encoded input as
    false, so logging a meeting by form post without ``happened`` recorded it as missed."""
    rel, mentor, _mentee, _ = world
    meeting = services.schedule_meeting(
        rel, mentor, plan("2020-01-06T10:00"), actor=mentor.participant.user
    )
    client.force_login(mentor.participant.user)
    url = reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, meeting.pk])
    refused = client.post(url, {"agenda": "Career plan"})  # form-encoded, no "happened"
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["happened"]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED and meeting.logged_at is None
    logged = client.post(url, {"happened": "false"})
    assert logged.status_code == 200 and logged.json()["status"] == "missed"


def test_a_goal_id_no_row_can_have_is_refused_not_a_server_error(client, world):
    """Found by the schema fuzz (#20), as for choices: an out-of-range id is a 400."""
    rel, mentor, _mentee, _ = world
    meeting = services.schedule_meeting(
        rel, mentor, plan("2020-01-06T10:00"), actor=mentor.participant.user
    )
    client.force_login(mentor.participant.user)
    url = reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, meeting.pk])
    body = {
        "happened": True,
        "actual_minutes": 30,
        "goals": [{"goal": 2**64, "status": "in_progress", "progress": 5}],
    }
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["goals.0.goal"]
    meeting.refresh_from_db()
    assert meeting.logged_at is None
