"""What an API token may reach: the scopes, and the one table saying which scope each endpoint
needs and whose records it serves.

A token is checked against this table on every request (``api.auth``); an API view missing from
it refuses every token (``tests/test_api_tokens.py`` fails on one). Reading (GET, HEAD, OPTIONS)
needs ``AREA:read``, anything else ``AREA:write``. Scopes only narrow: the endpoint's own
permission (``scheme_staff``, the access helpers) still decides as it does for the token's owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rest_framework.permissions import SAFE_METHODS

# scope -> what it lets a token do (shown on the token pages and in the OpenAPI schema)
SCOPES: dict[str, str] = {
    "schemes:read": "Read the public list of schemes.",
    "registrations:read": "Read your own registrations (and an imported place waiting for you); "
    "a coordinator reads the scheme's.",
    "registrations:write": "Accept the place you were imported to, with your consents; "
    "coordinators: record an expression of interest, import participants as invited, approve, "
    "query or decline a registration.",
    "directory:read": "Read the mentor directory and your ranked choices.",
    "directory:write": "Replace your ranked choices.",
    "matching:read": "Read your proposals; a coordinator reads matching rounds, their pairs and "
    "the tasks started on them.",
    "matching:write": "Accept or decline your proposals; a coordinator opens, runs, adjusts and "
    "publishes matching rounds.",
    "relationships:read": "Read your relationships, meetings, goals and check-ins; a coordinator "
    "reads the scheme's relationships.",
    "relationships:write": "Arrange and log meetings, set goals, answer check-ins; decide after "
    "the trial, save and confirm the agreement, pause, resume, extend or close your "
    "relationships; a coordinator pauses, resumes or closes the scheme's.",
    "reports:read": "Read the scheme's reports, suppressed as on the pages.",
    "staff:read": "Coordinators and safeguarding leads: read who holds which role in the scheme.",
    "staff:write": "Coordinators and safeguarding leads: invite to, and revoke, the roles you "
    "may grant; withdraw invitations.",
    "documents:read": "Coordinators: read every version of the scheme's documents.",
    "documents:write": "Coordinators: save the draft of a document's next version, publish it.",
    "safeguarding:read": "Safeguarding leads: the number of cases past a deadline (no details).",
    "evaluation:read": "Read the scheme's questionnaires and export their results, withheld as "
    "on the pages.",
    "evaluation:write": "Hold, resume and send now the scheme's questionnaires.",
    "sessions:read": "Read the training sessions open to you; a coordinator reads the scheme's.",
    "sessions:write": "Register for sessions and cancel; a coordinator schedules them.",
    "webhooks:read": "Coordinators: read the scheme's webhook endpoints and their delivery logs.",
    "webhooks:write": "Coordinators: register and remove the scheme's webhook endpoints.",
    "provisioning:read": "A scheme's service token only: read the scheme's participants through "
    "SCIM 2.0 (/scim/v2/), as an institution's directory does before it provisions.",
    "provisioning:write": "A scheme's service token only: create participants as invited and "
    "deactivate leavers through SCIM 2.0 (/scim/v2/).",
}

# The scopes a new token is offered ticked: every area's reading, except provisioning (it reads
# every participant's address, and only a directory's service token needs it) and safeguarding
# (least privilege: a lead who wants the overdue count in a dashboard asks for it by name).
DEFAULT_SCOPES = [
    s
    for s in SCOPES
    if s.endswith(":read") and not s.startswith(("provisioning:", "safeguarding:"))
]

PUBLIC, PERSONAL, SCHEME = "public", "personal", "scheme"


@dataclass(frozen=True)
class Endpoint:
    area: str
    serves: str  # PUBLIC (anyone's), PERSONAL (the caller's own), SCHEME (one scheme's: ``slug``)

    def scope(self, method: str) -> str:
        return f"{self.area}:{'read' if method in SAFE_METHODS else 'write'}"


def endpoints() -> dict[type, Endpoint]:
    """Every API view: the area whose scopes it needs and whose records it serves."""
    from equimentor.api import (
        directory,
        documents,
        enrolment,
        evaluation,
        lifecycle,
        matching,
        safeguarding,
        staff,
        training,
        views,
        webhook_endpoints,
    )
    from equimentor.api import relationships as rel
    from equimentor.reports.views import ReportAPI

    return {
        views.SchemeList: Endpoint("schemes", PUBLIC),
        views.SchemeDetail: Endpoint("schemes", PUBLIC),
        views.MyParticipations: Endpoint("registrations", PERSONAL),
        views.SchemeRegistrations: Endpoint("registrations", SCHEME),
        views.SchemeRegistration: Endpoint("registrations", SCHEME),
        enrolment.ExpressInterest: Endpoint("registrations", SCHEME),
        enrolment.ImportParticipants: Endpoint("registrations", SCHEME),
        enrolment.ApproveRegistration: Endpoint("registrations", SCHEME),
        enrolment.QueryRegistration: Endpoint("registrations", SCHEME),
        enrolment.DeclineRegistration: Endpoint("registrations", SCHEME),
        enrolment.MyInvitation: Endpoint("registrations", PERSONAL),
        enrolment.AcceptInvitation: Endpoint("registrations", PERSONAL),
        directory.DirectoryMentors: Endpoint("directory", SCHEME),
        directory.MyChoices: Endpoint("directory", PERSONAL),
        matching.MyProposals: Endpoint("matching", PERSONAL),
        matching.ReplyToProposal: Endpoint("matching", PERSONAL),
        matching.SchemeRounds: Endpoint("matching", SCHEME),
        matching.RoundPairs: Endpoint("matching", SCHEME),
        matching.RoundDetail: Endpoint("matching", SCHEME),
        matching.CloseChoices: Endpoint("matching", SCHEME),
        matching.DryRun: Endpoint("matching", SCHEME),
        matching.RoundAdjustments: Endpoint("matching", SCHEME),
        matching.Publish: Endpoint("matching", SCHEME),
        matching.SchemeTask: Endpoint("matching", SCHEME),
        rel.MyRelationships: Endpoint("relationships", PERSONAL),
        rel.RelationshipMeetings: Endpoint("relationships", PERSONAL),
        rel.LogMeeting: Endpoint("relationships", PERSONAL),
        rel.RelationshipGoals: Endpoint("relationships", PERSONAL),
        rel.UpdateGoal: Endpoint("relationships", PERSONAL),
        rel.MyCheckIns: Endpoint("relationships", PERSONAL),
        rel.AnswerCheckIn: Endpoint("relationships", PERSONAL),
        rel.SchemeRelationships: Endpoint("relationships", SCHEME),
        lifecycle.TrialDecision: Endpoint("relationships", PERSONAL),
        lifecycle.RelationshipAgreement: Endpoint("relationships", PERSONAL),
        lifecycle.ConfirmAgreement: Endpoint("relationships", PERSONAL),
        lifecycle.MemberPause: Endpoint("relationships", PERSONAL),
        lifecycle.MemberResume: Endpoint("relationships", PERSONAL),
        lifecycle.MemberExtend: Endpoint("relationships", PERSONAL),
        lifecycle.MemberClose: Endpoint("relationships", PERSONAL),
        lifecycle.CoordinatorPause: Endpoint("relationships", SCHEME),
        lifecycle.CoordinatorResume: Endpoint("relationships", SCHEME),
        lifecycle.CoordinatorClose: Endpoint("relationships", SCHEME),
        lifecycle.CoordinatorRemoveMember: Endpoint("relationships", SCHEME),
        ReportAPI: Endpoint("reports", SCHEME),
        staff.SchemeStaff: Endpoint("staff", SCHEME),
        staff.RevokeRole: Endpoint("staff", SCHEME),
        staff.InviteToRole: Endpoint("staff", SCHEME),
        staff.WithdrawInvitation: Endpoint("staff", SCHEME),
        documents.SchemeDocuments: Endpoint("documents", SCHEME),
        documents.PublishDocument: Endpoint("documents", SCHEME),
        safeguarding.OverdueCases: Endpoint("safeguarding", SCHEME),
        evaluation.SchemeQuestionnaires: Endpoint("evaluation", SCHEME),
        evaluation.QuestionnaireResults: Endpoint("evaluation", SCHEME),
        evaluation.HoldQuestionnaire: Endpoint("evaluation", SCHEME),
        evaluation.ResumeQuestionnaire: Endpoint("evaluation", SCHEME),
        evaluation.SendQuestionnaireNow: Endpoint("evaluation", SCHEME),
        training.SchemeSessions: Endpoint("sessions", SCHEME),
        training.SchemeSession: Endpoint("sessions", SCHEME),
        training.CancelSession: Endpoint("sessions", SCHEME),
        training.SessionRegistrations: Endpoint("sessions", SCHEME),
        training.SessionAttendance: Endpoint("sessions", SCHEME),
        training.MySessions: Endpoint("sessions", PERSONAL),
        training.MySessionRegistration: Endpoint("sessions", PERSONAL),
        webhook_endpoints.SchemeWebhooks: Endpoint("webhooks", SCHEME),
        webhook_endpoints.SchemeWebhook: Endpoint("webhooks", SCHEME),
        webhook_endpoints.WebhookSecret: Endpoint("webhooks", SCHEME),
        webhook_endpoints.WebhookDeliveries: Endpoint("webhooks", SCHEME),
    }


@cache
def _table() -> dict[type, Endpoint]:
    return endpoints()  # built on first use: the views import late


def endpoint_of(view_class: type) -> Endpoint | None:
    return _table().get(view_class)
