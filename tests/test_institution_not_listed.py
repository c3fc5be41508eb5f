"""'Institution not listed' (#14): typed at expression of interest, carried through registration
(which used to refuse the person), mapped by the coordinator on approval, counted by reports
where it was mapped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.enrolment import services
from equimentor.enrolment.models import ExpressionOfInterest, Participant
from equimentor.reports.labels import label
from equimentor.reports.queries import Scope, funnel_counts
from equimentor.schemes.models import Institution, InstitutionAlias
from tests import factories

TYPED = "Royal Institute of Nowhere"


def _unlisted_form(scheme, institution, institution_other):
    return {
        **factories.registration_form(scheme, institution),
        "institution": "",
        "institution_other": institution_other,
    }


def _welcome_link_typed(client, scheme, capture, typed=TYPED, email="dana@example.org") -> str:
    return factories.welcome_link(client, scheme, capture, email, institution_other=typed)


@pytest.fixture
def unlisted(client, scheme_a, institution, django_capture_on_commit_callbacks):
    """Dana typed her institution at expression of interest and registered with it."""
    link = _welcome_link_typed(client, scheme_a, django_capture_on_commit_callbacks)
    page = client.get(link).content.decode()
    assert f'value="{TYPED}"' in page  # carried into the registration form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, _unlisted_form(scheme_a, institution, institution_other=TYPED))
    assert response.status_code == 302
    client.logout()
    return Participant.objects.get(user__email="dana@example.org")


def test_registration_accepts_an_institution_that_is_not_listed(unlisted, client):
    assert unlisted.institution is None and unlisted.institution_other == TYPED
    assert unlisted.status == Participant.Status.REGISTERED
    client.force_login(unlisted.user)
    page = client.get(reverse("enrolment:participation", args=["scheme-a"])).content.decode()
    assert f"{TYPED} (not listed yet)" in page


def test_typing_a_listed_name_or_alias_picks_the_institution(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    InstitutionAlias.objects.create(institution=institution, name="Exampleton Uni")
    link = _welcome_link_typed(
        client, scheme_a, django_capture_on_commit_callbacks, typed="exampleton  uni"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            link, _unlisted_form(scheme_a, institution, institution_other="exampleton  uni")
        )
    p = Participant.objects.get()
    assert p.institution == institution and p.institution_other == ""


def test_neither_a_listed_nor_a_typed_institution_is_refused(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = _welcome_link_typed(client, scheme_a, django_capture_on_commit_callbacks)
    response = client.post(link, _unlisted_form(scheme_a, institution, institution_other=" "))
    assert response.status_code == 400
    assert "type its name if it is not listed" in response.content.decode()
    assert not Participant.objects.exists()


def test_approval_needs_the_institution_mapped_and_reports_count_it_there(
    client, scheme_a, alice, unlisted, institution, django_capture_on_commit_callbacks
):
    url = reverse("backoffice:registration", args=["scheme-a", unlisted.pk])
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert f"typed “{TYPED}”" in page
    # the registrations list and the reports show it as not listed until it is mapped
    assert (
        f"{TYPED} (not listed yet)"
        in client.get(reverse("backoffice:registrations", args=["scheme-a"])).content.decode()
    )
    before = funnel_counts(Scope(scheme_a), ["institution"])
    assert before["registered"] == {(None,): 1} and before["eoi"] == {(None,): 1}
    assert label(scheme_a, "institution", None) == "Not listed (awaiting the coordinator)"
    with pytest.raises(services.EnrolmentError, match="not on the list"):
        services.approve(unlisted, actor=alice)
    # both an existing institution and a new name: refused, nothing changes
    response = client.post(
        url, {"action": "approve", "existing": institution.pk, "new_name": "Another"}
    )
    assert response.status_code == 400 and "not both" in response.content.decode()
    unlisted.refresh_from_db()
    assert unlisted.status == Participant.Status.REGISTERED and unlisted.institution is None
    # a new name that is already another institution's is refused, and nothing is added
    response = client.post(url, {"action": "approve", "new_name": institution.name})
    assert response.status_code == 400 and "already names" in response.content.decode()
    assert Institution.objects.count() == 1
    # mapped to an existing institution on approval
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "approve", "existing": institution.pk})
    assert response.status_code == 302
    unlisted.refresh_from_db()
    assert unlisted.status == Participant.Status.APPROVED and unlisted.institution == institution
    expression = ExpressionOfInterest.objects.get(email="dana@example.org")
    assert expression.institution == institution
    event = AuditEvent.objects.get(action="enrolment.institution.mapped")
    assert event.actor == alice and event.data == {"institution_id": institution.pk}
    after = funnel_counts(Scope(scheme_a), ["institution"])
    assert after["registered"] == {(institution.name,): 1}
    assert after["eoi"] == {(institution.name,): 1}
    # a committee member limited to that institution now counts her
    member = factories.make_staff(scheme_a, "committee")
    member.staff_roles.get().institutions.add(institution)
    client.force_login(member)
    data = client.get(reverse("reports:api", args=["scheme-a"])).json()
    funnel = data["tables"][0]
    assert funnel["rows"][0][funnel["columns"].index("Expressions of interest")] != "0"


def test_the_coordinator_adds_the_institution_on_approval(
    client, scheme_a, alice, unlisted, django_capture_on_commit_callbacks
):
    url = reverse("backoffice:registration", args=["scheme-a", unlisted.pk])
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": "approve", "new_name": "  Royal  Institute of Nowhere "}
        )
    assert response.status_code == 302
    unlisted.refresh_from_db()
    assert unlisted.institution.name == TYPED and unlisted.status == Participant.Status.APPROVED
    assert AuditEvent.objects.filter(action="schemes.institution.created", actor=alice).count() == 1


def test_an_approved_participant_cannot_unlist_her_institution(unlisted, alice, institution):
    services.approve(unlisted, actor=alice, institution=institution)
    with pytest.raises(services.EnrolmentError, match="choose your institution from the list"):
        services.update_profile(
            unlisted,
            role="mentee",
            profile={"institution": None, "institution_other": "Elsewhere"},
            actor=unlisted.user,
        )
    unlisted.refresh_from_db()
    assert unlisted.institution == institution
