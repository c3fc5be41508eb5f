"""Object-level access to the API's own records."""

from __future__ import annotations

from django.http import Http404

from equimentor.api.models import APITask, WebhookEndpoint


def get_task_for_staff(scheme, pk: int) -> APITask:
    """A task started in ``scheme`` (whose staff ``staff.access.scheme_staff`` resolved); another
    scheme's task is not found, whatever its id."""
    t = APITask.objects.filter(scheme=scheme, pk=pk).first()
    if t is None:
        raise Http404("No such task in this scheme.")
    return t


def get_webhook_for_coordinator(scheme, pk: int) -> WebhookEndpoint:
    """A webhook endpoint of ``scheme`` (whose coordinator ``scheme_staff`` resolved), removed
    or not; another scheme's is not found, whatever its id."""
    endpoint = WebhookEndpoint.objects.filter(scheme=scheme, pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint in this scheme.")
    return endpoint
