"""Time the reports (funnel and equity audit) over generated data, on a throwaway database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports \
        .venv/bin/python benchmarks/bench_reports.py                 # PostgreSQL (recreated)
    .venv/bin/python benchmarks/bench_reports.py --sqlite --participants 10000  # var/bench/
    ... benchmarks/bench_reports.py --reuse [--pages-only]   # time again, no regeneration

Generates participants across 40 institutions and 6 career stages (about 80% consenting to
identity reports, with answers in 2–3 dimensions), expressions of interest, accepted and declined
proposals, relationships in every state with close reasons, memberships, sponsorship acts and
milestones, all with ``bulk_create``. Then times the computation alone (``reports.sections``, a
fresh scope each run) for the funnel overall, by institution, by one identity dimension, by two
(intersectional) and the equity indicators; and the whole coordinator's dashboard page and the
committee page (Django test client; each request computes everything afresh) overall, by
institution, by ethnicity, by ethnicity × gender and by ethnicity × gender × disability. Prints
the median and the slowest of several runs, the number of SQL queries and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchdb import fresh_database, use_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_reports"
BATCH = 5000


def setup_database(sqlite: bool) -> None:
    if not sqlite:
        os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    fresh_database("reports.sqlite3" if sqlite else None)


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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite under var/bench/")
    parser.add_argument(
        "--reuse", action="store_true", help="time the data a previous run left (no regeneration)"
    )
    parser.add_argument(
        "--pages-only", action="store_true", help="time the pages, not the computations alone"
    )
    args = parser.parse_args()

    if args.reuse:
        os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
        use_database()
    else:
        setup_database(args.sqlite)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from equimentor.reports import queries, sections
    from equimentor.reports.models import rules_for

    t0 = time.perf_counter()
    if args.reuse:
        from equimentor.accounts.models import User
        from equimentor.schemes.models import Scheme

        scheme = Scheme.objects.get(slug="bench")
        coordinator = User.objects.get(email="coordinator@bench.example")
        print(f"database: {connection.vendor}; reusing the data of a previous run")
    else:
        scheme, coordinator, n_eoi = generate(args.participants, args.relationships)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        print(
            f"database: {connection.vendor}; {args.participants} participants, "
            f"{args.relationships} relationships, {n_eoi} expressions of interest "
            f"made in {time.perf_counter() - t0:.1f} s"
        )
    rules = rules_for(scheme)

    def scope():  # a fresh scope each time: nothing cached between runs
        return queries.Scope(scheme)

    computations = {
        "funnel, overall": lambda: sections.funnel_report(scope(), [], rules),
        "funnel, by institution": lambda: sections.funnel_report(scope(), ["institution"], rules),
        "funnel, by ethnicity": lambda: sections.funnel_report(scope(), ["ethnicity"], rules),
        "funnel, ethnicity x gender": lambda: sections.funnel_report(
            scope(), ["ethnicity", "gender"], rules
        ),
        "equity indicators, ethnicity": lambda: sections.equity_report(
            scope(), ["ethnicity"], rules
        ),
        "equity, ethnicity x gender": lambda: sections.equity_report(
            scope(), ["ethnicity", "gender"], rules
        ),
    }
    breakdowns = {
        "overall": "",
        "by institution": "?by1=institution",
        "by ethnicity": "?by1=ethnicity",
        "ethnicity x gender": "?by1=ethnicity&by2=gender",
        "eth x gender x disability": "?by1=ethnicity&by2=gender&by3=disability",
    }
    pages = {}
    for page, base in (
        ("dashboard", "/manage/bench/reports/"),
        ("committee", "/schemes/bench/reports/"),
    ):
        for name, query in breakdowns.items():
            pages[f"{page}, {name}"] = base + query
    client = Client()
    client.force_login(coordinator)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"{'what':<36} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    worst = 0.0

    def timed(label, fn):
        nonlocal worst
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                fn()
                times.append((time.perf_counter() - start) * 1000)
        worst = max(worst, statistics.median(times))
        print(f"{label:<36} {statistics.median(times):>10.1f} {max(times):>8.1f} {len(queries):>8}")

    for label, fn in computations.items() if not args.pages_only else ():
        timed(label, fn)

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    for label, url in pages.items():
        timed(label, lambda url=url: get(url))
    print(f"slowest median: {worst:.0f} ms (target ≤ 2000 ms)")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
