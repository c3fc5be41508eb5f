"""Background work of the back office: sending a coordinator's bulk reminder."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from equimentor.backoffice import services
from equimentor.core.tasks import task
from equimentor.schemes.models import Scheme


@task()
def send_reminders(scheme_id: int, kind: str, actor_id: int) -> int:
    """Remind everyone ``kind`` concerns in the scheme (``services.remind``); running twice
    reminds nobody twice (the second run finds them reminded within the gap)."""
    scheme = Scheme.objects.get(pk=scheme_id)
    actor = get_user_model().objects.filter(pk=actor_id).first()
    return services.remind(scheme, kind, actor=actor).sent
