from datetime import timedelta

from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "equimentor.relationships"
    label = "relationships"
    verbose_name = "Mentoring relationships"

    def ready(self):
        from equimentor.core import erasure, jobs
        from equimentor.matching.services import when_accepted
        from equimentor.relationships import scheduler, shredders
        from equimentor.relationships.services import start_from_proposal

        jobs.register("relationships.reminders", scheduler.run, every=timedelta(minutes=10))
        # an accepted proposal starts a relationship: the rule is this app's, run by matching
        when_accepted(start_from_proposal)
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
