"""Per-scheme disclosure settings and the coordinator's representation benchmarks."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from equimentor.lib.disclosure import Rules
from equimentor.schemes.models import Scheme


class ReportSettings(models.Model):
    """Disclosure rules for one scheme's reports, within safe bounds (defaults if absent)."""

    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="report_settings")
    threshold = models.PositiveSmallIntegerField(
        "Show counts below this as “<N”",
        default=5,
        validators=[MinValueValidator(5), MaxValueValidator(20)],
    )
    min_values = models.PositiveSmallIntegerField(
        "Fewest values behind a mean or median",
        default=8,
        validators=[MinValueValidator(8), MaxValueValidator(50)],
    )
    round_to_five = models.BooleanField(
        "Round counts to the nearest 5 (publication)", default=False
    )

    def __str__(self) -> str:
        return f"Report settings {self.pk}"

    def rules(self) -> Rules:
        threshold = max(5, min(self.threshold, 20))
        return Rules(
            threshold=threshold,
            min_values=max(8, threshold, min(self.min_values, 50)),
            round_to=5 if self.round_to_five else 1,
        )


def rules_for(scheme) -> Rules:
    conf = ReportSettings.objects.filter(scheme=scheme).first()
    return conf.rules() if conf else Rules()


class Benchmark(models.Model):
    """An expected share of a group (for example 9%), entered by the coordinator."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="benchmarks")
    label = models.CharField(max_length=200)
    groups = models.JSONField(help_text="{dimension: answer} for one to three identity dimensions.")
    expected_percent = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return f"Benchmark {self.pk}"
