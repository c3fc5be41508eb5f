"""Webhooks (#20): a coordinator registers an endpoint through the API and gets its secret once;
the scheme's events (proposal accepted, relationship started and closed, questionnaire due) are
POSTed to a real HTTP receiver on loopback, signed as Standard Webhooks says, holding opaque ids
only; a failing receiver is tried again with growing waits, up to the limit; the delivery log
shows it; another scheme's endpoint gives nothing; addresses that are not https on the internet
are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
import trustme
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from equimentor.api import tasks, webhooks
from equimentor.api.models import WebhookDelivery, WebhookEndpoint
from equimentor.core.models import AuditEvent
from equimentor.evaluation.models import Invitation
from equimentor.relationships import services as relationships
from tests import evaluation_setup as es
from tests.api_write_setup import bearer, token
from tests.relationships_setup import accepted, pair

WRITE = ("webhooks:read", "webhooks:write")


class Receiver:
    """An HTTP server on loopback that keeps every request and answers the statuses queued."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/equimentor"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks spec."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(s.split(",", 1)[1], expected)
        for s in headers["webhook-signature"].split()
    )


def _register(client, alice, url, events, scheme=None):
    return client.post(
        reverse("api:webhooks", args=["scheme-a"]),
        {"url": url, "events": events, "description": "HR system"},
        content_type="application/json",
        **bearer(token(alice, *WRITE, scheme=scheme)),
    )


def test_the_signature_is_standard_webhooks():
    """The example of the Standard Webhooks libraries' tests, signed by our code."""
    assert (
        webhooks.sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_coordinator_registers_an_endpoint_and_is_told_of_the_schemes_events(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks
):
    response = _register(client, alice, receiver.url, list(webhooks.EVENTS), scheme=scheme_a)
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    secret = response.json()["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    endpoint = WebhookEndpoint.objects.get()
    assert secret not in endpoint.secret_sealed  # sealed at rest
    assert AuditEvent.objects.get(action="api.webhook.registered").via_token is not None
    listed = client.get(
        reverse("api:webhooks", args=["scheme-a"]), **bearer(token(alice, "webhooks:read"))
    )
    assert listed.status_code == 200 and "secret" not in listed.json()["results"][0]

    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    with django_capture_on_commit_callbacks(execute=True):
        relationships.close(rel, reason="safeguarding", actor=alice)

    events = receiver.events()
    assert [e["type"] for e in events] == [
        "proposal.accepted",
        "relationship.started",
        "relationship.closed",
    ]
    assert events[0]["data"] == {
        "scheme": "scheme-a",
        "proposal": rel.proposal_id,
        "mentee": mentees[0].pk,
        "mentor": mentors[0].pk,
    }
    assert events[2]["data"] == {"scheme": "scheme-a", "relationship": rel.pk}  # no reason
    for headers, body in receiver.requests:
        assert headers["content-type"] == "application/json"
        assert headers["webhook-id"].startswith("msg_")
        assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
        assert _verify(secret, headers, body)
        assert not _verify("whsec_" + base64.b64encode(b"x" * 32).decode(), headers, body)
        text = body.decode()  # nothing personal: no name, address or free text
        for person in (mentors[0], mentees[0]):
            assert person.user.email not in text and person.user.full_name not in text
        assert "safeguarding" not in text
    log = client.get(
        reverse("api:webhook_deliveries", args=["scheme-a", endpoint.pk]),
        **bearer(token(alice, "webhooks:read")),
    )
    assert [(d["event"], d["status"], d["attempts"]) for d in log.json()["results"]] == [
        ("relationship.closed", "succeeded", 1),
        ("relationship.started", "succeeded", 1),
        ("proposal.accepted", "succeeded", 1),
    ]


def test_only_the_events_asked_for_and_questionnaire_due(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks
):
    events = ["relationship.started", "questionnaire.due"]
    assert _register(client, alice, receiver.url, events).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        es.install(scheme_a, alice)
        accepted(scheme_a, alice, mentors[0], mentees[0])
    assert [e["type"] for e in receiver.events()] == ["relationship.started"]
    # the baseline questionnaire falls due on the first accepted match: sent by the tick
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", stdout=StringIO())
    due = [e["data"] for e in receiver.events() if e["type"] == "questionnaire.due"]
    invited = Invitation.objects.values_list("questionnaire_id", "participant_id", "role")
    assert len(invited) == 2
    assert sorted((d["questionnaire"], d["participant"], d["role"]) for d in due) == sorted(invited)
    assert {d["scheme"] for d in due} == {"scheme-a"}


def test_a_failing_receiver_is_tried_again_with_growing_waits(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    _register(client, alice, receiver.url, ["relationship.started"])
    receiver.statuses = [500, 503, 500]
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        accepted(scheme_a, alice, mentors[0], mentees[0])
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)
    assert tasks.sweep_webhooks() == {"enqueued": 0, "deleted": 0}  # not due yet
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert tasks.sweep_webhooks()["enqueued"] == 1  # the worker tries again (immediate here)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert timedelta(minutes=3) < delivery.next_attempt_at - timezone.now() <= timedelta(minutes=4)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    tasks.sweep_webhooks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error == "The endpoint answered 500."
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert len(receiver.requests) == 3 and ids == {delivery.message_id}  # one id on every try


def test_a_removed_endpoint_is_sent_nothing(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks
):
    endpoint_id = _register(client, alice, receiver.url, ["relationship.started"]).json()["id"]
    url = reverse("api:webhook", args=["scheme-a", endpoint_id])
    removed = client.delete(url, **bearer(token(alice, *WRITE)))
    assert removed.status_code == 204
    assert AuditEvent.objects.filter(action="api.webhook.removed").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        accepted(scheme_a, alice, mentors[0], mentees[0])
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/in",  # not https
        "https://10.0.0.7/in",  # private
        "https://169.254.169.254/latest/",  # link-local (cloud metadata)
        "https://user:pw@hooks.example.org/in",
        "ftp://hooks.example.org/in",
    ],
)
def test_addresses_that_are_not_https_on_the_internet_are_refused(client, alice, url):
    response = _register(client, alice, url, ["relationship.started"])
    assert response.status_code == 400 and "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_loopback_only_where_allowed(client, alice, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    response = _register(client, alice, "http://127.0.0.1:9/in", ["relationship.started"])
    assert response.status_code == 400
    assert webhooks.check_url("https://hooks.example.org/in")


def test_who_may_not_manage_webhooks(client, scheme_a, alice, bob, charlie, scheme_b):
    own = _register(client, alice, "https://hooks.example.org/in", ["relationship.started"])
    endpoint_id = own.json()["id"]
    others = (token(bob, *WRITE), token(charlie, *WRITE), token(charlie, *WRITE, scheme=scheme_b))
    for raw in (*others, token(alice, "webhooks:read")):
        response = client.post(
            reverse("api:webhooks", args=["scheme-a"]),
            {"url": "https://x.example.org/", "events": ["relationship.closed"]},
            content_type="application/json",
            **bearer(raw),
        )
        assert response.status_code == 403
        gone = client.delete(reverse("api:webhook", args=["scheme-a", endpoint_id]), **bearer(raw))
        assert gone.status_code == 403
    # another scheme's endpoint, through one's own scheme's address: not found
    theirs = client.get(
        reverse("api:webhook_deliveries", args=["scheme-b", endpoint_id]),
        **bearer(token(charlie, "webhooks:read")),
    )
    assert theirs.status_code == 404
    assert WebhookEndpoint.objects.filter(deleted_at__isnull=True).count() == 1


def test_the_coordinators_page_registers_shows_the_secret_once_and_removes(
    client, scheme_a, alice, bob
):
    page = reverse("tokens:webhooks", args=["scheme-a"])
    client.force_login(alice)
    assert client.get(page).status_code == 200
    bad = client.post(page, {"url": "http://hooks.example.org/", "events": ["relationship.closed"]})
    assert bad.status_code == 400 and not WebhookEndpoint.objects.exists()
    made = client.post(
        page, {"url": "https://hooks.example.org/in", "events": ["relationship.closed"]}
    )
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    secret = webhooks.secret_of(endpoint)
    assert secret in made.content.decode()
    assert secret not in client.get(page).content.decode()  # once
    assert AuditEvent.objects.get(action="api.webhook.registered").actor == alice
    removed = client.post(page, {"remove": str(endpoint.pk)})
    assert removed.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None
    client.force_login(bob)
    assert client.get(page).status_code == 403


def test_the_log_of_finished_deliveries_goes_after_the_record_days(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks, settings
):
    _register(client, alice, receiver.url, ["relationship.started", "proposal.accepted"])
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        accepted(scheme_a, alice, mentors[0], mentees[0])
    old, recent = WebhookDelivery.objects.order_by("id")
    WebhookDelivery.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.WEBHOOK_RECORD_DAYS, minutes=1)
    )
    WebhookDelivery.objects.create(
        endpoint=old.endpoint,
        message_id="msg_waiting",
        event="relationship.started",
        payload={},
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )
    WebhookDelivery.objects.filter(message_id="msg_waiting").update(
        created_at=timezone.now() - timedelta(days=365)
    )
    assert tasks.sweep_webhooks() == {"enqueued": 0, "deleted": 1}
    assert set(WebhookDelivery.objects.values_list("message_id", flat=True)) == {
        recent.message_id,
        "msg_waiting",  # still to be tried: kept whatever its age
    }


def test_a_coordinator_changes_an_endpoint_and_replaces_its_secret_through_the_api(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks
):
    made = _register(client, alice, receiver.url, ["relationship.closed"]).json()
    url = reverse("api:webhook", args=["scheme-a", made["id"]])
    raw = token(alice, *WRITE)
    read = client.get(url, **bearer(token(alice, "webhooks:read")))
    assert read.status_code == 200 and read.json()["events"] == ["relationship.closed"]
    assert "secret" not in read.json()
    changed = client.patch(
        url,
        {"events": ["relationship.started"], "description": "Dashboard"},
        content_type="application/json",
        **bearer(raw),
    )
    assert changed.status_code == 200
    assert (changed.json()["events"], changed.json()["description"], changed.json()["url"]) == (
        ["relationship.started"],
        "Dashboard",
        receiver.url,
    )
    event = AuditEvent.objects.get(action="api.webhook.changed")
    assert event.data == {"fields": ["description", "events"], "events": ["relationship.started"]}
    refused = client.patch(
        url, {"url": "https://10.0.0.7/in"}, content_type="application/json", **bearer(raw)
    )
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["url"]
    none = client.patch(url, {"events": []}, content_type="application/json", **bearer(raw))
    assert none.status_code == 400 and list(none.json()["errors"]) == ["events"]
    assert client.patch(
        url, {"events": ["relationship.started"]}, content_type="application/json", **bearer(raw)
    ).json()["events"] == ["relationship.started"]
    assert AuditEvent.objects.filter(action="api.webhook.changed").count() == 1  # no change

    replaced = client.post(
        reverse("api:webhook_secret", args=["scheme-a", made["id"]]), **bearer(raw)
    )
    assert replaced.status_code == 200 and replaced["Cache-Control"] == "no-store"
    secret = replaced.json()["secret"]
    assert secret.startswith("whsec_") and secret != made["secret"]
    assert AuditEvent.objects.filter(action="api.webhook.secret_replaced").count() == 1
    # the events chosen now, signed with the new secret only
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        accepted(scheme_a, alice, mentors[0], mentees[0])
    assert [e["type"] for e in receiver.events()] == ["relationship.started"]
    headers, body = receiver.requests[0]
    assert _verify(secret, headers, body) and not _verify(made["secret"], headers, body)

    assert client.delete(url, **bearer(raw)).status_code == 204
    gone = client.patch(url, {"description": "x"}, content_type="application/json", **bearer(raw))
    assert gone.status_code == 409 and "was removed" in gone.json()["detail"]
    again = client.post(reverse("api:webhook_secret", args=["scheme-a", made["id"]]), **bearer(raw))
    assert again.status_code == 409
    reader = token(alice, "webhooks:read")
    assert (
        client.patch(url, {}, content_type="application/json", **bearer(reader)).status_code == 403
    )


def test_the_coordinators_page_changes_an_endpoint_and_shows_a_new_secret_once(
    client, scheme_a, alice, bob
):
    endpoint, old = webhooks.register(
        scheme_a,
        url="https://hooks.example.org/in",
        events=["relationship.closed"],
        description="",
        actor=alice,
    )
    page = reverse("tokens:webhook", args=["scheme-a", endpoint.pk])
    client.force_login(alice)
    shown = client.get(page).content.decode()
    assert 'value="https://hooks.example.org/in"' in shown and old not in shown
    bad = client.post(page, {"url": "http://hooks.example.org/", "events": ["relationship.closed"]})
    assert bad.status_code == 400 and "https://" in bad.content.decode()
    saved = client.post(
        page,
        {
            "url": "https://hr.example.org/in",
            "events": ["relationship.closed", "proposal.accepted"],
            "description": "HR",
        },
    )
    assert saved.status_code == 302 and saved.url == reverse("tokens:webhooks", args=["scheme-a"])
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.description) == (
        "https://hr.example.org/in",
        ["proposal.accepted", "relationship.closed"],
        "HR",
    )
    replaced = client.post(page, {"new_secret": "1"})
    assert replaced.status_code == 200 and replaced["Cache-Control"] == "no-store"
    endpoint.refresh_from_db()
    secret = webhooks.secret_of(endpoint)
    assert secret != old and secret in replaced.content.decode()
    assert secret not in client.get(page).content.decode()  # once
    webhooks.remove(endpoint, actor=alice)
    removed = client.get(page).content.decode()
    assert "was removed" in removed and "Save the changes" not in removed
    assert client.post(page, {"new_secret": "1"}).status_code == 409  # shown, not changed
    endpoint.refresh_from_db()
    assert webhooks.secret_of(endpoint) == secret
    client.force_login(bob)
    assert client.get(page).status_code == 403


class _Lookups:
    """``socket.getaddrinfo`` for one name that answers ``first`` once and ``then`` after (a
    rebinding DNS server), counting the lookups; any other host is looked up as usual."""

    def __init__(self, monkeypatch, name: str, first: str | None, then: str):
        self.name, self.first, self.then, self.count = name, first, then, 0
        real = socket.getaddrinfo

        def lookup(host, port, *args, **kwargs):
            if host != self.name:
                return real(host, port, *args, **kwargs)
            self.count += 1
            address = self.first if self.count == 1 else self.then
            if address is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", lookup)


def _one_delivery(client, scheme_a, alice, url, capture):
    _register(client, alice, url, ["relationship.started"])
    with capture(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        accepted(scheme_a, alice, mentors[0], mentees[0])
    return WebhookDelivery.objects.get()


def test_a_delivery_goes_to_the_address_that_was_checked_never_a_second_lookup(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks, monkeypatch, settings
):
    """DNS rebinding: the name answers an allowed address when checked, then a private one. The
    delivery is sent to the address checked, with the name as its Host; the name is looked up
    once."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    port = receiver.server.server_port
    lookups = _Lookups(monkeypatch, "localhost", first="127.0.0.1", then="10.255.255.1")
    delivery = _one_delivery(
        client,
        scheme_a,
        alice,
        f"http://localhost:{port}/in?x=1",
        django_capture_on_commit_callbacks,
    )
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "succeeded",
        204,
        "",
    )
    assert lookups.count == 1
    ((headers, _body),) = receiver.requests
    assert headers["host"] == f"localhost:{port}"


def test_a_name_that_cannot_be_looked_up_or_is_private_is_not_sent(
    client, scheme_a, alice, receiver, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    port = receiver.server.server_port
    # the first lookup fails; a second one (which must never happen) would answer loopback
    lookups = _Lookups(monkeypatch, "localhost", first=None, then="127.0.0.1")
    delivery = _one_delivery(
        client, scheme_a, alice, f"http://localhost:{port}/in", django_capture_on_commit_callbacks
    )
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert delivery.last_error == "No answer: the address could not be looked up."
    assert lookups.count == 1 and receiver.requests == []
    # a name that resolves to a private address
    lookups.first = lookups.then = "10.0.0.7"
    lookups.count = 0
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    tasks.sweep_webhooks()
    delivery.refresh_from_db()
    assert delivery.last_error == "The address resolves to a private or loopback address: not sent."
    assert delivery.attempts == 2 and receiver.requests == []


@pytest.fixture
def tls_receiver(receiver, monkeypatch):
    """The receiver over https with a certificate for hooks.example.test from a test CA, which
    this process trusts (OpenSSL reads SSL_CERT_FILE when a client loads its default CAs)."""
    ca = trustme.CA()
    ca.issue_cert("hooks.example.test").configure_cert(
        server := ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    )
    receiver.server.socket = server.wrap_socket(receiver.server.socket, server_side=True)
    with ca.cert_pem.tempfile() as ca_file:
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        yield receiver


@pytest.fixture
def deliver_over_https(
    client, scheme_a, alice, tls_receiver, django_capture_on_commit_callbacks, monkeypatch
):
    """``deliver_over_https(name)``: one delivery to ``https://name:port/in``, the name looked
    up as this machine (where the TLS receiver listens)."""

    def deliver(name):
        _Lookups(monkeypatch, name, first="127.0.0.1", then="127.0.0.1")
        url = f"https://{name}:{tls_receiver.server.server_port}/in"
        return _one_delivery(client, scheme_a, alice, url, django_capture_on_commit_callbacks)

    return deliver


def test_over_https_the_certificate_is_checked_against_the_name_not_the_address(
    tls_receiver, deliver_over_https
):
    delivery = deliver_over_https("hooks.example.test")
    assert (delivery.status, delivery.last_status_code) == ("succeeded", 204)
    port = tls_receiver.server.server_port
    assert tls_receiver.requests[0][0]["host"] == f"hooks.example.test:{port}"


def test_over_https_a_certificate_for_another_name_is_refused(tls_receiver, deliver_over_https):
    delivery = deliver_over_https("other.example.test")
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert delivery.last_error.startswith("No answer: the endpoint's certificate was not accepted")
    assert "other.example.test" in delivery.last_error
    assert tls_receiver.requests == []
