"""A reports page viewed again with nothing changed renders only its frame (issue #17): the HTML of
its report sections is kept with the sections, under the same key (scheme, the reader's
institutions, breakdown, data version, rules, time zone, code and templates). A change shows on
the next view, a reader limited to some institutions never gets the HTML kept for the whole
scheme, and what is kept holds nothing of the reader."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.reports import cache as reports_cache
from equimentor.schemes.models import StaffRole
from tests import factories
from tests.reports_data import generate

PAGES = ["/manage/bench/reports/", "/schemes/bench/reports/"]
SECTION_TEMPLATES = {"reports/_sections.html", "reports/_tables.html", "reports/_chart.html"}
LOAD = re.compile(r"{%\s*load\s+(.+?)\s*%}")


@pytest.fixture
def bench(db):
    scheme, coordinator, _ = generate(120, 50, seed=5)
    return scheme, coordinator


def body(response) -> list[str]:
    """The page, less the CSRF token each response has its own."""
    assert response.status_code == 200
    text = response.content.decode()
    return [line for line in text.splitlines() if "csrfmiddlewaretoken" not in line]


def sections(response) -> str:
    """The report sections of a page: from the breakdown form to the end of the outcomes."""
    text = response.content.decode()
    start = text.index('<form method="get" class="report-filters">')
    return text[start : text.index("</main>")]


def rendered(response) -> set[str]:
    return {t.name for t in response.templates if t.name}


@pytest.mark.parametrize("page", PAGES)
def test_a_kept_page_renders_no_report_section(client, bench, page):
    scheme, coordinator = bench
    client.force_login(coordinator)
    url = page + "?by1=ethnicity&by2=gender"
    first = client.get(url)
    assert SECTION_TEMPLATES <= rendered(first)
    second = client.get(url)
    assert not rendered(second) & SECTION_TEMPLATES
    assert body(second) == body(first)


@pytest.mark.parametrize("page", PAGES)
def test_a_kept_page_shows_a_change(client, bench, page):
    scheme, coordinator = bench
    client.force_login(coordinator)
    before = body(client.get(page))
    assert body(client.get(page)) == before  # kept, and the same
    for i in range(6):  # enough to move a figure past small-number suppression
        factories.register_participant(scheme, f"new{i}@example.org", approve_by=coordinator)
    after = body(client.get(page))
    assert after != before, "the change does not show: the test would prove nothing"
    cache.clear()
    assert body(client.get(page)) == after


def test_the_dashboard_and_committee_page_share_their_sections(client, bench):
    scheme, coordinator = bench
    client.force_login(coordinator)
    dashboard = client.get(PAGES[0] + "?by1=institution")
    committee = client.get(PAGES[1] + "?by1=institution")
    assert not rendered(committee) & SECTION_TEMPLATES
    assert sections(committee) == sections(dashboard)


def test_a_limited_reader_never_gets_the_whole_schemes_sections(client, scheme_a, alice):
    """A committee member limited to her institution, viewing after the coordinator, sees her
    institution's figures, not the whole scheme's kept page."""
    mine, other = factories.InstitutionFactory(name="Mine"), factories.InstitutionFactory()
    member = factories.UserFactory(email="cm@example.org")
    StaffRole.objects.create(user=member, scheme=scheme_a, role="committee").institutions.add(mine)
    for i in range(6):
        factories.register_participant(
            scheme_a, f"p{i}@example.org", institution=other, approve_by=alice
        )
    url = reverse("reports:committee", args=[scheme_a.slug])
    client.force_login(alice)
    whole = sections(client.get(url))
    client.force_login(member)
    hers = client.get(url)
    assert SECTION_TEMPLATES <= rendered(hers)  # computed for her, not read from the whole's
    assert sections(hers) != whole
    cache.clear()
    assert sections(client.get(url)) == sections(hers)


def test_what_is_kept_holds_nothing_of_the_reader(client, bench, monkeypatch):
    """The kept HTML is the page's report sections and nothing else of the page."""
    scheme, coordinator = bench
    given = []
    real_set = cache.set

    def spy(key, value, timeout=None):
        given.append(value)
        return real_set(key, value, timeout=timeout)

    monkeypatch.setattr(cache, "set", spy)
    client.force_login(coordinator)
    page = client.get(PAGES[0])
    html = [v for v in given if isinstance(v, str)]
    assert len(html) == 1  # besides the sections, only their HTML, exactly as the page shows it
    assert html[0].strip() == sections(page).strip()
    assert coordinator.email not in html[0] and "csrfmiddlewaretoken" not in html[0]


def test_the_report_templates_are_part_of_the_code_version(client, bench):
    """A deployment whose report templates differ never reads HTML the previous one kept: the
    templates of the kept HTML (those a first view renders and the next does not) and the
    template tag libraries of ours that they load are all part of the code version."""
    scheme, coordinator = bench
    client.force_login(coordinator)
    first = {t.origin.name: t for t in client.get(PAGES[0]).templates if t.name}
    kept = first.keys() - {t.origin.name for t in client.get(PAGES[0]).templates if t.name}
    assert SECTION_TEMPLATES <= {first[origin].name for origin in kept}
    libraries = engines["django"].engine.libraries  # name -> module
    ours = {
        libraries[name]
        for origin in kept
        for load in LOAD.findall(first[origin].source)
        for name in load.split()
        if libraries.get(name, "").startswith("equimentor.")
    }
    assert "equimentor.core.templatetags.equimentor" in ours  # the table_body filter
    needed = {Path(origin) for origin in kept} | {Path(sys.modules[m].__file__) for m in ours}
    assert {p.resolve() for p in needed} <= {p.resolve() for p in reports_cache.code_files()}


def test_a_kept_page_reads_only_its_frame(client, bench):
    """Kept: the session, the reader, the scheme and her role in it (a coordinator's role reads
    no institutions), the report settings with the data version (one query) and the menu's
    roles."""
    scheme, coordinator = bench
    client.force_login(coordinator)
    client.get(PAGES[0])
    with CaptureQueriesContext(connection) as kept:
        assert client.get(PAGES[0]).status_code == 200
    tables = [re.search(r'FROM \(?"(\w+)"', q["sql"]).group(1) for q in kept.captured_queries]
    assert tables == [
        "django_session",
        "accounts_user",
        "schemes_scheme",
        "schemes_staffrole",
        "core_dataversion",  # the data version, with the report settings in the same query
        "schemes_staffrole",
    ]
    assert "reports_reportsettings" in kept.captured_queries[4]["sql"]
