"""Bad input gets a clear message, never a 500 or minutes of CPU (#23)."""

from __future__ import annotations

import io
import time

import pytest

from equimentor.evaluation.models import ResponseImport
from tests import evaluation_setup as es


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
    assert "Map columns" in client.get(url).content.decode()
    # another analyst of the scheme does not pick it up, even given its id
    from django.test import Client

    from tests import factories

    other = Client()
    other.force_login(factories.make_staff(stored.scheme, "evaluator"))
    session = other.session
    session["evaluation_import"] = stored.pk
    session.save()
    assert "Map columns" not in other.get(url).content.decode()
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
