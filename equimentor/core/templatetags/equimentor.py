from django import template
from django.utils.safestring import mark_safe

from equimentor.core.audit import label as audit_action_label
from equimentor.lib.markdown import render

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Scheme documents and descriptions are Markdown, sanitised on the way out."""
    return mark_safe(render(text))  # noqa: S308 - sanitised by nh3


@register.filter
def field_type(bound_field) -> str:
    return bound_field.field.widget.__class__.__name__.lower()


@register.filter
def audit_label(action: str) -> str:
    return audit_action_label(action)


@register.simple_tag(takes_context=True)
def scheme_roles(context, scheme) -> set[str]:
    """The signed-in person's staff roles in ``scheme`` (all of them for a superuser), so a
    page shows only the tabs its reader may open. One query per request and scheme."""
    from equimentor.schemes.models import StaffRole

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or scheme is None:
        return set()
    if user.is_superuser:
        return {role for role, _ in StaffRole.Role.choices}
    cache = request.__dict__.setdefault("_equimentor_scheme_roles", {})
    if scheme.pk not in cache:
        cache[scheme.pk] = set(
            StaffRole.objects.filter(user=user, scheme=scheme).values_list("role", flat=True)
        )
    return cache[scheme.pk]
