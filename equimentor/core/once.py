"""A value computed once for every process: kept in the configured cache (``CACHES``: local
memory by default, Redis in production) under a key that names everything it depends on.

When many processes ask for the same missing value at once (every web worker after a change),
one computes it and the others wait for its result (``cache.add`` as a lock) rather than all
doing the same work on the same database at the same moment, up to ``WAIT_SECONDS``; a process
that waited in vain (the one computing it failed, or took longer) computes it itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05


def computed_once(key: str, compute: Callable[[], Any], *, timeout: float) -> Any:
    """``compute()``, or what it returned for ``key`` in any process within ``timeout`` seconds
    (``compute`` must not return None: the cache could not tell it from nothing kept)."""

    def computed():
        value = compute()
        if value is None:
            raise ValueError(f"nothing to keep under {key}")
        cache.set(key, value, timeout=timeout)
        return value

    kept = cache.get(key)
    if kept is not None:
        return kept
    lock = key + ":computing"
    if not cache.add(lock, 1, timeout=WAIT_SECONDS):
        # someone else is computing it: wait for theirs rather than compute it again
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            kept = cache.get(key)
            if kept is not None:
                return kept
            if cache.get(lock) is None:  # they finished without keeping it (an error)
                break
        return computed()
    try:
        return computed()
    finally:
        cache.delete(lock)
