from datetime import timedelta

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "equimentor.privacy"
    label = "privacy"
    verbose_name = "Privacy and data-subject rights"

    def ready(self):
        from equimentor.core import jobs
        from equimentor.privacy.services import run_retention

        jobs.register("privacy.retention", run_retention, every=timedelta(hours=6))
