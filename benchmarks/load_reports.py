"""Ten coordinators refreshing the reports at once, on the production server (issue #17).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports \\
        .venv/bin/python benchmarks/load_reports.py            # generates 100,000 participants
    ... benchmarks/load_reports.py --reuse                     # the data bench_reports.py left

Uses the data of ``benchmarks/bench_reports.py`` (scheme ``bench``; generated here unless
``--reuse``), adds ten coordinators, each with a confirmed authenticator and a signed-in session
that passed two-factor sign-in (as staff must in production), starts gunicorn as in production
(``equimentor/gunicorn_conf.py``: DEBUG off, Redis cache, persistent database connections,
``WEB_CONCURRENCY`` workers, default 2 x cores + 1) on loopback, and for each page:

- **kept** (nothing changed since the last view): one coordinator alone, ``--alone`` requests
  one after another; then ten at once (each coordinator's request sent together, on its own
  connection), ``--bursts`` times; alternating, ``--rounds`` times, so that other work
  on the machine weighs on both alike;
- **after a change** (the scheme's data version moved, nothing kept): one alone, then ten at
  once, ``--rounds`` times each.

The coordinator's home page is measured too, as a reference: a page of the same weight (seven
small queries) that computes nothing of the reports.

Prints, per page: one alone (median), ten at once (the time until all ten are answered, and each
coordinator's own time: p50 and p95 over every burst) and the ratios against one alone (target:
ten at once under 3x one); for kept pages the CPU time one request costs (gunicorn's workers,
the PostgreSQL processes serving them, this script), from which the floor of the ratio on this
machine follows: ten requests that each need ``c`` ms of CPU cannot all be answered by ``n``
cores in less than ``10 c / n`` ms, so on 2 cores with one request alone taking ``c`` ms, ten
take at least 5x one. ``--code DIR`` serves the ``equimentor`` package in DIR instead (an older
commit's, from ``git archive``), to compare code on the same data. Everything it starts is
stopped when it ends; it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchdb import fresh_database, use_database  # noqa: E402
from benchmarks.load_directory import HOST, SECRET_KEY, _env, _free_port, _serve  # noqa: E402

COORDINATORS = 10
HOME = "home page (reference)"  # the signed-in coordinator's home page: nothing of the reports
PAGES = {
    HOME: "/",
    "dashboard, overall": "/manage/bench/reports/",
    "dashboard, ethnicity x gender": "/manage/bench/reports/?by1=ethnicity&by2=gender",
    "dashboard, eth x gender x disability": (
        "/manage/bench/reports/?by1=ethnicity&by2=gender&by3=disability"
    ),
    "committee, overall": "/schemes/bench/reports/",
    "committee, ethnicity x gender": "/schemes/bench/reports/?by1=ethnicity&by2=gender",
}


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def sessions(scheme) -> list[str]:
    """Ten coordinators of ``scheme``, each signed in with two-factor sign-in passed; their
    session cookies."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from equimentor.accounts.models import User
    from equimentor.schemes.models import StaffRole

    cookies = []
    for i in range(COORDINATORS):
        user, made = User.objects.get_or_create(
            email=f"coordinator{i}@load.example", defaults={"full_name": f"Coordinator {i}"}
        )
        if made:
            StaffRole.objects.create(user=user, scheme=scheme, role="coordinator")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


class Coordinator:
    """One signed-in coordinator's browser: a connection and a session cookie."""

    def __init__(self, port: int, cookie: str):
        self.port, self.cookie = port, cookie
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)

    def get(self, path: str) -> float:
        """Seconds until the whole page has arrived."""
        start = time.perf_counter()
        self.conn.request(
            "GET", path, headers={"Cookie": self.cookie, "X-Forwarded-Proto": "https"}
        )
        response = self.conn.getresponse()
        body = response.read()
        took = time.perf_counter() - start
        if response.status != 200 or b"</html>" not in body:
            raise RuntimeError(f"{path}: {response.status} {response.getheader('Location')}")
        return took

    def close(self) -> None:
        self.conn.close()


def at_once(people: list[Coordinator], path: str) -> tuple[float, list[float]]:
    """Every coordinator asks for ``path`` at the same moment: (seconds until all are
    answered, each one's seconds)."""
    barrier = threading.Barrier(len(people) + 1)
    took: list[float] = [0.0] * len(people)
    failed: list[BaseException] = []

    def one(k: int) -> None:
        barrier.wait()
        try:
            took[k] = people[k].get(path)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(people))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if failed:
        raise failed[0]
    return wall, took


def _cpu_seconds(pid: int | str) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far (0 if it has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu(master: int) -> float:
    """CPU seconds used so far by gunicorn's worker processes."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sum(_cpu_seconds(pid) for pid in children)


def database_cpu(backends: list[int]) -> float:
    """CPU seconds used so far by the PostgreSQL processes serving the web processes."""
    return sum(_cpu_seconds(pid) for pid in backends)


def web_backends() -> list[int]:
    """The PostgreSQL processes of the web processes' connections to this database (they keep
    them open, ``DB_CONN_MAX_AGE``), not this script's own."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return [row[0] for row in cur.fetchall()]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def measure(port: int, master: int, cookies: list[str], scheme, args) -> dict:
    from equimentor.core import versions

    people = [Coordinator(port, c) for c in cookies]
    one = people[0]
    results = {}
    try:
        for label, path in PAGES.items():
            for c in people:  # warm: connections open, the page kept, templates loaded
                c.get(path)
            backends = web_backends()
            alone, walls, each = [], [], []
            web_cpu = db_cpu = client_cpu = 0.0
            for _ in range(args.rounds):
                web0, db0, client0 = (
                    workers_cpu(master),
                    database_cpu(backends),
                    time.process_time(),
                )
                times = [one.get(path) for _ in range(args.alone)]
                web_cpu += workers_cpu(master) - web0
                db_cpu += database_cpu(backends) - db0
                client_cpu += time.process_time() - client0
                alone.append(statistics.median(times))
                for _ in range(args.bursts):
                    wall, took = at_once(people, path)
                    walls.append(wall)
                    each.extend(took)
            cold_alone, cold_walls, cold_each = [], [], []
            for _ in range(args.rounds if path != PAGES[HOME] else 0):
                versions.changed(scheme)  # as a service's change would, in its own transaction
                cold_alone.append(one.get(path))
                versions.changed(scheme)
                wall, took = at_once(people, path)
                cold_walls.append(wall)
                cold_each.extend(took)
            results[label] = {
                "alone": statistics.median(alone),
                "alone_all": alone,
                "wall": statistics.median(walls),
                "each_p50": pct(each, 50),
                "each_p95": pct(each, 95),
                "cpu": web_cpu / (args.rounds * args.alone),
                "db_cpu": db_cpu / (args.rounds * args.alone),
                "client_cpu": client_cpu / (args.rounds * args.alone),
            }
            if cold_alone:
                results[label].update(
                    cold_alone=statistics.median(cold_alone),
                    cold_wall=statistics.median(cold_walls),
                    cold_each_p50=pct(cold_each, 50),
                    cold_each_p95=pct(cold_each, 95),
                )
            print(f"  measured {label} (load {load()})", flush=True)
    finally:
        for c in people:
            c.close()
    return results


def report(results: dict, workers: int) -> None:
    cores = os.cpu_count() or 1
    ms = 1000
    print(
        f"\nKept (nothing changed since the last view), {COORDINATORS} coordinators, "
        f"{workers} web processes, {cores} cores; ms"
    )
    print(
        f"{'page':<38} {'alone':>7} {'10: all':>8} {'each p50':>9} {'each p95':>9} "
        f"{'all/one':>8} {'p50/one':>8} {'p95/one':>8}"
    )
    for label, r in results.items():
        print(
            f"{label:<38} {r['alone'] * ms:>7.1f} {r['wall'] * ms:>8.1f} "
            f"{r['each_p50'] * ms:>9.1f} {r['each_p95'] * ms:>9.1f} "
            f"{r['wall'] / r['alone']:>8.2f} {r['each_p50'] / r['alone']:>8.2f} "
            f"{r['each_p95'] / r['alone']:>8.2f}"
        )
    print(f"\nCPU per kept request alone (ms) and the floor of 'all/one' on {cores} cores")
    print(f"{'page':<38} {'web':>6} {'db':>6} {'client':>7} {'total':>6} {'floor':>6} {'busy':>6}")
    for label, r in results.items():
        total = r["cpu"] + r["db_cpu"] + r["client_cpu"]
        print(
            f"{label:<38} {r['cpu'] * ms:>6.1f} {r['db_cpu'] * ms:>6.1f} "
            f"{r['client_cpu'] * ms:>7.1f} {total * ms:>6.1f} "
            f"{COORDINATORS * total / cores / r['alone']:>6.2f} {total / r['alone']:>6.2f}"
        )
    print(
        "(web: gunicorn's workers; db: the PostgreSQL processes serving them; client: this "
        "script. floor: ten requests' CPU shared by the cores, against one alone — no schedule "
        "answers all ten sooner; busy: the share of one request's time spent on a CPU — the rest "
        "is waiting, for the other work on the machine or for Redis)"
    )
    print(f"\nJust after a change (nothing kept), {COORDINATORS} coordinators; ms")
    print(
        f"{'page':<38} {'alone':>7} {'10: all':>8} {'each p50':>9} {'each p95':>9} "
        f"{'all/one':>8} {'all/kept':>9}"
    )
    for label, r in results.items():
        if "cold_alone" not in r:
            continue
        print(
            f"{label:<38} {r['cold_alone'] * ms:>7.1f} {r['cold_wall'] * ms:>8.1f} "
            f"{r['cold_each_p50'] * ms:>9.1f} {r['cold_each_p95'] * ms:>9.1f} "
            f"{r['cold_wall'] / r['cold_alone']:>8.2f} {r['wall'] / r['cold_alone']:>9.3f}"
        )
    print("(all/kept: ten kept pages at once, against one page computed alone)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=50_000)
    parser.add_argument("--reuse", action="store_true", help="the data a previous run left")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alone", type=int, default=10, help="requests alone per round")
    parser.add_argument("--bursts", type=int, default=3, help="ten at once, per round")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="serve the equimentor package in this folder (e.g. an older commit's, from "
        "git archive), to compare code on the same data",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to a PostgreSQL database the benchmark may use")
    os.environ["SECRET_KEY"] = SECRET_KEY  # the sessions made here are valid on the server
    if args.reuse:
        use_database()
        from equimentor.schemes.models import Scheme

        scheme = Scheme.objects.get(slug="bench")
    else:
        fresh_database(None)
        from django.db import connection

        from tests.reports_data import generate

        t0 = time.perf_counter()
        scheme, _, _ = generate(args.participants, args.relationships)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"generated in {time.perf_counter() - t0:.0f} s")
    from django.db import connection

    cookies = sessions(scheme)
    database_url = os.environ["DATABASE_URL"]
    cache_url = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/11")
    subprocess.run(["redis-cli", "-u", cache_url, "flushdb"], capture_output=True, check=False)
    workdir = Path(tempfile.mkdtemp(prefix="load-reports-"))
    (workdir / "var").mkdir()
    env = _env(database_url, cache_url, workdir)
    env["WEB_CONCURRENCY"] = os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1))
    env["REQUIRE_STAFF_2FA"] = "1"
    subprocess.run(
        [sys.executable, "-m", "equimentor", "collectstatic", "--noinput", "-v0"],
        cwd=args.code,
        env=env,
        check=True,
    )
    port = _free_port()
    print(f"load average before (1, 5, 15 min): {load()}", flush=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    web = _serve(env, port, args.code)
    try:
        results = measure(port, web.pid, cookies, scheme, args)
    finally:
        web.terminate()
        web.wait(timeout=30)
        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"started {started}, ended {time.strftime('%H:%M:%S')}; load average after: {load()}")
    print(f"code served: {args.code}")
    report(results, int(env["WEB_CONCURRENCY"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
