"""Time the pages that list many rows, on a throwaway database.

    .venv/bin/python benchmarks/bench_web.py --mentors 5000            # SQLite under var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_web \
        .venv/bin/python benchmarks/bench_web.py --mentors 5000        # PostgreSQL (database is recreated)

Measures, in one process with Django's test client: the mentor directory (first page, a filtered
page, a late page), and the coordinator's registrations list. Prints the median of several requests
and the number of SQL queries per page.
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentors", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    fresh_database(None if os.environ.get("DATABASE_URL") else "web.sqlite3")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from equimentor.accounts.models import User
    from equimentor.directory.models import MentorListing
    from equimentor.enrolment.models import Participant
    from equimentor.schemes.models import Institution, StaffRole
    from tests import factories

    scheme = factories.make_scheme(slug="bench", different_institutions=True)
    coordinator = User.objects.create_user("coordinator@bench.example", full_name="Coordinator")
    StaffRole.objects.create(user=coordinator, scheme=scheme, role="coordinator")
    institutions = Institution.objects.bulk_create(
        [Institution(name=f"University {i}") for i in range(40)]
    )
    t0 = time.perf_counter()
    users = User.objects.bulk_create(
        [
            User(email=f"m{i}@bench.example", full_name=f"Mentor {i:05d}")
            for i in range(args.mentors + 1)
        ]
    )
    words = [
        "maternal health",
        "genomics",
        "stroke",
        "health services research",
        "global health",
        "diabetes",
    ]
    people = Participant.objects.bulk_create(
        [
            Participant(
                user=u,
                scheme=scheme,
                status="approved",
                is_mentor=i < args.mentors,
                is_mentee=i == args.mentors,
                job_title="Reader",
                career_stage=i % 6,
                pathway="clinical" if i % 2 else "non_clinical",
                institution=institutions[i % 40],
                department=["Cardiology", "Public Health", "Surgery"][i % 3],
                research_interests=f"{words[i % 6]}; {words[(i * 7) % 6]}",
                career_summary="Many years.",
                offers="Grant writing",
                seeks="Advice",
                mentor_capacity=1 + i % 4,
            )
            for i, u in enumerate(users)
        ]
    )
    MentorListing.objects.bulk_create([MentorListing(participant=p) for p in people[:-1]])
    print(
        f"database: {connection.vendor}; {args.mentors} mentors made in {time.perf_counter() - t0:.1f} s"
    )

    client = Client()
    client.force_login(coordinator)
    pages = {
        "directory, first page": "/schemes/bench/mentors/",
        "directory, filtered": "/schemes/bench/mentors/?pathway=clinical&interests=maternal+health&free=on",
        "directory, page 100": "/schemes/bench/mentors/?page=100",
        "registrations, all": "/manage/bench/registrations/?status=all",
        "registrations, page 50": "/manage/bench/registrations/?status=all&page=50",
    }
    print(f"{'page':<26} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    for label, url in pages.items():
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{label:<26} {statistics.median(times):>10.1f} {max(times):>8.1f} {len(queries):>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
