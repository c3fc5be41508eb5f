"""gunicorn's processes are replaced in turn, never together (equimentor/gunicorn_conf.py): the
real server with the packaged configuration and a small ``max_requests``, under requests from
several clients at once, replaces one process every ``max_requests`` requests in total; and a
process replaced so ends at once."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import processes

EVERY = 200  # --max-requests
TOTAL = 8 * EVERY
CLIENTS = 4


def _children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.mark.slow
def test_processes_are_replaced_one_at_a_time(tmp_path):
    processes.require_redis()
    port = processes.free_port()
    env = processes.production_env(
        ALLOWED_HOSTS="127.0.0.1",
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        EQUIMENTOR_VAR_DIR=str(tmp_path / "var"),
    )
    args = [
        *processes.GUNICORN,
        *("--max-requests", str(EVERY)),
        # a jitter of 10%, as the production setting had (2,000 and 200): it must not matter
        *("--max-requests-jitter", str(EVERY // 10)),
        # which process answered each request, in the order they answered (the test's only)
        *("--access-logfile", "-", "--access-logformat", "answered-by %(p)s"),
    ]
    web = processes.Process(args, env, tmp_path / "web.log")
    lock = threading.Lock()
    sent, failed = 0, []

    def client():
        nonlocal sent
        while True:
            with lock:
                if sent >= TOTAL:
                    return
                sent += 1
            status = processes.http_get(port, "/healthz").status
            if status != 200:
                failed.append(status)

    try:
        processes.wait_until_serving(web, port)
        clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        live = _children(web.proc.pid)
    finally:
        web.stop()
    assert not failed
    answered = re.findall(r"answered-by <(\d+)>", web.output)
    last = {int(pid): n for n, pid in enumerate(answered, start=1)}  # each one's last request
    ended = sorted(n for pid, n in last.items() if pid not in live)
    # One process ends every EVERY requests in all, after the request that makes the total a
    # multiple of EVERY; counting their own, the two ended together after about 2 × EVERY in
    # all, and again after 4 × EVERY... Where a process's last line lands in the log is not
    # exactly where its last request was counted: a line is written after the answer, and on a
    # busy machine the other process answered up to 70 requests while the one ending was
    # descheduled between the two (2026-12-06). So: one ending near each multiple of EVERY,
    # and never two within half of EVERY of each other (the old configuration's were 1 apart).
    assert [round(n / EVERY) for n in ended] == list(range(1, len(ended) + 1)), ended
    assert all(b - a >= EVERY // 2 for a, b in itertools.pairwise(ended)), ended
    assert len(ended) >= TOTAL // EVERY - 1, ended
    assert "Error" not in web.output


EXIT = """
import atexit, os, sys, types
import django
django.setup()
from equimentor import gunicorn_conf
atexit.register(lambda: print("shut down", flush=True))
served, booted, alive = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] == "1"
worker = types.SimpleNamespace(nr=served, max_requests=5, booted=booted, alive=alive)
gunicorn_conf.worker_exit(None, worker)
print("returned", flush=True)
"""


@pytest.mark.parametrize(
    ("served", "booted", "alive", "expected"),
    [
        (5, True, False, ""),  # its turn served
        (3, True, False, ""),  # told to stop (gunicorn stopped or restarted) before its turn
        (3, True, True, "returned\nshut down\n"),  # left on an error while serving
        (0, False, True, "returned\nshut down\n"),  # failed to boot
    ],
)
def test_a_process_that_is_done_ends_without_pythons_shutdown(served, booted, alive, expected):
    result = subprocess.run(
        [sys.executable, "-c", EXIT, str(served), str(int(booted)), str(int(alive))],
        env=processes.env(),
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, expected), result.stderr
