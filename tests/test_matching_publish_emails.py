"""Publishing a round stores its proposals in a constant number of queries and leaves the emails
to a task, which sends each side its proposal once, however often it runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from equimentor.core.models import AuditEvent, OutgoingEmail
from equimentor.core.tasks import task_backends
from equimentor.matching import services, tasks
from equimentor.matching.models import MatchingRound, Proposal
from tests import factories
from tests.matching_setup import people
from tests.tasks_setup import database_tasks, run_worker


def _people(scheme, coordinator, n):
    for i in range(n):
        mentor = factories.register_participant(
            scheme, f"{scheme.slug}-mentor{i}@example.org", role="mentor", approve_by=coordinator
        )
        mentor.mentor_capacity = 1
        mentor.save(update_fields=["mentor_capacity"])
        factories.register_participant(
            scheme, f"{scheme.slug}-mentee{i}@example.org", role="mentee", approve_by=coordinator
        )


def _closed_round(scheme, coordinator, n, capture):
    with capture(execute=True):
        _people(scheme, coordinator, n)
    matching_round = services.open_round(scheme, actor=coordinator)
    services.close_choices(matching_round, actor=coordinator)
    mail.outbox.clear()
    return matching_round


def _publish_queries(scheme, coordinator, n, capture) -> int:
    matching_round = _closed_round(scheme, coordinator, n, capture)
    with CaptureQueriesContext(connection) as queries:
        assert len(services.publish(matching_round, actor=coordinator)) == n
    return len(queries.captured_queries)


def test_publishing_costs_the_same_for_many_proposals(db, django_capture_on_commit_callbacks):
    small = factories.make_scheme(slug="small")
    large = factories.make_scheme(slug="large")
    few = _publish_queries(
        small, factories.make_staff(small), 2, django_capture_on_commit_callbacks
    )
    many = _publish_queries(
        large, factories.make_staff(large), 12, django_capture_on_commit_callbacks
    )
    assert many == few
    assert AuditEvent.objects.filter(action="matching.proposal.made").count() == 14


@pytest.mark.django_db(transaction=True)  # real commits: the worker sees what was published
def test_the_emails_follow_from_a_task_once_each():
    scheme = factories.make_scheme(slug="round")
    coordinator = factories.make_staff(scheme)
    with database_tasks():
        people(scheme, coordinator, mentors=3, mentees=3)
        run_worker()
        matching_round = services.open_round(scheme, actor=coordinator)
        services.close_choices(matching_round, actor=coordinator)
        mail.outbox.clear()
        services.publish(MatchingRound.objects.get(pk=matching_round.pk), actor=coordinator)
        assert (
            mail.outbox == []
            and not OutgoingEmail.objects.filter(template__startswith="proposal").exists()
        )
        waiting = DBTaskResult.objects.filter(status="READY")
        assert [t.task_path for t in waiting] == ["equimentor.matching.tasks.email_proposals"]
        assert MatchingRound.objects.get(pk=matching_round.pk).proposals_emailed_at is None
        run_worker()
        assert MatchingRound.objects.get(pk=matching_round.pk).proposals_emailed_at is not None
        # a second run of the same task (a worker died after sending) sends nothing more
        assert tasks.email_proposals.call(matching_round.pk) == {"queued": 0}
        run_worker()
    proposals = Proposal.objects.filter(round=matching_round).select_related(
        "mentee__user", "mentor__user"
    )
    expected = sorted((p.mentee.user.email for p in proposals), key=str) + sorted(
        (p.mentor.user.email for p in proposals), key=str
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(expected)
    assert len(expected) == 6
    assert set(
        OutgoingEmail.objects.filter(template__startswith="proposal").values_list(
            "status", flat=True
        )
    ) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_a_round_whose_email_task_was_refused_is_emailed_by_the_sweep(monkeypatch):
    """The task queue refuses the emails' task at publication (its broker is down): nobody is
    emailed and the round is not marked; ten minutes on, the job hands it to a worker again,
    each side gets their proposal once, and the job leaves the round alone after that."""
    scheme = factories.make_scheme(slug="refused")
    coordinator = factories.make_staff(scheme)
    with database_tasks():
        people(scheme, coordinator, mentors=2, mentees=2)
        run_worker()
        matching_round = services.open_round(scheme, actor=coordinator)
        services.close_choices(matching_round, actor=coordinator)
        mail.outbox.clear()

        backend = type(task_backends["default"])
        working = backend.enqueue

        def broker_down(self, task, args, kwargs):
            if task.name == "email_proposals":
                raise ConnectionError("broker unreachable")
            return working(self, task, args, kwargs)

        monkeypatch.setattr(backend, "enqueue", broker_down)
        services.publish(MatchingRound.objects.get(pk=matching_round.pk), actor=coordinator)
        monkeypatch.setattr(backend, "enqueue", working)
        run_worker()
        assert mail.outbox == []
        assert MatchingRound.objects.get(pk=matching_round.pk).proposals_emailed_at is None
        # too soon: the first task may still be on its way
        assert tasks.sweep_proposal_emails() == {}
        with time_machine.travel(timezone.now() + timedelta(minutes=11)):
            assert tasks.sweep_proposal_emails() == {"rounds": 1}
            run_worker()
            assert tasks.sweep_proposal_emails() == {}
    assert len(mail.outbox) == 4  # both sides of two proposals, once each
    assert MatchingRound.objects.get(pk=matching_round.pk).proposals_emailed_at is not None
