"""``{% load staff_roles %}``: the staff roles the signed-in person acts in, for showing only the
tabs they may open."""

from django import template

from equimentor.schemes.access import acting_roles, held_roles

register = template.Library()


@register.simple_tag(takes_context=True)
def scheme_roles(context, scheme) -> set[str]:
    """The roles the signed-in person acts in, in ``scheme`` (``schemes.access.acting_roles``),
    so a page shows only the tabs its reader may open. What ``scheme_staff`` resolved for the
    page's own scheme; otherwise one query per request and scheme."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or scheme is None:
        return set()
    staff = getattr(request, "staff", None)
    if staff is not None and staff.scheme.pk == scheme.pk:
        return set(staff.roles)
    cache = request.__dict__.setdefault("_equimentor_scheme_roles", {})
    if scheme.pk not in cache:
        cache[scheme.pk] = set(acting_roles(user, held_roles(user, scheme)))
    return cache[scheme.pk]
