from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "equimentor.directory"
    label = "directory"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from equimentor.core import erasure
        from equimentor.directory import ordering, services, shredders
        from equimentor.directory.models import MentorListing
        from equimentor.enrolment import hooks as enrolment_hooks
        from equimentor.enrolment.models import Participant
        from equimentor.schemes.models import Institution, Scheme

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
        # an approved mentor is listed (enrolment.hooks)
        enrolment_hooks.on_listable(services.ensure_listing)
        # what orders the directory here: listings, mentors' capacity and status, their names
        ordering.follow(MentorListing, lambda listing: listing.participant.scheme_id)
        post_save.connect(_participation_saved, sender=Participant, dispatch_uid="directory-p")
        post_delete.connect(_participation_saved, sender=Participant, dispatch_uid="directory-pd")
        ordering.follow(get_user_model(), _mentor_schemes)
        # an institution's name shows on the cards kept per version (access.per_mentor)
        ordering.follow(Institution, _institution_schemes)
        post_save.connect(ordering.started, sender=Scheme, dispatch_uid="directory-version")


def _participation_saved(sender, instance, created=False, update_fields=None, **kwargs):
    """A mentor's saved participation (her capacity, status, profile) reorders her scheme's
    directory; so does one whose roles may have changed (a save of every field, or of
    ``is_mentor``): a mentor who stops mentoring leaves the directory at the next request."""
    from equimentor.directory import ordering

    if kwargs.get("raw"):  # fixtures being loaded
        return
    roles_saved = not created and (update_fields is None or "is_mentor" in update_fields)
    if instance.is_mentor or roles_saved:
        ordering.changed(instance.scheme_id)


def _mentor_schemes(user):
    """A renamed person reorders the directories they are listed in (at most a few)."""
    from equimentor.directory import ordering
    from equimentor.enrolment.models import Participant

    for scheme_id in Participant.objects.filter(user=user, is_mentor=True).values_list(
        "scheme_id", flat=True
    ):
        ordering.changed(scheme_id)


def _institution_schemes(institution):
    """A renamed institution changes the cards of the directories its mentors are listed in."""
    from equimentor.directory import ordering
    from equimentor.enrolment.models import Participant

    for scheme_id in (
        Participant.objects.filter(institution=institution, is_mentor=True)
        .order_by()
        .values_list("scheme_id", flat=True)
        .distinct()
    ):
        ordering.changed(scheme_id)
