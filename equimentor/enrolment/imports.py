"""Bulk import of a scheme's participants from a CSV or XLSX file (the coordinator's page and
``equimentor import_participants``).

``read_table`` reads the file with the standard library's ``csv`` or openpyxl, within caps on
size, columns, rows and cell length (a clear ``ImportFileError`` beyond them). ``guess_mapping``
matches headers to fields where the wording is close. ``plan`` checks every row and sorts the
file into people to import, people already in the scheme (left exactly as they are: re-running a
file changes nothing) and bad rows with their row number and reason. ``apply`` imports the good
rows in one transaction, as participants in status "invited"; ``send_invitations`` emails each of
them a single-use link to review the profile and give the consents only they can give. Identity
answers are never imported.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core import audit, mail
from equimentor.enrolment import emails
from equimentor.enrolment.models import ImportInvite, Participant
from equimentor.lib.tokens import new_token
from equimentor.schemes.dimensions import DIMENSIONS
from equimentor.schemes.models import Institution, InstitutionAlias, Scheme

MAX_BYTES = 5 * 1024 * 1024  # the uploaded file
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX file is a zip: what it unpacks to
MAX_COLUMNS = 40
MAX_ROWS = 20_000
MAX_CELL = 2_000  # characters in one cell

FIELDS = {
    # code: (label, header wordings it is known by, required)
    "email": ("Email", ["email", "e-mail", "email address", "work email", "mail"], True),
    "full_name": ("Name", ["name", "full name", "participant", "participant name"], True),
    "role": (
        "Role (mentee, mentor or both)",
        ["role", "roles", "mentor or mentee", "mentee or mentor", "participating as", "type"],
        True,
    ),
    "institution": (
        "Institution",
        ["institution", "university", "organisation", "organization", "employer", "affiliation"],
        True,
    ),
    "career_stage": ("Career stage", ["career stage", "stage", "grade", "seniority"], False),
    "pathway": ("Pathway (clinical or non-clinical)", ["pathway", "clinical"], False),
    "department": (
        "Specialty",
        ["specialty", "speciality", "department", "discipline", "department or specialty"],
        False,
    ),
    "research_interests": (
        "Research interests",
        ["research interests", "interests", "research areas", "research"],
        False,
    ),
    "mentor_capacity": (
        "Mentor capacity",
        ["mentor capacity", "capacity", "number of mentees", "max mentees", "mentees"],
        False,
    ),
}
REQUIRED = [code for code, (_, _, required) in FIELDS.items() if required]

ROLE_WORDS = {
    "mentee": (False, True),
    "mentor": (True, False),
    "both": (True, True),
    "mentor and mentee": (True, True),
    "mentee and mentor": (True, True),
    "mentor mentee": (True, True),
    "mentee mentor": (True, True),
}
PATHWAYS = {
    "clinical": Participant.Pathway.CLINICAL,
    "clinical academic": Participant.Pathway.CLINICAL,
    "non clinical": Participant.Pathway.NON_CLINICAL,
    "nonclinical": Participant.Pathway.NON_CLINICAL,
    "non clinical academic": Participant.Pathway.NON_CLINICAL,
}
# Headers that ask about identity: never imported (only the person may give them, with consent).
IDENTITY_WORDS = {
    "ethnicity",
    "ethnic",
    "race",
    "gender",
    "sex",
    "disability",
    "disabled",
    "sexual orientation",
    "sexuality",
    "religion",
    "caring",
    "carer",
    "first generation",
    "migration",
    "nationality",
    "age",
    "date of birth",
    *(code.replace("_", " ") for code in DIMENSIONS),
}


class ImportFileError(Exception):
    """The file cannot be read as a table (or is beyond the caps), with a message saying why."""


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# -- reading ----------------------------------------------------------------------------------


def read_table(content: bytes, filename: str = "") -> tuple[list[str], list[list[str]]]:
    """(headers, rows of cells as text) from a CSV or XLSX file, within the caps."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if not content.strip():
        raise ImportFileError("The file is empty.")
    is_xlsx = content[:4] == b"PK\x03\x04"
    if filename.lower().endswith(".xlsx") and not is_xlsx:
        raise ImportFileError("This is not an XLSX file (save it from your spreadsheet again).")
    table = _read_xlsx(content) if is_xlsx else _read_csv(content)
    headers, rows = [], []
    for n, row in enumerate(table, start=1):
        while row and row[-1] == "":
            row.pop()
        if len(row) > MAX_COLUMNS:
            raise ImportFileError(
                f"Row {n} has more than {MAX_COLUMNS} columns: keep only the columns to import."
            )
        long = next((i for i, c in enumerate(row) if len(c) > MAX_CELL), None)
        if long is not None:
            raise ImportFileError(
                f"Row {n}, column {long + 1}: a cell is longer than {MAX_CELL:,} characters."
            )
        if n == 1:
            headers = row
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it.")
        rows.append(row)
    if not any(headers):
        raise ImportFileError("The first row must name the columns (Email, Name, Role, ...).")
    return headers, rows


def _read_csv(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # a spreadsheet saved as "CSV"
    if "\x00" in text:
        raise ImportFileError("This does not look like a CSV file.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS + 1 and any(row[MAX_COLUMNS:]):
                raise ImportFileError(
                    f"Row {reader.line_num} has more than {MAX_COLUMNS} columns: keep only the "
                    "columns to import."
                )
            yield [c.strip() for c in row]
    except csv.Error as exc:  # e.g. a field longer than the csv module's own limit
        raise ImportFileError(
            f"Line {reader.line_num} cannot be read ({exc}); a cell may be longer than "
            f"{MAX_CELL:,} characters."
        ) from exc


def _read_xlsx(content: bytes):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportFileError("The XLSX file unpacks to more than 50 MB.")
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError("This XLSX file cannot be read; save it again and retry.") from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            yield [_cell(v) for v in row]
    finally:
        book.close()


# -- mapping ----------------------------------------------------------------------------------


def is_identity_header(header: str) -> bool:
    words = _norm(header)
    return any(
        words == w or words.startswith(w + " ") or words.endswith(" " + w) for w in IDENTITY_WORDS
    )


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column number as text: field} for the headers whose wording is close to a field's."""
    wordings = {_norm(w): code for code, (_, words, _) in FIELDS.items() for w in words}
    wordings.update({_norm(label): code for code, (label, _, _) in FIELDS.items()})
    mapping, taken = {}, set()
    for i, header in enumerate(headers):
        h = _norm(header)
        if not h or is_identity_header(header):
            continue
        code = wordings.get(h)
        if code is None:
            close = difflib.get_close_matches(h, list(wordings), n=1, cutoff=0.8)
            code = wordings[close[0]] if close else None
        if code and code not in taken:
            mapping[str(i)] = code
            taken.add(code)
    return mapping


# -- checking ---------------------------------------------------------------------------------


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it (the headers are row 1)
    email: str
    full_name: str
    is_mentor: bool
    is_mentee: bool
    institution: Institution
    career_stage: int | None
    pathway: str
    department: str
    research_interests: str
    mentor_capacity: int | None


@dataclass
class Plan:
    new: list[Row] = field(default_factory=list)
    existing: list[tuple[int, str]] = field(default_factory=list)  # (row, email)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)


def _institutions() -> dict[str, Institution]:
    """Every name, short name and alias (normalised) -> its institution, read once."""
    found = {}
    for inst in Institution.objects.all():
        for name in (inst.name, inst.short_name):
            if name:
                found.setdefault(" ".join(name.lower().split()), inst)
    for alias in InstitutionAlias.objects.select_related("institution"):
        found.setdefault(" ".join(alias.name.lower().split()), alias.institution)
    return found


def check_mapping(mapping: dict[str, str]) -> None:
    missing = [FIELDS[c][0] for c in REQUIRED if c not in mapping.values()]
    if missing:
        raise ImportFileError("Choose the column that holds: " + ", ".join(missing) + ".")
    twice = [FIELDS[c][0] for c, n in Counter(mapping.values()).items() if n > 1]
    if twice:
        raise ImportFileError("Each field comes from one column only: " + ", ".join(twice) + ".")


def plan(scheme: Scheme, rows: list[list[str]], mapping: dict[str, str]) -> Plan:
    """Check every row (``mapping``: column number as text -> field) and sort the file."""
    check_mapping(mapping)
    column = {code: int(i) for i, code in mapping.items() if code in FIELDS}
    institutions = _institutions()
    stages = {_norm(s): i for i, s in enumerate(scheme.career_stages)}
    offered = {code for code, _ in scheme.role_choices}

    def get(row, code):
        i = column.get(code)
        return row[i].strip() if i is not None and i < len(row) else ""

    emails = [get(r, "email").lower() for r in rows]
    seen = Counter(e for e in emails if e)
    rows_of: dict[str, list[int]] = {}
    for n, e in enumerate(emails, start=2):
        rows_of.setdefault(e, []).append(n)
    already = _already_in(scheme, {e for e in seen})
    result = Plan()
    for n, (row, email) in enumerate(zip(rows, emails, strict=True), start=2):
        if not any(c.strip() for c in row):
            continue  # a blank line
        problems = []
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"“{get(row, 'email')}” is not an email address")
        else:
            if seen[email] > 1:
                others = ", ".join(str(m) for m in rows_of[email] if m != n)
                problems.append(f"{email} is also on row {others} (each person once)")
        name = " ".join(get(row, "full_name").split())
        if not name:
            problems.append("no name")
        role_text = _norm(get(row, "role"))
        role = ROLE_WORDS.get(role_text)
        code = {(False, True): "mentee", (True, False): "mentor", (True, True): "both"}.get(role)
        if role is None:
            problems.append(f"unknown role “{get(row, 'role')}” (mentee, mentor or both)")
        elif code not in offered:
            problems.append(f"this scheme does not offer the role “{code}”")
        inst_text = get(row, "institution")
        institution = institutions.get(" ".join(inst_text.lower().split()))
        if institution is None:
            problems.append(
                f"unknown institution “{inst_text}” (add it, or another name for it, first)"
                if inst_text
                else "no institution"
            )
        stage_text = get(row, "career_stage")
        stage = None
        if stage_text:
            stage = stages.get(_norm(stage_text))
            if stage is None and stage_text.isdigit() and 1 <= int(stage_text) <= len(stages):
                stage = int(stage_text) - 1
            if stage is None:
                problems.append(f"unknown career stage “{stage_text}”")
        pathway_text = _norm(get(row, "pathway"))
        pathway = PATHWAYS.get(pathway_text, "") if pathway_text else ""
        if pathway_text and not pathway:
            problems.append(f"unknown pathway “{get(row, 'pathway')}” (clinical or non-clinical)")
        capacity_text = get(row, "mentor_capacity")
        capacity = None
        if role and role[0] and capacity_text:
            if not capacity_text.isdigit():
                problems.append(
                    f"mentor capacity “{capacity_text}” is not a whole number of 0 or more"
                )
            elif int(capacity_text) > scheme.max_mentor_capacity:
                problems.append(
                    f"mentor capacity {capacity_text} is more than this scheme's most "
                    f"({scheme.max_mentor_capacity})"
                )
            else:
                capacity = int(capacity_text)
        if problems:
            result.errors.append((n, "; ".join(problems) + "."))
        elif email in already:
            result.existing.append((n, email))
        else:
            result.new.append(
                Row(
                    number=n,
                    email=email,
                    full_name=name,
                    is_mentor=role[0],
                    is_mentee=role[1],
                    institution=institution,
                    career_stage=stage,
                    pathway=pathway,
                    department=get(row, "department")[:200],
                    research_interests=get(row, "research_interests"),
                    mentor_capacity=capacity,
                )
            )
    return result


def _already_in(scheme: Scheme, emails: set[str]) -> set[str]:
    """Which of ``emails`` (lower case) already take part in ``scheme``."""
    found = set()
    chunk = sorted(emails)
    for i in range(0, len(chunk), 500):
        found |= set(
            Participant.objects.filter(scheme=scheme)
            .annotate(lower_email=Lower("user__email"))
            .filter(lower_email__in=chunk[i : i + 500])
            .values_list("lower_email", flat=True)
        )
    return found


def _users_by_email(emails: list[str]) -> dict[str, User]:
    """The accounts with these (lower-case) addresses, whatever case they were stored in."""
    found = {}
    for i in range(0, len(emails), 500):
        for u in (
            User.objects.annotate(lower_email=Lower("email"))
            .filter(lower_email__in=emails[i : i + 500])
            .only("pk", "email")
        ):
            found[u.email.lower()] = u
    return found


# -- importing --------------------------------------------------------------------------------


@dataclass
class Result:
    created: int
    unchanged: int
    errors: list[tuple[int, str]]  # (row, reason): left out
    invited: int = 0


@transaction.atomic
def apply(scheme: Scheme, rows: list[list[str]], mapping: dict, *, actor, invite: bool) -> Result:
    """Import the good rows in one transaction (one import of a scheme at a time); rows whose
    person is already in the scheme are left exactly as they are."""
    Scheme.objects.select_for_update().filter(pk=scheme.pk).first()
    checked = plan(scheme, rows, mapping)  # again, under the lock
    new = checked.new
    users = _users_by_email(sorted({r.email for r in new}))
    unusable = make_password(None)  # links sign people in; nobody knows a password
    fresh = [
        User(email=r.email, full_name=r.full_name, password=unusable)
        for r in new
        if r.email not in users
    ]
    if fresh:
        for u in User.objects.bulk_create(fresh, batch_size=1000):  # pks returned
            users[u.email] = u
        audit.record_many(
            "accounts.created",
            [users[f.email] for f in fresh],
            actor=actor,
            data=lambda u: {"via": "import"},
        )
    participants = [
        Participant(
            user=users[r.email],
            scheme=scheme,
            status=Participant.Status.INVITED,
            is_mentor=r.is_mentor,
            is_mentee=r.is_mentee,
            job_title="",
            career_stage=r.career_stage,
            pathway=r.pathway,
            institution=r.institution,
            department=r.department,
            research_interests=r.research_interests,
            career_summary="",
            mentor_capacity=r.mentor_capacity if r.is_mentor else None,
        )
        for r in new
    ]
    created = Participant.objects.bulk_create(participants, batch_size=1000)  # pks returned
    audit.record_many("enrolment.imported", created, actor=actor, scheme=scheme)
    audit.record(
        "enrolment.import.done",
        scheme,
        actor=actor,
        scheme=scheme,
        created=len(created),
        unchanged=len(checked.existing),
        errors=len(checked.errors),
    )
    result = Result(created=len(created), unchanged=len(checked.existing), errors=checked.errors)
    if invite:
        result.invited = send_invitations(scheme, actor=actor)
    return result


def not_yet_invited(scheme: Scheme):
    return Participant.objects.filter(
        scheme=scheme, status=Participant.Status.INVITED, import_invites__isnull=True
    )


@transaction.atomic
def send_invitations(scheme: Scheme, *, actor, only: list[int] | None = None) -> int:
    """Email each imported person not yet invited a single-use link to review their profile and
    consent (never twice: a re-run invites nobody again). Returns how many were invited.
    ``only`` (participant ids) invites those alone (SCIM provisioning invites whom it creates,
    not everyone a coordinator imported without inviting)."""
    waiting = not_yet_invited(scheme)
    if only is not None:
        waiting = waiting.filter(pk__in=only)
    people = list(waiting.select_related("user", "scheme").select_for_update(of=("self",)))
    if not people:
        return 0
    now = timezone.now()
    expires = now + timedelta(days=settings.REGISTRATION_LINK_DAYS)
    invites, raws = [], []
    for p in people:
        raw, hashed = new_token()
        raws.append(raw)
        invites.append(
            ImportInvite(participant=p, token_hash=hashed, created_at=now, expires_at=expires)
        )
    ImportInvite.objects.bulk_create(invites, batch_size=1000)

    documents = scheme.current_documents()
    with mail.batch():
        for p, raw in zip(people, raws, strict=True):
            emails.import_invitation(p, raw, expires, documents)
    audit.record(
        "enrolment.import.invited", scheme, actor=actor, scheme=scheme, invited=len(people)
    )
    return len(people)
