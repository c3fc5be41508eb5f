"""The coordinator picks a questionnaire item and sees outcomes by group (axe-checked)."""

from __future__ import annotations

import pytest

from tests import evaluation_setup as es

pytestmark = pytest.mark.django_db(transaction=True)


def test_outcomes_by_group_on_the_dashboard(site, scheme, coordinator):
    es.add(
        es.install(scheme, coordinator)["aimms-month-6"],
        es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES),
    )
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit(f"/manage/{scheme.slug}/reports/", "reports dashboard")
    section = site.page.get_by_role("region", name="Questionnaire outcomes by group")
    section.get_by_label("Question 1").select_option(label="Disability")
    site.submit(section.get_by_role("button", name="Show outcomes"), "outcomes by disability")
    table = site.page.get_by_role("table", name="Questionnaire outcomes", exact=False)
    assert table.get_by_role("rowheader", name="Mentees · Disability: No").is_visible()
    assert "75%" in table.inner_text()
