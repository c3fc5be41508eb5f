"""Who runs the site and its schemes: site administrators, and invitations to scheme roles.

A scheme role itself is ``schemes.StaffRole``; granting and revoking it happens only in
``staff.services``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from equimentor.core.roles import Role
from equimentor.lib.tokens import digest, new_token
from equimentor.schemes.models import Institution, Scheme


class SiteAdministrator(models.Model):
    """A person who creates schemes and institutions and appoints coordinators, site-wide.

    A product role, held as a row (Django's superuser flag also makes someone one).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_administrator"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Site administrator {self.user_id}"


class StaffInvitation(models.Model):
    """An emailed, single-use, expiring invitation to take a staff role in a scheme."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="staff_invitations")
    role = models.CharField(max_length=20, choices=Role.choices)
    email = models.EmailField()
    full_name = models.CharField(max_length=200)
    institutions = models.ManyToManyField(
        Institution,
        blank=True,
        related_name="+",
        help_text="For a committee member: the institutions their reports are limited to.",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to be {self.get_role_display()}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        return new_token()

    @classmethod
    def find(cls, raw: str) -> StaffInvitation | None:
        return cls.objects.filter(token_hash=digest(raw)).first()

    @staticmethod
    def lifetime() -> timedelta:
        return timedelta(days=settings.STAFF_INVITATION_DAYS)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None and not self.is_expired

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.withdrawn_at:
            return "withdrawn"
        return "expired" if self.is_expired else "pending"
