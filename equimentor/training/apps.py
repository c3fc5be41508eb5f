from datetime import timedelta

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "equimentor.training"
    label = "training"
    verbose_name = "Induction, training and peer support"

    def ready(self):
        from equimentor.core import jobs
        from equimentor.training import scheduler

        jobs.register("training.reminders", scheduler.run, every=timedelta(minutes=15))
