"""Time the coordinator's "Publish" of a round of many proposals (the request, not the emails).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_publish \\
        .venv/bin/python benchmarks/bench_publish.py --proposals 5000 --rounds 5
    .venv/bin/python benchmarks/bench_publish.py --proposals 5000      # SQLite under var/bench/

Builds ``--rounds`` schemes on a throwaway database (PostgreSQL: dropped and created again), each
with a closed round whose dry run pairs every one of ``--proposals`` mentees (tests/round_setup.py),
then POSTs each round's publish form once as its coordinator through Django's test client, with
the production task backend (tasks wait in the database for a worker), and prints the time of
each request, its SQL queries, and what it left for the worker: the email task, and no email yet.
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
from benchmarks.benchdb import fresh_database  # noqa: E402
from tests.round_setup import ready_round  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    fresh_database(None if os.environ.get("DATABASE_URL") else "publish.sqlite3")
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    from equimentor.core.models import OutgoingEmail
    from equimentor.matching.models import Proposal
    from tests.tasks_setup import DATABASE_TASKS

    t0 = time.perf_counter()
    rounds = [ready_round(f"publish{k}", args.proposals) for k in range(args.rounds)]
    print(
        f"database: {connection.vendor}; {args.rounds} rounds of {args.proposals} pairs made "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    times = []
    with override_settings(TASKS=DATABASE_TASKS):
        for scheme, matching_round, coordinator in rounds:
            client = Client()
            client.force_login(coordinator)
            client.get(f"/manage/{scheme.slug}/matching/{matching_round.pk}/")  # warm, as a person
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.post(
                    f"/manage/{scheme.slug}/matching/{matching_round.pk}/publish/"
                )
                elapsed = time.perf_counter() - start
            assert response.status_code == 302, response.status_code
            made = Proposal.objects.filter(round=matching_round).count()
            assert made == args.proposals, made
            times.append(elapsed)
            print(
                f"{scheme.slug}: {made} proposals published in {elapsed * 1000:.0f} ms, "
                f"{len(queries)} queries"
            )
    waiting = DBTaskResult.objects.filter(status="READY").count()
    print(
        f"publish request: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {len(times)} rounds; left for the worker: "
        f"{waiting} email tasks, {OutgoingEmail.objects.count()} emails rendered in the request"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
