"""A person's own data (subject access, erasure), the privacy notice with retention periods, the
retention settings, and two-factor sign-in."""

from __future__ import annotations

import json
from io import BytesIO

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from equimentor.core import audit
from equimentor.core.access import public, signed_in
from equimentor.core.roles import Role
from equimentor.enrolment.models import Participant
from equimentor.lib.markdown import render as render_markdown
from equimentor.privacy import services
from equimentor.privacy.forms import CodeForm, EraseForm, RetentionForm
from equimentor.privacy.models import RetentionSettings
from equimentor.privacy.readable import readable
from equimentor.schemes.models import Scheme
from equimentor.staff.access import is_site_admin, scheme_staff


def _download(data: dict, name: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@signed_in
def my_data(request):
    parts = Participant.objects.filter(user=request.user).select_related("scheme")
    return render(
        request,
        "privacy/my_data.html",
        {
            "schemes": [(p.scheme, RetentionSettings.for_scheme(p.scheme)) for p in parts],
            "form": EraseForm(),
        },
    )


@signed_in
def export(request):
    """Subject access: everything held about the signed-in person, as JSON."""
    audit.record("privacy.export.downloaded", request.user, actor=request.user)
    return _download(services.export_person(request.user), "my-equimentor-data.json")


@signed_in
def export_readable(request):
    """Subject access: the same content as the JSON, to read (and print or save as PDF)."""
    audit.record("privacy.export.read", request.user, actor=request.user)
    data = services.export_person(request.user)
    return render(
        request,
        "privacy/my_data_readable.html",
        {"parts": readable(data), "generated": timezone.now()},
    )


@signed_in
@require_POST
def erase(request):
    """Export, then erase, the signed-in person's data; signs them out and hands them the export."""
    form = EraseForm(request.POST)
    if not form.is_valid():
        messages.error(request, 'Type "erase my data" to confirm.')
        return redirect("privacy:my_data")
    if is_site_admin(request.user) or request.user.staff_roles.exists():
        messages.error(
            request, "Staff accounts are erased by a superuser once roles are handed on."
        )
        return redirect("privacy:my_data")
    user = request.user
    data = services.erase_person(user, actor=user)
    logout(request)
    return _download(data, "my-equimentor-data.json")


@public
def notice(request, slug: str):
    """The scheme's privacy notice, with its retention periods."""
    scheme = get_object_or_404(Scheme, slug=slug)
    doc = scheme.current_documents().get("privacy_notice")
    return render(
        request,
        "privacy/notice.html",
        {
            "scheme": scheme,
            "doc": doc,
            "body": render_markdown(doc.body) if doc else "",
            "retention": RetentionSettings.for_scheme(scheme),
        },
    )


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def retention(request, slug: str):
    scheme = request.staff.scheme
    conf = RetentionSettings.for_scheme(scheme)
    form = RetentionForm(request.POST or None, instance=conf)
    if request.method == "POST" and form.is_valid():
        services.save_retention(
            scheme,
            {f: form.cleaned_data[f] for f in RetentionForm.Meta.fields},
            actor=request.user,
        )
        messages.success(request, "Retention periods saved; they are shown in the privacy notice.")
        return redirect("privacy:retention", slug)
    return render(
        request,
        "privacy/retention.html",
        {"scheme": scheme, "form": form},
        status=400 if form.errors else 200,
    )


# -- two-factor sign-in ---------------------------------------------------------------------------


def _next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}):
        return candidate
    return ""


def _qr_svg(uri: str) -> str:
    import qrcode
    import qrcode.image.svg

    out = BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


@signed_in
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up an authenticator app (once), confirming it with a first code."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("privacy:two_factor_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit.record("privacy.two_factor.enrolled", user, actor=user)
            messages.success(request, "Two-factor sign-in is set up.")
            return redirect(_next(request) or "portal:home")
        form.add_error("code", "That code is not right. Check your app's time and try again.")
    return render(
        request,
        "privacy/two_factor_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device.config_url),
            "secret": device.config_url.split("secret=")[1].split("&")[0],
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """Enter a code from the authenticator app for this session."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("privacy:two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # verify_token is throttled by django-otp itself (growing delays after each failure).
        if device.verify_token(form.cleaned_data["code"]):
            otp_login(request, device)
            return redirect(_next(request) or "portal:home")
        form.add_error("code", "That code is not right, or you tried too soon. Please try again.")
    return render(
        request,
        "privacy/two_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )
