"""The API reference in Chromium (#20): Swagger UI, served from this site, renders the whole schema
under the strict Content-Security-Policy (the harness fails on any refusal); axe finds no serious
problem; the token page links to it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_reference_renders_under_the_policy(site, scheme, coordinator):
    page = site.page
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit("/accounts/account/api-tokens/", "your API tokens")
    site.follow(page.get_by_role("link", name="API reference"), "API reference")
    expect(page.get_by_role("heading", level=1, name="API reference")).to_be_visible()
    # Swagger UI fetched the schema and drew every operation
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    registrations = page.locator("#operations-v1-v1_schemes_registrations_list")
    expect(registrations).to_be_visible()
    registrations.locator(".opblock-summary-control").click()
    expect(registrations.get_by_text("Token scope:")).to_be_visible()
    # a parameter with a list of values is a select, named after it (api-reference.js)
    expect(registrations.get_by_role("combobox", name="status, in query")).to_be_visible()
    site.check("API reference, an operation open")
    site.phone_screenshot("API reference")
