"""What the reports call things: the breakdowns a scheme offers, the label of each group, the
funnel's steps and the equity columns in the order they are shown."""

from __future__ import annotations

from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT

NOT_STATED = "__not_stated"
OUTCOME_MILESTONES = ["promotion", "grant", "fellowship"]


def dimensions(scheme) -> dict[str, str]:
    dims = {"institution": "Institution", "career_stage": "Career stage"}
    for code in scheme.identity_dimensions or []:
        if code in DIMENSIONS:
            dims[code] = DIMENSIONS[code].label
    return dims


def clean_by(scheme, by) -> list[str]:
    allowed = dimensions(scheme)
    out = []
    for code in by or []:
        if code in allowed and code not in out:
            out.append(code)
    return out[:3]


def label(scheme, code: str, value) -> str:
    if code == "institution":  # none: typed as not listed, until the coordinator maps it
        return value or "Not listed (awaiting the coordinator)"
    if code == "career_stage":
        return scheme.career_stage_label(int(value)) if value not in (None, "") else "Not stated"
    if code == "quarter":
        return f"{value.year} Q{(value.month - 1) // 3 + 1}" if value else "Not stated"
    if value in (None, "", NOT_STATED):
        return "Not stated"
    if value == PREFER_NOT:
        return "Prefer not to say"
    return DIMENSIONS[code].option_label(value) or "Not stated"


FUNNEL = [
    ("eoi", "Expressions of interest"),
    ("eligible", "Declared eligible"),
    ("registered", "Registered"),
    ("approved", "Approved"),
    ("mentees", "Approved mentees"),
    ("matched", "Matched"),
    ("rank1", "1st choice"),
    ("rank2", "2nd choice"),
    ("rank3", "3rd choice"),
    ("fallback", "By compatibility (fallback)"),
    ("trial", "Trial passed"),
    ("six_months", "Active at 6 months"),
    ("goals_met", "Closed: goals met"),
    ("extended", "Extended"),
    ("early", "Ended early"),
]
CONVERSIONS = [
    ("eligible", "eoi"),
    ("registered", "eligible"),
    ("approved", "registered"),
    ("matched", "mentees"),
    ("trial", "matched"),
    ("six_months", "trial"),
]


EQUITY_COLS = [
    ("mentees", "Approved mentees"),
    ("matched", "Matched"),
    ("rank1", "1st choice"),
    ("closed", "Closed"),
    ("early", "Ended early"),
    ("sponsorship", "Sponsorship acts received"),
    *[(m, f"Milestones: {m}") for m in OUTCOME_MILESTONES],
]


def row_label(scheme, by, key) -> str:
    return " · ".join(label(scheme, code, v) for code, v in zip(by, key, strict=False)) or "All"
