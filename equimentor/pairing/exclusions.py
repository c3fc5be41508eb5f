"""Who may not be paired now: pairs never to propose again, mentees already busy, and whether a
scheme's round lets mentees change their choices.

- ``never_again(scheme, told_only)``: sets of (mentee id, mentor id) from every owner
  (relationships: ended by a step-away, a no-fault or safeguarding close, or a wish never to be
  matched again; safeguarding: blocks and suspensions). With ``told_only`` only the pairs whose
  reason the mentee was told (a safeguarding block never is, #23).
- ``busy_mentees(scheme)``: a queryset of mentee ids in an open one-to-one relationship.
- ``choices_closed_reason(scheme)``: why mentees' choices cannot change now ("" while they can),
  and ``proposal_waiting(mentee)``: whether a proposal waits for her reply (matching).
"""

from __future__ import annotations

from equimentor.pairing.parts import Part

NEVER_AGAIN = Part("exclusions.never_again", "relationships, safeguarding", many=True)
BUSY_MENTEES = Part("exclusions.busy_mentees", "relationships")
CHOICES_CLOSED_REASON = Part("exclusions.choices_closed_reason", "matching")
PROPOSAL_WAITING = Part("exclusions.proposal_waiting", "matching")


def never_again(scheme, *, told_only: bool = False) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for found in NEVER_AGAIN.each(scheme, told_only=told_only):
        pairs |= found
    return pairs


def busy_mentees(scheme):
    return BUSY_MENTEES(scheme)


def choices_closed_reason(scheme) -> str:
    return CHOICES_CLOSED_REASON(scheme)


def proposal_waiting(mentee) -> bool:
    return PROPOSAL_WAITING(mentee)
