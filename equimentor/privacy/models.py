"""Per-scheme retention periods (shown in the privacy notice page)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from equimentor.schemes.models import Scheme


class RetentionSettings(models.Model):
    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="retention")
    identity_months = models.PositiveSmallIntegerField(
        "Keep identity answers this many months after someone leaves the scheme",
        default=6,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
    )
    closed_case_months = models.PositiveSmallIntegerField(
        "Keep the details of a closed safeguarding case this many months",
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    inactive_account_months = models.PositiveSmallIntegerField(
        "Erase an account this many months after it was last used and left every scheme",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )

    def __str__(self) -> str:
        return f"Retention settings of {self.scheme}"

    @classmethod
    def for_scheme(cls, scheme: Scheme) -> RetentionSettings:
        return cls.objects.filter(scheme=scheme).first() or cls(scheme=scheme)
