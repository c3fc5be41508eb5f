"""Object-level access to safeguarding cases: the ONE place every page, export and count uses.

- Leads: ``cases_for_lead`` (lists, counts, trends) and ``get_case_for_lead`` (one case; records
  the view or export in the access log). Both take what ``staff.access.scheme_staff`` resolved and
  refuse anyone it did not resolve as one of the scheme's leads (a superuser is not, unless they
  also hold the role). A lead excluded from a case (its subject, or a member of
  the relationship concerned) gets exactly what they would for a case that does not exist: 404.
- Named reporters: ``get_case_for_reporter``. Anonymous reporters: ``get_case_by_key``.
- The access log: ``access_log_for`` (superusers only).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from equimentor.core.roles import Role
from equimentor.lib.tokens import digest
from equimentor.safeguarding.models import ACKNOWLEDGE_DAYS, FEEDBACK_DAYS, Case, CaseAccess
from equimentor.safeguarding.services import canonical_case_key
from equimentor.schemes.access import staff_schemes
from equimentor.schemes.models import Scheme

LEAD = Role.SAFEGUARDING
PASSPHRASE_TRIES = 5
PASSPHRASE_LOCK_SECONDS = 15 * 60


def cases_for_lead(staff, user) -> QuerySet[Case]:
    """The cases of ``staff.scheme`` this lead may see: never one they are excluded from."""
    if not staff.has(LEAD):
        raise PermissionDenied("Only the scheme's safeguarding leads see its cases.")
    return Case.objects.filter(scheme=staff.scheme).exclude(excluded=user)


def overdue_cases(staff, user) -> QuerySet[Case]:
    """The lead's cases past the acknowledgement or feedback deadline (``Case.overdue``): the
    coordinator's overview and the API count them for leads, never showing details."""
    today = timezone.localdate()
    return cases_for_lead(staff, user).filter(
        Q(acknowledged_at__isnull=True, received_on__lt=today - timedelta(days=ACKNOWLEDGE_DAYS))
        | (
            Q(feedback_at__isnull=True, received_on__lt=today - timedelta(days=FEEDBACK_DAYS))
            & ~Q(status=Case.Status.CLOSED)
        )
    )


def lead_schemes(user) -> QuerySet[Scheme]:
    return staff_schemes(user, LEAD)


def get_case_for_lead(staff, user, pk: int, *, what: str = CaseAccess.What.VIEW) -> Case:
    """A case of ``staff.scheme`` for one of its safeguarding leads; logs the view or export."""
    case = (
        cases_for_lead(staff, user)
        .select_related("scheme", "relationship", "subject", "reporter")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404("No such case.")
    CaseAccess.objects.create(case=case, case_number=case.pk, user=user, what=what)
    return case


def get_case_for_reporter(user, pk: int) -> Case:
    """A concern the signed-in person raised under their name."""
    case = Case.objects.filter(pk=pk, reporter=user, is_anonymous=False).first()
    if case is None:
        raise Http404("No such concern.")
    return case


class Throttled(Exception):
    """Too many wrong passphrases for this case key: wait and try again."""


def _tries_key(key_hash: str) -> str:
    return f"sg:tries:{key_hash}"


def get_case_by_key(key: str, passphrase: str) -> Case | None:
    """The anonymous case with this key and passphrase, or None; raises Throttled after 5 misses.

    Counted per case key (never per address: nothing about an anonymous reporter's connection is
    used or kept), so a key is locked for 15 minutes after five wrong passphrases.
    """
    key_hash = digest(canonical_case_key(key))
    tries = cache.get(_tries_key(key_hash), 0)
    if tries >= PASSPHRASE_TRIES:
        raise Throttled()
    case = Case.objects.filter(key_hash=key_hash, is_anonymous=True).first()
    if case is not None and check_password(passphrase, case.passphrase_hash):
        cache.delete(_tries_key(key_hash))
        return case
    cache.set(_tries_key(key_hash), tries + 1, PASSPHRASE_LOCK_SECONDS)
    return None


def require_superuser(user) -> None:
    if not (user.is_authenticated and user.is_superuser):
        raise PermissionDenied("Only a superuser can read this.")


def access_log_for(user) -> QuerySet[CaseAccess]:
    require_superuser(user)
    return CaseAccess.objects.select_related("user")
