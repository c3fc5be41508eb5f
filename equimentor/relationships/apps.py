from datetime import timedelta

from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "equimentor.relationships"
    label = "relationships"
    verbose_name = "Mentoring relationships"

    def ready(self):
        from equimentor.core import jobs
        from equimentor.relationships import scheduler

        jobs.register("relationships.reminders", scheduler.run, every=timedelta(minutes=10))
