"""Choosing a time zone among 600 (#21): the select lists the likely ones first and site.js gives
it a search box; typing part of a place narrows the list and selects the first match."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_finds_their_zone_by_typing_part_of_a_place(site, coordinator):
    page = site.page
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit("/accounts/account/", "account")
    zone = page.get_by_label("Your time zone")
    # without a search the person's own zone is first, in its own group
    expect(zone.locator("optgroup").first).to_have_attribute("label", "Likely")
    expect(zone).to_have_value("Europe/London")

    search = page.get_by_label("Search by city or region")
    search.fill("new york")
    expect(zone.locator("option")).to_have_count(1)
    expect(zone).to_have_value("America/New_York")
    expect(page.get_by_role("status").filter(has_text="time zone matches")).to_contain_text(
        "1 time zone matches; selected: America/New York."
    )
    search.fill("zzz")
    expect(page.get_by_role("status").filter(has_text="No time zone")).to_be_visible()
    expect(zone.locator("option")).not_to_have_count(1)  # the whole list again
    search.fill("tokyo")
    expect(zone).to_have_value("Asia/Tokyo")
    site.check("account with a zone found")
    site.submit(page.get_by_role("button", name="Save"), "account saved")
    coordinator.refresh_from_db()
    assert coordinator.time_zone == "Asia/Tokyo"
    # now Tokyo is the likely one
    expect(page.get_by_label("Your time zone")).to_have_value("Asia/Tokyo")
