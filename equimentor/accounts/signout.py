"""What signing out carries into the signed-out session, registered by the apps above accounts.

``sso`` offers the institution's own sign-out (single logout) after a session that began at an
institution's provider; accounts may not import it. An app registers ``carry(read, then)`` in its
``AppConfig.ready()``: ``read(request)`` runs before the session ends and returns what it will
need, or ``None``; after sign-out, the first ``then(request, data)`` whose ``read`` returned
something gives the response (instead of the home page).
"""

from __future__ import annotations

from collections.abc import Callable

CARRIERS: list[tuple[Callable, Callable]] = []


def carry(read: Callable, then: Callable) -> None:
    if (read, then) not in CARRIERS:
        CARRIERS.append((read, then))


def read_all(request) -> list[tuple[Callable, object]]:
    """Before sign-out: each carrier's ``then`` with what its ``read`` found."""
    return [(then, data) for read, then in CARRIERS if (data := read(request)) is not None]
