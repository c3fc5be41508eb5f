"""Time importing a generated 5,000-row participants file (2% bad rows), as the command does it.

    .venv/bin/python benchmarks/bench_import.py --rows 5000 --runs 3          # SQLite, var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import \\
        .venv/bin/python benchmarks/bench_import.py --rows 5000 --runs 3

Each run starts from a fresh scheme on a throwaway database (PostgreSQL: dropped and created
again) and times, in one process, ``equimentor import_participants FILE --scheme S --invite``
(read, check, import in one transaction, and queue one invitation email per person for the
worker: the production task backend, so no email is sent in the command), then the same file
again (which must change nothing), for CSV and XLSX files made by tests/import_files.py.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchdb import fresh_database  # noqa: E402
from tests import import_files  # noqa: E402

INSTITUTIONS = [f"University of Benchmark {i}" for i in range(40)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    fresh_database(None if os.environ.get("DATABASE_URL") else "import.sqlite3")
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    from equimentor.core.models import OutgoingEmail
    from equimentor.enrolment.models import Participant
    from equimentor.schemes.models import Institution
    from tests import factories

    for name in INSTITUTIONS:
        Institution.objects.create(name=name)
    print(f"database: {connection.vendor}; {args.rows} rows, 2% bad; {args.runs} runs per format")
    from tests.tasks_setup import DATABASE_TASKS

    with tempfile.TemporaryDirectory() as folder, override_settings(TASKS=DATABASE_TASKS):
        for fmt in ("csv", "xlsx"):
            firsts, agains = [], []
            for run in range(args.runs):
                scheme = factories.make_scheme(slug=f"bench-{fmt}-{run}", max_mentor_capacity=4)
                table = import_files.rows(
                    args.rows, INSTITUTIONS, scheme.career_stages, bad_every=50
                )
                table = [table[0]] + [
                    [f"{fmt}{run}-{r[0]}", *r[1:]] for r in table[1:]
                ]  # new people each run
                body = import_files.as_csv(table) if fmt == "csv" else import_files.as_xlsx(table)
                path = Path(folder) / f"people.{fmt}"
                path.write_bytes(body)
                out = io.StringIO()
                started = time.perf_counter()
                call_command(
                    "import_participants",
                    str(path),
                    "--scheme",
                    scheme.slug,
                    "--invite",
                    stdout=out,
                )
                firsts.append(time.perf_counter() - started)
                summary = out.getvalue().strip().splitlines()[-1]
                started = time.perf_counter()
                call_command(
                    "import_participants",
                    str(path),
                    "--scheme",
                    scheme.slug,
                    "--invite",
                    stdout=io.StringIO(),
                )
                agains.append(time.perf_counter() - started)
                made = Participant.objects.filter(scheme=scheme).count()
                queued = OutgoingEmail.objects.filter(to__startswith=f"{fmt}{run}-").count()
                print(
                    f"{fmt} run {run + 1}: {firsts[-1]:.2f} s ({summary}); participants {made}, "
                    f"emails queued {queued}; same file again {agains[-1]:.2f} s"
                )
            print(
                f"{fmt}: median {statistics.median(firsts):.2f} s, slowest {max(firsts):.2f} s; "
                f"again: median {statistics.median(agains):.2f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
