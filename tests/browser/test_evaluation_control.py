"""A coordinator adds the questionnaires (on hold), reads who each goes to, previews it and its
emails, and starts sending it; axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_checks_a_questionnaire_before_it_goes(site, scheme, coordinator):
    from equimentor.evaluation.models import Questionnaire

    page = site.page
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit(f"/manage/{scheme.slug}/evaluation/", "evaluation")
    site.submit(
        page.get_by_role("button", name="Add the shipped AIMMS questionnaires (2)"),
        "questionnaires added",
    )
    expect(page.get_by_role("status")).to_contain_text("on hold")
    row = page.get_by_role("row", name="Before mentoring starts")
    expect(row).to_contain_text("On hold")

    site.follow(row.get_by_role("link", name="Schedule"), "schedule")
    expect(page.get_by_role("heading", name="On hold")).to_be_visible()
    expect(page.get_by_role("heading", name="Due now (0)")).to_be_visible()
    site.phone_screenshot("schedule")

    site.follow(page.get_by_role("link", name="Preview the questionnaire"), "preview")
    expect(page.get_by_role("heading", name="Invitation: ")).to_be_visible()
    expect(page.get_by_text("Dear Helen Marsh")).to_have_count(2)  # invitation and reminder
    expect(page.get_by_role("button", name="Send my answers (preview)")).to_be_disabled()
    site.follow(page.get_by_role("link", name="As mentors see it"), "preview as mentor")
    expect(page.get_by_text("(as a mentor)").first).to_be_visible()

    site.follow(page.get_by_role("link", name="Who it goes to, and when"), "schedule again")
    site.submit(page.get_by_role("button", name="Start sending"), "started")
    expect(page.get_by_role("heading", name="Being sent")).to_be_visible()
    q = Questionnaire.objects.get(scheme=scheme, code="aimms-baseline")
    assert q.is_active
    site.submit(page.get_by_role("button", name="Hold sending"), "held again")
    expect(page.get_by_role("status")).to_contain_text("on hold")
    q.refresh_from_db()
    assert not q.is_active
