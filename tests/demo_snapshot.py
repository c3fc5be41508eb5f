"""The demo seeded once per test run and copied, row for row, into each module that asks for it.

``seed()`` goes through the service layer (registrations, consents, a published round, meetings,
questionnaires, training): 5–10 s each time. The first worker to need it seeds it inside a
transaction, reads every table the seed filled, writes the rows to a file beside the run's
temporary directory and rolls the seed back; every module (on any worker) then copies those rows in
well under a second. The copy is exact: SQLite's ``quote()`` gives each value as an SQL literal,
PostgreSQL's ``COPY`` its text form, so no value passes through a Python type on the way.
Foreign keys are deferred to commit on both databases (Django declares them so), and a module's
copy is rolled back, never committed, so the order of tables does not matter.
"""

from __future__ import annotations

import fcntl
import pickle
from pathlib import Path

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import TestCase

from equimentor.demo.seed import seed

SLUG = "horizons"


def _tables() -> dict[str, type]:
    tables: dict[str, type] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy:
            tables.setdefault(meta.db_table, model)
    return tables


def _columns(cursor, table: str) -> list[str]:
    return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def _counts(cursor, tables) -> dict[str, int]:
    qn = connection.ops.quote_name
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {qn(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _dump(cursor, table: str, columns: list[str]):
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    if connection.vendor == "sqlite":
        quoted = ", ".join(f"quote({qn(c)})" for c in columns)
        cursor.execute(f"SELECT {quoted} FROM {qn(table)}")
        return cursor.fetchall()
    with cursor.cursor.copy(f"COPY {qn(table)} ({names}) TO STDOUT") as copy:
        return b"".join(bytes(block) for block in copy)


def _load(cursor, table: str, columns: list[str], rows) -> None:
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    if connection.vendor == "sqlite":
        for start in range(0, len(rows), 200):
            values = ", ".join("(" + ", ".join(row) + ")" for row in rows[start : start + 200])
            cursor.execute(f"INSERT INTO {qn(table)} ({names}) VALUES {values}")
        return
    with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
        copy.write(rows)


def take() -> dict:
    """Seed the demo (in the caller's transaction) and return its rows, table by table."""
    tables = _tables()
    with connection.cursor() as cursor:
        before = _counts(cursor, tables)
        with TestCase.captureOnCommitCallbacks(execute=False):
            assert seed() is True
        after = _counts(cursor, tables)
        changed = [t for t in tables if before[t] and after[t] != before[t]]
        if changed:
            raise RuntimeError(
                f"seed() added rows to tables that already had rows: {changed}; "
                "the snapshot copies only tables the seed filled from empty"
            )
        snapshot = {}
        for table in tables:
            if after[table] and not before[table]:
                columns = _columns(cursor, table)
                snapshot[table] = (columns, _dump(cursor, table, columns))
    return snapshot


def put(snapshot: dict) -> None:
    """Copy the demo's rows into the database (in the caller's transaction)."""
    tables = _tables()
    with connection.cursor() as cursor:
        for table, (columns, rows) in snapshot.items():
            _load(cursor, table, columns, rows)
        # PostgreSQL's sequences do not follow rows copied with their ids (SQLite's do).
        for sql in connection.ops.sequence_reset_sql(no_style(), [tables[t] for t in snapshot]):
            cursor.execute(sql)


_taken: dict[str, dict] = {}


def shared(directory: Path) -> dict:
    """The run's snapshot: taken by the first worker that needs it (under a file lock), read from
    the file by the others. Call inside a transaction that the caller rolls back."""
    key = f"demo-{connection.vendor}"
    if key in _taken:
        return _taken[key]
    path = directory / f"{key}.pickle"
    with open(directory / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            snapshot = pickle.loads(path.read_bytes())
        else:
            with transaction.atomic():
                snapshot = take()
                transaction.set_rollback(True)
            path.write_bytes(pickle.dumps(snapshot))
    _taken[key] = snapshot
    return snapshot
