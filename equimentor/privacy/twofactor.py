"""Two-factor sign-in (TOTP, django-otp) for staff who can reach identity data or cases, and the
page shown when failed password sign-ins are throttled (django-axes).

Who must use it: superusers, site administrators and anyone holding a coordinator,
safeguarding-lead or evaluator role.
After signing in (by link or password) they are sent to set up an authenticator app once, then to
enter a code in every new session (``StaffTwoFactorMiddleware``). A session begun at an
institution's identity provider that asserted multi-factor sign-in (OIDC ``amr``/``acr``, SAML
AuthnContext; see ``sso.services.sign_in``) satisfies the rule without a code. ``settings.REQUIRE_STAFF_2FA``
turns the requirement on; it is on by default and off by default only in the test suite
(``EQUIMENTOR_TESTING``), whose tests turn it on with ``settings.REQUIRE_STAFF_2FA = True`` or
satisfy it with the ``verified_staff`` helper in ``tests/test_privacy_two_factor.py``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse

from equimentor.core.roles import SENSITIVE as SENSITIVE_ROLES
from equimentor.schemes.models import StaffRole
from equimentor.sso.services import SESSION_KEY
from equimentor.staff.access import is_site_admin


def needs_two_factor(user) -> bool:
    if not user.is_authenticated:
        return False

    if is_site_admin(user):
        return True
    return StaffRole.objects.filter(user=user, role__in=SENSITIVE_ROLES).exists()


def provider_asserted_mfa(request) -> bool:
    """Did this session begin with a multi-factor sign-in at the person's institution?"""

    return bool((request.session.get(SESSION_KEY) or {}).get("mfa"))


def has_device(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class StaffTwoFactorMiddleware:
    """Send staff who have not passed two-factor sign-in in this session to set it up or use it."""

    ALLOWED_NAMES = ("privacy:two_factor_setup", "privacy:two_factor_verify", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            getattr(settings, "REQUIRE_STAFF_2FA", True)
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not provider_asserted_mfa(request)
            and not request.path.startswith(settings.STATIC_URL)
            and request.path not in {reverse(n) for n in self.ALLOWED_NAMES}
            and needs_two_factor(user)
        ):
            target = "privacy:two_factor_verify" if has_device(user) else "privacy:two_factor_setup"
            return redirect(reverse(target) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


def axes_username(request, credentials=None) -> str:
    """django-axes: the account a password sign-in is for (the login form's ``pw-email``)."""
    name = (credentials or {}).get("username") or request.POST.get("pw-email") or ""
    return name.strip().lower()


def locked_out(request, original_response=None, credentials=None):
    """django-axes: too many failed password sign-ins for this account (from any address)."""
    return render(request, "privacy/locked_out.html", status=429)
