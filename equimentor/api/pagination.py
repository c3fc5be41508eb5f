"""Cursor pagination for every API list (docs/api.md, Conventions).

A page is ``{"next": url|null, "previous": url|null, "results": [...]}``; ``next`` and
``previous`` carry an opaque ``cursor``; ``page_size`` (1 to ``MAX_PAGE_SIZE``) changes the size.
No count: a page costs the same however long the list (no ``COUNT(*)``, no ``OFFSET`` scan).

``CursorPage`` (the default) pages a queryset by its order: the view's ``ordering`` (a tuple
starting with the model's own field or an annotation, ending in a unique one such as ``-id``), or else the
queryset's ``order_by``. A row added or removed between pages neither repeats nor skips others.

``PositionCursor`` pages a list kept in memory (the directory's order of ids): the cursor holds
the position and the id last shown, so a list that moved meanwhile resumes after that id.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qs

from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from equimentor.api.problems import invalid_parameter

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
BAD_CURSOR = "This cursor is not one the API gave: follow next or previous as given."


def _page_size(request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid_parameter(
            "page_size", f"Give a whole number of results per page from 1 to {MAX_PAGE_SIZE}."
        )
    return int(raw)


def _page_schema(schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["next", "previous", "results"],
        "properties": {
            "next": {"type": "string", "nullable": True, "format": "uri"},
            "previous": {"type": "string", "nullable": True, "format": "uri"},
            "results": schema,
        },
    }


def _parameters() -> list[dict]:
    return [
        {
            "name": "cursor",
            "required": False,
            "in": "query",
            "description": "Where the page starts: take it from next or previous.",
            "schema": {"type": "string"},
        },
        {
            "name": "page_size",
            "required": False,
            "in": "query",
            "description": f"Results per page (1 to {MAX_PAGE_SIZE}; {PAGE_SIZE} unless given).",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        },
    ]


class CursorPage(CursorPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return _page_size(request)

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or queryset.query.order_by
        if not ordering:
            ordering = queryset.model._meta.ordering
        ordering = tuple(ordering)
        assert ordering, f"{type(view).__name__}: a paged list needs an order (ordering = ...)"
        assert "__" not in ordering[0], (
            f"{type(view).__name__}: the cursor reads its first ordering field from each row; "
            f"annotate a related field ({ordering})"
        )
        return ordering

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:  # DRF reads any text as a first page; only its own keys
                fields = parse_qs(base64.b64decode(encoded.encode("ascii")).decode("ascii"))
                if not fields or not set(fields) <= {"o", "r", "p"}:
                    raise ValueError(encoded)
            return super().decode_cursor(request)
        except Exception as exc:  # DRF answers 404 for a bad cursor; it is a bad parameter
            raise invalid_parameter(self.cursor_query_param, BAD_CURSOR) from exc

    def get_paginated_response_schema(self, schema):
        return _page_schema(schema)

    def get_schema_operation_parameters(self, view):
        return _parameters()


class PositionCursor(BasePagination):
    """Pages a list of ids in memory: ``paginate_ids(request, ids)`` -> the page's ids."""

    cursor_query_param = "cursor"

    def paginate_ids(self, request, ids: list[int]) -> list[int]:
        self.request = request
        size = _page_size(request)
        start = self._start(request, ids)
        page = ids[start : start + size]
        self.next_at = (start + size, page[-1]) if start + size < len(ids) else None
        self.previous_at = (max(start - size, 0), None) if start > 0 else None
        return page

    def _start(self, request, ids: list[int]) -> int:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return 0
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
            position, after = int(data["p"]), data.get("a")
        except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error) as exc:
            raise invalid_parameter(self.cursor_query_param, BAD_CURSOR) from exc
        if position < 0 or (after is not None and not isinstance(after, int)):
            raise invalid_parameter(self.cursor_query_param, BAD_CURSOR)
        if after is not None and not (0 < position <= len(ids) and ids[position - 1] == after):
            try:  # the list moved since: resume after the id last shown, where it is now
                position = ids.index(after) + 1
            except ValueError:
                pass  # gone: keep the position
        return min(position, len(ids))

    def _link(self, at) -> str | None:
        if at is None:
            return None
        url = self.request.build_absolute_uri()
        position, after = at
        if position == 0:
            return remove_query_param(url, self.cursor_query_param)
        data = {"p": position} if after is None else {"p": position, "a": after}
        token = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        return replace_query_param(url, self.cursor_query_param, token.decode("ascii"))

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.next_at),
                "previous": self._link(self.previous_at),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return _page_schema(schema)

    def get_schema_operation_parameters(self, view):
        return _parameters()
