from django import template

register = template.Library()


@register.simple_tag
def induction_progress(participant):
    """The participant's progress through the current induction pack (None if there is none)."""
    from equimentor.training.induction import progress

    found = progress(participant)
    return found if found.pack is not None else None
