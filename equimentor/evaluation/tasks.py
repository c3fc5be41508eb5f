"""Background work of the evaluation: storing submitted answers in batches."""

from __future__ import annotations

from equimentor.core.tasks import task
from equimentor.evaluation import services


@task()
def store_pending(questionnaire_id: int, role: str) -> int:
    """Store the answers waiting for this questionnaire and role if their batch is due (see
    ``services.store_pending``); safe to run more than once."""
    return services.store_pending(questionnaire_id, role)
