"""Authorisation matrix: every safeguarding and privacy page and action × every role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.accounts.models import User
from equimentor.safeguarding import services
from equimentor.schemes.models import StaffRole
from tests import factories
from tests.relationships_setup import accepted, pair

ROLES = [
    "anonymous",
    "applicant",
    "mentee",
    "mentor",
    "coordinator",
    "lead",
    "subject_lead",
    "evaluator",
    "superuser",
]


@pytest.fixture
def people(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice, mentors=2)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
        applicant = factories.register_participant(scheme_a, "applicant@example.org")
    subject_lead = mentors[0].user
    StaffRole.objects.create(user=subject_lead, scheme=scheme_a, role="safeguarding")
    users = {
        "anonymous": None,
        "applicant": applicant.user,
        "mentee": mentees[0].user,
        "mentor": mentors[1].user,
        "coordinator": alice,
        "lead": factories.make_staff(scheme_a, "safeguarding", email="lead@example.org"),
        "subject_lead": subject_lead,
        "evaluator": factories.make_staff(scheme_a, "evaluator", email="eval@example.org"),
        "superuser": User.objects.create_superuser("root@example.org", "x" * 12, full_name="Root"),
    }
    case, _ = services.raise_concern(
        mentees[0].user,
        scheme_a,
        services.Concern("harassment", "x", "action", relationship=rel, subject=subject_lead),
    )
    return users, scheme_a, rel, case


OK, LOGIN, DENIED, MISSING, REDIRECT = 200, 302, 403, 404, 302

#                         anon  applicant mentee mentor coord lead subj eval super
# a superuser is not a safeguarding lead (tests/test_staff_access_matrix.py: unless also one)
STAFF_ONLY_LEAD = [LOGIN, DENIED, DENIED, DENIED, DENIED, OK, OK, DENIED, DENIED]
CASE = [LOGIN, DENIED, DENIED, DENIED, DENIED, OK, MISSING, DENIED, DENIED]
CASE_ACT = [LOGIN, DENIED, DENIED, DENIED, DENIED, REDIRECT, MISSING, DENIED, DENIED]
SIGNED_IN = [LOGIN, OK, OK, OK, OK, OK, OK, OK, OK]
EVERYONE = [OK] * 9
ROUTES = [LOGIN, DENIED, DENIED, DENIED, OK, OK, OK, DENIED, OK]
COORD = [LOGIN, DENIED, DENIED, DENIED, OK, DENIED, DENIED, DENIED, OK]
SUPER = [LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, OK]
LEAVE = [LOGIN, MISSING, OK, MISSING, MISSING, MISSING, OK, MISSING, MISSING]


def pages(scheme, rel, case):
    s = scheme.slug
    return [
        ("get", reverse("safeguarding:raise"), {}, SIGNED_IN),
        ("get", reverse("safeguarding:my_concerns"), {}, SIGNED_IN),
        ("get", reverse("safeguarding:follow_up"), {}, EVERYONE),
        ("get", reverse("safeguarding:cases", args=[s]), {}, STAFF_ONLY_LEAD),
        ("get", reverse("safeguarding:trends", args=[s]), {}, STAFF_ONLY_LEAD),
        ("get", reverse("safeguarding:routes", args=[s]), {}, ROUTES),
        ("get", reverse("safeguarding:case", args=[s, case.pk]), {}, CASE),
        ("get", reverse("safeguarding:case_export", args=[s, case.pk]), {}, CASE),
        (
            "post",
            reverse("safeguarding:case_act", args=[s, case.pk]),
            {"note": "1", "body": "n"},
            CASE_ACT,
        ),
        ("get", reverse("safeguarding:access_log"), {}, SUPER),
        ("get", reverse("safeguarding:leaving_reasons", args=[s]), {}, COORD),
        ("get", reverse("safeguarding:leave", args=[s, rel.pk]), {}, LEAVE),
        ("get", reverse("privacy:my_data"), {}, SIGNED_IN),
        ("get", reverse("privacy:export"), {}, SIGNED_IN),
        ("get", reverse("privacy:notice", args=[s]), {}, EVERYONE),
        ("get", reverse("privacy:retention", args=[s]), {}, COORD),
    ]


def test_authorisation_matrix(client, people):
    users, scheme, rel, case = people
    failures = []
    for method, url, data, expected in pages(scheme, rel, case):
        for role, want in zip(ROLES, expected, strict=True):
            client.logout()
            if users[role] is not None:
                client.force_login(users[role])
            got = getattr(client, method)(url, data).status_code
            if got != want:
                failures.append(f"{role} {method.upper()} {url}: {got} (expected {want})")
    assert failures == []


def test_my_concern_is_reporters_only(client, people):
    users, _, _, case = people
    url = reverse("safeguarding:my_concern", args=[case.pk])
    for role in ROLES:
        client.logout()
        if users[role] is not None:
            client.force_login(users[role])
        expected = 302 if role == "anonymous" else 200 if role == "mentee" else 404
        assert client.get(url).status_code == expected, role
