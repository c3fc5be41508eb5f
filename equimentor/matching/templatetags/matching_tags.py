from django import template

from equimentor.matching.reasons import reasons_for as _reasons_for

register = template.Library()


@register.filter
def reasons_for(reasons, side: str):
    """Reasons as ``side`` ("mentee", "mentor" or "coordinator") may read them."""
    return _reasons_for(reasons or [], side)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")
