"""Typed readers for settings that come from environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything unrecognised is an error, not a guess."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{name} must be one of {sorted(TRUE | FALSE)}, got {raw!r}")


def envint(name: str, default: int) -> int:
    """Read a whole-number variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def kept_secret(path: Path) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def var_dir(package_dir: Path) -> Path:
    """Where Equimentor keeps its files when ``EQUIMENTOR_VAR_DIR`` is not set.

    ``var/`` beside the package in a source checkout (so the README's commands just work);
    otherwise the user's data folder (``$XDG_DATA_HOME/equimentor``, usually
    ``~/.local/share/equimentor``), never a folder inside site-packages.
    """
    checkout = package_dir.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "manage.py").is_file():
        return checkout / "var"
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "equimentor"
