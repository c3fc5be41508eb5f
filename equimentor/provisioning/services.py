"""What an institution's directory may do to a scheme's participants through SCIM, each through the
services the pages use (no rule of enrolment or relationships is copied here):

- :func:`provision` creates a participant as *invited*, exactly as one person of the coordinator's
  bulk import (``enrolment.imports.plan`` checks them, ``apply`` creates them) and emails them the
  import's single-use invitation (``send_invitations``, for this person only: once, after commit);
- :func:`deactivate` is a leaver: each open relationship they are still in is closed without fault
  (``relationships.services.close``, reason ``no_fault``: the relationship, its memberships,
  meetings and history stay), then they are withdrawn from the scheme
  (``enrolment.services.withdraw``: their sessions to come end, identity answers are kept).

Every change is audited by those services, with the token's id (the request acts through it), and
once more here (``provisioning.created`` / ``provisioning.deactivated``: ids and counts only).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.db import transaction

from equimentor.core import audit
from equimentor.enrolment import imports
from equimentor.enrolment import services as enrolment
from equimentor.enrolment.models import Participant
from equimentor.relationships import queries as relationship_queries
from equimentor.relationships import services as relationships
from equimentor.schemes.models import Scheme


class Refused(Exception):
    """A request the scheme's rules refuse, with the reason for the directory's administrator.
    ``kind`` is SCIM's ``scimType`` (``invalidValue``, ``uniqueness``, ``mutability``)."""

    def __init__(self, detail: str, kind: str = "invalidValue", status: int = 400):
        super().__init__(detail)
        self.detail, self.kind, self.status = detail, kind, status


@dataclass
class Person:
    """One person as the directory describes them, in the bulk import's fields (text, as a
    spreadsheet's cells are: the import reads and checks them)."""

    email: str
    full_name: str
    role: str
    institution: str
    career_stage: str = ""
    pathway: str = ""
    department: str = ""
    research_interests: str = ""
    mentor_capacity: str = ""


COLUMNS = [f.name for f in fields(Person)]


def _table(person: Person) -> tuple[list[list[str]], dict[str, str]]:
    return [[getattr(person, c) for c in COLUMNS]], {str(i): c for i, c in enumerate(COLUMNS)}


@transaction.atomic
def provision(scheme: Scheme, person: Person, *, actor) -> Participant:
    """Create ``person`` in ``scheme`` as an invited participant and email their invitation.
    Refused (nothing created) if the import would refuse them, or they already take part."""
    rows, mapping = _table(person)
    checked = imports.plan(scheme, rows, mapping)
    if checked.errors:
        raise Refused(checked.errors[0][1])
    taken = Refused(
        "This person already takes part in the scheme (a participant with this userName "
        'exists): look them up with filter=userName eq "..." instead of creating them.',
        kind="uniqueness",
        status=409,
    )
    if checked.existing:
        raise taken
    result = imports.apply(scheme, rows, mapping, actor=actor, invite=False)
    if not result.created:  # someone added them while this request was checking
        raise taken
    participant = Participant.objects.select_related("user", "scheme", "institution").get(
        scheme=scheme, user__email__iexact=checked.new[0].email
    )
    imports.send_invitations(scheme, actor=actor, only=[participant.pk])
    audit.record("provisioning.created", participant, actor=actor, scheme=scheme)
    return participant


@transaction.atomic
def deactivate(participant: Participant, *, actor) -> bool:
    """A leaver: close their open relationships without fault, then withdraw them. False (and
    nothing done) if they are no longer active in the scheme (withdrawn or declined)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not participant.is_active:
        return False
    closed = 0
    for rel in relationship_queries.open_relationships_of(participant):
        relationships.close(rel, reason=relationships.Reason.NO_FAULT, actor=actor)
        closed += 1
    enrolment.withdraw(participant, actor=actor, erase_identity=False, left_institution=True)
    audit.record(
        "provisioning.deactivated",
        participant,
        actor=actor,
        scheme=participant.scheme,
        relationships_closed=closed,
    )
    return True


def refuse_reactivation(participant: Participant) -> None:
    """``active: true`` for someone who left: SCIM cannot bring them back (only they can, by
    rejoining with their consent); for anyone else it changes nothing."""
    if participant.status == Participant.Status.WITHDRAWN:
        raise Refused(
            "This participant left the scheme. Only they can rejoin it, with their consent: "
            "they express interest again on the scheme's page and are emailed a link to rejoin. "
            "Nothing was changed.",
            kind="mutability",
        )
    if participant.status == Participant.Status.DECLINED:
        raise Refused(
            "The scheme's coordinator found this registration not eligible; it cannot be made "
            "active through SCIM. Nothing was changed.",
            kind="mutability",
        )
