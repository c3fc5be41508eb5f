"""What the apps above enrolment do, or answer, when a person's place in a scheme changes (#22).

Enrolment sits below directory, matching, relationships and training (docs/architecture.md), so
it cannot import them; yet approving a mentor lists them in the directory, withdrawing ends their
sessions to come, and a mentor still mentoring may not drop the role. Each of those apps registers
its part here in its ``AppConfig.ready()``, as apps register their shredders with
``core.erasure``:

- ``on_listable(fn)``: ``fn(participant, actor=...)`` runs when someone becomes, or is approved
  as, a mentor (directory: their listing);
- ``on_withdrawn(fn)``: ``fn(participant, actor=...)`` runs inside the withdrawal's transaction
  (training: sessions to come; relationships: they leave their open relationships; matching:
  proposals waiting that name them are declined);
- ``answer(question, fn)``: the one function that answers a question enrolment asks of another
  app, by name: ``QUESTIONS`` lists them and who answers. Asking an unanswered question raises
  ``LookupError`` (an app left out of ``INSTALLED_APPS`` is a configuration error, never a
  silent zero), and ``tests/test_enrolment_hooks.py`` checks that every question has its answer.
"""

from __future__ import annotations

from collections.abc import Callable

QUESTIONS = {
    "open_relationships_as_mentor": "relationships: open relationships a participant mentors in",
    "mentees_held": "relationships: mentees a participant mentors now (by participant id)",
    "open_relationships": "relationships: open relationships a participant is in (any side)",
    "proposals_awaiting_reply": "matching: proposals waiting for a participant's own reply",
    "proposals_waiting": (
        "matching: proposals still waiting that name a participant, as (for their own reply,"
        " only for the other side's)"
    ),
}

# what is registered (read by tests; change only through the functions below)
LISTABLE: list[Callable] = []
WITHDRAWN: list[Callable] = []
ANSWERS: dict[str, Callable] = {}


def on_listable(fn: Callable) -> None:
    if fn not in LISTABLE:
        LISTABLE.append(fn)


def on_withdrawn(fn: Callable) -> None:
    if fn not in WITHDRAWN:
        WITHDRAWN.append(fn)


def answer(question: str, fn: Callable) -> None:
    if question not in QUESTIONS:
        raise ValueError(f"enrolment asks no question named {question!r}")
    if ANSWERS.get(question, fn) is not fn:
        raise ValueError(f"{question!r} already has an answer")
    ANSWERS[question] = fn


def listable(participant, *, actor) -> None:
    for fn in LISTABLE:
        fn(participant, actor=actor)


def withdrawn(participant, *, actor) -> None:
    for fn in WITHDRAWN:
        fn(participant, actor=actor)


def ask(question: str, *args):
    try:
        fn = ANSWERS[question]
    except KeyError:
        raise LookupError(
            f"nothing answers enrolment's question {question!r} ({QUESTIONS.get(question)})"
        ) from None
    return fn(*args)


def answered() -> set[str]:
    return set(ANSWERS)
