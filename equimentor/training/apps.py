from datetime import timedelta

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "equimentor.training"
    label = "training"
    verbose_name = "Induction, training and peer support"

    def ready(self):
        from equimentor.core import erasure, jobs
        from equimentor.training import scheduler, shredders

        jobs.register("training.reminders", scheduler.run, every=timedelta(minutes=15))
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
