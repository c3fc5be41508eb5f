"""Object-level access to the API's own records."""

from __future__ import annotations

from django.http import Http404

from equimentor.api.models import APITask


def get_task_for_staff(scheme, pk: int) -> APITask:
    """A task started in ``scheme`` (whose staff ``staff.access.scheme_staff`` resolved); another
    scheme's task is not found, whatever its id."""
    t = APITask.objects.filter(scheme=scheme, pk=pk).first()
    if t is None:
        raise Http404("No such task in this scheme.")
    return t
