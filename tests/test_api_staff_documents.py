"""Staff roles, scheme documents and the safeguarding count through the API (#20): through the
pages' services (audited with the token), for the roles the pages allow; others get 403, another
scheme's objects nothing (404), bad input a 400 naming the field that changes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from equimentor.core.models import AuditEvent
from equimentor.safeguarding import services as safeguarding
from equimentor.safeguarding.models import Case
from equimentor.schemes.models import SchemeDocument, StaffRole
from equimentor.staff.models import StaffInvitation
from tests import factories
from tests.api_write_setup import bearer, token

STAFF = ("staff:read", "staff:write")
DOCS = ("documents:read", "documents:write")


def _post(client, url, raw, body=None, **headers):
    return client.post(url, body or {}, content_type="application/json", **bearer(raw), **headers)


def _delete(client, url, raw):
    return client.delete(url, **bearer(raw))


# -- staff roles ------------------------------------------------------------------------------


def test_a_coordinator_lists_invites_and_revokes(
    client, alice, scheme_a, django_capture_on_commit_callbacks
):
    raw = token(alice, *STAFF, scheme=scheme_a)
    evaluator = factories.make_staff(scheme_a, "evaluator", full_name="Eve Evaluator")
    listed = client.get(reverse("api:scheme_staff", args=["scheme-a"]), **bearer(raw))
    assert listed.status_code == 200
    assert {(r["role"], r["name"]) for r in listed.json()["results"]} == {
        ("coordinator", alice.full_name),
        ("evaluator", "Eve Evaluator"),
    }
    url = reverse("api:staff_invitations", args=["scheme-a"])
    body = {"email": "New@Example.org", "full_name": "New Person", "role": "committee"}
    with django_capture_on_commit_callbacks(execute=True):
        invited = _post(client, url, raw, body)
    assert invited.status_code == 201
    assert (invited.json()["email"], invited.json()["role"]) == ("new@example.org", "committee")
    assert mail.outbox[-1].to == ["new@example.org"]
    assert AuditEvent.objects.get(action="staff.invited").via_token is not None
    withdraw = reverse("api:staff_invitation", args=["scheme-a", invited.json()["id"]])
    assert _delete(client, withdraw, raw).status_code == 204
    assert StaffInvitation.objects.get().withdrawn_at is not None
    assert _delete(client, withdraw, raw).status_code == 409  # no longer waiting
    held = StaffRole.objects.get(user=evaluator)
    revoke = reverse("api:staff_role", args=["scheme-a", held.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert _delete(client, revoke, raw).status_code == 204
    assert not StaffRole.objects.filter(pk=held.pk).exists()
    assert AuditEvent.objects.get(action="staff.role.revoked").via_token is not None


def test_the_services_rules_hold(client, alice, scheme_a):
    raw = token(alice, *STAFF)
    mine = StaffRole.objects.get(user=alice, scheme=scheme_a)
    # the last coordinator is kept
    last = _delete(client, reverse("api:staff_role", args=["scheme-a", mine.pk]), raw)
    assert last.status_code == 409 and "at least one scheme coordinator" in last.json()["detail"]
    # a coordinator does not make a safeguarding lead once the scheme has one
    factories.make_staff(scheme_a, "safeguarding")
    body = {"email": "x@example.org", "full_name": "X", "role": "safeguarding"}
    refused = _post(client, reverse("api:staff_invitations", args=["scheme-a"]), raw, body)
    assert refused.status_code == 403 and "may not grant" in refused.json()["detail"]
    assert not StaffInvitation.objects.exists()


def test_bad_invitations_are_a_400_naming_the_field(client, alice):
    raw = token(alice, *STAFF)
    url = reverse("api:staff_invitations", args=["scheme-a"])
    good = {"email": "x@example.org", "full_name": "X", "role": "evaluator"}
    for change, field in [
        ({"email": "nope"}, "email"),
        ({"role": "chair"}, "role"),
        ({"full_name": ""}, "full_name"),
        ({"institutions": [999999]}, "institutions"),
    ]:
        response = _post(client, url, raw, {**good, **change})
        assert response.status_code == 400 and field in str(response.json()), change
    assert not StaffInvitation.objects.exists() and not mail.outbox


def test_who_may_not_manage_staff(client, alice, bob, charlie, scheme_a, scheme_b):
    evaluator = factories.make_staff(scheme_a, "evaluator")
    held = StaffRole.objects.get(user=evaluator)
    body = {"email": "x@example.org", "full_name": "X", "role": "evaluator"}
    for raw in (
        token(bob, *STAFF),
        token(evaluator, *STAFF),  # a role the page does not let in
        token(charlie, *STAFF),
        token(charlie, *STAFF, scheme=scheme_b),
        token(alice, "staff:read"),
    ):
        assert (
            _post(
                client, reverse("api:staff_invitations", args=["scheme-a"]), raw, body
            ).status_code
            == 403
        )
        assert (
            _delete(client, reverse("api:staff_role", args=["scheme-a", held.pk]), raw).status_code
            == 403
        )
    assert (
        client.get(
            reverse("api:scheme_staff", args=["scheme-a"]), **bearer(token(charlie, *STAFF))
        ).status_code
        == 403
    )
    # another scheme's role through one's own scheme's address: nothing
    other = _delete(
        client, reverse("api:staff_role", args=["scheme-b", held.pk]), token(charlie, *STAFF)
    )
    assert other.status_code == 404
    assert StaffRole.objects.filter(pk=held.pk).exists() and not StaffInvitation.objects.exists()


# -- documents ---------------------------------------------------------------------------------


def test_a_coordinator_drafts_and_publishes_a_document(client, alice, scheme_a):
    raw = token(alice, *DOCS, scheme=scheme_a)
    url = reverse("api:documents", args=["scheme-a"])
    listed = client.get(url, {"kind": "privacy_notice"}, **bearer(raw)).json()["results"]
    assert [(d["kind"], d["version"], d["published"]) for d in listed] == [
        ("privacy_notice", 1, True)
    ]
    body = {"kind": "privacy_notice", "title": "Privacy notice", "body": "Version two."}
    drafted = _post(client, url, raw, body)
    assert drafted.status_code == 201
    assert (drafted.json()["version"], drafted.json()["published"]) == (2, False)
    rewritten = _post(client, url, raw, {**body, "body": "Version two, again."})
    assert rewritten.status_code == 200 and rewritten.json()["id"] == drafted.json()["id"]
    assert scheme_a.current_documents()["privacy_notice"].version == 1
    publish = reverse("api:publish_document", args=["scheme-a", drafted.json()["id"]])
    published = _post(client, publish, raw)
    assert published.status_code == 200 and published.json()["published"] is True
    assert scheme_a.current_documents()["privacy_notice"].body == "Version two, again."
    assert _post(client, publish, raw).status_code == 409
    actions = AuditEvent.objects.filter(
        action__startswith="schemes.document.", via_token__isnull=False
    )
    assert sorted(actions.values_list("action", flat=True)) == [
        "schemes.document.drafted",
        "schemes.document.edited",
        "schemes.document.published",
    ]


def test_bad_documents_are_a_400_naming_the_field(client, alice, scheme_a):
    raw = token(alice, *DOCS)
    url = reverse("api:documents", args=["scheme-a"])
    good = {"kind": "privacy_notice", "title": "T", "body": "B"}
    for change, field in [
        ({"kind": "manifesto"}, "kind"),
        ({"title": ""}, "title"),
        ({"body": ""}, "body"),
    ]:
        response = _post(client, url, raw, {**good, **change})
        assert response.status_code == 400 and field in str(response.json()), change
    bad_filter = client.get(url, {"kind": "manifesto"}, **bearer(raw))
    assert bad_filter.status_code == 400 and "kind" in str(bad_filter.json())
    assert SchemeDocument.objects.filter(scheme=scheme_a, published_at__isnull=True).count() == 0


def test_who_may_not_touch_documents(client, alice, bob, charlie, scheme_a, scheme_b):
    body = {"kind": "privacy_notice", "title": "T", "body": "B"}
    draft = SchemeDocument.objects.create(
        scheme=scheme_a, kind="privacy_notice", version=2, title="T", body="B"
    )
    for raw in (
        token(bob, *DOCS),
        token(charlie, *DOCS),
        token(charlie, *DOCS, scheme=scheme_b),
        token(alice, "documents:read"),
    ):
        assert (
            _post(client, reverse("api:documents", args=["scheme-a"]), raw, body).status_code == 403
        )
        assert (
            _post(
                client, reverse("api:publish_document", args=["scheme-a", draft.pk]), raw
            ).status_code
            == 403
        )
    other = _post(
        client, reverse("api:publish_document", args=["scheme-b", draft.pk]), token(charlie, *DOCS)
    )
    assert other.status_code == 404
    draft.refresh_from_db()
    assert draft.published_at is None and draft.body == "B"


# -- the safeguarding count --------------------------------------------------------------------


def test_leads_only_read_how_many_cases_are_overdue(client, alice, bob, charlie, scheme_a):
    lead = factories.make_staff(scheme_a, "safeguarding")
    old, _ = safeguarding.raise_concern(
        bob, scheme_a, safeguarding.Concern("harassment", "x", "action")
    )
    safeguarding.raise_concern(bob, scheme_a, safeguarding.Concern("harassment", "y", "action"))
    Case.objects.filter(pk=old.pk).update(received_on=timezone.localdate() - timedelta(days=30))
    url = reverse("api:overdue_cases", args=["scheme-a"])
    response = client.get(url, **bearer(token(lead, "safeguarding:read")))
    assert response.status_code == 200 and response.json() == {"overdue": 1}
    old.excluded.add(lead)  # a case a lead is excluded from is not counted
    assert client.get(url, **bearer(token(lead, "safeguarding:read"))).json() == {"overdue": 0}
    for raw in (
        token(alice, "safeguarding:read"),  # a coordinator is not a lead
        token(bob, "safeguarding:read"),
        token(charlie, "safeguarding:read"),
        token(lead, "registrations:read"),
    ):
        assert client.get(url, **bearer(raw)).status_code == 403


# -- the lists cost the same however long they are ---------------------------------------------


def _queries(client, url, raw) -> int:
    client.get(url, **bearer(raw))  # the token's first use is noted once: not the list's cost
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **bearer(raw))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_staff_list_costs_the_same_for_two_holders_as_for_eight(client, alice, scheme_a):
    institution = factories.InstitutionFactory()
    raw = token(alice, *STAFF)
    url = reverse("api:scheme_staff", args=["scheme-a"])
    factories.make_staff(scheme_a, "committee").staff_roles.get().institutions.add(institution)
    few = _queries(client, url, raw)
    for _ in range(6):
        factories.make_staff(scheme_a, "committee").staff_roles.get().institutions.add(institution)
    assert _queries(client, url, raw) == few
    assert len(client.get(url, **bearer(raw)).json()["results"]) == 8


def test_the_documents_list_costs_the_same_for_more_versions(client, alice, scheme_a):
    raw = token(alice, *DOCS)
    url = reverse("api:documents", args=["scheme-a"])
    few = _queries(client, url, raw)
    factories.publish_documents(scheme_a, version=2)
    factories.publish_documents(scheme_a, version=3)
    assert _queries(client, url, raw) == few


def test_an_invitation_sent_again_with_its_key_is_sent_once(
    client, alice, django_capture_on_commit_callbacks
):
    raw = token(alice, *STAFF)
    url = reverse("api:staff_invitations", args=["scheme-a"])
    body = {"email": "new@example.org", "full_name": "New Person", "role": "evaluator"}
    answers = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(_post(client, url, raw, body, HTTP_IDEMPOTENCY_KEY="invite-1"))
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert answers[1].json() == answers[0].json()
    assert StaffInvitation.objects.count() == 1 and len(mail.outbox) == 1
