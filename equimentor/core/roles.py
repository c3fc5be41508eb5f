"""The one enumeration of staff roles. Every role check names these members, never a string.

The values are the ones stored in ``schemes.StaffRole.role``.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """A person's staff role in one scheme."""

    COORDINATOR = "coordinator", "Scheme coordinator"
    SAFEGUARDING = "safeguarding", "Safeguarding lead"
    EVALUATOR = "evaluator", "Evaluator"
    COMMITTEE = "committee", "Committee or institution lead"


# Roles that reach identity data, cases or raw answers: their holders sign in with two factors.
SENSITIVE = (Role.COORDINATOR, Role.SAFEGUARDING, Role.EVALUATOR)

# Roles a superuser acts in without holding them. Never the safeguarding lead's: a case is read
# only by the scheme's own leads (issue #23).
SUPERUSER_ACTS_AS = frozenset(Role) - {Role.SAFEGUARDING}
