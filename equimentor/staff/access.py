"""Who is a site administrator: the one place that decides it."""

from __future__ import annotations

from django.db.models import QuerySet

from equimentor.staff.models import SiteAdministrator

SITE_ADMIN_CACHE = "_equimentor_site_admin"  # the answer, remembered on the user object


def is_site_admin(user) -> bool:
    """A site administrator (a ``SiteAdministrator`` row), or a superuser, who is one too."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    cached = user.__dict__.get(SITE_ADMIN_CACHE)
    if cached is None:
        cached = SiteAdministrator.objects.filter(user=user).exists()
        user.__dict__[SITE_ADMIN_CACHE] = cached
    return cached


def site_admins() -> QuerySet:

    return SiteAdministrator.objects.select_related("user", "granted_by").order_by(
        "user__full_name"
    )
