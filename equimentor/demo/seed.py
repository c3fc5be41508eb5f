"""Deterministic demo data: an AIMMS-like national scheme with invented people.

About twenty institutions, 60 mentors and 90 mentees (some are both), with
varied profiles and research interests, consents recorded against the
published documents, and optional identity answers for those who consented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core import audit
from equimentor.demo.documents import DOCUMENTS
from equimentor.directory.demo import seed_directory
from equimentor.enrolment.models import (
    Consent,
    ExpressionOfInterest,
    Participant,
    RegistrationInvite,
)
from equimentor.evaluation.demo import seed_evaluation
from equimentor.identity.models import IdentityAnswer
from equimentor.matching.demo import seed_matching
from equimentor.relationships.demo import seed_relationships
from equimentor.safeguarding.demo import seed_safeguarding
from equimentor.schemes.models import Institution, Scheme, SchemeDocument, StaffRole
from equimentor.training.demo import seed_training

SLUG = "horizons"
DEMO_PASSWORD = "equimentor-demo"
DEMO_DOMAIN = "demo.equimentor.org"

INSTITUTIONS = [
    "University of Birmingham",
    "Cardiff University",
    "University of Exeter",
    "Hull York Medical School",
    "University of Leeds",
    "University of Leicester",
    "University of St Andrews",
    "Swansea University",
    "University of Southampton",
    "University of Bristol",
    "University of Manchester",
    "Newcastle University",
    "University of Nottingham",
    "University of Sheffield",
    "Queen Mary University of London",
    "King's College London",
    "University of Glasgow",
    "University of Edinburgh",
    "Queen's University Belfast",
    "University of Liverpool",
    "Brighton and Sussex Medical School",
]
FIRST = [
    "Aisha",
    "Priya",
    "Nadia",
    "Mei",
    "Folasade",
    "Zainab",
    "Anjali",
    "Chiamaka",
    "Farah",
    "Lina",
    "Hui",
    "Samira",
    "Ngozi",
    "Kavita",
    "Yasmin",
    "Thandiwe",
    "Rukhsana",
    "Amara",
    "Sunita",
    "Leila",
    "Adaeze",
    "Shreya",
    "Hana",
    "Noor",
    "Bisola",
    "Mariam",
    "Deepa",
    "Xin",
    "Efua",
    "Rania",
    "Ifeoma",
    "Salma",
    "Neha",
    "Yetunde",
    "Ayesha",
    "Lakshmi",
    "Khadija",
    "Mónica",
    "Tariq",
    "Jia",
]
LAST = [
    "Okafor",
    "Patel",
    "Rahman",
    "Chen",
    "Adeyemi",
    "Hussain",
    "Sharma",
    "Nwosu",
    "Begum",
    "Haddad",
    "Zhang",
    "Mensah",
    "Iqbal",
    "Kaur",
    "Osei",
    "Mahmood",
    "Nguyen",
    "Abubakar",
    "Desai",
    "Ali",
    "Balogun",
    "Choudhury",
    "Lim",
    "Okonkwo",
    "Siddiqui",
    "Achebe",
    "Wong",
    "Karimi",
    "Boateng",
    "Reddy",
    "Eze",
    "Malik",
    "Tan",
    "Obi",
    "Khan",
    "Gupta",
    "Yeboah",
    "Farouk",
    "Ramírez",
    "Ito",
]
DEPARTMENTS = [
    "Population Health Sciences",
    "Cardiovascular Sciences",
    "Cancer Sciences",
    "Psychiatry",
    "Infection and Immunity",
    "Primary Care",
    "Paediatrics",
    "Obstetrics and Gynaecology",
    "Public Health",
    "Medical Education",
    "Genomic Medicine",
    "Nursing and Midwifery",
    "Clinical Pharmacology",
    "Neuroscience",
    "Surgery",
    "Dermatology",
    "Renal Medicine",
]
INTERESTS = [
    "health services research",
    "maternal health",
    "global health",
    "genomics",
    "cardiovascular epidemiology",
    "medical education",
    "mental health",
    "health inequalities",
    "clinical trials",
    "infectious disease",
    "antimicrobial resistance",
    "diabetes",
    "cancer immunotherapy",
    "qualitative methods",
    "implementation science",
    "digital health",
    "stroke rehabilitation",
    "ageing and frailty",
    "child development",
    "primary care",
    "pharmacoepidemiology",
    "health economics",
    "machine learning in imaging",
    "sickle cell disease",
    "HIV prevention",
    "respiratory medicine",
    "neurodegeneration",
    "kidney disease",
    "patient and public involvement",
    "women's health",
]
JOBS = [
    ["PhD student in a clinical department", "Clinical research fellow", "Doctoral researcher"],
    ["Postdoctoral research associate", "Academic clinical fellow", "Research fellow"],
    ["Lecturer", "Clinical lecturer", "Senior research fellow"],
    ["Senior lecturer", "Associate professor", "Honorary consultant and senior lecturer"],
    ["Reader", "Consultant and reader", "Principal research fellow"],
    ["Professor", "Professor and consultant physician", "Head of department"],
]
SEEKS = [
    "Advice on applying for my first fellowship and building independence.",
    "Guidance on promotion to senior lecturer and how to evidence leadership.",
    "Someone who understands balancing clinical work, research and caring responsibilities.",
    "Support with confidence, visibility and saying no to extra committee work.",
    "Help planning the next five years and finding sponsors for grant applications.",
]
OFFERS = [
    "Fellowship and grant applications, including interview preparation.",
    "Promotion cases and navigating academic leadership.",
    "Combining a clinical career with research, and returning after leave.",
    "Building networks, visibility and collaborations across institutions.",
    "Publishing strategy and supervising doctoral students.",
]
ETHNICITY_WORDS = {
    "asian": [
        "British Indian",
        "Pakistani",
        "Bangladeshi British",
        "Malaysian Chinese",
        "Chinese/Vietnamese",
        "Sri Lankan Tamil",
    ],
    "black": ["Black African", "Black Caribbean", "Nigerian British", "Ghanaian"],
    "mixed": ["Mixed White and Black Caribbean", "Mixed Asian and White"],
    "arab": ["Arab", "British Arab"],
    "other": ["Latina", "Latino/European"],
}

DEMO_ACCOUNTS = [  # (role label, email local part, name)
    ("Applicant", "applicant", "Grace Adebayo"),
    ("Mentee", "mentee", "Priya Raman"),
    ("Mentor", "mentor", "Folasade Okonjo"),
    ("Coordinator", "coordinator", "Helen Marsh"),
    ("Safeguarding lead", "safeguarding", "Rehana Qureshi"),
    ("Evaluator", "evaluator", "Ming Zhao"),
    ("Site administrator", "admin", "Site Administrator"),
]


@dataclass
class DemoResult:
    created: bool
    applicant_link: str


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _publish_documents(scheme: Scheme) -> dict[str, SchemeDocument]:
    docs = {}
    for kind, (title, body) in DOCUMENTS.items():
        doc = SchemeDocument.objects.create(
            scheme=scheme, kind=kind, version=1, title=title, body=body.strip()
        )
        doc.publish()
        docs[kind] = doc
    return docs


def _user(email: str, name: str, *, password: str = "", superuser: bool = False) -> User:
    """A demo person; ``password`` is the hash of the demo password for those who sign in with
    it (hashed once per seed: the real hasher takes about 0.4 s a time), else they have none."""
    user = User.objects.create_user(
        email, password=None, full_name=name, is_staff=superuser, is_superuser=superuser
    )
    if password:
        User.objects.filter(pk=user.pk).update(password=password)
        user.password = password
    return user


@transaction.atomic
def seed(rng_seed: int = 2020) -> bool:
    """Load the demo data once; return False if it was already there."""
    if Scheme.objects.filter(slug=SLUG).exists():
        return False
    rng = random.Random(rng_seed)
    now = timezone.now()
    institutions = [Institution.objects.create(name=name) for name in INSTITUTIONS]

    scheme = Scheme.objects.create(
        name="Horizons Mentoring",
        slug=SLUG,
        summary="A national mentoring scheme for women from minority ethnic backgrounds in academic "
        "medicine and the health sciences.",
        description=(
            "Horizons connects women from Black, Asian and other minority ethnic backgrounds "
            "across UK medical schools and health science faculties, as mentees, mentors or "
            "both. Mentoring is virtual, across institutions, for six months at first and "
            "longer by mutual agreement. The first meeting is a trial: nobody is under "
            "pressure to continue."
        ),
        eligibility_statements=[
            "I am employed in academic medicine or the health sciences.",
            "I identify as a woman from a Black, Asian or other minority ethnic background.",
            "I am not currently an undergraduate or postgraduate student.",
        ],
        max_choices=3,
        relationship_months=6,
        different_institutions=True,
        max_mentor_capacity=4,
        identity_dimensions=[
            "ethnicity",
            "gender",
            "disability",
            "caring",
            "first_generation",
            "migration",
        ],
        contact_email="horizons@demo.equimentor.org",
        is_open=True,
    )
    docs = _publish_documents(scheme)
    other = Scheme.objects.create(
        name="Clinical Academic Futures",
        slug="clinical-futures",
        summary="A regional scheme pairing clinical lecturers with senior clinical academics.",
        eligibility_statements=["I hold a clinical academic post in the region."],
        offers_mentor=True,
        offers_mentee=True,
        allows_both=False,
        is_open=False,
    )
    _publish_documents(other)

    hashed = make_password(DEMO_PASSWORD)
    staff = {}
    for label, local, name in DEMO_ACCOUNTS:
        if label in {"Mentee", "Mentor", "Applicant"}:
            continue
        staff[local] = _user(demo_email(local), name, password=hashed, superuser=(local == "admin"))
    StaffRole.objects.create(user=staff["coordinator"], scheme=scheme, role="coordinator")
    StaffRole.objects.create(user=staff["safeguarding"], scheme=scheme, role="safeguarding")
    StaffRole.objects.create(user=staff["evaluator"], scheme=scheme, role="evaluator")
    other_coordinator = _user(f"futures-coordinator@{DEMO_DOMAIN}", "Tom Ellery", password=hashed)
    StaffRole.objects.create(user=other_coordinator, scheme=other, role="coordinator")

    # 60 mentors and 90 mentees; the first 8 mentors are also mentees (peer support).
    people = []
    for i in range(142):
        if i < 60:
            role = "both" if i < 8 else "mentor"
            stage = rng.choice([3, 3, 4, 4, 5, 5, 2])
        else:
            role = "mentee"
            stage = rng.choice([0, 1, 1, 2, 2, 2, 3])
        people.append((role, stage))
    names_used = set()
    participants = []
    for i, (role, stage) in enumerate(people):
        if i == 0:
            name, local = "Folasade Okonjo", "mentor"
        elif i == 60:
            name, local = "Priya Raman", "mentee"
        else:
            while True:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                if name not in names_used:
                    break
            local = f"participant{i:03d}"
        names_used.add(name)
        email = demo_email(local)
        institution = rng.choice(institutions)
        registered = now - timedelta(days=rng.randint(5, 400))
        user = _user(email, name, password=hashed if local in {"mentor", "mentee"} else "")
        expression = ExpressionOfInterest.objects.create(
            scheme=scheme,
            email=email,
            name=name,
            institution=institution,
            declared_eligible=True,
            last_sent_at=registered - timedelta(days=rng.randint(1, 20)),
        )
        status = "approved"
        if local not in {"mentor", "mentee"}:
            status = rng.choices(["approved", "registered", "queried", "withdrawn"], [85, 8, 2, 5])[
                0
            ]
        interests = "; ".join(rng.sample(INTERESTS, rng.randint(2, 4)))
        p = Participant(
            user=user,
            scheme=scheme,
            expression=expression,
            status=status,
            is_mentor=role in {"mentor", "both"},
            is_mentee=role in {"mentee", "both"},
            job_title=rng.choice(JOBS[stage]),
            career_stage=stage,
            pathway=rng.choice(["clinical", "non_clinical"]),
            institution=institution,
            department=rng.choice(DEPARTMENTS),
            research_interests=interests,
            career_summary=(
                f"{rng.randint(2, 25)} years in academic medicine, currently working on "
                f"{interests.split('; ')[0]}."
            ),
            offers=rng.choice(OFFERS) if role != "mentee" else "",
            seeks=rng.choice(SEEKS) if role != "mentor" else "",
            mentor_capacity=rng.choice([1, 1, 2, 2, 3, 4]) if role != "mentee" else None,
            meeting_mode=rng.choice(["virtual", "virtual", "virtual", "either"]),
            registered_at=registered,
            approved_at=registered + timedelta(days=rng.randint(1, 10))
            if status == "approved"
            else None,
            withdrawn_at=registered + timedelta(days=30) if status == "withdrawn" else None,
        )
        participants.append(p)
    Participant.objects.bulk_create(participants)
    participants = list(
        Participant.objects.filter(scheme=scheme).select_related("user").order_by("pk")
    )

    consents, answers = [], []
    for p in participants:
        for purpose in (*Consent.REQUIRED, Consent.Purpose.EVALUATION):
            if purpose == Consent.Purpose.EVALUATION and rng.random() < 0.3:
                continue
            consents.append(
                Consent(
                    participant=p,
                    purpose=purpose,
                    given_at=p.registered_at,
                    document=docs[Consent.DOCUMENT_FOR_PURPOSE[purpose]],
                )
            )
        if rng.random() < 0.8:
            for purpose in (Consent.Purpose.IDENTITY_MATCHING, Consent.Purpose.IDENTITY_REPORTS):
                consents.append(
                    Consent(
                        participant=p,
                        purpose=purpose,
                        given_at=p.registered_at,
                        document=docs["privacy_notice"],
                    )
                )
            group = rng.choices(
                ["asian", "black", "mixed", "arab", "other", "prefer_not_to_say"],
                [45, 30, 10, 6, 4, 5],
            )[0]
            words = rng.choice(ETHNICITY_WORDS[group]) if group in ETHNICITY_WORDS else ""
            answers.append(
                IdentityAnswer(
                    participant=p,
                    dimension="ethnicity",
                    value=group,
                    self_description=words,
                    show_on_profile=p.is_mentor and rng.random() < 0.6,
                )
            )
            answers.append(IdentityAnswer(participant=p, dimension="gender", value="woman"))
            answers.append(
                IdentityAnswer(
                    participant=p,
                    dimension="caring",
                    value=rng.choice(["yes", "no", "prefer_not_to_say"]),
                )
            )
            answers.append(
                IdentityAnswer(
                    participant=p,
                    dimension="first_generation",
                    value=rng.choice(["yes", "no", "no"]),
                )
            )
    Consent.objects.bulk_create(consents)
    IdentityAnswer.objects.bulk_create(answers)

    # Interest that did not (yet) turn into registration, from more institutions.
    extra = []
    for i in range(60):
        extra.append(
            ExpressionOfInterest(
                scheme=scheme,
                email=demo_email(f"interested{i:03d}"),
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                institution=rng.choice(institutions),
                declared_eligible=True,
                last_sent_at=now - timedelta(days=rng.randint(1, 300)),
            )
        )
    extra.append(
        ExpressionOfInterest(
            scheme=scheme,
            email=demo_email("applicant"),
            name="Grace Adebayo",
            institution=institutions[0],
            declared_eligible=True,
            last_sent_at=now,
        )
    )
    ExpressionOfInterest.objects.bulk_create(extra)
    # Each expression of interest dates from when its link was sent (not from today), so the
    # funnel by quarter shows interest before registration.
    ExpressionOfInterest.objects.filter(scheme=scheme, last_sent_at__isnull=False).update(
        created_at=F("last_sent_at")
    )
    seed_directory(scheme, rng)
    seed_matching(scheme, staff["coordinator"], rng)
    seed_relationships(scheme, rng)
    seed_training(scheme, staff["coordinator"], random.Random(rng_seed + 19))
    seed_evaluation(scheme, staff["coordinator"], staff["evaluator"], rng)
    seed_safeguarding(scheme, staff["safeguarding"], rng)
    audit.record("demo.seeded", scheme, scheme=scheme, participants=len(participants))
    return True


def applicant_link() -> str:
    """A fresh registration link for the demo applicant (the demo prints it)."""
    expression = ExpressionOfInterest.objects.get(scheme__slug=SLUG, email=demo_email("applicant"))
    if Participant.objects.filter(expression=expression).exists():
        return ""
    _, raw = RegistrationInvite.issue(expression)
    return raw
