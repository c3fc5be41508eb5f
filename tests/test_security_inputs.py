"""Bad input gets a clear message, never a 500 or minutes of CPU (#23)."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from equimentor.evaluation.models import ResponseImport
from tests import evaluation_setup as es
from tests import factories


@pytest.fixture
def importing(client, scheme_a, alice):
    es.install(scheme_a, alice)
    client.force_login(alice)
    return client, f"/manage/{scheme_a.slug}/evaluation/import/"


def _upload(client, url, text):
    upload = io.BytesIO(text.encode())
    upload.name = "responses.csv"
    return client.post(
        url, {"step": "upload", "questionnaire": "aimms-baseline", "file": upload, "role": ""}
    )


def test_a_csv_with_100000_columns_is_refused_at_once(importing):
    client, url = importing
    started = time.monotonic()
    response = _upload(client, url, ",".join(f"c{i}" for i in range(100_000)) + "\n1\n")
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "Line 1 has more than 300 columns" in response.content.decode()
    assert not ResponseImport.objects.exists()


@pytest.mark.parametrize("size", [10_001, 200_000])
def test_a_long_cell_is_refused_with_a_message(importing, size):
    client, url = importing
    response = _upload(client, url, "role,why\nmentee," + "x" * size + "\n")
    assert response.status_code == 400
    assert "a cell is longer than 10,000 characters" in response.content.decode()
    assert not ResponseImport.objects.exists()


def test_the_uploaded_file_waits_in_the_database_not_the_session(importing, alice):
    client, url = importing
    text = "role,why\nmentee,A confidential answer naming someone\n"
    assert _upload(client, url, text).status_code == 302
    assert "A confidential answer" not in str(dict(client.session))
    stored = ResponseImport.objects.get()
    assert stored.text == text and stored.created_by == alice
    assert "Map the file to" in client.get(url).content.decode()
    # another analyst of the scheme does not pick it up, even given its id
    from django.test import Client

    other = Client()
    other.force_login(factories.make_staff(stored.scheme, "evaluator"))
    session = other.session
    session["evaluation_import"] = stored.pk
    session.save()
    assert "Map the file to" not in other.get(url).content.decode()
    client.post(url, {"step": "cancel"})
    assert not ResponseImport.objects.exists()


def test_abandoned_uploads_go_after_a_day(importing, scheme_a, alice):
    from datetime import timedelta

    from django.utils import timezone

    from equimentor.privacy.services import run_retention

    client, url = importing
    _upload(client, url, "role,why\nmentee,x\n")
    assert run_retention(timezone.now() + timedelta(hours=23))["import_uploads"] == 0
    assert run_retention(timezone.now() + timedelta(hours=25))["import_uploads"] == 1
    assert not ResponseImport.objects.exists()


# --- every number a request can carry ----------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
READ = re.compile(
    r"""(?:GET|query_params|params)\.get(?:list)?\(\s*f?"([^"]+)"|query_int\([^,]+,\s*"(\w+)\""""
)


def _query_names() -> set[str]:
    """Every query parameter the product reads (found in its code), and the directory's filter
    form's fields (a form bound to the query string)."""
    from equimentor.directory.forms import MentorFilterForm

    names = set()
    for path in (ROOT / "equimentor").rglob("*.py"):
        for a, b in READ.findall(path.read_text()):
            name = a or b
            if "{i}" in name:
                names |= {name.replace("{i}", str(i)) for i in (1, 2, 3)}
            else:
                names.add(name)
    names |= set(MentorFilterForm.base_fields)
    return names - {"RelayState", "SAMLResponse", "error"}  # SSO replies: signed or refused


HUGE = "99999999999999999999"


def _routes():
    from django.urls import get_resolver

    from tests.url_walk import walk_urls as _walk

    for route, _view in _walk(get_resolver().url_patterns):
        if not route.startswith("^"):
            yield route


def _url(route: str, number: str) -> str:
    return "/" + re.sub(
        r"<(?:(\w+):)?\w+>",
        lambda m: {"slug": "scheme-a", "int": number}.get(m.group(1) or "str", "csv"),
        route,
    )


def test_the_parameters_walked_include_the_reported_ones():
    assert {"page", "weeks", "v", "status", "by1", "og2", "career_stage"} <= _query_names()


@pytest.mark.parametrize("who", ["participant", "superuser"])
def test_no_number_in_an_address_gives_a_server_error(client, scheme_a, alice, bob, who):
    """Every URL pattern, with path ids past any database's integers, and with every query
    parameter the product reads set to a huge number, a negative one and not a number."""
    client.raise_request_exception = False
    client.force_login(bob if who == "participant" else factories.UserFactory(is_superuser=True))
    names = _query_names()
    errors = []
    for route in _routes():
        variants = [_url(route, HUGE) + "?" + urlencode(dict.fromkeys(names, HUGE))]
        variants += [
            _url(route, "1") + "?" + urlencode(dict.fromkeys(names, value))
            for value in (HUGE, "-1", "1e9", "x")
        ]
        for url in variants:
            response = client.get(url)
            if response.status_code >= 500:
                errors.append((url[:120], response.status_code))
    assert errors == []


@pytest.mark.parametrize("value", ["99999999", HUGE, "0", "-3", "ten"])
def test_weeks_out_of_range_is_a_400_that_says_so(client, scheme_a, alice, value):
    client.force_login(alice)
    message = "Weeks without a meeting must be a whole number from 1 to 520."
    for url in (
        f"/manage/{scheme_a.slug}/relationships/?weeks={value}",
        f"/manage/{scheme_a.slug}/relationships/export.csv?weeks={value}",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.content.decode()
    api = client.get(f"/api/v1/schemes/{scheme_a.slug}/relationships/?weeks={value}")
    assert api.status_code == 400 and api.json()["errors"] == {"weeks": [message]}
    assert client.get(f"/manage/{scheme_a.slug}/relationships/?weeks=520").status_code == 200
