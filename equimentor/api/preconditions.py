"""ETag / If-Match on updates, so a lost update is refused (docs/api.md, Conventions).

Reading one updatable thing answers with its ``ETag`` (a hash of what was answered); a change to
it must send ``If-Match`` with that tag: missing is a 428, a tag that no longer matches (someone
changed it meanwhile) a 412, both problem documents. ``If-None-Match`` on a read answers 304 when
nothing changed.

In a view::

    def get(self, request, ...):
        return tagged(request, representation)          # 200 with ETag (or 304)

    def patch(self, request, ...):
        with transaction.atomic():
            thing = Thing.objects.select_for_update().get(pk=...)   # lock: no change between
            require_match(request, representation_of(thing))      # the check and the write
            services.change(thing, ...)
        return tagged(request, representation_of(thing))
"""

from __future__ import annotations

import hashlib
import json

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status as http
from rest_framework.response import Response

from equimentor.api.problems import (
    TYPE_PRECONDITION_FAILED,
    TYPE_PRECONDITION_REQUIRED,
    Problem,
)


class PreconditionRequired(Problem):
    status_code = 428
    problem_type = TYPE_PRECONDITION_REQUIRED
    title = "If-Match required"


class PreconditionFailed(Problem):
    status_code = 412
    problem_type = TYPE_PRECONDITION_FAILED
    title = "Changed since it was read"


# for extend_schema(parameters=[...]) on the read and the change
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag read with GET (or *). Missing: 428; changed since: 412.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, description="An ETag read before: 304 if same."
)


def etag_of(data) -> str:
    """A strong tag for a representation: the same data, the same tag."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def expect_match(request) -> None:
    """Refuse at once (428) a change sent without ``If-Match``: called first, before the body
    is read, so a client that forgot it learns that before any field error (RFC 6585)."""
    if not request.headers.get("If-Match"):
        raise PreconditionRequired(
            "Send If-Match with the ETag you read (GET it first), so that a change made "
            "meanwhile is not overwritten."
        )


def require_match(request, current) -> None:
    """Refuse the change unless ``If-Match`` names ``current``'s tag (or is ``*``)."""
    expect_match(request)
    tags = _tags(request.headers["If-Match"])
    if "*" not in tags and etag_of(current) not in tags:
        raise PreconditionFailed(
            "It has changed since you read it: read it again (GET) and send its new ETag."
        )


def tagged(request, data, status: int = 200) -> Response:
    """``data`` with its ETag; 304 to a read whose If-None-Match already has it."""
    tag = etag_of(data)
    if request.method in ("GET", "HEAD") and tag in _tags(request.headers.get("If-None-Match", "")):
        return Response(status=http.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
    return Response(data, status=status, headers={"ETag": tag})
