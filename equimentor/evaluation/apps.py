from datetime import timedelta

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "equimentor.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation"

    def ready(self):
        from equimentor.core import jobs
        from equimentor.evaluation import scheduler

        jobs.register("evaluation.invitations", scheduler.run, every=timedelta(minutes=30))
