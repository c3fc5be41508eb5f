from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.matching import services
from equimentor.matching.models import Proposal
from tests.matching_setup import choose, people


@pytest.fixture
def published(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = people(scheme_a, alice)
        choose(mentees[0], mentors[0])
        matching_round = services.open_round(scheme_a, actor=alice)
        services.close_choices(matching_round, actor=alice)
        services.publish(matching_round, actor=alice)
    return matching_round, mentors, mentees


def test_a_participant_lists_and_answers_proposals(client, published):
    _, mentors, mentees = published
    client.force_login(mentees[0].user)
    data = client.get(reverse("api:my_proposals", args=["scheme-a"])).json()
    [item] = data["results"]
    assert item["side"] == "mentee" and item["reasons"][0] == "your 1st choice"
    assert item["other"]["name"] == mentors[0].user.full_name
    url = reverse("api:reply_to_proposal", args=["scheme-a", item["id"]])
    assert client.post(url, {"answer": "maybe"}).status_code == 400
    response = client.post(url, {"answer": "decline", "note": "private"})
    answer = response.json()  # the proposal as the caller now sees it (as the schema says)
    assert (answer["id"], answer["status"], answer["my_reply"]) == (
        item["id"],
        "declined",
        "decline",
    )
    assert client.post(url, {"answer": "accept"}).status_code == 409


def test_others_cannot_answer(client, published):
    _, mentors, mentees = published
    proposal = Proposal.objects.get(mentee=mentees[0])
    client.force_login(mentees[1].user)
    url = reverse("api:reply_to_proposal", args=["scheme-a", proposal.pk])
    assert client.post(url, {"answer": "decline"}).status_code == 404
    client.logout()
    assert client.post(url, {"answer": "decline"}).status_code == 403


def test_rounds_for_the_coordinator_only(client, published, alice, charlie, bob):
    matching_round, _, _ = published
    url = reverse("api:matching_rounds", args=["scheme-a"])
    for user in (charlie, bob):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert (
            client.get(reverse("api:round_pairs", args=["scheme-a", matching_round.pk])).status_code
            == 403
        )
    client.force_login(alice)
    [item] = client.get(url).json()["results"]
    assert item["status"] == "published" and item["latest_run"]["blocking_pairs"] == 0
    pairs = client.get(reverse("api:round_pairs", args=["scheme-a", matching_round.pk])).json()[
        "results"
    ]
    assert len(pairs) == item["latest_run"]["matched"]


def test_the_round_pairs_speak_of_the_mentee_as_the_round_page_does(client, scheme_a, alice):
    mentors, mentees = people(scheme_a, alice)
    choose(mentees[0], mentors[0])
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    client.force_login(alice)
    url = reverse("api:round_pairs", args=["scheme-a", matching_round.pk])
    reasons = [r for pair in client.get(url).json()["results"] for r in pair["reasons"]]
    assert "the mentee's 1st choice" in reasons
    assert not [r for r in reasons if r.startswith("your ") or " you " in f" {r} "]
