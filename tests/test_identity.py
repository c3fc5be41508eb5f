from __future__ import annotations

from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.enrolment.consents import has_consent
from equimentor.identity.models import IdentityAnswer


def test_answers_are_kept_apart_and_shown_only_to_their_owner(client, bob, bob_participant, alice):
    assert IdentityAnswer.objects.filter(participant=bob_participant).count() == 1
    client.force_login(alice)
    page = client.get(reverse("backoffice:registration", args=["scheme-a", bob_participant.pk]))
    assert page.status_code == 200
    assert "British Bangladeshi" not in page.content.decode()
    client.force_login(bob)
    page = client.get(reverse("enrolment:edit_identity", args=["scheme-a"]))
    assert "British Bangladeshi" in page.content.decode()


def test_withdrawing_consent_erases_at_once(client, bob, bob_participant):
    client.force_login(bob)
    response = client.post(reverse("enrolment:edit_identity", args=["scheme-a"]), {"withdraw": "1"})
    assert response.status_code == 302
    assert IdentityAnswer.objects.filter(participant=bob_participant).count() == 0
    assert not has_consent(bob_participant, "identity_matching")
    assert not has_consent(bob_participant, "identity_reports")
    event = AuditEvent.objects.get(action="identity.answers.erased")
    assert event.data == {"count": 1}


def test_unticking_every_use_erases(client, bob, bob_participant):
    client.force_login(bob)
    response = client.post(
        reverse("enrolment:edit_identity", args=["scheme-a"]),
        {"id_ethnicity": "", "id_ethnicity_text": "", "id_gender": "", "id_disability": ""},
    )
    assert response.status_code == 302
    assert IdentityAnswer.objects.count() == 0


def test_keeping_one_use_keeps_the_answers(client, bob, bob_participant):
    client.force_login(bob)
    response = client.post(
        reverse("enrolment:edit_identity", args=["scheme-a"]),
        {
            "id_ethnicity": "asian",
            "id_ethnicity_text": "Bengali",
            "id_disability": "prefer_not_to_say",
            "use_reports": "on",
        },
    )
    assert response.status_code == 302
    assert not has_consent(bob_participant, "identity_matching")
    assert has_consent(bob_participant, "identity_reports")
    assert dict(IdentityAnswer.objects.values_list("dimension", "value")) == {
        "ethnicity": "asian",
        "disability": "prefer_not_to_say",
    }


def test_audit_names_questions_not_answers(bob_participant):
    event = AuditEvent.objects.get(action="identity.answers.saved")
    assert event.data == {"dimensions": ["ethnicity"]}
    assert "asian" not in str(AuditEvent.objects.values_list("data", flat=True))


def test_every_question_offers_prefer_not_to_say():
    from equimentor.identity.dimensions import DIMENSIONS, PREFER_NOT

    for dim in DIMENSIONS.values():
        assert PREFER_NOT in dict(dim.choices), dim.code


def test_only_a_mentor_may_show_answers_on_a_profile(client, bob, bob_participant):
    client.force_login(bob)
    client.post(
        reverse("enrolment:edit_identity", args=["scheme-a"]),
        {"id_ethnicity": "asian", "id_ethnicity_show": "on", "use_matching": "on"},
    )
    assert not IdentityAnswer.objects.get().show_on_profile
