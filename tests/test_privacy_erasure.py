"""Erasure is each app's (issue #22): every field that could hold something personal is declared
by a shredder, and after erasing a fully-populated person nothing of hers is left in the database
itself (read row by row, not through the export)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from equimentor.core import erasure

PERSONAL_TYPES = (
    models.CharField,  # with EmailField, URLField and SlugField
    models.TextField,
    models.JSONField,
    models.FileField,
    models.GenericIPAddressField,
    models.BinaryField,
)


def _person_models():
    return {apps.get_model(settings.AUTH_USER_MODEL), apps.get_model("enrolment", "Participant")}


def personal_fields(model) -> list[str]:
    """The fields of ``model`` that could hold something about a person: text of any kind, JSON,
    files, addresses, and links to an account or a participation."""
    people = _person_models()
    out = []
    for f in model._meta.get_fields():
        if f.auto_created and not f.concrete:
            continue  # reverse relations: the other model's field
        if isinstance(f, PERSONAL_TYPES) or (f.is_relation and f.related_model in people):
            out.append(f.name)
    return out


def undeclared() -> list[str]:
    declared = erasure.declared()
    missing = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.abstract or model._meta.proxy:
            continue
        known = declared.get(model, {})
        missing += [f"{model._meta.label}.{f}" for f in personal_fields(model) if f not in known]
    return missing


def test_every_personal_field_is_erased_or_kept_by_a_shredder():
    assert undeclared() == []


def test_declarations_name_real_fields():
    """A declaration of a field that does not exist (renamed, say) would cover nothing."""
    wrong = [
        f"{model._meta.label}.{name}"
        for model, fields in erasure.declared().items()
        for name in fields
        if name not in {f.name for f in model._meta.get_fields()}
    ]
    assert wrong == []


# -- a fully-populated person, erased, then the database searched --------------------------------

MARK = "qzmark"  # every free-text marker starts with it: found anywhere after erasure, it failed
KEEP = "qzkeep"  # what policy keeps (a safeguarding record's account of what happened)


def _populate(scheme_id):
    """The demo's mentor who is also a mentee, with a row in every app, her words marked."""
    import base64
    from datetime import timedelta

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tasks_db.models import DBTaskResult

    from equimentor.accounts.models import APIToken, SignInLink, User
    from equimentor.api.models import APITask
    from equimentor.core import audit
    from equimentor.core.models import OutgoingEmail
    from equimentor.directory.models import Choice, Conflict, MenteePreference, MentorRanking
    from equimentor.enrolment.models import (
        ExpressionOfInterest,
        ImportInvite,
        Participant,
        ParticipantImport,
        RegistrationInvite,
    )
    from equimentor.evaluation.models import Answer, Response, ResponseImport
    from equimentor.identity.models import IdentityAnswer
    from equimentor.matching.models import MatchingRound, Proposal, ProposedPair
    from equimentor.relationships.models import (
        AgreementVersion,
        CheckIn,
        Goal,
        GoalReview,
        Meeting,
        Membership,
        Milestone,
        PrivateNote,
        Relationship,
        SponsorshipAct,
    )
    from equimentor.safeguarding import services as sg
    from equimentor.safeguarding.models import LeavingReason
    from equimentor.schemes.models import Scheme, StaffRole
    from equimentor.sso.models import ExternalIdentity, IdentityProvider
    from equimentor.staff import services as staff
    from equimentor.training import feed
    from equimentor.training.models import Session

    scheme = Scheme.objects.get(pk=scheme_id)
    her = User.objects.get(email="mentor@demo.equimentor.org")
    name, email = her.full_name, her.email
    me = Participant.objects.get(user=her)
    coordinator = StaffRole.objects.filter(scheme=scheme, role="coordinator").first().user
    other = Participant.objects.filter(scheme=scheme, is_mentee=True).exclude(user=her).first()
    now = timezone.now()

    # accounts (and the sign-in machinery)
    SignInLink.issue(her)
    APIToken.objects.create(
        user=her,
        name=f"{MARK} token",
        prefix="qz0001",
        secret_hash="0" * 64,
        expires_at=now + timedelta(days=30),
    )
    TOTPDevice.objects.create(user=her, name=f"{MARK} phone")
    APITask.objects.create(scheme=scheme, kind="matching.dry_run", created_by=her)
    AccessAttempt.objects.create(
        username=email, ip_address="192.0.2.7", user_agent=MARK, failures_since_start=3
    )
    AccessLog.objects.create(username=email, ip_address="192.0.2.7", user_agent=MARK)
    AccessFailureLog.objects.create(username=email, ip_address="192.0.2.7", locked_out=False)
    # enrolment: her profile, a typed institution, invitations to rejoin and to an imported place
    Participant.objects.filter(pk=me.pk).update(
        institution_other=f"{MARK} typed institution",
        status_message=f"{MARK} status",
        meeting_notes=f"{MARK} meeting notes",
    )
    expression = ExpressionOfInterest.objects.filter(email__iexact=email).first()
    RegistrationInvite.issue(expression)
    ImportInvite.objects.create(
        participant=me, token_hash="f" * 64, expires_at=now + timedelta(days=3)
    )
    ParticipantImport.objects.create(
        scheme=scheme,
        created_by=coordinator,
        filename="people.csv",
        content=f"Email,Name\n{email},{name}\n".encode(),
        headers=["Email", "Name"],
    )
    # identity
    IdentityAnswer.objects.filter(participant=me, dimension="ethnicity").update(
        self_description=f"{MARK} in my own words"
    )
    # directory: a choice's note, her preferences, a conflict, a ranking; another's note naming her
    mentor = Participant.objects.filter(scheme=scheme, is_mentor=True).exclude(user=her).first()
    Choice.objects.create(mentee=me, mentor=mentor, rank=1, note=f"{MARK} choice note")
    Choice.objects.create(mentee=other, mentor=me, rank=1, note=f"I admire {name}")
    MenteePreference.objects.update_or_create(mentee=me, defaults={"wants_shared": ["caring"]})
    Conflict.objects.create(mentee=me, mentor=mentor, reason="line_manager")
    MentorRanking.objects.create(mentor=me, mentee=other, rank=1)
    # matching: notes, reasons quoting her interests and naming her, a round named after her
    Proposal.objects.filter(mentee=me).update(mentee_note=f"{MARK} proposal note")
    Proposal.objects.filter(mentor=me).update(mentor_note=f"{MARK} mentor note")
    pair = ProposedPair.objects.filter(mentor=me).first()
    pair.reasons = [f"shared interest in {MARK} genomics", f"your choice {name} was not considered"]
    pair.save()
    MatchingRound.objects.filter(scheme=scheme).update(name=f"Round chosen by {name}")
    # relationships
    membership = Membership.objects.filter(participant=me).select_related("relationship").first()
    rel = membership.relationship
    Relationship.objects.filter(pk=rel.pk).update(name=f"{name}'s circle")
    AgreementVersion.objects.create(
        relationship=rel,
        number=99,
        frequency="monthly",
        mode="virtual",
        topics=f"{MARK} topics",
        outputs=f"{MARK} outputs",
        confidentiality=f"{MARK} confidentiality",
        duration=f"{MARK} duration",
        ending=f"{MARK} ending",
        saved_by=me,
        saved_at=now,
    )
    Meeting.objects.filter(arranged_by=me).update(
        agenda=f"{MARK} agenda", location=f"{MARK} room", video_link="https://meet.example/qzmark"
    )
    Meeting.objects.filter(relationship=rel).exclude(arranged_by=me).exclude(logged_by=me).update(
        shared_notes=f"Talked with {name} about her grant"
    )
    PrivateNote.objects.create(relationship=rel, author=her, body=f"{MARK} private note")
    mentor_member = Membership.objects.filter(relationship=rel).exclude(participant=me).first()
    PrivateNote.objects.create(
        relationship=rel, author=mentor_member.participant.user, body=f"{email} seemed tired"
    )
    goal = Goal.objects.create(
        relationship=rel,
        owner=me,
        title=f"{MARK} goal",
        detail=f"{MARK} detail",
        target_date=now.date(),
    )
    GoalReview.objects.create(
        goal=goal, by=me, status=goal.status, progress=10, note=f"{MARK} review", at=now
    )
    Milestone.objects.create(
        participant=me,
        relationship=rel,
        kind="grant",
        title=f"{MARK} milestone",
        achieved_on=now.date(),
    )
    SponsorshipAct.objects.create(
        relationship=rel,
        mentor=me,
        mentee=other,
        kind="nomination",
        description=f"{MARK} sponsorship",
        on_date=now.date(),
    )
    CheckIn.objects.create(
        relationship=rel, participant=me, number=9, due_on=now.date(), sent_at=now
    )
    # training: her calendar feed, a session she hosts
    feed.issue(her, actor=her)
    session = Session.objects.filter(scheme=scheme).order_by("pk").first()
    Session.objects.filter(pk=session.pk).update(host_name=name)
    # evaluation: an anonymous answer naming her, a CSV of responses naming her
    response = Response.objects.filter(questionnaire__scheme=scheme).first()
    Answer.objects.create(response=response, item="improve", text=f"More time with {name}")
    ResponseImport.objects.create(
        scheme=scheme, created_by=coordinator, code="x", text=f"id,comment\n1,{name} helped\n"
    )
    # staff: an invitation to her address; sso: her link to an identity provider
    staff.invite(scheme, email=email, full_name=name, role="evaluator", actor=coordinator)
    provider = IdentityProvider.objects.create(institution=me.institution, protocol="oidc")
    ExternalIdentity.objects.create(provider=provider, user=her, subject=f"{MARK}-subject")
    # safeguarding: a concern she raised (her name in it), a case about her, a leaving reason
    case, _ = sg.raise_concern(
        her, scheme, sg.Concern("wellbeing", f"{KEEP} I, {name}, was shouted at", "talk")
    )
    sg.reporter_message(case, f"{KEEP} more, from {email}")
    sg.raise_concern(
        mentor.user,
        scheme,
        sg.Concern("boundaries", f"{KEEP} about {name}", "record", subject=her),
    )
    LeavingReason.objects.create(relationship=rel, participant=me, reason=f"{MARK} why I left")
    # core: an email to her, one to someone else naming her with an invitation attached, an
    # audit event naming her, a task carrying her address
    for to, body in ((email, f"{MARK} to her"), ("someone@example.org", f"Meet {name}")):
        OutgoingEmail.objects.create(
            key=f"test:{to}",
            created_at=now,
            next_attempt_at=now + timedelta(days=1),
            template="test",
            to=to,
            subject=body,
            text=body,
            html=body,
            attachments=[
                [
                    "invite.ics",
                    base64.b64encode(f"ATTENDEE:{email}".encode()).decode(),
                    "text/calendar",
                ]
            ],
        )
    audit.record("test.named", her, actor=coordinator, title=f"About {name}")
    # back office: a reminder she was sent (the row holds no text: only that she was reminded)
    from equimentor.backoffice.models import Nudge

    Nudge.objects.create(scheme=scheme, participant=me, kind=Nudge.Kind.MEET_AGAIN)
    DBTaskResult.objects.create(
        args_kwargs={"args": [email], "kwargs": {}},
        task_path="equimentor.accounts.tasks.email_sign_in_link",
        backend_name="default",
        run_after=now,
        exception_class_path="",
        traceback="",
        status="SUCCESSFUL",
    )
    return her, (email.lower(), name.lower(), MARK)


def _text(value) -> str:
    import base64
    import json

    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "ignore")
    if isinstance(value, dict | list):
        parts = [json.dumps(value, ensure_ascii=False)]

        def walk(v):  # base64 in JSON (attachments)
            if isinstance(v, str) and len(v) >= 16:
                try:
                    parts.append(base64.b64decode(v, validate=True).decode("utf-8"))
                except ValueError:  # not base64, or not UTF-8 text
                    pass
            elif isinstance(v, list | tuple):
                for x in v:
                    walk(x)
            elif isinstance(v, dict):
                for x in v.values():
                    walk(x)

        walk(value)
        return "\n".join(parts)
    return str(value)


def find(needles) -> set[tuple[str, str, object]]:
    """(model, field, pk) of every value in the database holding one of ``needles``, read row by
    row from every table (not through the export)."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, PERSONAL_TYPES) and not f.primary_key
        ]
        if not fields:
            continue
        for row in model.objects.values_list("pk", *fields).iterator():
            for name, value in zip(fields, row[1:], strict=True):
                text = _text(value).lower()
                for needle in needles:
                    if needle in text:
                        found.add((model._meta.label, name, row[0]))
    return found


def _cases_about(user) -> tuple[set, set]:
    from equimentor.safeguarding.models import Case, CaseEntry

    cases = set(Case.objects.filter(subject=user).values_list("pk", flat=True))
    entries = set(CaseEntry.objects.filter(case__in=cases).values_list("pk", flat=True))
    return cases, entries


def _allowed(found, cases, entries) -> set:
    """Policy keeps a safeguarding case about her as it is (``safeguarding.shredders``)."""
    return {
        hit
        for hit in found
        if not (
            (hit[0] == "safeguarding.Case" and hit[1] == "what_happened" and hit[2] in cases)
            or (hit[0] == "safeguarding.CaseEntry" and hit[1] == "body" and hit[2] in entries)
        )
    }


def _erase(her):
    from django.test import TestCase

    from equimentor.privacy import services

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.erase_person(her, actor=None)


def test_nothing_of_her_is_left_in_the_database(db, seeded_demo):
    from equimentor.safeguarding.models import Case

    her, needles = _populate(seeded_demo)
    before = find(needles)
    # she is everywhere: a row naming her in every app that holds people's data
    apps_before = {label.split(".")[0] for label, _f, _pk in before}
    assert apps_before >= {
        "core",
        "accounts",
        "axes",
        "otp_totp",
        "enrolment",
        "identity",
        "directory",
        "matching",
        "relationships",
        "training",
        "evaluation",
        "staff",
        "sso",
        "safeguarding",
        "django_tasks_database",
    }, apps_before
    cases, entries = _cases_about(her)
    _erase(her)
    assert _allowed(find(needles), cases, entries) == set()
    for app, model, lookup in LINKS_ONLY.values():  # rows that only linked to her are gone
        from django.apps import apps

        assert not apps.get_model(app, model).objects.filter(**{lookup: her}).exists()
    # what policy keeps is kept: the account of what happened, without her name
    raised = Case.objects.get(what_happened__startswith=KEEP, subject=None)
    assert raised.reporter is None and "(erased)" in raised.what_happened


DECLARES_ONLY = {"schemes", "reports"}  # nothing of theirs is erased: they say why it is kept
# rows that hold no text of hers, only that something concerned her (what is left is a link)
LINKS_ONLY = {
    "backoffice": ("backoffice", "Nudge", "participant__user"),
    "api_tasks": ("api", "APITask", "created_by"),
}


@pytest.mark.parametrize("name", [s.name for s in erasure.shredders()])
def test_each_shredder_is_needed(name, db, seeded_demo):
    """Without any one app's shredder, the walk finds its fields undeclared and (unless it only
    keeps) the erased person's details are left in its tables."""
    with erasure.without(name) as shredder:
        assert undeclared(), name
        if name in DECLARES_ONLY:
            assert shredder.erase(None) == 0
            return
        her, needles = _populate(seeded_demo)
        if name in LINKS_ONLY:
            from django.apps import apps

            app, model, lookup = LINKS_ONLY[name]
            rows = apps.get_model(app, model).objects.filter(**{lookup: her})
            _erase(her)
            assert rows.exists(), name  # left behind without it
            return
        cases, entries = _cases_about(her)
        _erase(her)
        left = _allowed(find(needles), cases, entries)
    owned = {c.model._meta.label for c in shredder.covers}
    assert left and {label for label, _f, _pk in left} <= owned, left


def test_shredders_run_in_order_in_one_transaction(db, bob):
    """The account goes last (others find her by address), and a shredder failing midway leaves
    everything as it was: no answer erased, no audit event of an erasure."""
    from equimentor.core.models import AuditEvent
    from equimentor.identity.models import IdentityAnswer
    from equimentor.privacy import services

    names = [s.name for s in erasure.shredders()]
    assert names[-1] == "account" and names.index("identity") < names.index("audit")
    answers = IdentityAnswer.objects.filter(participant__user=bob).count()
    assert answers

    def fails(person):
        raise RuntimeError("midway")

    erasure.register(erasure.Shredder(name="fails", order=99, covers=(), erase=fails))
    try:
        with pytest.raises(RuntimeError):
            services.erase_person(bob, actor=None)
    finally:
        erasure.unregister("fails")
    bob.refresh_from_db()
    assert bob.email == "bob@example.org" and bob.is_active
    assert IdentityAnswer.objects.filter(participant__user=bob).count() == answers
    assert not AuditEvent.objects.filter(action="privacy.person.erased").exists()
    assert "fails" not in [s.name for s in erasure.shredders()]
