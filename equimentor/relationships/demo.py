"""Demo relationship history, made through the real services and then moved into the past.

The relationships are the ones the demo's accepted round-1 proposals started. Most have held their
first meetings and confirmed their agreement (trial or active); a few are still to meet, a couple
are paused, one closed after a no-fault step-away, one closed with its goals met, and one is flagged
by a low check-in. Sponsorship is deliberately uneven between groups of mentees, so the equity
report has something to find. Deterministic with the given ``rng``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from equimentor.enrolment.models import Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.relationships import services
from equimentor.relationships.models import (
    AgreementConfirmation,
    AgreementVersion,
    CheckIn,
    Flag,
    Goal,
    GoalReview,
    Meeting,
    Membership,
    Relationship,
)
from equimentor.relationships.queries import mentees_in_open_one_to_one

TZ = "Europe/London"
AGENDAS = [
    "Fellowship application: the case for support",
    "Preparing for the promotion panel",
    "Balancing clinical work and research time",
    "First senior-author paper: plan and co-authors",
    "Building a network outside my institution",
    "Negotiating protected research time",
    "Leading a team for the first time",
]
NOTES = [
    "Agreed a timeline working back from the deadline; draft of the aims by next time.",
    "Talked through the panel's criteria and where the evidence is thin.",
    "Mapped where the week goes; one protected research morning to try.",
    "Listed three people to approach for co-authorship and an introduction.",
    "Shared experiences of being the only one in the room; two networks to join.",
]
GOALS = [
    ("Submit a fellowship application", "A complete application submitted before the deadline."),
    ("Publish as senior author", "A paper submitted with me as senior author."),
    ("Prepare my promotion case", "A draft case my head of department has read."),
    ("Secure protected research time", "One day a week agreed in my job plan."),
    ("Present at a national meeting", "An abstract accepted for a talk."),
    ("Build my external network", "Three new collaborators outside my institution."),
]
MILESTONES = [
    ("grant", "Pump-priming grant awarded"),
    ("publication", "Paper accepted in a specialty journal"),
    ("fellowship", "Shortlisted for a clinical lectureship"),
    ("promotion", "Promoted to senior lecturer"),
    ("new_role", "Appointed deputy programme lead"),
]
SPONSORSHIP = [
    ("introduction", "Introduced her to a collaborator at another medical school"),
    ("speaking", "Put her name forward to speak at a regional meeting"),
    ("nomination", "Nominated her for an early-career award"),
    ("letter", "Wrote a letter of support for her fellowship application"),
    ("coauthorship", "Invited her to co-author a review"),
]
# Mentees whose broad ethnicity answer is "black" are sponsored less often in the demo: a gap of
# the kind the equity report exists to show.
SPONSOR_CHANCE = {"black": 0.15}
SPONSOR_DEFAULT = 0.6


def _member(rel: Relationship, side: str) -> Membership:
    return next(m for m in rel.memberships.select_related("participant__user") if m.side == side)


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0))


def _schedule(rel, member, day: date, hour: int, rng: random.Random) -> Meeting:
    return services.schedule_meeting(
        rel,
        member,
        services.MeetingPlan(
            local_start=_local(day, hour),
            time_zone=TZ,
            duration_minutes=rng.choice([45, 60, 60, 90]),
            video_link="https://video.demo.equimentor.org/" + f"r{rel.pk}",
        ),
        actor=member.participant.user,
    )


def _hold(rel, mentor, mentee, day: date, rng: random.Random, *, reviews=None) -> Meeting:
    """A past meeting, arranged and logged by one of them (the mentee brings the agenda mostly)."""
    arranger = rng.choice([mentor, mentee])
    meeting = _schedule(rel, arranger, day, rng.choice([9, 10, 12, 14, 16]), rng)
    services.log_meeting(
        meeting,
        rng.choice([mentor, mentee]),
        happened=True,
        actual_minutes=meeting.duration_minutes - rng.choice([0, 5, 10, 15]),
        agenda=rng.choice(AGENDAS),
        agenda_by=rng.choices(["mentee", "both", "mentor"], [75, 18, 7])[0],
        shared_notes=rng.choice(NOTES),
        actions="Next steps agreed; see you at the next meeting.",
        reviews=reviews,
        actor=arranger.participant.user,
    )
    return meeting


def _agree(rel, mentor, mentee) -> None:
    version = services.save_agreement(
        rel, mentee, services.default_agreement(rel), actor=mentee.participant.user
    )
    for m in (mentee, mentor):
        services.confirm_agreement(rel, m, version, actor=m.participant.user)


def _set_dates(rel: Relationship, start: datetime, months: int) -> None:
    """Move a relationship (and its members' joining) to when it really started."""
    start_date = timezone.localdate(start)
    end = services.add_months(start_date, months)
    Relationship.objects.filter(pk=rel.pk).update(
        started_at=start, start_date=start_date, end_date=end, original_end_date=end
    )
    Membership.objects.filter(relationship=rel).update(joined_at=start)


def _backdate(rel: Relationship, start: datetime) -> None:
    """Make the rest of the record agree with the meetings' real (past) times."""
    held = list(rel.meetings.filter(status=Meeting.Status.HELD).order_by("starts_at"))
    for m in rel.meetings.all():
        created = min(m.starts_at, timezone.now()) - timedelta(days=3)
        Meeting.objects.filter(pk=m.pk).update(
            created_at=max(created, start),
            logged_at=m.starts_at + timedelta(hours=3) if m.logged_at else None,
        )
    if not held:
        Relationship.objects.filter(pk=rel.pk).update(last_activity_at=start + timedelta(hours=2))
        return
    first, last = held[0], held[-1]
    after_first = first.starts_at + timedelta(hours=5)
    AgreementVersion.objects.filter(relationship=rel).update(saved_at=after_first)
    AgreementConfirmation.objects.filter(version__relationship=rel).update(
        confirmed_at=after_first + timedelta(hours=4)
    )
    Membership.objects.filter(relationship=rel, trial_decided_at__isnull=False).update(
        trial_decided_at=after_first + timedelta(hours=6)
    )
    rel.refresh_from_db()
    if rel.activated_at:
        Relationship.objects.filter(pk=rel.pk).update(activated_at=after_first + timedelta(hours=6))
    Goal.objects.filter(relationship=rel).update(created_at=after_first)
    for review in GoalReview.objects.filter(goal__relationship=rel).select_related("meeting"):
        at = review.meeting.starts_at + timedelta(hours=3) if review.meeting else last.starts_at
        GoalReview.objects.filter(pk=review.pk).update(at=at)
    for goal in Goal.objects.filter(relationship=rel):
        latest = goal.reviews.order_by("-at").first()
        Goal.objects.filter(pk=goal.pk).update(last_reviewed_at=latest.at if latest else None)
    Relationship.objects.filter(pk=rel.pk).update(
        last_activity_at=last.starts_at + timedelta(hours=3)
    )


def _sponsor_chance(mentee: Participant) -> float:
    group = (
        IdentityAnswer.objects.filter(participant=mentee, dimension="ethnicity")
        .values_list("value", flat=True)
        .first()
    )
    return SPONSOR_CHANCE.get(group, SPONSOR_DEFAULT)


def _outcomes(rel, mentor, mentee, start: date, rng: random.Random) -> None:
    today = services.today()
    span = max((today - start).days, 1)
    if rng.random() < _sponsor_chance(mentee.participant):
        kind, text = rng.choice(SPONSORSHIP)
        services.record_sponsorship(
            rel,
            mentor,
            mentee=mentee.participant,
            kind=kind,
            description=text,
            on_date=start + timedelta(days=rng.randint(0, span)),
            actor=mentor.participant.user,
        )
    if rng.random() < 0.3:
        kind, title = rng.choice(MILESTONES)
        services.add_milestone(
            mentee.participant,
            kind=kind,
            title=title,
            achieved_on=start + timedelta(days=rng.randint(0, span)),
            relationship=rel,
            actor=mentee.participant.user,
        )


def _plan(ages: list[int], rng: random.Random) -> list[str]:
    """What becomes of each relationship, given how many days ago each started: the special
    endings go to relationships old enough to have met; the rest are mostly active."""
    fates = [
        rng.choices(["active", "trial", "accepted"], [70, 20, 10])[0] if age >= 4 else "accepted"
        for age in ages
    ]
    old = [i for i, age in enumerate(ages) if age >= 6]
    special = ["closed_step_away", "closed_goals_met", "flagged", "paused", "paused"]
    for i, fate in zip(rng.sample(old, min(len(old), len(special))), special, strict=False):
        fates[i] = fate
    return fates


def _meeting_days(start: date, count: int, today: date) -> list[date]:
    """``count`` past days after ``start``, spread out, the last before today."""
    span = (today - start).days - 1
    if span < 1:
        return []
    count = min(count, span)
    step = span / (count + 1)
    return [start + timedelta(days=max(1, round(step * (i + 1)))) for i in range(count)]


def _grow(
    rel, fate: str, rng: random.Random, *, meetings: int | None = None, upcoming: bool | None = None
) -> None:
    """Take one started relationship through the services to its demo state."""
    mentor, mentee = _member(rel, "mentor"), _member(rel, "mentee")
    start = rel.start_date
    today = services.today()
    wanted = meetings or (rng.randint(1, 4) if fate != "closed_step_away" else 1)
    days = _meeting_days(start, wanted, today)
    if fate == "accepted" or not days:
        _schedule(rel, mentee, today + timedelta(days=rng.randint(2, 12)), 10, rng)
        return
    _hold(rel, mentor, mentee, days[0], rng)
    if fate == "closed_step_away":
        leaver = rng.choice([mentor, mentee])
        services.trial_decision(rel, leaver, go_on=False, actor=leaver.participant.user)
        return
    _agree(rel, mentor, mentee)
    if fate != "trial":
        for m in (mentor, mentee):
            services.trial_decision(rel, m, go_on=True, actor=m.participant.user)
    goals = []
    for title, detail in rng.sample(GOALS, rng.randint(1, 3)):
        goals.append(
            services.add_goal(
                rel,
                mentee,
                title=title,
                detail=detail,
                target_date=services.add_months(today, rng.randint(2, 8)),
                actor=mentee.participant.user,
            )
        )
    progress = {g.pk: 0 for g in goals}
    for i, day in enumerate(days[1:], start=1):
        reviews = []
        for g in goals:
            progress[g.pk] = min(90, progress[g.pk] + rng.choice([10, 20, 25, 30]))
            reviews.append(
                services.GoalCheck(goal=g, status="in_progress", progress=progress[g.pk])
            )
        _hold(rel, mentor, mentee, day, rng, reviews=reviews if i == len(days) - 1 else None)
    if fate != "trial":
        _outcomes(rel, mentor, mentee, start, rng)
    if fate == "closed_goals_met":
        for g in goals:
            services.update_goal(
                g,
                mentee,
                services.GoalCheck(goal=g, status="achieved", progress=100),
                actor=mentee.participant.user,
            )
        services.close(rel, reason="goals_met", member=mentee, actor=mentee.participant.user)
    elif fate == "paused":
        services.pause(
            rel,
            reason=rng.choice(["parental_leave", "workload", "sick_leave"]),
            member=rng.choice([mentor, mentee]),
            actor=mentee.participant.user,
        )
    elif fate == "flagged":
        item, _ = CheckIn.objects.get_or_create(
            relationship=rel,
            participant=mentee.participant,
            number=1,
            defaults={"due_on": today, "sent_at": timezone.now()},
        )
        services.answer_check_in(
            item,
            mentee.participant.user,
            rating=2,
            wants_contact=False,
            actor=mentee.participant.user,
        )
    elif upcoming or (upcoming is None and rng.random() < 0.5):
        _schedule(
            rel, rng.choice([mentor, mentee]), today + timedelta(days=rng.randint(3, 20)), 14, rng
        )


def _close_and_pause_dates(rel: Relationship) -> None:
    rel.refresh_from_db()
    last = rel.last_activity_at
    if rel.state == Relationship.State.PAUSED:
        paused = timezone.localdate(last) + timedelta(days=1)
        Relationship.objects.filter(pk=rel.pk).update(paused_on=min(paused, services.today()))
    if rel.state == Relationship.State.CLOSED:
        Relationship.objects.filter(pk=rel.pk).update(closed_at=last)
        Membership.objects.filter(relationship=rel, left_at__isnull=False).update(left_at=last)
    Flag.objects.filter(relationship=rel).update(created_at=last)
    CheckIn.objects.filter(relationship=rel).update(sent_at=last - timedelta(days=2))
    CheckIn.objects.filter(relationship=rel, answered_at__isnull=False).update(answered_at=last)


def _demo_mentor_pair(scheme, rng: random.Random) -> Relationship | None:
    """An active one-to-one for the demo mentor if she has none, with a mentee free to take it."""
    mentor = Participant.objects.select_related("user").get(
        scheme=scheme, user__email__startswith="mentor@"
    )
    if Membership.objects.filter(
        participant=mentor, relationship__state__in=Relationship.OPEN_STATES
    ).exists():
        return None
    busy = set(mentees_in_open_one_to_one(scheme).values_list("participant_id", flat=True))
    candidates = (
        Participant.objects.filter(
            scheme=scheme, status=Participant.Status.APPROVED, is_mentee=True
        )
        .exclude(pk__in=busy)
        .exclude(pk=mentor.pk)
        .exclude(user__email__startswith="mentee@")
        .exclude(institution=mentor.institution)
        .exclude(proposals_as_mentee__status="proposed")
        .select_related("user")
        .order_by("pk")
    )
    for mentee in candidates[:20]:
        try:
            return services.lifecycle.create_checked(
                scheme,
                Relationship.Kind.ONE_TO_ONE,
                [
                    services.NewMember(mentor, Membership.Side.MENTOR),
                    services.NewMember(mentee, Membership.Side.MENTEE),
                ],
                actor=None,
            )
        except services.RelationshipError:
            continue
    return None


GROUP_NAME = "Fellowship writing group"


def _demo_group(scheme, rng: random.Random) -> Relationship | None:
    """A mentoring group: one mentor with free places and three mentees with no open
    relationship, its first meeting held three weeks ago and the next one booked, so the
    coordinator's, the mentor's and the mentees' group pages have something to show."""
    busy = set(
        Membership.objects.filter(
            relationship__scheme=scheme, relationship__state__in=Relationship.OPEN_STATES
        ).values_list("participant_id", flat=True)
    )
    approved = Participant.objects.filter(scheme=scheme, status=Participant.Status.APPROVED)
    demo_people = ("mentor@", "mentee@")
    free = (
        approved.exclude(pk__in=busy)
        .exclude(user__email__startswith=demo_people[0])
        .exclude(user__email__startswith=demo_people[1])
        .select_related("user")
        .order_by("pk")
    )
    mentors = [p for p in free if p.is_mentor and not p.is_mentee and p.mentor_capacity]
    mentees = [p for p in free if p.is_mentee and not p.is_mentor]
    for mentor in mentors:
        others = [m for m in mentees if m.institution_id != mentor.institution_id][:3]
        if len(others) < 3:
            continue
        try:
            rel = services.create_relationship(
                scheme,
                Relationship.Kind.GROUP,
                [services.NewMember(mentor, Membership.Side.MENTOR)]
                + [services.NewMember(m, Membership.Side.MENTEE) for m in others],
                actor=None,
                name=GROUP_NAME,
            )
        except services.RelationshipError:
            continue
        start = timezone.now() - timedelta(weeks=3)
        _set_dates(rel, start, scheme.relationship_months)
        rel.refresh_from_db()
        lead, first = _member(rel, "mentor"), _member(rel, "mentee")
        _hold(rel, lead, first, timezone.localdate(start) + timedelta(days=4), rng)
        _schedule(rel, lead, services.today() + timedelta(days=rng.randint(3, 10)), 17, rng)
        _backdate(rel, start)
        return rel
    return None


def seed_relationships(scheme, rng: random.Random) -> None:
    """Give the relationships the demo's accepted proposals started a realistic history."""
    if Meeting.objects.filter(relationship__scheme=scheme).exists():
        return  # already seeded
    months = scheme.relationship_months
    rels = list(
        Relationship.objects.filter(
            scheme=scheme, proposal__isnull=False, state=Relationship.State.ACCEPTED
        )
        .select_related("proposal")
        .order_by("pk")
    )
    starts = [rel.proposal.decided_at or rel.started_at for rel in rels]
    ages = [(services.today() - timezone.localdate(s)).days for s in starts]
    for rel, start, fate in zip(rels, starts, _plan(ages, rng), strict=True):
        _set_dates(rel, start, months)
        rel.refresh_from_db()
        _grow(rel, fate, rng)
        _backdate(rel, start)
        _close_and_pause_dates(rel)
    own = _demo_mentor_pair(scheme, rng)
    if own is not None:
        start = timezone.now() - timedelta(weeks=10)
        _set_dates(own, start, months)
        own.refresh_from_db()
        _grow(own, "active", rng, meetings=3, upcoming=True)
        _backdate(own, start)
        _close_and_pause_dates(own)
    # its own random numbers, so the rest of the demo (drawn from rng after this) is unchanged
    _demo_group(scheme, random.Random(len(rels)))
