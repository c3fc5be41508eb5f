from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "equimentor.core"
    label = "core"

    def ready(self):
        from equimentor.core import jobs, workers

        jobs.register("core.prune", workers.prune, every=timedelta(hours=24))
