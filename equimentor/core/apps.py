from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "equimentor.core"
    label = "core"

    def ready(self):
        from equimentor.core import erasure, jobs, shredders, versions, workers

        jobs.register("core.prune", workers.prune, every=timedelta(hours=24))
        jobs.register("core.data_versions", versions.fold, every=timedelta(hours=1))
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.AUDIT)
        erasure.register(shredders.EMAILS)
        erasure.register(shredders.TASKS)
