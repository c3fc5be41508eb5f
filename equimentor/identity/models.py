"""Identity answers: special-category data, kept apart from the profile and behind consent."""

from __future__ import annotations

from django.db import models

from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT


class IdentityAnswer(models.Model):
    """One optional answer to one identity question, for one participation.

    Stored only while the person consents to at least one use (matching or
    aggregate reports); withdrawing both erases every answer at once.
    """

    participant = models.ForeignKey(
        "enrolment.Participant", on_delete=models.CASCADE, related_name="identity_answers"
    )
    dimension = models.CharField(
        max_length=40, choices=[(c, d.label) for c, d in DIMENSIONS.items()]
    )
    value = models.CharField(max_length=40, blank=True)
    self_description = models.CharField(max_length=200, blank=True)
    show_on_profile = models.BooleanField(
        default=False, help_text="Mentors may choose to show an answer on their published profile."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "dimension"], name="one_answer_per_dimension"
            ),
        ]

    def __str__(self) -> str:
        return f"Identity answer {self.pk}"

    @property
    def is_prefer_not(self) -> bool:
        return self.value == PREFER_NOT

    @property
    def display(self) -> str:
        dim = DIMENSIONS[self.dimension]
        parts = [dim.option_label(self.value)] if self.value else []
        if self.self_description:
            parts.append(f"“{self.self_description}”")
        return " — ".join(parts)
