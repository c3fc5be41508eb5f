"""Background work of accounts: sign-in links are issued and emailed by a task."""

from __future__ import annotations

from django.db import transaction

from equimentor.accounts import emails
from equimentor.accounts.models import SignInLink, User
from equimentor.core import audit
from equimentor.core.tasks import task


@task()
def email_sign_in_link(email: str, next_path: str = "") -> None:
    """Email a sign-in link if an active account has this address; do nothing otherwise. The
    link returns the person to ``next_path`` (a path on this site) once used."""
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None or not user.is_active:
            return
        link, raw = SignInLink.issue(user, next_path)
        audit.record("accounts.sign_in_link.sent", link, actor=None)
        emails.sign_in_link(user, raw)
