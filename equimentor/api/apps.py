from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "equimentor.api"
    label = "api"

    def ready(self):
        from equimentor.api import (
            schema,  # noqa: F401  (registers the bearer scheme's extension)
            shredders,
        )
        from equimentor.core import erasure

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)

        from datetime import timedelta

        from equimentor.api.idempotency import purge_expired
        from equimentor.core import jobs

        jobs.register("api.idempotency_keys", purge_expired, every=timedelta(hours=1))

        # webhooks: deliveries made from the audit trail's events, retries handed out each minute
        from equimentor.api.tasks import on_audit_event, sweep_webhooks
        from equimentor.core import audit

        audit.on_record(on_audit_event)
        jobs.register("api.webhooks", sweep_webhooks, every=timedelta(minutes=1))
