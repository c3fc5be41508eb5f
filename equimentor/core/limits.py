"""Rate limits for the public forms, keyed so that a shared network can live with them.

A whole university (or a hospital) reaches us from one address, and behind a proxy everyone
would share the proxy's: so limits are keyed on the real client address
(:func:`equimentor.core.net.client_address`, which believes forwarded headers only from
``TRUSTED_PROXIES``) with generous figures, and on the account or email address concerned with
tight ones. What counts is what an attacker needs: failed password sign-ins, not sign-ins; sign-in
links asked for one address, not by one network. Counters live in the shared cache (django-
ratelimit, Redis in production), so every web process sees the same counts, and expire by
themselves; failed password sign-ins per account are django-axes' (``AXES_*`` settings), whose
records the retention job deletes after a day (``privacy.services.run_retention``).

The figures are settings (``RATELIMIT_*``, see docs/deployment.md and docs/security.md).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django_ratelimit.core import is_ratelimited

from equimentor.core.net import client_address


def by_address(group, request) -> str:
    """django-ratelimit key: the real client address."""
    return client_address(request)


def _hashed(value: str) -> str:
    """A counter key for an email address that does not keep the address in the cache."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def exceeded(request, name: str, *, key: str | None = None, count: bool = True) -> bool:
    """Has this client (or, with ``key``, this account or email address) gone over the limit
    ``settings.RATELIMITS[name]``? ``count`` adds this request to the count."""
    rate = settings.RATELIMITS[name]
    return is_ratelimited(
        request,
        group=f"equimentor.{name}",
        key=(lambda group, request: _hashed(key)) if key is not None else by_address,
        rate=rate,
        method=is_ratelimited.ALL,
        increment=count,
    )
