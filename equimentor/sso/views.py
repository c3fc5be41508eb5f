"""Single sign-on pages: choosing the institution, the protocol round trips, signing out."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from equimentor.core import limits
from equimentor.core.access import public, signed_in
from equimentor.sso import logout as sso_logout
from equimentor.sso import oidc, saml, services
from equimentor.sso.failures import SignInRefused, refuse
from equimentor.sso.forms import ChooseForm
from equimentor.sso.models import IdentityProvider

NEXT_KEY = "sso_next"


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _start(request, provider: IdentityProvider):
    try:
        if provider.protocol == IdentityProvider.Protocol.OIDC:
            return oidc.start(
                request,
                provider,
                request.build_absolute_uri(reverse("sso:oidc_callback", args=[provider.pk])),
            )
        return saml.start(request, provider, request.session.get(NEXT_KEY, ""))
    except SignInRefused as exc:
        return refuse(request, exc.reason, provider=provider)


@public
@require_POST
def choose(request):
    """Route the sign-in page's email or institution to that institution's provider."""
    form = ChooseForm(request.POST)
    next_url = _safe_next(request, request.POST.get("next", ""))
    if limits.exceeded(request, "institution_sign_in_per_address"):
        form.add_error(None, "Too many attempts from this network. Please wait and try again.")
    elif form.is_valid():
        provider = form.cleaned_data["institution"] or services.provider_for_email(
            form.cleaned_data["email"]
        )
        if provider is not None:
            request.session[NEXT_KEY] = next_url
            return _start(request, provider)
    return render(
        request,
        "sso/choose.html",
        {
            "form": form,
            "next": next_url,
            "email": form.cleaned_data.get("email", "")
            if form.is_bound and not form.errors
            else "",
        },
        status=400 if form.errors else 200,
    )


@public
@require_GET
def start(request, pk: int):
    """Start signing in through one institution's provider (a link for that institution)."""
    provider = IdentityProvider.objects.filter(pk=pk, is_active=True).first()
    if provider is None:
        return refuse(request, "not_configured", protocol="-")
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next", ""))
    return _start(request, provider)


def complete(request, provider: IdentityProvider, asserted: services.Asserted, next_url=None):
    """Sign in from a verified assertion and send the person on (shared by OIDC and SAML)."""
    if next_url is None:
        next_url = request.session.pop(NEXT_KEY, "")
    next_url = _safe_next(request, next_url)
    try:
        _, created = services.sign_in(request, provider, asserted)
    except SignInRefused as exc:
        return refuse(request, exc.reason, provider=provider)
    if created:
        return redirect("sso:welcome")
    messages.success(request, "You are signed in.")
    return redirect(next_url or "portal:home")


@public
@require_GET
def oidc_callback(request, pk: int):
    """Where an OpenID Connect provider sends the person back with a code."""
    provider = IdentityProvider.objects.filter(
        pk=pk, is_active=True, protocol=IdentityProvider.Protocol.OIDC
    ).first()
    if provider is None:
        return refuse(request, "not_configured", protocol="oidc")
    try:
        asserted = oidc.finish(request, provider)
    except SignInRefused as exc:
        return refuse(request, exc.reason, provider=provider)
    return complete(request, provider, asserted)


@signed_in
@require_GET
def welcome(request):
    """After an account was created by a first institutional sign-in: what happens next."""
    return render(request, "sso/welcome.html")


@public  # the identity provider's cross-site POST: no CSRF token, the signed response is the check
@csrf_exempt
@require_POST
def saml_acs(request):
    """Where a SAML identity provider posts its response (assertion consumer service)."""
    try:
        provider, asserted, next_url = saml.finish(request)
    except SignInRefused as exc:
        response = refuse(
            request, exc.reason, provider=getattr(exc, "provider", None), protocol="saml"
        )
    else:
        response = complete(request, provider, asserted, next_url)
    saml.forget_pending(response)
    return response


@public
@require_GET
def saml_metadata(request):
    """This site's SAML service-provider metadata, for identity providers and federations."""
    return HttpResponse(saml.sp_metadata(), content_type="application/samlmetadata+xml")


@public
@require_GET
def saml_sls(request):
    """Where a SAML identity provider answers our single logout request."""
    provider = saml.finish_logout(request)
    return render(request, "sso/signed_out_everywhere.html", {"provider": provider})


@public
@require_GET
def signed_out(request):
    """After signing out of a session from an institution: offer that provider's own sign-out."""
    offer = request.session.get(sso_logout.OFFER_KEY) or {}
    provider = (
        IdentityProvider.objects.select_related("institution").filter(pk=offer["provider"]).first()
        if offer
        else None
    )
    return render(
        request,
        "sso/signed_out.html",
        {"provider": provider, "single_logout": bool(provider and offer.get("logout"))},
    )


@public
@require_POST
def single_logout(request):
    """Send the person to their institution's sign-out (OIDC end session, or a SAML LogoutRequest)."""
    offer = request.session.pop(sso_logout.OFFER_KEY, None) or {}
    provider = (
        IdentityProvider.objects.select_related("institution")
        .filter(pk=offer.get("provider"))
        .first()
    )
    url = ""
    if provider is not None and offer.get("logout"):
        if provider.protocol == IdentityProvider.Protocol.OIDC:
            url = oidc.logout_url(
                provider,
                offer["logout"],
                request.build_absolute_uri(reverse("sso:oidc_signed_out")),
            )
        else:
            url = saml.logout_url(provider, offer["logout"])
    if not url:
        return render(request, "sso/signed_out_everywhere.html", {"provider": None})
    return redirect(url)


@public
@require_GET
def oidc_signed_out(request):
    """Where an OpenID Connect provider sends the person after its own sign-out."""
    return render(request, "sso/signed_out_everywhere.html", {"provider": None, "oidc": True})
