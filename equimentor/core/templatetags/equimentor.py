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
