"""Account state changes: sign-in links, sign-in, account settings."""

from __future__ import annotations

from django.contrib.auth import login
from django.db import transaction
from django.utils import timezone

from equimentor.accounts import tasks
from equimentor.accounts.models import SignInLink, User, same_site_path
from equimentor.core import audit


class LinkError(Exception):
    """A sign-in or registration link that cannot be used, with a message for the person."""


def find_user(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def send_sign_in_link(email: str, next_path: str = "") -> None:
    """Email a sign-in link if an active account has this address; say nothing either way.

    The request only enqueues a task, the same for every address: whether an account exists is
    looked up by the worker, so the time a request takes does not tell (with the immediate task
    backend of the demo and tests the task runs in the request).
    """
    tasks.email_sign_in_link.enqueue(email, same_site_path(next_path))


@transaction.atomic
def use_sign_in_link(request, raw: str) -> tuple[User, str]:
    """Consume a sign-in link and sign its owner in, or raise :class:`LinkError`. Returns the
    user and the page the link returns them to ("" for none)."""
    link = SignInLink.find(raw)
    if link is None:
        raise LinkError("This sign-in link is not valid. Please ask for a new one.")
    link = SignInLink.objects.select_for_update().select_related("user").get(pk=link.pk)
    if link.used_at is not None:
        raise LinkError("This sign-in link has already been used. Please ask for a new one.")
    if link.is_expired:
        raise LinkError("This sign-in link has expired. Please ask for a new one.")
    if not link.user.is_active:
        raise LinkError("This account is not active.")
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    login(request, link.user, backend="django.contrib.auth.backends.ModelBackend")
    audit.record("accounts.signed_in", link.user, actor=link.user, method="link")
    return link.user, link.next_path


@transaction.atomic
def update_account(user: User, *, full_name: str, time_zone: str) -> None:
    user.full_name = full_name
    user.time_zone = time_zone
    user.save(update_fields=["full_name", "time_zone"])
    audit.record("accounts.updated", user, actor=user, fields=["full_name", "time_zone"])


@transaction.atomic
def set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record("accounts.password_set", user, actor=user)
