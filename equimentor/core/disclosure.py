"""A scheme's disclosure rules (``lib.disclosure.Rules``) for apps below the reports app that
publish counts: the matching dry run shows its numbers under the scheme's report threshold.

The reports app owns the per-scheme settings (``reports.ReportSettings``) and registers how to
read them in its ``ready()``, so an app below it reads them here without importing it.
"""

from __future__ import annotations

from collections.abc import Callable

from equimentor.lib.disclosure import Rules

_readers: list[Callable[[object], Rules]] = []


def register(reader: Callable[[object], Rules]) -> None:
    """Read a scheme's rules with ``reader(scheme)`` (the reports app, once, in ``ready()``)."""
    _readers[:] = [reader]


def rules_for(scheme) -> Rules:
    """The scheme's disclosure rules; refuses if no app registered how to read them."""
    if not _readers:
        raise RuntimeError("No app registered how to read a scheme's disclosure rules.")
    return _readers[0](scheme)
