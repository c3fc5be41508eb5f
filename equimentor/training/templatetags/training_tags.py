from django import template

from equimentor.training.induction import progress

register = template.Library()


@register.simple_tag
def induction_progress(participant):
    """The participant's progress through the current induction pack (None if there is none)."""

    found = progress(participant)
    return found if found.pack is not None else None
