"""Who may use a view: every view is wrapped by exactly one decorator that says so: ``public`` or
``signed_in`` here, or ``staff.access.site_admin`` / ``staff.access.scheme_staff`` for staff
(beside the roles they check).

The decorators state the rule at the top of the view and enforce it; the object-level checks
(may this coordinator see this participant?) live in one helper per object kind:
``schemes.access``, ``enrolment.access`` and the other apps' ``access`` modules.
"""

from __future__ import annotations

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
