"""The shipped deployment files (deploy/): the image's entrypoint roles, the compose file, the
systemd units and the example settings agree with each other and with docs/deployment.md. (The
image itself is not built here: docs/deployment.md says how it was checked.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import processes

DEPLOY = processes.ROOT / "deploy"
DOCS = (processes.ROOT / "docs" / "deployment.md").read_text()
ROLES = {"web", "worker", "scheduler", "migrate"}


def test_the_entrypoint_has_the_four_roles():
    script = (DEPLOY / "entrypoint.sh").read_text()
    assert set(re.findall(r"^  (\w+)\) ", script, re.M)) == ROLES
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["equimentor-entrypoint"]' in dockerfile
    assert "COPY deploy/entrypoint.sh /usr/local/bin/equimentor-entrypoint" in dockerfile


def test_compose_runs_every_role_with_postgresql_and_redis():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", *ROLES}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for role in ROLES:
        assert services[role]["command"] == [role]
        assert services[role]["volumes"] == ["var:/var/lib/equimentor"]
        env = services[role]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["DATABASE_URL"].endswith(
            "@db:5432/equimentor"
        )
        assert env["CACHE_URL"] == "redis://redis:6379/1"
    # the proxy's headers are believed from this project's network, which compose pins
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == subnet
    for role in ("web", "worker", "scheduler"):
        assert services[role]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_every_example_setting_is_documented():
    names = re.findall(r"^([A-Z_0-9]+)=", (DEPLOY / "equimentor.env.example").read_text(), re.M)
    assert "SECRET_KEY" in names and "TRUSTED_PROXIES" in names
    assert [name for name in names if f"`{name}`" not in DOCS] == []


def _units(tmp_path: Path) -> list[Path]:
    """The units, with the virtual environment of this test run in place of /srv's."""
    venv_bin = str(Path(sys.executable).parent) + "/"
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/srv/equimentor/venv/bin/", venv_bin))
        units.append(copy)
    return units


def test_the_systemd_units_run_the_same_commands():
    units = {unit.name: unit.read_text() for unit in (DEPLOY / "systemd").iterdir()}
    starts = {
        name: re.findall(r"^ExecStart=/srv/equimentor/venv/bin/(.+)$", text, re.M)
        for name, text in units.items()
    }
    assert starts == {
        "equimentor-web.service": ["gunicorn -c python:equimentor.gunicorn_conf"],
        "equimentor-worker@.service": ["equimentor worker"],
        "equimentor-scheduler.service": ["equimentor scheduler"],
        "equimentor-migrate.service": [
            "equimentor migrate --noinput",
            "equimentor collectstatic --noinput",
        ],
        "equimentor.target": [],
    }
    for name, text in units.items():
        if name.endswith(".service"):
            assert "EnvironmentFile=/etc/equimentor/equimentor.env" in text
            assert "User=equimentor" in text and "ProtectSystem=strict" in text


def test_the_systemd_units_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, _units(tmp_path))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@pytest.mark.slow
def test_the_migrate_role_prepares_an_empty_database(tmp_path):
    env = processes.production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        EQUIMENTOR_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [*processes.ENTRYPOINT, "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    check = subprocess.run(
        [*processes.ENTRYPOINT, "equimentor", "migrate", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_equimentor_admin_reads_the_settings_file_as_systemd_does(tmp_path):
    env_file = tmp_path / "equimentor.env"
    env_file.write_text(
        (DEPLOY / "equimentor.env.example").read_text()
        + "SECRET_KEY='a$b`c\"d<e>f g'\n"
        + f"EQUIMENTOR_VAR_DIR={tmp_path / 'var'}\n"
        + f"DATABASE_URL=sqlite:///{tmp_path / 'db.sqlite3'}\n"
    )
    result = subprocess.run(
        [
            "sh",
            str(DEPLOY / "equimentor-admin"),
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.SECRET_KEY, '|', s.DEFAULT_FROM_EMAIL)",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "EQUIMENTOR_ENV_FILE": str(env_file),
            "EQUIMENTOR_VENV": str(Path(sys.executable).parent.parent),
            "EQUIMENTOR_USER": subprocess.run(
                ["id", "-un"], capture_output=True, text=True
            ).stdout.strip(),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        'a$b`c"d<e>f g | Mentoring <mentoring@example.org>'
    )


def test_equimentor_admin_finds_runuser_from_cron(tmp_path):
    """cron runs step 9's nightly backup with PATH=/usr/bin:/bin; runuser is in /usr/sbin."""
    if not shutil.which("runuser", path="/usr/sbin:/sbin"):
        pytest.skip("no runuser in /usr/sbin or /sbin")
    result = subprocess.run(
        ["sh", str(DEPLOY / "equimentor-admin"), "--version"],
        env={
            "PATH": "/usr/bin:/bin",  # cron's
            "EQUIMENTOR_ENV_FILE": str(tmp_path / "missing.env"),
            "EQUIMENTOR_USER": "nobody",  # not us: the command goes through runuser
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    # runuser is found and runs (as root) or refuses (as anyone else); it is never "not found".
    assert result.returncode != 127 and "not found" not in result.stderr, result.stderr


def test_the_web_entry_point_imports_every_view_before_workers_start():
    """gunicorn loads equimentor.wsgi once in its master (preload_app): the views are imported
    there, so a new worker's first request does not wait for them (#17)."""
    code = (
        "import sys, equimentor.wsgi; "
        "print(all(m in sys.modules for m in "
        "('equimentor.api.directory', 'equimentor.directory.views', 'equimentor.portal.views')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=processes.ROOT,
        env=processes.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "True"
