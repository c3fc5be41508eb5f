"""The pages where API tokens are made and revoked: a person's own under their account, and a
scheme's service tokens for its coordinators. A new token is shown once, in the answer to the
form that made it (never stored, never in a redirect or the session). And a scheme's webhook
endpoints with their delivery log, for its coordinators (the secret shown once, the same way)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from equimentor.accounts.models import APIToken
from equimentor.api import services, webhooks
from equimentor.api.access import get_webhook_for_coordinator
from equimentor.api.forms import TokenForm, WebhookForm
from equimentor.api.models import WebhookDelivery, WebhookEndpoint
from equimentor.api.scopes import SCOPES
from equimentor.core.access import signed_in
from equimentor.core.params import is_id
from equimentor.core.roles import Role
from equimentor.staff.access import scheme_staff


def _revoke(request, tokens) -> bool:
    """Revoke the token named by the form, if it is one of ``tokens``."""
    pk = request.POST.get("revoke", "")
    token = tokens.filter(pk=int(pk)).first() if is_id(pk) else None
    if token is None:
        raise Http404("No such token.")
    return services.revoke_token(token, actor=request.user)


def _stopped(tokens, scheme) -> set[int]:
    """The scheme's service tokens whose makers no longer coordinate it (a few queries: a
    scheme has a handful of service tokens)."""
    if scheme is None:
        return set()
    users = {t.user_id: t.user for t in tokens.select_related("user")}
    working = {pk for pk, user in users.items() if services.may_hold_service_token(user, scheme)}
    return {t.pk for t in tokens if t.user_id not in working}


def _page(request, *, tokens, scheme=None):
    form = TokenForm()
    made = raw = None
    status = 200
    if request.method == "POST" and "revoke" in request.POST:
        if _revoke(request, tokens):
            messages.success(request, "The token is revoked: it no longer works.")
        return redirect(request.path)
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                made, raw = services.create_token(
                    request.user, scheme=scheme, actor=request.user, **form.cleaned_data
                )
            except services.TokenError as exc:
                form.add_error(None, str(exc))
            else:
                form = TokenForm()
        if raw is None:
            status = 400
    response = render(
        request,
        "api/tokens.html",
        {
            "scheme": scheme,
            "tokens": tokens.select_related("user", "revoked_by"),
            "form": form,
            "made": made,
            "raw": raw,
            "scopes": SCOPES,
            "stopped": _stopped(tokens, scheme),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the new token is in this page
    return response


@signed_in
@require_http_methods(["GET", "POST"])
def my_tokens(request):
    """Signed in: one's own personal API tokens (made, listed, revoked)."""
    return _page(request, tokens=APIToken.objects.filter(user=request.user, scheme=None))


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def scheme_tokens(request, slug: str):
    """Coordinators of the scheme: its service tokens (made, listed, revoked by any of them)."""
    scheme = request.staff.scheme
    return _page(request, tokens=APIToken.objects.filter(scheme=scheme), scheme=scheme)


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def scheme_webhooks(request, slug: str):
    """Coordinators of the scheme: its webhook endpoints (registered, listed, removed) and the
    latest deliveries to them with their tries."""
    scheme = request.staff.scheme
    form, made, secret, status = WebhookForm(), None, None, 200
    if request.method == "POST" and "remove" in request.POST:
        pk = request.POST["remove"]
        if not is_id(pk):
            raise Http404("No such webhook endpoint.")
        if webhooks.remove(get_webhook_for_coordinator(scheme, int(pk)), actor=request.user):
            messages.success(request, "The endpoint is removed: nothing more is sent to it.")
        return redirect(request.path)
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                made, secret = webhooks.register(scheme, actor=request.user, **form.cleaned_data)
            except webhooks.WebhookError as exc:
                form.add_error(None, str(exc))
            else:
                form = WebhookForm()
        if secret is None:
            status = 400
    response = render(
        request,
        "api/webhooks.html",
        {
            "scheme": scheme,
            "endpoints": WebhookEndpoint.objects.filter(scheme=scheme),
            "deliveries": WebhookDelivery.objects.filter(endpoint__scheme=scheme)
            .select_related("endpoint")
            .order_by("-created_at", "-id")[:50],
            "events": webhooks.EVENTS,
            "form": form,
            "made": made,
            "secret": secret,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the new secret is in this page
    return response


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def scheme_webhook(request, slug: str, pk: int):
    """Coordinators of the scheme: change one endpoint's address, events or description, or
    replace its secret (the new one shown once, in this answer). A removed endpoint is shown,
    not changed."""
    scheme = request.staff.scheme
    endpoint = get_webhook_for_coordinator(scheme, pk)
    current = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    form, secret, status = WebhookForm(initial=current), None, 200
    if request.method == "POST" and endpoint.deleted_at is not None:
        status = 409  # the page says it was removed; nothing to change
    elif request.method == "POST":
        try:
            if "new_secret" in request.POST:
                secret = webhooks.new_secret_for(endpoint, actor=request.user)
            else:
                form = WebhookForm(request.POST)
                if form.is_valid():
                    webhooks.change(endpoint, actor=request.user, **form.cleaned_data)
                    messages.success(request, f"Endpoint {endpoint.pk} is changed.")
                    return redirect("tokens:webhooks", slug)
                status = 400
        except webhooks.WebhookError as exc:  # removed meanwhile, by another coordinator
            messages.error(request, str(exc))
            status = 409
    response = render(
        request,
        "api/webhook.html",
        {"scheme": scheme, "endpoint": endpoint, "form": form, "secret": secret},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # a new secret may be in this page
    return response
