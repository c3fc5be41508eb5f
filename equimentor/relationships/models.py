"""Mentoring relationships: members, agreements, meetings, goals, check-ins, flags, scheduled sends.

A relationship is one-to-one, a group (one mentor, several mentees), a peer circle (people who are
both mentor and mentee) or a mentoring network (one mentee, several mentors in named roles).
Private notes are readable by their author only; nothing else in this app points at them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme


class RelationshipSettings(models.Model):
    """Per-scheme timings of reminders, check-ins and end-date prompts (defaults if absent)."""

    scheme = models.OneToOneField(
        Scheme, on_delete=models.CASCADE, related_name="relationship_settings"
    )
    no_meeting_weeks = models.PositiveSmallIntegerField(
        "Remind both people after this many weeks without a meeting",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
    )
    lapse_flag_weeks = models.PositiveSmallIntegerField(
        "Flag the relationship to the coordinator after this many weeks without a meeting",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
    )
    proposal_lapse_days = models.PositiveSmallIntegerField(
        "Flag a mentor who has not replied to a proposal after this many days",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    end_prompt_days = models.PositiveSmallIntegerField(
        "Ask both people to extend or close this many days before the end date",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    first_checkin_days = models.PositiveSmallIntegerField(
        "First private check-in after this many days", default=30
    )
    checkin_every_days = models.PositiveSmallIntegerField(
        "Then a private check-in every this many days", default=60
    )

    def __str__(self) -> str:
        return f"Relationship settings of {self.scheme}"

    @classmethod
    def for_scheme(cls, scheme: Scheme) -> RelationshipSettings:
        found = cls.objects.filter(scheme=scheme).first()
        return found or cls(scheme=scheme)


class Relationship(models.Model):
    class Kind(models.TextChoices):
        ONE_TO_ONE = "one_to_one", "One-to-one"
        GROUP = "group", "Group mentoring"
        PEER = "peer", "Peer circle"
        NETWORK = "network", "Mentoring network"

    class State(models.TextChoices):
        ACCEPTED = "accepted", "Accepted: first meeting to arrange"
        TRIAL = "trial", "Trial: first meeting held"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDING_DUE = "ending_due", "End date approaching"
        EXTENDED = "extended", "Extended"
        CLOSED = "closed", "Closed"

    class CloseReason(models.TextChoices):
        GOALS_MET = "goals_met", "Goals met"
        CIRCUMSTANCES = "circumstances_changed", "Circumstances changed"
        COMPLETED = "completed", "Reached its end date"
        LAPSED = "lapsed", "Lapsed"
        NO_FAULT = "no_fault", "No-fault ending"
        SAFEGUARDING = "safeguarding", "Safeguarding"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class PauseReason(models.TextChoices):
        PARENTAL = "parental_leave", "Parental leave"
        SICK = "sick_leave", "Sick leave"
        CARING = "caring", "Caring responsibilities"
        WORKLOAD = "workload", "Workload"
        OTHER = "other", "Other"

    OPEN_STATES = (
        State.ACCEPTED,
        State.TRIAL,
        State.ACTIVE,
        State.PAUSED,
        State.ENDING_DUE,
        State.EXTENDED,
    )
    # Endings that keep the pair from being proposed again.
    NEVER_AGAIN_REASONS = (CloseReason.NO_FAULT, CloseReason.SAFEGUARDING)
    # Reasons a member may give; the others are the coordinator's.
    MEMBER_REASONS = (CloseReason.GOALS_MET, CloseReason.CIRCUMSTANCES, CloseReason.NO_FAULT)

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="relationships")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ONE_TO_ONE)
    name = models.CharField(
        max_length=120, blank=True, help_text="For a group or circle: a name its members know."
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.ACCEPTED, db_index=True
    )
    proposal = models.OneToOneField(
        "matching.Proposal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="relationship",
    )
    started_at = models.DateTimeField()
    start_date = models.DateField()
    end_date = models.DateField()
    original_end_date = models.DateField()
    paused_on = models.DateField(null=True, blank=True)
    pause_reason = models.CharField(max_length=20, choices=PauseReason.choices, blank=True)
    resume_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    extended_count = models.PositiveSmallIntegerField(default=0)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=30, choices=CloseReason.choices, blank=True)
    last_activity_at = models.DateTimeField()
    last_met_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["scheme", "state"])]

    def __str__(self) -> str:
        return f"Relationship {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def active_members(self):
        """Members still in the relationship (uses the prefetch cache when present)."""
        return [m for m in self.memberships.all() if m.left_at is None]

    def mentors(self):
        return [m for m in self.active_members() if m.side == Membership.Side.MENTOR]

    def mentees(self):
        return [m for m in self.active_members() if m.side == Membership.Side.MENTEE]

    @property
    def title(self) -> str:
        if self.name:
            return self.name
        return self.get_kind_display()

    def title_for(self, user) -> str:
        """The relationship as ``user`` names it: its name, or its kind with the other members
        ("One-to-one with Ben Okoro"), not "One-to-one" beside a status."""
        if self.name:
            return self.name
        others = [
            m.participant.user.full_name
            for m in self.active_members()
            if m.participant.user_id != getattr(user, "pk", None)
        ]
        if not others:
            return self.get_kind_display()
        if len(others) > 3:
            others = [*others[:3], f"{len(others) - 3} more"]
        names = ", ".join(others[:-1]) + " and " + others[-1] if len(others) > 1 else others[0]
        return f"{self.get_kind_display()} with {names}"


class Membership(models.Model):
    class Side(models.TextChoices):
        MENTOR = "mentor", "Mentor"
        MENTEE = "mentee", "Mentee"
        PEER = "peer", "Peer"

    class Role(models.TextChoices):
        MENTOR = "mentor", "Mentor"
        COACH = "coach", "Coach"
        ADVISER = "adviser", "Adviser"
        SPONSOR = "sponsor", "Sponsor"
        TEACHER = "teacher", "Teacher"
        COUNSELLOR = "counsellor", "Counsellor"

    class TrialDecision(models.TextChoices):
        PENDING = "", "Not yet decided"
        CONTINUE = "continue", "Continue"
        STEP_AWAY = "step_away", "Step away"

    class EndChoice(models.TextChoices):
        PENDING = "", "Not yet decided"
        EXTEND = "extend", "Extend"
        CLOSE = "close", "Close"

    class LeftReason(models.TextChoices):
        STEPPED_AWAY = "stepped_away", "Stepped away after the trial"
        CLOSED = "closed", "The relationship closed"
        REMOVED = "removed", "Removed by the coordinator"
        WITHDREW = "withdrew", "Left the scheme"

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="memberships"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="relationship_memberships"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MENTOR)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=20, choices=LeftReason.choices, blank=True)
    trial_decision = models.CharField(max_length=10, choices=TrialDecision.choices, blank=True)
    trial_decided_at = models.DateTimeField(null=True, blank=True)
    end_choice = models.CharField(max_length=10, choices=EndChoice.choices, blank=True)
    end_choice_date = models.DateField(null=True, blank=True)
    end_choice_at = models.DateTimeField(null=True, blank=True)
    never_again = models.BooleanField(
        default=False, help_text="This person asked never to be matched with the others again."
    )

    class Meta:
        ordering = ["relationship", "side", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "participant"], name="one_membership_per_relationship"
            ),
        ]
        indexes = [models.Index(fields=["participant", "side"])]

    def __str__(self) -> str:
        return f"Membership {self.pk}"

    @property
    def label(self) -> str:
        if self.side == self.Side.MENTOR and self.role != self.Role.MENTOR:
            return self.get_role_display()
        return self.get_side_display()


def pairs_among(members) -> list[tuple[Membership, Membership]]:
    """The pairs within a relationship that the pairing rules (forbidden and blocked pairs,
    conflicts, different institutions) apply to, as (mentee side, mentor side): every mentee with
    every mentor, and in a peer circle every ordered pair of peers. ``members`` may be unsaved."""
    members = list(members)
    mentors = [m for m in members if m.side == Membership.Side.MENTOR]
    mentees = [m for m in members if m.side == Membership.Side.MENTEE]
    peers = [m for m in members if m.side == Membership.Side.PEER]
    return [(e, o) for e in mentees for o in mentors] + [
        (a, b) for a in peers for b in peers if a is not b
    ]


class AgreementVersion(models.Model):
    """One saved version of a relationship's agreement. Never edited: a new save is a new row."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        FORTNIGHTLY = "fortnightly", "Every two weeks"
        MONTHLY = "monthly", "Every month"
        SIX_WEEKLY = "six_weekly", "Every six weeks"
        BIMONTHLY = "bimonthly", "Every two months"

    class Mode(models.TextChoices):
        VIRTUAL = "virtual", "Virtual (video call)"
        IN_PERSON = "in_person", "In person"
        MIXED = "mixed", "A mix of virtual and in person"

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="agreement_versions"
    )
    number = models.PositiveIntegerField()
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    topics = models.TextField("Topics and expectations")
    outputs = models.TextField("Outputs we hope for")
    confidentiality = models.TextField("Confidentiality")
    duration = models.TextField("Duration")
    ending = models.TextField("How either of us can end it without fault")
    saved_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["relationship", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "number"], name="one_agreement_version_number"
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.number}"


class AgreementConfirmation(models.Model):
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="confirmations"
    )
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "participant"], name="one_confirmation_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Confirmation of {self.version}"


class Meeting(models.Model):
    class Mode(models.TextChoices):
        VIRTUAL = "virtual", "Video call"
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "Telephone"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Took place"
        MISSED = "missed", "Did not take place"
        CANCELLED = "cancelled", "Cancelled"

    class AgendaBy(models.TextChoices):
        MENTEE = "mentee", "The mentee"
        MENTOR = "mentor", "The mentor"
        BOTH = "both", "Both of us"
        NONE = "none", "No set agenda"

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="meetings"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    starts_at = models.DateTimeField(help_text="Stored in UTC.")
    time_zone = models.CharField(max_length=64, help_text="The zone it was arranged in.")
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(10), MaxValueValidator(480)]
    )
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.VIRTUAL)
    video_link = models.URLField(max_length=500, blank=True)
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    arranged_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # the log, written afterwards
    logged_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actual_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    agenda = models.TextField(blank=True)
    agenda_by = models.CharField(max_length=10, choices=AgendaBy.choices, blank=True)
    shared_notes = models.TextField(blank=True)
    actions = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["relationship", "status", "starts_at"])]

    def __str__(self) -> str:
        return f"Meeting {self.pk}"

    @property
    def ends_at(self):
        from datetime import timedelta

        return self.starts_at + timedelta(minutes=self.duration_minutes)


class PrivateNote(models.Model):
    """A note only its author can ever read: not the other party, coordinators or exports."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="private_notes"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="private_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_notes"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Private note {self.pk}"


class Goal(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        DROPPED = "dropped", "No longer pursuing"

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="goals")
    owner = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    detail = models.TextField("What success looks like", blank=True)
    target_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target_date", "id"]

    def __str__(self) -> str:
        return f"Goal {self.pk}"


class GoalReview(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="reviews")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="goal_reviews"
    )
    by = models.ForeignKey(Participant, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=Goal.Status.choices)
    progress = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Review of goal {self.goal_id}"


class Milestone(models.Model):
    """A career milestone a mentee records for herself, for outcome reporting."""

    class Kind(models.TextChoices):
        PROMOTION = "promotion", "Promotion"
        GRANT = "grant", "Grant"
        FELLOWSHIP = "fellowship", "Fellowship"
        PUBLICATION = "publication", "Publication"
        NEW_ROLE = "new_role", "New role"
        OTHER = "other", "Other"

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="milestones"
    )
    relationship = models.ForeignKey(
        Relationship, null=True, blank=True, on_delete=models.SET_NULL, related_name="milestones"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    achieved_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-achieved_on", "-id"]

    def __str__(self) -> str:
        return f"Milestone {self.pk}"


class SponsorshipAct(models.Model):
    """Something a mentor did to open a door for a mentee (measured by group in reports)."""

    class Kind(models.TextChoices):
        NOMINATION = "nomination", "Nomination"
        INTRODUCTION = "introduction", "Introduction"
        SPEAKING = "speaking", "Invitation to speak"
        LETTER = "letter", "Letter of recommendation"
        COAUTHORSHIP = "coauthorship", "Co-authorship"

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="sponsorship_acts"
    )
    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="sponsorship_received"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=300, blank=True)
    on_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on_date", "-id"]

    def __str__(self) -> str:
        return f"Sponsorship {self.pk}"


class CheckIn(models.Model):
    """A private check-in for one person: seen by them and (as a flag) by the coordinator only."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="check_ins"
    )
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="check_ins")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    wants_contact = models.BooleanField(default=False)

    class Meta:
        ordering = ["-due_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "participant", "number"], name="one_check_in_per_number"
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk}"


class Flag(models.Model):
    """Something for the coordinator to look at. Never shown to relationship members."""

    class Kind(models.TextChoices):
        LOW_CHECK_IN = "low_check_in", "Low check-in answer"
        CONTACT_REQUESTED = "contact_requested", "Asked the coordinator to get in touch"
        MEETINGS_LAPSED = "meetings_lapsed", "No meeting for a long time"
        PROPOSAL_LAPSED = "proposal_lapsed", "Mentor has not replied to a proposal"
        PAST_END = "past_end", "Past its end date"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    relationship = models.ForeignKey(
        Relationship, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(
        "matching.Proposal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scheme", "resolved_at"])]

    def __str__(self) -> str:
        return f"Flag {self.pk}"
