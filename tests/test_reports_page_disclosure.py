"""A reports page protects its mentee population once (``tables.page_tables``): every table of
the page that counts the same people shows them the same way, and the linear-programming auditor
(``lib.disclosure_audit``) finds nothing to work out from the page's mentee tables together.

The dataset is hand-sized, with the default threshold (5): groups by ethnicity of 2 to 9
mentees, two quarters of registration, and the eight mentees whose relationships ended early
split 4 + 4 between two groups and all registered in one quarter — so "Ended early" has only
small groups, and a total (8) that the table by group must hide while the overall funnel and the
quarter table, protected on their own, would show it (4 + 4 = 8 pins both groups)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.lib.disclosure import HIDDEN, WITHHELD, Rules, protect
from equimentor.lib.disclosure_audit import audit
from equimentor.matching.models import Proposal
from equimentor.relationships.models import Membership, Milestone, Relationship, SponsorshipAct
from equimentor.reports import labels, queries, sections, tables
from equimentor.reports.labels import EQUITY_COLS, FUNNEL
from equimentor.reports.queries import Scope
from tests import factories

RULES = Rules()
Q1 = datetime(2024, 2, 1, 12, tzinfo=UTC)
Q3 = datetime(2024, 8, 1, 12, tzinfo=UTC)
STEP = {lbl: s for s, lbl in FUNNEL} | {lbl: c for c, lbl in EQUITY_COLS}
R1, R2, FALLBACK = ("choice", 1), ("choice", 2), ("fallback", None)
EARLY = ["no_fault", "lapsed", "withdrawn", "circumstances_changed"]

# (ethnicity, quarter of registration, how matched or None, how it ended or None); None as the
# ethnicity: withdrew consent to identity reports ("Not stated")
MENTEES = [
    *[("asian", Q3, R1, end) for end in EARLY],
    *[("asian", Q1, how, None) for how in (R1, R1, R2, FALLBACK, None)],
    *[("black", Q3, R1, end) for end in EARLY],
    *[("black", Q1, how, None) for how in (R2, R2, None)],
    ("white", Q1, R1, "goals_met"),
    *[("white", Q1, how, None) for how in (R1, None)],
    *[(None, Q1, how, None) for how in (R1, None)],
]
SPONSORED, GRANT = 4, 12  # an asian and a black mentee matched in Q1


def make_rows():
    """Scheme A with the dataset above, made once for this module's tests."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    now = timezone.now()
    home = factories.InstitutionFactory(name="Home University")
    mentors = []
    for i in range(5):
        m = factories.register_participant(
            scheme_a, f"mentor{i}@example.org", role="mentor", institution=home, approve_by=alice
        )
        Participant.objects.filter(pk=m.pk).update(registered_at=Q1)
        mentors.append(m)
    for i, (eth, registered, how, end) in enumerate(MENTEES):
        p = factories.register_participant(
            scheme_a, f"mentee{i}@example.org", institution=home, approve_by=alice
        )
        Participant.objects.filter(pk=p.pk).update(registered_at=registered)
        if eth is None:
            Consent.objects.filter(participant=p, purpose=Consent.Purpose.IDENTITY_REPORTS).update(
                withdrawn_at=now
            )
        else:
            IdentityAnswer.objects.filter(participant=p, dimension="ethnicity").update(value=eth)
        if how is None:
            continue
        mentor = mentors[i % len(mentors)]
        proposal = Proposal.objects.create(
            scheme=scheme_a,
            mentee=p,
            mentor=mentor,
            via=how[0],
            choice_rank=how[1],
            status="accepted",
            proposed_at=now - timedelta(days=320),
            decided_at=now - timedelta(days=310 - i),
        )
        rel = Relationship.objects.create(
            scheme=scheme_a,
            proposal=proposal,
            state="closed" if end else "active",
            close_reason=end or "",
            closed_at=now if end else None,
            started_at=now - timedelta(days=300),
            start_date=(now - timedelta(days=300)).date(),
            end_date=now.date(),
            original_end_date=now.date(),
            activated_at=now - timedelta(days=290),
            last_activity_at=now,
        )
        for who, side in ((mentor, "mentor"), (p, "mentee")):
            Membership.objects.create(relationship=rel, participant=who, side=side, joined_at=now)
        if i == SPONSORED:
            SponsorshipAct.objects.create(
                relationship=rel, mentor=mentor, mentee=p, kind="nomination", on_date=now.date()
            )
        if i == GRANT:
            Milestone.objects.create(
                participant=p, relationship=rel, kind="grant", title="G", achieved_on=now.date()
            )
    return scheme_a


[page_data] = factories.rows_as("page_data")


# --- what a reader sees ---------------------------------------------------------------------


class Microdata:
    """The finest cross-classification of the page: (column, group, quarter) atoms, with the
    group and quarter axes of every group and quarter the page lists (empty ones included: a
    reader does not know which are empty). Expressions of interest carry no group ("*")."""

    def __init__(self, scope: Scope, by: list[str]):
        self.by = by
        self.people = queries.person_cells(scope, by, quarter=True)
        # expressions of interest by quarter, as the page's funnel counts them
        self.eoi: dict = {}
        for step, counts in queries.funnel_counts(scope, [], quarter=True).items():
            if step in ("eoi", "eligible"):
                for key, n in counts.items():
                    self.eoi.setdefault(key, {})[step] = n
        self.groups = sorted({k[:-1] for k in self.people}, key=str)
        self.quarters = sorted({k[-1] for k in self.people} | {k[-1] for k in self.eoi}, key=str)

    def atoms(self, col, group=None, quarter=None) -> frozenset:
        groups = [("*",)] if col in ("eoi", "eligible") else self.groups
        return frozenset(
            (col, g, q)
            for g in groups
            for q in self.quarters
            if (group is None or g == group) and (quarter is None or q == quarter)
        )

    def value(self, atoms) -> int:
        total = 0
        for col, g, q in atoms:
            row = self.eoi.get((q,)) if g == ("*",) else self.people.get((*g, q))
            total += row.get(col, 0) if row else 0
        return total


def mentee_tables(scheme, reports, by) -> dict:
    """The page's tables of counts of mentees, by title: (what a row counts, a report)."""
    dims = labels.dimensions(scheme)
    suffix = " by " + ", ".join(dims[b] for b in by) if by else ""
    out = {r.title: r for r in reports}
    tables = {"Funnel": ("all", out["Funnel"])}
    tables["Funnel by quarter of registration"] = (
        "quarter",
        out["Funnel by quarter of registration"],
    )
    tables["Equity audit: counts" + suffix] = (
        "group" if by else "all",
        out["Equity audit: counts" + suffix],
    )
    if by:
        tables["Funnel" + suffix] = ("group", out["Funnel" + suffix])
    return tables


def published(scheme, micro: Microdata, tables: dict) -> dict:
    """{(title, row label, column label): (atoms, text)} for every count the tables show."""
    group_of = {labels.row_label(scheme, micro.by, g): g for g in micro.groups}
    quarter_of = {labels.label(scheme, "quarter", q): q for q in micro.quarters}
    out = {}
    for title, (kind, rep) in tables.items():
        for row in rep.rows:
            for lbl, text in zip(rep.columns[1:], row[1:], strict=True):
                col = STEP[lbl]
                if row[0] == "All":
                    atoms = micro.atoms(col)
                elif kind == "group":
                    atoms = micro.atoms(col, group=group_of[row[0]])
                else:
                    atoms = micro.atoms(col, quarter=quarter_of[row[0]])
                out[(title, row[0], lbl)] = (atoms, text)
    return out


def reader_view(micro: Microdata, shown: dict):
    """The auditor's input: one key per set of people (asserting every table shows it alike)."""
    text_of: dict = {}
    for where, (atoms, text) in shown.items():
        assert text_of.setdefault(atoms, (text, where))[0] == text, (where, text_of[atoms], text)
    cells, values, small, hidden = {}, {}, set(), set()
    for atoms, (text, where) in text_of.items():
        cells[atoms], values[atoms] = atoms, micro.value(atoms)
        if text == RULES.small:
            small.add(atoms)
            assert RULES.is_small(values[atoms]), where
        elif text == HIDDEN:
            hidden.add(atoms)
        else:
            assert int(text) == values[atoms], where  # the atoms describe the cell rightly
            assert not RULES.is_small(values[atoms]), where
    return cells, values, small, hidden


def page(scheme, by):
    scope = Scope(scheme)
    reports = sections.full_report(scope, by, RULES)
    micro = Microdata(Scope(scheme), by)
    return scope, reports, micro


# --- (a) one cell, one display --------------------------------------------------------------


@pytest.mark.parametrize("by", [[], ["ethnicity"]])
def test_every_cell_meaning_the_same_people_is_shown_alike(page_data, by):
    scope, reports, micro = page(page_data, by)
    shown = published(page_data, micro, mentee_tables(page_data, reports, by))
    cells, values, small, hidden = reader_view(micro, shown)  # asserts one display per cell
    assert small and (hidden or not by)  # suppression happens (by group: secondary too)
    # the figures that appear in several tables do appear in several
    everyone = micro.atoms("early")
    tables_with_early_total = {w[0] for w, (a, _) in shown.items() if a == everyone}
    assert len(tables_with_early_total) == (4 if by else 3)
    if by:
        matched_black = micro.atoms("matched", group=("black",))
        assert {w[0] for w, (a, _) in shown.items() if a == matched_black} == {
            "Funnel by Ethnicity",
            "Equity audit: counts by Ethnicity",
        }
    # the conversions' basis: a rate is shown exactly when both overall figures are
    overall = {
        lbl: text for lbl, text in zip(reports[0].columns[1:], reports[0].rows[0][1:], strict=True)
    }
    rates = dict(next(r for r in reports if r.title == "Conversion rates").rows)
    names = dict(FUNNEL)
    for to, frm in labels.CONVERSIONS:
        rate = rates[f"{names[frm]} → {names[to]}"]
        a, b = overall[names[to]], overall[names[frm]]
        if HIDDEN in (a, b) or RULES.small in (a, b):
            assert rate == WITHHELD, (to, frm)
        elif rate != WITHHELD:
            assert rate == f"{100 * int(a) / int(b):.0f}%"
    # the chart shows only what the table shows
    assert [lbl for lbl, _ in reports[0].chart] == [
        lbl for lbl, text in overall.items() if text not in (HIDDEN, RULES.small)
    ]


def test_indicators_follow_the_counts_they_read(page_data):
    scope, reports, micro = page(page_data, ["ethnicity"])
    counts = next(r for r in reports if r.title == "Equity audit: counts by Ethnicity")
    ind = next(r for r in reports if r.title == "Equity audit: indicators by Ethnicity")
    col = {lbl: i for i, lbl in enumerate(counts.columns)}
    for crow, irow in zip(counts.rows, ind.rows, strict=False):
        assert crow[0] == irow[0]
        m, mt = crow[col["Approved mentees"]], crow[col["Matched"]]
        if HIDDEN in (m, mt) or RULES.small in (m, mt):
            assert irow[1] == WITHHELD  # match rate


def test_the_page_reads_one_protection(page_data):
    scope, reports, micro = page(page_data, ["ethnicity"])
    assert [k for k in scope.cache if k[0] == "protected"] == [
        ("protected", ("ethnicity",), (), RULES)
    ]


# --- (b) the auditor finds nothing ------------------------------------------------------------


@pytest.mark.parametrize("by", [[], ["ethnicity"]])
def test_the_auditor_finds_nothing_on_the_page(page_data, by):
    scope, reports, micro = page(page_data, by)
    shown = published(page_data, micro, mentee_tables(page_data, reports, by))
    cells, values, small, hidden = reader_view(micro, shown)
    assert audit(cells, values, small=small, hidden=hidden, threshold=RULES.threshold) == []


# --- (c) ... and it does find the old page's leaks -------------------------------------------


def _old_funnel(scope, by, quarter=False):
    """The funnel as it was published: its own ``protect()`` per table."""
    counts = queries.funnel_counts(scope, by, quarter=quarter)
    steps = [s for s, _ in FUNNEL if s in counts]
    keys = tables.rows_of(counts) or [()]
    grouped = bool(by) or quarter
    p = protect(
        keys,
        steps,
        {(k, s): counts[s].get(k, 0) for k in keys for s in steps},
        RULES,
        row_totals=False,
        col_totals=grouped,
    )
    return keys, steps, p


def _as_shown(micro, tables) -> dict:
    """(title, row, col) -> (atoms, text) for old-style Protected tables: kind, Protected."""
    out = {}
    for title, (kind, keys, steps, p) in tables.items():
        for k in keys:
            for s in steps:
                if kind == "all":
                    atoms = micro.atoms(s)
                elif kind == "group":
                    atoms = micro.atoms(s, group=k)
                else:
                    atoms = micro.atoms(s, quarter=k[-1])
                out[(title, k, s)] = (atoms, p.cell(k, s))
        if kind != "all":
            for s in steps:
                out[(title, "All", s)] = (micro.atoms(s), p.col_total(s))
    return out


def _audit_loosely(micro, shown):
    """The auditor on tables that may disagree: one key per published figure."""
    cells, values, small, hidden = {}, {}, set(), set()
    for where, (atoms, text) in shown.items():
        cells[where], values[where] = atoms, micro.value(atoms)
        if text == RULES.small:
            small.add(where)
        elif text == HIDDEN:
            hidden.add(where)
    return audit(cells, values, small=small, hidden=hidden, threshold=RULES.threshold)


def test_the_auditor_catches_the_old_independent_protections(page_data):
    """The overall funnel and the funnel by ethnicity, each through its own ``protect()``:
    "Ended early" is 4 + 4 by group, so the table by group hides its total (8) — which the
    overall funnel shows, giving both groups away."""
    scope = Scope(page_data)
    queries.prepare(scope, ["ethnicity"])
    micro = Microdata(scope, ["ethnicity"])
    keys, steps, by_group = _old_funnel(scope, ["ethnicity"])
    _, osteps, overall = _old_funnel(scope, [])
    assert by_group.col_total("early") == HIDDEN and overall.cell((), "early") == "8"
    shown = _as_shown(
        micro,
        {
            "Funnel": ("all", [()], osteps, overall),
            "Funnel by Ethnicity": ("group", keys, steps, by_group),
        },
    )
    found = _audit_loosely(micro, shown)
    pinned = {f.key for f in found if f.why == "pinned"}
    assert ("Funnel by Ethnicity", ("asian",), "early") in pinned
    assert ("Funnel by Ethnicity", ("black",), "early") in pinned
    # each table alone was safe
    for title in ("Funnel", "Funnel by Ethnicity"):
        alone = {w: v for w, v in shown.items() if w[0] == title}
        assert _audit_loosely(micro, alone) == []


def test_the_auditor_catches_agreeing_on_the_total_alone(page_data):
    """The quarter table shows "Ended early" as 8 in 2024 Q3 (all eight registered then): hiding
    only its total, as the table by group does, would leave the total in plain sight — which is
    why the page hides the rest of that column too."""
    scope = Scope(page_data)
    queries.prepare(scope, ["ethnicity"])
    micro = Microdata(scope, ["ethnicity"])
    keys, steps, by_group = _old_funnel(scope, ["ethnicity"])
    qkeys, qsteps, by_quarter = _old_funnel(scope, [], quarter=True)
    q3 = next(k for k in qkeys if k[-1] and k[-1].month == 7)
    assert by_quarter.cell(q3, "early") == "8" and by_quarter.col_total("early") == "8"
    by_quarter.display[("col", "early")] = HIDDEN  # agree on the total only
    shown = _as_shown(
        micro,
        {
            "Funnel by Ethnicity": ("group", keys, steps, by_group),
            "Funnel by quarter of registration": ("quarter", qkeys, qsteps, by_quarter),
        },
    )
    pinned = {f.key for f in _audit_loosely(micro, shown) if f.why == "pinned"}
    assert ("Funnel by Ethnicity", ("asian",), "early") in pinned
    # the page itself hides the whole column in the quarter table
    reports = sections.full_report(Scope(page_data), ["ethnicity"], RULES)
    rep = next(r for r in reports if r.title == "Funnel by quarter of registration")
    i = rep.columns.index("Ended early")
    assert {row[i] for row in rep.rows} == {"0", HIDDEN}
    assert next(row[i] for row in rep.rows if row[0] == "2024 Q3") == HIDDEN
