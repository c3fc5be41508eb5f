"""Record state changes. Every service function calls :func:`record` once per change."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import models

from equimentor.core import versions
from equimentor.core.models import AuditEvent

# Keys that must never reach the audit trail: it is read by coordinators and kept for years.
_FORBIDDEN_KEYS = {
    "email",
    "name",
    "full_name",
    "ethnicity",
    "identity",
    "answers",
    "password",
    "token",
}


# The API token the current request acts through, if any: set by the API's bearer authentication,
# cleared around every request by ``core.middleware.AuditContextMiddleware``. Every event recorded
# meanwhile names it, whichever service records it (one audit path, not a second one for the API).
_via_token: ContextVar[int | None] = ContextVar("audit_via_token", default=None)


def acting_through_token(token_id: int | None) -> None:
    """Record the events of the rest of this request as made through API token ``token_id``."""
    _via_token.set(token_id)


def current_token() -> int | None:
    return _via_token.get()


# What runs after each event is recorded, in the recording transaction (the API's webhooks
# register here in their AppConfig.ready(), so no domain app imports the layer above it).
_LISTENERS: list[Callable[[AuditEvent], None]] = []


def on_record(listener: Callable[[AuditEvent], None]) -> None:
    """Call ``listener(event)`` for every event recorded from now on, in its transaction."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def _recorded(events: list[AuditEvent]) -> None:
    for listener in _LISTENERS:
        for event in events:
            listener(event)


def record(action: str, obj: models.Model, *, actor=None, scheme=None, **data: Any) -> AuditEvent:
    """Append one audit event for ``obj``.

    ``data`` carries non-personal facts only (ids, statuses, document versions);
    passing a personal field such as ``email`` is a programming error.
    """
    leaked = _FORBIDDEN_KEYS & set(data)
    if leaked:
        raise ValueError(f"audit data must not contain personal fields: {sorted(leaked)}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    # a change to a scheme moves its data version, in the same transaction (core.versions)
    versions.changed(scheme)
    event = AuditEvent.objects.create(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        actor=actor,
        scheme=scheme,
        data=data,
        via_token=_via_token.get(),
    )
    _recorded([event])
    return event


def record_many(
    action: str,
    objs: list[models.Model],
    *,
    actor=None,
    scheme=None,
    data: Callable[[models.Model], dict[str, Any]] = lambda obj: {},
) -> list[AuditEvent]:
    """Append one audit event for each of ``objs`` in a single query (a round's proposals)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    events = []
    via_token = _via_token.get()
    for obj in objs:
        facts = data(obj)
        leaked = _FORBIDDEN_KEYS & set(facts)
        if leaked:
            raise ValueError(f"audit data must not contain personal fields: {sorted(leaked)}")
        events.append(
            AuditEvent(
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                actor=actor,
                scheme=scheme,
                data=facts,
                via_token=via_token,
            )
        )
    if events:
        versions.changed(scheme)
    events = AuditEvent.objects.bulk_create(events, batch_size=1000)
    _recorded(events)
    return events


# How each action reads in a history list, for people who run schemes.
LABELS = {
    "enrolment.interest.expressed": "Expressed interest",
    "enrolment.invite.sent": "Registration link sent",
    "enrolment.registered": "Registered",
    "enrolment.consent.given": "Consent given",
    "enrolment.consent.withdrawn": "Consent withdrawn",
    "enrolment.profile.updated": "Profile updated",
    "enrolment.roles.changed": "Role changed",
    "enrolment.approved": "Approved",
    "enrolment.queried": "Eligibility queried",
    "enrolment.declined": "Found not eligible",
    "enrolment.withdrawn": "Withdrew from the scheme",
    "identity.answers.saved": "Identity answers saved",
    "identity.answers.erased": "Identity answers erased",
}


def label(action: str) -> str:
    """A readable label for an audit action (the code itself if none is set)."""
    return LABELS.get(action, action.rsplit(".", 1)[-1].replace("_", " ").capitalize())
