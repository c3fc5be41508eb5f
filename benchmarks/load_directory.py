"""The mentor directory and its API under 50 signed-in users, against the home page in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load \\
        .venv/bin/python benchmarks/load_directory.py --mentors 5000 --mentors 50000

For each size: recreates the PostgreSQL database, makes one scheme with that many approved,
listed mentors (and some proposals and relationships, so free places vary) and 50 approved
mentees, signs each mentee in (a session each), starts gunicorn as in production (DEBUG off,
Redis cache, persistent database connections; ``WEB_CONCURRENCY`` workers, default 2) on
loopback, and runs ``wrk`` (Debian's package) with 50 connections on each page in turn,
``--rounds`` times for ``--seconds`` each, each connection sending one mentee's session cookie.
Prints the median throughput and p50/p95 latency per page and the ratios the issue sets, each
taken within a round (median and every round's): directory and API throughput against the home page's
(target >= 0.6) and their p95 against the home page's (target <= 3). ``--code DIR`` also
serves the ``equimentor`` package in DIR (an older commit's, from ``git archive``) on the same
data and cache, a gunicorn each, and every round measures the three pages on each server in
turn, so that old and new code are compared within one run (only code whose keys in the shared
cache mean the same). Everything it starts is stopped when it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchdb import fresh_database  # noqa: E402

HOST = "127.0.0.1"
SECRET_KEY = "load-benchmark-only-" + "x" * 40
USERS = 50
LUA = """
local cookies = {}
local n = 0
local i = 0
init = function(args)
  for line in io.lines(args[1]) do cookies[#cookies + 1] = line end
end
request = function()
  i = i + 1
  local c = cookies[(i % #cookies) + 1]
  return wrk.format(nil, nil, {["Cookie"] = c, ["X-Forwarded-Proto"] = "https"})
end
response = function(status, headers, body)
  if status ~= 200 then n = n + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"rps\\": %f, \\"p50\\": %f, \\"p95\\": %f, \\"errors\\": %d, \\"non200\\": %d}\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def seed(mentors: int) -> list[str]:
    """The scheme, its mentors and 50 signed-in mentees; returns their session cookies."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from equimentor.accounts.models import User
    from equimentor.directory.models import MentorListing
    from equimentor.enrolment.models import Participant
    from equimentor.matching.models import Proposal
    from equimentor.schemes.models import Institution
    from tests import factories

    scheme = factories.make_scheme(slug="load", different_institutions=True)
    institutions = Institution.objects.bulk_create(
        [Institution(name=f"University {i}") for i in range(40)]
    )
    users = User.objects.bulk_create(
        [
            User(email=f"m{i}@load.example", full_name=f"Mentor {i:06d}")
            for i in range(mentors + USERS)
        ],
        batch_size=5000,
    )
    words = ["maternal health", "genomics", "stroke", "global health", "diabetes", "trials"]
    people = Participant.objects.bulk_create(
        [
            Participant(
                user=u,
                scheme=scheme,
                status="approved",
                is_mentor=i < mentors,
                is_mentee=i >= mentors,
                job_title="Reader",
                career_stage=i % 6,
                pathway="clinical" if i % 2 else "non_clinical",
                institution=institutions[i % 40],
                department=["Cardiology", "Public Health", "Surgery"][i % 3],
                research_interests=f"{words[i % 6]}; {words[(i * 7) % 6]}",
                career_summary="Many years.",
                offers="Grant writing",
                mentor_capacity=1 + i % 2 if i < mentors else None,
            )
            for i, u in enumerate(users)
        ],
        batch_size=5000,
    )
    MentorListing.objects.bulk_create(
        [MentorListing(participant=p) for p in people[:mentors]], batch_size=5000
    )
    mentees = people[mentors:]
    # a proposal waiting for every third mentor, so that free places vary down the list
    from django.utils import timezone

    now = timezone.now()
    Proposal.objects.bulk_create(
        [
            Proposal(
                scheme=scheme,
                mentee=mentees[k % USERS],
                mentor=people[k * 3],
                via="fallback",
                proposed_at=now,
            )
            for k in range(mentors // 3)
        ],
        batch_size=5000,
    )
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum keeps them
        cursor.execute("ANALYZE")
    cookies = []
    for p in mentees:
        session = SessionStore()
        session[SESSION_KEY] = str(p.user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = p.user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def _env(database_url: str, cache_url: str, workdir: Path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        DJANGO_SETTINGS_MODULE="equimentor.settings",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        SECRET_KEY=SECRET_KEY,
        DEBUG="0",
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        TASKS_BACKEND="database",
        ALLOWED_HOSTS=HOST,
        TRUSTED_PROXIES="127.0.0.1",
        SITE_URL=f"https://{HOST}",
        EQUIMENTOR_VAR_DIR=str(workdir / "var"),
        STATIC_ROOT=str(workdir / "static"),
        REQUIRE_STAFF_2FA="0",
        WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2"),
    )
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _serve(env: dict, port: int, code: Path = ROOT) -> subprocess.Popen:
    """gunicorn on loopback, running the ``equimentor`` package found in ``code``."""
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:equimentor.gunicorn_conf",
            "--bind",
            f"{HOST}:{port}",
        ],
        cwd=code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2)
            return web
        except OSError:
            if web.poll() is not None:
                raise RuntimeError(web.stderr.read().decode()[-2000:]) from None
            time.sleep(0.3)
    web.terminate()
    raise RuntimeError("gunicorn did not start")


def _wrk(port: int, path: str, seconds: int, script: Path, cookies: Path) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{USERS}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://{HOST}:{port}{path}",
            "--",
            str(cookies),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    return json.loads(re.search(r"^JSON (.*)$", out, re.M).group(1))


def run(mentors: int, seconds: int, rounds: int, codes: list[Path]) -> dict:
    """Seed, serve each of ``codes`` (a gunicorn each, all on the same database and cache) and
    measure every page on each in turn, round after round; results by code, then by page."""
    fresh_database(None)
    from django.db import connection

    cookies = seed(mentors)
    database_url = os.environ["DATABASE_URL"]
    connection.close()
    cache_url = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/11")
    subprocess.run(["redis-cli", "-u", cache_url, "flushdb"], capture_output=True, check=False)
    workdir = Path(tempfile.mkdtemp(prefix="load-directory-"))
    (workdir / "var").mkdir()
    env = _env(database_url, cache_url, workdir)
    subprocess.run(
        [sys.executable, "-m", "equimentor", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    script, cookie_file = workdir / "session.lua", workdir / "cookies.txt"
    script.write_text(LUA)
    cookie_file.write_text("\n".join(cookies) + "\n")
    pages = {
        "home": "/",
        "directory": "/schemes/load/mentors/",
        "directory API": "/api/v1/schemes/load/mentors/",
    }
    servers: dict[Path, tuple[int, subprocess.Popen]] = {}
    results = {code: {label: [] for label in pages} for code in codes}
    try:
        for code in codes:
            port = _free_port()
            servers[code] = port, _serve(env, port, code)
        for port, _ in servers.values():
            for path in pages.values():
                _wrk(port, path, 3, script, cookie_file)  # warm up
        # the pages take turns, round after round (and within a round each code's server in
        # turn, first one then the other), so that what else the machine does weighs on each
        # alike; ratios are taken within a round and a server
        for n in range(rounds):
            turns = list(servers.items())
            for code, (port, _) in turns if n % 2 == 0 else reversed(turns):
                for label, path in pages.items():
                    results[code][label].append(_wrk(port, path, seconds, script, cookie_file))
    finally:
        for _, web in servers.values():
            web.terminate()
        for _, web in servers.values():
            web.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _uptime() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentors", type=int, action="append")
    parser.add_argument("--seconds", type=int, default=10, help="per page and round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="the pages take turns this many times"
    )
    parser.add_argument(
        "--code",
        type=Path,
        action="append",
        help="serve the equimentor package in this folder (e.g. main's, from git archive) "
        "beside this one's, on the same data and cache, taking turns within each round "
        "(repeatable; only for code whose shared cache keys mean the same)",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to a PostgreSQL database the benchmark may recreate")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    os.environ["SECRET_KEY"] = SECRET_KEY  # the sessions made here are valid on the server
    codes = [ROOT] + [code.resolve() for code in args.code or []]
    for mentors in args.mentors or [5000]:
        started, load = time.strftime("%Y-%m-%d %H:%M:%S %Z"), _uptime()
        by_code = run(mentors, args.seconds, args.rounds, codes)
        print(
            f"\n{mentors:,} mentors, {USERS} signed-in users, {args.rounds} rounds of "
            f"{args.seconds} s per page (medians of the rounds); started {started}, load "
            f"{load}; ended {time.strftime('%H:%M:%S')}, load {_uptime()}"
        )
        for code, results in by_code.items():
            if len(codes) > 1:
                print(f"code served: {code}")
            report(results)
    return 0


def report(results: dict) -> None:
    print(f"{'page':<15} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'non-200':>8}")
    for label, runs in results.items():
        bad = sum(r["non200"] + r["errors"] for r in runs)
        rps, p50, p95 = (statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p95"))
        print(f"{label:<15} {rps:>8.1f} {p50:>8.1f} {p95:>8.1f} {bad:>8}")
    home = results["home"]
    for label in ("directory", "directory API"):
        rounds = list(zip(results[label], home, strict=True))
        speed = [r["rps"] / h["rps"] for r, h in rounds]
        tail = [r["p95"] / h["p95"] for r, h in rounds]
        print(
            f"{label}: throughput {statistics.median(speed):.2f}x the home page's "
            f"(target >= 0.6; rounds {', '.join(f'{x:.2f}' for x in speed)}), "
            f"p95 {statistics.median(tail):.2f}x (target <= 3; rounds "
            f"{', '.join(f'{x:.2f}' for x in tail)})"
        )


if __name__ == "__main__":
    raise SystemExit(main())
