"""Site administrators configure each institution's identity provider (OpenID Connect or SAML):
the same ``sso.services`` the ``equimentor sso`` command uses, in pages. Thin: the form checks
the input (and reads SAML metadata), the services save, remove and audit."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from equimentor.schemes.models import Institution
from equimentor.sso import saml, services
from equimentor.sso.forms import ProviderForm
from equimentor.sso.models import IdentityProvider
from equimentor.staff.access import site_admin


def _our_side() -> dict:
    """What the institution's IT team registers at their provider for this site."""
    return {
        "saml_entity_id": saml.entity_id(),
        "saml_acs": saml.acs_url(),
        "saml_sls": saml.sls_url(),
        "oidc_signed_out": settings.SITE_URL + reverse("sso:oidc_signed_out"),
    }


@site_admin
def providers(request):
    """Every institution with its sign-in: the provider's protocol, domains and state."""
    rows = (
        Institution.objects.select_related("identity_provider")
        .prefetch_related("identity_provider__domains")
        .order_by("name")
    )
    return render(request, "sso/site_providers.html", {"rows": rows, **_our_side()})


@site_admin
@require_http_methods(["GET", "POST"])
def provider(request, institution: int):
    """Set up, change, turn off or remove one institution's identity provider."""
    inst = get_object_or_404(Institution, pk=institution)
    current = IdentityProvider.objects.filter(institution=inst).prefetch_related("domains").first()
    if request.method == "POST" and "remove" in request.POST:
        if current is None:
            return redirect("sso:site_providers")
        services.remove_provider(current, actor=request.user)
        messages.success(request, f"{inst.name} no longer signs in through its own provider.")
        return redirect("sso:site_providers")
    initial = {"protocol": IdentityProvider.Protocol.OIDC, "is_active": True}
    if current is not None:
        initial = {
            "protocol": current.protocol,
            "domains": ", ".join(current.domain_list),
            "issuer": current.issuer,
            "client_id": current.client_id,
            "metadata_url": current.metadata_url,
            "metadata_xml": "" if current.metadata_url else current.metadata_xml,
            "mfa_values": "\n".join(current.mfa_values),
            "is_active": current.is_active,
        }
    form = ProviderForm(request.POST or None, initial=initial, provider=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_provider(inst, actor=request.user, **form.service_fields())
        except ValidationError as exc:  # a domain another institution's provider serves
            form.add_error(None, exc)
        else:
            messages.success(request, f"{inst.name}'s sign-in provider saved.")
            return redirect("sso:site_provider", inst.pk)
    callback = (
        settings.SITE_URL + reverse("sso:oidc_callback", args=[current.pk]) if current else ""
    )
    return render(
        request,
        "sso/site_provider.html",
        {"inst": inst, "form": form, "current": current, "callback": callback, **_our_side()},
        status=400 if form.errors else 200,
    )
