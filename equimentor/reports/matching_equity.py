"""Matching equity over rounds: for each published round, the match rate and the share who got
their first choice by group, with the gap to all mentees, and the mentors' places used by mentor
group (who carries the load: the "minority tax").

A round is read from the dry run it published (its pairs and the mentees it left unmatched), so
a round's figures do not change when proposals are later declined. Groups come from the page's
breakdown, with identity answers of people who consented to equity reports only; everyone else
is "Not stated". Every figure goes through ``lib.disclosure``; the number of queries does not grow
with the number of rounds.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Max

from equimentor.enrolment.models import Participant
from equimentor.lib.disclosure import WITHHELD, Rules, protect
from equimentor.matching.metrics import identity_labels
from equimentor.matching.models import MatchingRound, MatchingRun, ProposedPair
from equimentor.reports.charts import ALL, Lines
from equimentor.reports.labels import dimensions
from equimentor.reports.queries import Scope
from equimentor.reports.sections import Report


def group_labels(scope: Scope, ids: set[int], by: list[str]) -> dict[int, str]:
    """Each person's group under the breakdown ``by`` (one to three codes), in two queries."""
    people = {p.pk: p for p in Participant.objects.filter(pk__in=ids).select_related("institution")}
    identity = [code for code in by if code not in ("institution", "career_stage")]
    answers = identity_labels(list(people), identity) if identity else {}
    labels = {}
    for pk, p in people.items():
        parts, k = [], 0
        for code in by:
            if code == "institution":
                parts.append(p.institution.name)
            elif code == "career_stage":
                parts.append(scope.scheme.career_stage_label(p.career_stage) or "Not stated")
            else:
                parts.append(answers[pk][k])
                k += 1
        labels[pk] = " · ".join(parts) if parts else "All"
    return labels


def _runs(scope: Scope) -> list[MatchingRun]:
    """The published rounds' published runs (a round's last run), oldest round first."""
    last = (
        MatchingRound.objects.filter(scheme=scope.scheme, status=MatchingRound.Status.PUBLISHED)
        .annotate(last_run=Max("runs__id"))
        .values_list("last_run", flat=True)
    )
    return list(
        MatchingRun.objects.filter(pk__in=[pk for pk in last if pk])
        .select_related("round")
        .order_by("round__published_at", "round_id")
    )


def matching_equity(scope: Scope, by: list[str], rules: Rules) -> list[Report]:
    """(equity by round, mentor load by round), or nothing before a round is published."""
    runs = _runs(scope)
    if not runs:
        return []
    pairs = list(
        ProposedPair.objects.filter(run__in=runs).values_list(
            "run_id", "mentee_id", "mentor_id", "via", "choice_rank"
        )
    )
    ids = {m for _, m, _, _, _ in pairs} | {r for _, _, r, _, _ in pairs}
    for run in runs:
        ids |= {u["mentee"] for u in run.unmatched}
        ids |= {int(pk) for pk in (run.metrics.get("places") or {})}
    labels = group_labels(scope, ids, by)
    if scope.institutions:
        inside = set(
            Participant.objects.filter(
                pk__in=ids, institution__in=scope.institution_ids
            ).values_list("pk", flat=True)
        )
    else:
        inside = ids
    by_run = defaultdict(list)
    for row in pairs:
        by_run[row[0]].append(row)
    title = " by " + ", ".join(dimensions(scope.scheme)[b] for b in by) if by else ""
    equity = Report(
        "Matching equity by round" + title,
        [
            "Round",
            "Group",
            "Mentees",
            "Match rate",
            "Gap to all mentees",
            "Got their 1st choice",
            "Gap to all mentees (1st choice)",
        ],
        [],
        [
            "Each round as published (declines afterwards do not change it). A rate is "
            "withheld when it rests on a hidden or small count."
        ],
    )
    load = Report(
        "Mentors' places used by round" + (" (" + title[4:] + ")" if by else ""),
        ["Round", "Mentor group", "Mentors", "Places offered", "Places used", "Share used"],
        [],
        [
            "Who carries the load: a group whose places are all used while others' are not is "
            "being asked for more (the minority tax)."
        ],
    )
    rates_by_round: list[dict[str, float]] = []
    for run in runs:
        name = run.round.name
        mentee_cells: dict[tuple[str, str], int] = defaultdict(int)
        for _, mentee, _, via, rank in by_run[run.pk]:
            if mentee in inside:
                g = labels.get(mentee, "Not stated")
                mentee_cells[(g, "mentees")] += 1
                mentee_cells[(g, "matched")] += 1
                mentee_cells[(g, "rank1")] += rank == 1 and via == "choice"
        for u in run.unmatched:
            if u["mentee"] in inside:
                mentee_cells[(labels.get(u["mentee"], "Not stated"), "mentees")] += 1
        rows, rates = _equity_rows(name, mentee_cells, rules, equity.notes)
        equity.rows.extend(rows)
        rates_by_round.append(rates)
        places = {int(pk): n for pk, n in (run.metrics.get("places") or {}).items()}
        used: dict[int, int] = defaultdict(int)
        for _, _, mentor, _, _ in by_run[run.pk]:
            used[mentor] += 1
        mentor_cells: dict[tuple[str, str], int] = defaultdict(int)
        for pk in set(places) | set(used):
            if pk in inside:
                g = labels.get(pk, "Not stated")
                mentor_cells[(g, "mentors")] += 1
                mentor_cells[(g, "places")] += max(places.get(pk, 0), used.get(pk, 0))
                mentor_cells[(g, "used")] += used.get(pk, 0)
        load.rows.extend(_load_rows(name, mentor_cells, rules, bool(places)))
    groups = sorted({g for rates in rates_by_round for g in rates} - {ALL})
    equity.lines = Lines(
        [run.round.name for run in runs],
        [(g, [rates.get(g) for rates in rates_by_round]) for g in [ALL, *groups]],
    )
    return [equity, load]


def _equity_rows(
    name: str, cells: dict, rules: Rules, notes: list[str]
) -> tuple[list[list[str]], dict[str, float]]:
    """The round's rows, and the match rates they publish by group (for the chart)."""
    groups = sorted({g for g, _ in cells})
    if not groups:
        return [[name, "All", "0", WITHHELD, "", WITHHELD, ""]], {}
    cols = ["mentees", "matched", "rank1"]
    p = protect(groups, cols, dict(cells), rules, row_totals=False, col_totals=True)
    total = {c: sum(cells.get((g, c), 0) for g in groups) for c in cols}
    hid_all = {c: p.is_hidden(("col", c)) for c in cols}
    all_rate = rules.share(
        total["matched"], total["mentees"], hidden=hid_all["mentees"] or hid_all["matched"]
    )
    all_first = rules.share(
        total["rank1"], total["mentees"], hidden=hid_all["mentees"] or hid_all["rank1"]
    )

    def pct(part, whole) -> float:
        return 100 * part / whole

    rows = [[name, ALL, p.col_total("mentees"), all_rate, "", all_first, ""]]
    shown = []
    published = {}
    if all_rate != WITHHELD:
        published[ALL] = pct(total["matched"], total["mentees"])
    for g in groups if len(groups) > 1 else []:
        m, mt, r1 = (cells.get((g, c), 0) for c in cols)
        hid = {c: p.is_hidden(("cell", g, c)) for c in cols}
        rate = rules.share(mt, m, hidden=hid["mentees"] or hid["matched"])
        first = rules.share(r1, m, hidden=hid["mentees"] or hid["rank1"])
        gap = gap1 = WITHHELD
        if rate != WITHHELD and all_rate != WITHHELD:
            gap = f"{pct(mt, m) - pct(total['matched'], total['mentees']):+.0f} pts"
            shown.append((pct(mt, m), g))
        if rate != WITHHELD:
            published[g] = pct(mt, m)
        if first != WITHHELD and all_first != WITHHELD:
            gap1 = f"{pct(r1, m) - pct(total['rank1'], total['mentees']):+.0f} pts"
        rows.append([name, g, p.cell(g, "mentees"), rate, gap, first, gap1])
    if len(shown) >= 2:
        (lo, lo_g), (hi, hi_g) = min(shown), max(shown)
        notes.append(
            f"{name}: match-rate gap between the groups shown {hi - lo:.0f} points "
            f"({hi_g} {hi:.0f}% against {lo_g} {lo:.0f}%)."
        )
    return rows, published


def _load_rows(name: str, cells: dict, rules: Rules, known: bool) -> list[list[str]]:
    groups = sorted({g for g, _ in cells})
    if not groups:
        return []
    cols = ["mentors", "places", "used"]
    p = protect(groups, cols, dict(cells), rules, row_totals=False, col_totals=True)
    total = {c: sum(cells.get((g, c), 0) for g in groups) for c in cols}
    rows = [
        [
            name,
            "All mentors",
            p.col_total("mentors"),
            p.col_total("places") if known else WITHHELD,
            p.col_total("used"),
            rules.share(total["used"], total["places"]) if known else WITHHELD,
        ]
    ]
    for g in groups if len(groups) > 1 else []:
        hidden = p.is_hidden(("cell", g, "places")) or p.is_hidden(("cell", g, "used"))
        rows.append(
            [
                name,
                g,
                p.cell(g, "mentors"),
                p.cell(g, "places") if known else WITHHELD,
                p.cell(g, "used"),
                rules.share(cells.get((g, "used"), 0), cells.get((g, "places"), 0), hidden=hidden)
                if known
                else WITHHELD,
            ]
        )
    return rows
