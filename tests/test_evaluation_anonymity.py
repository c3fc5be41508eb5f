"""Anonymous by construction: a response cannot be joined back to a person through the database."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from equimentor.core.models import AuditEvent
from equimentor.evaluation import services
from equimentor.evaluation.models import Answer, Invitation, Response
from equimentor.evaluation.scheduler import run
from tests import evaluation_setup as es
from tests.relationships_setup import accepted, pair

PERSONAL = ("user", "participant", "invitation", "person", "ip", "email", "name", "member")


@pytest.mark.parametrize("model", [Response, Answer])
def test_schema_holds_nothing_that_points_at_a_person(model):
    for field in model._meta.get_fields():
        assert not any(word in field.name.lower() for word in PERSONAL), field.name
        assert not isinstance(field, models.DateTimeField | models.GenericIPAddressField), (
            field.name
        )
        if field.is_relation and field.many_to_one:
            assert field.related_model._meta.label in {
                "evaluation.Questionnaire",
                "evaluation.Response",
            }, field.name
    # random keys: neither key order nor key value says anything about who or when
    assert isinstance(model._meta.pk, models.UUIDField)


def test_no_model_points_from_a_person_or_invitation_to_a_response():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "related_model", None) in (Response, Answer) and field.concrete:
                assert model._meta.label in {
                    "evaluation.Answer",
                    "evaluation.Theme",
                    "evaluation.ThemeTag",
                }, model
    assert {f.name for f in Invitation._meta.concrete_fields} >= {"has_responded"}
    assert not any(
        isinstance(f, models.DateTimeField) and "respon" in f.name
        for f in Invitation._meta.concrete_fields
    )


def _scenario(scheme, alice, capture, answers_by_mentee):
    with capture(execute=True):
        mentors, mentees = pair(scheme, alice, mentors=2, mentees=2)
        es.matched(scheme, alice, [(mentors[0], mentees[0]), (mentors[1], mentees[1])])
        es.install(scheme, alice)
        run()
    for mentee, stars in zip(mentees, answers_by_mentee, strict=True):
        inv = Invitation.objects.get(participant=mentee, code="aimms-baseline")
        with capture(execute=True):  # stored by a task after commit, once both have answered
            services.submit_response(inv, {"want": (["networks"], ""), "job_title": (None, stars)})
    return mentees


def _dump():
    rows = []
    for r in Response.objects.prefetch_related("answers"):
        rows.append(
            (
                r.questionnaire.code,
                r.role,
                r.month,
                r.source,
                tuple(sorted((a.item, str(a.value), a.text) for a in r.answers.all())),
            )
        )
    invs = sorted(
        (i.participant.user.email, i.code, i.role, i.has_responded)
        for i in Invitation.objects.select_related("participant__user")
    )
    audit = sorted(
        (e.action, e.object_type, e.actor_id is not None, tuple(sorted(e.data)))
        for e in AuditEvent.objects.filter(action__startswith="evaluation.respons")
    )
    return sorted(rows), invs, audit


class _Undo(Exception):
    pass


@pytest.mark.django_db
def test_swapping_who_answered_what_leaves_the_database_indistinguishable(
    django_capture_on_commit_callbacks,
):
    """Run the same scenario twice with the two mentees' answers swapped (each rolled back
    afterwards): everything stored that could link a response to a person — responses,
    invitations, the audit trail — is identical, so no query can tell who gave which answer."""
    from django.db import transaction

    from tests import factories

    dumps = []
    for answers in (("Lecturer", "Professor"), ("Professor", "Lecturer")):
        try:
            with transaction.atomic():
                scheme = factories.make_scheme(name="Anon", slug="anon")
                alice = factories.make_staff(scheme, "coordinator", email="alice@example.org")
                _scenario(scheme, alice, django_capture_on_commit_callbacks, answers)
                dumps.append(_dump())
                people = {
                    str(v)
                    for i in Invitation.objects.select_related("participant")
                    for v in (i.pk, i.participant_id, i.participant.user_id)
                }
                assert not any(str(a.value) in people for a in Answer.objects.all())
                raise _Undo
        except _Undo:
            pass
    assert len(dumps[0][0]) == 2
    assert dumps[0] == dumps[1]


def test_the_audit_trail_does_not_say_who_answered(
    scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        accepted(scheme_a, alice, mentors[0], mentees[0])
        es.install(scheme_a, alice)
        run()
    inv = Invitation.objects.get(participant=mentees[0], code="aimms-baseline")
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_response(inv, {"want": (["cv"], "")})
    # one event per stored batch (here the only answer: nobody else can answer), none per answer
    assert not AuditEvent.objects.filter(action__startswith="evaluation.response.").exists()
    event = AuditEvent.objects.get(action="evaluation.responses.stored")
    assert event.actor_id is None and event.object_type == "evaluation.questionnaire"
    assert event.data["count"] == 1
    assert not {"participant_id", "invitation_id", "response_id"} & set(event.data)
    inv.refresh_from_db()
    assert inv.has_responded
    response = Response.objects.get()
    assert response.month.day == 1  # the month only
