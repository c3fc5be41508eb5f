"""An emailed sign-in link returns the person to the page they were trying to reach (#14): the
``next`` a signed-out visitor is sent to the sign-in page with travels with the link, and only a
path on this site is ever followed."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from equimentor.accounts.models import SignInLink, same_site_path
from tests.factories import UserFactory


def _link_path(body: str) -> str:
    return re.search(r"/accounts/sign-in/link/[^\s/]+/", body).group(0)


def test_a_link_returns_to_the_page_that_asked_for_sign_in(
    client, bob, scheme_a, django_capture_on_commit_callbacks
):
    wanted = reverse("enrolment:participation", args=[scheme_a.slug])
    response = client.get(wanted)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )
    login_page = client.get(response["Location"])
    assert f'name="next" value="{wanted}"' in login_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:login"), {"link-email": bob.email, "next": wanted})
    assert SignInLink.objects.get(user=bob).next_path == wanted
    path = _link_path(mail.outbox[-1].body)
    assert "next" not in path  # the email carries no address of ours to tamper with
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == wanted
    assert client.get(wanted).status_code == 200


@pytest.mark.parametrize(
    "next_value",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/me/\nLocation: https://evil.example/",
        "relative/path",
        "/" + "x" * 600,
    ],
)
def test_only_a_path_on_this_site_is_followed(
    client, db, next_value, django_capture_on_commit_callbacks
):
    user = UserFactory(email="erin@example.org")
    assert same_site_path(next_value) == ""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:login"), {"link-email": user.email, "next": next_value})
    assert SignInLink.objects.get(user=user).next_path == ""
    response = client.post(_link_path(mail.outbox[-1].body))
    assert response["Location"] == reverse("portal:home")


def test_a_link_asked_for_without_next_goes_home_and_paths_keep_their_query(client, db):
    assert same_site_path("/me/schemes/a/?tab=2#x") == "/me/schemes/a/?tab=2#x"
    user = UserFactory(email="erin@example.org")
    link, raw = SignInLink.issue(user, "https://evil.example/")
    assert link.next_path == ""
    response = client.post(reverse("accounts:use_link", args=[raw]))
    assert response["Location"] == reverse("portal:home")
