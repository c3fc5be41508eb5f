"""API tokens in Chromium (#20): a coordinator makes a service token for the scheme, a program
uses it, she revokes it; then she makes a personal token from her account. axe on every page."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def program_reads(url: str, token: str) -> tuple[int, int | None]:
    """What a program sending only the token gets: the status and how many results it read."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310  (the live server)
            return response.status, len(json.load(response)["results"])
    except urllib.error.HTTPError as refused:
        return refused.code, None


def test_a_coordinator_makes_uses_and_revokes_tokens(site, scheme, coordinator):
    page = site.page
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit(f"/manage/{scheme.slug}/", "dashboard")
    subnav = page.get_by_role("navigation", name="Scheme administration")
    site.follow(subnav.get_by_role("link", name="API tokens"), "service tokens")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Service tokens of {scheme.name}")
    expect(page.get_by_text("Only the scheme’s coordinators see this page")).to_be_visible()

    page.get_by_label("Name:", exact=True).fill("Reports dashboard")
    page.get_by_label("Days until it expires:", exact=True).fill("30")
    site.submit(page.get_by_role("button", name="Make the token"), "service token made")
    site.phone_screenshot("service token made")
    token = page.get_by_label("Token", exact=True).input_value()
    assert token.startswith("eqm_")
    expect(page.get_by_role("row", name="Reports dashboard")).to_contain_text("Works")

    url = site.url(f"/api/v1/schemes/{scheme.slug}/registrations/")
    assert program_reads(url, token) == (200, 0)  # a program: no cookies, only the token

    site.submit(
        page.get_by_role("button", name="Revoke Reports dashboard"), "service token revoked"
    )
    expect(page.get_by_role("status")).to_contain_text("The token is revoked")
    expect(page.get_by_role("row", name="Reports dashboard")).to_contain_text("Revoked")
    assert program_reads(url, token)[0] == 401

    site.visit("/accounts/account/", "account")
    site.follow(page.get_by_role("link", name="Your API tokens", exact=False), "personal tokens")
    page.get_by_label("Name:", exact=True).fill("My script")
    site.submit(page.get_by_role("button", name="Make the token"), "personal token made")
    expect(page.get_by_role("heading", name="Your new token: My script")).to_be_visible()
