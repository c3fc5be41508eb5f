"""The reports a page shows, kept in the configured cache (``CACHES``: local memory by default,
Redis in production) until the scheme's data changes.

What is kept is the computed sections (``Report`` objects and the questionnaire outcomes), after
disclosure control: every figure in them has already been through ``lib.disclosure``, exactly as
when they are computed for the page, so a kept report holds nothing a fresh one would hide. No
page is kept whole (it carries the reader's menu, CSRF token and messages): what a page
keeps besides is the HTML of its report sections alone (``fragment``: the tables, their charts and
the breakdown forms, rendered from those kept sections with nothing of the request or the
reader), under the same key, so a page viewed again renders only its frame.

The key names everything the sections depend on: the scheme, the reader's institutions, the
breakdown and outcome choices, the scheme's data version (``core.versions``: it moves in the
transaction of any change to the scheme's rows), the disclosure rules, the time zone (quarters)
and the code that computes and renders them (a hash of this app's modules, ``lib.disclosure``,
the report templates and their template tags). The version is read before anything is
computed, so a computation that sees a change made after it was read is kept under the old
version, which nobody reads once the new one is visible.

Some figures also depend on the clock (sessions already held, relationships running for six
months): an entry is kept at most ``REPORTS_CACHE_SECONDS`` (default 300), and that also bounds
how long a change that moves no version (none is known) could go unseen.

When many readers ask for the same missing entry at once (ten coordinators refreshing after a
change), one computes it and the others wait for it (``core.once.computed_once``: ``cache.add``
as a lock, up to its ``WAIT_SECONDS``), so the database does the work once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from equimentor.core import versions
from equimentor.core.once import computed_once
from equimentor.lib import disclosure
from equimentor.lib.disclosure import Rules
from equimentor.reports.models import ReportSettings
from equimentor.schemes.models import Scheme

FORMAT = 1


def code_files() -> list[Path]:
    """The code that computes, protects and renders the kept sections. Public: it is what a new
    report template or template tag library must be part of (tests hold it to the templates a
    report page renders)."""
    here = Path(__file__).resolve().parent
    package = here.parent
    return (
        sorted(here.glob("*.py"))
        + [Path(disclosure.__file__).resolve()]
        + sorted((package / "templates" / "reports").glob("_*.html"))
        + [package / "core" / "templatetags" / "equimentor.py"]
    )


def _code_version() -> str:
    """A hash of the code that computes, protects and renders the sections: a deployment with
    different code never reads what the previous one kept."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for path in code_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()


def key_for(scheme, institutions, by, rules, choices, version: int) -> str:
    parts = (
        "reports",
        CODE_VERSION,
        scheme.pk,
        tuple(sorted(i.pk for i in institutions or ())),
        tuple(by),
        tuple(choices),
        version,
        (rules.threshold, rules.min_values, rules.round_to),
        timezone.get_current_timezone_name(),
    )
    return "reports:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def key(scheme, institutions, by, rules, choices) -> str:
    """The key of these sections at the scheme's data version now (one query, for the version)."""
    return key_for(scheme, institutions, by, rules, choices, versions.current(scheme))


def rules_and_version(scheme) -> tuple[Rules, int]:
    """The scheme's disclosure rules (``ReportSettings``, defaults without one) and its data
    version now, in one query: what a kept page reads before its key."""
    version, threshold, min_values, round_to_five = (
        Scheme.objects.filter(pk=scheme.pk)
        .annotate(data_version=versions.expression(scheme))
        .values_list(
            "data_version",
            "report_settings__threshold",
            "report_settings__min_values",
            "report_settings__round_to_five",
        )
        .get()
    )
    if threshold is None:  # no settings row
        return Rules(), version
    conf = ReportSettings(threshold=threshold, min_values=min_values, round_to_five=round_to_five)
    return conf.rules(), version


def sections(key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` (the page's sections for ``key``), or what it returned for the same key
    earlier."""
    return _kept(key, compute)


def fragment(key: str, name: str, render: Callable[[], str]) -> str:
    """``render()`` (HTML made only from the sections kept under ``key`` and from ``name``, which
    names everything else it shows), or what it returned for the same key and name earlier."""
    return _kept(f"{key}:{hashlib.sha256(name.encode()).hexdigest()}", render)


def _kept(key: str, compute: Callable[[], Any]) -> Any:
    return computed_once(key, compute, timeout=settings.REPORTS_CACHE_SECONDS)
