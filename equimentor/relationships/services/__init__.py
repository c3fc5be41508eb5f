"""Every state change of mentoring relationships, each in a transaction with one audit record.

States: accepted → trial (first meeting held) → active (both continue and the agreement is
confirmed by everyone) → paused ⇄ (end date moves by the pause) → ending due → extended or closed.
An invalid change raises :class:`RelationshipError` with a message for the person.

Split by feature; callers keep using ``from equimentor.relationships import services`` and
``services.NAME``:

- ``base``: the error, the allowed transitions, dates and row locking;
- ``lifecycle``: creation, the trial, pause and resume, the end date, extending and closing;
- ``agreements``: agreement versions and confirmations;
- ``meetings``: arranging, moving, cancelling and logging meetings; private notes;
- ``goals``: goals and their reviews;
- ``outcomes``: milestones and sponsorship;
- ``checkins``: check-ins and flags;
- ``settings``: per-scheme relationship settings.
"""

from equimentor.relationships.services.agreements import (
    AGREEMENT_FIELDS,
    agreement_confirmed_by_all,
    confirm_agreement,
    default_agreement,
    latest_agreement,
    save_agreement,
)
from equimentor.relationships.services.base import (
    TRANSITIONS,
    Reason,
    RelationshipError,
    Side,
    State,
    add_months,
    move_to,
    today,
)
from equimentor.relationships.services.checkins import answer_check_in, raise_flag, resolve_flag
from equimentor.relationships.services.goals import GoalCheck, add_goal, update_goal
from equimentor.relationships.services.lifecycle import (
    NewMember,
    close,
    create_relationship,
    end_choice,
    leave_scheme,
    mark_ending_due,
    pause,
    removable_members,
    remove_member,
    resume,
    start_from_proposal,
    trial_decision,
)
from equimentor.relationships.services.meetings import (
    MeetingPlan,
    add_private_note,
    cancel_meeting,
    delete_private_note,
    edit_private_note,
    log_meeting,
    reschedule_meeting,
    schedule_meeting,
)
from equimentor.relationships.services.outcomes import (
    add_milestone,
    delete_milestone,
    record_sponsorship,
)
from equimentor.relationships.services.settings import save_settings

__all__ = [
    # base
    "TRANSITIONS",
    "Reason",
    "RelationshipError",
    "Side",
    "State",
    "move_to",  # used by the lifecycle tests to walk every transition
    "add_months",
    "today",
    # lifecycle
    "NewMember",
    "close",
    "create_relationship",
    "end_choice",
    "leave_scheme",
    "mark_ending_due",
    "pause",
    "remove_member",
    "removable_members",
    "resume",
    "start_from_proposal",
    "trial_decision",
    # agreements
    "AGREEMENT_FIELDS",
    "agreement_confirmed_by_all",
    "confirm_agreement",
    "default_agreement",
    "latest_agreement",
    "save_agreement",
    # meetings and private notes
    "MeetingPlan",
    "add_private_note",
    "cancel_meeting",
    "delete_private_note",
    "edit_private_note",
    "log_meeting",
    "reschedule_meeting",
    "schedule_meeting",
    # goals
    "GoalCheck",
    "add_goal",
    "update_goal",
    # outcomes
    "add_milestone",
    "delete_milestone",
    "record_sponsorship",
    # check-ins and flags
    "answer_check_in",
    "raise_flag",
    "resolve_flag",
    # settings
    "save_settings",
]
