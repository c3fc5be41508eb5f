"""Background work of the evaluation: storing submitted answers in batches, and sending a
questionnaire now when its coordinator asks."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from equimentor.core import audit
from equimentor.core.tasks import task
from equimentor.evaluation import services
from equimentor.evaluation.models import Questionnaire


@task()
def store_pending(questionnaire_id: int, role: str) -> int:
    """Store the answers waiting for this questionnaire and role if their batch is due (see
    ``services.store_pending``); safe to run more than once."""
    return services.store_pending(questionnaire_id, role)


@task()
def send_due(questionnaire_id: int, actor_id: int, via_token: int | None = None) -> int:
    """Invite everyone ``questionnaire`` is due for now (``services.send_due``); running twice
    sends nothing twice (an invitation is unique per person, questionnaire and role). Asked
    through an API token (``via_token``), its audit event names the token, as the request's do."""
    questionnaire = Questionnaire.objects.select_related("scheme").get(pk=questionnaire_id)
    actor = get_user_model().objects.get(pk=actor_id)
    before = audit.current_token()
    audit.acting_through_token(via_token)
    try:
        return services.send_due(questionnaire, actor=actor)
    finally:
        audit.acting_through_token(before)
