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


def _cells(pairs: list, unmatched: int, threshold: int) -> list[str]:
    """One row's cells, through the reports' disclosure function (``disclosure.protect``)."""
    rules = disclosure.Rules(threshold=threshold, min_values=threshold)
    counts = {
        "mentees": len(pairs) + unmatched,
        "matched": len(pairs),
        "rank1": sum(1 for p in pairs if p.choice_rank == 1),
        "ranked": sum(1 for p in pairs if p.choice_rank),
        "fallback": sum(1 for p in pairs if p.via == "fallback"),
        "unmatched": unmatched,
    }
    shown = disclosure.protect_counts(counts, rules)
    scores = [p.score for p in pairs if p.score is not None]
    return [*(shown[k] for k in counts), rules.statistic(scores, "mean", 2)]


def run_tables(run: MatchingRun, by: str, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """(overall row, rows by group) for ``run``, grouped by ``by``."""
    scheme = run.round.scheme
    pairs = list(run.pairs.all())
    unmatched_ids = [u["mentee"] for u in run.unmatched]
    overall = Row("All mentees", _cells(pairs, len(unmatched_ids), threshold))
    if by not in groupings(scheme):
        by = "institution"
    labels = _labels(scheme, [p.mentee_id for p in pairs] + unmatched_ids, by)
    grouped_pairs: dict[str, list] = defaultdict(list)
    grouped_unmatched: dict[str, int] = defaultdict(int)
    for p in pairs:
        grouped_pairs[labels.get(p.mentee_id, "Not stated")].append(p)
    for mid in unmatched_ids:
        grouped_unmatched[labels.get(mid, "Not stated")] += 1
    groups = sorted(set(grouped_pairs) | set(grouped_unmatched))
    rows = [Row(g, _cells(grouped_pairs[g], grouped_unmatched[g], threshold)) for g in groups]
    return overall, rows, by
