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
    assert few <= 15, few  # one of them reads the directory's order, which changed
    # the order is kept until something changes it: the next request reads one query less
    again, shown = _count_queries(client, URL)
    assert shown == 20 and again == many - 1
