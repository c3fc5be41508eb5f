"""Enrolment through the API (#20): a coordinator's token records interest, imports people as
invited and approves, queries or declines registrations through the pages' services (audited with
the token); participants, another scheme's coordinator and a token without the scope are refused;
another scheme's registration gives nothing; bad input is a 400 naming the field and changes
nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.enrolment.models import ExpressionOfInterest, ImportInvite, Participant
from tests import factories
from tests.api_write_setup import bearer, token

WRITE = ("registrations:read", "registrations:write")


def _post(client, url, raw, body, **headers):
    return client.post(url, body, content_type="application/json", **bearer(raw), **headers)


def _tag(client, participant, raw) -> str:
    """The registration's ETag, read as the API gives it."""
    url = reverse("api:registration", args=[participant.scheme.slug, participant.pk])
    response = client.get(url, **bearer(raw))
    assert response.status_code == 200
    return response["ETag"]


def _decide(client, action, participant, raw, body):
    """A decision sent with the ETag of the registration as just read (If-Match)."""
    tag = _tag(client, participant, raw)
    return _post(client, _review_url(action, participant), raw, body, HTTP_IF_MATCH=tag)


def _review_url(action, participant, slug="scheme-a"):
    return reverse(f"api:{action}_registration", args=[slug, participant.pk])


# -- approve / query / decline ----------------------------------------------------------------


def test_a_coordinators_token_queries_then_approves(
    client, alice, bob_participant, django_capture_on_commit_callbacks
):
    raw = token(alice, *WRITE)
    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(
            client, "query", bob_participant, raw, {"message": "Which institution employs you?"}
        )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (bob_participant.pk, "queried")
    assert "Which institution employs you?" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, "approve", bob_participant, raw, {})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert "approved" in mail.outbox[-1].subject
    bob_participant.refresh_from_db()
    assert bob_participant.status == "approved" and bob_participant.approved_at
    event = AuditEvent.objects.filter(action="enrolment.approved").get()
    assert event.actor == alice and event.via_token is not None
    # the service's rule, not a second copy: approving twice is refused with its message
    again = _decide(client, "approve", bob_participant, raw, {})
    assert again.status_code == 409 and "cannot be changed that way" in again.json()["detail"]


def test_a_service_token_declines_with_the_reason(
    client, alice, scheme_a, bob_participant, django_capture_on_commit_callbacks
):
    raw = token(alice, *WRITE, scheme=scheme_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(
            client, "decline", bob_participant, raw, {"message": "Students excluded."}
        )
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert "Students excluded." in mail.outbox[-1].body
    assert AuditEvent.objects.filter(action="enrolment.declined").get().via_token is not None


@pytest.mark.parametrize("action", ["query", "decline"])
def test_a_message_is_needed_and_nothing_changes_without_it(client, alice, bob_participant, action):
    raw = token(alice, *WRITE)
    for body in ({}, {"message": "   "}):
        response = _decide(client, action, bob_participant, raw, body)
        assert response.status_code == 400
        assert "message" in str(response.json())
    bob_participant.refresh_from_db()
    assert bob_participant.status == "registered"
    assert not AuditEvent.objects.filter(action__in=["enrolment.queried", "enrolment.declined"])


def test_approving_an_unlisted_institution_needs_one_from_the_list(
    client, alice, scheme_a, institution, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        person = factories.register_participant(scheme_a, "una@example.org")
    Participant.objects.filter(pk=person.pk).update(institution=None, institution_other="Elsewhere")
    raw = token(alice, *WRITE)
    refused = _decide(client, "approve", person, raw, {})
    assert refused.status_code == 409 and "not on the list" in refused.json()["detail"]
    bad = _decide(client, "approve", person, raw, {"institution": 999999})
    assert bad.status_code == 400 and "institution" in str(bad.json())
    person.refresh_from_db()
    assert person.status == "registered" and person.institution_id is None
    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, "approve", person, raw, {"institution": institution.pk})
    assert response.status_code == 200 and response.json()["institution"] == institution.name


@pytest.mark.parametrize("action", ["approve", "query", "decline"])
def test_who_may_not_review(
    client, alice, bob, charlie, scheme_a, scheme_b, bob_participant, action
):
    body = {"message": "Why?"}
    url = _review_url(action, bob_participant)
    refusals = [
        token(bob, *WRITE),  # a participant
        token(charlie, *WRITE),  # another scheme's coordinator
        token(alice, "registrations:read"),  # lacking the scope
        token(charlie, *WRITE, scheme=scheme_b),  # another scheme's service token
    ]
    for raw in refusals:
        assert _post(client, url, raw, body, HTTP_IF_MATCH="*").status_code == 403
    # another scheme's registration through one's own scheme's address: nothing
    assert (
        _post(
            client, _review_url(action, bob_participant, "scheme-b"), refusals[1], body
        ).status_code
        == 404
    )
    # a session without the role, and nobody
    client.force_login(bob)
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.logout()
    assert client.post(url, body, content_type="application/json").status_code == 403
    bob_participant.refresh_from_db()
    assert bob_participant.status == "registered"


def test_a_decision_needs_the_registration_as_read(
    client, alice, scheme_a, bob_participant, django_capture_on_commit_callbacks
):
    raw = token(alice, *WRITE)
    url = _review_url("approve", bob_participant)
    sent = len(mail.outbox)
    missing = _post(client, url, raw, {})
    assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
    assert _post(client, url, raw, {"institution": "not an id"}).status_code == 428
    stale = _tag(client, bob_participant, raw)
    # the person changes their registration after the coordinator read it
    Participant.objects.filter(pk=bob_participant.pk).update(job_title="Senior Lecturer")
    refused = _post(client, url, raw, {}, HTTP_IF_MATCH=stale)
    assert refused.status_code == 412
    bob_participant.refresh_from_db()
    assert bob_participant.status == "registered" and len(mail.outbox) == sent
    assert not AuditEvent.objects.filter(action="enrolment.approved").exists()
    fresh = _tag(client, bob_participant, raw)
    assert fresh != stale
    with django_capture_on_commit_callbacks(execute=True):
        approved = _post(client, url, raw, {}, HTTP_IF_MATCH=fresh)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved["ETag"] == _tag(client, bob_participant, raw) != fresh


# -- expression of interest -------------------------------------------------------------------


INTEREST = reverse("api:express_interest", args=["scheme-a"])


def test_a_coordinator_records_interest_and_the_welcome_is_sent(
    client, alice, institution, django_capture_on_commit_callbacks
):
    raw = token(alice, *WRITE)
    body = {
        "name": "Dana Applicant",
        "email": "Dana@Example.org",
        "institution": institution.pk,
        "declared_eligible": True,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, INTEREST, raw, body)
    assert response.status_code == 202
    expression = ExpressionOfInterest.objects.get()
    assert (expression.email, expression.institution) == ("dana@example.org", institution)
    assert mail.outbox[-1].to == ["dana@example.org"]
    event = AuditEvent.objects.get(action="enrolment.interest.expressed")
    assert event.via_token is not None
    # the answer is the same whatever was sent (#23): here, nothing (one was sent minutes ago)
    with django_capture_on_commit_callbacks(execute=True):
        again = _post(client, INTEREST, raw, body)
    assert (again.status_code, again.json()) == (202, response.json())
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"institution": None, "institution_other": ""}, "institution"),
        ({"declared_eligible": False}, "declared_eligible"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_interest_is_a_400_naming_the_field(client, alice, institution, change, field):
    body = {
        "name": "Dana Applicant",
        "email": "dana@example.org",
        "institution": institution.pk,
        "declared_eligible": True,
        **change,
    }
    response = _post(client, INTEREST, token(alice, *WRITE), body)
    assert response.status_code == 400 and field in str(response.json())
    assert not ExpressionOfInterest.objects.exists() and not mail.outbox


def test_a_closed_scheme_refuses_interest(client, alice, scheme_a, institution):
    scheme_a.is_open = False
    scheme_a.save(update_fields=["is_open"])
    body = {"name": "D", "email": "d@example.org", "institution": institution.pk}
    response = _post(client, INTEREST, token(alice, *WRITE), {**body, "declared_eligible": True})
    assert response.status_code == 409 and "not taking registrations" in response.json()["detail"]
    assert not ExpressionOfInterest.objects.exists()


def test_who_may_not_record_interest(client, alice, bob, charlie, scheme_b, institution):
    body = {
        "name": "Dana",
        "email": "dana@example.org",
        "institution": institution.pk,
        "declared_eligible": True,
    }
    for raw in (
        token(bob, *WRITE),
        token(charlie, *WRITE),
        token(alice, "registrations:read"),
        token(charlie, *WRITE, scheme=scheme_b),
    ):
        assert _post(client, INTEREST, raw, body).status_code == 403
    assert not ExpressionOfInterest.objects.filter(email="dana@example.org").exists()


# -- importing participants as invited --------------------------------------------------------


IMPORT = reverse("api:import_participants", args=["scheme-a"])


def _people(institution):
    return [
        {
            "email": "one@example.org",
            "full_name": "One Person",
            "role": "mentee",
            "institution": institution.name,
        },
        {
            "email": "two@example.org",
            "full_name": "Two Person",
            "role": "mentor",
            "institution": institution.name,
            "mentor_capacity": 2,
            "pathway": "clinical",
        },
    ]


def test_a_coordinator_imports_people_as_invited_and_invites_them(
    client, alice, scheme_a, institution, django_capture_on_commit_callbacks
):
    raw = token(alice, *WRITE, scheme=scheme_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client, IMPORT, raw, {"participants": _people(institution), "invite": True}
        )
    assert response.status_code == 200
    assert response.json() == {"created": 2, "unchanged": 0, "invited": 2}
    people = Participant.objects.filter(scheme=scheme_a, status="invited")
    assert sorted(p.user.email for p in people) == ["one@example.org", "two@example.org"]
    assert people.get(user__email="two@example.org").mentor_capacity == 2
    assert ImportInvite.objects.count() == 2 and len(mail.outbox) == 2
    assert AuditEvent.objects.get(action="enrolment.import.done").via_token is not None
    # sending the list again changes nothing
    again = _post(client, IMPORT, raw, {"participants": _people(institution), "invite": True})
    assert again.json() == {"created": 0, "unchanged": 2, "invited": 0}


def test_a_bad_person_refuses_the_whole_list_naming_them(client, alice, scheme_a, institution):
    people = _people(institution)
    people[1]["role"] = "chair"
    people[0]["institution"] = "Nowhere University"
    response = _post(client, IMPORT, token(alice, *WRITE), {"participants": people})
    assert response.status_code == 400
    text = str(response.json())
    assert "participants" in text and "chair" in text and "Nowhere University" in text
    assert not Participant.objects.filter(scheme=scheme_a).exists()
    # a missing field is named by the serializer
    del people[0]["email"]
    missing = _post(client, IMPORT, token(alice, *WRITE), {"participants": people})
    assert missing.status_code == 400 and "email" in str(missing.json())
    empty = _post(client, IMPORT, token(alice, *WRITE), {"participants": []})
    assert empty.status_code == 400 and "participants" in str(empty.json())
    assert not Participant.objects.filter(scheme=scheme_a).exists()


def test_who_may_not_import(client, alice, bob, charlie, scheme_a, scheme_b, institution):
    body = {"participants": _people(institution)}
    for raw in (
        token(bob, *WRITE),
        token(charlie, *WRITE),
        token(alice, "registrations:read"),
        token(charlie, *WRITE, scheme=scheme_b),
    ):
        assert _post(client, IMPORT, raw, body).status_code == 403
    assert not Participant.objects.filter(scheme=scheme_a, status="invited").exists()


# -- someone imported accepts her place -------------------------------------------------------


ACCEPT = reverse("api:accept_invitation", args=["scheme-a"])
INVITATION = reverse("api:my_invitation", args=["scheme-a"])
OWN = ("registrations:read", "registrations:write")


def _imported(client, alice, institution):
    raw = token(alice, *WRITE)
    assert _post(client, IMPORT, raw, {"participants": _people(institution)}).status_code == 200
    return {p.user.email: p for p in Participant.objects.filter(status="invited")}


def _acceptance(client, raw, **profile):
    """What someone imported sends: the profile fields the import had not, and every consent
    against the version the invitation named."""
    asked = client.get(INVITATION, **bearer(raw)).json()["consents"]
    return {
        "job_title": "Lecturer",
        "career_stage": 1,
        "career_summary": "Five years in public health.",
        "department": "Public Health",
        "research_interests": "maternal health",
        "pathway": "non_clinical",
        "meeting_mode": "virtual",
        **profile,
        "consents": {c["purpose"]: True for c in asked},
        "documents": {c["document"]["kind"]: c["document"]["id"] for c in asked},
    }


def test_someone_imported_accepts_her_place_with_her_consents(
    client, alice, scheme_a, institution, django_capture_on_commit_callbacks
):
    one = _imported(client, alice, institution)["one@example.org"]
    raw = token(one.user, *OWN)
    invitation = client.get(INVITATION, **bearer(raw)).json()
    assert invitation["participation"]["status"] == "invited"
    asked = {c["purpose"]: c for c in invitation["consents"]}
    assert asked["privacy"]["required"] and not asked["evaluation"]["required"]
    body = _acceptance(client, raw, seeks="Fellowship advice")
    body["consents"]["evaluation"] = False
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, ACCEPT, raw, body)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved" and response.json()["job_title"] == "Lecturer"
    one.refresh_from_db()
    assert (one.status, one.is_mentee, one.seeks) == ("approved", True, "Fellowship advice")
    given = {c.purpose: c.document_id for c in one.consents.all()}
    assert given == {
        p: body["documents"][c["document"]["kind"]] for p, c in asked.items() if p != "evaluation"
    }
    event = AuditEvent.objects.get(action="enrolment.import.accepted")
    assert event.actor == one.user and event.via_token is not None
    assert "approved" in mail.outbox[-1].subject
    # a place accepted is not waiting any more: the service's refusal, nothing changed
    again = _post(client, ACCEPT, raw, body)
    assert again.status_code == 409 and "no imported place" in again.json()["detail"]


def test_a_consent_missing_or_a_stale_version_accepts_nothing(client, alice, scheme_a, institution):
    two = _imported(client, alice, institution)["two@example.org"]
    raw = token(two.user, *OWN)
    body = _acceptance(client, raw, offers="Grant writing")
    refused = _post(
        client, ACCEPT, raw, {**body, "consents": {**body["consents"], "privacy": False}}
    )
    assert refused.status_code == 400 and refused.json()["errors"] == {
        "consents.privacy": ["This consent is needed to take part."]
    }
    unnamed = _post(client, ACCEPT, raw, {**body, "documents": {}})
    assert unnamed.status_code == 400 and list(unnamed.json()["errors"]) == ["documents"]
    no_offer = _post(client, ACCEPT, raw, {**body, "offers": ""})
    assert no_offer.status_code == 400 and "offers" in no_offer.json()["errors"]
    factories.publish_documents(scheme_a, version=2)  # published while she was reading
    stale = _post(client, ACCEPT, raw, body)
    assert stale.status_code == 409 and "updated" in stale.json()["detail"]
    two.refresh_from_db()
    assert two.status == "invited" and not two.consents.exists()


def test_who_may_not_accept(client, alice, scheme_a, institution, bob):
    one = _imported(client, alice, institution)["one@example.org"]
    body = _acceptance(client, token(one.user, *OWN), seeks="Advice")
    assert _post(client, ACCEPT, token(one.user, "registrations:read"), body).status_code == 403
    assert _post(client, ACCEPT, token(alice, *WRITE, scheme=scheme_a), body).status_code == 403
    assert _post(client, ACCEPT, token(alice, *WRITE), body).status_code == 404  # not hers
    assert _post(client, ACCEPT, token(bob, *OWN), body).status_code == 409  # not invited
    one.refresh_from_db()
    assert one.status == "invited"
