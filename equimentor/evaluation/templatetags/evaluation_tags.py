from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def questionnaires_due(participant) -> int:
    """How many evaluation questionnaires ``participant`` has still to answer."""
    return participant.evaluation_invitations.filter(
        has_responded=False, closes_on__gte=timezone.localdate()
    ).count()
