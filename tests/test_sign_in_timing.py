"""Asking for a sign-in link does the same work in the request whether or not the account exists:
the request only enqueues a task, and the worker looks the address up and sends the email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from equimentor.core.models import OutgoingEmail
from tests.factories import UserFactory
from tests.tasks_setup import database_tasks, run_worker


def _ask(client, email):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("accounts:login"), {"link-email": email})
    assert response.status_code == 200
    return response, [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]


@pytest.mark.django_db(transaction=True)  # real commits: the worker sees what requests saved
def test_the_request_is_the_same_for_a_real_and_an_unknown_address(client):
    UserFactory(email="erin@example.org")
    with database_tasks():
        real, real_queries = _ask(client, "erin@example.org")
        unknown, unknown_queries = _ask(client, "nobody@example.org")
        assert real.content == unknown.content.replace(b"nobody@example.org", b"erin@example.org")
        assert real_queries == unknown_queries  # the same statements, in the same order
        assert not OutgoingEmail.objects.exists() and mail.outbox == []
        tasks = DBTaskResult.objects.order_by("enqueued_at")
        assert [t.task_path for t in tasks] == ["equimentor.accounts.tasks.email_sign_in_link"] * 2
        run_worker()
    assert [m.to for m in mail.outbox] == [["erin@example.org"]]
    assert "/accounts/sign-in/link/" in mail.outbox[0].body
