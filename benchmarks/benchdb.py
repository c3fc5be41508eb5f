"""A throwaway database for the benchmarks (shared by bench_web.py and bench_reports.py).

``fresh_database(sqlite_name)`` points Django at ``var/bench/<sqlite_name>`` (recreated) when
``sqlite_name`` is given, else at ``DATABASE_URL`` (a PostgreSQL database, dropped and created
again), sets up Django with the test settings and migrates. ``use_database()`` only sets Django
up, on whatever ``DATABASE_URL`` names (to time data a previous run left).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_database() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "equimentor.test_settings"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def fresh_database(sqlite_name: str | None) -> None:
    if sqlite_name:
        bench_dir = ROOT / "var" / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        db = bench_dir / sqlite_name
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    use_database()
    from django.core.management import call_command
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.close()
        admin = connections["default"].settings_dict.copy()
        import psycopg

        with psycopg.connect(
            host=admin["HOST"] or None,
            port=admin["PORT"] or None,
            user=admin["USER"] or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)
