"""Matching rounds, their dry runs, the coordinator's adjustments, and published proposals."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme


class MatchingRound(models.Model):
    """A round of matching in a scheme: choices are collected, then closed, then the coordinator
    runs dry runs, adjusts, and publishes proposals."""

    class Status(models.TextChoices):
        COLLECTING = "collecting", "Collecting choices"
        CLOSED = "closed", "Choices closed: dry runs"
        PUBLISHED = "published", "Proposals published"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="matching_rounds")
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COLLECTING)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # when the task that emails a published round's proposals finished (the job
    # ``matching.proposal_emails`` hands a round still without it to a worker again)
    proposals_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_collecting(self) -> bool:
        return self.status == self.Status.COLLECTING

    @property
    def latest_run(self) -> MatchingRun | None:
        return self.runs.order_by("-id").first()


class MatchingRun(models.Model):
    """One dry run of the engine within a round, with its numbers."""

    round = models.ForeignKey(MatchingRound, on_delete=models.CASCADE, related_name="runs")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    stable_only = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict)
    unmatched = models.JSONField(default=list, help_text="[{participant id, reason}] of this run.")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.round}"


class Via(models.TextChoices):
    CHOICE = "choice", "Mentee's choice"
    FALLBACK = "fallback", "Proposed by compatibility"
    PINNED = "pinned", "Pinned by the coordinator"


class ProposedPair(models.Model):
    """A pair in a dry run (not yet seen by anyone but the coordinator)."""

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="pairs")
    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    via = models.CharField(max_length=20, choices=Via.choices)
    choice_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list)
    components = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"Pair {self.pk} of run {self.run_id}"


class Adjustment(models.Model):
    """A coordinator's decision for the next dry run: keep a pair (pin) or keep it apart (exclude)."""

    class Kind(models.TextChoices):
        PIN = "pin", "Pinned"
        EXCLUDE = "exclude", "Removed"

    round = models.ForeignKey(MatchingRound, on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "mentee", "mentor"], name="one_adjustment_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} pair in {self.round}"


class Proposal(models.Model):
    """A published proposal: both sides accept, or either declines without giving a reason."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for replies"
        ACCEPTED = "accepted", "Accepted by both"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn by the coordinator"

    class Reply(models.TextChoices):
        PENDING = "", "No reply yet"
        ACCEPT = "accept", "Accepted"
        DECLINE = "decline", "Declined"

    ACTIVE = (Status.PROPOSED, Status.ACCEPTED)

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="proposals")
    round = models.ForeignKey(
        MatchingRound, null=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    mentee = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="proposals_as_mentee"
    )
    mentor = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="proposals_as_mentor"
    )
    via = models.CharField(max_length=20, choices=Via.choices)
    choice_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PROPOSED, db_index=True
    )
    mentee_reply = models.CharField(max_length=10, choices=Reply.choices, blank=True)
    mentor_reply = models.CharField(max_length=10, choices=Reply.choices, blank=True)
    mentee_note = models.TextField(blank=True, help_text="Private to the coordinator.")
    mentor_note = models.TextField(blank=True, help_text="Private to the coordinator.")
    proposed_at = models.DateTimeField()
    mentee_replied_at = models.DateTimeField(null=True, blank=True)
    mentor_replied_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["mentor", "status"]),
            models.Index(fields=["mentee", "status"]),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk}"

    @property
    def days_to_match(self) -> int | None:
        """Days from the mentee's registration to both sides accepting."""
        if self.status != self.Status.ACCEPTED or self.decided_at is None:
            return None
        return (self.decided_at - self.mentee.registered_at).days
