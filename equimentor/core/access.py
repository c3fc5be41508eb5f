"""Who may use a view: every view is wrapped by exactly one of these decorators.

The decorators state the rule at the top of the view; the object-level checks
(may this coordinator see this participant?) live in one helper per object
kind: ``schemes.access`` and ``enrolment.access``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required


def public(view):
    """Anyone, signed in or not."""
    view.access_rule = "public"
    return view


def signed_in(view):
    """Any signed-in person; the view narrows further through an access helper."""
    wrapped = login_required(view)
    wrapped.access_rule = "signed-in"
    return wrapped


def scheme_staff(*roles: str):
    """Signed-in staff of the scheme in the URL holding one of ``roles``.

    The role itself is checked by ``schemes.access.get_scheme_for_staff`` inside
    the view, because it needs the scheme; this decorator documents the rule and
    requires sign-in.
    """

    def decorate(view):
        @wraps(view)
        def inner(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped = login_required(inner)
        wrapped.access_rule = "scheme-staff:" + ",".join(roles)
        return wrapped

    return decorate
