"""Every URL of the site, for tests that check each view."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver


def walk_urls(patterns, prefix=""):
    """(route, view) for every pattern under ``patterns``, included ones too."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk_urls(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback
