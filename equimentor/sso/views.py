"""Single sign-on pages: choosing the institution, the protocol round trips, signing out."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from equimentor.core.access import public, signed_in
from equimentor.sso import oidc, services
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
        from equimentor.sso import saml

        return saml.start(request, provider)
    except SignInRefused as exc:
        return refuse(request, exc.reason, provider=provider)


@public
@ratelimit(key="ip", rate="60/h", method="POST", block=False)
@require_POST
def choose(request):
    """Route the sign-in page's email or institution to that institution's provider."""
    form = ChooseForm(request.POST)
    next_url = _safe_next(request, request.POST.get("next", ""))
    if getattr(request, "limited", False):
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


def complete(request, provider: IdentityProvider, asserted: services.Asserted):
    """Sign in from a verified assertion and send the person on (shared by OIDC and SAML)."""
    next_url = request.session.pop(NEXT_KEY, "")
    try:
        _, created = services.sign_in(request, provider, asserted)
    except SignInRefused as exc:
        return refuse(request, exc.reason, provider=provider)
    if created:
        return redirect("sso:welcome")
    messages.success(request, "You are signed in.")
    return redirect(next_url or "core:home")


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
