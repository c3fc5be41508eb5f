"""Training, peer support and induction in the reports: sessions held, places and attendance by
kind, anonymous feedback by kind, attendance and induction completion by group, and whether
mentees who came to peer support stay in mentoring. Appended to the reports pages, exports and API
(``reports.views._build``).

Every count of people goes through ``lib.disclosure.protect`` and every rate and mean through
``Rules.share`` / ``Rules.statistic``; each table is protected on its own, as the matching-equity
tables are (see docs/architecture.md for what that does not cover). Groups come from the page's
breakdown with identity answers of people who consented to equity reports only. Feedback is
anonymous: it is never joined to people or groups, only split by the kind of session and the role
the respondent gave, under the stricter of the report and evaluation thresholds, and it carries no
institution (a committee member limited to institutions sees it scheme-wide). The number of
queries does not grow with sessions or people.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from equimentor.enrolment.models import Participant
from equimentor.evaluation.models import EvaluationSettings
from equimentor.lib.disclosure import WITHHELD, Rules, protect, visible_cells
from equimentor.relationships.models import Membership, Relationship
from equimentor.reports.labels import dimensions
from equimentor.reports.matching_equity import group_labels
from equimentor.reports.queries import EARLY, Scope
from equimentor.reports.sections import Report
from equimentor.training.induction import current_pack
from equimentor.training.models import (
    ItemCompletion,
    Registration,
    Session,
    SessionFeedback,
)

KINDS = Session.Kind


def training_reports(scope: Scope, by: list[str], rules: Rules) -> list[Report]:
    """The training tables for a reports page (nothing before the first session or pack)."""
    now = scope.now or timezone.now()
    held = list(
        Session.objects.filter(
            scheme=scope.scheme, status=Session.Status.SCHEDULED, ends_at__lte=now
        ).values_list("pk", "kind", "attendance_recorded_at")
    )
    pack = current_pack(scope.scheme)
    if not held and pack is None:
        return []
    kind_of = {pk: kind for pk, kind, _ in held}
    recorded = {pk for pk, _, at in held if at}
    places = list(
        scope.restrict(
            Registration.objects.filter(
                session_id__in=list(kind_of), status=Registration.Status.CONFIRMED
            ),
            "participant__",
        ).values_list("session_id", "participant_id", "attended")
    )
    reports = []
    if held:
        reports.append(_by_kind(held, recorded, places, rules))
        reports.append(_feedback(scope, rules))
    approved = dict(
        scope.people().filter(status=Participant.Status.APPROVED).values_list("pk", "approved_at")
    )
    ids = set(approved) | {p for _, p, _ in places}
    labels = group_labels(scope, ids, by) if by else dict.fromkeys(ids, "All")
    title = " by " + ", ".join(dimensions(scope.scheme)[b] for b in by) if by else ""
    if held:
        reports.append(_attendance_by_group(places, kind_of, labels, title, rules))
    if pack is not None:
        reports.append(_induction_by_group(scope, pack, approved, labels, title, rules))
    if held:
        found = _peer_support_and_staying(scope, places, kind_of, rules)
        if found is not None:
            reports.append(found)
    return reports


def _by_kind(held, recorded, places, rules: Rules) -> Report:
    kind_of = {pk: kind for pk, kind, _ in held}
    sessions = defaultdict(int)
    for _, kind, _ in held:
        sessions[kind] += 1
    with_attendance = defaultdict(int)
    for pk in recorded:
        with_attendance[kind_of[pk]] += 1
    cells = defaultdict(int)
    for session_id, _, attended in places:
        if session_id in recorded:
            kind = kind_of[session_id]
            cells[(kind, "places")] += 1
            cells[(kind, "attended")] += bool(attended)
    kinds = [k for k in KINDS.values if sessions[k]]
    cols = ["places", "attended"]
    p = protect(kinds, cols, dict(cells), rules, row_totals=False, col_totals=True)

    def rate(places_n, came, hidden) -> str:
        return rules.share(came, places_n, hidden=hidden)

    rows = []
    for k in kinds:
        hidden = p.is_hidden(("cell", k, "places")) or p.is_hidden(("cell", k, "attended"))
        rows.append(
            [
                KINDS(k).label,
                str(sessions[k]),
                str(with_attendance[k]),
                p.cell(k, "places"),
                p.cell(k, "attended"),
                rate(cells[(k, "places")], cells[(k, "attended")], hidden),
            ]
        )
    total = {c: sum(cells[(k, c)] for k in kinds) for c in cols}
    hidden = p.is_hidden(("col", "places")) or p.is_hidden(("col", "attended"))
    rows.append(
        [
            "All sessions",
            str(len(held)),
            str(len(recorded)),
            p.col_total("places"),
            p.col_total("attended"),
            rate(total["places"], total["attended"], hidden),
        ]
    )
    return Report(
        "Training and peer-support sessions held",
        [
            "Kind",
            "Sessions held",
            "Attendance recorded",
            "Places taken",
            "Attended",
            "Attendance rate",
        ],
        rows,
        ["Places and attendance count the sessions whose attendance was recorded."],
    )


def _feedback(scope: Scope, rules: Rules) -> Report:
    k = max(rules.threshold, EvaluationSettings.for_scheme(scope.scheme).k)
    answers = list(
        SessionFeedback.objects.filter(
            session__scheme=scope.scheme, session__status=Session.Status.SCHEDULED
        ).values_list("session__kind", "role", "usefulness", "would_recommend")
    )
    table: dict = defaultdict(lambda: defaultdict(int))
    for kind, role, _, _ in answers:
        table[kind][role] += 1
    total = len(answers)
    shown_kinds, cells = visible_cells(
        {kind: dict(roles) for kind, roles in table.items()}, k, whole_shown=True
    )

    def figures(picked) -> list[str]:
        values = [u for _, _, u, _ in picked]
        yes = sum(1 for *_, r in picked if r)
        return [
            str(len(picked)),
            Rules(threshold=k, min_values=max(k, rules.min_values)).statistic(values, "mean"),
            rules.share(yes, len(picked)) if len(picked) >= k else WITHHELD,
        ]

    rows = []
    if total >= k:
        rows.append(["All sessions", *figures(answers)])
    else:
        rows.append(["All sessions", f"<{k}" if total else "0", WITHHELD, WITHHELD])
    for kind in KINDS.values:
        if kind not in table:
            continue
        if kind not in shown_kinds:
            rows.append([KINDS(kind).label, "x", WITHHELD, WITHHELD])
            continue
        rows.append([KINDS(kind).label, *figures([a for a in answers if a[0] == kind])])
        for role in SessionFeedback.Role.values:
            if table[kind].get(role) and (kind, role) in cells:
                picked = [a for a in answers if a[0] == kind and a[1] == role]
                label = f"{KINDS(kind).label}: {SessionFeedback.Role(role).label.lower()}s"
                rows.append([label, *figures(picked)])
    notes = [
        f"Anonymous answers to the two questions after a session. A group's figures are shown "
        f"only with {k} or more answers, and a group is hidden (x) when the others would give it "
        "away; a mean needs "
        f"{max(k, rules.min_values)} answers.",
    ]
    if scope.institutions:
        notes.append("Feedback carries no institution: these figures are for the whole scheme.")
    return Report(
        "Session feedback by kind",
        ["Kind", "Answers", "Mean usefulness (1–5)", "Would recommend"],
        rows,
        notes,
    )


def _protected_rows(groups, cols, cells, rules, by_title):
    """A table by group: with a breakdown, its column totals are published too."""
    return protect(groups, cols, dict(cells), rules, row_totals=False, col_totals=bool(by_title))


def _attendance_by_group(places, kind_of, labels, title, rules: Rules) -> Report:
    people: dict[str, set] = defaultdict(set)
    for session_id, pid, attended in places:
        g = labels.get(pid, "Not stated")
        people[(g, "registered")].add(pid)
        if attended:
            people[(g, "attended")].add(pid)
            if kind_of[session_id] == KINDS.PEER_SUPPORT:
                people[(g, "peer")].add(pid)
    groups = sorted({g for g, _ in people}) or ["All"]
    cols = ["registered", "attended", "peer"]
    cells = {(g, c): len(people.get((g, c), ())) for g in groups for c in cols}
    p = _protected_rows(groups, cols, cells, rules, title)
    rows = [[g] + [p.cell(g, c) for c in cols] for g in groups]
    if title:
        rows.append(["All"] + [p.col_total(c) for c in cols])
    return Report(
        "Session attendance" + title,
        ["Group", "Had a place at a session", "Attended a session", "Attended peer support"],
        rows,
        [
            "People, each counted once however many sessions they came to. Who came to a "
            "peer-support session is seen only by the coordinator and the person; here only "
            "as protected counts."
        ],
    )


def _induction_by_group(scope, pack, approved, labels, title, rules: Rules) -> Report:
    required = [i for i in pack.items.all() if i.required]
    people = {
        p.pk: p
        for p in Participant.objects.filter(pk__in=list(approved)).only(
            "pk", "is_mentor", "is_mentee"
        )
    }
    done: dict[int, dict] = defaultdict(dict)
    for pid, key, h, at in ItemCompletion.objects.filter(
        participant_id__in=list(approved), key__in=[i.key for i in required]
    ).values_list("participant_id", "key", "content_hash", "completed_at"):
        done[pid][(key, h)] = at
    cells: dict = defaultdict(int)
    days: dict[str, list] = defaultdict(list)
    for pid, p in people.items():
        mine = [i for i in required if i.is_for(p)]
        if not mine:
            continue
        g = labels.get(pid, "Not stated")
        cells[(g, "people")] += 1
        times = [done[pid].get((i.key, i.content_hash)) for i in mine]
        if all(times):
            cells[(g, "complete")] += 1
            start = approved[pid]
            if start is not None:
                days[g].append(max((max(times) - start).total_seconds() / 86400, 0))
    groups = sorted({g for g, _ in cells}) or ["All"]
    cols = ["people", "complete"]
    p = _protected_rows(groups, cols, cells, rules, title)

    rows = []
    for g in groups:
        hidden = p.is_hidden(("cell", g, "people")) or p.is_hidden(("cell", g, "complete"))
        rows.append(
            [
                g,
                p.cell(g, "people"),
                p.cell(g, "complete"),
                rules.share(cells[(g, "complete")], cells[(g, "people")], hidden=hidden),
                WITHHELD if hidden else rules.statistic(days[g], "median"),
            ]
        )
    if title:
        all_days = [d for g in groups for d in days[g]]
        hidden = p.is_hidden(("col", "people")) or p.is_hidden(("col", "complete"))
        total = {c: sum(cells[(g, c)] for g in groups) for c in cols}
        rows.append(
            [
                "All",
                p.col_total("people"),
                p.col_total("complete"),
                rules.share(total["complete"], total["people"], hidden=hidden),
                WITHHELD if hidden else rules.statistic(all_days, "median"),
            ]
        )
    return Report(
        f"Induction completion (version {pack.version})" + title,
        [
            "Group",
            "Approved participants it asks",
            "Completed the required items",
            "Completion rate",
            "Median days from approval to completion",
        ],
        rows,
        [
            "Required items for each person's role(s), as they read in the current version. "
            f"A median needs {rules.min_values} people."
        ],
    )


def _peer_support_and_staying(scope, places, kind_of, rules: Rules) -> Report | None:
    came = {
        pid
        for session_id, pid, attended in places
        if attended and kind_of[session_id] == "peer_support"
    }
    if not came:
        return None
    mentees = scope.restrict(
        Membership.objects.filter(relationship__scheme=scope.scheme, side=Membership.Side.MENTEE),
        "participant__",
    ).values_list("participant_id", "relationship__state", "relationship__close_reason")
    staying: dict[int, bool] = {}
    for pid, state, reason in mentees:
        ok = state != Relationship.State.CLOSED or reason not in EARLY
        staying[pid] = staying.get(pid, False) or ok
    cells = defaultdict(int)
    for pid, ok in staying.items():
        g = "yes" if pid in came else "no"
        cells[(g, "mentees")] += 1
        cells[(g, "staying")] += ok
    groups = ["yes", "no"]
    cols = ["mentees", "staying"]
    p = protect(groups, cols, dict(cells), rules, row_totals=False, col_totals=True)
    names = {"yes": "Came to peer support", "no": "Did not"}
    rows = []
    for g in groups:
        hidden = p.is_hidden(("cell", g, "mentees")) or p.is_hidden(("cell", g, "staying"))
        rows.append(
            [
                names[g],
                p.cell(g, "mentees"),
                p.cell(g, "staying"),
                rules.share(cells[(g, "staying")], cells[(g, "mentees")], hidden=hidden),
            ]
        )
    return Report(
        "Mentees in mentoring: peer support and staying active",
        ["Mentees", "Matched mentees", "Still active or completed", "Share"],
        rows,
        [
            "Mentees with a relationship, by whether they came to at least one peer-support "
            "session; 'still active or completed' is a relationship open or closed other than "
            "early. Shown only where numbers allow; it shows an association, not a cause."
        ],
    )
