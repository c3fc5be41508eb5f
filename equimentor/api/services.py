"""API tokens: making, revoking and checking them. Each change is audited (never the secret).

Personal tokens act as their owner, with the owner's roles as they are at each request. A
scheme's service token is made by one of its coordinators, acts as that coordinator within that
scheme only, and stops working as soon as they no longer coordinate it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from equimentor.accounts.models import APIToken, User
from equimentor.api import tasks
from equimentor.api.models import APITask
from equimentor.api.scopes import SCOPES
from equimentor.core import audit
from equimentor.core.roles import Role
from equimentor.schemes.access import has_role
from equimentor.schemes.models import Scheme

log = logging.getLogger(__name__)

NAME_MAX = 100


class TokenError(Exception):
    """A token that cannot be made or revoked, with the reason for the person."""


class TokenRefused(Exception):
    """A token that does not work (now), with the reason for whoever sent it."""


def may_hold_service_token(user: User, scheme: Scheme) -> bool:
    """Who may make, and whose service tokens keep working: the scheme's coordinators."""
    return user.is_active and has_role(user, scheme, Role.COORDINATOR)


@transaction.atomic
def create_token(
    owner: User,
    *,
    name: str,
    scopes: list[str],
    days: int | None = None,
    scheme: Scheme | None = None,
    actor: User | None,
) -> tuple[APIToken, str]:
    """Make a token for ``owner`` (a service token of ``scheme`` if given). Returns the row and
    the raw token, which is shown once and kept nowhere."""
    name = name.strip()
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    unknown = sorted(set(scopes) - set(SCOPES))
    if not name:
        raise TokenError("Give the token a name that says what it is for.")
    if len(name) > NAME_MAX:
        raise TokenError(f"Keep the name to {NAME_MAX} characters.")
    if unknown:
        raise TokenError(f"Unknown scope: {', '.join(unknown)}.")
    if not scopes:
        raise TokenError("Choose at least one scope.")
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise TokenError(f"A token lasts from 1 to {settings.API_TOKEN_MAX_DAYS} days.")
    if not owner.is_active:
        raise TokenError("This account is not active.")
    if scheme is not None and not may_hold_service_token(owner, scheme):
        raise TokenError(f"Only a coordinator of {scheme.name} can make its service tokens.")
    raw, prefix, hashed = APIToken.new_secret()
    token = APIToken.objects.create(
        user=owner,
        scheme=scheme,
        name=name,
        prefix=prefix,
        secret_hash=hashed,
        scopes=[s for s in SCOPES if s in scopes],
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        "api.token.created",
        token,
        actor=actor,
        scheme=scheme,
        kind="service" if scheme else "personal",
        owner_id=owner.pk,
        scopes=token.scopes,
        expires_at=token.expires_at.isoformat(),
    )
    return token, raw


@transaction.atomic
def revoke_token(token: APIToken, *, actor: User | None) -> bool:
    """Stop ``token`` working, from the next request on. False if it already was revoked."""
    updated = APIToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor if actor and actor.is_authenticated else None
    )
    if updated:
        token.refresh_from_db()
        audit.record("api.token.revoked", token, actor=actor, scheme=token.scheme)
    return bool(updated)


LAST_USED_EVERY = timedelta(minutes=1)


def token_in_use(raw: str) -> APIToken:
    """The token ``raw`` names, if it works now; raises :class:`TokenRefused` saying why not.
    Notes when it was last used (at most once a minute, one conditional ``UPDATE``)."""
    token = APIToken.find(raw)
    if token is None:
        raise TokenRefused("Invalid token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("This token has been revoked.")
    if now >= token.expires_at:
        raise TokenRefused(f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC.")
    if not token.user.is_active:
        raise TokenRefused("The account this token belongs to is not active.")
    if token.scheme is not None and not may_hold_service_token(token.user, token.scheme):
        raise TokenRefused(
            "This service token no longer works: the person who made it no longer coordinates "
            "the scheme."
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# -- long operations -------------------------------------------------------------------------------


def start_task(kind: str, scheme: Scheme, *, actor, **params) -> APITask:
    """Record a long operation (``api.tasks.OPERATIONS``) and have a worker run it once this
    commits; the caller answers 202 with the task to poll. Audited with its id and kind (the
    operation audits its own changes when it runs)."""
    if kind not in tasks.OPERATIONS:
        raise ValueError(f"No such API task: {kind}")
    with transaction.atomic():
        t = APITask.objects.create(
            scheme=scheme,
            kind=kind,
            params=params,
            created_by=actor,
            via_token=audit.current_token(),
        )
        audit.record("api.task.started", t, actor=actor, scheme=scheme, kind=kind, **params)
        task_id = t.pk
        transaction.on_commit(lambda: _hand_to_worker(task_id))
    return t


def _hand_to_worker(task_id: int) -> None:
    """Enqueue the task; if the queue refuses it (the broker is down), fail the task with a
    message to try again rather than leave it "queued" for ever. A task that already ran (a
    backend that runs tasks at once) keeps its own outcome."""
    try:
        tasks.run_api_task.enqueue(task_id)
    except Exception:
        log.exception("API task %s could not be handed to the task queue", task_id)
        APITask.objects.filter(pk=task_id, status=APITask.Status.QUEUED).update(
            status=APITask.Status.FAILED,
            error=(
                "The operation could not be started: the task queue did not accept it. "
                "Nothing was changed; try again in a few minutes."
            ),
            finished_at=timezone.now(),
        )
