"""SCIM 2.0 provisioning of participants (#20), through real HTTP requests with bearer tokens: a
scheme's service token creates participants as invited (the bulk import's rules, audit and one
invitation email), lists and filters them, and deactivates leavers (their open relationships
closed without fault, history kept, withdrawn); another scheme's token sees nothing of them; a
personal token, a token lacking the scope and a participant's or an evaluator's token are
refused; bad payloads get SCIM errors and change nothing."""

from __future__ import annotations

import json
import logging

import pytest
from django.core import mail

from equimentor.core.models import AuditEvent, OutgoingEmail
from equimentor.enrolment import imports
from equimentor.enrolment.models import ImportInvite, Participant
from equimentor.relationships.models import Membership, Relationship
from equimentor.schemes.models import StaffRole
from tests import factories
from tests.api_write_setup import bearer, token
from tests.relationships_setup import accepted, pair

SCIM = "/scim/v2"
BOTH = ("provisioning:read", "provisioning:write")
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
OURS = "urn:ietf:params:scim:schemas:extension:equimentor:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def send(client, method, path, raw, body=None):
    kwargs = bearer(raw)
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/scim+json"
    return getattr(client, method)(SCIM + path, **kwargs)


def new_user(email="nadia@example.org", **extra):
    return {
        "schemas": [USER, OURS, ENTERPRISE],
        "userName": email,
        "name": {"givenName": "Nadia", "familyName": "Rahman"},
        "active": True,
        OURS: {"role": "mentee", "careerStage": "2"},
        ENTERPRISE: {"organization": "University of Exampleton", "department": "Cardiology"},
        **extra,
    }


def is_scim_error(response, status, scim_type=None):
    body = response.json()
    assert response.status_code == status, body
    assert response["Content-Type"] == "application/scim+json"
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type
    return body["detail"]


@pytest.fixture
def directory(scheme_a, alice, institution):
    """Scheme A's service token for its institution's directory."""
    return token(alice, *BOTH, scheme=scheme_a)


# -- creating ------------------------------------------------------------------------------------


def test_a_directory_creates_an_invited_participant_audited_with_one_email(
    client, directory, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(client, "post", "/Users", directory, new_user())
    assert response.status_code == 201, response.json()
    body = response.json()
    p = Participant.objects.select_related("user", "institution").get(pk=int(body["id"]))
    assert (p.scheme, p.status, p.role_code) == (scheme_a, "invited", "mentee")
    assert (p.user.email, p.user.full_name) == ("nadia@example.org", "Nadia Rahman")
    assert (p.institution.name, p.department, p.career_stage) == (
        "University of Exampleton",
        "Cardiology",
        1,
    )
    assert body["userName"] == "nadia@example.org" and body["active"] is True
    assert body[OURS]["status"] == "invited"
    assert response["Location"].endswith(f"/scim/v2/Users/{p.pk}")
    # the import's invitation, once, sent by the outbox's task after commit
    assert len(callbacks) >= 1 and ImportInvite.objects.filter(participant=p).count() == 1
    assert [m.to for m in mail.outbox] == [["nadia@example.org"]]
    assert OutgoingEmail.objects.filter(template="import_invitation").count() == 1
    # audited through the token, by the coordinator who made it; no personal data in the trail
    token_id = AuditEvent.objects.get(action="api.token.created").object_id
    for action in ("enrolment.imported", "enrolment.import.invited", "provisioning.created"):
        event = AuditEvent.objects.get(action=action)
        assert (event.actor, str(event.via_token), event.scheme_id) == (
            alice,
            token_id,
            scheme_a.pk,
        )
        assert "nadia" not in json.dumps(event.data).lower()
    # sending it again (a directory retrying) creates no one and emails no one
    with django_capture_on_commit_callbacks(execute=True):
        again = send(client, "post", "/Users", directory, new_user(email="NADIA@example.org"))
    is_scim_error(again, 409, "uniqueness")
    assert Participant.objects.filter(scheme=scheme_a, user__email="nadia@example.org").count() == 1
    assert len(mail.outbox) == 1


def test_creating_invites_only_whom_it_creates(
    client, directory, scheme_a, alice, institution, django_capture_on_commit_callbacks
):
    """Someone the coordinator imported without inviting is not emailed by a SCIM create."""
    rows = [["waiting@example.org", "Wai Ting", "mentor", institution.name]]
    mapping = {"0": "email", "1": "full_name", "2": "role", "3": "institution"}
    with django_capture_on_commit_callbacks(execute=True):
        imports.apply(scheme_a, rows, mapping, actor=alice, invite=False)
        response = send(client, "post", "/Users", directory, new_user())
    assert response.status_code == 201
    assert [m.to for m in mail.outbox] == [["nadia@example.org"]]


def test_the_role_may_come_from_roles_and_the_institution_from_the_extension(
    client, directory, institution, django_capture_on_commit_callbacks
):
    body = new_user(roles=[{"value": "Mentor", "primary": True}])
    body[OURS] = {"institution": "university of exampleton", "mentorCapacity": 2}
    del body[ENTERPRISE]
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "post", "/Users", directory, body)
    assert response.status_code == 201, response.json()
    p = Participant.objects.get(pk=int(response.json()["id"]))
    assert (p.role_code, p.mentor_capacity, p.institution) == ("mentor", 2, institution)


@pytest.mark.parametrize(
    "change, status, scim_type, says",
    [
        ({"userName": "not-an-address"}, 400, "invalidValue", "is not an email address"),
        ({"userName": ""}, 400, "invalidValue", "userName is required"),
        ({"userName": ["x@example.org"]}, 400, "invalidValue", "userName must be text"),
        ({OURS: {"role": "sponsor"}}, 400, "invalidValue", "unknown role"),
        ({OURS: {}}, 400, "invalidValue", "Say which role"),
        ({ENTERPRISE: {"organization": "Nowhere U"}}, 400, "invalidValue", "unknown institution"),
        ({OURS: {"role": "mentee", "careerStage": "99"}}, 400, "invalidValue", "career stage"),
        ({"name": "Nadia"}, 400, "invalidSyntax", "name must be an object"),
        ({"roles": "mentee", OURS: {}}, 400, "invalidSyntax", "roles must be a list"),
        ({"active": False}, 400, "invalidValue", "created active"),
        ({"active": "maybe"}, 400, "invalidValue", "active must be true or false"),
    ],
)
def test_bad_payloads_are_scim_errors_and_create_nothing(
    client, directory, scheme_a, change, status, scim_type, says
):
    before = (Participant.objects.count(), OutgoingEmail.objects.count())
    detail = is_scim_error(
        send(client, "post", "/Users", directory, new_user(**change)), status, scim_type
    )
    assert says in detail
    assert (Participant.objects.count(), OutgoingEmail.objects.count()) == before
    assert not AuditEvent.objects.filter(action__startswith="enrolment.").exists()


@pytest.mark.parametrize(
    "raw_body, says",
    [("{not json", "not JSON"), ("[1, 2]", "JSON object"), (b"\xff\xfe", "not JSON")],
)
def test_a_body_that_is_not_a_json_object_is_invalid_syntax(client, directory, raw_body, says):
    response = send(client, "post", "/Users", directory, raw_body)
    assert says in is_scim_error(response, 400, "invalidSyntax")
    assert not Participant.objects.exists()


# -- reading and filtering ---------------------------------------------------------------------------


@pytest.fixture
def two_schemes(scheme_a, scheme_b, alice, charlie, bob_participant, institution):
    """Bob in A; Bob in B too (one person, two participations), and Carol in B only."""
    factories.register_participant(scheme_b, "bob@example.org", institution=institution)
    factories.register_participant(scheme_b, "carol@example.org", institution=institution)
    return token(alice, *BOTH, scheme=scheme_a), token(charlie, *BOTH, scheme=scheme_b)


def test_a_filter_finds_the_person_in_the_tokens_scheme_only(
    client, two_schemes, bob_participant, scheme_b
):
    in_a, in_b = two_schemes
    found = send(client, "get", '/Users?filter=userName eq "BOB@example.org"', in_a).json()
    assert found["totalResults"] == 1
    assert [r["id"] for r in found["Resources"]] == [str(bob_participant.pk)]
    assert found["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    bob_in_b = Participant.objects.get(scheme=scheme_b, user__email="bob@example.org")
    found_b = send(client, "get", '/Users?filter=userName eq "bob@example.org"', in_b).json()
    assert [r["id"] for r in found_b["Resources"]] == [str(bob_in_b.pk)]
    # Carol is B's: A's token finds no one, by filter, by list or by search
    nobody = send(client, "get", '/Users?filter=userName eq "carol@example.org"', in_a).json()
    assert (nobody["totalResults"], nobody["Resources"]) == (0, [])
    listed = send(client, "get", "/Users", in_a).json()
    assert [r["id"] for r in listed["Resources"]] == [str(bob_participant.pk)]
    searched = send(
        client,
        "post",
        "/Users/.search",
        in_a,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'emails[type eq "work"].value eq "carol@example.org" or userName sw "bob"',
        },
    ).json()
    assert [r["id"] for r in searched["Resources"]] == [str(bob_participant.pk)]


def test_another_schemes_participant_is_not_found_and_not_touched(
    client, two_schemes, scheme_b, django_capture_on_commit_callbacks
):
    in_a, _ = two_schemes
    carol = Participant.objects.get(scheme=scheme_b, user__email="carol@example.org")
    mail.outbox.clear()  # the registrations' own emails
    for method, body in [
        ("get", None),
        ("put", {"schemas": [USER], "userName": "carol@example.org", "active": False}),
        ("patch", {"Operations": [{"op": "replace", "path": "active", "value": False}]}),
        ("delete", None),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            response = send(client, method, f"/Users/{carol.pk}", in_a, body)
        is_scim_error(response, 404)
        assert "carol" not in response.content.decode()
    carol.refresh_from_db()
    assert carol.status == "registered" and not mail.outbox


def test_pages_are_counted_and_capped(client, directory, scheme_a, institution):
    for n in range(3):
        factories.register_participant(scheme_a, f"p{n}@example.org", institution=institution)
    page = send(client, "get", "/Users?startIndex=2&count=1", directory).json()
    assert (page["totalResults"], page["itemsPerPage"], page["startIndex"]) == (3, 1, 2)
    beyond = send(client, "get", "/Users?startIndex=99999999999999999999", directory).json()
    assert (beyond["totalResults"], beyond["Resources"]) == (3, [])
    assert send(client, "get", "/Users?count=-5", directory).json()["itemsPerPage"] == 0
    is_scim_error(send(client, "get", "/Users?startIndex=0", directory), 400)
    is_scim_error(send(client, "get", "/Users?count=many", directory), 400)


@pytest.mark.parametrize(
    "query",
    [
        'externalId eq "x"',
        'userName eq "a" and password eq "x"',
        "userName eq",
        'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"',
    ],
)
def test_a_filter_it_cannot_apply_is_invalid_filter_never_a_wider_list(
    client, directory, bob_participant, query
):
    is_scim_error(send(client, "get", f"/Users?filter={query}", directory), 400, "invalidFilter")


def test_unknown_ids_and_addresses_are_scim_404s(client, directory):
    for path in ("/Users/abc", "/Users/99999999999999999999", "/Users/0", "/Groups", "/Bulk"):
        is_scim_error(send(client, "get", path, directory), 404)


def test_discovery_describes_what_is_supported(client, directory):
    config = send(client, "get", "/ServiceProviderConfig", directory).json()
    assert config["filter"]["supported"] is True and config["patch"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = send(client, "get", "/ResourceTypes", directory).json()["Resources"]
    assert [t["id"] for t in types] == ["User"]
    schemas = send(client, "get", "/Schemas", directory).json()["Resources"]
    assert {s["id"] for s in schemas} == {USER, OURS, ENTERPRISE}
    ours = send(client, "get", f"/Schemas/{OURS}", directory).json()
    assert "institution" in {a["name"] for a in ours["attributes"]}


# -- deactivating ------------------------------------------------------------------------------------


@pytest.fixture
def in_a_relationship(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return rel, mentors[0], mentees[0]


@pytest.mark.parametrize(
    "method, body",
    [
        ("patch", {"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),  # Entra
        ("patch", {"Operations": [{"op": "replace", "value": {"active": False}}]}),  # Okta
        ("put", {"schemas": [USER], "userName": "ignored@example.org", "active": False}),
        ("delete", None),
    ],
)
def test_a_leaver_is_withdrawn_and_their_relationship_closed_without_fault(
    client,
    directory,
    alice,
    in_a_relationship,
    method,
    body,
    django_capture_on_commit_callbacks,
):
    rel, mentor, mentee = in_a_relationship
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, method, f"/Users/{mentee.pk}", directory, body)
    if method == "delete":
        assert response.status_code == 204
        response = send(client, "get", f"/Users/{mentee.pk}", directory)
    assert response.status_code == 200, response.json()
    assert response.json()["active"] is False and response.json()[OURS]["status"] == "withdrawn"
    mentee.refresh_from_db()
    assert mentee.status == "withdrawn" and mentee.withdrawn_at
    assert mentee.user.email != "ignored@example.org"  # PUT changes active only
    rel.refresh_from_db()
    assert (rel.state, rel.close_reason) == ("closed", "no_fault")
    # history kept: the relationship, both memberships (left because it closed) and the rows
    members = Membership.objects.filter(relationship=rel)
    assert {m.left_reason for m in members} == {"closed"} and members.count() == 2
    assert Relationship.objects.filter(pk=rel.pk).exists()
    mentor.refresh_from_db()
    assert mentor.status == "approved"
    # audited with the token, by the coordinator who made it
    token_id = AuditEvent.objects.get(action="api.token.created").object_id
    for action in (
        "relationships.relationship.closed",
        "enrolment.withdrawn",
        "provisioning.deactivated",
    ):
        event = AuditEvent.objects.get(action=action)
        assert (event.actor, str(event.via_token)) == (alice, token_id), action
    assert AuditEvent.objects.get(action="provisioning.deactivated").data == {
        "relationships_closed": 1
    }
    # the leaver is told their institution's directory ended their place (not thanked for a
    # withdrawal they never asked for), the mentor that the relationship ended
    told = {m.subject: m for m in mail.outbox if m.to == [mentee.user.email]}
    assert sorted(told) == [
        f"Your mentoring in {mentee.scheme.name} has ended",
        f"Your place in {mentee.scheme.name} has ended",
    ]
    place = told[f"Your place in {mentee.scheme.name} has ended"]
    assert "staff directory shows that you have left" in place.body
    assert not any("you have withdrawn" in m.body for m in mail.outbox)
    assert any(m.to == [mentor.user.email] for m in mail.outbox)
    # deactivating again does nothing more
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = send(client, "delete", f"/Users/{mentee.pk}", directory)
    assert again.status_code == 204 and len(mail.outbox) == sent
    assert AuditEvent.objects.filter(action="enrolment.withdrawn").count() == 1


def test_other_attributes_in_a_patch_are_ignored_and_change_nothing(
    client, directory, bob_participant
):
    response = send(
        client,
        "patch",
        f"/Users/{bob_participant.pk}",
        directory,
        {"Operations": [{"op": "replace", "path": "displayName", "value": "Someone Else"}]},
    )
    assert response.status_code == 200
    bob_participant.refresh_from_db()
    assert bob_participant.user.full_name != "Someone Else"
    assert bob_participant.status == "registered"
    assert not AuditEvent.objects.filter(action="enrolment.withdrawn").exists()


@pytest.mark.parametrize(
    "operations, scim_type",
    [
        ("active", "invalidSyntax"),
        (["active"], "invalidSyntax"),
        ([{"op": "move", "path": "active", "value": False}], "invalidSyntax"),
        ([{"op": "remove", "path": "active"}], "mutability"),
        ([{"op": "remove"}], "noTarget"),
        ([{"op": "replace", "path": "active", "value": "perhaps"}], "invalidValue"),
        ([{"op": "replace", "value": "active"}], "invalidPath"),
        (
            [
                {"op": "replace", "path": "active", "value": False},
                {"op": "replace", "path": "active", "value": "nope"},
            ],
            "invalidValue",
        ),
    ],
)
def test_a_bad_patch_is_a_scim_error_and_deactivates_no_one(
    client, directory, in_a_relationship, operations, scim_type
):
    rel, _, mentee = in_a_relationship
    response = send(client, "patch", f"/Users/{mentee.pk}", directory, {"Operations": operations})
    is_scim_error(response, 400, scim_type)
    mentee.refresh_from_db()
    rel.refresh_from_db()
    assert mentee.status == "approved" and rel.state != "closed"


def test_someone_who_left_cannot_be_made_active_again_through_scim(
    client, directory, bob_participant
):
    send(client, "delete", f"/Users/{bob_participant.pk}", directory)
    response = send(
        client,
        "patch",
        f"/Users/{bob_participant.pk}",
        directory,
        {"Operations": [{"op": "replace", "path": "active", "value": True}]},
    )
    assert "Only they can rejoin" in is_scim_error(response, 400, "mutability")
    bob_participant.refresh_from_db()
    assert bob_participant.status == "withdrawn"


# -- who may use it --------------------------------------------------------------------------------


def test_only_a_coordinators_service_token_with_the_scope_gets_in(
    client, scheme_a, alice, bob, institution, bob_participant
):
    evaluator = factories.make_staff(scheme_a, "evaluator", email="eve@example.org")
    refused = {
        "no token": None,
        "a mentee's personal token": token(bob, *BOTH),
        "an evaluator's personal token": token(evaluator, *BOTH),
        "the coordinator's personal token": token(alice, *BOTH),
    }
    for who, raw in refused.items():
        response = client.get(SCIM + "/Users", **(bearer(raw) if raw else {}))
        assert response.status_code == (401 if raw is None else 403), who
        assert response.json()["schemas"] == [ERROR], who
        assert "bob@example.org" not in response.content.decode(), who
    # a session does not count: SCIM reads no cookie
    client.force_login(alice)
    assert client.get(SCIM + "/Users").status_code == 401
    client.logout()
    # a service token reads with provisioning:read, and needs provisioning:write to change
    reader = token(alice, "provisioning:read", scheme=scheme_a)
    assert send(client, "get", "/Users", reader).status_code == 200
    detail = is_scim_error(send(client, "post", "/Users", reader, new_user()), 403)
    assert "provisioning:write" in detail
    is_scim_error(send(client, "delete", f"/Users/{bob_participant.pk}", reader), 403)
    other = token(alice, "registrations:read", "registrations:write", scheme=scheme_a)
    assert "provisioning:read" in is_scim_error(send(client, "get", "/Users", other), 403)
    bob_participant.refresh_from_db()
    assert bob_participant.status == "registered" and Participant.objects.count() == 1


def test_a_token_stops_working_when_its_maker_no_longer_coordinates(
    client, directory, scheme_a, alice
):
    StaffRole.objects.filter(user=alice, scheme=scheme_a).delete()
    assert "no longer coordinates" in is_scim_error(send(client, "get", "/Users", directory), 401)
    assert "Invalid token" in is_scim_error(send(client, "get", "/Users", "eqm_x_y"), 401)


def test_nothing_personal_is_logged(client, directory, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, "post", "/Users", directory, new_user())
        send(client, "post", "/Users", directory, new_user(userName="broken"))
    assert "nadia" not in caplog.text.lower() and "rahman" not in caplog.text.lower()


def test_a_tokens_requests_are_rate_limited_with_a_scim_error(client, directory, settings):
    settings.API_TOKEN_RATE = "2/min"
    assert [send(client, "get", "/Users", directory).status_code for _ in range(2)] == [200, 200]
    refused = send(client, "get", "/Users", directory)
    assert "Too many requests" in is_scim_error(refused, 429)
    assert int(refused["Retry-After"]) >= 1
