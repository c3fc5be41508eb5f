"""The menu offers each person the staff areas they may open, and no others."""

from __future__ import annotations

import pytest

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
