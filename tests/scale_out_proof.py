"""The scale-out proof's harness: two web servers, two workers and a scheduler on one PostgreSQL
and one Redis, a round published and a tick run while a worker is killed, and every email sent
exactly once. ``run(...)`` does it and returns what it saw; ``benchmarks/scale_out.py`` runs it at
scale from the command line (its docstring says step by step what happens) and
``tests/test_scale_out.py`` with a small round.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HOST = "mentoring.example.org"
SECRET_KEY = "scale-out-benchmark-only-" + "k" * 40


class SmtpSink:
    """Accepts every message after ``delay`` seconds and keeps its Message-ID and recipients.

    :meth:`pause` holds every message that arrives before it is accepted (its client waits for
    the answer to DATA) until :meth:`resume`; a message whose client disconnects meanwhile is
    never accepted (aiosmtpd cancels it with the connection) and is listed in ``dropped``.
    """

    def __init__(self, port: int, delay: float):
        from aiosmtpd.controller import Controller

        self.delay = delay
        self.received: list[tuple[str, str]] = []
        self.held: set[str] = set()
        self.dropped: list[str] = []
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        mid = message_from_bytes(envelope.content)["Message-ID"]
        if not self._open.is_set():
            with self._lock:
                self.held.add(mid)
            try:
                while not self._open.is_set():
                    await asyncio.sleep(0.01)
            except asyncio.CancelledError:  # the client went away: nothing was accepted
                with self._lock:
                    self.dropped.append(mid)
                raise
            finally:
                with self._lock:
                    self.held.discard(mid)
        with self._lock:
            self.received.append((mid, ",".join(envelope.rcpt_tos)))
        return "250 OK"

    def pause(self) -> None:
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def holding(self) -> set[str]:
        with self._lock:
            return set(self.held)

    def count(self) -> int:
        with self._lock:
            return len(self.received)


def _env(database_url: str, cache_url: str, smtp_port: int, workdir: Path) -> dict[str, str]:
    from django.conf import settings

    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        DJANGO_SETTINGS_MODULE="equimentor.settings",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        PYTHONUNBUFFERED="1",
        SECRET_KEY=settings.SECRET_KEY,  # the coordinator's session is made in this process
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        TASKS_BACKEND="database",
        ALLOWED_HOSTS=HOST,
        TRUSTED_PROXIES="127.0.0.1",
        SITE_URL=f"https://{HOST}",
        EQUIMENTOR_VAR_DIR=str(workdir / "var"),
        STATIC_ROOT=str(workdir / "static"),
        # the benchmark's coordinator signs in by a session made here, without an authenticator
        REQUIRE_STAFF_2FA="0",
        # a dead worker is noticed within seconds, and the claim on the email it was sending has
        # lapsed by the time its task runs again (in production: 60 s and 300 s, and an email
        # whose claim outlives the rerun is handed out again by the scheduler's sweep)
        HEARTBEAT_SECONDS="1",
        WORKER_DEAD_AFTER_SECONDS="5",
        EMAIL_LEASE_SECONDS="3",
        WEB_CONCURRENCY="2",
    )
    return env


def _request(port: int, method: str, path: str, headers: dict, body: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, body=body or None, headers={"Host": HOST, **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def _wait(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"no {what} after {timeout:.0f} s")


def prepare(mentees: int):
    """Fill the database Django uses: the demo site and a round ready to publish."""
    from django.test import Client, override_settings

    from equimentor.demo.seed import seed
    from tests.round_setup import ready_round

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        seed()
    scheme, matching_round, coordinator = ready_round("scale", mentees)
    browser = Client()
    browser.force_login(coordinator)
    return scheme, matching_round, browser.cookies["sessionid"].value


def run(
    *,
    database_url: str,
    cache_url: str,
    mentees: int,
    ports: tuple[int, int, int],
    workdir: Path,
    smtp_delay: float = 0.02,
    say=print,
) -> dict:
    """Everything after the database is set up (Django in this process on ``database_url``)."""
    from django.db import close_old_connections
    from django_tasks_db.models import DBTaskResult

    from equimentor.core.models import OutgoingEmail, WorkerHeartbeat
    from equimentor.core.outbox import message_id
    from tests.processes import ENTRYPOINT, EQUIMENTOR, Process

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
    started_at = time.time()
    scheme, matching_round, session = prepare(mentees)
    emails_before = set(OutgoingEmail.objects.values_list("pk", flat=True))
    tasks_before = set(DBTaskResult.objects.values_list("pk", flat=True))
    say(f"prepared {mentees} pairs and the demo site in {time.time() - started_at:.1f} s")

    web_a, web_b, smtp_port = ports
    env = _env(database_url, cache_url, smtp_port, workdir)
    subprocess.run(
        [*EQUIMENTOR, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT
    )
    sink = SmtpSink(smtp_port, smtp_delay)
    sink.controller.start()
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    procs: dict[str, Process] = {}
    try:
        for name, port in (("web-a", web_a), ("web-b", web_b)):
            procs[name] = Process(
                [*ENTRYPOINT, "web"], {**env, "WEB_BIND": f"127.0.0.1:{port}"}, logs / f"{name}.log"
            )
        for name in ("worker-1", "worker-2"):
            procs[name] = Process([*EQUIMENTOR, "worker"], env, logs / f"{name}.log")
        procs["scheduler"] = Process(
            [*EQUIMENTOR, "scheduler", "--interval", "1"], env, logs / "scheduler.log"
        )
        for name, port in (("web-a", web_a), ("web-b", web_b)):
            _wait(
                lambda port=port: _ready(port),
                120,
                f"200 from /readyz of {name}:\n{procs[name].output}",
            )
        say("two web servers, two workers and a scheduler are ready")

        # The coordinator opens the round on one server and publishes it through the other.
        https = {"X-Forwarded-Proto": "https"}
        page = f"/manage/{scheme.slug}/matching/{matching_round.pk}/"
        for port in (web_a, web_b, web_a, web_b):  # each server's processes have served a page
            opened = _request(port, "GET", page, {**https, "Cookie": f"sessionid={session}"})
            assert opened.status == 200, opened.status
        csrf_cookie = re.search(r"csrftoken=([^;]+)", opened.getheader("Set-Cookie") or "")
        form = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', opened.body)
        cookie = f"sessionid={session}" + (
            f"; csrftoken={csrf_cookie.group(1)}" if csrf_cookie else ""
        )
        t0 = time.perf_counter()
        published = _request(
            web_b,
            "POST",
            page + "publish/",
            {
                **https,
                "Cookie": cookie,
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{page}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            f"csrfmiddlewaretoken={form.group(1).decode()}",
        )
        publish_seconds = time.perf_counter() - t0
        assert published.status == 302, (published.status, published.body[:500])
        publish_time = time.time()
        say(f"publish returned {published.status} in {publish_seconds * 1000:.0f} ms")
        tick = procs["tick"] = Process([*EQUIMENTOR, "tick"], env, logs / "tick.log")

        # Kill the first worker in the middle of a task of sending emails: while the SMTP server
        # holds the message it is sending (before accepting it), so that message, the rest of
        # the task's batch and the task itself are what its death leaves behind.
        victim = procs["worker-1"]
        victim_id = _wait(
            lambda: (
                WorkerHeartbeat.objects.filter(pid=victim.proc.pid, role="worker")
                .values_list("worker_id", flat=True)
                .first()
            ),
            30,
            "heartbeat of worker-1",
        )

        def victims_tasks() -> dict[int, set[int]]:
            close_old_connections()
            running = DBTaskResult.objects.filter(
                status="RUNNING",
                task_path="equimentor.core.outbox.deliver_emails",
                worker_ids__contains=[victim_id],
            ).values_list("pk", "args_kwargs")
            return {pk: set(args["args"][0]) for pk, args in running}

        def victims_held_message():
            held = sink.holding()
            if not held:
                return None
            keys = OutgoingEmail.objects.exclude(pk__in=emails_before).values_list("pk", "key")
            by_mid = {message_id(key): pk for pk, key in keys}
            for task_pk, ids in victims_tasks().items():
                for mid in held:
                    if by_mid.get(mid) in ids:
                        return task_pk, mid
            return None

        for _attempt in range(20):
            _wait(lambda: sink.count() > 0 and victims_tasks(), 120, "emails from worker-1")
            sink.pause()
            try:
                killed_task, held_mid = _wait(victims_held_message, 5, "a held message")
                break
            except TimeoutError:  # worker-1 finished its batch just then: try the next one
                sink.resume()
        else:
            raise RuntimeError("worker-1 was never caught sending")
        sent_at_kill = sink.count()
        victim.kill()
        _wait(lambda: held_mid in sink.dropped, 30, "worker-1's connection to drop")
        sink.resume()
        say(f"SIGKILLed worker-1 in the middle of task {killed_task} ({sent_at_kill} emails out)")

        tick.proc.wait(timeout=600)

        def finished():
            close_old_connections()
            new_emails = OutgoingEmail.objects.exclude(pk__in=emails_before)
            pending = new_emails.exclude(status__in=["sent", "failed"]).count()
            new_tasks = DBTaskResult.objects.exclude(pk__in=tasks_before)
            open_tasks = new_tasks.filter(status__in=["READY", "RUNNING"]).count()
            return pending == 0 and open_tasks == 0 and new_emails.exists()

        _wait(finished, 600, "end of the work")
        done_seconds = time.time() - publish_time
        time.sleep(1)  # anything still in flight would arrive now
    finally:
        for proc in procs.values():
            proc.stop()
        sink.controller.stop()

    close_old_connections()
    new_emails = OutgoingEmail.objects.exclude(pk__in=emails_before)
    expected = {
        message_id(key): template for key, template in new_emails.values_list("key", "template")
    }
    received = Counter(mid for mid, _ in sink.received)
    new_tasks = DBTaskResult.objects.exclude(pk__in=tasks_before)
    killed = DBTaskResult.objects.get(pk=killed_task)
    result = {
        "proposals": matching_round.proposals.count(),
        "publish_ms": round(publish_seconds * 1000),
        "emails": len(expected),
        "emails_by_template": dict(Counter(expected.values())),
        "emails_sent": new_emails.filter(status="sent").count(),
        "emails_failed": new_emails.filter(status="failed").count(),
        "messages_accepted": sum(received.values()),
        "missing": sorted(set(expected) - set(received)),
        "unexpected": sorted(set(received) - set(expected)),
        "duplicates": {mid: n for mid, n in received.items() if n > 1},
        "tasks": dict(Counter(new_tasks.values_list("status", flat=True))),
        "tasks_by_path": dict(Counter(new_tasks.values_list("task_path", flat=True))),
        "killed_task": {
            "status": killed.status,
            "runs": len(killed.worker_ids),
            "first_worker_was_killed": killed.worker_ids[0] == victim_id,
        },
        "emails_out_at_kill": sent_at_kill,
        "held_message_sent_once": received.get(held_mid) == 1,
        "seconds_until_all_sent": round(done_seconds, 1),
        "tick": tick.output.strip().splitlines()[-1] if tick.output.strip() else "",
        "scheduler_leads": "leads" in procs["scheduler"].output,
        "scheduler_requeued": "requeued" in procs["scheduler"].output,
    }
    return result


def _ready(port: int) -> bool:
    try:
        return _request(port, "GET", "/readyz", {"Host": f"127.0.0.1:{port}"}).status == 200
    except OSError:
        return False
