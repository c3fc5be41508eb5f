"""Every state change of enrolment: expressions of interest, registration, review, withdrawal,
rejoining after a withdrawal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core import audit
from equimentor.enrolment import emails, hooks
from equimentor.enrolment.consents import give_consent, withdraw_consent
from equimentor.enrolment.models import (
    Consent,
    ExpressionOfInterest,
    ImportInvite,
    Participant,
    RegistrationInvite,
)
from equimentor.identity import services as identity
from equimentor.schemes.models import Institution, Scheme


class EnrolmentError(Exception):
    """A request that cannot be carried out, with a message fit to show the person."""


class LinkProblem(EnrolmentError):
    """A registration or rejoin link that cannot be used; ``scheme`` is its scheme when known,
    so the page can say where to ask for a new one."""

    def __init__(self, message: str, scheme: Scheme | None = None):
        super().__init__(message)
        self.scheme = scheme


class NotYourLink(EnrolmentError):
    """A rejoin link opened by someone signed in as another person."""

    MESSAGE = (
        "This link was sent to someone else. If it was sent to you, sign out, then sign in with "
        "the email address it was sent to."
    )


class Sent(Enum):
    """Which email :func:`express_interest` sent. Pages must not tell these apart, RECENTLY_SENT
    included: that one says the address was given here minutes ago, by its owner or not (#23)."""

    WELCOME = "welcome"
    ALREADY_REGISTERED = "already_registered"
    REJOIN_LINK = "rejoin_link"
    RECENTLY_SENT = "recently_sent"


# -- expression of interest ----------------------------------------------------------------------


@transaction.atomic
def express_interest(
    scheme: Scheme,
    *,
    name: str,
    email: str,
    institution: Institution | None = None,
    institution_other: str = "",
    declared_eligible: bool,
) -> tuple[ExpressionOfInterest, Sent]:
    """Record interest (once per address) and send the welcome pack with a registration link.

    Repeating it counts on the same row and keeps the name and institution first given: anyone
    can type anyone's address, so a later form never changes what is stored (the person gives
    both again when registering). The welcome is sent again at most once every
    ``WELCOME_RESEND_MINUTES``. Someone already registered is told so instead, and someone
    who withdrew from the scheme gets a link to rejoin it. What the caller shows must not depend
    on which (the form would tell anyone whether an address belongs to a participant).
    """
    if not scheme.is_open:
        raise EnrolmentError("This scheme is not taking registrations at the moment.")
    if not declared_eligible:
        raise EnrolmentError("Please confirm that you meet the eligibility statements.")
    email = email.strip().lower()
    try:
        with transaction.atomic():
            expression, created = ExpressionOfInterest.objects.get_or_create(
                scheme=scheme,
                email=email,
                defaults={
                    "name": name,
                    "institution": institution,
                    "institution_other": institution_other,
                    "declared_eligible": True,
                },
            )
    except IntegrityError:  # a simultaneous duplicate: use the row that won
        expression, created = ExpressionOfInterest.objects.get(scheme=scheme, email=email), False
    expression = ExpressionOfInterest.objects.select_for_update().get(pk=expression.pk)
    if not created:
        expression.times_expressed += 1
        expression.save(update_fields=["times_expressed"])
    audit.record("enrolment.interest.expressed", expression, scheme=scheme, repeat=not created)

    participant = (
        Participant.objects.filter(scheme=scheme, user__email__iexact=email)
        .select_related("user")
        .first()
    )
    now = timezone.now()
    window = timedelta(minutes=settings.WELCOME_RESEND_MINUTES)
    if expression.last_sent_at and now - expression.last_sent_at < window:
        return expression, Sent.RECENTLY_SENT
    expression.last_sent_at = now
    expression.save(update_fields=["last_sent_at"])
    if participant is not None and participant.status == Participant.Status.WITHDRAWN:
        invite, raw = RegistrationInvite.issue(expression, participant=participant)
        audit.record(
            "enrolment.rejoin_link_sent",
            invite,
            scheme=scheme,
            expression_id=expression.pk,
            participant_id=participant.pk,
        )
        emails.rejoin_link(expression, participant, raw, invite.expires_at)
        return expression, Sent.REJOIN_LINK
    if participant is not None:
        emails.already_registered(expression)
        return expression, Sent.ALREADY_REGISTERED
    invite, raw = RegistrationInvite.issue(expression)
    audit.record("enrolment.invite.sent", invite, scheme=scheme, expression_id=expression.pk)
    emails.welcome(expression, raw, invite.expires_at)
    return expression, Sent.WELCOME


_LINK_TEXT = {
    RegistrationInvite.Purpose.REGISTER: {
        "invalid": "This registration link is not valid. Ask for a new one from the scheme page.",
        "used": "This registration link has already been used. Sign in to see your registration.",
        "expired": "This registration link has expired. Ask for a new one from the scheme page.",
    },
    RegistrationInvite.Purpose.REJOIN: {
        "invalid": "This link to rejoin is not valid. Ask for a new one from the scheme page: "
        "express your interest again and we will email you a new link.",
        "used": "This link to rejoin has already been used. Sign in to see your participation, "
        "or ask for a new link from the scheme page.",
        "expired": "This link to rejoin has expired. Ask for a new one from the scheme page: "
        "express your interest again and we will email you a new link.",
    },
}


def _usable_link(raw: str, purpose: str) -> RegistrationInvite:
    """The usable link of ``purpose`` for ``raw``, or :class:`LinkProblem` saying why not."""
    text = _LINK_TEXT[purpose]
    invite = RegistrationInvite.find(raw)
    if invite is None or invite.purpose != purpose:
        raise LinkProblem(text["invalid"])
    scheme = invite.expression.scheme
    if invite.used_at is not None:
        raise LinkProblem(text["used"], scheme)
    if invite.is_expired:
        raise LinkProblem(text["expired"], scheme)
    if not scheme.is_open:
        raise LinkProblem("This scheme is not taking registrations at the moment.", scheme)
    return invite


def _locked_unused(invite: RegistrationInvite) -> RegistrationInvite:
    """``invite`` locked for this transaction; refused if a request that committed while this
    one waited has used it."""
    locked = (
        RegistrationInvite.objects.select_for_update()
        .select_related("expression__scheme")
        .get(pk=invite.pk)
    )
    if locked.used_at is not None:
        raise LinkProblem(_LINK_TEXT[locked.purpose]["used"], locked.expression.scheme)
    return locked


def check_invite(raw: str) -> RegistrationInvite:
    """The usable registration invite for ``raw``, or :class:`LinkProblem` saying why not."""
    return _usable_link(raw, RegistrationInvite.Purpose.REGISTER)


def check_rejoin_invite(raw: str) -> RegistrationInvite:
    """The usable link to rejoin for ``raw``, or :class:`LinkProblem` saying why not."""
    return _usable_link(raw, RegistrationInvite.Purpose.REJOIN)


# -- registration --------------------------------------------------------------------------------


@dataclass
class Registration:
    """What the registration form collected, already validated."""

    full_name: str
    role: str  # "mentor" | "mentee" | "both"
    profile: dict
    consents: dict[str, bool]
    documents_shown: dict[str, int]  # kind -> document id the person was shown
    identity_answers: dict[str, identity.Answer]
    identity_uses: dict[str, bool]


def _roles(role: str) -> tuple[bool, bool]:
    return role in {"mentor", "both"}, role in {"mentee", "both"}


def _documents_consented(
    scheme: Scheme, consents: dict[str, bool], documents_shown: dict[str, int]
) -> dict:
    """The scheme's current documents, once the form's consents are known to be to them."""
    documents = scheme.current_documents()
    shown_stale = [
        kind
        for kind, doc in documents.items()
        if kind in documents_shown and documents_shown[kind] != doc.pk
    ]
    if shown_stale:
        raise EnrolmentError(
            "A scheme document was updated while you were filling in the form. "
            "Please read the updated version and confirm again."
        )
    missing = [p for p in Consent.REQUIRED if not consents.get(p)]
    if missing:
        raise EnrolmentError("Please give every consent marked as required.")
    return documents


@transaction.atomic
def register(raw_token: str, data: Registration) -> Participant:
    """Turn a registration link into a participation, with consent per document version."""
    invite = _locked_unused(check_invite(raw_token))
    expression = invite.expression
    scheme = expression.scheme
    documents = _documents_consented(scheme, data.consents, data.documents_shown)
    if data.role not in dict(scheme.role_choices):
        raise EnrolmentError("Please choose one of the roles this scheme offers.")
    try:
        identity.check_answers(data.identity_answers)
    except identity.IdentityError as exc:
        raise EnrolmentError(str(exc)) from exc

    user = User.objects.filter(email__iexact=expression.email).first()
    if user is None:
        user = User.objects.create_user(expression.email, full_name=data.full_name)
    elif Participant.objects.filter(user=user, scheme=scheme).exists():
        raise EnrolmentError(
            "You are already registered with this scheme. Sign in to see your registration."
        )
    is_mentor, is_mentee = _roles(data.role)
    participant = Participant.objects.create(
        user=user,
        scheme=scheme,
        expression=expression,
        is_mentor=is_mentor,
        is_mentee=is_mentee,
        **{k: v for k, v in data.profile.items() if k != "mentor_capacity"},
        mentor_capacity=data.profile.get("mentor_capacity") if is_mentor else None,
    )
    invite.used_at = timezone.now()
    invite.save(update_fields=["used_at"])
    audit.record("enrolment.registered", participant, actor=user, scheme=scheme, role=data.role)
    for purpose in (*Consent.REQUIRED, Consent.Purpose.EVALUATION):
        if data.consents.get(purpose):
            kind = Consent.DOCUMENT_FOR_PURPOSE[purpose]
            give_consent(participant, purpose, documents[kind], actor=user)
    identity.save_identity(participant, data.identity_answers, data.identity_uses, actor=user)
    emails.registration_received(participant)
    return participant


# -- accepting an import -------------------------------------------------------------------------

_IMPORT_TEXT = {
    "invalid": "This link is not valid. Please use the link in your email, or write to the "
    "scheme's coordinator.",
    "used": "You have already accepted. Sign in to see your participation.",
    "expired": "This link has expired. Please write to the scheme's coordinator for a new one.",
}


def check_import_invite(raw: str) -> ImportInvite:
    """The usable invitation of someone imported, or :class:`LinkProblem` saying why not."""
    invite = ImportInvite.find(raw)
    if invite is None:
        raise LinkProblem(_IMPORT_TEXT["invalid"])
    scheme = invite.participant.scheme
    if invite.used_at is not None or invite.participant.status != Participant.Status.INVITED:
        raise LinkProblem(_IMPORT_TEXT["used"], scheme)
    if invite.is_expired:
        raise LinkProblem(_IMPORT_TEXT["expired"], scheme)
    return invite


@transaction.atomic
def accept_import(raw_token: str, data: Registration) -> Participant:
    """Someone imported reviews the profile, gives the consents (and any identity answers) and
    takes part: the coordinator imported them as the scheme's own, so they are approved."""
    found = check_import_invite(raw_token)
    invite = ImportInvite.objects.select_for_update().get(pk=found.pk)
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("scheme", "user")
        .get(pk=invite.participant_id)
    )
    if invite.used_at is not None or participant.status != Participant.Status.INVITED:
        raise LinkProblem(_IMPORT_TEXT["used"], participant.scheme)
    return _take_up_import(participant, data)


class NotInvited(EnrolmentError):
    """Someone who is not (or no longer) an imported participant waiting to accept."""


@transaction.atomic
def accept_import_signed_in(participant: Participant, data: Registration) -> Participant:
    """The same as :func:`accept_import` for the imported person herself, known by her
    sign-in or her API token rather than the emailed link (which is then used up too)."""
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("scheme", "user")
        .get(pk=participant.pk)
    )
    if participant.status != Participant.Status.INVITED:
        raise NotInvited(
            f"This registration is {participant.get_status_display().lower()}; there is no "
            "imported place waiting to be accepted."
        )
    return _take_up_import(participant, data)


def _take_up_import(participant: Participant, data: Registration) -> Participant:
    """Accept an imported place (``participant`` locked, still invited): the rules of both ways
    in, the emailed link and the signed-in person."""
    scheme = participant.scheme
    documents = _documents_consented(scheme, data.consents, data.documents_shown)
    if data.role not in dict(scheme.role_choices):
        raise EnrolmentError("Please choose one of the roles this scheme offers.")
    if data.profile.get("institution") is None:
        raise EnrolmentError(
            "Please choose your institution from the list. If it is not there, write to the "
            "scheme's coordinator, who can add it."
        )
    try:
        identity.check_answers(data.identity_answers)
    except identity.IdentityError as exc:
        raise EnrolmentError(str(exc)) from exc
    is_mentor, is_mentee = _roles(data.role)
    for name, value in data.profile.items():
        setattr(participant, name, value)
    participant.is_mentor, participant.is_mentee = is_mentor, is_mentee
    if not is_mentor:
        participant.mentor_capacity = None
    participant.status = Participant.Status.APPROVED
    participant.approved_at = participant.registered_at = timezone.now()
    participant.save()
    user = participant.user
    if data.full_name and data.full_name != user.full_name:
        user.full_name = data.full_name
        user.save(update_fields=["full_name"])
    ImportInvite.objects.filter(participant=participant, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    audit.record(
        "enrolment.import.accepted", participant, actor=user, scheme=scheme, role=data.role
    )
    for purpose in (*Consent.REQUIRED, Consent.Purpose.EVALUATION):
        if data.consents.get(purpose):
            kind = Consent.DOCUMENT_FOR_PURPOSE[purpose]
            give_consent(participant, purpose, documents[kind], actor=user)
    identity.save_identity(participant, data.identity_answers, data.identity_uses, actor=user)
    hooks.listable(participant, actor=user)
    emails.approved(participant)
    return participant


# -- rejoining after a withdrawal ----------------------------------------------------------------


@dataclass
class Rejoining:
    """What the rejoin form collected, already validated."""

    role: str  # "mentor" | "mentee" | "both"
    profile: dict
    consents: dict[str, bool]
    documents_shown: dict[str, int]  # kind -> document id the person was shown


@transaction.atomic
def rejoin(raw_token: str, data: Rejoining, *, actor) -> Participant:
    """Reopen a withdrawn participation from its rejoin link, for the person it belongs to.

    The participation goes back to the status a new registration gets (the coordinator reviews
    it again), with the profile as confirmed now and every consent given again against the
    current documents: the optional evaluation consent only if ticked again. Identity answers
    and their consents are left as the withdrawal left them (erased answers stay erased).
    """
    invite = _locked_unused(check_rejoin_invite(raw_token))
    participant = (
        Participant.objects.select_for_update()
        .select_related("scheme", "user")
        .get(pk=invite.participant_id)
    )
    if participant.user_id != getattr(actor, "pk", None):
        raise NotYourLink(NotYourLink.MESSAGE)
    if participant.status != Participant.Status.WITHDRAWN:
        raise EnrolmentError(
            "You are taking part in this scheme already. Sign in to see your registration."
        )
    scheme = participant.scheme
    documents = _documents_consented(scheme, data.consents, data.documents_shown)
    # Validates the role and refuses dropping the mentor role while mentoring (nothing is kept).
    update_profile(participant, role=data.role, profile=data.profile, actor=actor)
    participant.refresh_from_db()
    now = timezone.now()
    participant.status = Participant.Status.REGISTERED
    participant.status_message = ""
    participant.registered_at = now
    participant.approved_at = None
    participant.withdrawn_at = None
    participant.save(
        update_fields=["status", "status_message", "registered_at", "approved_at", "withdrawn_at"]
    )
    audit.record(
        "enrolment.rejoined",
        participant,
        actor=actor,
        scheme=scheme,
        old=Participant.Status.WITHDRAWN,
        new=Participant.Status.REGISTERED,
        role=data.role,
        invite_id=invite.pk,
    )
    for purpose in (*Consent.REQUIRED, Consent.Purpose.EVALUATION):
        if data.consents.get(purpose):
            kind = Consent.DOCUMENT_FOR_PURPOSE[purpose]
            give_consent(participant, purpose, documents[kind], actor=actor)
        else:  # only the optional evaluation consent can be unticked: one in force ends now
            withdraw_consent(participant, purpose, actor=actor)
    # This link and any other outstanding link to rejoin this participation are spent.
    RegistrationInvite.objects.filter(participant=participant, used_at__isnull=True).update(
        used_at=now
    )
    emails.rejoined(participant)
    return participant


# -- changes by the participant ------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileSaved:
    """What :func:`update_profile` did that the person should be told about."""

    capacity: int | None = None
    current_mentees: int = 0
    capacity_lowered: bool = False

    @property
    def over_capacity(self) -> bool:
        """She lowered her capacity below the mentees she has now (allowed: she keeps them)."""
        return (
            self.capacity_lowered
            and self.capacity is not None
            and self.current_mentees > self.capacity
        )

    @property
    def notice(self) -> str:
        """A sentence to add to the confirmation, or ""."""
        if not self.over_capacity:
            return ""
        n, c = self.current_mentees, self.capacity
        until = "you no longer mentor anyone" if c == 1 else f"you mentor fewer than {c}"
        return (
            f"You keep your current {n} mentee{'' if n == 1 else 's'}. You now offer "
            f"{c} place{'' if c == 1 else 's'}, so you will not be proposed new mentees "
            f"until you have a free place (when {until})."
        )


def _refuse_dropping_mentor_role(participant: Participant) -> None:
    """A mentor still mentoring in open relationships cannot stop being a mentor."""
    count = hooks.ask("open_relationships_as_mentor", participant)
    if not count:
        return
    scheme = participant.scheme
    coordinator = (
        f"the scheme coordinator ({scheme.contact_email})"
        if scheme.contact_email
        else "the scheme coordinator"
    )
    them = "it" if count == 1 else "them"
    raise EnrolmentError(
        f"You are the mentor in {count} open mentoring "
        f"relationship{'' if count == 1 else 's'}, so you cannot stop being a mentor yet. "
        f"Close {them} or hand {them} over to another mentor first; {coordinator} can help "
        f"with a handover. Nothing has been changed."
    )


@transaction.atomic
def update_profile(participant: Participant, *, role: str, profile: dict, actor) -> ProfileSaved:
    """Save profile changes; a change of role is recorded as its own event.

    Someone who mentors in open relationships cannot drop the mentor role. Lowering capacity
    below the mentees she has now is allowed (she keeps them); the result says so.
    """
    participant = (
        Participant.objects.select_for_update().select_related("scheme").get(pk=participant.pk)
    )
    if role not in dict(participant.scheme.role_choices):
        raise EnrolmentError("Please choose one of the roles this scheme offers.")
    is_mentor, is_mentee = _roles(role)
    if participant.is_mentor and not is_mentor:
        _refuse_dropping_mentor_role(participant)
    if profile.get("institution", participant.institution) is None and (
        participant.status == Participant.Status.APPROVED
    ):
        raise EnrolmentError(
            "Please choose your institution from the list. If it is not there, write to the "
            "scheme's coordinator, who can add it. Nothing has been changed."
        )
    old_role = participant.role_code
    old_capacity = participant.mentor_capacity
    fields = []
    for name, value in profile.items():
        if name == "mentor_capacity":
            value = value if is_mentor else None
        if getattr(participant, name) != value:
            setattr(participant, name, value)
            fields.append(name)
    if (is_mentor, is_mentee) != (participant.is_mentor, participant.is_mentee):
        participant.is_mentor, participant.is_mentee = is_mentor, is_mentee
        fields += ["is_mentor", "is_mentee"]
        if not is_mentor and participant.mentor_capacity is not None:
            participant.mentor_capacity = None
            fields.append("mentor_capacity")
        audit.record(
            "enrolment.roles.changed",
            participant,
            actor=actor,
            scheme=participant.scheme,
            old=old_role,
            new=role,
        )
        if is_mentor:
            hooks.listable(participant, actor=actor)
    if fields:
        participant.save(update_fields=sorted(set(fields)))
        audit.record(
            "enrolment.profile.updated",
            participant,
            actor=actor,
            scheme=participant.scheme,
            fields=sorted(set(fields) - {"is_mentor", "is_mentee"}),
        )
    if not is_mentor:
        participant.identity_answers.filter(show_on_profile=True).update(show_on_profile=False)
        return ProfileSaved()
    capacity = participant.mentor_capacity
    return ProfileSaved(
        capacity=capacity,
        current_mentees=hooks.ask("mentees_held", participant.pk),
        capacity_lowered=(
            capacity is not None and (old_capacity is None or capacity < old_capacity)
        ),
    )


@transaction.atomic
def withdraw(
    participant: Participant, *, actor, erase_identity: bool, left_institution: bool = False
) -> None:
    """Leave the scheme. Optionally erase identity answers at the same time. With
    ``left_institution`` the person did not ask: their institution's directory says they have
    left (SCIM provisioning), and the email says so instead of confirming a choice."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.status == Participant.Status.WITHDRAWN:
        raise EnrolmentError("You have already withdrawn from this scheme.")
    old = participant.status
    participant.status = Participant.Status.WITHDRAWN
    participant.withdrawn_at = timezone.now()
    participant.save(update_fields=["status", "withdrawn_at"])
    audit.record(
        "enrolment.withdrawn", participant, actor=actor, scheme=participant.scheme, old=old
    )
    if erase_identity:
        identity.withdraw_identity_consent(participant, actor=actor)
    hooks.withdrawn(participant, actor=actor)  # e.g. training's sessions to come
    if left_institution:
        emails.ended_by_institution(participant)
    else:
        emails.withdrawn(participant)


# -- review by the coordinator -------------------------------------------------------------------

_REVIEWABLE = {Participant.Status.REGISTERED, Participant.Status.QUERIED}


def _review(participant: Participant, new_status: str, *, actor, message: str = "") -> Participant:
    participant = (
        Participant.objects.select_for_update()
        .select_related("scheme", "user")
        .get(pk=participant.pk)
    )
    if participant.status not in _REVIEWABLE and not (
        new_status == Participant.Status.APPROVED
        and participant.status == Participant.Status.DECLINED
    ):
        raise EnrolmentError(
            f"This registration is {participant.get_status_display().lower()}; it cannot be changed that way."
        )
    old = participant.status
    participant.status = new_status
    participant.status_message = message
    fields = ["status", "status_message"]
    if new_status == Participant.Status.APPROVED:
        participant.approved_at = timezone.now()
        fields.append("approved_at")
    participant.save(update_fields=fields)
    audit.record(
        f"enrolment.{new_status}",
        participant,
        actor=actor,
        scheme=participant.scheme,
        old=old,
        new=new_status,
    )
    return participant


@transaction.atomic
def map_institution(participant: Participant, institution: Institution, *, actor) -> Participant:
    """Put a participant whose institution was not listed at ``institution`` (and the expression
    of interest they came from, so reports count both there from now on)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.institution_id is not None:
        raise EnrolmentError("This registration's institution is already on the list.")
    participant.institution = institution
    participant.save(update_fields=["institution"])
    if participant.expression_id:
        ExpressionOfInterest.objects.filter(
            pk=participant.expression_id, institution__isnull=True
        ).update(institution=institution)
    audit.record(
        "enrolment.institution.mapped",
        participant,
        actor=actor,
        scheme=participant.scheme,
        institution_id=institution.pk,
    )
    return participant


@transaction.atomic
def approve(
    participant: Participant, *, actor, institution: Institution | None = None
) -> Participant:
    """Approve a registration. One whose institution was not listed is approved only with the
    ``institution`` the coordinator maps it to (an existing one, or one just added)."""
    if institution is not None:
        participant = map_institution(participant, institution, actor=actor)
    elif Participant.objects.filter(pk=participant.pk, institution__isnull=True).exists():
        raise EnrolmentError(
            "This person's institution is not on the list: choose it, or add it, to approve."
        )
    participant = _review(participant, Participant.Status.APPROVED, actor=actor)
    hooks.listable(participant, actor=actor)
    emails.approved(participant)
    return participant


@transaction.atomic
def query_eligibility(participant: Participant, *, actor, message: str) -> Participant:
    if not message.strip():
        raise EnrolmentError("Please write the question you want to ask.")
    participant = _review(
        participant, Participant.Status.QUERIED, actor=actor, message=message.strip()
    )
    emails.eligibility_queried(participant)
    return participant


@transaction.atomic
def decline(participant: Participant, *, actor, message: str) -> Participant:
    if not message.strip():
        raise EnrolmentError("Please explain the decision; the person will receive this message.")
    participant = _review(
        participant, Participant.Status.DECLINED, actor=actor, message=message.strip()
    )
    emails.declined(participant)
    return participant
