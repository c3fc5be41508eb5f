"""The menu offers each person the staff areas they may open, and no others."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories


@pytest.mark.parametrize(
    "role,shown,hidden",
    [
        ("coordinator", ["Coordinate"], ["Safeguarding", "Evaluation"]),
        ("safeguarding", ["Safeguarding"], ["Coordinate", "Evaluation"]),
        ("evaluator", ["Evaluation"], ["Coordinate", "Safeguarding"]),
    ],
)
def test_staff_links_follow_roles(client, scheme_a, role, shown, hidden):
    client.force_login(factories.make_staff(scheme_a, role))
    nav = client.get("/").content.decode().split('<nav aria-label="Main">')[1].split("</nav>")[0]
    for label in shown:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


def test_participants_see_no_staff_links(client, bob):
    client.force_login(bob)
    nav = client.get("/").content.decode().split('<nav aria-label="Main">')[1].split("</nav>")[0]
    for label in ("Coordinate", "Safeguarding", "Evaluation"):
        assert f">{label}</a>" not in nav
    assert "Raise a concern" in nav


@pytest.mark.parametrize("role", ["evaluator", "committee", "coordinator"])
def test_evaluation_pages_show_only_tabs_the_reader_may_open(client, scheme_a, role):
    """An evaluator or committee member does not see the coordinator's tabs (which would 403);
    every tab a reader is shown opens."""
    client.force_login(factories.make_staff(scheme_a, role))
    page = client.get(f"/manage/{scheme_a.slug}/evaluation/").content.decode()
    admin_tabs = 'aria-label="Scheme administration"' in page
    assert admin_tabs == (role == "coordinator")
    tabs = re.findall(
        r'<nav aria-label="(?:Scheme administration|Evaluation)".*?</nav>', page, re.S
    )
    for href in re.findall(r'href="([^"]+)"', "".join(tabs)):
        assert client.get(href).status_code == 200, href


def test_a_committee_member_is_led_from_home_to_the_reports(client, scheme_a):
    user = factories.make_staff(scheme_a, "committee")
    user.full_name = ""
    user.save(update_fields=["full_name"])
    client.force_login(user)
    home = client.get("/").content.decode()
    url = reverse("reports:committee", args=[scheme_a.slug])
    assert f'<a href="{url}">aggregate reports</a>' in home
    assert f'<li><a href="{url}">Reports</a></li>' in home  # and from the menu, on every page
    assert client.get(url).status_code == 200
    # no name on record: a plain welcome, not "Welcome, there"
    assert "<h1>Welcome</h1>" in home
