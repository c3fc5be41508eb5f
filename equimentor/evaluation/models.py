"""Evaluation questionnaires, invitations and anonymous responses.

Anonymous by construction: a ``Response`` (and its ``Answer`` rows) holds no user, participant,
invitation, IP address or exact time. Its primary key is a random UUID, so neither key order nor
any column can join it back to an ``Invitation``; the month it arrived is the only time kept. The
one link kept is ``Invitation.has_responded`` (a flag, with no time), so reminders stop.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme

MIN_THRESHOLD = 3


class Wave(models.TextChoices):
    BASELINE = "baseline", "Baseline (before mentoring starts)"
    MONTH_6 = "month_6", "Follow-up (six months after the start)"


class Role(models.TextChoices):
    MENTEE = "mentee", "Mentee"
    MENTOR = "mentor", "Mentor"


class EvaluationSettings(models.Model):
    """Per-scheme timings and suppression thresholds (defaults if absent)."""

    scheme = models.OneToOneField(
        Scheme, on_delete=models.CASCADE, related_name="evaluation_settings"
    )
    baseline_delay_days = models.PositiveSmallIntegerField(
        "Send the baseline questionnaire this many days after a first match is accepted",
        default=0,
        validators=[MaxValueValidator(30)],
    )
    followup_months = models.PositiveSmallIntegerField(
        "Send the follow-up this many months after mentoring starts",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    open_days = models.PositiveSmallIntegerField(
        "Close each questionnaire this many days after it is sent",
        default=28,
        validators=[MinValueValidator(3), MaxValueValidator(120)],
    )
    reminder_days = models.PositiveSmallIntegerField(
        "Remind people who have not answered after this many days",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    max_reminders = models.PositiveSmallIntegerField(
        "Most reminders per questionnaire", default=2, validators=[MaxValueValidator(5)]
    )
    threshold = models.PositiveSmallIntegerField(
        "Hide results of any group with fewer responses than",
        default=5,
        validators=[MinValueValidator(MIN_THRESHOLD), MaxValueValidator(50)],
    )
    text_threshold = models.PositiveSmallIntegerField(
        "Hide free-text answers of any group with fewer responses than",
        default=8,
        validators=[MinValueValidator(MIN_THRESHOLD + 1), MaxValueValidator(100)],
    )

    def __str__(self) -> str:
        return f"Evaluation settings of {self.scheme}"

    def clean(self) -> None:
        if self.threshold < MIN_THRESHOLD:
            raise ValidationError({"threshold": f"The threshold is never below {MIN_THRESHOLD}."})
        if self.text_threshold <= self.threshold:
            raise ValidationError(
                {"text_threshold": "The free-text threshold must be higher than the threshold."}
            )

    @property
    def k(self) -> int:
        return max(self.threshold, MIN_THRESHOLD)

    @property
    def k_text(self) -> int:
        return max(self.text_threshold, self.k + 1)

    @classmethod
    def for_scheme(cls, scheme: Scheme) -> EvaluationSettings:
        return cls.objects.filter(scheme=scheme).first() or cls(scheme=scheme)


class Questionnaire(models.Model):
    """One version of one questionnaire of a scheme: the scheme's editable copy of a template
    (or its own). Editing makes a new version; responses keep the version they answered."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="questionnaires")
    code = models.SlugField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    wave = models.CharField(max_length=20, choices=Wave.choices)
    title = models.CharField(max_length=200)
    definition = models.JSONField(help_text="Intro and items, validated by evaluation.definitions.")
    source = models.CharField(
        max_length=80, blank=True, help_text="The shipped template (code@version) it copies."
    )
    is_active = models.BooleanField("Sent to participants", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheme", "wave", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "code", "version"], name="one_questionnaire_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def items(self) -> list[dict]:
        return self.definition.get("items", [])


class Invitation(models.Model):
    """A questionnaire sent to one participant in one role. Holds no answers and no time of
    answering: only whether they have responded."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="invitations"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="evaluation_invitations"
    )
    code = models.SlugField(max_length=60, help_text="The questionnaire's code (any version).")
    role = models.CharField(max_length=10, choices=Role.choices)
    sent_at = models.DateTimeField()
    closes_on = models.DateField()
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    has_responded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "code", "role"], name="one_invitation_per_questionnaire"
            ),
        ]
        indexes = [models.Index(fields=["has_responded", "closes_on"])]

    def __str__(self) -> str:
        return f"Invitation {self.pk}"

    def is_open_on(self, day) -> bool:
        return not self.has_responded and day <= self.closes_on


class Response(models.Model):
    """One anonymous set of answers. No link to a person, an invitation or an exact time."""

    class Source(models.TextChoices):
        WEB = "web", "Answered here"
        IMPORT = "import", "Imported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    month = models.DateField(
        null=True,
        blank=True,
        help_text="First day of the month it was stored (no finer; see PendingResponse).",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)

    class Meta:
        ordering = ["id"]  # random order: never the order of arrival
        indexes = [models.Index(fields=["questionnaire", "role"])]

    def __str__(self) -> str:
        return "Anonymous response"


class PendingResponse(models.Model):
    """Answers given but not yet stored: sealed (``core.sealed``, unreadable without the site's
    secret key), no link to a person or an invitation, no time. ``services.store_pending`` moves
    them into :class:`Response` rows in batches of at least the scheme's threshold, in random
    order and in a transaction of their own, so that nothing in the database (transaction ids,
    row order, times, the audit trail) links a stored response to the invitation it answered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="pending_responses"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    sealed = models.TextField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["questionnaire", "role"])]

    def __str__(self) -> str:
        return "Answers waiting to be stored"


class Answer(models.Model):
    """One item's answer: ``value`` holds codes or numbers, ``text`` free text or "other"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(max_length=80)
    value = models.JSONField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["item", "id"]
        indexes = [models.Index(fields=["item"])]

    def __str__(self) -> str:
        return f"Answer to {self.item}"


class Theme(models.Model):
    """A code in the evaluator's codebook for one free-text item of a scheme."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="evaluation_themes")
    item = models.CharField(max_length=80)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    answers = models.ManyToManyField(Answer, through="ThemeTag", related_name="themes")

    class Meta:
        ordering = ["item", "label"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "item", "label"], name="one_theme_label"),
        ]

    def __str__(self) -> str:
        return self.label


class ThemeTag(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="tags")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["theme", "answer"], name="one_tag_per_theme"),
        ]

    def __str__(self) -> str:
        return f"{self.theme} tag"


class ResponseImport(models.Model):
    """An uploaded CSV of responses between upload and import: kept here (never in the session),
    deleted once imported or cancelled, and by the retention job after a day."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="response_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    code = models.SlugField(max_length=60, help_text="The questionnaire's code.")
    role = models.CharField(max_length=10, blank=True, help_text="Every row's role, if given.")
    text = models.TextField()
    mapping = models.JSONField(default=dict, help_text="Column header -> field (or ignored).")
    values = models.JSONField(
        default=dict, help_text="Field -> {answer as written: option}, as the evaluator chose."
    )
    matched = models.JSONField(
        default=dict, help_text="Column header -> how it was mapped at upload (for the page)."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Response import {self.pk}"


class ImportMapping(models.Model):
    """How a survey tool's export of one questionnaire maps onto it, saved by the scheme's
    analysts for the next file (the import page and ``import_responses --saved``): which question
    each column holds (by header) or that it is ignored, and the answers not worded as options."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="import_mappings")
    code = models.SlugField(max_length=60, help_text="The questionnaire's code (any version).")
    name = models.CharField(max_length=100)
    columns = models.JSONField(default=dict, help_text="Column header -> field, or ignored.")
    values = models.JSONField(default=dict, help_text="Field -> {answer as written: option}.")
    role = models.CharField(max_length=10, blank=True, help_text="Every row's role, if given.")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code", "name"], name="one_mapping_name"),
        ]

    def __str__(self) -> str:
        return self.name
