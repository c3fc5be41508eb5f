"""Content-Security-Policy (#23): every response of every URL pattern carries the strict policy,
and no template needs anything it forbids (the browser journeys fail on any refusal, see
``tests/browser/conftest.py``)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, path

from tests import factories

POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
}
SAMPLE = {"slug": "scheme-a", "int": "1", "str": "csv", "path": "x"}
# The one page that adds to the policy: the API reference (Swagger UI draws icons as data: images).
ADDITIONS = {"/api/docs/": {"img-src": "'self' data:"}}


def parse(header: str) -> dict[str, str]:
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


def _urls(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _urls(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if route.startswith("^") or "(?P" in route:
                continue  # none today; a regex pattern would need its own sample
            yield "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)


URLS = sorted(set(_urls(get_resolver().url_patterns)))


def test_every_url_pattern_is_walked():
    assert len(URLS) > 140 and "/" in URLS and "/manage/scheme-a/evaluation/" in URLS


@pytest.mark.parametrize("who", ["anonymous", "participant", "coordinator", "superuser"])
def test_every_page_sends_the_policy(client, scheme_a, who):
    """Every URL pattern, as four kinds of visitor, whatever the answer (a page, a redirect to
    sign in, a refusal, a 404, a 405, a file)."""
    if who == "participant":
        client.force_login(factories.register_participant(scheme_a, "p@example.org").user)
    elif who == "coordinator":
        client.force_login(factories.make_staff(scheme_a, "coordinator"))
    elif who == "superuser":
        client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    missing, statuses = [], set()
    for url in URLS + [settings.STATIC_URL + "equimentor/site.css", "/no-such-page/"]:
        response = client.get(url)
        statuses.add(response.status_code)
        if parse(response.get("Content-Security-Policy", "")) != {
            **POLICY,
            **ADDITIONS.get(url, {}),
        }:
            missing.append((url, response.status_code, response.get("Content-Security-Policy")))
    assert missing == []
    assert {200, 404} <= statuses


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]  # for the test below (pytest.mark.urls)


@pytest.mark.urls(__name__)
def test_a_server_error_sends_it_too(client, db):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert parse(response["Content-Security-Policy"]) == POLICY


def test_sign_in_through_an_institution_may_leave_for_its_provider(client, db):
    """The institution sign-in form is answered by a redirect to the identity provider, which
    browsers check against form-action: that page (only) names the active providers."""
    from equimentor.sso.models import IdentityProvider

    institution = factories.InstitutionFactory(name="Uni")
    IdentityProvider.objects.create(
        institution=institution, protocol="oidc", issuer="https://idp.uni.example/realms/staff"
    )
    IdentityProvider.objects.create(
        institution=factories.InstitutionFactory(name="Samlton"),
        protocol="saml",
        metadata_xml=(
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:IDPSSODescriptor>'
            '<md:SingleLogoutService Binding="x" Location="https://slo.samlton.example/logout"/>'
            '<md:SingleSignOnService Binding="x" Location="https://sso.samlton.example/sso"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>"
        ),
    )
    IdentityProvider.objects.create(
        institution=factories.InstitutionFactory(name="Old"),
        protocol="oidc",
        issuer="https://retired.example",
        is_active=False,
    )
    login = parse(client.get("/accounts/sign-in/")["Content-Security-Policy"])
    assert login["form-action"].split() == [
        "'self'",
        "https://idp.uni.example",
        "https://slo.samlton.example",
        "https://sso.samlton.example",
    ]
    assert parse(client.get("/schemes/")["Content-Security-Policy"]) == POLICY


def test_no_template_needs_inline_script_or_style():
    """Pages (not emails, which mail programs read without the policy) load site.js and CSS files
    only: no inline script, style element or attribute, event handler or javascript: link."""
    forbidden = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I
    )
    root = Path(settings.BASE_DIR) / "templates"
    found = []
    for template in sorted(root.rglob("*.html")):
        rel = template.relative_to(root)
        if rel.parts[0] == "emails":
            continue
        for match in forbidden.finditer(template.read_text()):
            found.append((str(rel), match.group(0)))
    assert found == []


class _Inline(HTMLParser):
    """What a strict policy refuses, as a browser parses it: style elements, scripts without
    ``src`` (a JSON data block is not a script), ``style`` and ``on...`` attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("inline <script>")
        self.found += [f"{tag} {a}=" for a in names if a == "style" or a.startswith("on")]


def inline_code(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("who", ["participant", "coordinator"])
def test_the_browsable_api_needs_nothing_the_policy_forbids(client, scheme_a, who):
    """The API's HTML pages (Django REST framework's browsable API) under the same policy: DRF
    inlines its code-highlighting rules in a style element, which browsers refused; they come from
    a file now. A JSON data block (DRF's CSRF settings) is not a script and is allowed. Text that
    people wrote (here a scheme's name and description) is printed as text."""
    scheme_a.name = 'Scheme "><img src=x onerror=alert(1)>'
    scheme_a.description = "<script>alert(2)</script>"
    scheme_a.save()
    if who == "participant":
        client.force_login(factories.register_participant(scheme_a, "p@example.org").user)
    else:
        client.force_login(factories.make_staff(scheme_a, "coordinator"))
    pages, found = 0, []
    for url in (u for u in URLS if u.startswith("/api/v1/")):
        response = client.get(url, HTTP_ACCEPT="text/html")
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        pages += 1
        html = response.content.decode()
        assert "/static/equimentor/api-code.css" in html
        assert "<img src=x" not in html and "<script>alert" not in html, url
        found += [(url, what) for what in inline_code(html)]
    assert found == []
    assert pages >= 4
    # the planted name did reach the pages, escaped
    client.force_login(factories.make_staff(scheme_a, "coordinator"))
    page = client.get(f"/api/v1/schemes/{scheme_a.slug}/", HTTP_ACCEPT="text/html").content
    assert b"&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_api_code_style_file_is_what_drf_would_inline():
    """Kept in step with Django REST framework and Pygments: the file holds the rules DRF's
    renderer would have put inline."""
    from rest_framework.compat import pygments_css
    from rest_framework.renderers import BrowsableAPIRenderer

    rules = pygments_css(BrowsableAPIRenderer.code_style)
    assert rules  # Pygments is installed (pytest needs it), so DRF would inline them
    css = (Path(settings.BASE_DIR) / "core/static/equimentor/api-code.css").read_text()
    assert rules in css
