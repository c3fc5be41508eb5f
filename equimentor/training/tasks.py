"""Background work of training: storing submitted feedback in batches."""

from __future__ import annotations

from equimentor.core.tasks import task
from equimentor.training import services


@task()
def store_feedback(session_id: int) -> int:
    """Store the feedback waiting for this session if its batch is due (see
    ``services.store_pending_feedback``); safe to run more than once."""
    return services.store_pending_feedback(session_id)
