"""Idempotency keys on POSTs that send email (docs/api.md, Conventions).

A client that may repeat a POST (a timeout, a retry) sends ``Idempotency-Key: <any unique text>``.
The first request with a key runs and its answer is kept, per caller and key, with a hash of the
request (method, path, body); a repeat with the same body gets that answer again (with
``Idempotent-Replayed: true``) and changes and sends nothing. The same key with another body is
a 422. Without the header a POST behaves as before.

Concurrent repeats: the key's row is inserted in the same transaction as the change. A second
request inserting the same key waits on the unique index until the first commits (PostgreSQL), then
reads the answer kept; a first request that failed rolls its row back, so the key is free again.
Emails go after commit (``core.mail``), so a repeat never sends twice. Only successful answers are
kept. Keys expire after ``IDEMPOTENCY_KEY_HOURS`` (24): the periodic job
``api.idempotency_keys`` deletes them.

Use::

    class Something(APIView):
        @idempotent
        def post(self, request, ...): ...
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from equimentor.api.models import IdempotencyKey
from equimentor.api.problems import TYPE_KEY_IN_USE, TYPE_KEY_REUSED, Problem

HEADER = "Idempotency-Key"
MAX_KEY = 200

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Any unique text (up to 200 characters, e.g. a UUID). A repeat with the same "
    "body within 24 hours gets the first answer again and sends nothing; with another body: 422.",
)


class KeyReused(Problem):
    status_code = 422
    problem_type = TYPE_KEY_REUSED
    title = "Idempotency key used for another request"


class KeyInUse(Problem):
    status_code = 409
    problem_type = TYPE_KEY_IN_USE
    title = "Idempotency key in use"


def hours() -> int:
    return getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24)


def _request_hash(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY or not key.isprintable():
        raise serializers.ValidationError(
            {HEADER: [f"Send 1 to {MAX_KEY} printable characters, e.g. a UUID."]}
        )
    return key


def _replay(row: IdempotencyKey) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if row.location:
        headers["Location"] = row.location
    return Response(row.response, status=row.status_code, headers=headers)


def idempotent(handler):
    """Wrap an API view's ``post`` so that an ``Idempotency-Key`` makes repeats safe."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = _key(request)
        if key is None or not request.user.is_authenticated:
            return handler(self, request, *args, **kwargs)
        digest = _request_hash(request)
        cutoff = timezone.now() - timedelta(hours=hours())
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                user=request.user, key=key, created_at__lt=cutoff
            ).delete()  # expired, not yet purged: free again
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        user=request.user, key=key, request_hash=digest
                    )
            except IntegrityError:
                # a request with this key committed (PostgreSQL waited for it here)
                row = IdempotencyKey.objects.select_for_update().get(user=request.user, key=key)
                if row.request_hash != digest:
                    raise KeyReused(
                        "This Idempotency-Key was sent with another request: use a new key for "
                        "a new request."
                    ) from None
                if row.status_code is None:
                    raise KeyInUse(
                        "A request with this Idempotency-Key is still being answered: try "
                        "again shortly."
                    ) from None
                return _replay(row)
            response = handler(self, request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)  # (errors are raised; kept only on success)
                return response
            row.status_code = response.status_code
            row.response = response.data
            row.location = response.headers.get("Location", "")[:500]
            row.save(update_fields=["status_code", "response", "location"])
            return response

    wrapper.idempotent = True  # (api.schema documents the header and 422 on such operations)
    return wrapper


def purge_expired(now=None) -> dict[str, int]:
    """Delete keys older than ``IDEMPOTENCY_KEY_HOURS`` (the periodic job)."""
    cutoff = (now or timezone.now()) - timedelta(hours=hours())
    return {"deleted": IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]}
