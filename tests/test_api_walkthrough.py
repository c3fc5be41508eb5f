"""The documented API walkthrough (scripts/api-walkthrough.sh, #20) runs for real: a web server
and a task worker on loopback, against a prepared scheme; the script makes its tokens with the
`token` command and does everything else with curl. It must exit 0, and the database must then
hold what it did: two people imported and approved with their consents, a round published with
the mentee's choice honoured, every change through a token audited with it, and the funnel it
printed."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from equimentor.core.models import AuditEvent
from equimentor.enrolment.models import Consent, Participant
from equimentor.matching.models import MatchingRound, Proposal
from equimentor.schemes.models import Institution, StaffRole
from tests import factories, processes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCRIPT = processes.ROOT / "scripts" / "api-walkthrough.sh"
MENTEE, MENTOR = "walkthrough-mentee@example.org", "walkthrough-mentor@example.org"


def _prepared_scheme():
    scheme = factories.make_scheme(name="Horizons", slug="horizons", different_institutions=True)
    Institution.objects.create(name="University of Exampleton")
    Institution.objects.create(name="Northfield University")
    coordinator = factories.UserFactory(email="coordinator@example.org")
    StaffRole.objects.create(user=coordinator, scheme=scheme, role="coordinator")
    return scheme


def _take_back(url: str) -> None:
    """SQLite: copy what the processes wrote in the shared file back into the test database."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(url.removeprefix("sqlite:///")) as source:
            source.backup(connection.connection)


def test_the_walkthrough_script_runs_against_a_real_server(tmp_path):
    if shutil.which("curl") is None or shutil.which("jq") is None:
        pytest.skip("the walkthrough needs curl and jq (.ci/run installs jq)")
    scheme = _prepared_scheme()
    url = processes.shared_database_url(tmp_path)
    port = processes.free_port()
    env = processes.env(DATABASE_URL=url, TASKS_BACKEND="database", DEBUG="0")
    env.update(ALLOWED_HOSTS="127.0.0.1", EQUIMENTOR_VAR_DIR=str(tmp_path / "var"))
    web = processes.Process(
        [*processes.EQUIMENTOR, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        env,
        tmp_path / "web.log",
    )
    worker = processes.Process(
        [*processes.EQUIMENTOR, "worker", "--interval", "0.2"], env, tmp_path / "worker.log"
    )
    try:
        processes.wait_until_serving(web, port)
        run = subprocess.run(
            ["bash", str(SCRIPT), f"http://127.0.0.1:{port}"],
            env={
                **env,
                "SCHEME": "horizons",
                "COORDINATOR": "coordinator@example.org",
                "INSTITUTION": "University of Exampleton",
                "MENTOR_INSTITUTION": "Northfield University",
                "EQUIMENTOR": " ".join(processes.EQUIMENTOR),
                "POLL_SECONDS": "30",
            },
            capture_output=True,
            text=True,
            timeout=120,
            cwd=processes.ROOT,
        )
    finally:
        worker.stop()
        web.stop()
    output = run.stdout + run.stderr
    assert run.returncode == 0, output + web.output + worker.output
    assert "Traceback" not in web.output + worker.output
    _take_back(url)

    people = {p.user.email: p for p in Participant.objects.filter(scheme=scheme)}
    assert set(people) == {MENTEE, MENTOR}
    assert {p.status for p in people.values()} == {"approved"}
    assert (people[MENTEE].is_mentee, people[MENTOR].is_mentor) == (True, True)
    for person in people.values():  # every required consent, against the current version
        consents = {c.purpose: c.document for c in person.consents.all()}
        assert set(Consent.REQUIRED) <= set(consents)
        current = scheme.current_documents()
        assert all(consents[p] == current[Consent.DOCUMENT_FOR_PURPOSE[p]] for p in consents)
    matching_round = MatchingRound.objects.get(scheme=scheme)
    assert matching_round.status == "published"
    proposal = Proposal.objects.get(round=matching_round)
    assert (proposal.mentee, proposal.mentor, proposal.choice_rank) == (
        people[MENTEE],
        people[MENTOR],
        1,
    )
    audited = AuditEvent.objects.filter(scheme=scheme)
    for action in (
        "enrolment.import.done",
        "enrolment.import.accepted",
        "matching.round.published",
    ):
        assert audited.filter(action=action, via_token__isnull=False).exists(), action
    # the funnel as printed: no expression of interest (they were imported), two registered
    # and approved, withheld as fewer than five (as on the pages), nobody matched until a
    # proposal is accepted
    funnel = run.stdout.split("== The funnel", 1)[1].splitlines()
    assert funnel[2].split(" | ")[:7] == [
        "     Group",
        "Expressions of interest",
        "Declared eligible",
        "Registered",
        "Approved",
        "Approved mentees",
        "Matched",
    ]
    assert funnel[3].split(" | ")[:7] == ["     All", "0", "0", "<5", "<5", "<5", "0"]
    assert "The walkthrough finished: two people approved" in run.stdout
    assert " 202 Accepted" in run.stdout and "succeeded" in run.stdout


def test_the_walkthrough_stops_at_the_first_failure(tmp_path):
    """No server: the first request fails and the script exits non-zero, saying where."""
    if shutil.which("curl") is None or shutil.which("jq") is None:
        pytest.skip("the walkthrough needs curl and jq (.ci/run installs jq)")
    run = subprocess.run(
        ["bash", str(SCRIPT), f"http://127.0.0.1:{processes.free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "EQUIMENTOR": "false"},
    )
    assert run.returncode == 1
    assert "FAILED: GET http://127.0.0.1:" in run.stderr
    assert Path(SCRIPT).stat().st_mode & 0o111  # executable as documented
