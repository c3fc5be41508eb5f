"""A dry run's numbers overall and by group, with small numbers suppressed.

Identity groups use only answers of people who consented to aggregate reports; everyone else
counts as "Not stated".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.dimensions import DIMENSIONS, PREFER_NOT
from equimentor.identity.models import IdentityAnswer
from equimentor.lib import disclosure
from equimentor.matching.models import MatchingRun

BASE_GROUPINGS = {
    "institution": "Institution",
    "career_stage": "Career stage",
    "pathway": "Pathway",
}


def groupings(scheme) -> dict[str, str]:
    return {
        **BASE_GROUPINGS,
        **{
            code: DIMENSIONS[code].label
            for code in scheme.identity_dimensions
            if code in DIMENSIONS
        },
    }


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
    "Mean score",
]


def _labels(scheme, mentee_ids: list[int], by: str) -> dict[int, str]:
    people = Participant.objects.filter(pk__in=mentee_ids).select_related("institution")
    if by == "institution":
        return {p.pk: p.institution.name for p in people}
    if by == "career_stage":
        return {p.pk: scheme.career_stage_label(p.career_stage) for p in people}
    if by == "pathway":
        return {p.pk: p.get_pathway_display() for p in people}
    dim = DIMENSIONS[by]
    consented = set(
        Consent.objects.filter(
            participant_id__in=mentee_ids,
            withdrawn_at__isnull=True,
            purpose=Consent.Purpose.IDENTITY_REPORTS,
        ).values_list("participant_id", flat=True)
    )
    values = dict(
        IdentityAnswer.objects.filter(participant_id__in=consented, dimension=by).values_list(
            "participant_id", "value"
        )
    )
    labels = {}
    for pid in mentee_ids:
        value = values.get(pid, "")
        labels[pid] = (
            "Prefer not to say"
            if value == PREFER_NOT
            else dim.option_label(value)
            if value
            else "Not stated"
        )
    return labels


# Each mentee falls in one category: 1st choice / another choice / no choice ("r1", "rn", "r0"),
# proposed by compatibility or not ("f"), or unmatched ("u"). Every column counts categories.
MATCHED = ("r1", "r1f", "rn", "rnf", "r0", "r0f")
COLUMN_CATEGORIES = {
    "mentees": {*MATCHED, "u"},
    "matched": set(MATCHED),
    "rank1": {"r1", "r1f"},
    "ranked": {"r1", "r1f", "rn", "rnf"},
    "fallback": {"r1f", "rnf", "r0f"},
    "unmatched": {"u"},
}


def category(pair) -> str:
    rank = "r1" if pair.choice_rank == 1 else "rn" if pair.choice_rank else "r0"
    return rank + ("f" if pair.via == "fallback" else "")


def group_table(people: dict, scores: dict, threshold: int) -> tuple[Row, list[Row]]:
    """(overall row, rows by group) from ``{group: {category: n}}`` and ``{group: [score]}``.

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
        return overall, []
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
    return overall, rows


def run_tables(run: MatchingRun, by: str, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """(overall row, rows by group) for ``run``, grouped by ``by``."""
    scheme = run.round.scheme
    pairs = list(run.pairs.all())
    unmatched_ids = [u["mentee"] for u in run.unmatched]
    if by not in groupings(scheme):
        by = "institution"
    labels = _labels(scheme, [p.mentee_id for p in pairs] + unmatched_ids, by)
    people: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    scores: dict[str, list] = defaultdict(list)
    for p in pairs:
        group = labels.get(p.mentee_id, "Not stated")
        people[group][category(p)] += 1
        if p.score is not None:
            scores[group].append(p.score)
    for mid in unmatched_ids:
        people[labels.get(mid, "Not stated")]["u"] += 1
    overall, rows = group_table(people, scores, threshold)
    return overall, rows, by
