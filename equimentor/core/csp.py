"""Content-Security-Policy on every response (django-csp), strict: the product's pages load one
script and one stylesheet from this site and nothing inline, so nothing else may run or load.

``settings.CONTENT_SECURITY_POLICY`` holds the policy. One addition is made here: a page holding
a form whose answer is a redirect off the site (signing in or out through an institution: its
identity provider) adds the origins it may go to to ``form-action``, which browsers check that
redirect against. The apps that have such forms register them (``allow_forms_to_leave``; the
``sso`` app's ``ready()``, with ``sso.csp.provider_origins``).
"""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.urls import NoReverseMatch, reverse

# Pages whose forms leave the site: (URL names of the form actions, a function giving the origins
# the browser must let those forms go to). Apps register theirs in AppConfig.ready(), so core
# imports none of them (docs/architecture.md, "Layers"): sso registers its sign-in and sign-out.
_FORMS_LEAVING: list[tuple[tuple[str, ...], Callable[[], list[str]]]] = []


def allow_forms_to_leave(url_names: tuple[str, ...], origins: Callable[[], list[str]]) -> None:
    """Let a page holding a form that posts to one of ``url_names`` send it on to ``origins()``
    (a redirect the browser checks against ``form-action``)."""
    _FORMS_LEAVING.append((tuple(url_names), origins))


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only or response.streaming or "html" not in response.get("Content-Type", ""):
            return parts
        origins: set[str] = set()
        for url_names, give in _FORMS_LEAVING:
            if self._posts_to(response.content, url_names):
                origins.update(give())
        if origins:
            parts.update = {**(parts.update or {}), "form-action": sorted(origins)}
        return parts

    @staticmethod
    def _posts_to(body: bytes, url_names: tuple[str, ...]) -> bool:
        try:
            actions = [reverse(name) for name in url_names]
        except NoReverseMatch:  # a URL configuration without those pages (some tests)
            return False
        return any(f'action="{action}"'.encode() in body for action in actions)
