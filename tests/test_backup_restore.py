"""The documented backup and restore, run as an IT team would on PostgreSQL: a live site with the
demo data is backed up (`equimentor backup`), its database dropped and its files lost, restored
into a new empty database (`equimentor restore`), and the site answers with the same data: the
same pages, the same signed-in session (which needs the same SECRET_KEY) and the same SAML
certificate (kept in EQUIMENTOR_VAR_DIR)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client

from tests import processes


def _admin():
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _pages(env, tmp_path, name, session):
    """What the site shows: public pages, a signed-in page and the SAML certificate."""
    port = processes.free_port()
    web = processes.Process(
        processes.GUNICORN, {**env, "WEB_BIND": f"127.0.0.1:{port}"}, tmp_path / f"{name}.log"
    )
    try:
        processes.wait_until_serving(web, port)
        site = {"Host": "mentoring.example.org", "X-Forwarded-Proto": "https"}
        signed_in = {**site, "Cookie": f"sessionid={session}"}
        pages = {}
        for path, headers in [
            ("/", site),
            ("/schemes/horizons/", site),
            ("/me/schemes/horizons/", signed_in),
            ("/sso/saml/metadata/", site),
        ]:
            response = processes.http_get(port, path, **headers)
            body = response.body.decode()
            body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
            if path.startswith("/sso/"):
                body = "".join(re.findall(r"X509Certificate>([^<]+)<", body))
            pages[path] = (response.status, body)
    finally:
        web.stop()
    return pages


def _run(args, env):
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_sqlite_site_is_told_how_to_back_up(db, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite refusal")
    with pytest.raises(CommandError, match="need PostgreSQL"):
        call_command("backup", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_back_up_drop_restore_and_the_site_answers_the_same(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("backups use pg_dump/pg_restore: runs on PostgreSQL (CI runs it there)")
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is not installed (Debian: postgresql-client)")
    processes.require_redis()
    from equimentor.accounts.models import User
    from equimentor.demo.seed import demo_email, seed

    seed()
    mentee = User.objects.get(email=demo_email("mentee"))
    browser = Client()
    browser.force_login(mentee)
    session = browser.cookies["sessionid"].value

    # the live site: a database of its own (a copy of this test's), its files, its secret key
    live = f"{connection.settings_dict['NAME']}_live"
    connections.close_all()
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{live}"')
        # a template must have no other sessions: earlier tests' threads and processes may
        # have left connections to the test database open (idle, but they block the copy)
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )
        admin.execute(f'CREATE DATABASE "{live}" TEMPLATE "{connection.settings_dict["NAME"]}"')
    s = connection.settings_dict
    env = processes.production_env(
        DATABASE_URL=f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{live}",
        SECRET_KEY=settings.SECRET_KEY,
        EQUIMENTOR_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        ALLOWED_HOSTS="mentoring.example.org",
        TRUSTED_PROXIES="127.0.0.1",
        SITE_URL="https://mentoring.example.org",
    )
    try:
        _run([*processes.EQUIMENTOR, "collectstatic", "--noinput", "-v0"], env)
        before = _pages(env, tmp_path, "before", session)
        assert before["/me/schemes/horizons/"][0] == 200
        assert "Sign out" in before["/me/schemes/horizons/"][1]  # the session holds
        assert before["/sso/saml/metadata/"][1]  # the key pair was made in EQUIMENTOR_VAR_DIR

        made = _run([*processes.EQUIMENTOR, "backup", str(tmp_path / "backups")], env)
        folder = tmp_path / "backups" / made.split()[-1].rpartition("/")[2]
        assert sorted(p.name for p in folder.iterdir()) == [
            "database.dump",
            "manifest.json",
            "secret_key",
            "var.tar.gz",
        ]
        assert oct(folder.stat().st_mode)[-3:] == "700"
        assert {oct(p.stat().st_mode)[-3:] for p in folder.iterdir()} == {"600"}

        # disaster: the database is dropped and the machine's files are lost
        with _admin() as admin:
            admin.execute(f'DROP DATABASE "{live}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{live}"')
        shutil.rmtree(tmp_path / "var")

        wrong_key = {**env, "SECRET_KEY": "another-key-" + "y" * 50}
        refused = subprocess.run(
            [*processes.EQUIMENTOR, "restore", str(folder)],
            env=wrong_key,
            capture_output=True,
            text=True,
        )
        assert refused.returncode != 0 and "SECRET_KEY is not the backed-up site's key" in (
            refused.stderr
        )
        _run([*processes.EQUIMENTOR, "restore", str(folder)], env)
        _run([*processes.EQUIMENTOR, "migrate", "--check"], env)
        after = _pages(env, tmp_path, "after", session)
        assert after == before

        # restoring again over the restored site needs --replace, and gives the same site
        again = subprocess.run(
            [*processes.EQUIMENTOR, "restore", str(folder)], env=env, capture_output=True, text=True
        )
        assert again.returncode != 0 and "--replace" in again.stderr
        _run([*processes.EQUIMENTOR, "restore", "--replace", str(folder)], env)
        assert _pages(env, tmp_path, "replaced", session) == before

        # a tampered archive naming a file outside EQUIMENTOR_VAR_DIR is refused before anything
        evil = tmp_path / "evil" / folder.name
        shutil.copytree(folder, evil)
        with tarfile.open(evil / "var.tar.gz", "w:gz") as archive:
            payload = tmp_path / "payload"
            payload.write_text("x")
            archive.add(payload, arcname="../outside")
        tampered = subprocess.run(
            [*processes.EQUIMENTOR, "restore", "--replace", str(evil)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert tampered.returncode != 0 and "outside the folder" in tampered.stderr
        assert not (tmp_path / "outside").exists()
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{live}" WITH (FORCE)')
