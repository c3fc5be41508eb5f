"""Who is a site administrator: the one place that decides it."""

from __future__ import annotations

from django.db.models import QuerySet


def is_site_admin(user) -> bool:
    """A site administrator (a ``SiteAdministrator`` row), or a superuser, who is one too."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    cached = user.__dict__.get("_equimentor_site_admin")
    if cached is None:
        from equimentor.staff.models import SiteAdministrator

        cached = SiteAdministrator.objects.filter(user=user).exists()
        user.__dict__["_equimentor_site_admin"] = cached
    return cached


def site_admins() -> QuerySet:
    from equimentor.staff.models import SiteAdministrator

    return SiteAdministrator.objects.select_related("user", "granted_by").order_by(
        "user__full_name"
    )
