from datetime import timedelta

from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "equimentor.relationships"
    label = "relationships"
    verbose_name = "Mentoring relationships"

    def ready(self):
        from equimentor.core import erasure, jobs
        from equimentor.enrolment import hooks as enrolment_hooks
        from equimentor.matching.services import when_accepted
        from equimentor.pairing import exclusions, load
        from equimentor.relationships import capacity, queries, scheduler, shredders
        from equimentor.relationships.services import start_from_proposal

        jobs.register("relationships.reminders", scheduler.run, every=timedelta(minutes=10))
        # an accepted proposal starts a relationship: the rule is this app's, run by matching
        when_accepted(start_from_proposal)
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
        # a mentor still mentoring may not drop the role; a profile shows mentees held
        enrolment_hooks.answer("open_relationships_as_mentor", queries.open_relationships_as_mentor)
        enrolment_hooks.answer("mentees_held", capacity.mentee_places_of)
        enrolment_hooks.answer("open_relationships", queries.count_open_relationships)
        # someone who leaves the scheme leaves their relationships too (services.leave_scheme)
        from equimentor.relationships import services

        enrolment_hooks.on_withdrawn(services.leave_scheme)
        # its parts of pairing: places taken, never-again pairs, mentees busy one-to-one
        load.PLACES.provide(capacity.open_places)
        load.PLACES_OF.provide(capacity.open_places_of)
        load.PLACES_IN.provide(capacity.open_places_in)
        exclusions.NEVER_AGAIN.provide(queries.never_again_pairs)
        exclusions.BUSY_MENTEES.provide(queries.mentees_in_open_one_to_one)
        # relationships take mentors' places: the directory's order follows them
        from equimentor.directory import ordering
        from equimentor.relationships.models import Membership, Relationship

        ordering.follow(Relationship, lambda rel: rel.scheme_id)
        ordering.follow(Membership, _scheme_of_membership)


def _scheme_of_membership(membership):
    from equimentor.relationships.models import Relationship

    return (
        Relationship.objects.filter(pk=membership.relationship_id)
        .values_list("scheme_id", flat=True)
        .first()
    )
