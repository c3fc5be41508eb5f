"""The browsable API's HTML, fitted to the product's rules (docs/security.md).

Django REST framework's page template opens with a bare ``<html>`` outside any block, so the page
says no language (WCAG 3.1.1; screen readers guess); the renderer names the site's language. The
inline code-highlighting rules DRF adds, which the Content-Security-Policy refuses, are served as
a file instead (``templates/rest_framework/api.html``).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.renderers import BrowsableAPIRenderer


class APIPageRenderer(BrowsableAPIRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        page = super().render(data, accepted_media_type, renderer_context)
        return page.replace("<html>", f'<html lang="{settings.LANGUAGE_CODE}">', 1)
