"""The account's part of erasure: last, since other shredders find the person by address."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessLog
from django_otp.plugins.otp_totp.models import TOTPDevice

from equimentor.accounts.models import SignInLink, User
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
