"""Expressions of interest, registration links, participation and consent."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from equimentor.lib.tokens import digest, new_token
from equimentor.schemes.models import Institution, Scheme, SchemeDocument


class ExpressionOfInterest(models.Model):
    """Someone asked to hear about a scheme. One row per scheme and email address."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="expressions")
    email = models.EmailField()
    name = models.CharField(max_length=200)
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.SET_NULL)
    institution_other = models.CharField(max_length=200, blank=True)
    declared_eligible = models.BooleanField(default=False)
    times_expressed = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "email"], name="one_expression_per_email"),
        ]

    def __str__(self) -> str:
        return f"Expression of interest {self.pk}"


class RegistrationInvite(models.Model):
    """The single-use, expiring link in the welcome email (to register), or in the email to
    someone who withdrew and asked about the scheme again (to rejoin their participation)."""

    class Purpose(models.TextChoices):
        REGISTER = "register", "Register"
        REJOIN = "rejoin", "Rejoin after withdrawing"

    expression = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="invites"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.REGISTER)
    participant = models.ForeignKey(
        "Participant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rejoin_invites",
        help_text="For a link to rejoin: the withdrawn participation it reopens.",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(purpose="register", participant__isnull=True)
                    | models.Q(purpose="rejoin", participant__isnull=False)
                ),
                name="rejoin_invite_names_its_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"Registration link {self.pk}"

    @classmethod
    def issue(
        cls, expression: ExpressionOfInterest, *, participant: Participant | None = None
    ) -> tuple[RegistrationInvite, str]:
        """A new link; with ``participant`` (a withdrawn participation), a link to rejoin it."""
        raw, hashed = new_token()
        invite = cls.objects.create(
            expression=expression,
            purpose=cls.Purpose.REJOIN if participant is not None else cls.Purpose.REGISTER,
            participant=participant,
            token_hash=hashed,
            expires_at=timezone.now() + timedelta(days=settings.REGISTRATION_LINK_DAYS),
        )
        return invite, raw

    @classmethod
    def find(cls, raw: str) -> RegistrationInvite | None:
        return (
            cls.objects.select_related("expression__scheme", "participant__user")
            .filter(token_hash=digest(raw))
            .first()
        )

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class Participant(models.Model):
    """A person's registration in one scheme, with the profile they gave it."""

    class Status(models.TextChoices):
        INVITED = "invited", "Imported, invited to review and consent"
        REGISTERED = "registered", "Registered, awaiting review"
        QUERIED = "queried", "Eligibility queried"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Not eligible"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Pathway(models.TextChoices):
        CLINICAL = "clinical", "Clinical academic"
        NON_CLINICAL = "non_clinical", "Non-clinical academic"

    class MeetingMode(models.TextChoices):
        VIRTUAL = "virtual", "Virtual (video call)"
        IN_PERSON = "in_person", "In person"
        EITHER = "either", "Either"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="participants")
    expression = models.OneToOneField(
        ExpressionOfInterest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participant",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REGISTERED, db_index=True
    )
    status_message = models.TextField(
        blank=True, help_text="The coordinator's latest message about this registration."
    )
    is_mentor = models.BooleanField(default=False)
    is_mentee = models.BooleanField(default=False)

    job_title = models.CharField(max_length=200)
    career_stage = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Index into the scheme's career-stage scale (empty only for someone imported "
        "without one, until they review their profile).",
    )
    pathway = models.CharField(max_length=20, choices=Pathway.choices)
    institution = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participants",
        help_text="Empty only while an institution the person typed awaits the coordinator, "
        "who maps it on approval.",
    )
    institution_other = models.CharField(
        "Institution not listed",
        max_length=200,
        blank=True,
        help_text="What the person typed when their institution was not listed.",
    )
    department = models.CharField("Department or specialty", max_length=200)
    research_interests = models.TextField()
    career_summary = models.TextField("Career to date")
    offers = models.TextField("What I can offer as a mentor", blank=True)
    seeks = models.TextField("What I hope to gain as a mentee", blank=True)
    mentor_capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    meeting_mode = models.CharField(
        max_length=20, choices=MeetingMode.choices, default=MeetingMode.VIRTUAL
    )
    meeting_notes = models.CharField("Meeting preferences", max_length=300, blank=True)

    registered_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "scheme"], name="one_participation_per_scheme"),
            models.CheckConstraint(
                condition=Q(institution__isnull=False) | ~Q(institution_other=""),
                name="participant_names_an_institution",
            ),
            models.CheckConstraint(
                condition=Q(institution__isnull=False) | ~Q(status="approved"),
                name="approved_participant_has_a_listed_institution",
            ),
            models.CheckConstraint(
                condition=Q(career_stage__isnull=False) | Q(status="invited"),
                name="participant_has_a_career_stage_once_registered",
            ),
        ]
        indexes = [models.Index(fields=["scheme", "status"])]

    def __str__(self) -> str:
        return f"Participant {self.pk}"

    @property
    def roles_label(self) -> str:
        if self.is_mentor and self.is_mentee:
            return "Mentor and mentee"
        return "Mentor" if self.is_mentor else "Mentee"

    @property
    def role_code(self) -> str:
        if self.is_mentor and self.is_mentee:
            return "both"
        return "mentor" if self.is_mentor else "mentee"

    @property
    def institution_label(self) -> str:
        """The institution, or what the person typed while it is not on the list."""
        if self.institution_id:
            return str(self.institution)
        return f"{self.institution_other} (not listed yet)"

    @property
    def career_stage_label(self) -> str:
        return self.scheme.career_stage_label(self.career_stage)

    @property
    def is_active(self) -> bool:
        return self.status not in {self.Status.WITHDRAWN, self.Status.DECLINED}


class Consent(models.Model):
    """Consent to one purpose, given against one exact document version."""

    class Purpose(models.TextChoices):
        PRIVACY = "privacy", "I have read the privacy notice"
        PARTICIPATION = "participation", "I consent to take part in the scheme"
        CODE_OF_CONDUCT = "code_of_conduct", "I will abide by the code of conduct"
        CONFIDENTIALITY = "confidentiality", "I will keep the confidentiality agreement"
        EVALUATION = "evaluation", "I agree to take part in the scheme's evaluation"
        IDENTITY_MATCHING = "identity_matching", "Use my identity answers in matching"
        IDENTITY_REPORTS = "identity_reports", "Use my identity answers in anonymous equity reports"

    DOCUMENT_FOR_PURPOSE = {
        Purpose.PRIVACY: SchemeDocument.Kind.PRIVACY_NOTICE,
        Purpose.PARTICIPATION: SchemeDocument.Kind.CONSENT,
        Purpose.CODE_OF_CONDUCT: SchemeDocument.Kind.CODE_OF_CONDUCT,
        Purpose.CONFIDENTIALITY: SchemeDocument.Kind.CONFIDENTIALITY,
        Purpose.EVALUATION: SchemeDocument.Kind.INFORMATION_SHEET,
        Purpose.IDENTITY_MATCHING: SchemeDocument.Kind.PRIVACY_NOTICE,
        Purpose.IDENTITY_REPORTS: SchemeDocument.Kind.PRIVACY_NOTICE,
    }
    REQUIRED = (
        Purpose.PRIVACY,
        Purpose.PARTICIPATION,
        Purpose.CODE_OF_CONDUCT,
        Purpose.CONFIDENTIALITY,
    )

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    document = models.ForeignKey(SchemeDocument, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["given_at"]
        indexes = [models.Index(fields=["participant", "purpose"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.document})"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class ImportInvite(models.Model):
    """The single-use, expiring link emailed to someone imported from a spreadsheet: it opens
    their imported profile to review, with the consents only they can give."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="import_invites"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Import invitation {self.pk}"

    @classmethod
    def find(cls, raw: str) -> ImportInvite | None:
        return (
            cls.objects.select_related("participant__scheme", "participant__user")
            .filter(token_hash=digest(raw))
            .first()
        )

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ParticipantImport(models.Model):
    """An uploaded spreadsheet of participants between upload and import, kept here (never in
    the session) and deleted once imported or abandoned."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, help_text="Column number (as text) -> field.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk}"
