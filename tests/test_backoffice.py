from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.enrolment.models import Participant
from equimentor.schemes.models import SchemeDocument
from tests import factories


def test_the_funnel_counts_come_from_rows(
    client, alice, scheme_a, institution, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            factories.register_participant(scheme_a, f"r{i}@example.org", institution=institution)
        p = factories.register_participant(scheme_a, "ok@example.org", institution=institution)
        from equimentor.enrolment import services

        services.approve(p, actor=alice)
        services.express_interest(
            scheme_a,
            name="X",
            email="only-interest@example.org",
            institution=institution,
            declared_eligible=True,
        )
    client.force_login(alice)
    page = client.get(reverse("backoffice:dashboard", args=["scheme-a"]))
    assert page.status_code == 200
    steps = {label: n for label, n, _ in page.context["steps"]}
    assert steps == {
        "Expressed interest": 5,
        "Declared eligible": 5,
        "Registered": 4,
        "Approved": 1,
    }


def test_review_actions(client, alice, bob_participant, django_capture_on_commit_callbacks):
    client.force_login(alice)
    url = reverse("backoffice:registration", args=["scheme-a", bob_participant.pk])
    response = client.post(url, {"action": "query", "message": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "query", "message": "Which institution employs you?"})
    bob_participant.refresh_from_db()
    assert bob_participant.status == "queried"
    assert "Which institution employs you?" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "approve"})
    bob_participant.refresh_from_db()
    assert bob_participant.status == "approved" and bob_participant.approved_at
    assert "approved" in mail.outbox[-1].subject
    # approving twice is refused with a message
    response = client.post(url, {"action": "approve"}, follow=True)
    assert "cannot be changed that way" in response.content.decode()
    actions = list(
        AuditEvent.objects.filter(
            object_id=str(bob_participant.pk), object_type="enrolment.participant"
        ).values_list("action", flat=True)
    )
    assert "enrolment.queried" in actions and "enrolment.approved" in actions


def test_decline_needs_a_message(
    client, alice, bob_participant, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = reverse("backoffice:registration", args=["scheme-a", bob_participant.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "decline", "message": "The scheme is for staff, not students."})
    bob_participant.refresh_from_db()
    assert bob_participant.status == "declined"
    assert "not students" in mail.outbox[-1].body


@pytest.mark.parametrize("name", ["dashboard", "registrations", "settings", "documents"])
def test_another_schemes_coordinator_gets_nothing(client, charlie, bob, scheme_a, name):
    client.force_login(charlie)
    response = client.get(reverse(f"backoffice:{name}", args=["scheme-a"]))
    assert response.status_code == 403
    assert "Amina" not in response.content.decode()


def test_another_schemes_coordinator_cannot_act(client, charlie, bob_participant):
    client.force_login(charlie)
    url = reverse("backoffice:registration", args=["scheme-a", bob_participant.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "approve"}).status_code == 403
    # nor through their own scheme's URL
    url = reverse("backoffice:registration", args=["scheme-b", bob_participant.pk])
    assert client.post(url, {"action": "approve"}).status_code == 404
    bob_participant.refresh_from_db()
    assert bob_participant.status == "registered"


def test_participants_and_other_roles_are_not_coordinators(client, bob, scheme_a):
    evaluator = factories.make_staff(scheme_a, "evaluator")
    for user in (bob, evaluator):
        client.force_login(user)
        assert client.get(reverse("backoffice:registrations", args=["scheme-a"])).status_code == 403
        assert client.get(reverse("backoffice:index")).status_code == 403


def test_registration_list_is_paginated_with_few_queries(client, alice, scheme_a, institution):
    for _ in range(30):
        user = factories.UserFactory()
        Participant.objects.create(
            user=user,
            scheme=scheme_a,
            is_mentee=True,
            job_title="x",
            career_stage=1,
            pathway="clinical",
            institution=factories.InstitutionFactory(),
            department="d",
            research_interests="r",
            career_summary="c",
        )
    client.force_login(alice)
    url = reverse("backoffice:registrations", args=["scheme-a"]) + "?status=all"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(30):
        Participant.objects.create(
            user=factories.UserFactory(),
            scheme=scheme_a,
            is_mentee=True,
            job_title="x",
            career_stage=1,
            pathway="clinical",
            institution=factories.InstitutionFactory(),
            department="d",
            research_interests="r",
            career_summary="c",
        )
    with CaptureQueriesContext(connection) as more:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50
    assert len(more) == len(few) <= 12


def test_documents_are_versioned_and_immutable(client, alice, scheme_a):
    client.force_login(alice)
    url = reverse("backoffice:edit_document", args=["scheme-a", "code_of_conduct"])
    response = client.post(url, {"title": "Code of conduct", "body": "Be kind.", "save": "1"})
    assert response.status_code == 302
    draft = SchemeDocument.objects.get(scheme=scheme_a, kind="code_of_conduct", version=2)
    assert not draft.is_published
    assert scheme_a.current_documents()["code_of_conduct"].version == 1
    client.post(reverse("backoffice:publish_document", args=["scheme-a", draft.pk]))
    assert scheme_a.current_documents()["code_of_conduct"].version == 2
    v1 = SchemeDocument.objects.get(scheme=scheme_a, kind="code_of_conduct", version=1)
    v1.body = "Rewritten history"
    with pytest.raises(Exception, match="cannot be changed"):
        v1.save()


def test_matching_weights_are_saved(client, alice, scheme_a):
    client.force_login(alice)
    form = client.get(reverse("backoffice:settings", args=["scheme-a"])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "eligibility_statements": "\n".join(scheme_a.eligibility_statements),
            "career_stages": "\n".join(scheme_a.career_stages),
            "identity_dimensions": scheme_a.identity_dimensions,
            **factories.MATCHING_WEIGHTS_FORM,
            "weight_interests": "4.5",
        }
    )
    for key in (
        "offers_mentor",
        "offers_mentee",
        "allows_both",
        "is_open",
        "different_institutions",
    ):
        data[key] = "on" if data.get(key) else ""
    data.pop("id", None)
    response = client.post(reverse("backoffice:settings", args=["scheme-a"]), data)
    assert response.status_code == 302, response.context["form"].errors
    scheme_a.refresh_from_db()
    assert scheme_a.matching_weights == {
        "seniority": 1.0,
        "interests": 4.5,
        "shared": 1.0,
        "pathway": 1.0,
    }
    data.update({k: "0" for k in factories.MATCHING_WEIGHTS_FORM})
    response = client.post(reverse("backoffice:settings", args=["scheme-a"]), data)
    assert "At least one matching weight must be above 0." in response.content.decode()


def test_settings_validate_and_refuse_opening_without_documents(client, db):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(
        reverse("backoffice:new_scheme"),
        {
            "name": "New",
            "slug": "new",
            "summary": "s",
            "eligibility_statements": "Works here",
            "offers_mentee": "on",
            "offers_mentor": "on",
            "max_choices": "3",
            "relationship_months": "6",
            "max_mentor_capacity": "3",
            "career_stages": "Junior\nSenior",
            "identity_dimensions": ["ethnicity"],
            "ideal_seniority_gap": "2",
            **factories.MATCHING_WEIGHTS_FORM,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    url = reverse("backoffice:settings", args=["new"])
    data = {
        "name": "New",
        "summary": "s",
        "eligibility_statements": "Works here",
        "offers_mentee": "on",
        "max_choices": "3",
        "relationship_months": "6",
        "max_mentor_capacity": "3",
        "career_stages": "Junior\nSenior",
        "is_open": "on",
        "ideal_seniority_gap": "2",
        **factories.MATCHING_WEIGHTS_FORM,
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Publish every scheme document before opening registration" in response.content.decode()
    response = client.post(url, {**data, "is_open": "", "max_choices": "40"})
    assert response.status_code == 400
    assert "Choose between 1 and 10 choices." in response.content.decode()


def test_a_coordinator_cannot_create_schemes(client, alice):
    client.force_login(alice)
    assert client.get(reverse("backoffice:new_scheme")).status_code == 403


def test_a_new_schemes_short_name_is_explained_and_a_taken_one_refused(client, scheme_a):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("backoffice:new_scheme")
    assert "Short name for web addresses" in client.get(url).content.decode()
    data = {
        "name": "Another",
        "slug": "scheme-a",
        "summary": "kept summary",
        "eligibility_statements": "Works here",
        "offers_mentee": "on",
        "max_choices": "3",
        "relationship_months": "6",
        "max_mentor_capacity": "3",
        "career_stages": "Junior\nSenior",
        "ideal_seniority_gap": "2",
        **factories.MATCHING_WEIGHTS_FORM,
    }
    response = client.post(url, data)
    html = response.content.decode()
    assert "Another scheme already uses this short name: choose a different one." in html
    assert "Slug" not in html
    assert 'value="kept summary"' in html
    response = client.post(url, {**data, "slug": "my scheme"})
    assert "Use only letters, numbers, hyphens and underscores" in response.content.decode()
