"""Generated reports data: one scheme with participants in every state, for the reports' tests
and benchmark.

``generate(n_people, n_rels, seed=7)`` writes, with ``bulk_create`` in batches of 5,000,
participants across 40 institutions and 6 career stages (about 80% consenting to identity
reports, with answers in 2–3 dimensions), expressions of interest, accepted and declined
proposals, relationships in every state with close reasons, memberships, sponsorship acts and
milestones. It returns ``(scheme, coordinator, number of expressions of interest)``.
"""

from __future__ import annotations

import random
from datetime import timedelta

BATCH = 5000


def generate(n_people: int, n_rels: int, seed: int = 7):
    from django.utils import timezone

    from equimentor.accounts.models import User
    from equimentor.enrolment.models import Consent, ExpressionOfInterest, Participant
    from equimentor.identity.models import IdentityAnswer
    from equimentor.matching.models import Proposal, Via
    from equimentor.relationships.models import (
        Membership,
        Milestone,
        Relationship,
        SponsorshipAct,
    )
    from equimentor.schemes.models import Institution, StaffRole
    from tests import factories

    rng = random.Random(seed)
    now = timezone.now()
    scheme = factories.make_scheme(slug="bench", different_institutions=True)
    privacy = scheme.current_documents()["privacy_notice"]
    coordinator = User.objects.create_user("coordinator@bench.example", full_name="Coordinator")
    StaffRole.objects.create(user=coordinator, scheme=scheme, role="coordinator")
    institutions = Institution.objects.bulk_create(
        [Institution(name=f"University {i:02d}") for i in range(40)]
    )

    def bulk(model, objs):
        out = []
        for i in range(0, len(objs), BATCH):
            out += model.objects.bulk_create(objs[i : i + BATCH])
        return out

    eois = bulk(
        ExpressionOfInterest,
        [
            ExpressionOfInterest(
                scheme=scheme,
                email=f"e{i}@bench.example",
                name=f"Person {i}",
                institution=institutions[i % 40],
                declared_eligible=rng.random() < 0.9,
            )
            for i in range(int(n_people * 1.3))
        ],
    )
    users = bulk(
        User,
        [User(email=f"p{i}@bench.example", full_name=f"Person {i:06d}") for i in range(n_people)],
    )
    statuses = ["approved"] * 8 + ["registered", "withdrawn"]
    people = bulk(
        Participant,
        [
            Participant(
                user=u,
                scheme=scheme,
                status=rng.choice(statuses),
                is_mentor=i % 3 == 0,
                is_mentee=i % 3 != 0,
                job_title="Lecturer",
                career_stage=rng.randrange(6),
                pathway="clinical" if i % 2 else "non_clinical",
                institution=institutions[rng.randrange(40)],
                department="Public Health",
                research_interests="health services research",
                career_summary="Years.",
                mentor_capacity=1 + i % 4 if i % 3 == 0 else None,
                registered_at=now - timedelta(days=rng.randrange(30, 900)),
            )
            for i, u in enumerate(users)
        ],
    )
    consents, answers = [], []
    dims = {
        "ethnicity": ["asian", "black", "mixed", "arab", "white", "other", "prefer_not_to_say"],
        "gender": ["woman", "man", "non_binary", "prefer_not_to_say"],
        "disability": ["yes", "no", "prefer_not_to_say"],
    }
    for p in people:
        if rng.random() < 0.8:
            consents.append(
                Consent(participant=p, purpose="identity_reports", document=privacy, given_at=now)
            )
            chosen = rng.sample(list(dims), rng.choice([2, 3]))
            for d in chosen:
                answers.append(
                    IdentityAnswer(participant=p, dimension=d, value=rng.choice(dims[d]))
                )
    bulk(Consent, consents)
    bulk(IdentityAnswer, answers)

    mentors = [p for p in people if p.is_mentor and p.status == "approved"]
    mentees = [p for p in people if p.is_mentee and p.status == "approved"]
    rng.shuffle(mentees)
    matched = mentees[:n_rels]
    proposals = []
    for i, m in enumerate(matched):
        via = Via.CHOICE if i % 5 else Via.FALLBACK
        decided = m.registered_at + timedelta(days=rng.randrange(5, 120))
        proposals.append(
            Proposal(
                scheme=scheme,
                mentee=m,
                mentor=mentors[i % len(mentors)],
                via=via,
                choice_rank=rng.choice([1, 1, 1, 2, 2, 3]) if via == Via.CHOICE else None,
                status="accepted",
                proposed_at=decided - timedelta(days=3),
                decided_at=decided,
            )
        )
    for i, m in enumerate(mentees[n_rels : n_rels + n_rels // 5]):
        proposals.append(
            Proposal(
                scheme=scheme,
                mentee=m,
                mentor=mentors[i % len(mentors)],
                via=Via.CHOICE,
                choice_rank=1,
                status="declined",
                proposed_at=now - timedelta(days=10),
                decided_at=now - timedelta(days=8),
            )
        )
    proposals = bulk(Proposal, proposals)
    states = ["accepted", "trial", "active", "active", "paused", "extended", "closed", "closed"]
    reasons = [r.value for r in Relationship.CloseReason]
    rels = []
    for p in proposals[:n_rels]:
        state = rng.choice(states)
        started = p.decided_at
        closed = state == "closed"
        rels.append(
            Relationship(
                scheme=scheme,
                state=state,
                proposal=p,
                started_at=started,
                start_date=started.date(),
                end_date=(started + timedelta(days=365)).date(),
                original_end_date=(started + timedelta(days=365)).date(),
                extended_count=1 if state == "extended" else 0,
                activated_at=None if state == "accepted" else started + timedelta(days=14),
                closed_at=started + timedelta(days=rng.randrange(30, 400)) if closed else None,
                close_reason=rng.choice(reasons) if closed else "",
                last_activity_at=now,
            )
        )
    rels = bulk(Relationship, rels)
    members, acts, milestones = [], [], []
    for r, p in zip(rels, proposals, strict=False):
        members.append(
            Membership(relationship=r, participant=p.mentor, side="mentor", joined_at=r.started_at)
        )
        members.append(
            Membership(relationship=r, participant=p.mentee, side="mentee", joined_at=r.started_at)
        )
        if rng.random() < 0.2:
            acts.append(
                SponsorshipAct(
                    relationship=r,
                    mentor=p.mentor,
                    mentee=p.mentee,
                    kind="nomination",
                    on_date=r.start_date,
                )
            )
        if rng.random() < 0.15:
            milestones.append(
                Milestone(
                    participant=p.mentee,
                    relationship=r,
                    kind=rng.choice(["promotion", "grant", "fellowship", "publication"]),
                    title="Milestone",
                    achieved_on=r.start_date,
                )
            )
    bulk(Membership, members)
    bulk(SponsorshipAct, acts)
    bulk(Milestone, milestones)
    return scheme, coordinator, len(eois)
