"""A dry run's numbers overall and by group, with small numbers suppressed.

Identity groups use only answers of people who consented to aggregate reports; everyone else
counts as "Not stated". The tables: counts by group (mentees and how they were matched, and
whether the characteristics they asked to share were shared), rates by group with the gap to all
mentees, and the mentors' places used against their places by mentor group (the "minority tax").
Every figure goes through ``lib.disclosure``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.lib import disclosure
from equimentor.matching.models import MatchingRun
from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT

BASE_GROUPINGS = {
    "institution": "Institution",
    "career_stage": "Career stage",
    "pathway": "Pathway",
}
FAIR = "fair"
"""The grouping by the scheme's fair-matching groups taken together (e.g. ethnicity × gender)."""
TARGET_GAP = 2
"""A group more than this many points below all mentees gets a note saying why."""


def groupings(scheme) -> dict[str, str]:
    out = {
        **BASE_GROUPINGS,
        **{
            code: DIMENSIONS[code].label
            for code in scheme.identity_dimensions
            if code in DIMENSIONS
        },
    }
    fair = [code for code in scheme.fair_dimensions if code in DIMENSIONS]
    if len(fair) >= 2:
        out[FAIR] = " × ".join(DIMENSIONS[code].label for code in fair)
    return out


@dataclass
class Row:
    group: str
    cells: list[str]


COLUMNS = [
    "Mentees",
    "Matched",
    "1st choice",
    "Within top choices",
    "By compatibility",
    "Unmatched",
    "Asked to share characteristics",
    "Shared as asked",
    "Mean score",
]
RATE_COLUMNS = [
    "Match rate",
    "Gap to all mentees",
    "Got their 1st choice",
    "Got one of their top choices",
    "Shared as asked (of those who asked)",
]
MENTOR_COLUMNS = ["Mentors", "Places offered", "Places used", "Share of places used"]


def identity_labels(mentee_ids: list[int], codes: list[str]) -> dict[int, list[str]]:
    """Each person's answer label per question in ``codes`` (report consent only)."""
    consented = set(
        Consent.objects.filter(
            participant_id__in=mentee_ids,
            withdrawn_at__isnull=True,
            purpose=Consent.Purpose.IDENTITY_REPORTS,
        ).values_list("participant_id", flat=True)
    )
    values: dict[tuple[int, str], str] = {
        (pid, dim): value
        for pid, dim, value in IdentityAnswer.objects.filter(
            participant_id__in=consented, dimension__in=codes
        ).values_list("participant_id", "dimension", "value")
    }
    labels = {}
    for pid in mentee_ids:
        row = []
        for code in codes:
            value = values.get((pid, code), "")
            row.append(
                "Prefer not to say"
                if value == PREFER_NOT
                else DIMENSIONS[code].option_label(value) or "Not stated"
                if value
                else "Not stated"
            )
        labels[pid] = row
    return labels


def _labels(scheme, ids: list[int], by: str) -> dict[int, str]:
    if by in BASE_GROUPINGS:
        people = Participant.objects.filter(pk__in=ids).select_related("institution")
        if by == "institution":
            return {p.pk: p.institution.name for p in people}
        if by == "career_stage":
            return {p.pk: scheme.career_stage_label(p.career_stage) for p in people}
        return {p.pk: p.get_pathway_display() for p in people}
    codes = scheme.fair_dimensions if by == FAIR else [by]
    return {pid: " · ".join(row) for pid, row in identity_labels(ids, codes).items()}


# Each mentee falls in one category: 1st choice / another choice / no choice ("r1", "rn", "r0"),
# proposed by compatibility or not ("f"), or unmatched ("u"); a matched mentee who asked to share
# characteristics is marked ":a", or ":h" when her mentor shares all of them. Every column counts
# categories.
_MATCHED_BASE = ("r1", "r1f", "rn", "rnf", "r0", "r0f")
_ASKED = (":a", ":h")
MATCHED = tuple(f"{c}{s}" for c in _MATCHED_BASE for s in ("", *_ASKED))


def _with(bases, suffixes=("", *_ASKED)) -> set[str]:
    return {f"{c}{s}" for c in bases for s in suffixes}


COLUMN_CATEGORIES = {
    "mentees": {*MATCHED, "u"},
    "matched": set(MATCHED),
    "rank1": _with(("r1", "r1f")),
    "ranked": _with(("r1", "r1f", "rn", "rnf")),
    "fallback": _with(("r1f", "rnf", "r0f")),
    "unmatched": {"u"},
    "asked": _with(_MATCHED_BASE, _ASKED),
    "honoured": _with(_MATCHED_BASE, (":h",)),
}


def category(pair) -> str:
    rank = "r1" if pair.choice_rank == 1 else "rn" if pair.choice_rank else "r0"
    shared = (pair.components or {}).get("shared")
    asked = "" if shared is None else ":h" if shared >= 1 else ":a"
    return rank + ("f" if pair.via == "fallback" else "") + asked


def group_table(people: dict, scores: dict, threshold: int):
    """(overall row, rows by group, the protected table) from ``{group: {category: n}}`` and
    ``{group: [score]}``.

    The whole table goes through ``disclosure.Linked``: its columns overlap (mentees = matched
    + unmatched, 1st choice within top choices ...) and its "All mentees" row is a margin, so a
    group's "<5" must not follow from other shown cells or the total. The rest of the round page
    (the pairs, with how each was made, and "Not matched (n)") shows the overall figures anyway,
    so they are taken as known and the groups are protected against them. A group's mean score
    is shown only when its "Matched" is shown, and the groups whose mean is withheld together
    hold none or at least ``threshold`` scores (else the overall mean gives their sum away)."""
    rules = disclosure.Rules(threshold=threshold, min_values=threshold)
    groups = sorted(people)
    cols = list(COLUMN_CATEGORIES)
    counts = {
        (g, col): sum(people[g].get(c, 0) for c in cats)
        for g in groups
        for col, cats in COLUMN_CATEGORIES.items()
    }
    totals = {col: sum(counts[(g, col)] for g in groups) for col in cols}
    all_scores = [x for g in groups for x in scores.get(g, [])]
    overall = Row(
        "All mentees",
        [rules.count(totals[c]) for c in cols] + [rules.statistic(all_scores, "mean", 2)],
    )
    page = disclosure.Linked(rules)
    for col, cats in COLUMN_CATEGORIES.items():
        page.known({"category": cats}, totals[col])
    try:
        p = page.protect(
            groups,
            cols,
            counts,
            rules,
            row_totals=False,
            col_totals=True,
            rows_as="group",
            cols_as={col: {"category": cats} for col, cats in COLUMN_CATEGORIES.items()},
        )
    except disclosure.Disclosive:  # e.g. everyone in one group: its figures are the totals
        return overall, [], None
    n = {g: len(scores.get(g, [])) for g in groups}
    withheld = {g for g in groups if n[g] < rules.min_values or p.is_hidden(("cell", g, "matched"))}
    while 0 < sum(n[g] for g in withheld) < rules.min_values and len(withheld) < len(groups):
        withheld.add(min((n[g], g) for g in groups if g not in withheld)[1])
    # Every group withheld: fewer than ``min_values`` scores in all, so the overall mean is
    # withheld too and gives nothing away.
    rows = [
        Row(
            g,
            [p.cell(g, c) for c in cols]
            + [disclosure.WITHHELD if g in withheld else rules.statistic(scores[g], "mean", 2)],
        )
        for g in groups
    ]
    return overall, rows, p


def rate_rows(p, totals: dict, rules: disclosure.Rules) -> tuple[Row, list[Row], dict]:
    """Rates by group from the protected counts (a rate whose part or whole is hidden, or
    based on too few people, is withheld); also each shown group's gap in points."""

    def rates(get, hidden) -> tuple[list[str], float | None]:
        m, mt = get("mentees"), get("matched")
        rate = rules.share(mt, m, hidden=hidden("mentees") or hidden("matched"))
        value = 100 * mt / m if rate != disclosure.WITHHELD else None
        cells = [
            rate,
            rules.share(get("rank1"), m, hidden=hidden("mentees") or hidden("rank1")),
            rules.share(get("ranked"), m, hidden=hidden("mentees") or hidden("ranked")),
            rules.share(
                get("honoured"), get("asked"), hidden=hidden("asked") or hidden("honoured")
            ),
        ]
        return cells, value

    all_cells, overall = rates(totals.__getitem__, lambda c: False)
    overall_row = Row("All mentees", [all_cells[0], "", *all_cells[1:]])
    rows, gaps = [], {}
    for g in p.rows if p is not None else []:
        cells, value = rates(
            lambda c, g=g: p.values[("cell", g, c)], lambda c, g=g: p.is_hidden(("cell", g, c))
        )
        gap = disclosure.WITHHELD
        if value is not None and overall is not None:
            gaps[g] = value - overall
            gap = f"{value - overall:+.0f} pts"
        rows.append(Row(g, [cells[0], gap, *cells[1:]]))
    return overall_row, rows, gaps


@dataclass
class RunTables:
    """Everything the round page shows by group, already through the disclosure rules."""

    by: str
    overall: Row
    rows: list[Row]
    rate_overall: Row
    rates: list[Row]
    notes: list[str] = field(default_factory=list)
    mentor_overall: Row | None = None
    mentors: list[Row] = field(default_factory=list)


_NO_PLACE = {"rules", "no_free_place", "not_found"}


def run_tables(run: MatchingRun, by: str, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """The tables of ``run`` grouped by ``by`` (see :class:`RunTables`)."""
    scheme = run.round.scheme
    rules = disclosure.Rules(threshold=threshold, min_values=threshold)
    pairs = list(run.pairs.all())
    unmatched_ids = [u["mentee"] for u in run.unmatched]
    if by not in groupings(scheme):
        by = "institution"
    places = {int(pk): n for pk, n in (run.metrics.get("places") or {}).items()}
    mentor_ids = sorted(set(places) | {p.mentor_id for p in pairs})
    labels = _labels(scheme, [p.mentee_id for p in pairs] + unmatched_ids + mentor_ids, by)
    people: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    scores: dict[str, list] = defaultdict(list)
    for p in pairs:
        group = labels.get(p.mentee_id, "Not stated")
        people[group][category(p)] += 1
        if p.score is not None:
            scores[group].append(p.score)
    for mid in unmatched_ids:
        people[labels.get(mid, "Not stated")]["u"] += 1
    overall, rows, protected = group_table(people, scores, threshold)
    totals = {
        col: sum(n for g in people for c, n in people[g].items() if c in cats)
        for col, cats in COLUMN_CATEGORIES.items()
    }
    rate_overall, rates, gaps = rate_rows(protected, totals, rules)
    tables = RunTables(by, overall, rows, rate_overall, rates)
    tables.notes = _notes(run, labels, gaps, rules)
    if places:
        tables.mentor_overall, tables.mentors = _mentor_rows(places, pairs, labels, rules)
    return tables


def _notes(run, labels, gaps, rules) -> list[str]:
    """Why a group is more than ``TARGET_GAP`` points below all mentees."""
    no_place: dict[str, int] = defaultdict(int)
    for u in run.unmatched:
        if u.get("cause") in _NO_PLACE:
            no_place[labels.get(u["mentee"], "Not stated")] += 1
    notes = []
    for g, gap in sorted(gaps.items()):
        if gap >= -TARGET_GAP:
            continue
        if no_place.get(g):
            why = (
                f"{rules.count(no_place[g])} of its unmatched mentees had no mentor with a free "
                "place that the scheme's rules allow (different institutions, conflicts of "
                "interest, earlier declines)."
            )
        elif run.stable_only:
            why = "this run honoured choices only: the free places were not shared out."
        elif run.metrics.get("policy") == "score":
            why = (
                "this scheme shares the places left after choices by compatibility only "
                "(scheme settings)."
            )
        else:
            why = (
                "its mentees' choices were full, and the places left were shared as evenly as "
                "the fair-matching groups and the scheme's rules allow."
            )
        notes.append(f"{g}: {abs(gap):.0f} points below all mentees — {why}")
    return notes


def _mentor_rows(places: dict, pairs: list, labels: dict, rules) -> tuple[Row, list[Row]]:
    """Places offered and used by mentor group: who carries the load."""
    used: dict[int, int] = defaultdict(int)
    for p in pairs:
        used[p.mentor_id] += 1
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for pk in set(places) | set(used):
        g = labels.get(pk, "Not stated")
        cells[(g, "mentors")] += 1
        cells[(g, "places")] += max(places.get(pk, 0), used.get(pk, 0))
        cells[(g, "used")] += used.get(pk, 0)
    groups = sorted({g for g, _ in cells})
    cols = ["mentors", "places", "used"]
    p = disclosure.protect(groups, cols, dict(cells), rules, row_totals=False, col_totals=True)
    rows = []
    for g in groups:
        hidden = p.is_hidden(("cell", g, "places")) or p.is_hidden(("cell", g, "used"))
        share = rules.share(cells[(g, "used")], cells[(g, "places")], hidden=hidden)
        rows.append(Row(g, [p.cell(g, c) for c in cols] + [share]))
    total = {c: sum(cells[(g, c)] for g in groups) for c in cols}
    overall = Row(
        "All mentors",
        [p.col_total(c) for c in cols] + [rules.share(total["used"], total["places"])],
    )
    return overall, rows
