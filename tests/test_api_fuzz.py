"""The API fuzzed against its own schema (#20): schemathesis generates requests for every operation
of the live schema (``/api/schema/``) and sends them, through the WSGI application in this process
(no network), with a bearer token of each role of the demo's scheme, every scope granted:
participant mentee, mentor, coordinator (personal and service token), committee member,
evaluator. A second scheme holds people, a round, a relationship, meetings and goals of its own.

Requests are valid by the schema or not (schemathesis's positive and negative modes). Every answer
must be no server error; documented in the schema (status, content type, body); a refusal when
the request broke the schema; and hold nothing of the second scheme: its people's names and
addresses, its institutions and its slug (outside the public list of schemes) never appear.

Bounded: ``FUZZ_EXAMPLES`` requests per operation and role (path parameters drawn from the role's
own rows, the second scheme's rows, or generated, a third of the time each), no deadline (a slow
machine is no failure; the benchmarks measure speed), derandomized, no example database. With
20 and 54 operations (325 tests), 93 s on two workers on SQLite, about 100 s on PostgreSQL, on a
machine loaded by other work; 457 tests since the webhook, invitation and session operations. Set ``EQUIMENTOR_FUZZ_EXAMPLES`` (e.g. 200) for a longer run.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.db.models import Q
from django.test import override_settings
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from equimentor.accounts.models import APIToken, User
from equimentor.api import services as tokens
from equimentor.api.scopes import PUBLIC, SCOPES, endpoint_of
from equimentor.core.roles import Role
from equimentor.matching.models import MatchingRound, Proposal
from equimentor.relationships import services as relationships
from equimentor.relationships.models import CheckIn, Goal, Meeting, Relationship
from equimentor.schemes.models import Scheme, StaffRole
from tests import factories
from tests.matching_setup import people
from tests.relationships_setup import accepted, member, plan

FUZZ_EXAMPLES = int(os.environ.get("EQUIMENTOR_FUZZ_EXAMPLES", "20"))
OTHER = "quokka-scheme"  # the second scheme; every name and address in it says "Quokka"
MARKERS = re.compile(r"quokka|Tom Ellery", re.I)  # (Tom Ellery coordinates the demo's other scheme)
ROLES = ["mentee", "mentor", "coordinator", "service", "committee", "evaluator"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the schema, for the test ids."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def world(seeded_demo, django_db_blocker):
    """The demo's scheme, its people's tokens, and the second scheme with data of its own: made
    once per module, inside the demo's transaction (rolled back at the module's end)."""
    with django_db_blocker.unblock():
        horizons = Scheme.objects.get(pk=seeded_demo)
        coordinator = User.objects.get(email__startswith="coordinator@")
        committee = factories.make_staff(horizons, Role.COMMITTEE, full_name="Cora Committee")
        users = {
            "mentee": User.objects.get(email__startswith="mentee@"),
            "mentor": User.objects.get(email__startswith="mentor@"),
            "coordinator": coordinator,
            "committee": committee,
            "evaluator": User.objects.get(email__startswith="evaluator@"),
        }
        raw = {}
        for role, user in users.items():
            _, raw[role] = tokens.create_token(
                user, name="fuzz", scopes=list(SCOPES), days=7, scheme=None, actor=user
            )
        _, raw["service"] = tokens.create_token(
            coordinator,
            name="fuzz",
            scopes=list(SCOPES),
            days=7,
            scheme=horizons,
            actor=coordinator,
        )
        _second_scheme()
        other = Scheme.objects.get(slug=OTHER)
        own = {role: _rows(horizons, user) for role, user in users.items()}
        own["service"] = own["coordinator"]
        return {"scheme": horizons, "tokens": raw, "own": own, "other": _rows(other)}


def _rows(scheme, user=None) -> dict[str, list[int]]:
    """Ids a request might name, by the path segment before them (``relationships/{id}``): in
    ``scheme``, those ``user`` takes part in (a member) or oversees (staff: a few of each), or
    (no user) all of them."""
    rels = Relationship.objects.filter(scheme=scheme)
    proposals = Proposal.objects.filter(scheme=scheme)
    check_ins = CheckIn.objects.filter(relationship__scheme=scheme)
    staff = user is None or StaffRole.objects.filter(scheme=scheme, user=user).exists()
    if user is not None and not staff:
        rels = rels.filter(memberships__participant__user=user)
        proposals = proposals.filter(Q(mentee__user=user) | Q(mentor__user=user))
        check_ins = check_ins.filter(participant__user=user)
    rows = {
        "relationships": rels,
        "meetings": Meeting.objects.filter(relationship__in=rels),
        "goals": Goal.objects.filter(relationship__in=rels),
        "check-ins": check_ins,
        "proposals": proposals,
        "matching-rounds": MatchingRound.objects.filter(scheme=scheme) if staff else None,
        "registrations": scheme.participants.all() if staff else None,
    }
    return {
        segment: sorted(query.order_by("pk").values_list("pk", flat=True).distinct()[:20]) or [1]
        for segment, query in rows.items()
        if query is not None
    }


def _second_scheme() -> None:
    """A second scheme with its coordinator, committee and evaluator, approved people, a published
    round, a relationship with a meeting and a goal."""
    other = factories.make_scheme(name="Quokka Scheme", slug=OTHER)
    coordinator = factories.make_staff(
        other, Role.COORDINATOR, full_name="Quokka Coordinator", email="quokka-coord@example.org"
    )
    for role in (Role.COMMITTEE, Role.EVALUATOR):
        factories.make_staff(other, role, full_name=f"Quokka {role.label}")
    mentors, mentees = people(other, coordinator, mentors=2, mentees=2, tag="quokka")
    rel = accepted(other, coordinator, mentors[0], mentees[0])
    mentee_m, mentor_m = member(rel, mentees[0]), member(rel, mentors[0])
    relationships.schedule_meeting(
        rel,
        mentor_m,
        plan("2031-03-03T10:00", location="Quokka Hall"),
        actor=mentor_m.participant.user,
    )
    relationships.add_goal(
        rel,
        mentee_m,
        title="Quokka goal",
        detail="Quokka detail",
        target_date=relationships.today() + timedelta(days=30),
        actor=mentee_m.participant.user,
    )


@pytest.fixture(scope="module")
def app():
    """Django's WSGI application, without closing the database connection around each request
    (as Django's test client does): the requests run inside the test's transaction."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    with override_settings(ALLOWED_HOSTS=["localhost"]):  # (schemathesis's Host)
        yield WSGIHandler()
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(scope="module")
def live_schema(app, world, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)


def _public(path: str) -> bool:
    """Whether the operation serves anyone's records (the list of schemes names every scheme)."""
    view = resolve(re.sub(r"\{(\w+)\}", lambda m: "s" if m[1] == "slug" else "7", path)).func
    endpoint = endpoint_of(view.cls)
    return endpoint is not None and endpoint.serves == PUBLIC


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_answers_as_its_schema_says(
    db, settings_override, live_schema, world, role, method, path
):
    operation = live_schema[path][method.lower()]
    slug = world["scheme"].slug
    header = {"Authorization": f"Bearer {world['tokens'][role]}"}
    public = _public(path)
    names = [p.name for p in operation.path_parameters]

    def ids(pool, name):
        """The pool's ids for the segment before ``{name}``; every id for a segment it lacks."""
        segment = re.search(r"([\w-]+)/\{" + name + r"\}", path)
        everything = sorted({i for v in pool.values() for i in v})
        return pool.get(segment[1] if segment else "", everything)

    def params(slugs, pool):
        return st.fixed_dictionaries(
            {n: st.sampled_from(slugs if n == "slug" else ids(pool, n)) for n in names}
        )

    # The path names the demo's scheme and the role's own rows (their relationship, meetings,
    # goals, proposals; a coordinator's rounds and registrations), or the second scheme's rows
    # under either scheme, or anything generated (other slugs, any ids).
    paths = st.one_of(
        params([slug], world["own"][role]),
        params([slug, OTHER], world["other"]),
        st.just({}),
    )

    @given(data=st.data())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(data):
        fixed = data.draw(paths, label="path") if names else {}
        mode = data.draw(
            st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]), label="mode"
        )
        strategy = operation.as_strategy(mode, path_parameters=fixed or None)
        case = data.draw(strategy, label="case")
        response = case.call(headers=header)
        case.validate_response(response, checks=CHECKS, headers=header)
        text = response.text
        if not public:
            assert not MARKERS.search(text), f"{case.method} {case.formatted_path}: {text[:500]}"
            assert OTHER not in text

    fuzz()


@pytest.fixture
def settings_override(settings):
    settings.API_TOKEN_RATE = "100000/min"  # the limit is tested on its own


def test_the_tokens_work_and_reach_the_schemes_data(db, app, world, live_schema):
    """The fuzz is not all refusals: each role's token reads what that role may read."""
    from werkzeug.test import Client

    client = Client(app)
    slug = world["scheme"].slug

    def get(role, url):
        answer = client.get(url, headers={"Authorization": f"Bearer {world['tokens'][role]}"})
        return answer.status_code

    assert get("mentee", f"/api/v1/me/schemes/{slug}/relationships/") == 200
    assert get("mentor", f"/api/v1/me/schemes/{slug}/relationships/") == 200
    assert get("coordinator", f"/api/v1/schemes/{slug}/registrations/") == 200
    assert get("service", f"/api/v1/schemes/{slug}/registrations/") == 200
    assert get("committee", f"/api/v1/schemes/{slug}/reports/") == 200
    assert get("evaluator", f"/api/v1/schemes/{slug}/registrations/") == 403
    assert get("coordinator", f"/api/v1/schemes/{OTHER}/registrations/") == 403
    assert APIToken.objects.filter(name="fuzz").count() == len(ROLES)
    assert set(live_schema.raw_schema["paths"]) == {p for _, p in OPERATIONS}
