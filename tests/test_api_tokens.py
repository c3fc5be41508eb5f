"""API tokens (#20): bearer requests without CSRF, refusals with reasons, scopes that only narrow,
service tokens held to their scheme, a rate limit per token, the secret never kept or logged, and
every write through a token audited with its id."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from drf_spectacular.views import SpectacularAPIView

from equimentor.accounts.models import APIToken
from equimentor.api import services
from equimentor.api.reference import APIReference
from equimentor.api.scopes import SCOPES, endpoint_of
from equimentor.core.models import AuditEvent
from equimentor.schemes.models import StaffRole
from tests import directory_support as support
from tests import factories
from tests.api_setup import if_match, problem
from tests.url_walk import walk_urls as _walk

REGISTRATIONS_A = reverse("api:registrations", args=["scheme-a"])
REGISTRATIONS_B = reverse("api:registrations", args=["scheme-b"])
CHOICES_A = reverse("api:my_choices", args=["scheme-a"])


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def make(user, *scopes, scheme=None, days=None) -> tuple[APIToken, str]:
    return services.create_token(
        user, name="test", scopes=list(scopes), days=days, scheme=scheme, actor=user
    )


@pytest.fixture
def csrf_client():
    """A client that enforces CSRF as a browser's session would meet it."""
    return Client(enforce_csrf_checks=True)


def test_a_bearer_token_reads_without_a_csrf_cookie(csrf_client, alice, bob_participant):
    _, raw = make(alice, "registrations:read")
    response = csrf_client.get(REGISTRATIONS_A, **bearer(raw))
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [bob_participant.pk]


def test_a_bearer_token_writes_without_csrf_and_a_session_still_needs_it(
    csrf_client, scheme_a, alice
):
    mentor = support.mentor(scheme_a, alice)
    mentee = support.mentee(scheme_a, alice)
    body = {"choices": [{"mentor": mentor.pk}]}
    csrf_client.force_login(mentee.user)
    refused = csrf_client.put(CHOICES_A, body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    csrf_client.logout()
    _, raw = make(mentee.user, "directory:read", "directory:write")
    response = csrf_client.put(
        CHOICES_A,
        body,
        content_type="application/json",
        **bearer(raw),
        **if_match(csrf_client, CHOICES_A, **bearer(raw)),
    )
    assert response.status_code == 200
    assert [c["mentor"] for c in response.json()["choices"]] == [mentor.pk]


def test_a_token_that_does_not_work_is_a_401_saying_why(client, alice):
    token, raw = make(alice, "registrations:read")
    cases = {
        "eqm_nothing_here": "Invalid token.",
        raw[:-2] + ("AA" if not raw.endswith("AA") else "BB"): "Invalid token.",
        "not-a-token": "Invalid token.",
    }
    for sent, detail in cases.items():
        response = client.get(REGISTRATIONS_A, **bearer(sent))
        assert response.status_code == 401, sent
        assert response.json() == problem(401, detail)
        assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    response = client.get(REGISTRATIONS_A, HTTP_AUTHORIZATION=f"Bearer {raw} extra")
    assert response.status_code == 401 and "nothing else" in response.json()["detail"]

    APIToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(REGISTRATIONS_A, **bearer(raw))
    assert response.status_code == 401 and "This token expired on" in response.json()["detail"]

    fresh, raw2 = make(alice, "registrations:read")
    assert client.get(REGISTRATIONS_A, **bearer(raw2)).status_code == 200
    assert services.revoke_token(fresh, actor=alice) is True
    response = client.get(REGISTRATIONS_A, **bearer(raw2))  # at once: the next request
    assert response.status_code == 401
    assert response.json() == problem(401, "This token has been revoked.")


def test_without_any_credentials_the_api_answers_as_before(client, scheme_a):
    assert client.get(REGISTRATIONS_A).status_code == 403


def test_a_token_lacking_the_scope_is_a_403_naming_it(client, scheme_a, alice, bob_participant):
    _, raw = make(alice, "matching:read")
    response = client.get(REGISTRATIONS_A, **bearer(raw))
    assert response.status_code == 403
    assert response.json() == problem(403, "This token lacks the scope registrations:read.")
    assert 'error="insufficient_scope", scope="registrations:read"' in response["WWW-Authenticate"]
    # reading does not let it write
    mentee = support.mentee(scheme_a, alice)
    _, raw = make(mentee.user, "directory:read")
    assert client.get(CHOICES_A, **bearer(raw)).status_code == 200
    response = client.put(
        CHOICES_A, {"choices": []}, content_type="application/json", **bearer(raw)
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the scope directory:write."


def test_scopes_only_narrow_the_owners_roles(client, alice, bob, bob_participant):
    """A participant's token with every scope still reads no coordinator's list."""
    _, raw = make(bob, *SCOPES)
    assert client.get(REGISTRATIONS_A, **bearer(raw)).status_code == 403
    mine = client.get(reverse("api:my_participations"), **bearer(raw))
    assert [p["id"] for p in mine.json()["results"]] == [bob_participant.pk]


def test_a_token_whose_owner_lost_the_role_gets_nothing(client, scheme_a, alice, bob_participant):
    personal, personal_raw = make(alice, "registrations:read")
    service, service_raw = make(alice, "registrations:read", scheme=scheme_a)
    assert client.get(REGISTRATIONS_A, **bearer(personal_raw)).status_code == 200
    assert client.get(REGISTRATIONS_A, **bearer(service_raw)).status_code == 200
    StaffRole.objects.filter(user=alice, scheme=scheme_a).delete()
    response = client.get(REGISTRATIONS_A, **bearer(personal_raw))
    assert response.status_code == 403 and "results" not in response.json()
    response = client.get(REGISTRATIONS_A, **bearer(service_raw))
    assert response.status_code == 401
    assert "no longer coordinates" in response.json()["detail"]
    alice.is_active = False
    alice.save()
    response = client.get(reverse("api:my_participations"), **bearer(personal_raw))
    assert response.status_code == 401 and "not active" in response.json()["detail"]


def test_a_service_token_never_reaches_another_scheme(client, scheme_a, scheme_b, alice, charlie):
    """Alice coordinates both schemes; scheme A's service token still sees only A."""
    StaffRole.objects.create(user=alice, scheme=scheme_b, role="coordinator")
    in_a = factories.register_participant(scheme_a, "in-a@example.org")
    in_b = factories.register_participant(scheme_b, "in-b@example.org")
    _, raw = make(alice, *SCOPES, scheme=scheme_a)
    data = client.get(REGISTRATIONS_A, **bearer(raw)).json()
    assert [p["id"] for p in data["results"]] == [in_a.pk]
    refused = [
        REGISTRATIONS_B,
        reverse("api:registration", args=["scheme-b", in_b.pk]),
        reverse("api:matching_rounds", args=["scheme-b"]),
        reverse("reports:api", args=["scheme-b"]),
        reverse("api:scheme", args=["scheme-b"]),
        reverse("api:schemes"),  # every scheme's
        reverse("api:my_participations"),  # a person's own, in every scheme
        reverse("api:my_proposals", args=["scheme-a"]),  # a person's own, even in A
    ]
    for url in refused:
        response = client.get(url, **bearer(raw))
        assert response.status_code == 403, url
        assert "results" not in response.json() and "scheme-b" not in str(response.json()), url
    # her personal token reads B, as she may
    _, personal = make(alice, "registrations:read")
    data = client.get(REGISTRATIONS_B, **bearer(personal)).json()
    assert [p["id"] for p in data["results"]] == [in_b.pk]


def test_only_a_coordinator_makes_a_schemes_service_token(scheme_a, alice, charlie, bob):
    for who in (charlie, bob):
        with pytest.raises(services.TokenError, match="Only a coordinator of Scheme A"):
            make(who, "registrations:read", scheme=scheme_a)
    with pytest.raises(services.TokenError, match="Unknown scope: admin:all"):
        make(alice, "admin:all")
    with pytest.raises(services.TokenError, match="from 1 to"):
        make(alice, "registrations:read", days=10_000)
    token, _ = make(alice, "registrations:read")
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)


def test_the_throttle_counts_each_token_apart(client, settings, alice):
    settings.API_TOKEN_RATE = "3/min"
    _, first = make(alice, "schemes:read")
    _, second = make(alice, "schemes:read")
    url = reverse("api:schemes")
    assert [client.get(url, **bearer(first)).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Retry-After" in client.get(url, **bearer(first))
    assert client.get(url, **bearer(second)).status_code == 200
    assert client.get(url).status_code == 200  # sessions and visitors are not counted here


def test_an_address_sending_tokens_that_do_not_work_waits_and_others_do_not(
    client, settings, alice
):
    """Failed bearer attempts are counted per real client address (docs/security.md); a working
    token never counts, and another address is not held up."""
    settings.RATELIMITS = {**settings.RATELIMITS, "api_token_failures_per_address": "3/h"}
    _, raw = make(alice, "schemes:read")
    url = reverse("api:schemes")
    assert [client.get(url, **bearer(raw)).status_code for _ in range(5)] == [200] * 5
    guesses = [client.get(url, **bearer(f"eqt_wrong{n}")).status_code for n in range(4)]
    assert guesses == [401, 401, 401, 429]
    refused = client.get(url, **bearer(raw))  # from that address, even a working token waits
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many requests with a token that does not work")
    assert refused["Content-Type"] == "application/problem+json"
    elsewhere = client.get(url, REMOTE_ADDR="192.0.2.77", **bearer(raw))
    assert elsewhere.status_code == 200


def _all_text_in_the_database() -> str:
    """Every table's every row, as text (the test database is small)."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (names from the database)
            out.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(out)


def test_the_secret_is_neither_stored_nor_logged(client, caplog, alice, bob_participant):
    caplog.set_level(logging.DEBUG)
    token, raw = make(alice, "registrations:read")
    secret = raw.split("_", 2)[2]  # (the secret may hold "_" itself)
    assert raw.startswith(f"eqm_{token.prefix}_") and len(secret) >= 40
    client.get(REGISTRATIONS_A, **bearer(raw))
    client.get(REGISTRATIONS_A, **bearer(raw + "x"))  # a refusal logs too
    assert secret not in _all_text_in_the_database()
    assert token.secret_hash in _all_text_in_the_database()  # (the check can find a column)
    assert caplog.records and not any(secret in r.getMessage() for r in caplog.records)
    out = StringIO()
    call_command("token", "list", stdout=out)
    assert token.prefix in out.getvalue() and secret not in out.getvalue()


def test_writes_through_a_token_are_audited_with_its_id(client, scheme_a, alice):
    mentor = support.mentor(scheme_a, alice)
    mentee = support.mentee(scheme_a, alice)
    token, raw = make(mentee.user, "directory:read", "directory:write")
    body = {"choices": [{"mentor": mentor.pk}]}
    before = AuditEvent.objects.count()
    assert (
        client.put(
            CHOICES_A,
            body,
            content_type="application/json",
            **bearer(raw),
            **if_match(client, CHOICES_A, **bearer(raw)),
        ).status_code
        == 200
    )
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert events and {(e.via_token, e.actor_id) for e in events} == {(token.pk, mentee.user.pk)}
    # the next request, through a session on the same thread, names no token
    client.force_login(mentee.user)
    before = AuditEvent.objects.count()
    assert (
        client.put(
            CHOICES_A,
            {"choices": []},
            content_type="application/json",
            **if_match(client, CHOICES_A),
        ).status_code
        == 200
    )
    assert [e.via_token for e in AuditEvent.objects.order_by("id")[before:]] == [None]
    made = AuditEvent.objects.get(action="api.token.created", object_id=str(token.pk))
    assert made.data["scopes"] == ["directory:read", "directory:write"] and raw not in str(
        made.data
    )


def test_every_api_view_names_the_scope_a_token_needs():
    views = {
        getattr(view, "cls", None)
        for route, view in _walk(get_resolver().url_patterns)
        if route.startswith("api/") and getattr(view, "cls", None) is not None
    }
    views -= {SpectacularAPIView, APIReference}  # the schema and its rendered page: not endpoints
    assert views and [v.__name__ for v in views if endpoint_of(v) is None] == []


def test_an_endpoint_missing_from_the_table_refuses_tokens(client, alice):
    _, raw = make(alice, *SCOPES)
    response = client.get(reverse("api:schema"), **bearer(raw))
    assert response.status_code == 403
    assert b"This endpoint cannot be used with an API token." in response.content


def test_the_command_prints_a_token_once_and_revokes_it(client, scheme_a, alice, bob_participant):
    out, err = StringIO(), StringIO()
    call_command(
        "token", "create", "ALICE@example.org", "--scheme", "scheme-a",
        "--scope", "registrations:read", "--days", "7", stdout=out, stderr=err,
    )  # fmt: skip
    raw = out.getvalue().strip()
    assert raw.startswith("eqm_") and "\n" not in raw
    token = APIToken.objects.get(prefix=raw.split("_")[1])
    assert (token.scheme, token.scopes) == (scheme_a, ["registrations:read"])
    assert client.get(REGISTRATIONS_A, **bearer(raw)).status_code == 200
    call_command("token", "revoke", str(token.pk), stdout=out, stderr=err)
    assert client.get(REGISTRATIONS_A, **bearer(raw)).status_code == 401
    with pytest.raises(CommandError, match="Only a coordinator"):
        call_command("token", "create", bob_participant.user.email, "--scheme", "scheme-a")


def test_a_token_made_without_scopes_reads_every_area_but_safeguarding_and_provisioning(alice):
    out = StringIO()
    call_command("token", "create", alice.email, stdout=out)
    token = APIToken.objects.get(prefix=out.getvalue().strip().split("_")[1])
    reads = {s for s in SCOPES if s.endswith(":read")}
    assert set(token.scopes) == reads - {"safeguarding:read", "provisioning:read"}
    assert "registrations:read" in token.scopes and not any(":write" in s for s in token.scopes)


def test_the_schema_describes_bearer_tokens_and_each_scope(client, db):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()
    bearer_scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer_scheme["type"], bearer_scheme["scheme"]) == ("http", "bearer")
    assert all(code in bearer_scheme["description"] for code in SCOPES)
    registrations = schema["paths"]["/api/v1/schemes/{slug}/registrations/"]["get"]
    assert registrations["x-token-scope"] == "registrations:read"
    assert registrations["x-service-token"] is True
    assert {"bearerAuth": []} in registrations["security"]
    choices = schema["paths"]["/api/v1/me/schemes/{slug}/choices/"]
    assert choices["put"]["x-token-scope"] == "directory:write"
    assert choices["put"]["x-service-token"] is False
    assert "Token scope: `directory:write`" in choices["put"]["description"]


# -- the pages ------------------------------------------------------------------------------------

MINE = reverse("tokens:mine")
SCHEME_A_TOKENS = reverse("tokens:scheme", args=["scheme-a"])


def _new_token_on(page) -> str:
    text = page.content.decode()
    start = text.index('id="new-token"')
    return text[
        text.index('value="', start) + 7 : text.index('"', text.index('value="', start) + 7)
    ]


def test_a_person_makes_uses_and_revokes_a_personal_token(client, bob, bob_participant):
    assert client.get(MINE).status_code == 302  # signed out: to sign in
    client.force_login(bob)
    page = client.get(MINE)
    assert page.status_code == 200 and "Only you see your tokens" in page.content.decode()
    made = client.post(
        MINE, {"name": "My script", "scopes": ["registrations:read"], "days": "30", "make": "1"}
    )
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    raw = _new_token_on(made)
    token = APIToken.objects.get(user=bob)
    assert raw.startswith(f"eqm_{token.prefix}_") and token.scheme is None
    assert (token.name, token.scopes) == ("My script", ["registrations:read"])
    client.logout()
    assert client.get(reverse("api:my_participations"), **bearer(raw)).status_code == 200
    client.force_login(bob)
    listing = client.get(MINE).content.decode()
    assert "My script" in listing and raw not in listing and "Works" in listing
    assert client.post(MINE, {"revoke": token.pk}).status_code == 302
    assert "Revoked" in client.get(MINE).content.decode()
    assert client.get(reverse("api:my_participations"), **bearer(raw)).status_code == 401


def test_the_form_refuses_what_the_rules_refuse(client, bob):
    client.force_login(bob)
    response = client.post(MINE, {"name": "x", "scopes": ["registrations:read"], "days": "9999"})
    assert response.status_code == 400 and "at most 366 days" in response.content.decode()
    response = client.post(MINE, {"name": "x", "days": "5"})
    assert response.status_code == 400 and not APIToken.objects.exists()


def test_nobody_revokes_anothers_token_from_their_page(client, alice, bob):
    token, raw = make(alice, "schemes:read")
    client.force_login(bob)
    assert client.post(MINE, {"revoke": token.pk}).status_code == 404
    assert APIToken.objects.get(pk=token.pk).revoked_at is None


def test_coordinators_make_and_revoke_the_schemes_service_tokens(
    client, scheme_a, alice, charlie, bob, bob_participant
):
    for outsider in (charlie, bob):
        client.force_login(outsider)
        assert client.get(SCHEME_A_TOKENS).status_code == 403
    client.force_login(alice)
    page = client.get(SCHEME_A_TOKENS).content.decode()
    assert "Only the scheme’s coordinators see this page" in page
    made = client.post(
        SCHEME_A_TOKENS, {"name": "HR sync", "scopes": ["registrations:read"], "days": "90"}
    )
    raw = _new_token_on(made)
    token = APIToken.objects.get(name="HR sync")
    assert (token.scheme, token.user) == (scheme_a, alice)
    assert client.get(REGISTRATIONS_A, **bearer(raw)).status_code == 200
    # a personal token is not listed as the scheme's, nor the scheme's on the personal page
    make(alice, "schemes:read")
    assert APIToken.objects.filter(user=alice).count() == 2
    assert client.get(SCHEME_A_TOKENS).content.decode().count("Revoke ") == 1
    assert client.get(MINE).content.decode().count("Revoke ") == 1
    # another coordinator of the scheme revokes it
    client.force_login(factories.make_staff(scheme_a, "coordinator", email="co@example.org"))
    assert client.post(SCHEME_A_TOKENS, {"revoke": token.pk}).status_code == 302
    assert client.get(REGISTRATIONS_A, **bearer(raw)).status_code == 401
    revoked = AuditEvent.objects.get(action="api.token.revoked", object_id=str(token.pk))
    assert revoked.scheme == scheme_a


def test_the_schemes_page_says_when_a_makers_token_stopped(client, scheme_a, alice):
    make(alice, "schemes:read", scheme=scheme_a)
    other = factories.make_staff(scheme_a, "coordinator", email="co@example.org")
    StaffRole.objects.filter(user=alice).delete()
    client.force_login(other)
    assert (
        "its maker no longer coordinates the scheme" in client.get(SCHEME_A_TOKENS).content.decode()
    )


def test_tokens_are_in_the_data_download_and_go_with_erasure(client, scheme_a, alice):
    from equimentor.privacy.services import erase_person, export_person

    token, raw = make(alice, "registrations:read", scheme=scheme_a)
    exported = export_person(alice)["api_tokens"]
    assert [(t["id"], t["name"], t["scopes"]) for t in exported] == [
        (token.pk, "test", ["registrations:read"])
    ]
    assert "secret_hash" not in exported[0]
    erase_person(alice, actor=None)
    assert not APIToken.objects.filter(user=alice).exists()
    assert client.get(REGISTRATIONS_A, **bearer(raw)).status_code == 401
