from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from equimentor.enrolment.models import (
    Consent,
    ExpressionOfInterest,
    Participant,
    RegistrationInvite,
)
from equimentor.identity.models import IdentityAnswer
from equimentor.schemes.services import draft_document, publish_document
from tests import factories


def _welcome_link(client, scheme, institution, capture, email="dana@example.org") -> str:
    return factories.welcome_link(client, scheme, capture, email, institution=institution.pk)


def test_the_whole_registration(client, scheme_a, institution, django_capture_on_commit_callbacks):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    page = client.get(link)
    assert page.status_code == 200
    assert "Prefer not to say" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, factories.registration_form(scheme_a, institution))
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert participant.status == "registered"
    assert participant.is_mentee and not participant.is_mentor
    assert participant.user.email == "dana@example.org"
    assert participant.expression == ExpressionOfInterest.objects.get()
    # signed in now, and sees the participation page
    page = client.get(response.url)
    assert "Registered, awaiting review" in page.content.decode()
    # consents point at the exact document versions shown
    docs = scheme_a.current_documents()
    held = {c.purpose: c.document_id for c in Consent.objects.filter(participant=participant)}
    assert held == {
        "privacy": docs["privacy_notice"].pk,
        "participation": docs["consent"].pk,
        "code_of_conduct": docs["code_of_conduct"].pk,
        "confidentiality": docs["confidentiality"].pk,
        "identity_matching": docs["privacy_notice"].pk,
    }
    assert "evaluation" not in held  # voluntary and separate
    answers = {a.dimension: (a.value, a.self_description) for a in IdentityAnswer.objects.all()}
    assert answers == {
        "ethnicity": ("black", "Black British Caribbean"),
        "gender": ("prefer_not_to_say", ""),
    }
    assert "registration" in mail.outbox[-1].subject.lower()
    # no identity data in the email
    assert "Caribbean" not in mail.outbox[-1].body


def test_the_link_is_single_use(client, scheme_a, institution, django_capture_on_commit_callbacks):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    client.post(link, factories.registration_form(scheme_a, institution))
    client.logout()
    response = client.get(link)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    response = client.post(link, factories.registration_form(scheme_a, institution))
    assert response.status_code == 400
    assert Participant.objects.count() == 1


def test_an_expired_link_is_refused(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    RegistrationInvite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(link, factories.registration_form(scheme_a, institution))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert Participant.objects.count() == 0


def test_a_made_up_link_is_refused(client, scheme_a):
    response = client.get(reverse("enrolment:register", args=["made-up-token"]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_missing_consent_is_explained_and_keeps_input(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    response = client.post(
        link, factories.registration_form(scheme_a, institution, code_of_conduct=None)
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "This consent is needed to take part." in content
    assert "child development; global health" in content
    assert 'value="Black British Caribbean"' in content
    assert Participant.objects.count() == 0
    assert RegistrationInvite.objects.get().used_at is None


def test_identity_answers_need_a_use(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    response = client.post(
        link, factories.registration_form(scheme_a, institution, use_matching=None)
    )
    assert response.status_code == 400
    assert "Nothing is saved without your consent" in response.content.decode()
    assert Participant.objects.count() == 0


def test_no_identity_answers_is_fine(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    response = client.post(
        link,
        factories.registration_form(
            scheme_a,
            institution,
            id_ethnicity="",
            id_ethnicity_text="",
            id_gender="",
            use_matching=None,
        ),
    )
    assert response.status_code == 302
    assert IdentityAnswer.objects.count() == 0
    assert not Consent.objects.filter(purpose__startswith="identity").exists()


def test_a_mentor_must_give_capacity_and_offer(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    response = client.post(link, factories.registration_form(scheme_a, institution, role="mentor"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "Mentors: say how many mentees you could support." in content
    assert "Mentors: say what you can offer." in content


def test_tampered_form_changes_nothing(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    for tamper in [
        {"role": "superuser"},
        {"career_stage": "99"},
        {"mentor_capacity": "500", "role": "mentor"},
        {"pathway": "wizard"},
        {"id_ethnicity": "<script>"},
    ]:
        response = client.post(link, factories.registration_form(scheme_a, institution, **tamper))
        assert response.status_code == 400, tamper
        assert "Select a valid choice" in response.content.decode()
    assert Participant.objects.count() == 0


def test_a_document_updated_mid_form_asks_again(
    client, scheme_a, institution, alice, django_capture_on_commit_callbacks
):
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    form = factories.registration_form(scheme_a, institution)  # carries version 1 ids
    new = draft_document(
        scheme_a, "privacy_notice", title="Privacy notice", body="Updated.", actor=alice
    )
    publish_document(new, actor=alice)
    response = client.post(link, form)
    assert response.status_code == 400
    assert "was updated while you were filling in the form" in response.content.decode()
    assert Participant.objects.count() == 0
    response = client.post(
        link, factories.registration_form(scheme_a, institution)
    )  # now with version 2
    assert response.status_code == 302
    assert Consent.objects.get(purpose="privacy").document.version == 2


def test_an_existing_account_registers_into_a_second_scheme(
    client, scheme_a, scheme_b, institution, bob, django_capture_on_commit_callbacks
):
    link = _welcome_link(
        client, scheme_b, institution, django_capture_on_commit_callbacks, email="bob@example.org"
    )
    response = client.post(link, factories.registration_form(scheme_b, institution))
    assert response.status_code == 302
    assert set(bob.participations.values_list("scheme__slug", flat=True)) == {
        "scheme-a",
        "scheme-b",
    }


def test_errors_in_several_parts_of_the_form_get_one_summary(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    """Name, profile and consent errors came as three stacked "There is a problem" boxes (#21)."""
    link = _welcome_link(client, scheme_a, institution, django_capture_on_commit_callbacks)
    response = client.post(
        link,
        factories.registration_form(
            scheme_a, institution, full_name="", job_title="", code_of_conduct=None
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("There is a problem") == 1
    assert html.count('id="error-summary-title"') == 1
    summary = html[
        html.index("There is a problem") : html.index("</ul>", html.index("There is a problem"))
    ]
    assert summary.count("<li>") == 3
    assert "This consent is needed to take part." in summary
