"""Per-request cost of the directory page and API against the home page, in one process.

    nice .venv/bin/python benchmarks/profile_directory.py --mentors 5000            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_profile \\
        nice .venv/bin/python benchmarks/profile_directory.py --mentors 5000        # PostgreSQL
    ... --profile api        # cProfile of the API's requests (top functions by own time)

Seeds a throwaway database as ``load_directory.py`` does (one scheme, N listed mentors, a
proposal for every third, 50 approved mentees with a session each; the database is recreated),
then sends one mentee's requests through Django's test client: the home page, the directory's
first page and the directory API, ``--requests`` each, taking turns ``--rounds`` times after a
warm-up. Prints the median time per request of each page and the ratios to the home page taken
in the same run (the target of issue #17, 0.6x the home page's throughput, needs a page to cost
about 1.6x the home page's time or less). No server and no network: this measures the Python and
database work of one request, which is what the load benchmark's 2 cores are short of.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchdb import fresh_database  # noqa: E402

PAGES = {
    "home": "/",
    "page": "/schemes/load/mentors/",
    "api": "/api/v1/schemes/load/mentors/",
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentors", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=20, help="per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=sorted(PAGES), help="cProfile this page's requests")
    parser.add_argument("--top", type=int, default=30, help="functions the profile prints")
    args = parser.parse_args()

    fresh_database(None if os.environ.get("DATABASE_URL") else "profile.sqlite3")
    from django.conf import settings
    from django.test import Client

    from benchmarks.load_directory import seed

    cookie = seed(args.mentors)[0]
    client = Client(HTTP_X_FORWARDED_PROTO="https", secure=True)
    name, value = cookie.split("=", 1)
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    assert name == settings.SESSION_COOKIE_NAME

    def get(path: str) -> float:
        t0 = time.perf_counter()
        response = client.get(path)
        took = time.perf_counter() - t0
        assert response.status_code == 200, (path, response.status_code)
        return took

    for path in PAGES.values():  # warm up: imports, templates, the kept order
        for _ in range(5):
            get(path)
    times: dict[str, list[float]] = {label: [] for label in PAGES}
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.rounds):
        for label, path in PAGES.items():
            profiled = profiler is not None and label == args.profile
            for _ in range(args.requests):
                if profiled:
                    profiler.enable()
                times[label].append(get(path))
                if profiled:
                    profiler.disable()

    home = statistics.median(times["home"])
    print(
        f"\n{args.mentors:,} mentors, {connection_vendor()}, {args.rounds} rounds of "
        f"{args.requests} requests per page (median per request)"
    )
    for label, runs in times.items():
        ms = statistics.median(runs) * 1000
        print(f"{label:<5} {ms:7.1f} ms  {ms / (home * 1000):5.2f}x home")
    if profiler is not None:
        print(f"\ncProfile of {args.profile} ({args.rounds * args.requests} requests; profiled")
        print("requests are slower than the figures above):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(
            "equimentor|template|serializ", args.top
        )
    return 0


def connection_vendor() -> str:
    from django.db import connection

    return "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"


if __name__ == "__main__":
    raise SystemExit(main())
