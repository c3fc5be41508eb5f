"""An evaluator imports the AIMMS six-month export as a forms tool wrote it (#21): the columns
are matched by their wording, the timestamp is ignored and a "Yes" on an agreement item mapped
by hand; the mapping is saved, and the next file imports with no question asked. Then the
results download as a spreadsheet. Axe on every page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

DATA = Path(__file__).resolve().parent.parent / "data" / "aimms-month-6-forms-export.csv"


def test_evaluator_imports_a_messy_export_and_the_next_one_with_the_saved_mapping(
    site, scheme, coordinator, tmp_path
):
    from equimentor.accounts.models import User
    from equimentor.evaluation import services
    from equimentor.evaluation.models import ImportMapping, Response
    from equimentor.schemes.models import StaffRole

    services.install_shipped(scheme, actor=coordinator, sending=False)
    evaluator = User.objects.create_user(
        "evaluator@example.org", password="a long evaluator password", full_name="Ama Mensah"
    )
    StaffRole.objects.create(user=evaluator, scheme=scheme, role=StaffRole.Role.EVALUATOR)
    page = site.page
    site.sign_in_with_password("evaluator@example.org", "a long evaluator password")
    site.visit(f"/manage/{scheme.slug}/evaluation/import/", "import")
    page.get_by_label("Questionnaire the responses answered").select_option("aimms-month-6")
    page.get_by_label("CSV file (one row per response)").set_input_files(str(DATA))
    site.submit(page.get_by_role("button", name="Upload and map columns"), "mapping")

    summary = page.get_by_role("alert").filter(has_text="To map before importing")
    expect(summary).to_contain_text("Column “Timestamp”")
    expect(summary).to_contain_text("the answer “Yes”")
    expect(page.get_by_text("97% alike")).to_be_visible()  # "I had a good relationship…"
    expect(page.get_by_role("button", name="Import 9 responses")).to_have_count(0)
    site.phone_screenshot("mapping")

    page.get_by_role("group", name="Column 1: “Timestamp”").get_by_label("Question").select_option(
        "__ignore"
    )
    relationship = page.get_by_role("group", name="I had a good relationship")
    relationship.get_by_label("“Yes”").select_option(label="Agree (suggested)")
    page.get_by_label("Save this mapping for the next file as").fill("Microsoft Forms export")
    site.submit(page.get_by_role("button", name="Check (dry run)"), "checked")
    expect(page.get_by_text("all 9 rows are correct")).to_be_visible()
    site.submit(page.get_by_role("button", name="Import 9 responses"), "imported")
    expect(page.get_by_role("heading", name="Results: Six months into mentoring")).to_be_visible()
    assert Response.objects.count() == 9
    assert ImportMapping.objects.get().name == "Microsoft Forms export"

    # the results page links its tables as a spreadsheet
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert download.value.suggested_filename.endswith("-aimms-month-6-results.xlsx")

    # the next file: same export, new rows; nothing to decide
    second = tmp_path / "second.csv"
    lines = DATA.read_text(encoding="utf-8").splitlines()
    second.write_text("\n".join([lines[0], *lines[1:4]]) + "\n", encoding="utf-8")
    site.visit(f"/manage/{scheme.slug}/evaluation/import/", "import again")
    expect(page.get_by_role("row", name="Microsoft Forms export")).to_be_visible()
    page.get_by_label("Questionnaire the responses answered").select_option("aimms-month-6")
    page.get_by_label("CSV file (one row per response)").set_input_files(str(second))
    site.submit(page.get_by_role("button", name="Upload and map columns"), "mapped by saved")
    expect(
        page.get_by_text("The saved mapping “Microsoft Forms export” was applied")
    ).to_be_visible()
    expect(page.get_by_text("To map before importing")).to_have_count(0)
    site.submit(page.get_by_role("button", name="Import 3 responses"), "imported again")
    assert Response.objects.count() == 12
    site.assert_all_checked()
