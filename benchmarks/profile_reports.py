"""What a kept reports page still costs, per request, in one process (issue #17).

    CACHE_URL=redis://127.0.0.1:6379/11 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports \\
        nice .venv/bin/python benchmarks/profile_reports.py [--profile dashboard-3]

Uses the data ``benchmarks/bench_reports.py`` left (scheme ``bench``, not regenerated) and its
coordinator, signed in through Django's test client. Each page is computed once and kept, then
requested ``--requests`` times per round, the pages taking turns ``--rounds`` times. Prints the
median time per kept request and its number of SQL queries; ``--profile PAGE`` adds a cProfile
of that page's kept requests (top functions by own time and, for the project's code and
templates, by cumulative time). No server, no network: the Python and database work of one
request, which is what ten coordinators at once share the cores for.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchdb import use_database  # noqa: E402

PAGES = {
    "dashboard-0": "/manage/bench/reports/",
    "dashboard-2": "/manage/bench/reports/?by1=ethnicity&by2=gender",
    "dashboard-3": "/manage/bench/reports/?by1=ethnicity&by2=gender&by3=disability",
    "committee-0": "/schemes/bench/reports/",
    "committee-2": "/schemes/bench/reports/?by1=ethnicity&by2=gender",
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10, help="per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=sorted(PAGES), help="cProfile this page's requests")
    parser.add_argument("--top", type=int, default=30, help="functions the profile prints")
    args = parser.parse_args()

    use_database()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from equimentor.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email="coordinator@bench.example"))

    def get(path: str) -> float:
        t0 = time.perf_counter()
        response = client.get(path)
        took = time.perf_counter() - t0
        assert response.status_code == 200, (path, response.status_code)
        return took

    for path in PAGES.values():  # computed once (or found kept), templates loaded
        get(path)
        get(path)
    times: dict[str, list[float]] = {label: [] for label in PAGES}
    queries = {}
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.rounds):
        for label, path in PAGES.items():
            profiled = profiler is not None and label == args.profile
            for _ in range(args.requests):
                if profiled:
                    profiler.enable()
                with CaptureQueriesContext(connection) as seen:
                    times[label].append(get(path))
                queries[label] = len(seen)
                if profiled:
                    profiler.disable()

    print(f"\nkept pages, {args.rounds} rounds of {args.requests} requests (median per request)")
    for label, runs in times.items():
        print(f"{label:<12} {statistics.median(runs) * 1000:7.1f} ms  {queries[label]} queries")
    if profiler is not None:
        print(f"\ncProfile of {args.profile} ({args.rounds * args.requests} requests):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(
            "equimentor|template|cache|pickle", args.top
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
