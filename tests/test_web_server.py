"""The documented production server: gunicorn with the packaged config and production settings,
behind a proxy on loopback, answering a load balancer; and production refusing a local cache."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests import processes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_gunicorn_behind_a_proxy_with_production_settings(tmp_path):
    processes.require_redis()
    port = processes.free_port()
    env = processes.production_env(
        DATABASE_URL=processes.shared_database_url(tmp_path),
        ALLOWED_HOSTS="mentoring.example.org",
        TRUSTED_PROXIES="127.0.0.1,::1",
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        HEARTBEAT_SECONDS="1",
        EQUIMENTOR_VAR_DIR=str(tmp_path / "var"),
    )
    subprocess.run(
        [*processes.EQUIMENTOR, "collectstatic", "--noinput", "-v0"], env=env, check=True
    )
    web = processes.Process(processes.GUNICORN, env, tmp_path / "web.log")
    worker = None
    try:
        processes.wait_until_serving(web, port)  # the load balancer asks by address, over http
        site = {"Host": "mentoring.example.org"}
        plain = processes.http_get(port, "/", **site)
        assert plain.status == 301
        assert plain.getheader("Location") == "https://mentoring.example.org/"
        secure = processes.http_get(port, "/", **site, **{"X-Forwarded-Proto": "https"})
        assert secure.status == 200
        assert secure.getheader("Strict-Transport-Security").startswith("max-age=31536000")
        assert processes.http_get(port, "/", Host="elsewhere.example").status == 400

        not_ready = processes.http_get(port, "/readyz")
        assert not_ready.status == 503
        assert b'"worker": "down"' in not_ready.body
        worker = processes.Process([*processes.EQUIMENTOR, "worker"], env, tmp_path / "w.log")
        deadline = time.monotonic() + 60
        while (
            ready := processes.http_get(port, "/readyz")
        ).status != 200 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert ready.status == 200, ready.body + worker.output.encode()
        assert b'"database": "ok", "cache": "ok", "worker": "ok"' in ready.body
    finally:
        if worker is not None:
            worker.stop()
        web.stop()
    assert "Internal Server Error" not in web.output


def test_production_refuses_to_start_with_a_cache_local_to_each_process(tmp_path):
    env = processes.production_env(ALLOWED_HOSTS="mentoring.example.org")
    del env["CACHE_URL"]
    env["WEB_BIND"] = f"127.0.0.1:{processes.free_port()}"
    result = subprocess.run(
        processes.GUNICORN, env=env, capture_output=True, text=True, timeout=60, cwd=processes.ROOT
    )
    assert result.returncode != 0
    assert "CACHE_URL is not set" in result.stdout + result.stderr
    worker = subprocess.run(
        [*processes.EQUIMENTOR, "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert worker.returncode != 0 and "CACHE_URL is not set" in worker.stderr
