"""Demo induction pack, sessions, registrations, attendance and feedback, made through the real
services and then moved into the past where they took place.

The pack (version 1) has the scheme's guidance, the Academy of Medical Sciences' mentoring
resources, a recorded training webinar, a confidentiality question and a code-of-conduct
acknowledgement for mentors; most approved participants have done it, some not yet (the
coordinator's "Who is held back" page has people on it; the gate itself is left off). Past
sessions: three monthly peer circles for mentees and two mentor training sessions, with attendance
recorded and anonymous feedback; coming up: the next peer circle, a full mentor training with a
waiting list, and an information session. Deterministic with the given ``rng``.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from equimentor.enrolment.models import Participant
from equimentor.training import induction, services
from equimentor.training.models import (
    FeedbackInvitation,
    ItemCompletion,
    Registration,
    Session,
)

TZ = "Europe/London"
GUIDE = """# Mentoring in Horizons

Welcome. This guide explains how mentoring works in the scheme.

- **The first meeting is a trial.** Either of you can step away afterwards, without fault.
- **Agree how you will work** in your mentoring agreement: how often you meet, what you talk about
  and what stays confidential.
- **Mentees usually set the agenda.** Bring what matters to you: a fellowship, a promotion case, a
  difficult conversation.
- **If something is wrong**, raise it in confidence with the safeguarding leads from any page.
"""


def _pack(scheme, coordinator):
    draft = induction.start_draft(scheme, actor=coordinator)
    data = [
        induction.ItemData("document", "How mentoring works in Horizons", body=GUIDE),
        induction.ItemData(
            "link",
            "Academy of Medical Sciences mentoring resources",
            body="Guides for mentors and mentees from the Academy's mentoring programme.",
            url="https://acmedsci.ac.uk/mentoring-and-careers",
        ),
        induction.ItemData(
            "webinar",
            "Training webinar: getting the most from mentoring",
            body="A 40-minute recording of the scheme's training session.",
            url="https://video.demo.equimentor.org/horizons-training",
        ),
        induction.ItemData(
            "question",
            "Confidentiality",
            body="Who can read the private notes you keep on a relationship?",
            options=["Only me", "Me and my mentor or mentee", "The coordinator"],
            correct_option=0,
        ),
        induction.ItemData(
            "question",
            "Code of conduct for mentors",
            body="I have read the scheme's code of conduct and will follow it as a mentor.",
            audience="mentors",
        ),
        induction.ItemData(
            "link",
            "Further reading on sponsorship",
            url="https://acmedsci.ac.uk/mentoring-and-careers",
            required=False,
        ),
    ]
    items = [induction.save_item(draft, d, actor=coordinator) for d in data]
    induction.publish(draft, actor=coordinator)
    return items


def _complete(people, items, rng: random.Random, now) -> None:
    for p in people:
        if rng.random() < 0.2:
            continue  # has not started
        started = p.approved_at or now - timedelta(days=30)
        for n, item in enumerate(items):
            if not item.is_for(p) or (not item.required and rng.random() < 0.6):
                continue
            if rng.random() < 0.1:
                break  # stopped part-way
            induction.complete_item(
                p,
                item,
                answer=item.correct_option,
                acknowledged=True,
                actor=None,
            )
            done_at = min(started + timedelta(days=rng.randint(1, 20), hours=n), now)
            ItemCompletion.objects.filter(participant=p, key=item.key).update(completed_at=done_at)


def _local(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0))


def _schedule(scheme, coordinator, title, kind, audience, day, hour, capacity, **extra):
    plan = services.SessionPlan(
        title=title,
        kind=kind,
        audience=audience,
        local_start=_local(day, hour),
        local_end=_local(day, hour) + timedelta(minutes=extra.pop("minutes", 90)),
        time_zone=TZ,
        capacity=capacity,
        **extra,
    )
    return services.schedule(scheme, plan, actor=coordinator)[0]


def _move_back(session: Session, start: datetime) -> None:
    """Move a session (made in the future, as the services insist) to when it took place."""
    length = session.ends_at - session.starts_at
    Session.objects.filter(pk=session.pk).update(
        starts_at=start, ends_at=start + length, created_at=start - timedelta(days=21)
    )
    Registration.objects.filter(session=session).update(
        registered_at=start - timedelta(days=7), confirmed_at=start - timedelta(days=7)
    )
    session.refresh_from_db()


def seed_training(scheme, coordinator, rng: random.Random) -> None:
    if Session.objects.filter(scheme=scheme).exists():
        return  # already seeded
    now = timezone.now()
    approved = list(
        Participant.objects.filter(scheme=scheme, status=Participant.Status.APPROVED)
        .select_related("user")
        .order_by("pk")
    )
    mentees = [p for p in approved if p.is_mentee]
    mentors = [p for p in approved if p.is_mentor]
    items = _pack(scheme, coordinator)
    _complete(approved, items, rng, now)

    soon = timezone.localdate() + timedelta(days=10)
    circle_link = "https://meet.demo.equimentor.org/horizons-circle"
    past = []
    for months_ago in (3, 2, 1):
        s = _schedule(
            scheme,
            coordinator,
            "Peer support circle",
            "peer_support",
            "mentees",
            soon,
            17,
            10,
            online_link=circle_link,
            host_name="Dr Nia Mensah",
            series_title="Monthly peer circle",
            description="An hour to talk through what is going well and what is hard, with "
            "other mentees. Nothing said in the circle is recorded.",
        )
        past.append((s, mentees, now - timedelta(days=30 * months_ago + 3)))
    for weeks_ago in (10, 4):
        s = _schedule(
            scheme,
            coordinator,
            "Mentor training: the first meeting and the agreement",
            "training",
            "mentors",
            soon,
            13,
            12,
            online_link="https://meet.demo.equimentor.org/mentor-training",
            host_name="Horizons team",
        )
        past.append((s, mentors, now - timedelta(weeks=weeks_ago)))
    for s, pool, start in past:
        people = rng.sample(pool, min(len(pool), rng.randint(s.capacity - 2, s.capacity + 2)))
        for p in people:
            services.register(s, p, actor=p.user)
        _move_back(s, start.replace(minute=0, second=0, microsecond=0))
        places = list(Registration.objects.filter(session=s, status=Registration.Status.CONFIRMED))
        came = {r.pk for r in places if rng.random() < 0.8}
        services.record_attendance(s, came, actor=coordinator)
        for inv in FeedbackInvitation.objects.filter(registration__session=s):
            if rng.random() < 0.7:
                services.submit_feedback(
                    inv,
                    usefulness=rng.choices([5, 4, 3, 2], [5, 4, 2, 1])[0],
                    would_recommend=rng.random() < 0.85,
                )

    services.store_pending_feedback()  # the batches that are due (the task does it on a site)
    next_circle = _schedule(
        scheme,
        coordinator,
        "Peer support circle",
        "peer_support",
        "mentees",
        soon,
        17,
        10,
        online_link=circle_link,
        host_name="Dr Nia Mensah",
        series_title="Monthly peer circle",
    )
    for p in rng.sample(mentees, min(len(mentees), 6)):
        services.register(next_circle, p, actor=p.user)
    training = _schedule(
        scheme,
        coordinator,
        "Mentor training: sponsorship and advocacy",
        "training",
        "mentors",
        soon + timedelta(days=7),
        13,
        6,
        online_link="https://meet.demo.equimentor.org/mentor-training",
        host_name="Horizons team",
        local_deadline=_local(soon + timedelta(days=5), 17),
    )
    for p in rng.sample(mentors, min(len(mentors), 8)):
        services.register(training, p, actor=p.user)  # six places: two wait
    _schedule(
        scheme,
        coordinator,
        "Horizons information session",
        "information",
        "everyone",
        soon + timedelta(days=14),
        12,
        40,
        online_link="https://meet.demo.equimentor.org/information",
        minutes=60,
        description="How the scheme works, matching, and what to expect: questions welcome.",
    )
