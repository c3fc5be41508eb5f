"""Pages and access: members see their relationship, coordinators the list, nobody else anything;
private notes are seen by their author only."""

from __future__ import annotations

import csv
import io
import re
import zoneinfo
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from equimentor.relationships import services
from equimentor.relationships.models import Flag, Relationship
from tests import factories
from tests.relationships_setup import hold_first_meeting, plan, relationship_rows

SECRET = "Private: worried about my head of department"


make_rows = relationship_rows
scheme_a, alice, world = factories.rows_as("scheme_a", "alice", "world")


def _pages(rel):
    slug = rel.scheme.slug
    return [
        reverse(name, args=[slug, rel.pk])
        for name in (
            "relationships:detail",
            "relationships:agreement",
            "relationships:agreement_print",
            "relationships:meetings",
            "relationships:goals",
            "relationships:notes",
        )
    ]


def test_members_see_every_tab(client, world):
    rel, mentor, mentee, _ = world
    client.force_login(mentee.participant.user)
    assert client.get(reverse("relationships:home", args=["scheme-a"])).status_code == 200
    for url in _pages(rel):
        response = client.get(url)
        assert response.status_code == 200, url


def test_others_get_nothing(client, world, charlie, bob, alice):
    rel, mentor, mentee, outsider = world
    for user in (outsider.user, charlie, bob):
        client.force_login(user)
        for url in _pages(rel):
            assert client.get(url).status_code == 404, (user, url)
    # a coordinator of another scheme sees neither the list nor the relationship
    client.force_login(charlie)
    assert client.get(reverse("relationships:manage_list", args=["scheme-a"])).status_code == 403
    assert (
        client.get(reverse("relationships:manage_detail", args=["scheme-a", rel.pk])).status_code
        == 403
    )
    assert client.get(reverse("relationships:manage_list", args=["scheme-b"])).status_code == 200
    # a participant is not a coordinator
    client.force_login(mentee.participant.user)
    assert client.get(reverse("relationships:manage_list", args=["scheme-a"])).status_code == 403
    # other roles of the same scheme (safeguarding, evaluator) are not coordinators either
    lead = factories.make_staff(rel.scheme, "evaluator")
    client.force_login(lead)
    assert client.get(reverse("relationships:manage_export", args=["scheme-a"])).status_code == 403


def test_private_notes_are_seen_by_their_author_only(client, world, alice):
    rel, mentor, mentee, _ = world
    client.force_login(mentee.participant.user)
    client.post(reverse("relationships:notes", args=["scheme-a", rel.pk]), {"body": SECRET})
    page = client.get(reverse("relationships:notes", args=["scheme-a", rel.pk])).content.decode()
    assert SECRET in page
    # The page tells the truth: the author's own data download does include the note.
    assert "never exported" not in page and reverse("privacy:my_data") in page
    assert SECRET in client.get(reverse("privacy:export")).content.decode()
    note = rel.private_notes.get()
    # the other party
    client.force_login(mentor.participant.user)
    for url in _pages(rel) + [reverse("relationships:home", args=["scheme-a"])]:
        assert SECRET not in client.get(url).content.decode()
    edit = reverse("relationships:note_edit", args=["scheme-a", rel.pk, note.pk])
    assert client.post(edit, {"body": "overwritten"}).status_code == 404
    # the coordinator, and a superuser
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    for user in (alice, superuser):
        client.force_login(user)
        for url in (
            reverse("relationships:manage_list", args=["scheme-a"]),
            reverse("relationships:manage_detail", args=["scheme-a", rel.pk]),
            reverse("relationships:manage_export", args=["scheme-a"]),
        ):
            response = client.get(url)
            assert response.status_code == 200
            assert SECRET not in response.content.decode()
    # nor in the audit trail
    from equimentor.core.models import AuditEvent

    assert all(SECRET not in str(e.data) for e in AuditEvent.objects.all())


def test_coordinator_list_filters_and_csv(client, world, alice):
    rel, mentor, mentee, _ = world
    services.raise_flag(rel.scheme, Flag.Kind.LOW_CHECK_IN, "x", relationship=rel)
    client.force_login(alice)
    url = reverse("relationships:manage_list", args=["scheme-a"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, {"state": "open", "flagged": "1"})
    assert page.status_code == 200
    assert len(queries) < 15
    assert "1 open" in page.content.decode()
    assert "No relationships match" in client.get(url, {"state": "closed"}).content.decode()
    response = client.get(reverse("relationships:manage_export", args=["scheme-a"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "relationship_id" and rows[1][0] == str(rel.pk)
    text = response.content.decode()
    assert mentee.participant.user.full_name not in text
    assert mentee.participant.user.email not in text


def test_the_journey_through_pages(client, world, django_capture_on_commit_callbacks):
    rel, mentor, mentee, _ = world
    slug = "scheme-a"
    client.force_login(mentor.participant.user)
    # arrange a meeting in the future: both get an invitation with an .ics
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("relationships:meetings", args=[slug, rel.pk]),
            {
                "date": "2031-03-03",
                "time": "09:00",
                "time_zone": "Asia/Kolkata",
                "duration_minutes": 45,
                "mode": "virtual",
                "video_link": "https://meet.example/x",
            },
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert mail.outbox[0].attachments[0][0].endswith(".ics")
    # agreement: save and confirm through the page
    client.post(
        reverse("relationships:agreement", args=[slug, rel.pk]), services.default_agreement(rel)
    )
    version = rel.agreement_versions.get()
    client.post(
        reverse("relationships:agreement_confirm", args=[slug, rel.pk]), {"version": version.pk}
    )
    assert version.confirmations.count() == 1
    page = client.get(reverse("relationships:agreement_print", args=[slug, rel.pk]))
    assert "agreement-print.css" in page.content.decode()
    # a past meeting logged → trial; then the mentee steps away through the page
    hold_first_meeting(rel, mentor)
    client.force_login(mentee.participant.user)
    response = client.post(
        reverse("relationships:trial", args=[slug, rel.pk]), {"decision": "step_away"}
    )
    assert response.status_code == 302
    rel.refresh_from_db()
    assert rel.state == Relationship.State.CLOSED
    # the relationship refuses further changes with a clear message
    response = client.post(
        reverse("relationships:goals", args=[slug, rel.pk]),
        {"title": "Apply for a fellowship", "target_date": "2031-01-01"},
        follow=True,
    )
    assert "has closed" in response.content.decode()


def test_check_in_flags_without_telling_the_other_person(client, world, alice):
    rel, mentor, mentee, _ = world
    from django.utils import timezone

    from equimentor.relationships.models import CheckIn

    item = CheckIn.objects.create(
        relationship=rel,
        participant=mentee.participant,
        number=1,
        due_on=timezone.now().date(),
        sent_at=timezone.now(),
    )
    client.force_login(mentor.participant.user)
    assert (
        client.get(reverse("relationships:check_in", args=["scheme-a", item.pk])).status_code == 404
    )
    client.force_login(mentee.participant.user)
    client.post(
        reverse("relationships:check_in", args=["scheme-a", item.pk]),
        {"rating": "2", "wants_contact": "on"},
    )
    assert set(Flag.objects.values_list("kind", flat=True)) == {"low_check_in", "contact_requested"}
    client.force_login(mentor.participant.user)
    for url in _pages(rel):
        body = client.get(url).content.decode()
        assert "Low check-in" not in body and "get in touch" not in body.lower()
    client.force_login(alice)
    body = client.get(
        reverse("relationships:manage_detail", args=["scheme-a", rel.pk])
    ).content.decode()
    assert "Low check-in answer" in body
    # the concern page states the scheme's safeguarding contact
    client.force_login(mentee.participant.user)
    concern = client.get(reverse("relationships:concern", args=["scheme-a"]))
    assert "a@example.org" in concern.content.decode()
    lead = factories.make_staff(rel.scheme, "safeguarding", full_name="Sam Safeguard")
    assert (
        "Sam Safeguard"
        in client.get(reverse("relationships:concern", args=["scheme-a"])).content.decode()
    )
    assert (
        lead.email
        in client.get(reverse("relationships:concern", args=["scheme-a"])).content.decode()
    )


def test_a_meeting_length_out_of_range_gets_one_clear_message(client, world):
    rel, mentor, mentee, _ = world
    meeting = services.schedule_meeting(
        rel, mentor, plan("2020-01-06T10:00"), actor=mentor.participant.user
    )
    client.force_login(mentee.participant.user)
    url = reverse("relationships:meeting", args=[rel.scheme.slug, rel.pk, meeting.pk])
    response = client.post(
        url, {"happened": "yes", "actual_minutes": "100000", "agenda": "Fellowship plans"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 600." in page
    assert "Say how long the meeting lasted." not in page  # they did say: it is just too long
    assert "Fellowship plans" in page  # nothing typed is lost
    response = client.post(url, {"happened": "yes", "actual_minutes": ""})
    assert "Say how long the meeting lasted." in response.content.decode()


def _london(delta: timedelta) -> str:
    """A local start time in Europe/London, ``delta`` from now (stored in UTC by the service)."""
    when = (timezone.now() + delta).astimezone(zoneinfo.ZoneInfo("Europe/London"))
    return when.replace(tzinfo=None).isoformat(timespec="minutes")


def _happened_checked(page: str) -> set[str]:
    return set(re.findall(r'<input type="radio" name="happened" value="(\w+)"[^>]*checked', page))


def test_a_meeting_that_has_not_started_cannot_be_logged_and_nothing_typed_is_lost(client, world):
    rel, mentor, mentee, _ = world
    meeting = services.schedule_meeting(
        rel, mentor, plan(_london(timedelta(days=2))), actor=mentor.participant.user
    )
    client.force_login(mentee.participant.user)
    url = reverse("relationships:meeting", args=[rel.scheme.slug, rel.pk, meeting.pk])
    assert "Save the log" not in client.get(url).content.decode()
    response = client.post(
        url,
        {"happened": "yes", "actual_minutes": "60", "agenda": "Typed: fellowship plans"},
        follow=True,
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This meeting has not started yet: it is arranged for" in page
    assert "Europe/London" in page and "once it has started" in page
    assert "Typed: fellowship plans" in page  # nothing typed is lost
    meeting.refresh_from_db()
    rel.refresh_from_db()
    assert meeting.status == "scheduled" and meeting.logged_at is None
    assert rel.state == Relationship.State.ACCEPTED and rel.last_met_at is None
    # the service refuses it whoever asks, held or not
    for happened in (True, False):
        with pytest.raises(services.RelationshipError, match="has not started yet"):
            services.log_meeting(
                meeting, mentor, happened=happened, actual_minutes=60, actor=mentor.participant.user
            )


def test_the_log_form_does_not_say_a_meeting_took_place_before_it_has(client, world):
    rel, mentor, mentee, _ = world
    client.force_login(mentee.participant.user)

    def log_page(meeting):
        url = reverse("relationships:meeting", args=[rel.scheme.slug, rel.pk, meeting.pk])
        return client.get(url).content.decode()

    # under way: no answer chosen and no length filled in for them
    under_way = services.schedule_meeting(
        rel, mentor, plan(_london(-timedelta(minutes=15))), actor=mentor.participant.user
    )
    page = log_page(under_way)
    assert "Save the log" in page and _happened_checked(page) == set()
    assert 'name="actual_minutes" value="60"' not in page
    # over: "it took place, for the planned length" is offered as before
    over = services.schedule_meeting(
        rel, mentor, plan(_london(-timedelta(hours=3))), actor=mentor.participant.user
    )
    page = log_page(over)
    assert _happened_checked(page) == {"yes"} and 'value="60"' in page
    # logged as missed: the log says so
    services.log_meeting(over, mentor, happened=False, actor=mentor.participant.user)
    assert _happened_checked(log_page(over)) == {"no"}


def test_the_move_form_shows_the_meetings_date_in_the_date_picker(client, world):
    """A date input only holds ISO dates: the en-GB "30/11/2026" left it empty."""
    rel, mentor, mentee, _ = world
    meeting = services.schedule_meeting(
        rel, mentor, plan(_london(timedelta(days=7))), actor=mentor.participant.user
    )
    client.force_login(mentee.participant.user)
    url = reverse("relationships:meeting", args=[rel.scheme.slug, rel.pk, meeting.pk])
    page = client.get(url).content.decode()
    local = meeting.starts_at.astimezone(zoneinfo.ZoneInfo(meeting.time_zone))
    assert re.search(rf'type="date"[^>]*value="{local:%Y-%m-%d}"', page)


def test_the_time_zone_list_offers_the_likely_zones_first(client, world):
    """It started at "Africa/Abidjan" with 600 entries (#21): the member's own zone, the other
    member's and the zone last used come first, in a group of their own."""
    rel, mentor, mentee, _other = world
    mentee.participant.user.time_zone = "Asia/Kolkata"
    mentee.participant.user.save()
    mentor.participant.user.time_zone = "America/Toronto"
    mentor.participant.user.save()
    client.force_login(mentee.participant.user)
    url = reverse("relationships:meetings", args=[rel.scheme.slug, rel.pk])
    html = client.get(url).content.decode()
    select = html[html.index('name="time_zone"') :]
    select = select[: select.index("</select>")]
    likely = select[select.index('<optgroup label="Likely">') : select.index("</optgroup>")]
    assert re.findall(r'value="([^"]+)"', likely) == ["Asia/Kolkata", "America/Toronto"]
    assert '<optgroup label="All time zones">' in select
    assert select.count('value="Asia/Kolkata"') == 1  # not offered twice
    # a meeting arranged in another zone puts that zone among the likely ones
    services.schedule_meeting(
        rel, mentor, plan("2031-01-06T10:00", "Europe/Berlin"), actor=mentor.participant.user
    )
    html = client.get(url).content.decode()
    likely = html[html.index('<optgroup label="Likely">') :]
    likely = likely[: likely.index("</optgroup>")]
    assert re.findall(r'value="([^"]+)"', likely) == [
        "Asia/Kolkata",
        "America/Toronto",
        "Europe/Berlin",
    ]


def test_pages_name_the_other_person_not_the_kind_and_state(client, world):
    """Titled "One-to-one Active" before (#21)."""
    rel, mentor, mentee, _other = world
    mentor_name = mentor.participant.user.full_name
    client.force_login(mentee.participant.user)
    home = client.get(reverse("relationships:home", args=[rel.scheme.slug])).content.decode()
    assert f"One-to-one with {mentor_name}</a>" in home
    assert "You are the mentee" in home
    detail = client.get(reverse("relationships:detail", args=[rel.scheme.slug, rel.pk]))
    html = detail.content.decode()
    assert f"<title>One-to-one with {mentor_name} — {rel.scheme.name}" in html
    assert f"<h1>One-to-one with {mentor_name} <span" in html
    assert '<span class="visually-hidden">Status: </span>' in html
    # and the mentor reads the mentee's name
    client.force_login(mentor.participant.user)
    html = client.get(reverse("relationships:detail", args=[rel.scheme.slug, rel.pk])).content
    assert f"One-to-one with {mentee.participant.user.full_name}" in html.decode()


def test_every_time_zone_field_is_searchable_and_keeps_a_zone_already_saved(client, alice):
    """site.js gives each time-zone select a search box (data-zone-search); a zone saved before
    the list was curated (such as Etc/GMT+5) stays valid for its owner."""
    from equimentor.accounts.forms import AccountForm

    alice.time_zone = "Etc/GMT+5"
    alice.save()
    client.force_login(alice)
    html = client.get(reverse("accounts:account")).content.decode()
    select = html[html.index('<select name="time_zone"') :]
    assert "data-zone-search" in select[: select.index(">")]
    likely = select[select.index('<optgroup label="Likely">') :]
    assert re.findall(r'value="([^"]+)"', likely[: likely.index("</optgroup>")]) == ["Etc/GMT+5"]
    kept = AccountForm({"full_name": "A", "time_zone": "Etc/GMT+5"}, current="Etc/GMT+5")
    assert kept.is_valid(), kept.errors
    other = AccountForm({"full_name": "A", "time_zone": "Etc/GMT+5"}, current="Europe/London")
    assert not other.is_valid() and "time_zone" in other.errors
    assert not AccountForm({"full_name": "A", "time_zone": "Mars/Olympus"}).is_valid()
