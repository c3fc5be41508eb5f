"""The account's part of erasure: last, since other shredders find the person by address. It also
declares the framework's tables that sign-in uses (sessions, permissions, failed sign-ins,
two-factor devices)."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice

from equimentor.accounts.models import APIToken, SignInLink, User
from equimentor.core import erasure

NO_ONE = "Django's own tables of permissions and models: no one's data"
SIGN_IN = "what a failed or logged sign-in carried: rows with her address are deleted"


def _export(user):
    return erasure.rows([user], exclude=("is_staff", "is_superuser"))


def _erase(person: erasure.Person) -> int:
    user = person.user
    user.sign_in_links.all().delete()
    TOTPDevice.objects.filter(user=user).delete()
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=person.email).delete()
    user.groups.clear()
    user.user_permissions.clear()
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
            erased="email full_name password groups user_permissions",
            kept={"time_zone": "a setting, identifies no one"},
        ),
        erasure.Covers(User.groups.through, deleted="her groups"),
        erasure.Covers(User.user_permissions.through, deleted="her permissions"),
        erasure.Covers(SignInLink, deleted="her sign-in links"),
        erasure.Covers(TOTPDevice, deleted="her two-factor devices"),
        erasure.Covers(AccessAttempt, deleted=SIGN_IN),
        erasure.Covers(AccessLog, deleted=SIGN_IN),
        erasure.Covers(AccessFailureLog, deleted=SIGN_IN),
        erasure.Covers(
            Session,
            kept={
                "session_key session_data": (
                    "signed data holding an account id, not her details; her sessions stop "
                    "working (the account is inactive and its password hash changed) and expire"
                )
            },
        ),
        erasure.Covers(Permission, kept={"name codename": NO_ONE}),
        erasure.Covers(Group, kept={"name": NO_ONE}),
        erasure.Covers(ContentType, kept={"app_label model": NO_ONE}),
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
