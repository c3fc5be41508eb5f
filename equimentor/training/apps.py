from datetime import timedelta

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "equimentor.training"
    label = "training"
    verbose_name = "Induction, training and peer support"

    def ready(self):
        from equimentor.core import erasure, jobs
        from equimentor.enrolment import hooks as enrolment_hooks
        from equimentor.pairing.gate import READY
        from equimentor.training import gate, scheduler, services, shredders

        jobs.register("training.reminders", scheduler.run, every=timedelta(minutes=15))
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
        # withdrawing from the scheme gives up sessions to come (enrolment.hooks)
        enrolment_hooks.on_withdrawn(services.end_registrations)
        # the induction gate pairing applies (pairing.gate)
        READY.provide(gate.ready)
        # the induction gate decides who is listed: the directory's order follows it
        from equimentor.directory import ordering
        from equimentor.training.models import InductionPack, ItemCompletion, TrainingSettings

        ordering.follow(TrainingSettings, lambda settings: settings.scheme_id)
        ordering.follow(InductionPack, lambda pack: pack.scheme_id)
        ordering.follow(ItemCompletion, _scheme_of_completion)


def _scheme_of_completion(completion):
    from equimentor.enrolment.models import Participant

    return (
        Participant.objects.filter(pk=completion.participant_id, is_mentor=True)
        .values_list("scheme_id", flat=True)
        .first()
    )
