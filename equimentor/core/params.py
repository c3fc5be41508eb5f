"""Numbers read from a request (query parameters, form values, path ids), checked in one place.

A number a person can type in an address may be anything: ``?weeks=99999999`` overflowed a date
(a 500), and an id past what the database holds overflowed SQLite's integers (a 500). Query
parameters are read with :func:`query_int`, which refuses with :class:`QueryError` (a 400 with
the message, see ``core.views.bad_request``); ids from forms are tested with :func:`is_id`; ids in
paths are bounded by :class:`IdRangeMiddleware` (an id the database cannot hold names nothing:
404).
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import Http404

MAX_ID = 2**63 - 1  # the largest primary key (BigAutoField) any database here stores


class QueryError(BadRequest):
    """A query parameter out of range or not a number; the message says which and why."""


def query_int(params, name: str, *, lo: int, hi: int, label: str = "") -> int | None:
    """The whole number ``params[name]`` from ``lo`` to ``hi``; None if absent or empty."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    what = label or f"“{name}”"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise QueryError(f"{what} must be a whole number from {lo} to {hi}.")
    value = int(raw)
    if not lo <= value <= hi:
        raise QueryError(f"{what} must be a whole number from {lo} to {hi}.")
    return value


def is_id(text) -> bool:
    """Is ``text`` (a form value) a database id: digits, and no larger than one can be?"""
    text = str(text or "")
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_ID


class IdRangeMiddleware:
    """A path id (``<int:pk>``) too large for any database row is a 404 before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        values = [*view_args, *view_kwargs.values()]
        if any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in values):
            raise Http404("No such page.")
        return None
