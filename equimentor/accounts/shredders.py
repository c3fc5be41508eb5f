"""The account's part of erasure: last, since other shredders find the person by address."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessLog
from django_otp.plugins.otp_totp.models import TOTPDevice

from equimentor.accounts.models import APIToken, SignInLink, User
from equimentor.core import erasure


def _export(user):
    return erasure.rows([user], exclude=("is_staff", "is_superuser"))


def _erase(person: erasure.Person) -> int:
    user = person.user
    user.sign_in_links.all().delete()
    TOTPDevice.objects.filter(user=user).delete()
    AccessAttempt.objects.filter(username__iexact=person.email).delete()
    AccessLog.objects.filter(username__iexact=person.email).delete()
    user.email = erasure.erased_email(user)
    user.full_name = erasure.ERASED_NAME
    user.set_unusable_password()
    user.is_active = False
    user.save()
    return 1


SHREDDER = erasure.Shredder(
    name="account",
    order=100,
    covers=(
        erasure.Covers(
            User,
            erased="email full_name password",
            kept={"time_zone": "a setting, identifies no one"},
        ),
        erasure.Covers(SignInLink, deleted="her sign-in links"),
        erasure.Covers(TOTPDevice, deleted="her two-factor devices"),
        erasure.Covers(AccessAttempt, deleted="failed sign-ins with her address"),
        erasure.Covers(AccessLog, deleted="sign-ins with her address"),
    ),
    erase=_erase,
    export=_export,
)


def _api_tokens_export(user):
    """Her API tokens: names, scopes and dates (never the secret's hash)."""
    return erasure.rows(user.api_tokens.all())


def _api_tokens_erase(person: erasure.Person) -> int:
    """Her tokens go, with them the scheme service tokens she made (they acted as her)."""
    return person.user.api_tokens.all().delete()[0]


API_TOKENS = erasure.Shredder(
    name="api_tokens",
    order=99,
    covers=(
        erasure.Covers(
            APIToken,
            deleted="her API tokens",
            kept={"revoked_by": "tokens of others she revoked point at the anonymised account"},
        ),
    ),
    erase=_api_tokens_erase,
    export=_api_tokens_export,
)
