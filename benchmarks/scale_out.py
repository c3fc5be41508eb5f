"""Scale-out proof: two web servers, two workers and a scheduler on one PostgreSQL and one Redis,
a round published and a tick run while a worker is killed, and every email sent exactly once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scale \\
    CACHE_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/scale_out.py --mentees 1000 --ports 8301 8302 8303

What it does, all on loopback (``tests/test_scale_out.py`` runs the same with a small round):

1. recreates the database and fills it in this process: the demo site (whose relationships make
   the periodic jobs send questionnaire invitations) and a scheme with a closed round whose dry
   run pairs every one of ``--mentees`` mentees;
2. starts an SMTP server (aiosmtpd, in this process; each message takes ``--smtp-delay``
   seconds to accept, like a real server) and, with production settings (``equimentor.settings``,
   DEBUG off, https redirect, Redis cache, tasks in PostgreSQL): two gunicorn servers with two
   processes each (the first two ports), two ``equimentor worker`` and one ``equimentor
   scheduler``;
3. the coordinator opens the round on one web server and publishes it through the other (one
   session and CSRF token across both), then ``equimentor tick`` runs beside the scheduler;
4. as soon as the first worker is in the middle of a task of sending emails, it is killed with
   SIGKILL;
5. waits until nothing is left to do and compares what the SMTP server accepted (by Message-ID)
   with the outbox: every email sent, none twice, no task left waiting, running or failed.

A worker killed between the SMTP server's "250 accepted" and its own record of "sent" would send
that one email again when its task is retried: the same message with the same Message-ID (see
``equimentor/core/outbox.py``), counted here as a duplicate.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.scale_out_proof import SECRET_KEY, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentees", type=int, default=1000)
    parser.add_argument("--ports", type=int, nargs=3, default=(8301, 8302, 8303))
    parser.add_argument("--smtp-delay", type=float, default=0.02)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        parser.error("set DATABASE_URL to a PostgreSQL database (it is dropped and created)")
    cache_url = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/1")
    os.environ["SECRET_KEY"] = SECRET_KEY  # sessions made here are valid on the servers
    from benchmarks.benchdb import fresh_database

    fresh_database(None)
    with tempfile.TemporaryDirectory(prefix="equimentor-scale-") as workdir:
        result = run(
            database_url=database_url,
            cache_url=cache_url,
            mentees=args.mentees,
            ports=tuple(args.ports),
            workdir=Path(workdir),
            smtp_delay=args.smtp_delay,
        )
    for key, value in result.items():
        if key in {"missing", "unexpected"}:
            value = len(value)
        print(f"{key}: {value}")
    ok = (
        not result["missing"]
        and not result["unexpected"]
        and not result["duplicates"]
        and result["emails_failed"] == 0
        and set(result["tasks"]) == {"SUCCESSFUL"}
    )
    print("every email sent exactly once, no task lost" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise SystemExit(main())
