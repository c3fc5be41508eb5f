"""Seeded generator of realistic matching instances (for benchmarks and tests).

The output is the JSON form read by ``equimentor match`` (a plain dict).
Demand is skewed like real schemes: mentor popularity follows a power law,
so a few mentors are chosen by many mentees and many by few.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOPICS = [
    "health services research",
    "clinical trials",
    "randomised controlled trials",
    "cardiovascular epidemiology",
    "heart failure",
    "atrial fibrillation",
    "stroke rehabilitation",
    "dementia care",
    "neurodegenerative disease",
    "multiple sclerosis",
    "epilepsy genetics",
    "child and adolescent mental health",
    "perinatal mental health",
    "psychosis early intervention",
    "digital mental health",
    "suicide prevention",
    "global health",
    "maternal and newborn health",
    "infectious disease modelling",
    "antimicrobial resistance",
    "tuberculosis control",
    "hiv prevention",
    "vaccine immunology",
    "respiratory medicine",
    "asthma and copd",
    "lung cancer screening",
    "breast cancer",
    "colorectal cancer",
    "cancer immunotherapy",
    "radiotherapy physics",
    "haematological malignancies",
    "palliative care",
    "primary care",
    "general practice workforce",
    "multimorbidity",
    "frailty in older people",
    "falls prevention",
    "diabetes self-management",
    "obesity and nutrition",
    "kidney disease",
    "liver disease",
    "inflammatory bowel disease",
    "rheumatoid arthritis",
    "musculoskeletal pain",
    "orthopaedic surgery outcomes",
    "surgical trials",
    "anaesthesia and perioperative medicine",
    "intensive care outcomes",
    "sepsis",
    "emergency medicine",
    "trauma care",
    "medical education",
    "simulation-based training",
    "health economics",
    "cost-effectiveness analysis",
    "health policy",
    "health inequalities",
    "social determinants of health",
    "ethnic inequalities in health",
    "patient and public involvement",
    "qualitative research methods",
    "implementation science",
    "quality improvement",
    "patient safety",
    "health informatics",
    "machine learning in healthcare",
    "medical imaging",
    "genomic medicine",
    "rare diseases",
    "pharmacoepidemiology",
    "clinical pharmacology",
    "precision medicine",
    "stem cell biology",
    "regenerative medicine",
    "immunology of inflammation",
    "microbiome",
    "sexual and reproductive health",
    "women's health",
    "paediatric oncology",
    "neonatal intensive care",
    "ophthalmology",
    "hearing loss",
    "oral health",
    "dermatology",
    "nursing workforce",
    "allied health professions",
    "physiotherapy interventions",
    "occupational health",
    "environmental health",
    "air pollution and health",
    "addiction and substance use",
    "alcohol policy",
    "tobacco control",
    "physical activity",
    "sleep medicine",
    "pain management",
    "systematic reviews",
    "meta-analysis",
    "medical statistics",
    "causal inference",
    "cohort studies",
    "electronic health records",
    "research ethics",
]
FILLERS = ["", "", "interested in", "my research is on", "mixed methods"]
PATHWAYS = [
    "clinical academic",
    "non-clinical researcher",
    "nursing, midwifery and allied health",
    "research support",
]
SPECIALTIES = [
    "cardiology",
    "oncology",
    "psychiatry",
    "general practice",
    "public health",
    "paediatrics",
    "surgery",
    "neurology",
    "respiratory",
    "infectious diseases",
    "anaesthetics",
    "emergency medicine",
    "geriatrics",
    "obstetrics and gynaecology",
    "epidemiology",
    "statistics",
    "nursing",
    "physiotherapy",
    "pharmacy",
    "immunology",
]
GENDERS = ["woman", "man", "non-binary", "prefer_not_to_say"]
GENDER_P = [0.55, 0.38, 0.02, 0.05]
ETHNICITIES = ["white", "asian", "black", "mixed", "other", "prefer_not_to_say"]
ETHNICITY_P = [0.62, 0.18, 0.07, 0.05, 0.03, 0.05]


def _text(rng: np.random.Generator, topic_w: np.ndarray) -> str:
    k = int(rng.integers(1, 4))
    topics = rng.choice(len(TOPICS), size=k, replace=False, p=topic_w)
    filler = FILLERS[int(rng.integers(len(FILLERS)))]
    parts = [TOPICS[t] for t in topics]
    return (filler + " " if filler else "") + "; ".join(parts)


def _pick(rng: np.random.Generator, values: list[str], p: list[float], size: int) -> list[str]:
    return [values[k] for k in rng.choice(len(values), size=size, p=p).tolist()]


def generate_instance(
    n_mentees: int,
    n_mentors: int,
    *,
    seed: int = 0,
    choices: tuple[int, int] = (3, 10),
    capacity: tuple[int, int] = (1, 4),
    n_institutions: int = 60,
    different_institutions: bool = True,
    skew: float = 0.8,
    ranking_share: float = 0.05,
) -> dict[str, Any]:
    """A random instance in the JSON form of ``instance.schema.json``.

    Parameters
    ----------
    n_mentees, n_mentors:
        Sizes (``n_mentors`` >= 1).
    seed:
        Same seed, same instance.
    choices:
        Inclusive range of the number of choices per mentee (capped at
        ``n_mentors``).
    capacity:
        Inclusive range of mentor capacities.
    skew:
        Power-law exponent of mentor popularity (0 = uniform).
    ranking_share:
        Share of mentors who give an explicit ranking of some who chose them.

    Returns
    -------
    dict
        ``{"settings", "mentors", "mentees", "forbidden"}``.

    Raises
    ------
    ValueError
        On sizes or ranges that make no sense.
    """
    if n_mentees < 0 or n_mentors < 1:
        raise ValueError("need n_mentees >= 0 and n_mentors >= 1")
    if not (0 <= choices[0] <= choices[1]) or not (0 <= capacity[0] <= capacity[1]):
        raise ValueError("choices and capacity must be (low, high) with 0 <= low <= high")
    rng = np.random.default_rng(seed)
    topic_w = 1.0 / np.arange(1, len(TOPICS) + 1) ** 0.5
    topic_w /= topic_w.sum()
    insts = [f"University {k + 1}" for k in range(n_institutions)]

    def people(n: int, stage_lo: int, stage_hi: int) -> list[dict[str, Any]]:
        genders = _pick(rng, GENDERS, GENDER_P, n)
        eths = _pick(rng, ETHNICITIES, ETHNICITY_P, n)
        paths = _pick(rng, PATHWAYS, [0.45, 0.35, 0.15, 0.05], n)
        specs = rng.integers(0, len(SPECIALTIES), size=n).tolist()
        inst = rng.integers(0, n_institutions, size=n).tolist()
        stages = rng.integers(stage_lo, stage_hi + 1, size=n).tolist()
        firstgen = rng.random(n) < 0.2
        out = []
        for k in range(n):
            attrs = {
                "gender": genders[k],
                "ethnicity": eths[k],
                "pathway": paths[k],
                "specialty": SPECIALTIES[specs[k]],
                "first_generation": "yes" if firstgen[k] else "no",
            }
            out.append(
                {
                    "institution": insts[inst[k]],
                    "career_stage": stages[k],
                    "interests": _text(rng, topic_w),
                    "attributes": attrs,
                }
            )
        return out

    mentors = []
    caps = rng.integers(capacity[0], capacity[1] + 1, size=n_mentors).tolist()
    for j, p in enumerate(people(n_mentors, 2, 7)):
        mentors.append({"id": f"r{j}", "capacity": caps[j], **p})

    popularity = 1.0 / np.arange(1, n_mentors + 1) ** skew
    rng.shuffle(popularity)
    cdf = np.cumsum(popularity / popularity.sum())
    cdf[-1] = 1.0
    lo, hi = min(choices[0], n_mentors), min(choices[1], n_mentors)
    n_choices = rng.integers(lo, hi + 1, size=n_mentees)
    draws = max(4 * hi, 8)
    mentees = []
    chosen_by: dict[int, list[int]] = {}
    wants_options = [[], ["gender"], ["ethnicity"], ["gender", "ethnicity"], ["first_generation"]]
    wants_p = [0.5, 0.2, 0.12, 0.1, 0.08]
    wants = rng.choice(len(wants_options), size=n_mentees, p=wants_p).tolist()
    avoid_flag = rng.random(n_mentees) < 0.01
    for i, p in enumerate(people(n_mentees, 0, 4)):
        want = int(n_choices[i])
        picks: list[int] = []
        while len(picks) < want:
            raw = np.searchsorted(cdf, rng.random(draws), side="right").tolist()
            picks = list(dict.fromkeys(picks + raw))[:want]
        for j in picks:
            chosen_by.setdefault(j, []).append(i)
        row = {"id": f"e{i}", "choices": [f"r{j}" for j in picks], **p}
        if wants_options[wants[i]]:
            row["wants_shared"] = list(wants_options[wants[i]])
        if avoid_flag[i]:
            row["avoid"] = [f"r{int(rng.integers(n_mentors))}"]
        mentees.append(row)

    for j in sorted(chosen_by):
        if rng.random() < ranking_share:
            who = chosen_by[j]
            k = max(1, len(who) // 2)
            ranked = rng.choice(len(who), size=k, replace=False).tolist()
            mentors[j]["ranking"] = [f"e{who[r]}" for r in ranked]

    n_forbidden = n_mentees // 200
    forbidden = []
    for _ in range(n_forbidden):
        forbidden.append([f"e{int(rng.integers(n_mentees))}", f"r{int(rng.integers(n_mentors))}"])

    return {
        "settings": {
            "different_institutions": different_institutions,
            "ideal_seniority_gap": 2,
        },
        "mentors": mentors,
        "mentees": mentees,
        "forbidden": forbidden,
    }


MENTOR_SHAPE = {  # UK professors, roughly (HESA): ethnicity x gender
    ("white", "man"): 0.64,
    ("white", "woman"): 0.27,
    ("minority", "man"): 0.06,
    ("minority", "woman"): 0.03,
}
MINORITY = ["asian", "black", "mixed", "other"]
MINORITY_P = [0.5, 0.25, 0.15, 0.10]


def skewed_cohort(
    n_mentees: int,
    places_ratio: float,
    *,
    seed: int = 0,
    minority_share: float = 0.35,
    choices: int = 5,
) -> dict[str, Any]:
    """A cohort shaped like UK academic medicine, in the JSON form of ``instance.schema.json``.

    Mentors are mostly white men (about 64%), then white women (27%), minority-ethnic men (6%)
    and women (3%); their places add up to ``places_ratio`` times the mentees. A share
    ``minority_share`` of the mentees is minority-ethnic; they choose minority-ethnic mentors
    far more often (half of their choices, when such mentors are a tenth of all) and often ask
    to share ethnicity (60%) or gender (30%); white mentees ask to share gender (20%). Each
    mentee carries the group labels ``"ethnicity:<value>"`` and ``"gender:<value>"``; each
    person's ``attributes`` hold ``ethnicity`` (``white`` or a minority group) and ``gender``,
    and mentors also ``group`` (``white man`` ...), for reports of mentor load.

    Raises
    ------
    ValueError
        On sizes or ratios that make no sense.
    """
    if n_mentees < 1 or places_ratio <= 0:
        raise ValueError("need n_mentees >= 1 and places_ratio > 0")
    rng = np.random.default_rng(seed)
    topic_w = 1.0 / np.arange(1, len(TOPICS) + 1) ** 0.5
    topic_w /= topic_w.sum()
    n_inst = 60
    places = round(places_ratio * n_mentees)
    caps: list[int] = []
    while sum(caps) < places:
        caps.append(int(rng.integers(1, 4)))
    caps[-1] -= sum(caps) - places
    if caps[-1] == 0:
        caps.pop()
    shapes = list(MENTOR_SHAPE)
    kinds = rng.choice(len(shapes), size=len(caps), p=list(MENTOR_SHAPE.values())).tolist()
    mentors = []
    for j, cap in enumerate(caps):
        eth, gender = shapes[kinds[j]]
        if eth == "minority":
            eth = MINORITY[int(rng.choice(len(MINORITY), p=MINORITY_P))]
        mentors.append(
            {
                "id": f"r{j}",
                "capacity": cap,
                "institution": f"University {int(rng.integers(n_inst)) + 1}",
                "career_stage": int(rng.integers(3, 8)),
                "interests": _text(rng, topic_w),
                "attributes": {
                    "ethnicity": eth,
                    "gender": gender,
                    "pathway": PATHWAYS[int(rng.integers(len(PATHWAYS)))],
                    "group": f"{'white' if eth == 'white' else 'minority-ethnic'} {gender}",
                },
            }
        )
    minority_r = np.array([m["attributes"]["ethnicity"] != "white" for m in mentors])
    pop = 1.0 / np.arange(1, len(mentors) + 1) ** 0.8
    rng.shuffle(pop)
    cdf = {
        kind: np.cumsum(w / w.sum())
        for kind, w in (
            ("all", pop),
            ("white", np.where(minority_r, 0.0, pop)),
            ("minority", np.where(minority_r, pop, 0.0)),
        )
    }
    for c in cdf.values():
        c[-1] = 1.0
    draws = max(8, 4 * choices)
    mentees = []
    for i in range(n_mentees):
        minority = rng.random() < minority_share
        eth = MINORITY[int(rng.choice(len(MINORITY), p=MINORITY_P))] if minority else "white"
        gender = "woman" if rng.random() < 0.6 else "man"
        want = min(choices, len(mentors))
        picks: list[int] = []
        while len(picks) < want:
            if minority:  # half of her choices among the minority-ethnic mentors
                side = rng.random(draws) < 0.5
                raw = np.where(
                    side,
                    np.searchsorted(cdf["minority"], rng.random(draws), side="right"),
                    np.searchsorted(cdf["white"], rng.random(draws), side="right"),
                )
            else:
                raw = np.searchsorted(cdf["all"], rng.random(draws), side="right")
            picks = list(dict.fromkeys(picks + raw.tolist()))[:want]
        wants = []
        if minority and rng.random() < 0.6:
            wants.append("ethnicity")
        if rng.random() < (0.3 if minority else 0.2):
            wants.append("gender")
        mentees.append(
            {
                "id": f"e{i}",
                "choices": [f"r{j}" for j in picks],
                "institution": f"University {int(rng.integers(n_inst)) + 1}",
                "career_stage": int(rng.integers(0, 4)),
                "interests": _text(rng, topic_w),
                "attributes": {
                    "ethnicity": eth,
                    "gender": gender,
                    "pathway": PATHWAYS[int(rng.integers(len(PATHWAYS)))],
                },
                "wants_shared": wants,
                "groups": [f"ethnicity:{eth}", f"gender:{gender}"],
            }
        )
    return {
        "settings": {"different_institutions": True, "max_choices": choices},
        "mentors": mentors,
        "mentees": mentees,
    }
