"""Institutions, schemes, their versioned documents, and the staff who run them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from equimentor.core.roles import Role
from equimentor.schemes.dimensions import DIMENSIONS

DEFAULT_CAREER_STAGES = [
    "Doctoral researcher or clinical trainee in research",
    "Postdoctoral researcher or clinical research fellow",
    "Lecturer, research fellow or clinical lecturer",
    "Senior lecturer or associate professor",
    "Reader or senior clinical academic",
    "Professor",
]


def default_career_stages() -> list[str]:
    return list(DEFAULT_CAREER_STAGES)


def default_identity_dimensions() -> list[str]:
    return ["ethnicity", "gender", "disability", "caring", "first_generation"]


def default_fair_groups() -> list[str]:
    return ["ethnicity", "gender"]


class Institution(models.Model):
    """A university, medical school, hospital trust or research institute."""

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstitutionAlias(models.Model):
    """Another name an institution goes by ("UCL", "University College London"), so that what
    people type or a spreadsheet says finds it (``schemes.services.find_institution``)."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="alias_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name


class Scheme(models.Model):
    """One mentoring scheme (a cohort or programme). A deployment hosts many."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(max_length=300, help_text="One sentence shown in scheme lists.")
    description = models.TextField(blank=True, help_text="Markdown.")
    eligibility_statements = models.JSONField(
        default=list, help_text="Each statement an applicant must declare that they meet."
    )
    offers_mentor = models.BooleanField("Offers the mentor role", default=True)
    offers_mentee = models.BooleanField("Offers the mentee role", default=True)
    allows_both = models.BooleanField(
        "A person may be mentor and mentee at once",
        default=True,
        help_text="Peer support: the same person mentors and is mentored.",
    )
    max_choices = models.PositiveSmallIntegerField(
        "Mentor choices a mentee ranks",
        default=3,
    )
    relationship_months = models.PositiveSmallIntegerField(
        "Default relationship length (months)", default=6
    )
    different_institutions = models.BooleanField(
        "Mentor and mentee must be at different institutions", default=False
    )
    max_mentor_capacity = models.PositiveSmallIntegerField(
        "Most mentees one mentor may take", default=4
    )
    career_stages = models.JSONField(
        default=default_career_stages,
        help_text="The career-stage scale, most junior first.",
    )
    identity_dimensions = models.JSONField(
        default=default_identity_dimensions,
        help_text="Codes of the identity questions this scheme asks (all optional).",
    )
    matching_weights = models.JSONField(
        default=dict,
        blank=True,
        help_text="Weights of the compatibility components (seniority, interests, shared, pathway); "
        "missing ones take the engine's defaults.",
    )
    ideal_seniority_gap = models.PositiveSmallIntegerField(
        "Ideal number of career stages a mentor is ahead", default=2
    )

    class MatchingPolicy(models.TextChoices):
        FAIR = "fair", "Fairly between groups, then by compatibility"
        SCORE = "score", "By compatibility only"

    matching_policy = models.CharField(
        "How places left after choices are shared",
        max_length=10,
        choices=MatchingPolicy.choices,
        default=MatchingPolicy.FAIR,
        help_text="Fairly: as many mentees as possible are matched, the groups' match rates are "
        "made as equal as possible, then compatibility decides. Choices are always honoured "
        "first.",
    )
    fair_groups = models.JSONField(
        default=default_fair_groups,
        blank=True,
        help_text="Codes of the identity questions whose answers, taken together, form the groups "
        "whose match rates are equalised (for example ethnicity × gender). Only answers given "
        "with consent to their use in matching count; everyone else is “not stated”.",
    )
    is_open = models.BooleanField("Open for registration", default=True)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if not (self.offers_mentor or self.offers_mentee):
            errors["offers_mentee"] = "A scheme must offer at least one role."
        if not 1 <= self.max_choices <= 10:
            errors["max_choices"] = "Choose between 1 and 10 choices."
        if not 1 <= self.relationship_months <= 36:
            errors["relationship_months"] = "Choose between 1 and 36 months."
        if not 1 <= self.max_mentor_capacity <= 20:
            errors["max_mentor_capacity"] = "Choose between 1 and 20 mentees."
        if len(self.career_stages or []) < 2:
            errors["career_stages"] = "Give at least two career stages, most junior first."
        bad_weights = [
            k
            for k, v in (self.matching_weights or {}).items()
            if k not in {"seniority", "interests", "shared", "pathway"}
            or not isinstance(v, int | float)
            or v < 0
        ]
        if bad_weights:
            errors["matching_weights"] = (
                "Weights are numbers of 0 or more for: seniority, interests, shared, pathway."
            )
        unknown = [code for code in self.identity_dimensions or [] if code not in DIMENSIONS]
        if unknown:
            errors["identity_dimensions"] = f"Unknown identity question(s): {', '.join(unknown)}."
        not_asked = [c for c in self.fair_groups or [] if c not in (self.identity_dimensions or [])]
        if not_asked:
            errors["fair_groups"] = (
                "Matching can only be fair by questions the scheme asks: "
                f"{', '.join(DIMENSIONS[c].label if c in DIMENSIONS else c for c in not_asked)} "
                "is not asked."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def role_choices(self) -> list[tuple[str, str]]:
        choices = []
        if self.offers_mentee:
            choices.append(("mentee", "Mentee: I would like a mentor"))
        if self.offers_mentor:
            choices.append(("mentor", "Mentor: I would like to mentor someone"))
        if self.offers_mentor and self.offers_mentee and self.allows_both:
            choices.append(("both", "Both: mentor and mentee (peer support)"))
        return choices

    @property
    def fair_dimensions(self) -> list[str]:
        """The identity questions that form the fair-matching groups (asked by the scheme)."""
        asked = set(self.identity_dimensions or [])
        return [code for code in self.fair_groups or [] if code in asked]

    def career_stage_label(self, index: int | None) -> str:
        if index is None or not 0 <= index < len(self.career_stages):
            return ""
        return self.career_stages[index]

    def current_documents(self) -> dict[str, SchemeDocument]:
        """The newest published version of each document kind."""
        current: dict[str, SchemeDocument] = {}
        for doc in self.documents.filter(published_at__isnull=False).order_by("kind", "-version"):
            current.setdefault(doc.kind, doc)
        return current

    def missing_documents(self) -> list[str]:
        have = self.current_documents()
        return [label for kind, label in SchemeDocument.Kind.choices if kind not in have]


class SchemeDocument(models.Model):
    """A versioned scheme document. Immutable once published; a new version is a new row."""

    class Kind(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", "Privacy notice"
        CODE_OF_CONDUCT = "code_of_conduct", "Code of conduct"
        CONFIDENTIALITY = "confidentiality", "Confidentiality agreement"
        INFORMATION_SHEET = "information_sheet", "Participant information sheet"
        CONSENT = "consent", "Consent to take part"
        MATCHING = "matching", "How matching works"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheme", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "kind", "version"], name="one_row_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = (
                SchemeDocument.objects.filter(pk=self.pk)
                .values("published_at", "title", "body", "kind", "version", "scheme_id")
                .first()
            )
            if stored and stored["published_at"] is not None:
                changed = any(
                    stored[f] != getattr(self, f)
                    for f in ("title", "body", "kind", "version", "scheme_id", "published_at")
                )
                if changed:
                    raise ValidationError(
                        "A published document cannot be changed; publish a new version."
                    )
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def publish(self) -> None:
        self.published_at = timezone.now()
        super().save(update_fields=["published_at"])


class StaffRole(models.Model):
    """A person's staff role in one scheme. Holds no rights in any other scheme."""

    Role = Role  # the one enumeration (core.roles), here too for StaffRole.Role.COORDINATOR

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles"
    )
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    institutions = models.ManyToManyField(
        Institution,
        blank=True,
        related_name="+",
        help_text="For a committee member: limit their reports to these institutions "
        "(none: the whole scheme).",
    )
    granted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the role was granted (unknown for older roles)."
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scheme", "role"], name="one_role_per_scheme"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.scheme}"
