"""Someone who withdrew asks about the scheme again: an email with a link to rejoin, and the way
back through it (profile checked, consents given again, reviewed again by the coordinator)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from equimentor.core.models import AuditEvent
from equimentor.enrolment import services as enrolment
from equimentor.enrolment.models import (
    Consent,
    ExpressionOfInterest,
    Participant,
    RegistrationInvite,
)
from equimentor.identity.models import IdentityAnswer
from equimentor.schemes.services import draft_document, publish_document
from tests import factories

REJOIN_LINK = re.compile(r"https?://[^\s\"]+?(/me/rejoin/[^\s/\"]+/)")


def _express(client, scheme, institution, email, name="Bob Again"):
    return client.post(
        reverse("schemes:detail", args=[scheme.slug]),
        {
            "name": name,
            "email": email,
            "institution": institution.pk,
            "eligible_0": "on",
            "eligible_1": "on",
        },
    )


def _withdraw(participant, *, erase_identity=True):
    enrolment.withdraw(participant, actor=participant.user, erase_identity=erase_identity)
    participant.refresh_from_db()
    return participant


def _ask_again(client, scheme, institution, capture, email="bob@example.org"):
    """Express interest again (past the resend window) and return the response and the email."""
    ExpressionOfInterest.objects.update(last_sent_at=None)
    mail.outbox.clear()
    with capture(execute=True):
        response = _express(client, scheme, institution, email)
    assert len(mail.outbox) == 1
    return response, mail.outbox[0]


def _link(message) -> str:
    return REJOIN_LINK.search(message.body).group(1)


def _form(scheme, participant, **overrides):
    docs = scheme.current_documents()
    data = {
        "role": "mentee",
        "job_title": "Senior lecturer",
        "career_stage": "3",
        "pathway": "clinical",
        "institution": participant.institution_id,
        "department": "Public Health",
        "research_interests": "maternal health",
        "career_summary": "Twelve years in public health.",
        "offers": "",
        "seeks": "Leadership advice",
        "mentor_capacity": "",
        "meeting_mode": "virtual",
        "meeting_notes": "",
        "privacy": "on",
        "participation": "on",
        "code_of_conduct": "on",
        "confidentiality": "on",
        "evaluation": "",
        **{f"doc_{kind}": doc.pk for kind, doc in docs.items()},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def withdrawn_bob(bob_participant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return _withdraw(bob_participant)


# -- the email --------------------------------------------------------------------------------------


def test_a_withdrawn_person_is_emailed_a_link_to_rejoin(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    assert message.to == ["bob@example.org"]
    assert "Rejoining Scheme A" in message.subject
    withdrew_on = timezone.localtime(withdrawn_bob.withdrawn_at).strftime("%-d %B %Y")
    body = message.body
    assert f"withdrew on {withdrew_on}" in body
    assert "/me/rejoin/" in body and "/me/register/" not in body
    assert "already registered" not in body
    assert "reviews your registration, as for a new one" in body
    assert "/schemes/scheme-a/" in body  # where to ask for a new link
    assert "&#x27;" not in body and "&amp;" not in body  # plain text, readable on its own
    html = message.alternatives[0][0]
    assert f"withdrew on {withdrew_on}" in html
    assert _link(message) + '"' in html  # the button links to it
    assert "Rejoin Scheme A" in html
    invite = RegistrationInvite.objects.get(purpose="rejoin")
    assert invite.participant == withdrawn_bob
    event = AuditEvent.objects.get(action="enrolment.rejoin_link_sent")
    assert event.data["participant_id"] == withdrawn_bob.pk
    assert "example.org" not in str(event.data) and "Bob" not in str(event.data)


def test_an_active_participant_is_still_told_they_are_registered(
    client, scheme_a, institution, bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    assert "already registered" in message.subject
    assert "/me/rejoin/" not in message.body and "/me/register/" not in message.body
    assert not RegistrationInvite.objects.filter(purpose="rejoin").exists()


def test_the_page_says_the_same_to_a_new_an_active_and_a_withdrawn_person(
    client, scheme_a, institution, bob_participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        carol = factories.register_participant(
            scheme_a, "carol@example.org", institution=institution
        )
        _withdraw(carol)
    pages, subjects = [], []
    for email in ["dana@example.org", "bob@example.org", "carol@example.org"]:
        response, message = _ask_again(
            client, scheme_a, institution, django_capture_on_commit_callbacks, email=email
        )
        assert response.status_code == 200
        pages.append(response.content.decode().replace(email, "ADDRESS"))
        subjects.append(message.subject)
    assert pages[0] == pages[1] == pages[2]
    assert "We have emailed <strong>ADDRESS</strong>" in pages[0]
    # ...while each got the email that fits them
    assert "registration link" in subjects[0]
    assert "already registered" in subjects[1]
    assert "Rejoining" in subjects[2]


def test_asking_again_within_minutes_sends_nothing_more(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = _express(client, scheme_a, institution, "bob@example.org")
    assert len(mail.outbox) == 1
    assert "Thank you for your interest" in response.content.decode()


# -- rejoining ----------------------------------------------------------------------------------


def test_rejoining_end_to_end(
    client, scheme_a, institution, alice, withdrawn_bob, django_capture_on_commit_callbacks
):
    bob = withdrawn_bob.user
    assert IdentityAnswer.objects.filter(participant=withdrawn_bob).count() == 0  # erased
    withdrawn_at = withdrawn_bob.withdrawn_at
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    link = _link(message)

    client.force_login(bob)
    page = client.get(link)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Rejoin Scheme A" in content and "You withdrew from Scheme A on" in content
    assert 'value="Lecturer"' in content  # the profile as it was, to review
    for purpose in (*Consent.REQUIRED, Consent.Purpose.EVALUATION):  # nothing ticked for them
        assert re.search(rf'<input type="checkbox" name="{purpose}" id="id_{purpose}">', content)
    assert "You have no identity answers with this scheme." in content

    # consent is not optional: the page explains, keeps what was typed, and changes nothing
    response = client.post(link, _form(scheme_a, withdrawn_bob, participation=None))
    assert response.status_code == 400
    assert "This consent is needed to take part." in response.content.decode()
    assert "Twelve years in public health." in response.content.decode()
    withdrawn_bob.refresh_from_db()
    assert withdrawn_bob.status == Participant.Status.WITHDRAWN

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            link,
            _form(
                scheme_a,
                withdrawn_bob,
                role="both",
                offers="Grant writing",
                mentor_capacity="2",
                evaluation="on",
            ),
        )
    assert response.status_code == 302
    assert response.url == reverse("enrolment:participation", args=["scheme-a"])
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()

    participant = Participant.objects.get(pk=withdrawn_bob.pk)
    assert participant.status == Participant.Status.REGISTERED  # what a new registration gets
    assert participant.withdrawn_at is None and participant.approved_at is None
    assert participant.registered_at > withdrawn_at
    assert participant.is_mentor and participant.is_mentee and participant.mentor_capacity == 2
    assert participant.job_title == "Senior lecturer"
    # every consent given again, now, against the current documents
    docs = scheme_a.current_documents()
    current = {
        c.purpose: c for c in Consent.objects.filter(participant=participant, withdrawn_at=None)
    }
    assert set(current) == {*Consent.REQUIRED, Consent.Purpose.EVALUATION}
    for purpose, consent in current.items():
        assert consent.given_at > withdrawn_at
        assert consent.document == docs[Consent.DOCUMENT_FOR_PURPOSE[purpose]]
    # identity answers erased at withdrawal stay erased, and their consent stays withdrawn
    assert IdentityAnswer.objects.filter(participant=participant).count() == 0
    assert not any(p.startswith("identity") for p in current)

    event = AuditEvent.objects.get(action="enrolment.rejoined")
    assert event.actor == bob and event.scheme == scheme_a
    assert event.object_id == str(participant.pk)
    assert event.data["old"] == "withdrawn" and event.data["new"] == "registered"
    assert event.data["role"] == "both"
    assert AuditEvent.objects.filter(action="enrolment.roles.changed").exists()

    # the person is told after the commit, without identity data
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert "Welcome back to Scheme A" in mail.outbox[0].subject
    assert "review your registration" in mail.outbox[0].body
    assert "/me/schemes/scheme-a/identity/" in mail.outbox[0].body

    page = client.get(response.url)
    assert "Welcome back to Scheme A" in page.content.decode()
    assert "Registered, awaiting review" in page.content.decode()

    # the coordinator finds it where new registrations wait, and reviews it the same way
    client.force_login(alice)
    queue = client.get(
        reverse("backoffice:registrations", args=["scheme-a"]) + "?status=registered"
    )
    assert f"/registrations/{participant.pk}/" in queue.content.decode()
    detail = client.get(reverse("backoffice:registration", args=["scheme-a", participant.pk]))
    assert "Rejoined" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.approve(participant, actor=alice)
    participant.refresh_from_db()
    assert participant.status == Participant.Status.APPROVED


def test_rejoining_without_evaluation_consent_withdraws_the_old_one(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    assert Consent.objects.filter(
        participant=withdrawn_bob, purpose="evaluation", withdrawn_at=None
    ).exists()  # registration gave it, withdrawal left it
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    client.force_login(withdrawn_bob.user)
    response = client.post(_link(message), _form(scheme_a, withdrawn_bob))
    assert response.status_code == 302
    assert not Consent.objects.filter(
        participant=withdrawn_bob, purpose="evaluation", withdrawn_at=None
    ).exists()


def test_identity_answers_kept_at_withdrawal_stay(
    client, scheme_a, institution, bob_participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _withdraw(bob_participant, erase_identity=False)
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    client.force_login(bob_participant.user)
    page = client.get(_link(message))
    assert "Your identity answers are kept as you left them." in page.content.decode()
    assert client.post(_link(message), _form(scheme_a, bob_participant)).status_code == 302
    assert IdentityAnswer.objects.filter(participant=bob_participant).count() == 1


def test_a_document_updated_mid_form_asks_again(
    client, scheme_a, institution, alice, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    link = _link(message)
    client.force_login(withdrawn_bob.user)
    form = _form(scheme_a, withdrawn_bob)  # carries version 1 ids
    new = draft_document(
        scheme_a, "privacy_notice", title="Privacy notice", body="Updated.", actor=alice
    )
    publish_document(new, actor=alice)
    response = client.post(link, form)
    assert response.status_code == 400
    assert "was updated while you were filling in the form" in response.content.decode()
    assert "Twelve years in public health." in response.content.decode()
    withdrawn_bob.refresh_from_db()
    assert withdrawn_bob.status == Participant.Status.WITHDRAWN
    assert RegistrationInvite.objects.get(purpose="rejoin").used_at is None
    response = client.post(link, _form(scheme_a, withdrawn_bob))  # now with version 2
    assert response.status_code == 302
    current = Consent.objects.get(participant=withdrawn_bob, purpose="privacy", withdrawn_at=None)
    assert current.document.version == 2


# -- links that cannot be used ------------------------------------------------------------------


def test_the_link_cannot_be_used_twice(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    link = _link(message)
    client.force_login(withdrawn_bob.user)
    assert client.post(link, _form(scheme_a, withdrawn_bob)).status_code == 302
    # withdrawing again does not bring the old link back
    _withdraw(withdrawn_bob)
    for response in (client.get(link), client.post(link, _form(scheme_a, withdrawn_bob))):
        assert response.status_code == 400
        content = response.content.decode()
        assert "already been used" in content
        assert reverse("schemes:detail", args=["scheme-a"]) in content  # ask for a new one
    withdrawn_bob.refresh_from_db()
    assert withdrawn_bob.status == Participant.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="enrolment.rejoined").count() == 1


def test_an_expired_link_says_where_to_ask_for_a_new_one(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    RegistrationInvite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(withdrawn_bob.user)
    response = client.post(_link(message), _form(scheme_a, withdrawn_bob))
    assert response.status_code == 400
    content = response.content.decode()
    assert "This link to rejoin cannot be used" in content
    assert "has expired" in content
    assert 'href="/schemes/scheme-a/">Ask for a new link on the Scheme A page' in content
    withdrawn_bob.refresh_from_db()
    assert withdrawn_bob.status == Participant.Status.WITHDRAWN


def test_another_person_cannot_use_the_link(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    link = _link(message)
    with django_capture_on_commit_callbacks(execute=True):
        carol = factories.register_participant(
            scheme_a, "carol@example.org", institution=institution
        )
        _withdraw(carol)
    client.force_login(carol.user)
    for response in (client.get(link), client.post(link, _form(scheme_a, carol))):
        assert response.status_code == 403
        content = response.content.decode()
        assert "This link was sent to someone else" in content
        assert "bob@example.org" not in content and "Lecturer" not in content
    for person in (withdrawn_bob, carol):
        person.refresh_from_db()
        assert person.status == Participant.Status.WITHDRAWN
    assert RegistrationInvite.objects.get(purpose="rejoin").used_at is None
    # the service refuses it too
    with pytest.raises(enrolment.NotYourLink):
        enrolment.rejoin(
            link.rstrip("/").rsplit("/", 1)[-1],
            enrolment.Rejoining(role="mentee", profile={}, consents={}, documents_shown={}),
            actor=carol.user,
        )


def test_a_visitor_who_is_not_signed_in_is_asked_to_sign_in(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    link = _link(message)
    response = client.get(link)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert response.url.endswith(f"?next={link}")
    page = client.get(response.url)
    assert "Please sign in to rejoin Scheme A." in page.content.decode()
    assert client.post(link, _form(scheme_a, withdrawn_bob)).status_code == 302
    withdrawn_bob.refresh_from_db()
    assert withdrawn_bob.status == Participant.Status.WITHDRAWN


def test_rejoin_and_registration_links_are_not_interchangeable(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    token = _link(message).rstrip("/").rsplit("/", 1)[-1]
    response = client.get(reverse("enrolment:register", args=[token]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    _, welcome = _ask_again(
        client, scheme_a, institution, django_capture_on_commit_callbacks, "dana@example.org"
    )
    register_token = re.search(r"/me/register/([^\s/]+)/", welcome.body).group(1)
    client.force_login(withdrawn_bob.user)
    response = client.get(reverse("enrolment:rejoin", args=[register_token]))
    assert response.status_code == 400
    assert "This link to rejoin is not valid" in response.content.decode()


def test_the_participation_page_shows_the_way_back(client, withdrawn_bob):
    client.force_login(withdrawn_bob.user)
    page = client.get(reverse("enrolment:participation", args=["scheme-a"])).content.decode()
    assert "You withdrew from Scheme A on" in page
    assert "express your interest on the scheme page" in page


def test_the_rejoin_email_greets_the_account_not_the_name_typed_in_the_form(
    client, scheme_a, institution, withdrawn_bob, django_capture_on_commit_callbacks
):
    _, message = _ask_again(client, scheme_a, institution, django_capture_on_commit_callbacks)
    assert message.body.startswith(f"Dear {withdrawn_bob.user.full_name},")
    assert "Bob Again" not in message.body
