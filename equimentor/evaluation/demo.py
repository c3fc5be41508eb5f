"""Demo evaluation data: the AIMMS questionnaires with anonymous responses matching the paper.

Woodrow et al., PLoS One 2025;20(4):e0318326, Results: 10 mentee and 10 mentor baseline
responses, 9 mentee and 4 mentor follow-up responses; Table 2 (what people want out of the scheme)
and Table 3 (development areas) counts by role; the challenge question split (mentees 5/5, mentors
7/3); star means 4.6 and 3.8; meetings between 1 and 5 (mean 2.7); the 0–10 items; everyone would
recommend the scheme. Where the paper gives no number (the organisation matrix, age bands, months)
the values are plausible inventions. Free text paraphrases the spirit of the paper's boxes.

Everything goes through the real services: the coordinator installs the shipped questionnaires,
the evaluator imports the responses (as the paper's MS Forms exports would be) and codes the free
text into a small codebook (Table 1, Figures 1–3). The demo mentee and mentor get an open
invitation if they are in a relationship and consented to the evaluation. Deterministic with the
given ``rng``; a no-op if the scheme already has questionnaires.

The shipped questionnaires (version 2) also ask optional identity-mirroring questions (broad
ethnic group, gender, disability, caring, first generation, migration): the paper's respondents
get invented answers to them, some blank or "prefer not to say", which change none of the paper's
numbers. The AIMMS pilot is far too small to show outcomes by group, so a second, invented cohort
answered the follow-up as the scheme's own questionnaire ``horizons-cohort-2`` (closed now): 48
mentees and 24 mentors, with outcomes that differ plausibly by group (carers and disabled people
feel less supported by colleagues), for the equity audit's outcomes table. Both use their own
random generators, so the rest of the demo data are the same as before.
"""

from __future__ import annotations

import random
from datetime import date

from django.utils import timezone

from equimentor.enrolment.models import Participant
from equimentor.evaluation import answers, definitions, services
from equimentor.evaluation.due import SIDES, add_months
from equimentor.evaluation.models import Answer, EvaluationSettings, Questionnaire, Wave
from equimentor.relationships.models import Membership
from equimentor.schemes.dimensions import PREFER_NOT

BASELINE, FOLLOWUP = "aimms-baseline", "aimms-month-6"

# -- baseline ---------------------------------------------------------------------------------------

# Table 2: what do you want to get out of the scheme (mentees n=10, mentors n=10).
WANT = {
    "mentee": {
        "prof_dev": 7,
        "pers_dev": 6,
        "networks": 4,
        "cv": 3,
        "practical_advice": 9,
        "support_women": 6,
        "general_support": 4,
        "other": 1,
    },
    "mentor": {
        "prof_dev": 4,
        "pers_dev": 6,
        "networks": 5,
        "cv": 2,
        "support_women": 10,
        "understand_difficulties": 7,
    },
}
WANT_OTHER = "Learning how to steer my career as a minority ethnic woman."

# Table 1 codebook for "Please tell us why" after the challenge question.
CHALLENGE_THEMES = {
    "culture": "Differing cultural norms and values",
    "bias": "Unconscious bias",
    "scrutiny": "More administrative scrutiny; targeted in redundancies",
    "workload": "Heavier workloads, less support and time for development",
    "dismissed": "Talked down to or not taken seriously",
    "home_life": "Not discussing home or family life at work",
    "isolation": "Isolation, not fitting in, not represented or visible",
    "barriers": "Personal and institutional barriers to progression",
    "other_reasons": "Challenges due to other reasons (research politics, ECR policies)",
    "not_yet": "No challenges yet, but anticipated in future",
    "advantage": "Research on ethnic minorities gives an advantage",
    "grab": "Opportunities are there to be grabbed",
    "origin": "Bias worse in country of origin",
    "gender": "Being a woman rather than ethnicity is the difficulty",
}
# (challenged?, text, theme keys), by role: mentees 5 yes / 5 no, mentors 7 yes / 3 no.
CHALLENGE = {
    "mentee": [
        (
            "yes",
            "Hardly anyone senior looks like me, so it is hard to imagine where I could get to.",
            ["isolation"],
        ),
        (
            "yes",
            "I have been spoken over in meetings; my ideas count only when someone else "
            "repeats them.",
            ["dismissed", "bias"],
        ),
        (
            "yes",
            "I carry more teaching and pastoral work than my peers, which leaves little time "
            "for grant writing.",
            ["workload"],
        ),
        (
            "yes",
            "The unwritten rules of academia were never explained to me, and what is expected "
            "at home and at work pulls in different directions.",
            ["culture", "barriers"],
        ),
        (
            "yes",
            "I have been passed over without a clear reason; I think assumptions were made "
            "about my commitment.",
            ["bias", "barriers"],
        ),
        (
            "no",
            "My difficulties have come from short contracts and research politics rather than "
            "who I am.",
            ["other_reasons"],
        ),
        (
            "no",
            "Not so far, though I expect it could get harder as I apply for senior roles.",
            ["not_yet"],
        ),
        (
            "no",
            "My research is about minority ethnic communities, and my background helps me "
            "build trust with participants.",
            ["advantage"],
        ),
        (
            "no",
            "The opportunities are there if you go after them; I have had to be proactive.",
            ["grab"],
        ),
        (
            "no",
            "Compared with where I trained before coming to the UK, I have met much less bias "
            "here.",
            ["origin"],
        ),
    ],
    "mentor": [
        (
            "yes",
            "Early on I never mentioned my family and tried hard to come across as more "
            "'English' to fit in.",
            ["home_life", "culture"],
        ),
        (
            "yes",
            "My claims and applications were checked more closely than colleagues', and my "
            "post was first in line in a restructure.",
            ["scrutiny"],
        ),
        (
            "yes",
            "For most of my career I have been the only woman of colour in the room.",
            ["isolation"],
        ),
        (
            "yes",
            "Bias shapes who is asked to lead projects and who is put forward for awards.",
            ["bias"],
        ),
        (
            "yes",
            "I was given heavier clinical and teaching loads than peers, with less sponsorship.",
            ["workload", "barriers"],
        ),
        (
            "yes",
            "Senior colleagues have spoken to me as if I were junior staff, even after promotion.",
            ["dismissed"],
        ),
        (
            "yes",
            "Promotion criteria felt applied differently to me, with nobody senior to "
            "advocate for me.",
            ["barriers"],
        ),
        (
            "no",
            "Being a woman with young children has been the bigger obstacle, not my ethnicity.",
            ["gender"],
        ),
        ("no", "Opportunities were available and I made sure I took them.", ["grab"]),
        (
            "no",
            "The barriers I met were the funding climate and poor support for early career "
            "researchers.",
            ["other_reasons"],
        ),
    ],
}
JOBS = {
    "mentee": [
        "PhD student",
        "Research fellow",
        "Postdoctoral researcher",
        "Clinical lecturer",
        "Lecturer",
        "Academic clinical fellow",
        "Research associate",
        "Lecturer",
        "Clinical research fellow",
        "Senior research fellow",
    ],
    "mentor": [
        "Professor",
        "Associate professor",
        "Reader",
        "Senior lecturer",
        "Professor",
        "Consultant and senior lecturer",
        "Associate professor",
        "Reader",
        "Senior lecturer",
        "Professor",
    ],
}
ETHNICITY = {
    "baseline": [
        "Asian",
        "Asian British",
        "Pakistani",
        "British Pakistani",
        "Indian",
        "British Indian",
        "Arab",
        "Black African",
        "Black Caribbean and white",
        "Latino/European",
        "Chinese",
        "Malaysian Chinese",
        "Chinese/Vietnamese",
    ],
    "month_6": [
        "British Asian",
        "British Pakistani",
        "Southeast Asian",
        "Arab",
        "Black African",
        "Latino",
        "Malaysian Chinese",
    ],
}
# Mentors older than mentees overall (the paper gives no counts).
AGES = {
    "mentee": [
        "under_30",
        "a30_39",
        "a30_39",
        "a30_39",
        "a30_39",
        "a40_49",
        "a40_49",
        "a30_39",
        "under_30",
        "no_say",
    ],
    "mentor": [
        "a40_49",
        "a50_59",
        "a50_59",
        "a40_49",
        "a60_plus",
        "a50_59",
        "a40_49",
        "a50_59",
        "a60_plus",
        "a40_49",
    ],
}

# -- follow-up -------------------------------------------------------------------------------------

# Table 3 (mentees n=9, mentors n=4).
DEV_PERSONAL = {
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
DEV_PROFESSIONAL = {
    "mentee": {
        "networks": 2,
        "productivity": 1,
        "cv": 2,
        "career_insight": 4,
        "institutional": 5,
        "academic_life": 3,
    },
    "mentor": {"networks": 1, "management": 1, "institutional": 3},
}
# Per response, in order (mentees then mentors). Paper: stars mean 4.6 / 3.8; met 1–5 times,
# mean 2.7; 6 of 9 still meeting; all agree on a good relationship; support helpful 8 of 9
# mentees, mentors 1 agree, 2 neutral, 1 disagree; felt supported 5 of 9 mentees, 1 of 4 mentors;
# expectations met 9 of 9 and 3 of 4; similar characteristics useful: 8 of 9 mentees 7+ (four
# 10s), mentors 5–10; confidence of impact: 8 of 9 mentees 7+, mentors 5–8.
FOLLOWUP_NUMBERS = {
    "mentee": {
        "stars": [5, 5, 5, 5, 5, 4, 4, 4, 4],
        "meetings": [1, 2, 3, 5, 2, 3, 1, 4, 3],
        "still_meeting": ["yes"] * 6 + ["no"] * 3,
        "good_relationship": [5, 5, 5, 4, 5, 4, 5, 4, 5],
        "support_helpful": [5, 4, 4, 5, 4, 4, 5, 4, 3],
        "felt_supported": [4, 5, 4, 4, 5, 3, 2, 3, 3],
        "expectations": [5, 4, 5, 4, 4, 5, 4, 5, 4],
        "similar_useful": [10, 10, 10, 10, 9, 8, 7, 8, 5],
        "confidence_career": [9, 8, 10, 7, 8, 9, 7, 10, 6],
    },
    "mentor": {
        "stars": [4, 4, 4, 3],
        "meetings": [1, 3, 3, 4],
        "still_meeting": ["yes", "yes", "yes", "no"],
        "good_relationship": [4, 5, 4, 4],
        "support_helpful": [4, 3, 3, 2],
        "felt_supported": [4, 3, 2, 2],
        "expectations": [4, 4, 4, 3],
        "similar_useful": [5, 7, 8, 10],
        "confidence_career": [5, 6, 7, 8],
    },
}
ORGANISATION = {  # invented: mentees positive, mentors less so
    "mentee": [
        (5, 5, 5),
        (4, 4, 5),
        (5, 4, 5),
        (4, 4, 4),
        (5, 5, 5),
        (4, 3, 4),
        (4, 4, 5),
        (5, 4, 5),
        (3, 3, 4),
    ],
    "mentor": [(4, 3, 4), (3, 3, 4), (4, 4, 5), (3, 2, 4)],
}
FOLLOWUP_PRIOR = {  # everyone had been mentored or mentored before; some both
    "mentee": [["as_mentee"]] * 6 + [["as_mentee", "as_mentor"]] * 3,
    "mentor": [
        ["as_mentor"],
        ["as_mentee", "as_mentor"],
        ["as_mentee", "as_mentor"],
        ["as_mentor"],
    ],
}
FOLLOWUP_JOBS = {
    "mentee": [
        "Research fellow",
        "Lecturer",
        "Clinical lecturer",
        "PhD student",
        "Postdoctoral researcher",
        "Lecturer",
        "Senior research fellow",
        "Academic clinical fellow",
        "Research associate",
    ],
    "mentor": ["Professor", "Reader", "Associate professor", "Senior lecturer"],
}
FOLLOWUP_AGES = {
    "mentee": [
        "a30_39",
        "a30_39",
        "a40_49",
        "under_30",
        "a30_39",
        "a30_39",
        "a40_49",
        "a30_39",
        "no_say",
    ],
    "mentor": ["a50_59", "a50_59", "a40_49", "a60_plus"],
}

# Free text, some answered by only some respondents (None: left blank).
EXPECTATIONS_WHY = {
    "mentee": [
        "Meeting women who understand some of what I have lived through has been really good "
        "for me.",
        "Yes: practical, honest advice from someone who has been where I am.",
        "More than I expected; I came away from every meeting with something to do.",
        None,
        "I hoped for career advice and got that, and a lot of encouragement too.",
        None,
        "It matched: a safe space to talk about things I cannot raise at work.",
        None,
        "Mostly; I would have liked to meet a little more often.",
    ],
    "mentor": [
        "I wanted to help my mentee's career along and answer her questions; I hope I helped her "
        "take the next step.",
        "Broadly, though finding time was harder than I thought.",
        None,
        "Less structure than I expected; I was not always sure what was wanted of me.",
    ],
}
DEV_COMMENT = {
    "mentee": [
        "I have been promoted and formally recognised for my work, which has boosted my morale.",
        "Setting small goals at each meeting and reporting back kept me focused.",
        None,
        "I feel more confident saying no to things that do not help my career.",
        None,
        None,
        "Talking things through helped me reflect on what I actually want.",
        None,
        None,
    ],
    "mentor": [
        "Listening rather than advising straight away.",
        None,
        "It made me reflect on how my own institution works compared with hers.",
        None,
    ],
}
SIMILAR_WHY = {
    "mentee": [
        "It has helped so much to talk to someone who can relate to my experience; a previous "
        "mentor with nothing in common with me did not work.",
        "She has been on a similar career path in a similar field, which made conversations easy.",
        "Hearing how she progressed at a different institution showed me how things work "
        "elsewhere.",
        None,
        "I did not have to explain myself before getting to the point.",
        None,
        "Shared background builds trust quickly.",
        None,
        "Useful, but the match on research area mattered more to me.",
    ],
    "mentor": [
        "Helpful, but good mentoring does not depend on it.",
        None,
        "It let us talk openly about barriers we have both met.",
        "Very: she could see that someone like her can get there.",
    ],
}
RECOMMEND_WHY = {
    "mentee": [
        "This scheme could really empower younger minority ethnic women in academia.",
        "Everyone deserves someone in their corner who understands.",
        None,
        "It is rare to find support designed for women like us.",
        None,
        "I have already told two colleagues to sign up.",
        None,
        None,
        "Low effort for a lot of benefit.",
    ],
    "mentor": [
        "It fills a real gap in support.",
        None,
        "A good way to give back, if you can find the time.",
        None,
    ],
}

# Figures 1–3: codebooks and coded answers (invented themes in the spirit of the paper's
# discussion: training and support for mentors and mentees, time, shared experience).
IMPROVE_THEMES = {
    "training": "Training for mentors and mentees",
    "structure": "More guidance on structuring meetings",
    "community": "Chances to meet other participants",
    "time": "Protected time and employer support",
    "contact": "Regular check-ins from the organisers",
}
IMPROVE = {
    "mentee": [
        ("Some training at the start on how to get the most out of mentoring.", ["training"]),
        ("An example agenda for the first few meetings.", ["structure"]),
        ("Events where mentees can meet each other.", ["community"]),
        None,
        ("A letter for my manager explaining the scheme so I can protect the time.", ["time"]),
        ("A short check-in from the organisers halfway through.", ["contact"]),
        (
            "Group sessions on topics like promotion, plus training for mentees.",
            ["community", "training"],
        ),
        None,
        ("Clearer guidance on what to cover and when.", ["structure"]),
    ],
    "mentor": [
        ("Mentor training, especially for first-time mentors.", ["training"]),
        ("Recognition from institutions so the time counts in job plans.", ["time"]),
        None,
        (
            "A network of mentors to share experiences, and more guidance.",
            ["community", "structure"],
        ),
    ],
}
REWARDING_THEMES = {
    "shared": "Relating to someone with shared experiences",
    "advice": "Practical career advice",
    "goals": "Setting and achieving goals",
    "confidence": "Confidence and encouragement",
    "giving": "Helping someone else progress",
    "other_places": "Learning how other institutions work",
}
REWARDING = {
    "mentee": [
        ("Talking to someone who understood without my having to explain.", ["shared"]),
        ("Concrete advice on my fellowship application.", ["advice"]),
        ("Small goals between meetings that I actually met.", ["goals"]),
        ("Feeling encouraged and believed in.", ["confidence"]),
        ("Seeing how promotion works at another university.", ["other_places", "advice"]),
        ("Having a role model who looks like me.", ["shared", "confidence"]),
        ("Getting my CV into shape for a lectureship.", ["advice"]),
        ("Staying focused on my goals.", ["goals"]),
        ("A safe space to talk.", ["shared"]),
    ],
    "mentor": [
        ("Seeing my mentee grow in confidence.", ["giving", "confidence"]),
        ("Supporting the next generation of women like us.", ["giving"]),
        ("Learning how another institution works.", ["other_places"]),
        ("Sharing what I wish I had known earlier.", ["giving", "shared"]),
    ],
}
CHALLENGING_THEMES = {
    "time": "Finding time to meet",
    "scheduling": "Arranging meetings across institutions",
    "how_to_help": "Knowing how best to help",
    "momentum": "Keeping momentum between meetings",
    "nothing": "Nothing challenging",
}
CHALLENGING = {
    "mentee": [
        ("Finding time around clinical work.", ["time"]),
        ("Diaries: we are at different universities with different term dates.", ["scheduling"]),
        ("Keeping going between meetings when work got busy.", ["momentum", "time"]),
        ("Nothing really.", ["nothing"]),
        ("Finding time.", ["time"]),
        None,
        ("Arranging calls around both our commitments.", ["scheduling"]),
        ("Keeping momentum after the first few meetings.", ["momentum"]),
        ("Protecting the time when deadlines came up.", ["time"]),
    ],
    "mentor": [
        ("Time, with everything else I am asked to do.", ["time"]),
        ("Knowing whether I was giving the right kind of help.", ["how_to_help"]),
        ("Scheduling across two institutions.", ["scheduling"]),
        ("Knowing how much to steer and how much to listen.", ["how_to_help"]),
    ],
}
CODEBOOK = {
    "challenged_why": CHALLENGE_THEMES,
    "improve": IMPROVE_THEMES,
    "rewarding": REWARDING_THEMES,
    "challenging": CHALLENGING_THEMES,
}


def _spread(counts: dict[str, int], n: int, rng: random.Random) -> list[list[str]]:
    """Ticks for ``n`` responses giving exactly ``counts`` per option, spread evenly so that
    every response gets some (a running cursor; each option's ticks go to distinct responses)."""
    ticks: list[list[str]] = [[] for _ in range(n)]
    cursor = rng.randrange(n)
    for code, count in counts.items():
        for _ in range(count):
            ticks[cursor].append(code)
            cursor = (cursor + 1) % n
    return ticks


def _month(today: date, months_ago: int) -> date:
    return add_months(today.replace(day=1), -months_ago)


def _row(definition: dict, role: str, raw: dict, month: date, n: int) -> services.ImportedRow:
    """Clean ``raw`` exactly as a submitted or imported response is cleaned."""
    values, errors = answers.clean(definitions.items_for(definition, role), raw)
    if errors:
        raise services.EvaluationError(f"demo response {n}: {errors}")
    return services.ImportedRow(row=n, role=role, month=month, values=values)


def _text(entry):
    return entry[0] if isinstance(entry, tuple) else entry


# -- optional identity-mirroring answers and the second cohort ----------------------------------

COHORT = "horizons-cohort-2"
COHORT_SIZES = {"mentee": 48, "mentor": 24}
# (answer, weight); "" leaves the question blank. Invented, in the spirit of the registrations.
IDENTITY_WEIGHTS = {
    "ethnic_group": [
        ("asian", 44),
        ("black", 29),
        ("mixed", 10),
        ("arab", 6),
        ("other", 4),
        (PREFER_NOT, 4),
        ("", 3),
    ],
    "gender": [("woman", 93), ("non_binary", 1), (PREFER_NOT, 3), ("", 3)],
    "disability": [("yes", 16), ("no", 76), (PREFER_NOT, 4), ("", 4)],
    "caring": [("yes", 46), ("no", 46), (PREFER_NOT, 4), ("", 4)],
    "first_generation": [("yes", 36), ("no", 58), ("", 6)],
    "migration": [("self", 32), ("parents", 34), ("no", 29), ("", 5)],
}


def _identity(rng: random.Random, items: dict) -> dict:
    """Optional answers to the questionnaire's identity-mirroring items it has."""
    raw = {}
    for code, weights in IDENTITY_WEIGHTS.items():
        if code not in items:
            continue
        answer = rng.choices([a for a, _ in weights], [w for _, w in weights])[0]
        if answer:
            raw[code] = answer
    return raw


def _agree(rng: random.Random, p: float) -> int:
    """An agreement-scale answer: agree (4–5) with probability ``p``, else 1–3."""
    return rng.choice([4, 4, 5, 5, 5]) if rng.random() < p else rng.choice([1, 2, 2, 3, 3, 3])


def _cohort_raw(rng: random.Random, role: str, items: dict) -> dict:
    raw = _identity(rng, items)
    raw["age_band"] = rng.choice(
        AGES[role] + ["a30_39", "a40_49"] if role == "mentee" else AGES[role]
    )
    carer, disabled = raw.get("caring") == "yes", raw.get("disability") == "yes"
    base = 4.4 if role == "mentee" else 4.0
    stars = base - 0.5 * carer - 0.6 * disabled + rng.gauss(0, 0.6)
    raw.update(
        {
            "stars": max(1, min(5, round(stars))),
            "meetings": rng.randint(1, 8),
            "still_meeting": "yes" if rng.random() < (0.6 if carer else 0.8) else "no",
            "good_relationship": _agree(rng, 0.9),
            "support_helpful": _agree(rng, 0.8 - 0.2 * disabled),
            "felt_supported": _agree(rng, 0.7 - 0.3 * carer - 0.25 * disabled),
            "expectations": _agree(rng, 0.82),
            "similar_useful": max(0, min(10, round(rng.gauss(8.2, 1.5)))),
            "confidence_career": max(0, min(10, round(rng.gauss(7.8 - disabled, 1.6)))),
            "recommend": rng.choices(["yes", "unsure", "no"], [90, 8, 2])[0],
            "prior_mentoring": rng.choice([["as_mentee"], ["as_mentor"], ["none"]]),
        }
    )
    for row in ("organised", "process", "accessible"):
        raw[f"organisation.{row}"] = _agree(rng, 0.78 - 0.2 * disabled * (row == "accessible"))
    return raw


def _seed_cohort(scheme, coordinator, evaluator, today: date) -> None:
    """The second cohort's follow-up, as the scheme's own (closed) questionnaire."""
    template = definitions.for_dimensions(
        definitions.shipped()[FOLLOWUP], scheme.identity_dimensions
    )
    definition = {
        **template,
        "code": COHORT,
        "title": "Six months into mentoring — second cohort",
    }
    q = services.save_definition(scheme, definition, actor=coordinator, is_active=False)
    rng = random.Random(f"{scheme.slug}-{COHORT}")
    rows = []
    for role, n in COHORT_SIZES.items():
        items = {i["code"]: i for i in definitions.items_for(q.definition, role)}
        for i in range(n):
            raw = _cohort_raw(rng, role, items)
            rows.append(_row(q.definition, role, raw, _month(today, rng.choice([4, 5])), i))
    services.import_responses(q, rows, actor=evaluator)


def _baseline_rows(q: Questionnaire, rng: random.Random, today: date):
    rows, coded = [], []
    own = random.Random(f"{q.scheme.slug}-{q.code}")  # the shared ``rng`` draws stay as they were
    for role in ("mentee", "mentor"):
        items = {i["code"]: i for i in definitions.items_for(q.definition, role)}
        challenge = list(CHALLENGE[role])
        rng.shuffle(challenge)
        want = _spread(WANT[role], 10, rng)
        ethnicity = rng.sample(ETHNICITY["baseline"], 10)
        for i in range(10):
            challenged, why, themes = challenge[i]
            raw = {
                "job_title": JOBS[role][i],
                "ethnicity": ethnicity[i],
                "age_band": AGES[role][i],
                "prior_mentoring": ["none"] if i % 3 == 0 else [f"as_{role}"],
                "want": [c for c in want[i] if c != "other"],
                "challenged": challenged,
                "challenged_why": why,
                **_identity(own, items),
            }
            if "other" in want[i]:
                raw["want.other"] = WANT_OTHER
            coded.append(("challenged_why", why, themes))
            rows.append(_row(q.definition, role, raw, _month(today, rng.choice([8, 9, 10])), i))
    return rows, coded


def _followup_rows(q: Questionnaire, rng: random.Random, today: date):
    rows, coded = [], []
    own = random.Random(f"{q.scheme.slug}-{q.code}")  # the shared ``rng`` draws stay as they were
    for role, n in (("mentee", 9), ("mentor", 4)):
        items = {i["code"]: i for i in definitions.items_for(q.definition, role)}
        personal = _spread(DEV_PERSONAL[role], n, rng)
        professional = _spread(DEV_PROFESSIONAL[role], n, rng)
        ethnicity = [rng.choice(ETHNICITY["month_6"]) for _ in range(n)]
        numbers = FOLLOWUP_NUMBERS[role]
        for i in range(n):
            raw = {code: values[i] for code, values in numbers.items()}
            raw.update(
                {
                    "job_title": FOLLOWUP_JOBS[role][i],
                    "ethnicity": ethnicity[i],
                    "age_band": FOLLOWUP_AGES[role][i],
                    "prior_mentoring": FOLLOWUP_PRIOR[role][i],
                    "recommend": "yes",
                    "dev_personal": personal[i],
                    "dev_professional": professional[i],
                    "organisation.organised": ORGANISATION[role][i][0],
                    "organisation.process": ORGANISATION[role][i][1],
                    "organisation.accessible": ORGANISATION[role][i][2],
                    "expectations_why": EXPECTATIONS_WHY[role][i],
                    "dev_personal_comment": DEV_COMMENT[role][i],
                    "similar_useful_why": SIMILAR_WHY[role][i],
                    "recommend_why": RECOMMEND_WHY[role][i],
                    **_identity(own, items),
                }
            )
            for item, source in (
                ("improve", IMPROVE),
                ("rewarding", REWARDING),
                ("challenging", CHALLENGING),
            ):
                entry = source[role][i]
                raw[item] = _text(entry)
                if entry:
                    coded.append((item, entry[0], entry[1]))
            rows.append(_row(q.definition, role, raw, _month(today, rng.choice([1, 2, 3])), i))
    return rows, coded


def _code(scheme, questionnaires, coded, evaluator) -> None:
    """The evaluator's codebook, and every coded free-text answer tagged with its themes."""
    themes = {}
    for item, book in CODEBOOK.items():
        for key, label in book.items():
            themes[(item, key)] = services.add_theme(scheme, item, label, actor=evaluator)
    by_text = {
        (a.item, a.text): a
        for a in Answer.objects.filter(
            response__questionnaire__in=questionnaires, item__in=list(CODEBOOK)
        )
    }
    for item, text, keys in coded:
        services.tag_answer(
            by_text[(item, text)],
            [themes[(item, key)] for key in keys],
            actor=evaluator,
            scheme=scheme,
        )


def _invite_demo_people(scheme, questionnaires: dict[str, Questionnaire]) -> None:
    """An open questionnaire for the demo mentee and mentor, if they are in a relationship (the
    wave their first relationship in that role has reached) and consented (``invite`` checks)."""
    now = timezone.now()
    conf = EvaluationSettings.for_scheme(scheme)
    by_wave = {q.wave: q for q in questionnaires.values()}
    for local, role in (("mentee", "mentee"), ("mentor", "mentor")):
        participant = Participant.objects.filter(
            scheme=scheme, user__email__startswith=f"{local}@"
        ).first()
        if participant is None:
            continue
        sides = [side for side, roles in SIDES.items() if role in roles]
        first = (
            Membership.objects.filter(participant=participant, side__in=sides)
            .select_related("relationship")
            .order_by("relationship__started_at", "id")
            .first()
        )
        if first is None:
            continue
        started = first.relationship.started_at
        wave = Wave.MONTH_6 if now >= add_months(started, conf.followup_months) else Wave.BASELINE
        services.invite(by_wave[wave], participant, role, now=now, conf=conf)


def seed_evaluation(scheme, coordinator, evaluator, rng: random.Random) -> None:
    """Install the AIMMS questionnaires and load the paper's responses, codebook and invites."""
    if Questionnaire.objects.filter(scheme=scheme).exists():
        return  # already seeded
    questionnaires = {q.code: q for q in services.install_shipped(scheme, actor=coordinator)}
    today = timezone.localdate()
    coded = []
    for code, make in ((BASELINE, _baseline_rows), (FOLLOWUP, _followup_rows)):
        rows, texts = make(questionnaires[code], rng, today)
        services.import_responses(questionnaires[code], rows, actor=evaluator)
        coded += texts
    _code(scheme, list(questionnaires.values()), coded, evaluator)
    _seed_cohort(scheme, coordinator, evaluator, today)
    _invite_demo_people(scheme, questionnaires)
