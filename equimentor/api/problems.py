"""Every API error is a problem document (RFC 9457, ``application/problem+json``).

``problem_exception_handler`` is DRF's ``EXCEPTION_HANDLER``: whatever an API view raises (DRF's
exceptions, Django's ``Http404`` and ``PermissionDenied``, a serializer's ``ValidationError``)
answers with

    {"type": ..., "title": ..., "status": 400, "detail": "...", "errors": {"field": ["..."]}}

``errors`` only for invalid input: each field's messages under its name (nested fields joined
with dots, ``choices.0.mentor``; errors about the whole body under ``non_field_errors``). Headers
DRF adds stay (``WWW-Authenticate`` on a 401 or a scope's 403, ``Retry-After`` on a 429).

A view never returns an error ``Response`` itself: it raises, so the shape cannot drift. For a
rule a service refuses, raise ``Refused(str(exc))`` (409, or ``status=400``); for a bad query
parameter, ``invalid_parameter(name, message)``.
"""

from __future__ import annotations

from http import HTTPStatus

from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_JSON = "application/problem+json"

# Our own kinds of problem; any other error is "about:blank" with the HTTP status's title.
TYPE_INVALID = "urn:equimentor:problem:invalid-input"
TYPE_REFUSED = "urn:equimentor:problem:refused"
TYPE_PRECONDITION_REQUIRED = "urn:equimentor:problem:precondition-required"
TYPE_PRECONDITION_FAILED = "urn:equimentor:problem:precondition-failed"
TYPE_KEY_REUSED = "urn:equimentor:problem:idempotency-key-reused"
TYPE_KEY_IN_USE = "urn:equimentor:problem:idempotency-key-in-use"


class Problem(exceptions.APIException):
    """An error with its own problem ``type`` and ``title``."""

    problem_type = "about:blank"
    title = ""

    def __init__(self, detail: str, *, status: int | None = None):
        super().__init__(detail)
        if status is not None:
            self.status_code = status


class Refused(Problem):
    """A change the service refused (its message for the person in ``detail``): 409 unless
    another status is given (the choices' refusals stay 400)."""

    status_code = 409
    problem_type = TYPE_REFUSED
    title = "The change was refused"


def invalid_parameter(name: str, message: str) -> serializers.ValidationError:
    """A 400 naming the query parameter: ``raise invalid_parameter("status", "...")``."""
    return serializers.ValidationError({name: [message]})


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as ``{"a.0.b": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        for index, value in enumerate(data):
            out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(data, list):
        if data:
            out[prefix or "non_field_errors"] = [str(v) for v in data]
    else:
        out[prefix or "non_field_errors"] = [str(data)]
    return out


def _validation_detail(errors: dict[str, list[str]]) -> str:
    if len(errors) == 1:
        [(field, messages)] = errors.items()
        return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
    return "Some fields are invalid: " + ", ".join(errors) + "."


def problem_body(exc: exceptions.APIException, status: int, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(data)
        return {
            "type": TYPE_INVALID,
            "title": "Invalid input",
            "status": status,
            "detail": _validation_detail(errors),
            "errors": errors,
        }
    detail = data.get("detail", "") if isinstance(data, dict) else str(data)
    return {
        "type": getattr(exc, "problem_type", "about:blank"),
        "title": getattr(exc, "title", "") or HTTPStatus(status).phrase,
        "status": status,
        "detail": str(detail),
    }


def problem_exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500
    if not isinstance(exc, exceptions.APIException):  # Http404, PermissionDenied: as DRF maps them
        exc = (
            exceptions.NotFound()
            if response.status_code == 404
            else exceptions.PermissionDenied()
            if response.status_code == 403
            else exceptions.APIException()
        )
    response.data = problem_body(exc, response.status_code, response.data)
    request = context.get("request")
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or renderer.format == "json":
        response.content_type = PROBLEM_JSON  # (the browsable API keeps its HTML page)
    return response


class ProblemSerializer(serializers.Serializer):
    """An error (RFC 9457), documented for every operation's 4xx answers."""

    type = serializers.CharField(help_text="A URI naming the kind of problem, or about:blank.")
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong this time, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input only: the messages for each field or query parameter, by name "
        "(nested fields joined with dots; the body as a whole under non_field_errors).",
    )
