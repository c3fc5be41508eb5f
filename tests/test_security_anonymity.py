"""Anonymous responses cannot be linked to their invitations by someone who reads the whole
database (#23): a DBA, a backup. Before, a response, its invitation's "answered" flag and an audit
event were written in one transaction, so on PostgreSQL they shared ``xmin``, and on either
database the responses' row order was the order people answered in.

Real commits (``transaction=True``): run on PostgreSQL too (CI's PostgreSQL pass), where the
transaction ids and the physical row order (``ctid``) are read as a DBA would.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from equimentor.core.models import AuditEvent
from equimentor.evaluation import services
from equimentor.evaluation.models import (
    EvaluationSettings,
    Invitation,
    PendingResponse,
    Response,
)
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 5  # the default threshold: one batch per questionnaire
RUNS = 20


def _definition(n: int) -> dict:
    return {
        "code": f"pulse-{n}",
        "title": f"Pulse {n}",
        "wave": "month_6",
        "items": [{"code": "who", "type": "text", "text": "Anything to add?"}],
    }


def _rows(table: str) -> list[tuple]:
    """(physical position, transaction id or None, primary key) of every row, as a DBA sees
    them: ``ctid`` and ``xmin`` on PostgreSQL, ``rowid`` on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT ctid::text, xmin::text::bigint, id FROM {table}")
            return [
                (tuple(int(x) for x in ctid.strip("()").split(",")), xid, str(pk))
                for ctid, xid, pk in cursor.fetchall()
            ]
        cursor.execute(f"SELECT rowid, id FROM {table}")
        return [((rowid,), None, str(pk)) for rowid, pk in cursor.fetchall()]


def _pk(value) -> str:
    return str(value).replace("-", "") if connection.vendor == "sqlite" else str(value)


def _guesses(invitations: list[Invitation], order_answered: list[int]) -> dict[str, dict]:
    """Each strategy's guess: response pk -> invitation pk."""
    rows = {pk: (pos, xid) for pos, xid, pk in _rows("evaluation_response")}
    responses = list(Response.objects.filter(questionnaire=invitations[0].questionnaire))
    inv_rows = {pk: (pos, xid) for pos, xid, pk in _rows("evaluation_invitation")}
    strategies = {}
    # 1. responses in the order they sit in the table were the answers in the order given
    by_position = sorted(responses, key=lambda r: rows[_pk(r.pk)][0])
    strategies["row order"] = {
        r.pk: inv for r, inv in zip(by_position, order_answered, strict=True)
    }
    # 2. the same by transaction id, then position (PostgreSQL)
    if connection.vendor == "postgresql":
        by_xid = sorted(responses, key=lambda r: (rows[_pk(r.pk)][1], rows[_pk(r.pk)][0]))
        invs_by_xid = sorted(invitations, key=lambda i: inv_rows[str(i.pk)][1])
        strategies["transaction order"] = {
            r.pk: i.pk for r, i in zip(by_xid, invs_by_xid, strict=True)
        }
        # 3. the invitation whose change has the nearest transaction id
        strategies["nearest transaction"] = {
            r.pk: min(
                invitations,
                key=lambda i: (abs(inv_rows[str(i.pk)][1] - rows[_pk(r.pk)][1]), i.pk),
            ).pk
            for r in responses
        }
    # 4. the answers' own rows, in table order
    answer_rows = {pk: pos for pos, _x, pk in _rows("evaluation_answer")}
    by_answer = sorted(
        responses, key=lambda r: min(answer_rows[_pk(a.pk)] for a in r.answers.all())
    )
    strategies["answer row order"] = {
        r.pk: inv for r, inv in zip(by_answer, order_answered, strict=True)
    }
    return strategies


def test_given_the_whole_database_a_response_links_to_its_invitation_no_better_than_chance():
    scheme = factories.make_scheme(name="Anon", slug="anon")
    coordinator = factories.make_staff(scheme, "coordinator")
    people = [
        factories.register_participant(scheme, f"p{n}@example.org", approve_by=coordinator)
        for n in range(PEOPLE)
    ]
    conf = EvaluationSettings.for_scheme(scheme)
    assert conf.k == PEOPLE
    rng = random.Random(23)
    correct: dict[str, int] = {}
    batches = 0
    for run in range(RUNS):
        questionnaire = services.save_definition(scheme, _definition(run), actor=coordinator)
        invitations = [
            services.invite(questionnaire, p, "mentee", now=timezone.now(), conf=conf)
            for p in people
        ]
        order = list(range(PEOPLE))
        rng.shuffle(order)
        for n, i in enumerate(order):
            services.submit_response(invitations[i], {"who": (None, f"person {i}")})
            waiting = PendingResponse.objects.filter(questionnaire=questionnaire)
            if n < PEOPLE - 1:  # sealed, and not stored, until the batch is full
                assert waiting.count() == n + 1
                assert not Response.objects.filter(questionnaire=questionnaire).exists()
                assert not any(f"person {i}" in p.sealed for p in waiting)
        assert not PendingResponse.objects.exists()
        batches += 1
        truth = {
            r.pk: invitations[int(r.answers.get().text.split()[-1])].pk
            for r in Response.objects.filter(questionnaire=questionnaire).prefetch_related(
                "answers"
            )
        }
        assert len(truth) == PEOPLE
        if connection.vendor == "postgresql":
            xids = {xid for _p, xid, _pk in _rows("evaluation_response")}
            inv_xids = {xid for _p, xid, _pk in _rows("evaluation_invitation")}
            assert not xids & inv_xids  # never in an invitation's transaction
        guesses = _guesses(invitations, [invitations[i].pk for i in order])
        for name, guess in guesses.items():
            correct[name] = correct.get(name, 0) + sum(guess[r] == truth[r] for r in truth)
    # Chance: a random match of 5 gets 1 right on average (variance 1), so RUNS in all; a
    # strategy that links gets 5 a run (all of them, before). The bound is chance plus 4.5
    # standard deviations (a false alarm about once in 100,000 runs of this test).
    bound = RUNS + 4.5 * RUNS**0.5
    assert correct and max(correct.values()) <= bound, correct
    # and the audit trail holds one event per batch, none per answer, none naming anyone
    stored = AuditEvent.objects.filter(action="evaluation.responses.stored")
    assert stored.count() == batches and {e.data["count"] for e in stored} == {PEOPLE}
    assert not AuditEvent.objects.filter(action__startswith="evaluation.response.").exists()
    assert {r.month for r in Response.objects.all()} == {timezone.localdate().replace(day=1)}


def test_the_last_answers_are_stored_when_nobody_else_can_answer():
    scheme = factories.make_scheme(name="Anon", slug="anon")
    coordinator = factories.make_staff(scheme, "coordinator")
    people = [
        factories.register_participant(scheme, f"q{n}@example.org", approve_by=coordinator)
        for n in range(3)
    ]
    conf = EvaluationSettings.for_scheme(scheme)
    questionnaire = services.save_definition(scheme, _definition(0), actor=coordinator)
    invitations = [
        services.invite(questionnaire, p, "mentee", now=timezone.now(), conf=conf) for p in people
    ]
    services.submit_response(invitations[0], {"who": (None, "a")})
    services.submit_response(invitations[1], {"who": (None, "b")})
    assert PendingResponse.objects.count() == 2 and not Response.objects.exists()
    # the third never answers; once the questionnaire closes the tick stores the two
    Invitation.objects.filter(pk=invitations[2].pk).update(
        closes_on=timezone.localdate() - timedelta(days=1)
    )
    from equimentor.evaluation.scheduler import run

    assert run()["evaluation_stored"] == 2
    assert Response.objects.count() == 2 and not PendingResponse.objects.exists()
