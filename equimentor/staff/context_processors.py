"""The site's name, demo flag and the menu's staff links, on every page (staff's, since the links
come from staff roles)."""

from django.conf import settings
from django.db.models import CharField, Value
from django.urls import reverse

from equimentor.core.roles import Role
from equimentor.schemes.models import StaffRole
from equimentor.staff.access import SITE_ADMIN_CACHE, is_site_admin
from equimentor.staff.models import SiteAdministrator


def site(request):
    """Site name, demo flag, and the staff areas the signed-in person may open (for the menu)."""
    return {
        "site_name": settings.SITE_NAME,
        "demo_mode": settings.DEMO,
        "staff_links": _staff_links(request),
    }


def _staff_links(request) -> list[tuple[str, str]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    # one query for the menu on every page: the person's staff roles and whether they are a
    # site administrator (remembered on the user for the rest of the request)
    text = CharField()
    rows = StaffRole.objects.filter(user=user).values_list("role", "scheme__slug")
    admin = SiteAdministrator.objects.filter(user=user).values_list(
        Value("", output_field=text), Value("", output_field=text)
    )
    found = list(rows.union(admin, all=True))
    roles = [(role, slug) for role, slug in found if role]
    user.__dict__.setdefault(SITE_ADMIN_CACHE, len(roles) < len(found))
    kinds = {role for role, _ in roles}

    links = []
    if is_site_admin(user):
        links.append(("Site", reverse("staff:site_home")))
    if user.is_superuser or Role.COORDINATOR in kinds:
        links.append(("Coordinate", reverse("backoffice:index")))
    lead_schemes = [slug for role, slug in roles if role == Role.SAFEGUARDING]
    if len(lead_schemes) == 1:
        links.append(("Safeguarding", reverse("safeguarding:cases", args=lead_schemes)))
    elif lead_schemes:
        links.append(("Safeguarding", reverse("portal:home") + "#roles-h"))
    if Role.EVALUATOR in kinds:
        links.append(("Evaluation", reverse("evaluation:index")))
    committee_schemes = [slug for role, slug in roles if role == Role.COMMITTEE]
    if len(committee_schemes) == 1:
        links.append(("Reports", reverse("reports:committee", args=committee_schemes)))
    elif committee_schemes:
        links.append(("Reports", reverse("portal:home") + "#roles-h"))
    return links
