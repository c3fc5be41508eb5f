"""The browsable API in Chromium under the strict Content-Security-Policy (#23): the browser
refuses nothing on it (the harness fails on any refusal), and axe finds no serious problem."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_browsable_api_loads_under_the_policy(site, scheme, coordinator):
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit("/api/v1/schemes/", "API: schemes")
    assert site.page.get_by_role("heading", name="Scheme List").is_visible()
    site.visit(f"/api/v1/schemes/{scheme.slug}/", "API: one scheme")
    # the product's file for these pages loaded (its breadcrumb colour passes WCAG contrast)
    colour = site.page.evaluate(
        "() => getComputedStyle(document.querySelector('.breadcrumb li.active a')).color"
    )
    assert colour == "rgb(85, 85, 85)"
    # the format menu's button is named after its tooltip
    button = site.page.locator(".format-selection .dropdown-toggle")
    assert button.get_attribute("aria-label") == "Specify a format for the GET request"
