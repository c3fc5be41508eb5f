"""Pages made for a signed-in person, and pages reached through a link's secret, are kept by no
cache: on a shared computer the next person cannot bring them back with Back after sign-out."""

from __future__ import annotations

import re

from django.urls import reverse

from tests import factories


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_a_signed_in_persons_pages_are_not_stored(client, bob):
    client.force_login(bob)
    for name in ("portal:home", "accounts:account", "privacy:my_data", "privacy:export"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert _no_store(response), name
        assert "private" in response["Cache-Control"]
    client.post(reverse("accounts:logout"))
    public = client.get("/")
    assert public.status_code == 200
    assert not _no_store(public)  # nothing of anybody's in it


def test_a_staff_page_is_not_stored(client, scheme_a):
    coordinator = factories.make_staff(scheme_a, "coordinator")
    client.force_login(coordinator)
    response = client.get(reverse("backoffice:index"))
    assert response.status_code == 200
    assert _no_store(response)


def test_a_registration_link_page_is_not_stored(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = factories.welcome_link(
        client, scheme_a, django_capture_on_commit_callbacks, institution=institution.pk
    )
    response = client.get(link)  # signed out: the name and address she gave are in it
    assert response.status_code == 200
    assert "Dana Applicant" in response.content.decode()
    assert _no_store(response)


def test_a_response_that_says_how_it_is_cached_keeps_its_own(client, bob):
    client.force_login(bob)
    response = client.get(reverse("api:reference"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"


def _input(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, name
    return tag.group(0)


def test_a_case_key_and_passphrase_stay_out_of_a_shared_browsers_memory(client, bob):
    client.force_login(bob)
    html = client.get(reverse("safeguarding:follow_up")).content.decode()
    for name in ("key", "passphrase"):
        assert 'autocomplete="off"' in _input(html, name), name
    html = client.get(reverse("safeguarding:raise")).content.decode()
    assert 'autocomplete="off"' in _input(html, "passphrase")


def test_identity_in_ones_own_words_stays_out_of_the_form_history(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = factories.welcome_link(
        client, scheme_a, django_capture_on_commit_callbacks, institution=institution.pk
    )
    html = client.get(link).content.decode()
    texts = re.findall(r'<input[^>]*name="id_\w+_text"[^>]*>', html)
    assert texts  # the scheme asks at least one question with its own words
    for tag in texts:
        assert 'autocomplete="off"' in tag, tag
