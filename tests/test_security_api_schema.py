"""The API answers what its OpenAPI schema says (#23): meetings came back with ``video_link`` and
``agenda_by`` as "" against a URI and an enum, a year-695 ``starts_at`` was accepted and answered
with a local-mean-time offset, and a proposal reply answered ``{id, status}`` where the schema
promised ``{answer, note}``. Each response here is validated against the generated schema
(jsonschema; OpenAPI's ``nullable`` read as JSON Schema's null, ``uri`` and ``date-time`` checked).

And the schema names every endpoint and only those (#20): each documented path and method, with
sample parameters, resolves through Django's URL resolver to a view that handles the method, and
every method of every API view under /api/ is documented.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import jsonschema
import pytest
from django.core import mail
from django.urls import Resolver404, get_resolver, path, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.relationships_setup import accepted, member, pair
from tests.url_walk import walk_urls

SLUG = "scheme-a"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node, components, seen=()):
    """An OpenAPI 3.0 schema object as JSON Schema, its $refs inlined."""
    if isinstance(node, list):
        return [_json_schema(n, components, seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        assert name not in seen, f"recursive schema {name}"
        return _json_schema(components[name], components, (*seen, name))
    out = {k: _json_schema(v, components, seen) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri", raises=ValueError)
def _uri(value) -> bool:
    if not isinstance(value, str):
        return True  # (formats constrain strings only)
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    # RFC 3339: an offset of hours and minutes (not seconds), and a four-digit year
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)", value):
        return False
    datetime.fromisoformat(value)
    return True


def conforms(schema, route: str, method: str, response) -> None:
    """Fail unless ``response`` (status and JSON body) is what the schema documents."""
    operation = schema["paths"][route][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (route, method, response.status_code, response.content)
    media_type = response["Content-Type"].split(";")[0]  # errors: application/problem+json
    body_schema = documented["content"][media_type]["schema"]
    jsonschema.validate(
        response.json(),
        _json_schema(body_schema, schema["components"]["schemas"]),
        format_checker=FORMATS,
    )


MEETINGS = "/api/v1/me/schemes/{slug}/relationships/{id}/meetings/"
LOG = "/api/v1/me/schemes/{slug}/relationships/{id}/meetings/{mid}/log/"
REPLY = "/api/v1/me/schemes/{slug}/proposals/{id}/reply/"


@pytest.fixture
def relationship(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return rel, member(rel, mentors[0]), member(rel, mentees[0])


def test_meetings_answer_as_documented(client, schema, relationship):
    rel, mentor, _mentee = relationship
    client.force_login(mentor.participant.user)
    url = reverse("api:relationship_meetings", args=[SLUG, rel.pk])
    past = (timezone.localdate() - timedelta(days=2)).isoformat()
    made = client.post(
        url,
        {"date": past, "time": "10:00", "time_zone": "Asia/Kolkata", "mode": "virtual"},
        content_type="application/json",
    )
    assert made.status_code == 201
    conforms(schema, MEETINGS, "post", made)
    assert made.json()["video_link"] is None and made.json()["agenda_by"] is None
    logged = client.post(
        reverse("api:relationship_meeting_log", args=[SLUG, rel.pk, made.json()["id"]]),
        {"happened": True, "actual_minutes": 45},
        content_type="application/json",
    )
    assert logged.status_code == 200
    conforms(schema, LOG, "post", logged)
    listed = client.get(url)
    conforms(schema, MEETINGS, "get", listed)
    assert listed.json()["results"][0]["starts_at"].endswith("T04:30:00Z")  # 10:00 in Kolkata


@pytest.mark.parametrize("date", ["0695-03-01", "1899-12-31", "2999-01-01"])
def test_a_meeting_date_out_of_range_is_refused_as_documented(client, schema, relationship, date):
    rel, mentor, _mentee = relationship
    client.force_login(mentor.participant.user)
    refused = client.post(
        reverse("api:relationship_meetings", args=[SLUG, rel.pk]),
        {"date": date, "time": "10:00", "time_zone": "Europe/London"},
        content_type="application/json",
    )
    assert refused.status_code == 409
    conforms(schema, MEETINGS, "post", refused)
    assert refused.json()["detail"].startswith("Choose a date from 2000 to ")
    assert not rel.meetings.exists()


def test_a_proposal_reply_answers_as_documented(
    client, schema, scheme_a, alice, django_capture_on_commit_callbacks
):
    from equimentor.matching import services
    from tests.matching_setup import choose, people

    mentors, mentees = people(scheme_a, alice, mentors=1, mentees=1)
    choose(mentees[0], mentors[0])
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        [proposal] = services.publish(matching_round, actor=alice)
    client.force_login(mentees[0].user)
    url = reverse("api:reply_to_proposal", args=[SLUG, proposal.pk])
    answered = client.post(url, {"answer": "accept"}, content_type="application/json")
    assert answered.status_code == 200
    conforms(schema, REPLY, "post", answered)
    assert answered.json()["my_reply"] == "accept" and answered.json()["id"] == proposal.pk


# -- the schema names every endpoint, and only those (#20) ----------------------------------------

# Views under /api/ that are not endpoints of the API: the schema itself and its rendered reference.
NOT_ENDPOINTS = {"api/schema/", "api/docs/"}
SAMPLE_BY_TYPE = {"integer": "7", "string": "s", "number": "7"}
CONVERTER_SAMPLE = {"int": "7", "slug": "s", "str": "s", "path": "s/t"}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _handles(view, method: str) -> bool:
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    return cls is not None and hasattr(cls, method)


def _served(patterns) -> tuple[set[tuple[str, str]], list[str]]:
    """(route, method) for each method every API view under /api/ handles, and the routes under
    /api/ that are not DRF views at all."""
    served, not_api_views = set(), []
    for route, view in walk_urls(patterns):
        if not route.startswith("api/") or route in NOT_ENDPOINTS:
            continue
        if getattr(view, "cls", None) is None:  # a plain Django view: not in any schema
            not_api_views.append(route)
            continue
        served |= {(route, m) for m in HTTP_METHODS if _handles(view, m)}
    return served, not_api_views


def _documented(schema) -> tuple[set[tuple[str, str]], list[str]]:
    """(route, method) for each documented operation, found by resolving its path with sample
    parameters through Django's URL resolver; and the operations that resolve to nothing or to a
    view that does not handle their method."""
    documented, absent = set(), []
    for route, item in schema["paths"].items():
        params = {p["name"]: p for p in item.get("parameters", [])}
        for method in HTTP_METHODS:
            if method not in item:
                continue
            for p in item[method].get("parameters", []):
                params.setdefault(p["name"], p)

            def sample(m, params=params):
                kind = params.get(m[1], {}).get("schema", {}).get("type", "string")
                return SAMPLE_BY_TYPE[kind]

            url = re.sub(r"\{(\w+)\}", sample, route)
            try:
                match = resolve(url)
            except Resolver404:
                absent.append(f"{method.upper()} {route}")
                continue
            if not _handles(match.func, method):
                absent.append(f"{method.upper()} {route}")
                continue
            documented.add((match.route, method))
    return documented, absent


def schema_mismatches(schema, patterns) -> dict[str, list[str]]:
    served, not_api_views = _served(patterns)
    documented, absent = _documented(schema)
    return {
        "undocumented": sorted(f"{m.upper()} /{r}" for r, m in served - documented),
        "documented but not served": sorted(
            absent + [f"{m.upper()} /{r}" for r, m in documented - served]
        ),
        "plain views under /api/": sorted(not_api_views),
    }


NONE = {"undocumented": [], "documented but not served": [], "plain views under /api/": []}


def test_the_schema_documents_every_api_endpoint_and_nothing_else(schema):
    patterns = get_resolver().url_patterns
    assert schema_mismatches(schema, patterns) == NONE
    served, _ = _served(patterns)
    assert len(served) > 20  # (the walk found the API)


def test_the_schema_walk_can_fail(schema):
    """An endpoint dropped from the schema, an operation added to it that no view handles, a
    path that resolves nowhere, a page documented as an endpoint and a plain view under /api/ are
    each reported."""
    patterns = get_resolver().url_patterns
    doctored = copy.deepcopy(schema)
    del doctored["paths"]["/api/v1/schemes/{slug}/mentors/"]
    doctored["paths"]["/api/v1/schemes/"]["delete"] = {"responses": {}}
    doctored["paths"]["/api/v1/nowhere/{id}/"] = {"get": {"parameters": [], "responses": {}}}
    doctored["paths"]["/api/docs/"] = {"get": {"responses": {}}}  # a page, not an endpoint
    stray = path("api/v1/stray/", lambda request: None)
    found = schema_mismatches(doctored, [*patterns, stray])
    assert found == {
        "undocumented": ["GET /api/v1/schemes/<slug:slug>/mentors/"],
        "documented but not served": [
            "DELETE /api/v1/schemes/",
            "GET /api/docs/",
            "GET /api/v1/nowhere/{id}/",
        ],
        "plain views under /api/": ["api/v1/stray/"],
    }
