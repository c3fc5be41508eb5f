"""The API reference: the OpenAPI schema rendered by Swagger UI, for people reading it.

Public, like the schema it renders. Swagger UI's files come from this site
(drf-spectacular-sidecar, pinned), and its start-up script is a second request to the same
address (``?script``), so the page runs nothing inline and loads nothing from another origin. The
one thing the site's Content-Security-Policy gains on this page is ``data:`` images: Swagger UI
draws its arrows and icons as data URIs (in its stylesheet and its script).
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

# What this page adds to the site's policy (equimentor.core.csp; tests/test_security_csp.py).
POLICY_ADDITIONS = {"img-src": ["data:"]}


class APIReference(SpectacularSwaggerSplitView):
    """Anyone: the API's reference page (and, with ``?script``, the script that starts it)."""

    permission_classes = [AllowAny]
    template_name = "api/reference.html"
    url_name = "api:schema"
    title = "API reference"

    @extend_schema(exclude=True)  # a page about the API, not an endpoint of it
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response._csp_update = POLICY_ADDITIONS  # django-csp: added to this response's policy
        # the start-up script carries the session's CSRF token: never reused from a cache
        patch_cache_control(response, private=True, no_cache=True)
        return response
