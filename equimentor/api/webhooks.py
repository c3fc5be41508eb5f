"""Webhooks: a scheme's coordinators register an endpoint and are told, by signed HTTP POSTs, of
the scheme's events (docs/api.md, "Webhooks").

- **Events** come from the audit trail: ``core.audit.on_record`` hands every recorded event to
  :func:`deliveries_for` (registered by ``api.tasks``), in the recording transaction, which
  stores one ``WebhookDelivery`` per endpoint that asked for it; the deliveries are sent after
  commit, so a change rolled back sends nothing. The payload holds the event type, when, the
  scheme's slug and opaque ids, never a name, an address, free text or identity data.
- **Signatures** follow Standard Webhooks (standardwebhooks.com): headers ``webhook-id`` (the
  same on every try), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
  (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``) under the endpoint's secret
  (``whsec_<base64>``), shown once when the endpoint is registered and sealed at rest.
- **Tries**: :func:`attempt` claims a delivery (a lease, so two workers never send it at once),
  POSTs it (no redirects followed) and records the answer; a failure waits 1, 4, 16, 64 ...
  times ``WEBHOOK_RETRY_SECONDS`` and the periodic job ``api.webhooks`` hands due retries to a
  worker, up to ``WEBHOOK_MAX_ATTEMPTS``. A receiver must answer 2xx within
  ``WEBHOOK_TIMEOUT_SECONDS``. The same job deletes the log of deliveries finished more than
  ``WEBHOOK_RECORD_DAYS`` ago.
- **Addresses**: https only, and never to a loopback, private or link-local address (checked
  when registered and again at each try), except http(s) on loopback where
  ``WEBHOOK_ALLOW_LOOPBACK`` (the demo and the tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from equimentor.api.models import WebhookDelivery, WebhookEndpoint
from equimentor.core import audit, sealed
from equimentor.core.models import AuditEvent
from equimentor.matching.models import Proposal

# event type -> what it tells (shown on the page and in the schema)
EVENTS: dict[str, str] = {
    "proposal.accepted": "A proposal was accepted by both mentee and mentor.",
    "relationship.started": "A mentoring relationship started.",
    "relationship.closed": "A mentoring relationship was closed (no reason is sent).",
    "questionnaire.due": "A participant was sent a questionnaire to answer.",
}

_SALT, _INFO = b"equimentor-webhooks", b"endpoint-secret"


class WebhookError(Exception):
    """A request about webhooks that cannot be carried out, with the reason to show."""


# -- signing (Standard Webhooks) ----------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for one delivery."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def secret_of(endpoint: WebhookEndpoint) -> str:
    return sealed.unseal(endpoint.secret_sealed, salt=_SALT, info=_INFO).decode()


# -- addresses ----------------------------------------------------------------------------------

_REFUSED_ADDRESS = (
    "Give an https:// address of a server reachable on the internet (not a private, loopback "
    "or link-local address)."
)


def _address_allowed(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if address.is_loopback:
        return settings.WEBHOOK_ALLOW_LOOPBACK
    return address.is_global


def check_url(url: str) -> str:
    """``url`` if deliveries may go there, else :class:`WebhookError` with the reason."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    loopback = host == "localhost" or (literal is not None and literal.is_loopback)
    if loopback and settings.WEBHOOK_ALLOW_LOOPBACK and parts.scheme in ("http", "https"):
        return url
    if parts.scheme != "https" or not host or loopback:
        raise WebhookError(_REFUSED_ADDRESS)
    if literal is not None and not literal.is_global:
        raise WebhookError(_REFUSED_ADDRESS)
    if parts.username or parts.password:
        raise WebhookError("The address must not carry a user name or password.")
    return url


def _checked_addresses(host: str, port: int) -> tuple[list[str], str]:
    """The addresses ``host`` resolves to, looked up once, if every one may be sent to; else
    ([], why not). A delivery connects only to these, never to the name again: a second lookup
    could answer differently (DNS rebinding)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return [], "No answer: the address could not be looked up."
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses or not all(_address_allowed(a) for a in addresses):
        return [], "The address resolves to a private or loopback address: not sent."
    return addresses, ""


# -- endpoints ----------------------------------------------------------------------------------


@transaction.atomic
def register(
    scheme, *, url: str, events: list[str], description: str, actor
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of ``scheme`` and its secret, returned this once."""
    check_url(url)
    events = _events_checked(events)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        scheme=scheme,
        url=url,
        description=description,
        events=events,
        secret_sealed=sealed.seal(secret.encode(), salt=_SALT, info=_INFO),
        created_by=actor,
    )
    audit.record(
        "api.webhook.registered", endpoint, actor=actor, scheme=scheme, events=endpoint.events
    )
    return endpoint, secret


def _events_checked(events) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise WebhookError("Choose at least one of the events: " + ", ".join(EVENTS) + ".")
    return sorted(set(events))


def _live(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if locked.deleted_at is not None:
        raise WebhookError("This endpoint was removed; register a new one instead.")
    return locked


@transaction.atomic
def change(endpoint: WebhookEndpoint, *, actor, **changes) -> WebhookEndpoint:
    """Change an endpoint's ``url``, ``events`` and/or ``description`` (those given). Deliveries
    still waiting go to the new address at their next try; an event of a kind no longer chosen
    makes no new delivery. Audited with the names of the fields that changed."""
    endpoint = _live(endpoint)
    if "url" in changes:
        changes["url"] = check_url(changes["url"])
    if "events" in changes:
        changes["events"] = _events_checked(changes["events"])
    changed = sorted(k for k, v in changes.items() if getattr(endpoint, k) != v)
    if not changed:
        return endpoint
    for name in changed:
        setattr(endpoint, name, changes[name])
    endpoint.save(update_fields=changed)
    audit.record(
        "api.webhook.changed",
        endpoint,
        actor=actor,
        scheme=endpoint.scheme,
        fields=changed,
        events=endpoint.events,
    )
    return endpoint


@transaction.atomic
def new_secret_for(endpoint: WebhookEndpoint, *, actor) -> str:
    """Replace an endpoint's secret (one that leaked, or a routine change); the new one is
    returned this once. Every try from now on, deliveries still waiting included, is signed
    with it."""
    endpoint = _live(endpoint)
    secret = new_secret()
    endpoint.secret_sealed = sealed.seal(secret.encode(), salt=_SALT, info=_INFO)
    endpoint.save(update_fields=["secret_sealed"])
    audit.record("api.webhook.secret_replaced", endpoint, actor=actor, scheme=endpoint.scheme)
    return secret


@transaction.atomic
def remove(endpoint: WebhookEndpoint, *, actor) -> bool:
    """Stop sending to ``endpoint`` (kept, with its log); deliveries still waiting fail."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now()
    )
    if changed:
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED, last_error="The endpoint was removed."
        )
        audit.record("api.webhook.removed", endpoint, actor=actor, scheme=endpoint.scheme)
    return bool(changed)


# -- events -------------------------------------------------------------------------------------


def _event(event: AuditEvent) -> tuple[str, dict] | None:
    """The webhook event an audit event is, with its opaque ids; None for any other."""
    action, data, pk = event.action, event.data, int(event.object_id)
    if action == "matching.proposal.accepted" and data.get("status") == "accepted":
        mentee, mentor = Proposal.objects.values_list("mentee_id", "mentor_id").get(pk=pk)
        return "proposal.accepted", {"proposal": pk, "mentee": mentee, "mentor": mentor}
    if action == "relationships.relationship.started":
        return "relationship.started", {"relationship": pk}
    if action == "relationships.relationship.closed":
        return "relationship.closed", {"relationship": pk}
    if action == "evaluation.invitation.sent":
        return "questionnaire.due", {
            "questionnaire": data.get("questionnaire_id"),
            "participant": data.get("participant_id"),
            "role": data.get("role"),
        }
    return None


_ACTIONS = {
    "matching.proposal.accepted",
    "relationships.relationship.started",
    "relationships.relationship.closed",
    "evaluation.invitation.sent",
}


def deliveries_for(event: AuditEvent) -> list[int]:
    """Store a delivery of ``event`` for each endpoint of its scheme that asked for it; their
    ids (to send once the transaction commits)."""
    if event.action not in _ACTIONS or event.scheme_id is None:
        return []
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(scheme_id=event.scheme_id, deleted_at__isnull=True)
        .select_related("scheme")
        .only("id", "events", "scheme__slug")
    ]
    found = _event(event) if endpoints else None
    if found is None:
        return []
    kind, ids = found
    rows = [
        WebhookDelivery(
            endpoint=e,
            message_id="msg_" + secrets.token_hex(16),
            event=kind,
            payload={
                "type": kind,
                "timestamp": event.at.isoformat(),
                "data": {"scheme": e.scheme.slug, **ids},
            },
        )
        for e in endpoints
        if kind in e.events
    ]
    return [d.pk for d in WebhookDelivery.objects.bulk_create(rows)]


# -- sending ------------------------------------------------------------------------------------


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """(status, error): the receiver's status, or None and why nothing was answered.

    The host is looked up once and checked (:func:`_checked_addresses`); the request goes to
    those addresses (urllib3, one pool per try), with the host name in the ``Host`` header and,
    over https, as the TLS server name the certificate is verified against. A redirect is the
    answer, never followed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    addresses, refused = _checked_addresses(host, port)
    if not addresses:
        return None, refused
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = {**headers, "Host": parts.netloc.rpartition("@")[2]}
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS)
    reason = ""
    for address in addresses:
        if https:
            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                timeout=timeout,
                retries=False,
                cert_reqs="CERT_REQUIRED",
                server_hostname=host,
                assert_hostname=host,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        try:
            with pool:
                answer = pool.urlopen(
                    "POST",
                    target,
                    body=body,
                    headers=headers,
                    redirect=False,
                    assert_same_host=False,
                    preload_content=True,
                )
        except urllib3.exceptions.NewConnectionError as exc:
            reason = str(exc.__cause__ or exc)
            continue  # the next address, as a browser would
        except urllib3.exceptions.SSLError as exc:
            cause = exc.__cause__ or exc
            return None, f"No answer: the endpoint's certificate was not accepted ({cause})"[:300]
        except urllib3.exceptions.HTTPError as exc:
            return None, f"No answer: {exc.__cause__ or exc}"[:300]
        if 200 <= answer.status < 300:
            return answer.status, ""
        return answer.status, f"The endpoint answered {answer.status}."
    return None, f"No answer: {reason}"[:300]


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 1, 4, 16, 64 ... units."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 4 ** (attempts - 1))


def attempt(delivery_id: int) -> str:
    """Try to send delivery ``delivery_id`` once, if it is due and nobody is sending it; its
    status afterwards."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=lease, attempts=F("attempts") + 1)
    )
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not claimed:
        return delivery.status
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    status, error = _post(
        delivery.endpoint.url,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": "Equimentor-Webhooks/1",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                secret_of(delivery.endpoint), delivery.message_id, timestamp, body
            ),
        },
    )
    done = status is not None and 200 <= status < 300
    fields = {"lease_until": None, "last_status_code": status, "last_error": error}
    if done:
        fields.update(status=WebhookDelivery.Status.SUCCEEDED, delivered_at=timezone.now())
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    else:
        fields.update(next_attempt_at=timezone.now() + retry_delay(delivery.attempts))
    # only if it is still ours (not removed, not taken over after the lease ran out)
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, lease_until=lease
    ).update(**fields)
    return fields.get("status", WebhookDelivery.Status.PENDING)


def due(now=None) -> list[int]:
    """Deliveries waiting for a try that is due (a retry, or a first try whose task was lost)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )


def purge_finished(now=None) -> int:
    """Delete deliveries that succeeded or failed more than ``WEBHOOK_RECORD_DAYS`` ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_RECORD_DAYS)
    return (
        WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING)
        .filter(created_at__lt=cutoff)
        .delete()[0]
    )
