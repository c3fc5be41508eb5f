"""Helpers shared by the directory tests (no tests here).

Mentors and mentees are made through the real enrolment services (so approval creates the
listing); ``bulk_mentors`` makes many listed mentors quickly for the page-size tests.
"""

from __future__ import annotations

import itertools

from equimentor.accounts.models import User
from equimentor.directory import ordering
from equimentor.directory.models import MentorListing
from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.identity.services import Answer
from equimentor.matching.models import MatchingRound, Proposal
from equimentor.schemes.models import Institution, Scheme
from tests import factories

_seq = itertools.count(1)


def mentor(scheme: Scheme, coordinator, *, institution=None, capacity: int = 2, **overrides):
    """An approved mentor of ``scheme`` (listed in its directory)."""
    profile = overrides.pop("profile", {})
    p = factories.register_participant(
        scheme,
        f"mentor{next(_seq)}@example.org",
        role=overrides.pop("role", "mentor"),
        approve_by=coordinator,
        institution=institution,
        **overrides,
    )
    if profile or capacity != 2:
        Participant.objects.filter(pk=p.pk).update(mentor_capacity=capacity, **profile)
        p.refresh_from_db()
    return p


def mentee(scheme: Scheme, coordinator, *, institution=None, **overrides):
    """An approved mentee of ``scheme``."""
    return factories.register_participant(
        scheme,
        f"mentee{next(_seq)}@example.org",
        role=overrides.pop("role", "mentee"),
        approve_by=coordinator,
        institution=institution,
        **overrides,
    )


def no_identity(**extra):
    """Registration overrides: no identity answers, no identity consent."""
    return {
        "identity_answers": {},
        "identity_uses": {
            Consent.Purpose.IDENTITY_MATCHING: False,
            Consent.Purpose.IDENTITY_REPORTS: False,
        },
        **extra,
    }


def shown_identity(value="black", words="Nigerian British"):
    """Registration overrides: an ethnicity answer the mentor shows on her profile."""
    return {"identity_answers": {"ethnicity": Answer(value, words, True)}}


def open_round(scheme: Scheme, status=MatchingRound.Status.COLLECTING) -> MatchingRound:
    return MatchingRound.objects.create(scheme=scheme, name="Spring round", status=status)


def fill(mentor_p: Participant, n: int = 1) -> None:
    """Give a mentor ``n`` proposals waiting for replies (each takes one of her places)."""
    from django.utils import timezone

    for _ in range(n):
        other = factories.register_participant(
            mentor_p.scheme, f"filler{next(_seq)}@example.org", role="mentee"
        )
        Proposal.objects.create(
            scheme=mentor_p.scheme,
            mentee=other,
            mentor=mentor_p,
            via="choice",
            status=Proposal.Status.PROPOSED,
            proposed_at=timezone.now(),
        )


def bulk_mentors(
    scheme: Scheme, n: int, *, institution: Institution | None = None, with_identity=False
):
    """``n`` approved, listed mentors made with ``bulk_create`` (a few queries in all)."""
    institution = institution or factories.InstitutionFactory()
    start = next(_seq) * 100_000
    users = User.objects.bulk_create(
        [
            User(email=f"bulk{start + i}@example.org", full_name=f"Bulk Mentor {start + i:07d}")
            for i in range(n)
        ]
    )
    people = Participant.objects.bulk_create(
        [
            Participant(
                user=u,
                scheme=scheme,
                status=Participant.Status.APPROVED,
                is_mentor=True,
                job_title="Reader",
                career_stage=i % len(scheme.career_stages),
                pathway="clinical" if i % 2 else "non_clinical",
                institution=institution,
                department="Cardiology" if i % 3 else "Public Health",
                research_interests="maternal health; genomics" if i % 4 else "stroke",
                career_summary="Many years.",
                offers="Grant writing",
                mentor_capacity=2,
            )
            for i, u in enumerate(users)
        ]
    )
    MentorListing.objects.bulk_create([MentorListing(participant=p) for p in people])
    ordering.changed(scheme.pk)  # bulk_create sends no signal: as the product's bulk writes do
    if with_identity:
        privacy = scheme.current_documents()["privacy_notice"]
        Consent.objects.bulk_create(
            [
                Consent(
                    participant=p,
                    purpose=Consent.Purpose.IDENTITY_MATCHING,
                    document=privacy,
                )
                for p in people
            ]
        )
        IdentityAnswer.objects.bulk_create(
            [
                IdentityAnswer(
                    participant=p,
                    dimension="ethnicity",
                    value="asian",
                    self_description="British Indian",
                    show_on_profile=True,
                )
                for p in people
            ]
        )
    return people
