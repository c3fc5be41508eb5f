"""The API's conventions (#20, docs/api.md "Conventions"): every error a problem document
(RFC 9457), cursor pagination, ETag / If-Match on updates, idempotency keys on POSTs that send
email."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from equimentor.api import services as token_services
from equimentor.api.idempotency import purge_expired
from equimentor.api.models import IdempotencyKey
from equimentor.core import jobs
from equimentor.directory import services as directory_services
from equimentor.enrolment.models import Participant
from equimentor.relationships import services as relationship_services
from tests import directory_support as support
from tests import factories
from tests.api_setup import PROBLEM_JSON, problem
from tests.relationships_setup import accepted, member, pair

HTTP_METHODS = ("get", "put", "patch", "post", "delete")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    """(url, method) for each documented operation, its path filled with sample values that
    name nothing (ids) or scheme-a."""
    for route, item in schema["paths"].items():
        if not route.startswith("/api/v1/"):
            continue
        url = re.sub(r"\{slug\}", "scheme-a", route)
        url = re.sub(r"\{\w+\}", "987654", url)
        for method in HTTP_METHODS:
            if method in item:
                yield url, method


def _is_problem(response) -> None:
    assert response["Content-Type"] == PROBLEM_JSON, (response.request, response.content)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == response.status_code
    assert isinstance(body["detail"], str) and body["detail"]
    if response.status_code == 400 and body["type"].endswith("invalid-input"):
        assert body["errors"] and all(isinstance(v, list) for v in body["errors"].values())


def _bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_every_api_error_is_a_problem_document(client, settings, schema, scheme_a, alice):
    """Each documented operation, called as nobody, with a broken token, with a token lacking
    its scope, as a member with nothing there, with a body that is not JSON, with a method it
    does not allow and past the rate limit: every error answered is application/problem+json
    with type, title, status (the response's) and detail."""
    settings.API_TOKEN_RATE = "1000/min"
    # one broken token per operation, from one address: more than that address may send
    settings.RATELIMITS = {**settings.RATELIMITS, "api_token_failures_per_address": "10000/h"}
    mentee = support.mentee(scheme_a, alice)
    _, narrow = token_services.create_token(
        mentee.user, name="t", scopes=["schemes:read"], days=None, scheme=None, actor=mentee.user
    )
    seen: dict[int, int] = {}

    def check(response):
        assert response.status_code < 500, (response.request, response.content)
        if response.status_code >= 400:
            _is_problem(response)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1

    operations = list(_operations(schema))
    assert len(operations) > 20
    for url, method in operations:
        call = getattr(client, method)
        body = {"data": "{not json", "content_type": "application/json"}
        check(call(url, **({} if method == "get" else body)))  # nobody
        check(call(url, **_bearer("eqm_nothing_here")))
        check(call(url, **_bearer(narrow)))
        client.force_login(mentee.user)
        check(call(url, **({} if method == "get" else body)))
        check(client.delete(url))  # no API operation deletes
        client.logout()
    for code in (400, 401, 403, 404, 405):
        assert seen.get(code), (code, seen)

    settings.API_TOKEN_RATE = "1/min"
    _, fresh = token_services.create_token(
        mentee.user, name="t", scopes=["schemes:read"], days=None, scheme=None, actor=mentee.user
    )
    url = reverse("api:schemes")
    assert client.get(url, **_bearer(fresh)).status_code == 200
    throttled = client.get(url, **_bearer(fresh))
    assert throttled.status_code == 429 and "Retry-After" in throttled
    _is_problem(throttled)


def test_invalid_input_names_each_field(client, scheme_a, alice):
    mentee = support.mentee(scheme_a, alice)
    client.force_login(mentee.user)
    url = reverse("api:my_choices", args=["scheme-a"])
    tag = client.get(url)["ETag"]
    response = client.put(
        url,
        {"choices": [{"mentor": 1}, {"mentor": "x", "note": "n" * 5000}]},
        "application/json",
        HTTP_IF_MATCH=tag,
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == "urn:equimentor:problem:invalid-input"
    assert body["title"] == "Invalid input"
    assert set(body["errors"]) == {"choices.1.mentor", "choices.1.note"}
    assert body["detail"] == "Some fields are invalid: choices.1.mentor, choices.1.note."
    one = client.put(url, {}, "application/json", HTTP_IF_MATCH=tag).json()
    assert one["errors"] == {"choices": ["This field is required."]}
    assert one["detail"] == "choices: This field is required."


def test_a_bad_query_parameter_is_named(client, alice):
    client.force_login(alice)
    response = client.get(reverse("api:scheme_relationships", args=["scheme-a"]), {"weeks": "0"})
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM_JSON
    assert list(response.json()["errors"]) == ["weeks"]


def test_the_existing_texts_and_challenges_stay(client, alice):
    response = client.get(
        reverse("api:registrations", args=["scheme-a"]), **_bearer("eqm_nothing_here")
    )
    assert response.status_code == 401
    assert response.json() == problem(401, "Invalid token.")
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_the_browsable_api_still_answers_errors_in_html(client, scheme_a):
    response = client.get(reverse("api:registrations", args=["scheme-a"]), HTTP_ACCEPT="text/html")
    assert response.status_code == 403 and response["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_errors_as_problems(schema):
    assert set(schema["components"]["schemas"]["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
    }
    for route, item in schema["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            responses = item[method]["responses"]
            assert {"401", "403", "429"} <= set(responses), (route, method)
            if "{" in route:
                assert "404" in responses, (route, method)
            if method in ("put", "patch", "post"):
                assert "400" in responses, (route, method)
            for code, answer in responses.items():
                if int(code) >= 400:
                    assert list(answer["content"]) == [PROBLEM_JSON], (route, method, code)


# -- cursor pagination ----------------------------------------------------------------------------


def _walk(client, url, **params):
    """Every page from ``url`` by following next; the results in order and the pages."""
    results, pages = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        data = response.json()
        assert set(data) == {"next", "previous", "results"}
        results += data["results"]
        pages += 1
        if not data["next"]:
            return results, pages
        response = client.get(data["next"])


def test_lists_page_with_cursors_in_a_stable_order(client, scheme_a, alice, institution):
    people = [
        factories.register_participant(scheme_a, f"p{i}@example.org", institution=institution)
        for i in range(7)
    ]
    client.force_login(alice)
    url = reverse("api:registrations", args=["scheme-a"])
    everyone = [p["id"] for p in client.get(url).json()["results"]]
    assert sorted(everyone) == sorted(p.pk for p in people)
    rows, pages = _walk(client, url, page_size=3)
    assert ([r["id"] for r in rows], pages) == (everyone, 3)
    # a row added between pages neither repeats nor pushes another out of the walk
    first = client.get(url, {"page_size": 3}).json()
    factories.register_participant(scheme_a, "late@example.org", institution=institution)
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == everyone[3:6]
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == everyone[:3]


def test_bad_paging_and_filters_are_400s_naming_the_parameter(client, scheme_a, alice):
    client.force_login(alice)
    url = reverse("api:registrations", args=["scheme-a"])
    for params, name in (
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"status": "sleeping"}, "status"),
    ):
        response = client.get(url, params)
        assert response.status_code == 400 and response["Content-Type"] == PROBLEM_JSON, params
        assert list(response.json()["errors"]) == [name]
    relationships = reverse("api:scheme_relationships", args=["scheme-a"])
    for params, name in (({"state": "asleep"}, "state"), ({"kind": "trio"}, "kind")):
        response = client.get(relationships, params)
        assert response.status_code == 400 and list(response.json()["errors"]) == [name]
    assert client.get(url, {"status": "registered"}).status_code == 200
    assert client.get(relationships, {"state": "open", "kind": "group"}).status_code == 200


def test_the_directory_pages_in_the_order_mentees_see(client, scheme_a, alice):
    mentors = [support.mentor(scheme_a, alice) for _ in range(5)]
    client.force_login(support.mentee(scheme_a, alice).user)
    url = reverse("api:directory_mentors", args=["scheme-a"])
    order = [m["id"] for m in client.get(url).json()["results"]]
    assert sorted(order) == sorted(m.pk for m in mentors)
    rows, pages = _walk(client, url, page_size=2)
    assert ([r["id"] for r in rows], pages) == (order, 3)
    # the order moves between pages (one shown before is unlisted): the next page resumes after
    # the last mentor shown, skipping no one
    first = client.get(url, {"page_size": 2}).json()
    gone = Participant.objects.get(pk=order[0])
    directory_services.update_listing(gone, actor=gone.user, is_published=False)
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == order[2:4]


def test_a_list_costs_the_same_queries_however_long(client, scheme_a, alice, institution):
    """Registrations, one's participations, the scheme's relationships and rounds."""
    client.force_login(alice)
    urls = [
        reverse("api:registrations", args=["scheme-a"]),
        reverse("api:my_participations"),
        reverse("api:scheme_relationships", args=["scheme-a"]),
        reverse("api:matching_rounds", args=["scheme-a"]),
    ]

    def costs():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries.captured_queries))
        return out

    factories.register_participant(scheme_a, "one@example.org", institution=institution)
    few = costs()
    for i in range(12):
        factories.register_participant(scheme_a, f"more{i}@example.org", institution=institution)
    assert costs() == few


# -- ETag / If-Match ------------------------------------------------------------------------------


@pytest.fixture
def goal_url(client, scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mentee = member(rel, mentees[0])
    client.force_login(mentee.participant.user)
    made = client.post(
        reverse("api:relationship_goals", args=["scheme-a", rel.pk]),
        {"title": "Write a grant", "target_date": "2031-01-01"},
        "application/json",
    )
    assert made.status_code == 201
    return reverse("api:relationship_goal", args=["scheme-a", rel.pk, made.json()["id"]])


def test_a_lost_update_is_refused(client, goal_url):
    read = client.get(goal_url)
    tag = read["ETag"]
    assert read.status_code == 200 and tag.startswith('"') and read.json()["progress"] == 0
    assert client.get(goal_url, HTTP_IF_NONE_MATCH=tag).status_code == 304

    missing = client.patch(goal_url, {"progress": 30}, "application/json")
    assert missing.status_code == 428 and missing["Content-Type"] == PROBLEM_JSON
    assert missing.json()["type"] == "urn:equimentor:problem:precondition-required"
    # missing If-Match is said first, before any field error in the body
    invalid = client.patch(goal_url, {"progress": "lots"}, "application/json")
    assert invalid.status_code == 428
    assert invalid.json()["type"] == "urn:equimentor:problem:precondition-required"
    assert (
        client.patch(
            goal_url, {"progress": "lots"}, "application/json", HTTP_IF_MATCH=tag
        ).status_code
        == 400
    )

    first = client.patch(goal_url, {"progress": 30}, "application/json", HTTP_IF_MATCH=tag)
    assert first.status_code == 200 and first["ETag"] != tag
    assert first["ETag"] == client.get(goal_url)["ETag"]
    # a second writer who read before the first wrote: refused, nothing changed
    stale = client.patch(goal_url, {"progress": 60}, "application/json", HTTP_IF_MATCH=tag)
    assert stale.status_code == 412 and stale["Content-Type"] == PROBLEM_JSON
    assert stale.json()["type"] == "urn:equimentor:problem:precondition-failed"
    assert client.get(goal_url).json()["progress"] == 30
    again = client.patch(
        goal_url, {"progress": 60}, "application/json", HTTP_IF_MATCH=first["ETag"]
    )
    assert again.status_code == 200 and again.json()["progress"] == 60


def test_choices_are_replaced_only_over_what_was_read(client, scheme_a, alice):
    mentors = [support.mentor(scheme_a, alice) for _ in range(2)]
    client.force_login(support.mentee(scheme_a, alice).user)
    url = reverse("api:my_choices", args=["scheme-a"])
    tag = client.get(url)["ETag"]
    one = {"choices": [{"mentor": mentors[0].pk}]}
    assert client.put(url, one, "application/json").status_code == 428
    assert client.put(url, {"choices": "none"}, "application/json").status_code == 428
    done = client.put(url, one, "application/json", HTTP_IF_MATCH=tag)
    assert done.status_code == 200 and done["ETag"] == client.get(url)["ETag"]
    two = {"choices": [{"mentor": mentors[1].pk}]}
    assert client.put(url, two, "application/json", HTTP_IF_MATCH=tag).status_code == 412
    assert [c["mentor"] for c in client.get(url).json()["choices"]] == [mentors[0].pk]


def test_the_schema_documents_if_match(schema):
    for route, method in (
        ("/api/v1/me/schemes/{slug}/choices/", "put"),
        ("/api/v1/me/schemes/{slug}/relationships/{id}/goals/{gid}/", "patch"),
    ):
        operation = schema["paths"][route][method]
        assert {"412", "428"} <= set(operation["responses"])
        [header] = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "If-Match" and header["required"] is True


# -- idempotency keys -----------------------------------------------------------------------------


@pytest.fixture
def meetings(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return rel, member(rel, mentors[0]).participant.user


def _plan(days: int = 9) -> dict:
    when = (timezone.now() + timedelta(days=days)).date().isoformat()
    return {"date": when, "time": "10:00", "time_zone": "Europe/London"}


def test_a_repeated_post_is_answered_again_and_sends_nothing(
    client, meetings, django_capture_on_commit_callbacks
):
    rel, mentor = meetings
    client.force_login(mentor)
    url = reverse("api:relationship_meetings", args=["scheme-a", rel.pk])
    key = {"HTTP_IDEMPOTENCY_KEY": "7b0e2a52-1f8c-4f36-9d0e-2c1d7b5e9a10"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, _plan(), "application/json", **key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    sent = len(mail.outbox)
    assert sent >= 1  # the invitations
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, _plan(), "application/json", **key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert rel.meetings.count() == 1 and len(mail.outbox) == sent
    # the same key with another request: 422, nothing done
    other = client.post(url, _plan(days=10), "application/json", **key)
    assert other.status_code == 422 and other["Content-Type"] == PROBLEM_JSON
    assert other.json()["type"] == "urn:equimentor:problem:idempotency-key-reused"
    assert rel.meetings.count() == 1
    # without a key a POST is as before; a key is the caller's own
    assert client.post(url, _plan(days=11), "application/json").status_code == 201
    bad = client.post(url, _plan(days=12), "application/json", HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["Idempotency-Key"]


def test_a_refused_post_keeps_no_answer_and_keys_expire(client, meetings, settings):
    rel, mentor = meetings
    client.force_login(mentor)
    url = reverse("api:relationship_meetings", args=["scheme-a", rel.pk])
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-me"}
    refused = client.post(url, {**_plan(), "date": "1899-01-01"}, "application/json", **key)
    assert refused.status_code == 409 and not IdempotencyKey.objects.exists()
    assert client.post(url, _plan(), "application/json", **key).status_code == 201
    assert IdempotencyKey.objects.count() == 1
    assert purge_expired()["deleted"] == 0
    assert purge_expired(timezone.now() + timedelta(hours=25))["deleted"] == 1
    assert "api.idempotency_keys" in {job.name for job in jobs.registered()}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL")
def test_concurrent_repeats_do_it_once(scheme_a, alice, monkeypatch):
    """Two requests with one key, forced to overlap: the first holds its key's row, uncommitted,
    inside the operation until the second is seen waiting on that row in PostgreSQL; then the
    first finishes and the second answers with the first's answer."""
    rel, mentor = accepted_pair(scheme_a, alice)
    url = reverse("api:relationship_meetings", args=["scheme-a", rel.pk])
    inside, go_on = threading.Event(), threading.Event()
    real = relationship_services.schedule_meeting
    calls = []

    def held(*args, **kwargs):
        calls.append(1)
        inside.set()
        assert go_on.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(relationship_services, "schedule_meeting", held)
    answers = []

    def call():
        try:
            c = Client()
            c.force_login(mentor)
            answers.append(
                c.post(url, _plan(), "application/json", HTTP_IDEMPOTENCY_KEY="same-key")
            )
        finally:
            connections.close_all()

    first = threading.Thread(target=call)
    first.start()
    assert inside.wait(30)  # the first holds the key's row, not committed
    second = threading.Thread(target=call)
    second.start()
    waiting = False
    with connection.cursor() as cursor:
        for _ in range(300):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%%idempotencykey%%'"
            )
            if cursor.fetchone()[0]:
                waiting = True
                break
            time.sleep(0.05)
    go_on.set()
    for t in (first, second):
        t.join(60)
    assert waiting  # the second request really waited on the first's key
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert len(calls) == 1 and rel.meetings.count() == 1


def accepted_pair(scheme, coordinator):
    mentors, mentees = pair(scheme, coordinator)
    rel = accepted(scheme, coordinator, mentors[0], mentees[0])
    return rel, member(rel, mentors[0]).participant.user


def test_the_schema_documents_idempotency_keys(schema):
    operation = schema["paths"]["/api/v1/me/schemes/{slug}/relationships/{id}/meetings/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert {"409", "422"} <= set(operation["responses"])
    assert "Idempotency-Key" in str(
        schema["paths"]["/api/v1/me/schemes/{slug}/proposals/{id}/reply/"]
    )


def test_a_members_lists_cost_the_same_queries_however_long(client, meetings):
    """A member's meetings and relationships: one meeting or six, the same queries."""
    rel, mentor = meetings
    client.force_login(mentor)
    url = reverse("api:relationship_meetings", args=["scheme-a", rel.pk])
    urls = [url, reverse("api:my_relationships", args=["scheme-a"])]

    def costs():
        out = []
        for each in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(each).status_code == 200
            out.append(len(queries.captured_queries))
        return out

    assert client.post(url, _plan(days=3), "application/json").status_code == 201
    few = costs()
    for days in range(4, 9):
        assert client.post(url, _plan(days=days), "application/json").status_code == 201
    assert len(client.get(url).json()["results"]) == 6
    assert costs() == few
