"""Matching rounds through the API (#20): a coordinator's token opens a round, closes its
choices, adjusts pairs, runs and publishes it through the round page's services; the long
operations answer 202 with a task a worker runs; nobody else changes or reads anything."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from equimentor.api.models import APITask
from equimentor.api.tasks import run_api_task
from equimentor.core.models import AuditEvent
from equimentor.core.tasks import task_backends
from equimentor.matching import services
from equimentor.matching.models import Adjustment, MatchingRound, Proposal
from tests import factories
from tests.api_setup import bearer, token
from tests.matching_setup import choose, people
from tests.tasks_setup import database_tasks, run_worker

A = "scheme-a"
WRITE = ("matching:read", "matching:write")


def _post(client, url, raw, body=None, **headers):
    return client.post(url, body or {}, content_type="application/json", **bearer(raw), **headers)


@pytest.fixture
def ready(scheme_a, alice, django_capture_on_commit_callbacks):
    """Two mentors, three mentees; the first mentee chose the first mentor."""
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = people(scheme_a, alice, mentors=2, mentees=3)
    choose(mentees[0], mentors[0])
    return mentors, mentees


def test_a_coordinators_token_runs_a_round_end_to_end(
    client, alice, ready, django_capture_on_commit_callbacks
):
    mentors, mentees = ready
    raw = token(alice, *WRITE)
    rounds = reverse("api:matching_rounds", args=[A])
    opened = _post(client, rounds, raw, {"name": "Spring"})
    assert opened.status_code == 201
    round_id = opened.json()["id"]
    assert opened.json()["status"] == "collecting" and opened.json()["name"] == "Spring"
    again = _post(client, rounds, raw, {"name": "Another"})
    assert again.status_code == 409 and "already in progress" in again.json()["detail"]

    with django_capture_on_commit_callbacks(execute=True):
        started = _post(client, reverse("api:close_choices", args=[A, round_id]), raw)
    assert started.status_code == 202
    task = started.json()
    assert task["kind"] == "matching.close_choices" and task["status"] == "queued"
    assert started["Location"] == task["url"]
    polled = client.get(task["url"], **bearer(raw)).json()
    assert polled["status"] == "succeeded" and polled["error"] == ""
    outcome = client.get(polled["result_url"], **bearer(raw)).json()
    assert outcome["id"] == round_id and outcome["status"] == "closed"
    assert outcome["latest_run"]["id"] == polled["result"]["run"]

    # adjust: remove the first choice's pair (the other adjustments: the next test)
    adjust = reverse("api:round_adjustments", args=[A, round_id])
    pair = {"mentee": mentees[0].pk, "mentor": mentors[0].pk}
    assert _post(client, adjust, raw, {"kind": "remove", **pair}).status_code == 201
    run = MatchingRound.objects.get(pk=round_id).latest_run
    assert not run.pairs.filter(mentee=mentees[0], mentor=mentors[0]).exists()
    assert Adjustment.objects.filter(round_id=round_id, kind="exclude").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        rerun = _post(
            client, reverse("api:dry_run", args=[A, round_id]), raw, {"stable_only": False}
        )
    assert rerun.status_code == 202
    assert client.get(rerun.json()["url"], **bearer(raw)).json()["status"] == "succeeded"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        published = _post(client, reverse("api:publish_round", args=[A, round_id]), raw)
    assert published.status_code == 202
    done = client.get(published.json()["url"], **bearer(raw)).json()
    assert done["status"] == "succeeded"
    proposals = Proposal.objects.filter(round_id=round_id)
    assert done["result"]["proposals"] == proposals.count() > 0
    assert MatchingRound.objects.get(pk=round_id).status == "published"
    # every change was audited by the services, naming the token
    actions = set(
        AuditEvent.objects.filter(scheme__slug=A, via_token__isnull=False).values_list(
            "action", flat=True
        )
    )
    assert {
        "matching.round.opened",
        "matching.round.closed",
        "matching.run.made",
        "matching.pair.removed",
        "matching.round.published",
        "matching.proposal.made",
        "api.task.started",
    } <= actions
    assert not AuditEvent.objects.filter(
        action__startswith="matching.", scheme__slug=A, via_token__isnull=True
    ).exists()


def test_adjustments_are_the_round_pages(client, alice, ready, scheme_a):
    mentors, mentees = ready
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    raw = token(alice, *WRITE)
    url = reverse("api:round_adjustments", args=[A, matching_round.pk])
    run = matching_round.latest_run
    [first] = run.pairs.filter(mentee=mentees[0])
    # pin a pair the run made
    pinned = _post(
        client, url, raw, {"kind": "pin", "mentee": mentees[0].pk, "mentor": first.mentor_id}
    )
    assert pinned.status_code == 201
    assert pinned.json() == {
        "kind": "pin",
        "mentee": mentees[0].pk,
        "mentor": first.mentor_id,
        "round": matching_round.pk,
    }
    # a mentor with no free place left is refused with the service's reason, nothing changes
    [unmatched] = [m for m in mentees if not run.pairs.filter(mentee=m).exists()]
    full = _post(
        client, url, raw, {"kind": "add", "mentee": unmatched.pk, "mentor": first.mentor_id}
    )
    assert full.status_code == 409 and full.json()["detail"] == "This mentor has no free place."
    assert Adjustment.objects.filter(round=matching_round).count() == 1
    # remove the other pair, then add the unmatched mentee with that mentor in its place
    [other] = run.pairs.exclude(mentee=mentees[0])
    body = {"kind": "remove", "mentee": other.mentee_id, "mentor": other.mentor_id}
    assert _post(client, url, raw, body).status_code == 201
    body = {"kind": "add", "mentee": unmatched.pk, "mentor": other.mentor_id}
    assert _post(client, url, raw, body).status_code == 201
    assert run.pairs.get(mentee=unmatched).via == "pinned"
    assert not run.pairs.filter(mentee=other.mentee_id).exists()
    assert sorted(
        Adjustment.objects.filter(round=matching_round).values_list("kind", flat=True)
    ) == [
        "exclude",
        "pin",
        "pin",
    ]


def test_bad_input_is_a_400_that_changes_nothing(client, alice, ready, scheme_a, scheme_b):
    mentors, mentees = ready
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    other = factories.register_participant(scheme_b, "elsewhere@example.org", role="mentee")
    raw = token(alice, *WRITE)
    events = AuditEvent.objects.count()
    adjust = reverse("api:round_adjustments", args=[A, matching_round.pk])
    cases = [
        (reverse("api:matching_rounds", args=[A]), {"name": "x" * 500}, "name"),
        (
            reverse("api:dry_run", args=[A, matching_round.pk]),
            {"stable_only": "maybe"},
            "stable_only",
        ),
        (adjust, {"kind": "swap", "mentee": mentees[0].pk, "mentor": mentors[0].pk}, "kind"),
        (adjust, {"kind": "pin", "mentee": mentors[0].pk, "mentor": mentors[1].pk}, "mentee"),
        (adjust, {"kind": "pin", "mentee": other.pk, "mentor": mentors[1].pk}, "mentee"),
        (adjust, {"kind": "pin", "mentee": mentees[0].pk}, "mentor"),
    ]
    for url, body, field in cases:
        response = _post(client, url, raw, body)
        assert response.status_code == 400, (url, body)
        assert field in response.json()["errors"], response.json()
    assert AuditEvent.objects.count() == events
    assert not APITask.objects.exists()
    assert not Adjustment.objects.exists()
    assert MatchingRound.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # real commits: the worker sees what was started
def test_tasks_run_in_a_real_worker(client, alice, scheme_a):
    with database_tasks():
        mentors, mentees = people(scheme_a, alice, mentors=2, mentees=3)
        choose(mentees[0], mentors[0])
        run_worker()  # the registrations' emails
        matching_round = services.open_round(scheme_a, actor=alice)
        raw = token(alice, *WRITE)
        started = _post(client, reverse("api:close_choices", args=[A, matching_round.pk]), raw)
        url = started.json()["url"]
        assert started.status_code == 202
        assert client.get(url, **bearer(raw)).json()["status"] == "queued"
        matching_round.refresh_from_db()
        assert matching_round.status == "collecting"  # nothing happens until a worker runs it
        run_worker()
        polled = client.get(url, **bearer(raw)).json()
        assert polled["status"] == "succeeded" and polled["finished_at"]
        assert polled["result_url"].endswith(
            reverse("api:matching_round", args=[A, matching_round.pk])
        )
        matching_round.refresh_from_db()
        assert matching_round.status == "closed"

        # publish twice: the second task fails with the service's reason, changing nothing
        first = _post(client, reverse("api:publish_round", args=[A, matching_round.pk]), raw)
        second = _post(client, reverse("api:publish_round", args=[A, matching_round.pk]), raw)
        run_worker()
        proposals = Proposal.objects.filter(round=matching_round).count()
        assert client.get(first.json()["url"], **bearer(raw)).json()["status"] == "succeeded"
        failed = client.get(second.json()["url"], **bearer(raw)).json()
        assert failed["status"] == "failed" and failed["result_url"] is None
        assert failed["error"] == "Only a round with closed choices and a dry run can be published."
        assert Proposal.objects.filter(round=matching_round).count() == proposals > 0
        # run again (a worker that died after finishing): nothing happens twice
        assert run_api_task.call(first.json()["id"]) == "succeeded"
        assert Proposal.objects.filter(round=matching_round).count() == proposals


def _every_write(round_id: int, mentee: int, mentor: int):
    return [
        (reverse("api:matching_rounds", args=[A]), {"name": "Mine"}),
        (reverse("api:close_choices", args=[A, round_id]), {}),
        (reverse("api:dry_run", args=[A, round_id]), {}),
        (
            reverse("api:round_adjustments", args=[A, round_id]),
            {"kind": "pin", "mentee": mentee, "mentor": mentor},
        ),
        (reverse("api:publish_round", args=[A, round_id]), {}),
    ]


def test_nobody_else_changes_or_reads_a_round(client, alice, charlie, ready, scheme_a, scheme_b):
    mentors, mentees = ready
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    task = APITask.objects.create(
        scheme=scheme_a, kind="matching.dry_run", params={"round": matching_round.pk}
    )
    participant = token(mentees[0].user, *WRITE)
    other_coordinator = token(charlie, *WRITE)
    read_only = token(alice, "matching:read")
    service = token(alice, *WRITE, scheme=scheme_a)
    events, runs = AuditEvent.objects.count(), matching_round.runs.count()
    writes = _every_write(matching_round.pk, mentees[1].pk, mentors[1].pk)
    for raw in (participant, other_coordinator, read_only):
        for url, body in writes:
            assert _post(client, url, raw, body).status_code == 403, (raw, url)
    for raw in (participant, other_coordinator):
        for url in (
            reverse("api:matching_round", args=[A, matching_round.pk]),
            reverse("api:task", args=[A, task.pk]),
        ):
            assert client.get(url, **bearer(raw)).status_code == 403
    # the coordinator of another scheme, under her own scheme: scheme-a's round and task are not found
    for url, body in _every_write(matching_round.pk, mentees[1].pk, mentors[1].pk)[1:]:
        url = url.replace(f"/{A}/", "/scheme-b/")
        assert _post(client, url, other_coordinator, body).status_code == 404, url
    assert (
        client.get(
            reverse("api:task", args=["scheme-b", task.pk]), **bearer(other_coordinator)
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("api:matching_round", args=["scheme-b", matching_round.pk]),
            **bearer(other_coordinator),
        ).status_code
        == 404
    )
    # a service token of scheme-a reads its task; one of scheme-b does not
    assert client.get(reverse("api:task", args=[A, task.pk]), **bearer(service)).status_code == 200
    assert AuditEvent.objects.count() == events
    assert APITask.objects.count() == 1
    assert matching_round.runs.count() == runs
    assert MatchingRound.objects.filter(scheme=scheme_b).count() == 0


def test_a_task_the_queue_refuses_fails_with_a_message_not_queued_for_ever(
    client, alice, ready, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    raw = token(alice, *WRITE)
    round_id = _post(client, reverse("api:matching_rounds", args=[A]), raw, {"name": "S"}).json()[
        "id"
    ]

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    # the configured backend refuses every task, as one whose broker is down does
    monkeypatch.setattr(type(task_backends["default"]), "enqueue", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        started = _post(client, reverse("api:close_choices", args=[A, round_id]), raw)
    assert started.status_code == 202
    polled = client.get(started.json()["url"], **bearer(raw)).json()
    assert polled["status"] == "failed"
    assert polled["error"].startswith("The operation could not be started")
    # nothing happened to the round, and the log names the task, not the person
    assert MatchingRound.objects.get(pk=round_id).status == "collecting"
    assert "could not be handed to the task queue" in caplog.text
    assert alice.email not in caplog.text
