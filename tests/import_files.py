"""A generated participants spreadsheet for the import's tests and benchmark.

``rows(n, institutions, bad_every=50)`` returns the header and ``n`` rows, one in every
``bad_every`` of them bad (2% by default), cycling through the kinds of bad row the import must
list: an invalid email, an unknown role, an unknown institution, a capacity that is not a whole
number, and an email already on an earlier row. ``BAD_KINDS`` names them in that order.
"""

from __future__ import annotations

import csv
import io

HEADER = [
    "Email",
    "Name",
    "Role",
    "Institution",
    "Career stage",
    "Pathway",
    "Specialty",
    "Research interests",
    "Mentor capacity",
]
BAD_KINDS = ["email", "role", "institution", "capacity", "duplicate"]
ROLES = ["mentee", "mentor", "both"]
PATHWAYS = ["clinical", "non-clinical"]


def rows(n: int, institutions: list[str], career_stages: list[str], *, bad_every: int = 50):
    out = []
    for i in range(n):
        role = ROLES[i % 3]
        row = [
            f"person{i}@example.org",
            f"Person {i}",
            role,
            institutions[i % len(institutions)],
            career_stages[i % len(career_stages)],
            PATHWAYS[i % 2],
            "Public health",
            "health services research; genomics",
            str(1 + i % 3) if role != "mentee" else "",
        ]
        if bad_every and i % bad_every == bad_every - 1:
            kind = BAD_KINDS[(i // bad_every) % len(BAD_KINDS)]
            if kind == "email":
                row[0] = f"person{i}-at-example.org"
            elif kind == "role":
                row[2] = "sponsor"
            elif kind == "institution":
                row[3] = "University of Nowhere"
            elif kind == "capacity":
                row[2], row[8] = "mentor", "two"
            else:
                row[0] = f"person{i - 1}@example.org"  # the row before's address
        out.append(row)
    return [HEADER, *out]


def as_csv(table) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode()


def as_xlsx(table) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def expected_bad_rows(n: int, *, bad_every: int = 50) -> set[int]:
    """The spreadsheet rows (headers = row 1) the import must refuse. A duplicate makes both its
    rows bad (each person once), the earlier row too."""
    bad = set()
    for i in range(n):
        if bad_every and i % bad_every == bad_every - 1:
            bad.add(i + 2)
            if BAD_KINDS[(i // bad_every) % len(BAD_KINDS)] == "duplicate":
                bad.add(i + 1)
    return bad
