from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "equimentor.matching"
    label = "matching"

    def ready(self) -> None:
        from datetime import timedelta

        from equimentor.core import erasure, jobs
        from equimentor.directory import ordering
        from equimentor.enrolment import hooks as enrolment_hooks
        from equimentor.matching import queries, shredders
        from equimentor.matching.models import Proposal
        from equimentor.pairing import exclusions, load

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
        # a published round's emails, handed to a worker again if the first task never ran
        from equimentor.matching.tasks import sweep_proposal_emails

        jobs.register(
            "matching.proposal_emails", sweep_proposal_emails, every=timedelta(minutes=10)
        )
        # a participant's page says how many proposals wait for their reply
        enrolment_hooks.answer("proposals_awaiting_reply", queries.count_awaiting_reply)
        # the withdrawal page says how many waiting proposals leaving declines
        enrolment_hooks.answer("proposals_waiting", queries.count_waiting_naming)
        # someone who leaves the scheme: proposals still waiting that name them are declined
        from equimentor.matching import services

        enrolment_hooks.on_withdrawn(services.decline_for_leaver)
        # its parts of pairing: proposals waiting (load), the round's lock on choices
        load.WAITING.provide(queries.waiting_for)
        load.WAITING_OF.provide(queries.waiting_for_mentor)
        load.WAITING_IN.provide(queries.waiting_in)
        exclusions.CHOICES_CLOSED_REASON.provide(queries.choices_closed_reason)
        exclusions.PROPOSAL_WAITING.provide(queries.has_waiting_proposal)
        # a proposal waiting takes a mentor's place: the directory's order follows it
        ordering.follow(Proposal, lambda proposal: proposal.scheme_id)
