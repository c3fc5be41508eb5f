"""Who reaches the reports, and that committee outputs hold aggregates only (and the PDF)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from equimentor.schemes.models import StaffRole
from tests import factories


@pytest.fixture
def committee_member(scheme_a, institution):
    user = factories.UserFactory(email="cm@example.org")
    role = StaffRole.objects.create(user=user, scheme=scheme_a, role="committee")
    role.institutions.add(institution)
    return user


def urls(slug):
    return [
        reverse("reports:dashboard", args=[slug]),
        reverse("reports:settings", args=[slug]),
        reverse("reports:committee", args=[slug]),
        reverse("reports:export", args=[slug, "csv"]),
        reverse("reports:export", args=[slug, "pdf"]),
        reverse("reports:api", args=[slug]),
    ]


def test_coordinator_reaches_everything(client, alice, bob_participant, scheme_a):
    client.force_login(alice)
    for url in urls("scheme-a"):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("reports:export", args=["scheme-a", "xlsx"])).status_code == 200


@pytest.mark.parametrize("who", ["charlie", "bob", "evaluator"])
def test_others_are_refused(client, who, request, scheme_a, charlie, bob):
    user = {"charlie": charlie, "bob": bob}.get(who) or factories.make_staff(scheme_a, "evaluator")
    client.force_login(user)
    for url in urls("scheme-a"):
        assert client.get(url).status_code == 403, (who, url)


def test_committee_sees_aggregates_of_their_institution_only(
    client, committee_member, bob_participant, scheme_a, institution
):
    client.force_login(committee_member)
    assert client.get(reverse("reports:dashboard", args=["scheme-a"])).status_code == 403
    assert client.get(reverse("reports:settings", args=["scheme-a"])).status_code == 403
    page = client.get(reverse("reports:committee", args=["scheme-a"]) + "?by1=ethnicity")
    assert page.status_code == 200
    html = page.content.decode()
    assert institution.name in html
    assert (
        "bob@example.org" not in html and "Amina" not in html and "British Bangladeshi" not in html
    )
    assert "/participants/" not in html and "registrations/" not in html
    data = client.get(reverse("reports:api", args=["scheme-a"])).json()
    assert data["institutions"] == [institution.name]
    funnel = data["tables"][0]
    assert funnel["rows"][0][funnel["columns"].index("Registered")] == "<5"


def test_committee_limit_applies(client, scheme_a, alice, committee_member):
    other = factories.InstitutionFactory(name="Elsewhere")
    for i in range(6):
        factories.register_participant(scheme_a, f"p{i}@example.org", institution=other)
    client.force_login(alice)
    reg = _registered(client)
    assert reg == "6"
    client.force_login(committee_member)
    assert _registered(client) == "0"


def _registered(client):
    data = client.get(reverse("reports:api", args=["scheme-a"])).json()
    funnel = data["tables"][0]
    return funnel["rows"][0][funnel["columns"].index("Registered")]


def test_pdf_renders_and_contains_the_tables(client, alice, scheme_a):
    from pypdf import PdfReader

    for i in range(6):
        factories.register_participant(scheme_a, f"q{i}@example.org")
    client.force_login(alice)
    resp = client.get(reverse("reports:export", args=["scheme-a", "pdf"]))
    assert resp["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)
    for title in [
        "Funnel",
        "Conversion rates",
        "Equity audit: indicators",
        "Mentor load",
        "Relationships closed, by reason",
    ]:
        assert title in text
    assert "Registered" in text and "6" in text
    assert "q0@example.org" not in text
    csv = client.get(reverse("reports:export", args=["scheme-a", "csv"])).content.decode()
    assert "Expressions of interest" in csv and "q0@" not in csv


def test_settings_stay_within_safe_bounds(client, alice, scheme_a):
    client.force_login(alice)
    url = reverse("reports:settings", args=["scheme-a"])
    resp = client.post(url, {"save_settings": "1", "threshold": "2", "min_values": "8"})
    assert resp.status_code == 400
    resp = client.post(
        url, {"save_settings": "1", "threshold": "10", "min_values": "8", "round_to_five": "on"}
    )
    assert resp.status_code == 302
    data = client.get(reverse("reports:api", args=["scheme-a"])).json()
    assert data["rules"] == {"threshold": 10, "min_values": 10, "round_to": 5}


def test_a_benchmark_with_an_unknown_answer_is_refused_and_the_form_kept(client, alice, scheme_a):
    from equimentor.reports.models import Benchmark

    client.force_login(alice)
    url = reverse("reports:settings", args=["scheme-a"])
    form = {
        "add_benchmark": "1",
        "label": "Women in the region",
        "dimension1": "gender",
        "value1": "Women",
        "dimension2": "",
        "value2": "",
        "expected_percent": "48",
        "source": "Census 2021",
    }
    resp = client.post(url, form)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "There is a problem" in html
    assert "is not an answer to Gender. Use one of: woman, man, non_binary" in html
    assert 'value="Women in the region"' in html and 'value="Census 2021"' in html
    assert not Benchmark.objects.exists()
    resp = client.post(url, {**form, "dimension2": "ethnicity"})
    assert "Give the answer for the second dimension." in resp.content.decode()
    resp = client.post(url, {**form, "dimension2": "gender", "value2": "woman"})
    assert "Choose a different dimension from the first." in resp.content.decode()
    assert client.post(url, {**form, "value1": " woman "}).status_code == 302
    assert Benchmark.objects.get().groups == {"gender": "woman"}


def test_every_export_says_what_its_suppressed_cells_mean(client, alice, scheme_a):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from equimentor.reports.models import ReportSettings

    ReportSettings.objects.create(scheme=scheme_a, threshold=6, min_values=9, round_to_five=True)
    factories.register_participant(scheme_a, "q0@example.org")
    client.force_login(alice)

    def export(fmt):
        return client.get(reverse("reports:export", args=["scheme-a", fmt])).content

    legend = "Counts from 1 to 5 are shown as “<6”; “x” hides a cell to protect another"
    withheld = "“–” marks a rate or median withheld (based on too few people: medians need 9)."
    rounded = "Counts are rounded to the nearest 5."
    csv = export("csv").decode()
    assert csv.splitlines()[0].startswith('"' + legend)  # text cells are quoted (lib.cells)
    assert withheld in csv and rounded in csv
    book = load_workbook(io.BytesIO(export("xlsx")))
    for sheet in book.worksheets:
        last = [row[0] for row in sheet.iter_rows(values_only=True)][-1]
        assert last.startswith(legend) and withheld in last and rounded in last
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(export("pdf"))).pages)
    text = " ".join(text.split())
    assert legend in text and "medians need 9" in text and rounded in text
