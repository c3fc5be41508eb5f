"""Bulk import of participants (#14): the command and the coordinator's page, CSV and XLSX,
a generated 5,000-row file with 2% bad rows, idempotent by email, nothing half-written, caps on
columns, rows and cells, and the invitation that lets each person review and consent."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from equimentor.accounts.models import User
from equimentor.core import audit
from equimentor.core.models import AuditEvent
from equimentor.enrolment import imports
from equimentor.enrolment.models import Consent, ImportInvite, Participant, ParticipantImport
from equimentor.identity.models import IdentityAnswer
from equimentor.reports.queries import Scope, funnel_counts
from equimentor.schemes.models import InstitutionAlias
from tests import factories, import_files

INSTITUTIONS = ["University of Importshire", "Testshire Medical School", "Institute of Samples"]


@pytest.fixture
def listed(db):
    made = [factories.InstitutionFactory(name=name) for name in INSTITUTIONS]
    InstitutionAlias.objects.create(institution=made[1], name="TMS")
    return made


def _write(tmp_path, table, name="people.csv"):
    path = tmp_path / name
    path.write_bytes(
        import_files.as_xlsx(table) if name.endswith(".xlsx") else import_files.as_csv(table)
    )
    return str(path)


def _command(*args, **kwargs) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_participants", *args, stdout=out, **kwargs)
    return out.getvalue()


def test_5000_rows_with_2_percent_bad_dry_run_import_rerun(
    tmp_path, scheme_a, listed, django_capture_on_commit_callbacks
):
    n = 5000
    table = import_files.rows(n, INSTITUTIONS, scheme_a.career_stages)
    path = _write(tmp_path, table)
    bad = import_files.expected_bad_rows(n)
    assert 100 <= len(bad) <= 125  # 2% of rows, and the first copy of each duplicate
    out = _command(path, "--scheme", "scheme-a", "--dry-run")
    assert (
        f"would import {n - len(bad)}, already in the scheme (unchanged) 0, rows with errors {len(bad)}"
        in out
    )
    assert not Participant.objects.exists() and not User.objects.exists()
    # every bad row is listed, with its row number and reason
    listed_rows = {int(m) for m in re.findall(r"^row (\d+): ", out, re.M)}
    assert listed_rows == bad
    assert "row 51: “person49-at-example.org” is not an email address." in out
    assert "row 101: unknown role “sponsor” (mentee, mentor or both)." in out
    assert "row 151: unknown institution “University of Nowhere”" in out
    assert "row 201: mentor capacity “two” is not a whole number of 0 or more." in out
    assert "row 251: person248@example.org is also on row 250" in out
    # (how fast is benchmarks/bench_import.py's to measure, in docs/benchmarks.md, not a test's)
    with django_capture_on_commit_callbacks(execute=True):
        out = _command(path, "--scheme", "scheme-a", "--invite")
    good = n - len(bad)
    assert (
        f"imported {good}, already in the scheme (unchanged) 0, rows with errors {len(bad)}, invited {good}"
        in out
    )
    people = Participant.objects.filter(scheme=scheme_a)
    assert people.count() == good == people.filter(status=Participant.Status.INVITED).count()
    assert not IdentityAnswer.objects.exists() and not Consent.objects.exists()
    p = people.select_related("user", "institution").get(user__email="person4@example.org")
    assert (p.user.full_name, p.is_mentor, p.is_mentee, p.institution.name) == (
        "Person 4",
        True,
        False,
        INSTITUTIONS[1],
    )
    assert (p.career_stage, p.pathway, p.mentor_capacity) == (4, "clinical", 2)
    assert ImportInvite.objects.count() == good
    assert len(mail.outbox) == good
    assert AuditEvent.objects.filter(action="enrolment.imported").count() == good
    # the same file again changes nothing and invites nobody twice
    before = list(people.order_by("pk").values_list("pk", "status", "career_stage"))
    with django_capture_on_commit_callbacks(execute=True):
        out = _command(path, "--scheme", "scheme-a", "--invite")
    assert (
        f"imported 0, already in the scheme (unchanged) {good}, rows with errors {len(bad)}, invited 0"
        in out
    )
    assert list(people.order_by("pk").values_list("pk", "status", "career_stage")) == before
    assert len(mail.outbox) == good and ImportInvite.objects.count() == good


def test_someone_already_in_the_scheme_is_left_as_they_are(
    tmp_path, scheme_a, listed, bob_participant
):
    table = [
        import_files.HEADER,
        ["BOB@example.org", "Robert Other", "mentor", INSTITUTIONS[0], "", "", "", "", "3"],
        ["new@example.org", "New Person", "mentee", "tms", "", "", "", "", ""],
    ]
    out = _command(_write(tmp_path, table), "--scheme", "scheme-a")
    assert "imported 1, already in the scheme (unchanged) 1, rows with errors 0" in out
    bob_participant.refresh_from_db()
    assert bob_participant.status == Participant.Status.REGISTERED and not bob_participant.is_mentor
    assert bob_participant.user.full_name != "Robert Other"
    new = Participant.objects.get(user__email="new@example.org")
    assert new.institution.name == INSTITUTIONS[1]  # found by its alias, ignoring case


def test_an_existing_account_is_used_and_nothing_is_half_written(
    tmp_path, scheme_a, listed, monkeypatch
):
    other = factories.UserFactory(email="Known@Example.org")  # stored with capitals
    table = [
        import_files.HEADER,
        ["known@example.org", "Known", "mentee", INSTITUTIONS[0], "", "", "", "", ""],
        ["fresh@example.org", "Fresh", "mentee", INSTITUTIONS[0], "", "", "", "", ""],
    ]
    path = _write(tmp_path, table)

    def fail(action, objs, **kwargs):
        if action == "enrolment.imported":
            raise RuntimeError("the database went away")
        return real(action, objs, **kwargs)

    real = audit.record_many
    monkeypatch.setattr(audit, "record_many", fail)
    users_before = User.objects.count()
    with pytest.raises(RuntimeError):
        _command(path, "--scheme", "scheme-a")
    assert User.objects.count() == users_before
    assert not Participant.objects.filter(scheme=scheme_a).exists()
    monkeypatch.setattr(audit, "record_many", real)
    _command(path, "--scheme", "scheme-a")
    known = Participant.objects.get(scheme=scheme_a, user__email__iexact="known@example.org")
    assert known.user_id == other.pk  # the same account
    assert User.objects.filter(email__iexact="known@example.org").count() == 1


def test_xlsx_with_close_headers_and_identity_columns_never_imported(tmp_path, scheme_a, listed):
    table = [
        [
            "E-mail address",
            "Full name",
            "Role(s)",
            "University",
            "Career Stage",
            "Ethnicity",
            "Notes",
        ],
        ["amina@example.org", "Amina K", "Mentor and mentee", INSTITUTIONS[2], "2", "Asian", "x"],
    ]
    headers, rows = imports.read_table(import_files.as_xlsx(table), "people.xlsx")
    assert headers == table[0] and rows == [table[1]]
    mapping = imports.guess_mapping(headers)
    assert mapping == {
        "0": "email",
        "1": "full_name",
        "2": "role",
        "3": "institution",
        "4": "career_stage",
    }
    out = _command(_write(tmp_path, table, "people.xlsx"), "--scheme", "scheme-a")
    assert "column 6 “Ethnicity”: not imported (identity answers come only from the person)" in out
    assert "column 7 “Notes”: not imported" in out
    p = Participant.objects.get()
    assert p.is_mentor and p.is_mentee and p.career_stage == 1
    assert not IdentityAnswer.objects.exists()


@pytest.mark.timeout(60)  # a guard against the minutes a 100,000-column header once took
def test_caps_give_a_clear_message_quickly():
    wide = (",".join(f"c{i}" for i in range(100_000)) + "\n").encode()
    assert len(wide) < imports.MAX_BYTES
    with pytest.raises(imports.ImportFileError, match="more than 40 columns"):
        imports.read_table(wide, "wide.csv")
    huge_cell = b"email,name\n" + b"a@example.org," + b"x" * 200_000 + b"\n"
    with pytest.raises(imports.ImportFileError, match="longer than 2,000 characters"):
        imports.read_table(huge_cell, "cell.csv")
    with pytest.raises(imports.ImportFileError, match="larger than 5 MB"):
        imports.read_table(b"x" * (imports.MAX_BYTES + 1), "big.csv")
    many = b"email\n" + b"a@example.org\n" * (imports.MAX_ROWS + 1)
    with pytest.raises(imports.ImportFileError, match="more than 20,000 rows"):
        imports.read_table(many, "long.csv")
    with pytest.raises(imports.ImportFileError, match="not an XLSX file"):
        imports.read_table(b"email\n", "fake.xlsx")


def test_the_command_refuses_a_file_without_the_required_columns(tmp_path, scheme_a):
    with pytest.raises(CommandError, match="Choose the column that holds: Role"):
        _command(_write(tmp_path, [["Email", "Name", "Institution"]]), "--scheme", "scheme-a")
    with pytest.raises(CommandError, match="No scheme"):
        _command(_write(tmp_path, [["Email"]]), "--scheme", "nope")


def test_the_coordinators_page_upload_mapping_preview_import(
    client, scheme_a, alice, listed, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    table = [
        ["Work email", "Name", "Mentor or mentee", "Organisation", "Gender", "Capacity"],
        ["ann@example.org", "Ann", "mentor", INSTITUTIONS[0], "woman", "2"],
        ["not-an-email", "Bea", "mentee", INSTITUTIONS[0], "", ""],
        ["cat@example.org", "Cat", "mentee", "Nowhere", "", ""],
    ]
    start = reverse("backoffice:import", args=["scheme-a"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        start, {"file": SimpleUploadedFile("people.csv", import_files.as_csv(table))}
    )
    upload = ParticipantImport.objects.get()
    assert response["Location"] == reverse("backoffice:import_map", args=["scheme-a", upload.pk])
    assert all(b"ann@example.org" not in str(v).encode() for v in client.session.values())
    page = client.get(response["Location"])
    form = page.context["form"]
    assert form.identity_columns == ["Gender"] and "col_4" not in form.fields
    assert {k: form[k].value() for k in ("col_0", "col_1", "col_2", "col_3", "col_5")} == {
        "col_0": "email",
        "col_1": "full_name",
        "col_2": "role",
        "col_3": "institution",
        "col_5": "mentor_capacity",
    }
    mapping = {
        "col_0": "email",
        "col_1": "full_name",
        "col_2": "role",
        "col_3": "institution",
        "col_5": "mentor_capacity",
    }
    # a mapping without an institution column is refused with what is missing
    response = client.post(response["Location"], {**mapping, "col_3": "", "step": "preview"})
    assert response.status_code == 400 and "Institution" in response.content.decode()
    url = reverse("backoffice:import_map", args=["scheme-a", upload.pk])
    preview = client.post(url, {**mapping, "step": "preview"})
    html = preview.content.decode()
    assert (
        "“not-an-email” is not an email address" in html and "unknown institution “Nowhere”" in html
    )
    assert preview.context["preview"].new[0].email == "ann@example.org"
    assert not Participant.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**mapping, "step": "import", "invite": "1"})
    assert done.status_code == 200
    assert done.context["result"].created == 1 and len(done.context["result"].errors) == 2
    assert not ParticipantImport.objects.exists()  # the upload is gone once imported
    ann = Participant.objects.get()
    assert ann.status == Participant.Status.INVITED and ann.mentor_capacity == 2
    assert mail.outbox[-1].to == ["ann@example.org"]
    dashboard = client.get(reverse("backoffice:dashboard", args=["scheme-a"])).content.decode()
    assert "Imported, invited to review and consent" in dashboard
    # a file that cannot be read is explained
    response = client.post(start, {"file": SimpleUploadedFile("bad.xlsx", b"not a zip")})
    assert response.status_code == 400 and "not an XLSX file" in response.content.decode()


def test_an_imported_person_reviews_consents_and_takes_part(
    client, tmp_path, scheme_a, listed, django_capture_on_commit_callbacks
):
    table = [
        import_files.HEADER,
        ["zoe@example.org", "Zoe Q", "mentee", INSTITUTIONS[0], "", "", "Cardiology", "", ""],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        _command(_write(tmp_path, table), "--scheme", "scheme-a", "--invite")
    assert funnel_counts(Scope(scheme_a), [])["registered"] == {}  # not counted before consent
    link = re.search(r"http://\S+(/me/imported/\S+/)", mail.outbox[-1].body).group(1)
    page = client.get(link)
    assert page.status_code == 200 and 'value="Cardiology"' in page.content.decode()
    form = {
        **factories.registration_form(scheme_a, listed[0]),
        "full_name": "Zoe Quinn",
        "department": "Cardiology",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, form)
    assert response.status_code == 302
    zoe = Participant.objects.select_related("user").get()
    assert zoe.status == Participant.Status.APPROVED and zoe.user.full_name == "Zoe Quinn"
    assert set(zoe.consents.values_list("purpose", flat=True)) >= set(Consent.REQUIRED)
    assert client.get(reverse("enrolment:participation", args=["scheme-a"])).status_code == 200
    assert funnel_counts(Scope(scheme_a), [])["registered"] == {(): 1}
    again = client.post(link, form)
    assert again.status_code == 400 and "already accepted" in again.content.decode()
