"""Test data made through the real models and services (factory_boy for plain rows)."""

from __future__ import annotations

import re

import factory
import pytest
from django.core import mail
from django.urls import reverse

from equimentor.accounts.models import User
from equimentor.demo.documents import DOCUMENTS
from equimentor.enrolment import services
from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.services import Answer
from equimentor.schemes.models import Institution, Scheme, SchemeDocument, StaffRole


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"University of Testshire {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("correct horse battery")


class SchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme

    name = factory.Sequence(lambda n: f"Scheme {n}")
    slug = factory.Sequence(lambda n: f"scheme-{n}")
    summary = "A test scheme."
    eligibility_statements = ["I work in academic medicine.", "I am not a student."]
    identity_dimensions = ["ethnicity", "gender", "disability"]
    is_open = True


def publish_documents(scheme: Scheme, version: int = 1) -> dict[str, SchemeDocument]:
    docs = {}
    for kind, (title, body) in DOCUMENTS.items():
        doc = SchemeDocument.objects.create(
            scheme=scheme, kind=kind, version=version, title=title, body=body
        )
        doc.publish()
        docs[kind] = doc
    return docs


def make_scheme(**kwargs) -> Scheme:
    scheme = SchemeFactory(**kwargs)
    publish_documents(scheme)
    return scheme


def make_staff(scheme: Scheme, role: str = "coordinator", **user_kwargs) -> User:
    user = UserFactory(**user_kwargs)
    StaffRole.objects.create(user=user, scheme=scheme, role=role)
    return user


def scheme_a() -> Scheme:
    """The personas' scheme A (tests/conftest.py), which alice coordinates."""
    return make_scheme(name="Scheme A", slug="scheme-a", contact_email="a@example.org")


def alice(scheme: Scheme) -> User:
    """The personas' alice, coordinator of scheme A (tests/conftest.py)."""
    return make_staff(
        scheme, "coordinator", email="alice@example.org", full_name="Alice Coordinator"
    )


def registration_data(
    scheme: Scheme, institution: Institution, *, role: str = "mentee", **overrides
):
    docs = scheme.current_documents()
    data = services.Registration(
        full_name="Amina Test",
        role=role,
        profile={
            "job_title": "Lecturer",
            "career_stage": 2,
            "pathway": "clinical",
            "institution": institution,
            "department": "Public Health",
            "research_interests": "health services research; maternal health",
            "career_summary": "Ten years in public health.",
            "offers": "Grant writing" if role != "mentee" else "",
            "seeks": "Fellowship advice" if role != "mentor" else "",
            "mentor_capacity": 2 if role != "mentee" else None,
            "meeting_mode": "virtual",
            "meeting_notes": "",
        },
        consents={p: True for p in (*Consent.REQUIRED, Consent.Purpose.EVALUATION)},
        documents_shown={kind: doc.pk for kind, doc in docs.items()},
        identity_answers={"ethnicity": Answer("asian", "British Bangladeshi")},
        identity_uses={
            Consent.Purpose.IDENTITY_MATCHING: True,
            Consent.Purpose.IDENTITY_REPORTS: True,
        },
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def register_participant(
    scheme: Scheme,
    email: str,
    *,
    role: str = "mentee",
    approve_by=None,
    institution: Institution | None = None,
    **overrides,
) -> Participant:
    """Express interest and register through the real services."""
    institution = institution or InstitutionFactory()
    services.express_interest(
        scheme, name="Amina Test", email=email, institution=institution, declared_eligible=True
    )
    from equimentor.enrolment.models import RegistrationInvite
    from equimentor.lib.tokens import new_token

    invite = RegistrationInvite.objects.filter(
        expression__email=email, expression__scheme=scheme
    ).latest("id")
    raw, hashed = new_token()  # replace the emailed token with one the test knows
    invite.token_hash = hashed
    invite.save(update_fields=["token_hash"])
    participant = services.register(
        raw, registration_data(scheme, institution, role=role, **overrides)
    )
    if approve_by is not None:
        participant = services.approve(participant, actor=approve_by)
    return participant


def approved_mentee(
    scheme: Scheme,
    coordinator,
    email: str,
    ethnicity: str,
    *,
    stage: int,
    interests: str,
    matching: bool = True,
) -> Participant:
    """An approved mentee at an institution of her own, whose ethnicity answer (none when
    ``ethnicity`` is empty) counts in equity reports, and in matching when ``matching``."""
    p = register_participant(
        scheme,
        email,
        role="mentee",
        institution=InstitutionFactory(),
        approve_by=coordinator,
        identity_answers={"ethnicity": Answer(ethnicity)} if ethnicity else {},
        identity_uses={
            Consent.Purpose.IDENTITY_MATCHING: matching,
            Consent.Purpose.IDENTITY_REPORTS: True,
        },
    )
    p.career_stage = stage
    p.research_interests = interests
    p.save(update_fields=["career_stage", "research_interests"])
    return p


def approved_mentor(
    scheme: Scheme, coordinator, email: str, *, capacity: int, interests: str
) -> Participant:
    """An approved mentor at career stage 4, at an institution of her own, with ``capacity``
    places."""
    p = register_participant(
        scheme, email, role="mentor", institution=InstitutionFactory(), approve_by=coordinator
    )
    p.career_stage = 4
    p.mentor_capacity = capacity
    p.research_interests = interests
    p.save(update_fields=["career_stage", "mentor_capacity", "research_interests"])
    return p


def welcome_link(client, scheme, capture, email="dana@example.org", **where) -> str:
    """Dana expresses interest in ``scheme`` (``where``: ``institution=<pk>`` or
    ``institution_other=<text>``) through its page; the path of the registration link her
    welcome email carries. ``capture``: ``django_capture_on_commit_callbacks``."""
    with capture(execute=True):
        client.post(
            reverse("schemes:detail", args=[scheme.slug]),
            {"name": "Dana Applicant", "email": email, "eligible_0": "on", "eligible_1": "on"}
            | where,
        )
    body = mail.outbox[-1].body
    return re.search(r"https?://[^\s]+/me/register/[^\s]+/", body).group(0).split("8000", 1)[-1]


def registration_form(scheme, institution, **overrides):
    """The registration page's fields for a mentee, as a browser posts them (``None`` drops one)."""
    docs = scheme.current_documents()
    data = {
        "full_name": "Dana Applicant",
        "role": "mentee",
        "job_title": "Clinical lecturer",
        "career_stage": "2",
        "pathway": "clinical",
        "institution": institution.pk,
        "department": "Paediatrics",
        "research_interests": "child development; global health",
        "career_summary": "Eight years.",
        "offers": "",
        "seeks": "Advice on fellowships.",
        "mentor_capacity": "",
        "meeting_mode": "virtual",
        "meeting_notes": "",
        "privacy": "on",
        "participation": "on",
        "code_of_conduct": "on",
        "confidentiality": "on",
        "evaluation": "",
        "id_ethnicity": "black",
        "id_ethnicity_text": "Black British Caribbean",
        "id_gender": "prefer_not_to_say",
        "id_disability": "",
        "use_matching": "on",
        "use_reports": "",
        **{f"doc_{kind}": doc.pk for kind, doc in docs.items()},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# The scheme settings form's matching weights, as a browser posts them.
MATCHING_WEIGHTS_FORM = {
    "weight_seniority": "1",
    "weight_interests": "2",
    "weight_shared": "1",
    "weight_pathway": "1",
}


def rows_as(*names: str) -> list:
    """Fixtures named ``names`` for a module that shares rows (``make_rows``, ``module_rows`` in
    tests/conftest.py): the parts of this test's copy of them (``rows``) in order, or the whole
    when one name is given. ``scheme_a, alice, cohort = rows_as("scheme_a", "alice", "cohort")``."""

    def part(name: str, i: int | None):
        @pytest.fixture(name=name)
        def fixture(rows):
            return rows if i is None else rows[i]

        return fixture

    if len(names) == 1:
        return [part(names[0], None)]
    return [part(name, i) for i, name in enumerate(names)]
