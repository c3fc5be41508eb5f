"""The scale-out proof (benchmarks/scale_out.py) on a small round: two gunicorn servers, two
workers and a scheduler on one PostgreSQL and Redis; a round published through one server after
opening it on the other, a tick beside the scheduler, a worker SIGKILLed in the middle of sending;
every email sent once, no task lost."""

from __future__ import annotations

import pytest
from django.db import connection

from tests import processes
from tests import scale_out_proof as scale_out


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_servers_two_workers_a_killed_worker_and_every_email_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several processes share one database: runs on PostgreSQL (CI runs it there)")
    cache_url = processes.require_redis()
    result = scale_out.run(
        database_url=processes.database_url(),
        cache_url=cache_url,
        mentees=60,
        ports=(processes.free_port(), processes.free_port(), processes.free_port()),
        workdir=tmp_path,
        smtp_delay=0.05,
        say=lambda line: None,
    )
    assert result["proposals"] == 60
    assert result["emails_by_template"]["proposal_to_mentee"] == 60
    assert result["emails_by_template"]["proposal_to_mentor"] == 60
    assert result["emails_by_template"]["eval_invitation"] > 0  # sent by the jobs (tick/scheduler)
    assert result["missing"] == [] and result["unexpected"] == []
    assert result["emails_failed"] == 0 and result["emails_sent"] == result["emails"]
    assert result["duplicates"] == {}
    assert result["messages_accepted"] == result["emails"]
    assert set(result["tasks"]) == {"SUCCESSFUL"}  # none waiting, running or failed
    assert result["killed_task"] == {
        "status": "SUCCESSFUL",
        "runs": 2,
        "first_worker_was_killed": True,
    }
    assert result["held_message_sent_once"]  # the message the server held when it died
    assert result["scheduler_leads"] and result["scheduler_requeued"]
