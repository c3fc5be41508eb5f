"""Personas: alice coordinates scheme A, bob takes part in A, charlie coordinates scheme B and must
see nothing of A; dana is an applicant with no account."""

from __future__ import annotations

import pytest

from tests import factories
from tests.sso_setup import oidc_provider, saml_idp  # noqa: F401  (identity providers)


@pytest.fixture
def scheme_a(db):
    return factories.make_scheme(name="Scheme A", slug="scheme-a", contact_email="a@example.org")


@pytest.fixture
def scheme_b(db):
    return factories.make_scheme(name="Scheme B", slug="scheme-b")


@pytest.fixture
def institution(db):
    return factories.InstitutionFactory(name="University of Exampleton")


@pytest.fixture
def alice(scheme_a):
    return factories.make_staff(
        scheme_a, "coordinator", email="alice@example.org", full_name="Alice Coordinator"
    )


@pytest.fixture
def charlie(scheme_b):
    return factories.make_staff(
        scheme_b, "coordinator", email="charlie@example.org", full_name="Charlie Other"
    )


@pytest.fixture
def bob_participant(scheme_a, institution, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return factories.register_participant(scheme_a, "bob@example.org", institution=institution)


@pytest.fixture
def bob(bob_participant):
    return bob_participant.user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
