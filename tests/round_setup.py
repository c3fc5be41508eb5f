"""A scheme with a matching round ready to publish, at any size, on whatever database Django uses.

People are bulk-created (approved mentors with one place each, and as many mentees, across 40
institutions, each mentee ranking three mentors at other institutions, as AIMMS mentees did); the
round is opened and its choices closed through the real services, so its dry run, pairs and
reasons come from the matching engine. Shared by benchmarks/bench_publish.py and, through tests/scale_out_proof.py,
benchmarks/scale_out.py and tests/test_scale_out.py.
"""

from __future__ import annotations

WORDS = [
    "maternal health",
    "genomics",
    "stroke",
    "health services research",
    "global health",
    "diabetes",
]


def ready_round(slug: str, mentees: int):
    """(scheme, round, coordinator) with a closed round whose dry run matches every mentee."""
    from equimentor.accounts.models import User
    from equimentor.directory.models import Choice
    from equimentor.enrolment.models import Participant
    from equimentor.matching import services
    from equimentor.schemes.models import Institution, StaffRole
    from tests import factories

    scheme = factories.make_scheme(name=f"Scheme {slug}", slug=slug, different_institutions=True)
    coordinator = User.objects.create_user(f"coordinator@{slug}.example", full_name="Coordinator")
    StaffRole.objects.create(user=coordinator, scheme=scheme, role="coordinator")
    institutions = Institution.objects.bulk_create(
        [Institution(name=f"{slug} University {i}") for i in range(40)]
    )
    users = User.objects.bulk_create(
        [
            User(email=f"{side}{i}@{slug}.example", full_name=f"{side.title()} {i:05d}")
            for side in ("mentor", "mentee")
            for i in range(mentees)
        ],
        batch_size=2000,
    )
    Participant.objects.bulk_create(
        [
            Participant(
                user=user,
                scheme=scheme,
                status="approved",
                is_mentor=i < mentees,
                is_mentee=i >= mentees,
                job_title="Reader" if i < mentees else "Lecturer",
                career_stage=4 if i < mentees else 1,
                pathway="clinical" if i % 2 else "non_clinical",
                institution=institutions[(i if i < mentees else i + 20) % 40],
                department=["Cardiology", "Public Health", "Surgery"][i % 3],
                research_interests=f"{WORDS[i % 6]}; {WORDS[(i * 7) % 6]}",
                career_summary="Many years.",
                offers="Grant writing" if i < mentees else "",
                seeks="" if i < mentees else "Fellowship advice",
                mentor_capacity=1 if i < mentees else None,
            )
            for i, user in enumerate(users)
        ],
        batch_size=2000,
    )
    people = list(
        Participant.objects.filter(scheme=scheme)
        .order_by("user__email")
        .values_list("pk", "user__email")
    )
    by_email = dict((email, pk) for pk, email in people)
    Choice.objects.bulk_create(
        [
            Choice(
                mentee_id=by_email[f"mentee{i}@{slug}.example"],
                mentor_id=by_email[f"mentor{(i + k) % mentees}@{slug}.example"],
                rank=k,
            )
            for i in range(mentees)
            for k in (1, 2, 3)
            if mentees > 3
        ],
        batch_size=5000,
    )
    matching_round = services.open_round(scheme, actor=coordinator)
    services.close_choices(matching_round, actor=coordinator)
    matching_round.refresh_from_db()
    return scheme, matching_round, coordinator
