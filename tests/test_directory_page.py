"""The directory page: what a card shows, the filters, pagination, and a fixed query count."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.directory import services
from tests import directory_support as support
from tests import factories

URL = reverse("directory:mentors", args=["scheme-a"])


@pytest.fixture
def viewer(scheme_a, alice):
    return support.mentee(scheme_a, alice)


def names(response) -> list[int]:
    """The mentors on the page, as participant ids, in order."""
    found = re.findall(
        r'<h3><a href="/schemes/scheme-a/mentors/(\d+)/">', response.content.decode()
    )
    return [int(pk) for pk in found]


def test_it_works(client, scheme_a, alice, viewer):
    oxford = factories.InstitutionFactory(name="University of Oxbridge")
    m = support.mentor(
        scheme_a,
        alice,
        institution=oxford,
        profile={
            "job_title": "Reader in Cardiology",
            "department": "Cardiovascular Sciences",
            "research_interests": "heart failure; trials",
            "offers": "Fellowship interviews",
            "career_stage": 4,
        },
    )
    client.force_login(viewer.user)
    response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert names(response) == [m.pk]
    for text in (
        "Reader in Cardiology",
        scheme_a.career_stages[4],
        "University of Oxbridge",
        "Cardiovascular Sciences",
        "heart failure; trials",
        "Fellowship interviews",
        "2 places free",
        "Clinical academic",
    ):
        assert text in page, text
    assert "1 mentor" in page


def test_hidden_fields_are_not_shown_and_cannot_be_filtered_on(client, scheme_a, alice, viewer):
    oxford = factories.InstitutionFactory(name="University of Oxbridge")
    m = support.mentor(
        scheme_a, alice, institution=oxford, profile={"department": "Secret Surgery"}
    )
    services.update_listing(
        m, actor=m.user, show_institution=False, show_department=False, show_offers=False
    )
    client.force_login(viewer.user)
    page = client.get(URL).content.decode()
    assert "Oxbridge" not in page and "Secret Surgery" not in page and "Grant writing" not in page
    assert names(client.get(URL, {"specialty": "secret"})) == []
    # the hidden institution is not even offered as a filter
    assert client.get(URL, {"institution": oxford.pk}).status_code == 200
    assert names(client.get(URL, {"institution": oxford.pk})) == [m.pk]  # invalid choice: ignored
    assert "Oxbridge" not in client.get(URL).content.decode()


def test_free_places_and_full(client, scheme_a, alice, viewer):
    roomy = support.mentor(scheme_a, alice, capacity=3, profile={"job_title": "Roomy"})
    one_left = support.mentor(scheme_a, alice, capacity=2, profile={"job_title": "Nearly"})
    full = support.mentor(scheme_a, alice, capacity=1, profile={"job_title": "Busy"})
    support.fill(one_left, 1)
    support.fill(full, 1)
    client.force_login(viewer.user)
    page = client.get(URL).content.decode()
    assert "3 places free" in page and "1 place free" in page and "Full" in page
    listed = names(client.get(URL))
    assert listed[-1] == full.pk  # mentors with room first
    assert set(names(client.get(URL, {"has_capacity": "on"}))) == {
        roomy.pk,
        one_left.pk,
    }


def test_the_filters(client, scheme_a, alice, viewer):
    a_inst = factories.InstitutionFactory(name="Alpha University")
    b_inst = factories.InstitutionFactory(name="Beta University")
    a = support.mentor(
        scheme_a,
        alice,
        institution=a_inst,
        profile={
            "career_stage": 5,
            "pathway": "clinical",
            "department": "Paediatric Cardiology",
            "research_interests": "congenital heart disease; genomics",
        },
    )
    b = support.mentor(
        scheme_a,
        alice,
        institution=b_inst,
        profile={
            "career_stage": 3,
            "pathway": "non_clinical",
            "department": "Public Health",
            "research_interests": "maternal health; health inequalities",
        },
    )
    client.force_login(viewer.user)
    assert names(client.get(URL, {"institution": a_inst.pk})) == [a.pk]
    assert names(client.get(URL, {"career_stage": 3})) == [b.pk]
    assert names(client.get(URL, {"pathway": "clinical"})) == [a.pk]
    assert names(client.get(URL, {"specialty": "cardio"})) == [a.pk]
    assert names(client.get(URL, {"interests": "health maternal"})) == [b.pk]
    assert names(client.get(URL, {"interests": "maternal genomics"})) == []  # all words must appear
    assert names(client.get(URL, {"interests": "GENOMICS"})) == [a.pk]
    response = client.get(URL, {"pathway": "nonsense"})
    assert response.status_code == 200  # an invalid filter is reported and ignored
    assert len(names(response)) == 2


def test_pagination_keeps_the_filters(client, scheme_a, viewer):
    support.bulk_mentors(scheme_a, 45)
    client.force_login(viewer.user)
    response = client.get(URL, {"pathway": "clinical", "interests": "genomics"})
    page = response.content.decode()
    # 45 mentors: odd ones clinical (22), of which those with i % 4 != 0 mention genomics (all 22)
    assert len(names(response)) == 20
    assert "Page 1 of 2" in page
    assert 'href="?pathway=clinical&amp;interests=genomics&amp;page=2"' in page
    second = client.get(URL, {"pathway": "clinical", "interests": "genomics", "page": 2})
    assert len(names(second)) == 2
    assert "page=1" in second.content.decode() and "pathway=clinical" in second.content.decode()


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    versions = [q for q in ctx.captured_queries if "directory_directoryversion" in q["sql"]]
    assert len(versions) == 1  # read once a request
    return len(ctx.captured_queries), len(names(response))


def test_the_query_count_does_not_grow_with_the_mentors_on_the_page(client, scheme_a, viewer):
    support.bulk_mentors(scheme_a, 3, with_identity=True)
    client.force_login(viewer.user)
    few, shown = _count_queries(client, URL)
    assert shown == 3
    support.bulk_mentors(scheme_a, 30, with_identity=True)
    many, shown = _count_queries(client, URL)
    assert shown == 20
    assert many == few
    # three of them read what changed: the directory's order (the names' order, and the loads
    # grouped by mentor), and the institutions the filter offers; the directory's version is
    # read once, with the scheme, before both (16 before #17's per-request cuts: the version
    # apart, the viewer's choices and conflicts apart, and a participant's staff roles, which
    # her page never shows)
    assert few <= 13, few
    # both are kept until something changes them, the filter form's HTML is kept for the
    # version, and so are the cards' facts: the next request reads neither, nor the
    # institutions' names, nor the page's mentors (five queries less; their identity answers
    # are still read)
    again, shown = _count_queries(client, URL)
    assert shown == 20 and again == many - 5 and again <= 8, again


def _institutions_offered(response) -> list[str]:
    select = re.search(
        r'<select name="institution"[^>]*>(.*?)</select>', response.content.decode(), re.S
    )
    return re.findall(r"<option[^>]*>([^<]+)</option>", select.group(1))[1:]  # after "Any"


def test_the_cached_filter_and_free_places_follow_every_change(client, scheme_a, alice, viewer):
    """The filter form's HTML is cached per directory version and the cards' free places come
    from the kept order: a new institution, a scheme's new career stages, a proposal taking a
    place each show at the next request; a filter with errors is never cached."""
    oxbridge = factories.InstitutionFactory(name="University of Oxbridge")
    mentor = support.mentor(scheme_a, alice, institution=oxbridge, capacity=1)
    client.force_login(viewer.user)
    first = client.get(URL)
    assert _institutions_offered(first) == ["University of Oxbridge"]
    assert "1 place free" in first.content.decode()
    assert _institutions_offered(client.get(URL)) == ["University of Oxbridge"]  # from the cache

    support.mentor(scheme_a, alice, institution=factories.InstitutionFactory(name="Camford"))
    assert _institutions_offered(client.get(URL)) == ["Camford", "University of Oxbridge"]

    scheme_a.career_stages = ["Early career", "Mid career", "Visiting fellow"]
    scheme_a.save()
    assert ">Visiting fellow</option>" in client.get(URL).content.decode()

    support.fill(mentor)  # a proposal waits: her one place is taken
    page = client.get(URL).content.decode()
    card = page[page.index(f'/mentors/{mentor.pk}/"') :]
    assert "<strong>Full</strong>" in card[: card.index("</li>")]

    bad = client.get(URL, {"career_stage": "x"}).content.decode()
    assert "Select a valid choice" in bad
    assert "Select a valid choice" not in client.get(URL).content.decode()
