"""A coordinator signs in with a password, walks the back office and approves a registration."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENT_KINDS = [
    "Privacy notice",
    "Code of conduct",
    "Confidentiality agreement",
    "Participant information sheet",
    "Consent to take part",
    "How matching works",
]


def test_coordinator_reviews_and_approves(site, scheme, coordinator, make_registration):
    from equimentor.enrolment.models import Participant

    amara = make_registration(scheme, email="amara@example.ac.uk", name="Amara Osei", role="mentee")
    make_registration(scheme, email="folasade@example.ac.uk", name="Folasade Okonjo", role="mentor")
    mail.outbox.clear()
    page = site.page

    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Helen")

    main_nav = page.get_by_role("navigation", name="Main")
    site.follow(main_nav.get_by_role("link", name="Coordinate"), "schemes you coordinate")
    expect(page.get_by_role("row", name=f"{scheme.name} Open 2")).to_be_visible()

    site.follow(page.get_by_role("link", name=scheme.name), "dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text(scheme.name)
    funnel = page.get_by_role("table", name="Funnel counts")
    expect(funnel.get_by_role("row", name="Registered")).to_contain_text("2")
    subnav = page.get_by_role("navigation", name="Scheme administration")

    site.follow(subnav.get_by_role("link", name="Registrations"), "registrations")
    site.phone_screenshot("registrations")
    expect(page.get_by_role("link", name="Registered, awaiting review (2)")).to_have_attribute(
        "aria-current", "page"
    )
    rows = page.get_by_role("table", name="Registrations").get_by_role("row")
    expect(rows).to_have_count(3)  # header + two registrations

    site.follow(page.get_by_role("link", name="Amara Osei"), "registration detail")
    site.phone_screenshot("registration detail")
    expect(page.get_by_role("heading", level=1)).to_have_text("Amara Osei")
    expect(page.locator(".status")).to_have_text("Registered, awaiting review")
    expect(page.get_by_text("I have read the privacy notice — Privacy notice v1")).to_be_visible()

    site.submit(page.get_by_role("button", name="Approve"), "registration approved")
    expect(page.get_by_role("status")).to_contain_text("Approved. The participant has been told")
    expect(page.locator(".status")).to_have_text("Approved")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    amara.refresh_from_db()
    assert amara.status == Participant.Status.APPROVED
    assert amara.approved_at is not None
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["amara@example.ac.uk"], f"Welcome aboard: your {scheme.name} registration is approved")
    ]

    site.follow(page.get_by_role("link", name="All registrations"), "registrations after approval")
    expect(page.get_by_role("link", name="Registered, awaiting review (1)")).to_be_visible()
    expect(page.get_by_role("link", name="Approved (1)")).to_be_visible()

    site.follow(subnav.get_by_role("link", name="Emails"), "emails")
    emails = page.get_by_role("table", name="Emails")
    expect(emails.get_by_role("row").filter(has_text="amara@example.ac.uk")).to_have_count(2)
    expect(emails.get_by_role("row", name=re.compile("Welcome aboard"))).to_contain_text("Sent")
    expect(page.get_by_role("link", name="Sent (", exact=False)).to_be_visible()

    site.follow(subnav.get_by_role("link", name="Documents"), "documents")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scheme documents")
    for label in DOCUMENT_KINDS:
        expect(page.get_by_role("region", name=label)).to_contain_text("Version 1 — published")

    site.follow(subnav.get_by_role("link", name="Settings"), "settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.get_by_label("Name:", exact=True)).to_have_value(scheme.name)
