"""Start the project's real commands (scheduler, worker, web server) against the test database."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
EQUIMENTOR = [sys.executable, "-m", "equimentor"]
# The container image's entrypoint, whose roles the systemd units and docs run the same way.
ENTRYPOINT = ["sh", str(ROOT / "deploy" / "entrypoint.sh")]
GUNICORN = [*ENTRYPOINT, "web"]  # gunicorn -c python:equimentor.gunicorn_conf


def database_url() -> str:
    """The URL of the database this test runs on (the test database, not the developer's)."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def env(**extra: str) -> dict[str, str]:
    """An environment for a child process on the test database, with test settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    base.update(
        DJANGO_SETTINGS_MODULE="equimentor.test_settings",
        DATABASE_URL=database_url(),
        PYTHONUNBUFFERED="1",
    )
    base.update(extra)
    return base


class Process:
    """A child process whose output goes to a file, killed (its group) when the test ends."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"exited {self.proc.returncode} before {text!r}:\n{self.output}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout}s:\n{self.output}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a machine that dies would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice, outside any fixed range)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_url() -> str:
    """The Redis database the tests may use (CI starts Redis; set EQUIMENTOR_TEST_REDIS_URL):
    database 15 for the first pytest-xdist worker, 14 for the second, and so on, so workers
    running at once never share keys, queues or rate-limit counters."""
    if url := os.environ.get("EQUIMENTOR_TEST_REDIS_URL"):
        return url
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return f"redis://127.0.0.1:6379/{15 - worker % 8}"


def require_redis() -> str:
    import pytest
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url} (.ci/run starts one)")
    return url


def shared_database_url(tmp_path: Path) -> str:
    """A database URL other processes can open with this test's data: the PostgreSQL test
    database itself, or a file copy of SQLite's in-memory test database."""
    if connection.vendor == "postgresql":
        return database_url()
    import sqlite3

    connection.ensure_connection()
    path = tmp_path / "shared.sqlite3"
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    return f"sqlite:///{path}"


def production_env(**extra: str) -> dict[str, str]:
    """An environment with production settings (equimentor.settings, DEBUG off, https redirect
    on, a shared cache), without what the test settings put in this process's environment."""
    test_only = {"EQUIMENTOR_TESTING", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE"}
    test_only |= {"CSRF_COOKIE_SECURE", "DEBUG", "EQUIMENTOR_DEMO", "TASKS_BACKEND"}
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k not in test_only
    }
    base.update(
        DJANGO_SETTINGS_MODULE="equimentor.settings",
        SECRET_KEY="production-like-test-secret-" + "x" * 40,
        DATABASE_URL=database_url(),
        CACHE_URL=redis_url(),
        PYTHONUNBUFFERED="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    base.update(extra)
    return base


def http_get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def wait_until_serving(web: Process, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited {web.proc.returncode}:\n{web.output}")
        try:
            if http_get(port, "/healthz").status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer /healthz:\n{web.output}")
