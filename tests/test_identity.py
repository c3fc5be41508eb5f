from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.enrolment.consents import has_consent
from equimentor.enrolment.forms import IdentityForm
from equimentor.enrolment.services import EnrolmentError
from equimentor.identity.models import IdentityAnswer
from equimentor.identity.services import Answer, IdentityError, save_identity
from equimentor.schemes.dimensions import DIMENSIONS
from tests import factories


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
    from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT

    for dim in DIMENSIONS.values():
        assert PREFER_NOT in dict(dim.choices), dim.code


def test_only_a_mentor_may_show_answers_on_a_profile(client, bob, bob_participant):
    client.force_login(bob)
    client.post(
        reverse("enrolment:edit_identity", args=["scheme-a"]),
        {"id_ethnicity": "asian", "id_ethnicity_show": "on", "use_matching": "on"},
    )
    assert not IdentityAnswer.objects.get().show_on_profile


def test_every_optional_free_text_question_says_it_is_optional(client, bob, scheme_a):
    scheme_a.identity_dimensions = list(DIMENSIONS)
    form = IdentityForm(scheme_a)
    texts = [dim.code for dim in DIMENSIONS.values() if dim.free_text]
    assert {"ethnicity", "gender"} <= set(texts)
    for code in texts:
        assert form.fields[f"id_{code}_text"].label.endswith("(optional)"), code
        assert not form.fields[f"id_{code}_text"].required
    client.force_login(bob)
    page = client.get(reverse("enrolment:edit_identity", args=["scheme-a"])).content.decode()
    assert "How do you describe your ethnicity, in your own words? (optional)" in page
    assert "In your own words (optional)" in page
    assert "(optional) (optional)" not in page


def test_prefer_not_to_say_with_a_self_description_is_refused(client, bob, bob_participant, caplog):
    client.force_login(bob)
    response = client.post(
        reverse("enrolment:edit_identity", args=["scheme-a"]),
        {
            "id_ethnicity": "prefer_not_to_say",
            "id_ethnicity_text": "Typed Kashmiri heritage",
            "id_gender": "woman",
            "id_gender_text": "Typed gender words",
            "use_reports": "on",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose “Prefer not to say” or describe yourself in your own words, not both." in page
    assert "Typed Kashmiri heritage" in page and "Typed gender words" in page  # nothing lost
    # the earlier answer stands; nothing typed reached the database, the audit or the logs
    assert dict(IdentityAnswer.objects.values_list("dimension", "self_description")) == {
        "ethnicity": "British Bangladeshi"
    }
    assert "Typed" not in str(AuditEvent.objects.values_list("data", flat=True))
    assert "Typed" not in caplog.text
    # a self-description with an answer, or "prefer not to say" alone, is fine
    response = client.post(
        reverse("enrolment:edit_identity", args=["scheme-a"]),
        {"id_ethnicity": "prefer_not_to_say", "id_gender_text": "Typed", "use_reports": "on"},
    )
    assert response.status_code == 302


def test_the_service_refuses_prefer_not_to_say_with_a_self_description(bob_participant):
    with pytest.raises(IdentityError, match="Ethnicity: Choose “Prefer not to say” or describe"):
        save_identity(
            bob_participant,
            {"ethnicity": Answer("prefer_not_to_say", "Typed words")},
            {"identity_reports": True},
            actor=bob_participant.user,
        )
    assert IdentityAnswer.objects.get(participant=bob_participant).value == "asian"


def test_registration_refuses_prefer_not_to_say_with_a_self_description(scheme_a, institution):
    with pytest.raises(EnrolmentError, match="not both"):
        factories.register_participant(
            scheme_a,
            "erin@example.org",
            institution=institution,
            identity_answers={"gender": Answer("prefer_not_to_say", "Typed words")},
        )
    assert not IdentityAnswer.objects.exists()
