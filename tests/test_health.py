"""/healthz (liveness) and /readyz (database, cache, worker) answer a load balancer directly:
plain http, any Host, even with production settings behind a proxy."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from equimentor.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    """The https redirect and host check as in production, behind a proxy on 10.0.0.0/8."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["mentoring.example.org"]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    return settings


def _beat(role="worker", seen_at=None):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id=f"{role}-1",
        role=role,
        hostname="h",
        pid=1,
        started_at=now,
        seen_at=seen_at or now,
    )


def test_healthz_answers_while_the_process_runs(client):
    with mock.patch.object(connection, "cursor", side_effect=Exception("down")):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_without_a_worker_to_wait_for(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "worker": "not used"},
    }


def test_readyz_needs_a_live_worker_when_tasks_wait_for_one(client, settings):
    settings.TASKS_BACKEND = "database"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "worker": "down"}
    _beat(role="scheduler")  # a scheduler is not a worker
    _beat(seen_at=timezone.now() - timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS + 1))
    assert client.get("/readyz").status_code == 503
    WorkerHeartbeat.objects.filter(role="worker").update(seen_at=timezone.now())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == "ok"


def test_readyz_when_the_database_is_down(client):
    with mock.patch.object(connection, "cursor", side_effect=Exception("down")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "down", "cache": "ok", "worker": "down"},
    }


def test_readyz_when_the_cache_is_down(client):
    with mock.patch.object(cache, "set", side_effect=ConnectionError("refused")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "down"


def test_a_load_balancer_gets_answers_not_redirects_in_production(client, production):
    # the load balancer asks by the machine's address over plain http, with no forwarded headers
    probe = {"REMOTE_ADDR": "10.0.0.1", "HTTP_HOST": "10.0.0.20:8000"}
    assert client.get("/healthz", **probe).status_code == 200
    head = client.head("/healthz", **probe)
    assert head.status_code == 200 and head.content == b""
    assert client.get("/readyz", **probe).status_code == 200
    assert client.get("/", **probe).status_code == 400  # everything else: host checked
    visitor = {"REMOTE_ADDR": "10.0.0.1", "HTTP_HOST": "mentoring.example.org"}
    assert client.get("/", **visitor).status_code == 301  # and redirected to https
    secure = {**visitor, "HTTP_X_FORWARDED_PROTO": "https"}
    assert client.get("/", **secure).status_code == 200


def test_only_get_and_head_skip_the_checks(client, production):
    response = client.post("/healthz", REMOTE_ADDR="10.0.0.1", HTTP_HOST="10.0.0.20:8000")
    assert response.status_code == 400
