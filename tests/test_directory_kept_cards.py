"""Each mentor's card (page) and JSON (API) is built once per directory version and kept with
the directory's order (#17): a second request reads no mentor, and every change a mentee could
see — the mentor's name, her profile, her listing's choices, her institution's name, a place
taken — shows at the next request. Identity answers are read on every request (hiding one or
withdrawing consent moves no version)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.directory import services
from equimentor.enrolment import services as enrolment
from equimentor.enrolment.consents import withdraw_consent
from equimentor.enrolment.models import Consent
from equimentor.identity.models import IdentityAnswer
from tests import directory_support as support
from tests import factories

PAGE = reverse("directory:mentors", args=["scheme-a"])
API = reverse("api:directory_mentors", args=["scheme-a"])


def _reads_mentors(client, url) -> tuple[str, bool]:
    """The response's cards (or JSON), and whether any query read listed mentors' rows."""
    with CaptureQueriesContext(connection) as ctx:
        text = client.get(url).content.decode()
    if url == PAGE:
        start = text.index('<ul class="cards"')
        text = text[start : text.index("</ul>", start)]
    return text, any(
        'FROM "enrolment_participant"' in q["sql"] and "directory_mentorlisting" in q["sql"]
        for q in ctx.captured_queries
    )


def _signed_in(client, scheme_a, alice):
    inst = factories.InstitutionFactory(name="Gamma University")
    mentor = support.mentor(
        scheme_a, alice, institution=inst, capacity=1, **support.shown_identity()
    )
    client.force_login(support.mentee(scheme_a, alice).user)
    return mentor, inst


def test_a_second_request_reads_no_mentor(client, scheme_a, alice):
    _signed_in(client, scheme_a, alice)
    for url in (PAGE, API):
        first, read = _reads_mentors(client, url)
        assert read and "Gamma University" in first
        again, read = _reads_mentors(client, url)
        assert again == first and not read


def test_every_change_shows_at_the_next_request(client, scheme_a, alice):
    mentor, inst = _signed_in(client, scheme_a, alice)
    for url in (PAGE, API):
        client.get(url)

    mentor.user.full_name = "Dr Renamed Person"
    mentor.user.save()
    assert all("Dr Renamed Person" in _reads_mentors(client, url)[0] for url in (PAGE, API))

    inst.name = "Delta Institute"
    inst.save()
    assert all("Delta Institute" in _reads_mentors(client, url)[0] for url in (PAGE, API))

    services.update_listing(mentor, actor=mentor.user, show_institution=False)
    assert all("Delta Institute" not in _reads_mentors(client, url)[0] for url in (PAGE, API))

    mentor.job_title = "Professor of Kept Cards"
    mentor.save()
    assert all("Professor of Kept Cards" in _reads_mentors(client, url)[0] for url in (PAGE, API))

    support.fill(mentor)  # her one place is taken
    assert "<strong>Full</strong>" in client.get(PAGE).content.decode()
    assert client.get(API).json()["results"][0]["free_places"] == 0

    services.update_listing(mentor, actor=mentor.user, is_published=False)
    assert "Dr Renamed Person" not in client.get(PAGE).content.decode()
    assert client.get(API).json()["results"] == []


def test_identity_answers_are_read_on_every_request(client, scheme_a, alice):
    mentor, _ = _signed_in(client, scheme_a, alice)
    assert "Nigerian British" in client.get(PAGE).content.decode()
    # no signal: a queryset update, as the profile's save does when she stops mentoring
    IdentityAnswer.objects.filter(participant=mentor).update(show_on_profile=False)
    assert "Nigerian British" not in client.get(PAGE).content.decode()
    IdentityAnswer.objects.filter(participant=mentor).update(show_on_profile=True)
    assert "Nigerian British" in client.get(PAGE).content.decode()
    withdraw_consent(mentor, Consent.Purpose.IDENTITY_MATCHING, actor=mentor.user)
    assert "Nigerian British" not in client.get(PAGE).content.decode()


def _listed(client, mentor) -> tuple[bool, bool]:
    """Whether the page links to ``mentor``'s card, and whether the API lists her."""
    card = f'href="{reverse("directory:mentor", args=["scheme-a", mentor.pk])}"'
    api = [row["id"] for row in client.get(API).json()["results"]]
    return card in client.get(PAGE).content.decode(), mentor.pk in api


def test_a_mentor_who_stops_mentoring_leaves_at_once(client, scheme_a, alice):
    """Her role changed to mentee: no longer listed at the very next request (page and API),
    with nothing kept waiting to age."""
    mentor, _ = _signed_in(client, scheme_a, alice)
    assert _listed(client, mentor) == (True, True)  # and kept
    enrolment.update_profile(mentor, role="mentee", profile={}, actor=mentor.user)
    assert _listed(client, mentor) == (False, False)


def test_a_mentor_who_withdraws_leaves_at_once(client, scheme_a, alice):
    mentor, _ = _signed_in(client, scheme_a, alice)
    assert _listed(client, mentor) == (True, True)
    enrolment.withdraw(mentor, actor=mentor.user, erase_identity=False)
    assert _listed(client, mentor) == (False, False)


def test_one_viewers_marks_never_show_on_anothers_page(client, scheme_a, alice):
    """The cards' heads and the filter's HTML are kept per version for every viewer; what a
    viewer chose or ruled out is hers alone, request after request (kept or not)."""
    first, _ = _signed_in(client, scheme_a, alice)
    second = support.mentor(scheme_a, alice)
    chooser, other = support.mentee(scheme_a, alice), support.mentee(scheme_a, alice)
    services.add_choice(chooser, first, note="", actor=chooser.user)
    services.add_conflict(other, second, "supervisor", actor=other.user)
    chosen, ruled_out = "Your 1st choice", "You said you must not be matched with this mentor."
    for _ in range(2):  # the first requests build what is kept, the next ones use it
        client.force_login(chooser.user)
        page = client.get(PAGE).content.decode()
        assert chosen in page and ruled_out not in page
        client.force_login(other.user)
        page = client.get(PAGE).content.decode()
        assert ruled_out in page and chosen not in page
