from datetime import timedelta

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "equimentor.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation"

    def ready(self):
        from equimentor.core import erasure, jobs
        from equimentor.evaluation import scheduler, shredders

        jobs.register("evaluation.invitations", scheduler.run, every=timedelta(minutes=30))
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
