"""Enrolment asks the apps above it through enrolment.hooks (#22): each question has its one
answer, the directory lists approved mentors, training ends sessions on withdrawal."""

from __future__ import annotations

import pytest

from equimentor.directory.services import ensure_listing
from equimentor.enrolment import hooks
from equimentor.matching.queries import count_awaiting_reply, count_waiting_naming
from equimentor.matching.services import decline_for_leaver
from equimentor.relationships.capacity import mentee_places_of
from equimentor.relationships.queries import count_open_relationships, open_relationships_as_mentor
from equimentor.relationships.services import leave_scheme
from equimentor.training.services import end_registrations


def test_every_question_enrolment_asks_is_answered_by_its_app():
    assert hooks.answered() == set(hooks.QUESTIONS)
    assert hooks.ANSWERS == {
        "open_relationships_as_mentor": open_relationships_as_mentor,
        "mentees_held": mentee_places_of,
        "open_relationships": count_open_relationships,
        "proposals_awaiting_reply": count_awaiting_reply,
        "proposals_waiting": count_waiting_naming,
    }
    assert hooks.LISTABLE == [ensure_listing]
    # in INSTALLED_APPS order: proposals declined, relationships left, sessions ended
    assert hooks.WITHDRAWN == [decline_for_leaver, leave_scheme, end_registrations]


def test_an_unanswered_question_is_an_error_not_a_zero(monkeypatch):
    monkeypatch.setattr(hooks, "ANSWERS", {})
    with pytest.raises(LookupError, match="mentees_held"):
        hooks.ask("mentees_held", 1)
    with pytest.raises(ValueError, match="no question"):
        hooks.answer("anything_else", len)
