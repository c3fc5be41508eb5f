"""Time the reports (funnel and equity audit) over generated data, on a throwaway database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports \
        .venv/bin/python benchmarks/bench_reports.py                 # PostgreSQL (recreated)
    .venv/bin/python benchmarks/bench_reports.py --sqlite --participants 10000  # var/bench/
    ... benchmarks/bench_reports.py --reuse [--pages-only]   # time again, no regeneration

Generates participants across 40 institutions and 6 career stages (about 80% consenting to
identity reports, with answers in 2–3 dimensions), expressions of interest, accepted and declined
proposals, relationships in every state with close reasons, memberships, sponsorship acts and
milestones, all with ``bulk_create``. Then times the computation alone (``reports.sections``, a
fresh scope each run) for the funnel overall, by institution, by one identity dimension, by two
(intersectional) and the equity indicators; and the whole coordinator's dashboard page and the
committee page (Django test client; the cache is cleared before each request, so each computes
everything afresh) overall, by institution, by ethnicity, by ethnicity × gender and by
ethnicity × gender × disability. Prints the median and the slowest of several runs, the number of
SQL queries and the load average.

``--cache`` (issue #17) then times, in the same run, each page cold (cache cleared: what every
request cost before the cache) against warm (viewed again, nothing changed), and ten
coordinators refreshing one page at once (ten threads, each its own signed-in client and
database connection, started together) against one alone: just after a change (the scheme's
data version moved, nothing kept), with and without the wait for one computation, and with the
sections kept. Threads share one Python process (one core for Python at a time); PostgreSQL
works in its own processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchdb import fresh_database, use_database  # noqa: E402
from tests.reports_data import generate  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_reports"


def setup_database(sqlite: bool) -> None:
    if not sqlite:
        os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    fresh_database("reports.sqlite3" if sqlite else None)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite under var/bench/")
    parser.add_argument(
        "--reuse", action="store_true", help="time the data a previous run left (no regeneration)"
    )
    parser.add_argument(
        "--pages-only", action="store_true", help="time the pages, not the computations alone"
    )
    parser.add_argument(
        "--cache", action="store_true", help="then cold against warm, and 10 at once (#17)"
    )
    parser.add_argument(
        "--cache-only", action="store_true", help="only the --cache part (with --reuse)"
    )
    args = parser.parse_args()

    if args.reuse:
        os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
        use_database()
    else:
        setup_database(args.sqlite)
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from equimentor.reports import queries, sections
    from equimentor.reports.models import rules_for

    t0 = time.perf_counter()
    if args.reuse:
        from equimentor.accounts.models import User
        from equimentor.schemes.models import Scheme

        scheme = Scheme.objects.get(slug="bench")
        coordinator = User.objects.get(email="coordinator@bench.example")
        print(f"database: {connection.vendor}; reusing the data of a previous run")
    else:
        scheme, coordinator, n_eoi = generate(args.participants, args.relationships)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        print(
            f"database: {connection.vendor}; {args.participants} participants, "
            f"{args.relationships} relationships, {n_eoi} expressions of interest "
            f"made in {time.perf_counter() - t0:.1f} s"
        )
    rules = rules_for(scheme)

    def scope():  # a fresh scope each time: nothing cached between runs
        return queries.Scope(scheme)

    computations = {
        "funnel, overall": lambda: sections.funnel_report(scope(), [], rules),
        "funnel, by institution": lambda: sections.funnel_report(scope(), ["institution"], rules),
        "funnel, by ethnicity": lambda: sections.funnel_report(scope(), ["ethnicity"], rules),
        "funnel, ethnicity x gender": lambda: sections.funnel_report(
            scope(), ["ethnicity", "gender"], rules
        ),
        "equity indicators, ethnicity": lambda: sections.equity_report(
            scope(), ["ethnicity"], rules
        ),
        "equity, ethnicity x gender": lambda: sections.equity_report(
            scope(), ["ethnicity", "gender"], rules
        ),
    }
    breakdowns = {
        "overall": "",
        "by institution": "?by1=institution",
        "by ethnicity": "?by1=ethnicity",
        "ethnicity x gender": "?by1=ethnicity&by2=gender",
        "eth x gender x disability": "?by1=ethnicity&by2=gender&by3=disability",
    }
    pages = {}
    for page, base in (
        ("dashboard", "/manage/bench/reports/"),
        ("committee", "/schemes/bench/reports/"),
    ):
        for name, query in breakdowns.items():
            pages[f"{page}, {name}"] = base + query
    client = Client()
    client.force_login(coordinator)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"{'what':<36} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    worst = 0.0

    def timed(label, fn):
        nonlocal worst
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                fn()
                times.append((time.perf_counter() - start) * 1000)
        worst = max(worst, statistics.median(times))
        print(f"{label:<36} {statistics.median(times):>10.1f} {max(times):>8.1f} {len(queries):>8}")

    for label, fn in computations.items() if not args.pages_only else ():
        timed(label, fn)

    def get(url, afresh=True):
        if afresh:
            cache.clear()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    if not args.cache_only:
        for label, url in pages.items():
            timed(label, lambda url=url: get(url))
        print(f"slowest median: {worst:.0f} ms (target ≤ 2000 ms)")
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.cache or args.cache_only:
        cache_figures(scheme, coordinator, pages, args.repeat, get)
    return 0


def cache_figures(scheme, coordinator, pages, repeat, get) -> None:
    """Cold against warm for every page, and ten refreshes at once against one (issue #17)."""
    import threading

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from equimentor.core import versions
    from equimentor.reports import cache as kept

    def ms(fn) -> float:
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1000

    print()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"{'page (median ms)':<36} {'cold':>8} {'warm':>8} {'warm/cold':>10}")
    worst = 0.0
    for label, url in pages.items():
        cold = statistics.median(ms(lambda url=url: get(url)) for _ in range(repeat))
        get(url)  # kept
        warm = statistics.median(ms(lambda url=url: get(url, afresh=False)) for _ in range(repeat))
        worst = max(worst, warm / cold)
        print(f"{label:<36} {cold:>8.1f} {warm:>8.1f} {warm / cold:>10.3f}")
    print(f"highest warm/cold: {worst:.3f} (target ≤ 0.25)")

    clients = []
    for _ in range(10):
        c = Client()
        c.force_login(coordinator)
        clients.append(c)

    def at_once(url) -> tuple[float, float]:
        """(wall ms until all ten are answered, median ms of one of them)."""
        barrier = threading.Barrier(len(clients) + 1)
        took = []

        def one(c):
            barrier.wait()
            start = time.perf_counter()
            response = c.get(url)
            took.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
            connection.close()

        threads = [threading.Thread(target=one, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        start = time.perf_counter()
        barrier.wait()
        for t in threads:
            t.join()
        return (time.perf_counter() - start) * 1000, statistics.median(took)

    def changed():
        versions.changed(scheme)  # autocommit: as a service's change would

    print()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(
        f"{'10 refreshing at once (median ms)':<44} {'one':>8} {'10: all':>8} "
        f"{'each':>8} {'all/one':>8} {'all/one cold':>13}"
    )
    for label in ("dashboard, overall", "dashboard, ethnicity x gender"):
        url = pages[label]
        runs = {"after a change": [], "after a change, no wait": [], "kept": []}
        one = {"cold": [], "kept": []}
        for _ in range(repeat):
            changed()
            one["cold"].append(ms(lambda url=url: get(url, afresh=False)))
            one["kept"].append(ms(lambda url=url: get(url, afresh=False)))
            changed()
            runs["after a change"].append(at_once(url))
            runs["kept"].append(at_once(url))
            changed()
            wait, kept.WAIT_SECONDS = kept.WAIT_SECONDS, 0.0
            try:
                runs["after a change, no wait"].append(at_once(url))
            finally:
                kept.WAIT_SECONDS = wait
        cold1, kept1 = statistics.median(one["cold"]), statistics.median(one["kept"])
        for what, found in runs.items():
            alone = kept1 if what == "kept" else cold1
            wall = statistics.median(w for w, _ in found)
            each = statistics.median(e for _, e in found)
            print(
                f"{label + ': ' + what:<44} {alone:>8.1f} {wall:>8.1f} {each:>8.1f} "
                f"{wall / alone:>8.2f} {wall / cold1:>13.2f}"
            )
    cache.clear()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    raise SystemExit(main())
