"""Raising concerns, anonymous follow-up, exclusion of the subject, emails, case handling."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from equimentor.accounts.models import User
from equimentor.core.models import AuditEvent
from equimentor.matching.adapter import forbidden_pairs
from equimentor.relationships.models import Relationship
from equimentor.safeguarding import services
from equimentor.safeguarding.models import Case, CaseAccess, ContactRoute, Suspension
from equimentor.schemes.models import StaffRole
from tests import factories
from tests.relationships_setup import accepted, pair

SECRET = "He kept texting me late at night"


def make_rows():
    """A mentor and mentee in a relationship, two safeguarding leads (one of whom is the mentor):
    made once for this module's tests."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    lead = factories.make_staff(
        scheme_a, "safeguarding", email="lead@example.org", full_name="Lena Lead"
    )
    mentor_user = mentors[0].user
    StaffRole.objects.create(user=mentor_user, scheme=scheme_a, role="safeguarding")
    mail.outbox.clear()
    return {
        "scheme": scheme_a,
        "rel": rel,
        "mentor": mentors[0],
        "mentee": mentees[0],
        "lead": lead,
        "subject_lead": mentor_user,
    }


[world] = factories.rows_as("world")


def raise_(client, world, **overrides):
    client.force_login(world["mentee"].user)
    data = {
        "scheme": world["scheme"].slug,
        "category": "sexual_harassment",
        "relationship": str(world["rel"].pk),
        "person": f"{world['scheme'].slug}:{world['mentor'].user_id}",
        "what_happened": SECRET,
        "wants": "action",
        **overrides,
    }
    return client.post(reverse("safeguarding:raise"), data)


def test_named_concern_reaches_only_unexcluded_leads(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = raise_(client, world)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.reporter == world["mentee"].user
    assert set(case.excluded.all()) >= {world["subject_lead"], world["mentee"].user}
    # Only the lead who is not the subject is told, and the email says nothing identifying.
    assert [m.to for m in mail.outbox] == [["lead@example.org"]]
    msg = mail.outbox[0]
    text = msg.subject + msg.body + msg.alternatives[0][0]
    for leak in (SECRET, "Amina", world["mentor"].user.full_name, "harassment", "Scheme A"):
        assert leak.lower() not in text.lower()
    # Raising records no reporter in the audit trail.
    event = AuditEvent.objects.get(action="safeguarding.case.raised")
    assert event.actor is None and event.scheme is None


def test_anonymous_concern_keeps_no_identity_and_follow_up_works(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = raise_(
            client, world, anonymous="on", passphrase="correct horse battery", person=""
        )
    assert response.status_code == 200
    key = re.search(r"<code>([A-Z0-9-]+)</code>", response.content.decode()).group(1)
    case = Case.objects.get()
    assert case.reporter is None and case.is_anonymous
    assert key not in str(case.__dict__)  # only its hash is kept
    stored = " ".join(str(v) for v in case.__dict__.values())
    assert "127.0.0.1" not in stored and "mentee0" not in stored
    # A lead replies, then the reporter follows up (signed out) and answers.
    services.message_reporter(case, "Thank you for telling us.", actor=world["lead"])
    client.logout()
    page = client.post(
        reverse("safeguarding:follow_up"), {"key": key, "passphrase": "correct horse battery"}
    )
    assert page.status_code == 200
    assert "Thank you for telling us." in page.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("safeguarding:follow_up"), {"token": token, "body": "More detail"})
    assert case.entries.filter(kind="from_reporter", body="More detail").exists()
    assert case.entries.get(kind="from_reporter").author is None
    # The key works however it was written down: spaces, no separators, lower case.
    for written in (key.replace("-", " "), key.replace("-", ""), f" {key.lower()} "):
        again = client.post(
            reverse("safeguarding:follow_up"),
            {"key": written, "passphrase": "correct horse battery"},
        )
        assert again.status_code == 200 and "Thank you for telling us." in again.content.decode()


def test_wrong_passphrases_are_throttled(client, world):
    raise_(client, world, anonymous="on", passphrase="correct horse battery")
    key = re.search(
        r"<code>([A-Z0-9-]+)</code>",
        raise_(client, world, anonymous="on", passphrase="correct horse battery").content.decode(),
    ).group(1)
    client.logout()
    url = reverse("safeguarding:follow_up")
    for _ in range(5):
        assert client.post(url, {"key": key, "passphrase": "wrong guess!"}).status_code == 400
    # Even the right passphrase is refused while the key is locked.
    locked = client.post(url, {"key": key, "passphrase": "correct horse battery"})
    assert locked.status_code == 429


def test_subject_finds_no_trace(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        raise_(client, world)
    case = Case.objects.get()
    subject = world["subject_lead"]
    slug = world["scheme"].slug
    client.force_login(subject)
    listing = client.get(reverse("safeguarding:cases", args=[slug]))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert f"Case {case.pk}" not in body and "Nothing overdue" in body
    assert "No open cases" in body
    assert client.get(reverse("safeguarding:case", args=[slug, case.pk])).status_code == 404
    assert client.get(reverse("safeguarding:case", args=[slug, 999999])).status_code == 404
    assert client.get(reverse("safeguarding:case_export", args=[slug, case.pk])).status_code == 404
    trends = client.get(reverse("safeguarding:trends", args=[slug])).content.decode()
    assert "<td>&lt;5</td>" not in trends
    for url in (
        reverse("portal:home"),
        reverse("relationships:home", args=[slug]),
        reverse("safeguarding:my_concerns"),
        reverse("privacy:export"),
        "/api/",
    ):
        response = client.get(url)
        assert SECRET not in response.content.decode()
        assert "Sexual harassment" not in response.content.decode()
    assert not [m for m in mail.outbox if subject.email in m.to]
    # A lead who is not excluded sees it.
    client.force_login(world["lead"])
    assert client.get(reverse("safeguarding:case", args=[slug, case.pk])).status_code == 200


def test_case_handling_deadlines_actions_and_access_log(
    client, world, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2030-01-01 09:00Z", tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        raise_(client, world)
    case = Case.objects.get()
    slug = world["scheme"].slug
    lead = world["lead"]
    client.force_login(lead)
    time_machine.move_to("2030-01-10 09:00Z", tick=False)
    client.force_login(lead)
    assert (
        "Overdue: acknowledgement"
        in client.get(reverse("safeguarding:cases", args=[slug])).content.decode()
    )
    act = reverse("safeguarding:case_act", args=[slug, case.pk])
    client.post(act, {"status": "acknowledged"})
    client.post(act, {"note": "1", "body": "Spoke to HR informally"})
    route = ContactRoute.objects.create(scheme=world["scheme"], name="HR", details="hr@example.org")
    client.post(act, {"action": "signpost", "route": route.pk})
    client.post(act, {"action": "block"})
    client.post(act, {"action": "suspend"})
    client.post(act, {"action": "end"})
    case.refresh_from_db()
    assert case.status == "acknowledged" and case.acknowledged_at and case.feedback_at
    assert case.entries.filter(kind="note").exists()
    assert case.entries.filter(kind="to_reporter", body__contains="hr@example.org").exists()
    assert (world["mentee"].pk, world["mentor"].pk) in forbidden_pairs(world["scheme"])
    assert Suspension.objects.filter(participant=world["mentor"]).exists()
    page = client.get(reverse("safeguarding:case", args=[slug, case.pk])).content.decode()
    assert "is suspended from the scheme since" in page
    # Lifting the suspension lets the person be matched again (the pair block stays).
    client.post(act, {"action": "lift"})
    assert not Suspension.objects.filter(participant=world["mentor"], lifted_at=None).exists()
    assert case.entries.filter(kind="action", body__startswith="Suspension lifted").exists()
    page = client.get(reverse("safeguarding:case", args=[slug, case.pk])).content.decode()
    assert "is suspended from the scheme since" not in page
    response = client.post(act, {"action": "lift"}, follow=True)
    assert "The person concerned is not suspended." in response.content.decode()
    client.post(act, {"action": "suspend"})
    world["rel"].refresh_from_db()
    assert world["rel"].state == Relationship.State.CLOSED
    assert world["rel"].close_reason == "no_fault"
    client.post(act, {"status": "closed"})
    client.get(reverse("safeguarding:case_export", args=[slug, case.pk]))
    whats = list(CaseAccess.objects.filter(user=lead).values_list("what", flat=True))
    assert "view" in whats and "export" in whats
    # Only a superuser reads the access log.
    assert client.get(reverse("safeguarding:access_log")).status_code == 403
    client.force_login(User.objects.create_superuser("root@example.org", "x" * 12, full_name="R"))
    assert client.get(reverse("safeguarding:access_log")).status_code == 200


def test_pause_quietly(client, world):
    rel = world["rel"]
    Relationship.objects.filter(pk=rel.pk).update(state=Relationship.State.ACTIVE)
    case, _ = services.raise_concern(
        world["mentee"].user,
        world["scheme"],
        services.Concern("boundaries", "x", "talk", relationship=rel),
    )
    services.take_action(case, "pause", actor=world["lead"])
    rel.refresh_from_db()
    assert rel.state == Relationship.State.PAUSED
    paused = AuditEvent.objects.get(action="relationships.relationship.paused")
    assert paused.actor is None


def test_trends_suppress_small_numbers(client, world):
    for _ in range(2):
        services.raise_concern(
            world["mentee"].user, world["scheme"], services.Concern("wellbeing", "x", "record")
        )
    for _ in range(6):
        services.raise_concern(
            world["mentee"].user, world["scheme"], services.Concern("other", "x", "record")
        )
    client.force_login(world["lead"])
    body = client.get(reverse("safeguarding:trends", args=[world["scheme"].slug])).content.decode()
    assert "<td>&lt;5</td>" in body
    # the 2 must not be derivable as total − other: one of them is hidden as well
    assert not ("<td>6</td>" in body and "<td>8</td>" in body)
    assert "<td>x</td>" in body


# -- the "Move to" select on a case's page ---------------------------------------------------------


def status_select(page: str) -> tuple[list[str], list[str]]:
    """The values the case page's "Move to" select offers, and those selected."""
    found = re.search(r'<select name="status"[^>]*>(.*?)</select>', page, re.S)
    if found is None:
        return [], []
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', found.group(1))
    return [v for v, _ in options], [v for v, attrs in options if "selected" in attrs]


def lead_case(client, world, status=Case.Status.RECEIVED) -> Case:
    """A case raised through the services (no email), at ``status``, with the lead signed in."""
    case, _ = services.raise_concern(
        world["mentee"].user,
        world["scheme"],
        services.Concern("boundaries", "x", "talk", relationship=world["rel"]),
    )
    Case.objects.filter(pk=case.pk).update(status=status)
    client.force_login(world["lead"])
    return case


def case_page(client, world, case) -> str:
    response = client.get(reverse("safeguarding:case", args=[world["scheme"].slug, case.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("status", "offered", "selected"),
    [
        ("received", ["acknowledged", "assessing", "action_taken", "closed"], ["acknowledged"]),
        ("acknowledged", ["assessing", "action_taken", "closed"], ["assessing"]),
        ("assessing", ["action_taken", "closed"], ["action_taken"]),
        ("action_taken", ["closed"], ["closed"]),
    ],
)
def test_status_select_offers_later_statuses_and_opens_on_the_next(
    client, world, status, offered, selected
):
    case = lead_case(client, world, status)
    page = case_page(client, world, case)
    assert status_select(page) == (offered, selected)
    assert "There is no later status to move this case to." not in page


def test_closed_case_offers_no_status_change(client, world):
    case = lead_case(client, world, Case.Status.CLOSED)
    page = case_page(client, world, case)
    assert status_select(page) == ([], [])
    assert 'name="status-submit"' not in page
    assert "There is no later status to move this case to." in page


def test_posting_the_preselected_status_moves_the_case_on(client, world):
    case = lead_case(client, world)
    act = reverse("safeguarding:case_act", args=[world["scheme"].slug, case.pk])
    for expected in ("acknowledged", "assessing", "action_taken", "closed"):
        _, [preselected] = status_select(case_page(client, world, case))
        assert preselected == expected
        response = client.post(act, {"status": preselected}, follow=True)
        assert "Status changed." in response.content.decode()
        case.refresh_from_db()
        assert case.status == expected
        event = AuditEvent.objects.filter(action="safeguarding.case.status").latest("pk")
        assert event.object_id == str(case.pk) and event.data["status"] == expected
    assert case.acknowledged_at and case.feedback_at and case.closed_at
    assert case.entries.filter(kind="status").count() == 4


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ("assessing", "A case moves forward only: choose a later status."),  # where it is now
        ("acknowledged", "A case moves forward only: choose a later status."),  # backwards
        ("reopened", "Please complete the form."),  # not a status at all
    ],
)
def test_invalid_status_change_is_refused_clearly_and_changes_nothing(
    client, world, posted, message
):
    case = lead_case(client, world, Case.Status.ASSESSING)
    before = Case.objects.values().get(pk=case.pk)
    entries = case.entries.count()
    events = AuditEvent.objects.count()
    act = reverse("safeguarding:case_act", args=[world["scheme"].slug, case.pk])
    response = client.post(act, {"status": posted}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "Status changed." not in page
    assert Case.objects.values().get(pk=case.pk) == before
    assert case.entries.count() == entries
    assert AuditEvent.objects.count() == events
    # The page still opens on the next status.
    assert status_select(page)[1] == ["action_taken"]


def test_stale_page_move_is_refused_by_the_service(client, world):
    """A second lead moved the case on after the first opened the page."""
    case = lead_case(client, world)
    _, [preselected] = status_select(case_page(client, world, case))
    services.set_status(case, Case.Status.ASSESSING, actor=world["lead"])
    act = reverse("safeguarding:case_act", args=[world["scheme"].slug, case.pk])
    response = client.post(act, {"status": preselected}, follow=True)
    assert "A case moves forward only: choose a later status." in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.ASSESSING
    assert case.entries.filter(kind="status").count() == 1


def test_allowed_statuses_is_what_set_status_accepts(world):
    for current in Case.ORDER:
        for target in Case.ORDER:
            case = Case.objects.create(
                scheme=world["scheme"], category="other", what_happened="x", wants="record"
            )
            Case.objects.filter(pk=case.pk).update(status=current)
            try:
                services.set_status(case, target, actor=None)
            except services.SafeguardingError:
                accepted = False
            else:
                accepted = True
            assert accepted == (target in services.allowed_statuses(current)), (current, target)
    assert services.allowed_statuses("closed") == []
    assert services.allowed_statuses("received")[0] == "acknowledged"


def test_the_relationship_choice_names_the_people_in_it(client, world):
    client.force_login(world["mentee"].user)
    page = client.get(reverse("safeguarding:raise")).content.decode()
    rel, mentor = world["rel"], world["mentor"].user
    label = f"{rel.title} with {mentor.full_name} ({world['scheme'].name})"
    assert f'<option value="{rel.pk}">{label}</option>' in page.replace("&#x27;", "'")
    assert f"{rel.title} {rel.pk}" not in page


@pytest.mark.parametrize(("hidden", "prefix"), [("note", "note"), ("message", "message")])
def test_an_empty_note_or_message_says_which_and_a_refused_one_keeps_its_text(
    client, world, hidden, prefix
):
    case = lead_case(client, world)
    act = reverse("safeguarding:case_act", args=[world["scheme"].slug, case.pk])
    entries = case.entries.count()
    empty = client.post(act, {hidden: "1", "body": "   "})
    assert empty.status_code == 400
    page = empty.content.decode()
    assert "There is a problem" in page and f'href="#{prefix}_body"' in page
    assert page.count('id="note_body"') == 1 and page.count('id="message_body"') == 1
    assert case.entries.count() == entries
    # a long text refused by the form comes back as written
    too_long = "x" * 20001
    again = client.post(act, {hidden: "1", "body": too_long})
    assert again.status_code == 400 and too_long in again.content.decode()
    assert case.entries.count() == entries


def test_the_case_page_names_the_relationship_by_its_people(client, world):
    case = lead_case(client, world)
    page = case_page(client, world, case)
    rel = world["rel"]
    names = sorted([world["mentor"].user.full_name, world["mentee"].user.full_name])
    assert f"{rel.title} with {names[0]} and {names[1]} ({rel.get_state_display()})" in page
    assert f"relationship {rel.pk}" not in page


def test_an_anonymous_reporters_refused_message_comes_back_as_written(client, world):
    raised = raise_(client, world, anonymous="on", passphrase="correct horse battery", person="")
    key = re.search(r"<code>([A-Z0-9-]+)</code>", raised.content.decode()).group(1)
    client.logout()
    page = client.post(
        reverse("safeguarding:follow_up"), {"key": key, "passphrase": "correct horse battery"}
    ).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    case = Case.objects.get()
    url = reverse("safeguarding:follow_up")
    empty = client.post(url, {"token": token, "body": "   "})
    assert empty.status_code == 400 and "There is a problem" in empty.content.decode()
    too_long = "y" * 10001
    again = client.post(url, {"token": token, "body": too_long})
    assert again.status_code == 400 and too_long in again.content.decode()
    assert not case.entries.filter(kind="from_reporter").exists()
