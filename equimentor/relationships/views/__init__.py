"""Mentoring relationship pages: each participant's home and relationship, and the coordinator's
list. Views validate input and call services; access is decided in ``relationships.access``.

Split by feature; ``urls.py`` keeps using ``views.NAME``:

- ``participant``: mentoring home, one relationship and its decisions, check-ins, concern and
  milestones;
- ``agreement``: the agreement pages;
- ``meetings``: meeting pages and calendar invitations;
- ``goals``: goals and private notes;
- ``coordinator``: the coordinator's pages;
- ``common``: helpers they share.
"""

from equimentor.relationships.views.agreement import agreement, agreement_confirm, agreement_print
from equimentor.relationships.views.common import next_steps
from equimentor.relationships.views.coordinator import (
    CSV_COLUMNS,
    coordinator_rows,
    manage_act,
    manage_detail,
    manage_export,
    manage_list,
    manage_new,
    manage_resolve_flag,
    manage_settings,
)
from equimentor.relationships.views.goals import goal_update, goals, note_delete, note_edit, notes
from equimentor.relationships.views.meetings import (
    meeting,
    meeting_cancel,
    meeting_ics,
    meeting_move,
    meetings,
)
from equimentor.relationships.views.participant import (
    check_in,
    close,
    concern,
    detail,
    end,
    home,
    milestone_delete,
    milestones,
    pause,
    resume,
    safeguarding_contacts,
    sponsorship,
    trial,
)

__all__ = [
    # helpers
    "next_steps",
    "coordinator_rows",
    "safeguarding_contacts",
    "CSV_COLUMNS",
    # participant pages
    "home",
    "detail",
    "trial",
    "end",
    "pause",
    "resume",
    "close",
    "sponsorship",
    "check_in",
    "concern",
    "milestones",
    "milestone_delete",
    # agreement
    "agreement",
    "agreement_confirm",
    "agreement_print",
    # meetings
    "meetings",
    "meeting",
    "meeting_move",
    "meeting_cancel",
    "meeting_ics",
    # goals and private notes
    "goals",
    "goal_update",
    "notes",
    "note_edit",
    "note_delete",
    # coordinator pages
    "manage_list",
    "manage_export",
    "manage_new",
    "manage_detail",
    "manage_act",
    "manage_resolve_flag",
    "manage_settings",
]
