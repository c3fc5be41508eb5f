from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def title_for(rel, user) -> str:
    """``{{ rel|title_for:user }}``: "One-to-one with Ben Okoro" (``Relationship.title_for``)."""
    return rel.title_for(user)
