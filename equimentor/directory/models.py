"""The mentor directory and a mentee's choices: published listings, ranked choices,
shared characteristics that matter, and conflicts of interest."""

from __future__ import annotations

import uuid

from django.db import models

from equimentor.enrolment.models import Participant


class MentorListing(models.Model):
    """What a mentor publishes in the scheme's directory. Identity answers appear only if the
    mentor ticked "show on my profile" for that answer (see ``identity.IdentityAnswer``)."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="listing"
    )
    is_published = models.BooleanField("Publish my profile in the mentor directory", default=True)
    show_institution = models.BooleanField("Show my institution", default=True)
    show_department = models.BooleanField("Show my department or specialty", default=True)
    show_career_summary = models.BooleanField("Show my career to date", default=True)
    show_offers = models.BooleanField("Show what I can offer", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Listing of participant {self.participant_id}"


class Choice(models.Model):
    """One of a mentee's ranked mentor choices (rank 1 is the first choice)."""

    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="choices")
    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="chosen_by")
    rank = models.PositiveSmallIntegerField()
    note = models.CharField("Note to the mentor (optional)", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mentee", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["mentee", "mentor"], name="choose_a_mentor_once"),
        ]

    def __str__(self) -> str:
        return f"Choice {self.rank} of participant {self.mentee_id}"


class MenteePreference(models.Model):
    """Which shared characteristics matter to a mentee: identity dimension codes (used only with
    her identity-matching consent), plus ``pathway`` and ``specialty``."""

    mentee = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="preference")
    wants_shared = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Preferences of participant {self.mentee_id}"


class Conflict(models.Model):
    """A mentor this mentee must never be matched with."""

    class Reason(models.TextChoices):
        SUPERVISOR = "supervisor", "My supervisor"
        LINE_MANAGER = "line_manager", "My line manager"
        CO_AUTHOR = "co_author", "A close co-author or collaborator"
        OTHER = "other", "Another conflict of interest"

    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="conflicts")
    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="conflicted_by")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mentee", "mentor"], name="one_conflict_per_pair"),
        ]

    def __str__(self) -> str:
        return f"Conflict of participant {self.mentee_id}"


class MentorRanking(models.Model):
    """A mentor's optional explicit order over the mentees who chose them (1 is best)."""

    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ranks_given")
    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ranks_received")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["mentor", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["mentor", "mentee"], name="rank_a_mentee_once"),
        ]

    def __str__(self) -> str:
        return f"Rank {self.rank} by participant {self.mentor_id}"


class DirectoryVersion(models.Model):
    """How many times anything that orders a scheme's directory has changed (a mentor's listing,
    capacity or name, a proposal, a relationship, the induction gate): each web process keeps the
    order it last read with the version it read it at (``directory.ordering``). ``token`` is new
    with each row, so an order kept for a scheme that no longer exists is never reused."""

    scheme = models.OneToOneField("schemes.Scheme", on_delete=models.CASCADE, primary_key=True)
    version = models.BigIntegerField(default=0)
    token = models.UUIDField(default=uuid.uuid4, editable=False)

    def __str__(self) -> str:
        return f"Directory version {self.version} of scheme {self.scheme_id}"
