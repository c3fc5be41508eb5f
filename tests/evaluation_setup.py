"""Helpers for the evaluation tests: schemes with the shipped questionnaires and known data."""

from __future__ import annotations

from equimentor.evaluation import services
from equimentor.evaluation.models import EvaluationSettings
from equimentor.evaluation.services import ImportedRow
from tests import factories


def install(scheme, coordinator):
    return {q.code: q for q in services.install_shipped(scheme, actor=coordinator)}


def set_thresholds(scheme, k=5, k_text=8):
    conf = EvaluationSettings.for_scheme(scheme)
    conf.threshold, conf.text_threshold = k, k_text
    conf.save()
    return conf


def add(questionnaire, rows: list[tuple[str, dict]]):
    """Store known responses (role, {field: value or (value, text)}) through the import service."""
    parsed = []
    for n, (role, values) in enumerate(rows, start=2):
        vals = {k: v if isinstance(v, tuple) else (v, "") for k, v in values.items()}
        parsed.append(ImportedRow(row=n, role=role, month=None, values=vals))
    return services.import_responses(questionnaire, parsed, actor=None)


def staff(scheme, role, email):
    return factories.make_staff(scheme, role, email=email)


# Table 3 of the AIMMS paper, personal development: counts (mentees n=9, mentors n=4).
TABLE3_PERSONAL = {
    "mentee": {
        "interpersonal": 1,
        "confidence": 4,
        "leadership": 1,
        "goal_setting": 4,
        "negotiating": 2,
        "perspectives": 1,
        "competing_needs": 3,
        "work_life": 3,
        "independence": 1,
        "self_reflection": 4,
    },
    "mentor": {
        "listening": 2,
        "leadership": 1,
        "mentoring_skills": 3,
        "goal_setting": 1,
        "perspectives": 3,
    },
}
STARS = {"mentee": [5, 5, 5, 5, 5, 4, 4, 4, 4], "mentor": [4, 4, 4, 3]}  # means 4.6 and 3.8


def aimms_followup_rows() -> list[tuple[str, dict]]:
    """Nine mentee and four mentor responses reproducing Table 3 (personal) and the star means."""
    rows = []
    for role, n in (("mentee", 9), ("mentor", 4)):
        ticks: list[list[str]] = [[] for _ in range(n)]
        for code, count in TABLE3_PERSONAL[role].items():
            for i in range(count):
                ticks[i % n].append(code)
        for i in range(n):
            values = {"stars": STARS[role][i], "meetings": [1, 2, 3, 5, 2, 3, 1, 4, 3][i]}
            if ticks[i]:
                values["dev_personal"] = ticks[i]
            rows.append((role, values))
    return rows


def matched(scheme, coordinator, pairs):
    """One matching round in which each (mentor, mentee) pair is proposed and both accept."""
    from equimentor.matching import services as matching
    from equimentor.relationships.models import Relationship
    from tests.matching_setup import choose

    for mentor, mentee in pairs:
        choose(mentee, mentor)
    matching_round = matching.open_round(scheme, actor=coordinator)
    matching.close_choices(matching_round, actor=coordinator)
    proposals = matching.publish(matching_round, actor=coordinator)
    rels = []
    for p in proposals:
        matching.reply(p, p.mentor, accept=True, actor=p.mentor.user)
        matching.reply(p, p.mentee, accept=True, actor=p.mentee.user)
        rels.append(Relationship.objects.get(proposal=p))
    return rels


def outcome_rows(no, yes, none=(), mentors=4):
    """Mentees whose disability answer is "no", "yes" or absent; each entry is
    (stars, good_relationship, recommend). Mentors: ``mentors`` responses, all 1 star."""
    rows = []
    for answer, entries in (("no", no), ("yes", yes), (None, none)):
        for stars, good, rec in entries:
            values = {"stars": stars, "good_relationship": good, "recommend": rec}
            if answer:
                values["disability"] = answer
            rows.append(("mentee", values))
    for _ in range(mentors):
        rows.append(("mentor", {"stars": 1, "good_relationship": 1, "recommend": "no"}))
    return rows


# 8 mentees without a disability: stars 36/8 = 4.5, good relationship 6 of 8 agree (75%),
# all 8 would recommend (100%). 6 with one: stars 18/6 = 3.0 (6 values: withheld), good
# relationship 5 of 6 (83%), 5 of 6 would recommend (83%). All 14: stars 54/14 = 3.857 → 3.9,
# good relationship 11/14 = 79%, recommend 13/14 = 93%.
OUTCOMES_NO = [(5, 5, "yes"), (5, 5, "yes"), (4, 4, "yes"), (4, 4, "yes")]
OUTCOMES_NO += [(4, 4, "yes"), (4, 4, "yes"), (5, 2, "yes"), (5, 3, "yes")]
OUTCOMES_YES = [
    (3, 4, "yes"),
    (3, 4, "yes"),
    (4, 4, "yes"),
    (4, 5, "yes"),
    (2, 5, "yes"),
    (2, 2, "no"),
]
