from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.enrolment.models import ExpressionOfInterest, RegistrationInvite


def _post(client, scheme, inst, **overrides):
    data = {
        "name": "Dana Applicant",
        "email": "Dana@Example.org",
        "institution": inst.pk,
        "institution_other": "",
        "eligible_0": "on",
        "eligible_1": "on",
        **overrides,
    }
    return client.post(reverse("schemes:detail", args=[scheme.slug]), data)


def test_it_shows_eligibility_statements(client, scheme_a):
    response = client.get(reverse("schemes:detail", args=[scheme_a.slug]))
    assert response.status_code == 200
    for statement in scheme_a.eligibility_statements:
        assert statement in response.content.decode()


def test_it_sends_the_welcome_pack_with_a_registration_link(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, scheme_a, institution)
    assert response.status_code == 200
    assert "We have emailed" in response.content.decode()
    expression = ExpressionOfInterest.objects.get()
    assert expression.email == "dana@example.org"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@example.org"]
    assert "registration link" in message.subject
    body = message.body
    # the information pack, how matching works, the privacy notice and the link, readable as text
    assert "Participant information sheet (version 1)" in body
    assert "HOW MATCHING WORKS" in body and "rank up to three mentors" in body
    assert "Privacy notice (version 1)" in body
    assert "/me/register/" in body
    assert "&#x27;" not in body and "&amp;" not in body
    html = message.alternatives[0][0]
    assert "Register with Scheme A" in html
    invite = RegistrationInvite.objects.get()
    assert invite.expires_at > invite.created_at + timedelta(days=13)


def test_repeating_does_not_duplicate_and_is_throttled(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, scheme_a, institution)
        response = _post(client, scheme_a, institution, email="dana@example.org", name="Dana A.")
    assert ExpressionOfInterest.objects.count() == 1
    expression = ExpressionOfInterest.objects.get()
    assert expression.times_expressed == 2
    assert expression.name == "Dana Applicant"  # a later form never changes it (#23)
    assert len(mail.outbox) == 1  # no second email within the resend window
    # and the page does not say so: it would tell anyone the address was given minutes ago
    assert response.content.decode().lower() == first.content.decode().lower()


def test_it_resends_after_the_window(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, scheme_a, institution)
        ExpressionOfInterest.objects.update(
            last_sent_at=ExpressionOfInterest.objects.get().last_sent_at - timedelta(minutes=30)
        )
        _post(client, scheme_a, institution)
    assert len(mail.outbox) == 2
    assert RegistrationInvite.objects.count() == 2


def test_it_is_rate_limited_per_address(client, scheme_a, institution, settings):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "interest_per_address": "10/h",
    }  # (200 by default)
    for i in range(10):
        _post(client, scheme_a, institution, email=f"p{i}@example.org")
    response = _post(client, scheme_a, institution, email="late@example.org", name="Late Person")
    assert response.status_code == 400
    content = response.content.decode()
    assert "Too many requests" in content
    assert 'value="Late Person"' in content  # what was typed is kept
    assert not ExpressionOfInterest.objects.filter(email="late@example.org").exists()


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"eligible_1": ""}, "open only to people who meet every eligibility statement"),
        ({"institution": "", "institution_other": ""}, "Choose your institution"),
        ({"institution": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_explained_and_kept(client, scheme_a, institution, overrides, message):
    response = _post(client, scheme_a, institution, **overrides)
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert 'value="Dana Applicant"' in content
    assert ExpressionOfInterest.objects.count() == 0
    assert len(mail.outbox) == 0


def test_closed_scheme_takes_no_interest(client, scheme_a, institution):
    scheme_a.is_open = False
    scheme_a.save()
    response = _post(client, scheme_a, institution)
    assert "not taking registrations" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_a_registered_person_is_told_to_sign_in(
    client, scheme_a, institution, bob, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    ExpressionOfInterest.objects.update(last_sent_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, scheme_a, institution, email="bob@example.org")
    assert len(mail.outbox) == 1
    assert "already registered" in mail.outbox[0].subject
    assert "/me/register/" not in mail.outbox[0].body


def test_it_is_audited_without_personal_data(client, scheme_a, institution):
    _post(client, scheme_a, institution)
    event = AuditEvent.objects.get(action="enrolment.interest.expressed")
    assert "example.org" not in str(event.data)
    assert "Dana" not in str(event.data)
