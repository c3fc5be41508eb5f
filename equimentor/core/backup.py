"""Back up and restore a site: its PostgreSQL database, its files and its secret key.

A backup is a folder ``equimentor-<UTC time>/`` holding

``database.dump``  ``pg_dump --format=custom`` of the whole database (read back by ``pg_restore``)
``var.tar.gz``     ``EQUIMENTOR_VAR_DIR`` without the collected static files (the SAML key pair)
``secret_key``     ``SECRET_KEY`` then any ``SECRET_KEY_FALLBACKS``, one a line: sessions, and the
                   identity providers' stored client secrets, are unreadable without it
``manifest.json``  when, which Equimentor, and the last migration of each app

The folder is made readable by its owner only; it holds the secret key and everyone's data, so
store it encrypted (docs/deployment.md, "Backups").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

DUMP, FILES, SECRET, MANIFEST = "database.dump", "var.tar.gz", "secret_key", "manifest.json"
# tarfile's "data" filter (permissions kept sane, nothing outside the folder) exists from Python
# 3.11.4; Debian 12's 3.11.2 lacks it, and there only regular files inside the folder are
# extracted (restore() checks that first).
_SAFE_EXTRACT = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def libpq_env() -> dict[str, str]:
    """The environment that points pg_dump/pg_restore at this site's database."""
    if connection.vendor != "postgresql":
        raise CommandError(
            "Backups here are made with pg_dump and need PostgreSQL (DATABASE_URL=postgres://...). "
            "A SQLite database is the file equimentor.sqlite3 in EQUIMENTOR_VAR_DIR: copy it with "
            "`sqlite3 equimentor.sqlite3 '.backup copy.sqlite3'`."
        )
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _run(args: list[str]) -> None:
    if shutil.which(args[0]) is None:
        raise CommandError(f"{args[0]} is not installed (Debian: apt install postgresql-client).")
    result = subprocess.run(args, env=libpq_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"{args[0]} failed:\n{result.stderr.strip()}")


def _static_root() -> Path | None:
    var, static = Path(settings.VAR_DIR).resolve(), Path(settings.STATIC_ROOT).resolve()
    return static if static.is_relative_to(var) else None


def _files(path: Path) -> None:
    var = Path(settings.VAR_DIR)
    static = _static_root()
    sqlite = var / "equimentor.sqlite3"

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        full = (var / info.name).resolve()
        if static is not None and full.is_relative_to(static):
            return None
        if full.name.startswith(sqlite.name):  # not ours in production; copied live, corrupt
            return None
        return info

    with tarfile.open(path, "w:gz") as archive:
        if var.is_dir():
            archive.add(var, arcname=".", filter=keep)


def _migrations() -> dict[str, str]:
    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        last[app] = max(last.get(app, ""), name)
    return dict(sorted(last.items()))


def _version() -> str:
    try:
        return version("equimentor")
    except PackageNotFoundError:
        return "unknown"


def back_up(destination: Path) -> Path:
    """Write a new backup folder under ``destination`` and return it."""
    libpq_env()  # PostgreSQL or a clear refusal, before anything is written
    now = timezone.now()
    folder = destination / f"equimentor-{now:%Y%m%dT%H%M%SZ}"
    folder.mkdir(mode=0o700, parents=True)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={folder / DUMP}"])
    _files(folder / FILES)
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    secret = folder / SECRET
    secret.touch(mode=0o600)
    secret.write_text("\n".join(keys) + "\n")
    manifest = {
        "created_at": now.isoformat(),
        "equimentor": _version(),
        "database": settings.DATABASES["default"]["NAME"],
        "migrations": _migrations(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in folder.iterdir():  # the owner's alone, wherever the folder is copied
        path.chmod(0o600)
    return folder


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(folder: Path, *, replace: bool = False) -> dict:
    """Load a backup folder into this site's database and ``EQUIMENTOR_VAR_DIR``.

    Refuses unless ``SECRET_KEY`` is the backup's, and, without ``replace``, unless the database
    is empty and no file would be overwritten.
    """
    for name in (DUMP, FILES, SECRET, MANIFEST):
        if not (folder / name).is_file():
            raise CommandError(f"{folder} is not a backup: {name} is missing.")
    libpq_env()
    backed_up = (folder / SECRET).read_text().splitlines()
    if settings.SECRET_KEY != backed_up[0]:
        raise CommandError(
            f"SECRET_KEY is not the backed-up site's key. Set SECRET_KEY to the first line of "
            f"{folder / SECRET} (and SECRET_KEY_FALLBACKS to any further lines) in the settings "
            "file first: without it, sessions and the identity providers' secrets are lost."
        )
    var = Path(settings.VAR_DIR)
    with tarfile.open(folder / FILES) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        outside = [
            m.name for m in members if not (var / m.name).resolve().is_relative_to(var.resolve())
        ]
        if outside:
            raise CommandError(f"{folder / FILES} names files outside the folder: {outside}")
        clashes = [m.name for m in members if (var / m.name).exists()]
        if clashes and not replace:
            raise CommandError(
                f"{var} already holds {', '.join(sorted(clashes))}: run with --replace to "
                "overwrite them."
            )
        if not replace and not _database_is_empty():
            raise CommandError(
                "The database is not empty: run with --replace to drop what is in it first, or "
                "restore into a new, empty database."
            )
        connection.close()  # pg_restore --clean drops the tables this connection may hold
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *(["--clean", "--if-exists"] if replace else []),
                f"--dbname={libpq_env()['PGDATABASE']}",
                str(folder / DUMP),
            ]
        )
        var.mkdir(parents=True, exist_ok=True)
        archive.extractall(var, members=members, **_SAFE_EXTRACT)
    manifest = json.loads((folder / MANIFEST).read_text())
    return {"files": len(members), "created_at": manifest["created_at"]}
