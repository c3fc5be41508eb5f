"""A coordinator sees what needs attention on the overview, checks who a reminder reaches and
sends it; axe on every page."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_reminds_mentees_who_have_not_ranked(site, scheme, coordinator):
    from equimentor.backoffice.models import Nudge
    from equimentor.matching import services as matching
    from tests import factories

    mentees = [
        factories.register_participant(scheme, f"m{n}@example.ac.uk", approve_by=coordinator)
        for n in range(2)
    ]
    matching.open_round(scheme, actor=coordinator)
    mail.outbox.clear()
    page = site.page
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit(f"/manage/{scheme.slug}/", "overview")
    panel = page.get_by_role("region", name="Needs attention")
    item = panel.get_by_role("listitem").filter(has_text="ranked no mentor")
    expect(item).to_contain_text("2 mentees who have ranked no mentor")
    site.phone_screenshot("overview with attention")
    site.follow(item.get_by_role("link", name="Who this reminder reaches"), "who and when")
    expect(page.get_by_role("row")).to_have_count(3)  # header + two mentees
    expect(page.get_by_role("cell", name="Never")).to_have_count(2)
    site.submit(page.get_by_role("button", name="Remind 2 people"), "reminded")
    expect(page.get_by_role("status")).to_contain_text("Reminding 2 people.")
    expect(page.get_by_text("(skipped)")).to_have_count(2)
    expect(page.get_by_role("button", name="Remind 0 people")).to_be_disabled()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.user.email for p in mentees)
    assert Nudge.objects.count() == 2
