from django import template

from equimentor.sso.forms import ChooseForm
from equimentor.sso.models import IdentityProvider

register = template.Library()


@register.inclusion_tag("sso/_institution_sign_in.html")
def institution_sign_in(next_url=""):
    """The 'sign in through your institution' panel, shown when any provider is in use."""
    shown = IdentityProvider.objects.filter(is_active=True).exists()
    return {"shown": shown, "form": ChooseForm() if shown else None, "next": next_url}
