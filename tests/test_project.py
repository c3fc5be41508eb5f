"""The project itself: settings, health check, access declarations, the console script, demo data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import get_resolver

from equimentor.lib.env import envbool, envint, kept_secret, var_dir
from tests.url_walk import walk_urls

ROOT = Path(__file__).resolve().parent.parent


def _states_its_permissions(cls) -> bool:
    """Whether the API view class itself (or a base class of ours) names its permission classes:
    every DRF view inherits ``permission_classes`` from the settings' default, so having the
    attribute proves nothing."""
    for klass in cls.__mro__:
        if not klass.__module__.startswith(("equimentor.", "drf_spectacular.")):
            continue
        if klass.__dict__.get("permission_classes"):
            return True
    return False


def test_every_view_states_who_may_use_it():
    missing = []
    for route, view in walk_urls(get_resolver().url_patterns):
        if route.startswith("api/"):
            cls = getattr(view, "cls", None)
            if cls is None or not _states_its_permissions(cls):
                missing.append(route)
        elif not getattr(view, "access_rule", None):
            missing.append(route)
    assert missing == []
    # and the check can fail: a view of ours relying on the settings' default does not pass
    from rest_framework.views import APIView

    assert not _states_its_permissions(type("Bare", (APIView,), {"__module__": "equimentor.api"}))


def test_env_helpers(monkeypatch, tmp_path):
    monkeypatch.setenv("X_FLAG", "yes")
    assert envbool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ValueError, match="X_FLAG"):
        envbool("X_FLAG", False)
    monkeypatch.setenv("X_NUM", "12")
    assert envint("X_NUM", 1) == 12
    secret = kept_secret(tmp_path / "var" / "secret")
    assert kept_secret(tmp_path / "var" / "secret") == secret
    assert oct((tmp_path / "var" / "secret").stat().st_mode)[-3:] == "600"


def _settings_probe(env: dict, code: str = "") -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "DEBUG", "EQUIMENTOR_DEMO", "DATABASE_URL", "EQUIMENTOR_TESTING"}
        | {"CACHE_URL", "DB_CONN_MAX_AGE", "EQUIMENTOR_VAR_DIR", "TRUSTED_PROXIES"}
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='equimentor.settings';"
            "from django.conf import settings; "
            + (code or "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])"),
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_probe({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_demo_keeps_its_own_secret_under_var(tmp_path):
    result = _settings_probe({"EQUIMENTOR_DEMO": "1", "EQUIMENTOR_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]
    assert (tmp_path / "secret_key").exists()


PRODUCTION = {"SECRET_KEY": "x" * 60, "CACHE_URL": "redis://127.0.0.1:6379/1"}


def test_database_url_selects_postgresql():
    result = _settings_probe({**PRODUCTION, "DATABASE_URL": "postgres://u@db:5432/name"})
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


def test_production_keeps_database_connections_and_checks_them():
    result = _settings_probe(
        {**PRODUCTION, "DATABASE_URL": "postgres://u@db:5432/name"},
        "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
    )
    assert result.stdout.split() == ["600", "True"], result.stderr
    result = _settings_probe(
        {**PRODUCTION, "DB_CONN_MAX_AGE": "0"},
        "print(settings.DATABASES['default']['CONN_MAX_AGE'])",
    )
    assert result.stdout.split() == ["0"]


@pytest.mark.parametrize(
    ("cache_url", "message"),
    [
        (None, "CACHE_URL is not set"),
        ("memcached://127.0.0.1:11211", "CACHE_URL must be a Redis URL"),
    ],
)
def test_production_refuses_a_cache_that_is_not_shared(cache_url, message):
    env = {"SECRET_KEY": "x" * 60, "CACHE_URL": cache_url or ""}
    result = _settings_probe(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_var_dir_is_never_inside_site_packages(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    (checkout / "equimentor").mkdir(parents=True)
    (checkout / "pyproject.toml").touch()
    (checkout / "manage.py").touch()
    assert var_dir(checkout / "equimentor") == checkout / "var"
    installed = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "equimentor"
    installed.mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert var_dir(installed) == tmp_path / "data" / "equimentor"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert var_dir(installed) == tmp_path / "home" / ".local" / "share" / "equimentor"
    result = _settings_probe(
        {**PRODUCTION, "EQUIMENTOR_VAR_DIR": str(tmp_path / "srv")}, "print(settings.STATIC_ROOT)"
    )
    assert result.stdout.split() == [str(tmp_path / "srv" / "static")]


def test_the_console_script_runs_management_commands():
    result = subprocess.run(
        [sys.executable, "-m", "equimentor", "help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "x" * 60},
    )
    assert result.returncode == 0
    assert "demo" in result.stdout and "migrate" in result.stdout


@pytest.mark.django_db
def test_demo_data_is_deterministic_and_complete(demo_rows, django_capture_on_commit_callbacks):
    """The seed is checked here, and then its people are compared with those of the run's own
    seed (``demo_rows``: the demo seeded once per run, by this process or another worker, from an
    empty database as here), copied in after this test's seed is rolled back."""
    from django.db import transaction

    from equimentor.demo.seed import seed
    from equimentor.enrolment.models import Participant
    from equimentor.identity.models import IdentityAnswer
    from equimentor.schemes.models import Institution, Scheme, StaffRole
    from tests import demo_snapshot

    empty = transaction.savepoint()
    assert seed() is True
    assert seed() is False  # idempotent
    scheme = Scheme.objects.get(slug="horizons")
    people = Participant.objects.filter(scheme=scheme)
    assert people.filter(is_mentor=True).count() == 60
    assert people.filter(is_mentee=True).count() == 90
    assert Institution.objects.count() >= 20
    assert scheme.missing_documents() == []
    assert set(StaffRole.objects.filter(scheme=scheme).values_list("role", flat=True)) == {
        "coordinator",
        "safeguarding",
        "evaluator",
    }
    assert IdentityAnswer.objects.exists()
    first = sorted(people.values_list("user__full_name", "career_stage", "institution__name"))
    # the same seed gives the same people
    transaction.savepoint_rollback(empty)
    assert not Participant.objects.exists() and not Scheme.objects.exists()
    demo_snapshot.put(demo_rows)
    again = sorted(
        Participant.objects.filter(scheme__slug="horizons").values_list(
            "user__full_name", "career_stage", "institution__name"
        )
    )
    assert first == again


@pytest.mark.django_db
def test_demo_accounts_sign_in_with_the_demo_password(demo_rows):
    """The seed hashes the demo password once for every account that uses it."""
    from equimentor.accounts.models import User
    from equimentor.demo.seed import DEMO_ACCOUNTS, DEMO_DOMAIN, DEMO_PASSWORD, demo_email
    from tests import demo_snapshot

    demo_snapshot.put(demo_rows)
    signing_in = [demo_email(local) for label, local, _ in DEMO_ACCOUNTS if label != "Applicant"]
    signing_in.append(f"futures-coordinator@{DEMO_DOMAIN}")
    for email in signing_in:
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD), email
    assert not User.objects.get(email=demo_email("participant001")).has_usable_password()
    assert not User.objects.filter(email=demo_email("applicant")).exists()


@pytest.mark.django_db
def test_demo_command_without_serving(capsys):
    from django.core.management import call_command

    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    for role in ("Applicant", "Mentee", "Mentor", "Coordinator", "Safeguarding lead", "Evaluator"):
        assert role in out
    assert "/me/register/" in out
    assert "equimentor-demo" in out


@pytest.mark.django_db
def test_demo_emails_link_to_where_the_demo_is_served(demo_rows, monkeypatch, capsys):
    """Serving, on the demo already loaded (copied from the run's seed; the first start, which
    seeds it, is the test above): a second seed here cost ~8 s and tested nothing new."""
    from django.conf import settings
    from django.core.management import call_command

    from equimentor.demo.management.commands import demo
    from tests import demo_snapshot

    demo_snapshot.put(demo_rows)
    served = []

    def fake_call_command(name, *args, **kwargs):
        if name == "runserver":
            served.append((args[0], settings.SITE_URL))
        else:
            call_command(name, *args, **kwargs)

    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(demo, "call_command", fake_call_command)
    call_command("demo", addrport="8011")
    assert served == [("127.0.0.1:8011", "http://127.0.0.1:8011")]
    assert "http://127.0.0.1:8011/" in capsys.readouterr().out
    assert settings.SITE_URL != "http://127.0.0.1:8011"  # only while serving


def test_the_console_script_runs_the_engine_without_django(tmp_path):
    import json

    instance = {
        "mentors": [{"id": "ana", "capacity": 1}],
        "mentees": [{"id": 1, "choices": ["ana"]}],
    }
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(instance))
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-m", "equimentor", "match", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["assignments"][0]["mentor"] == "ana"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mentors": [{"id": "ana", "capacity": -1}], "mentees": []}))
    result = subprocess.run(
        [sys.executable, "-m", "equimentor", "match", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 2
    assert "capacity" in result.stderr and "Traceback" not in result.stderr
