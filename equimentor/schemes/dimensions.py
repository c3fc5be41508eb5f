"""The catalogue of optional identity questions a scheme may ask.

Every question offers "prefer not to say". Ethnicity is asked in the person's
own words, with an optional broad group for aggregate reporting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PREFER_NOT = "prefer_not_to_say"


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    question: str
    options: list[tuple[str, str]] = field(default_factory=list)
    free_text: str = ""  # label of a free-text field, if any (it says "(optional)")

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [("", "Not answered"), *self.options, (PREFER_NOT, "Prefer not to say")]

    def option_label(self, value: str) -> str:
        return dict(self.choices).get(value, "")


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in [
        Dimension(
            "ethnicity",
            "Ethnicity",
            "Which broad ethnic group best describes you?",
            [
                ("asian", "Asian or Asian British"),
                ("black", "Black, Black British, Caribbean or African"),
                ("mixed", "Mixed or multiple ethnic groups"),
                ("arab", "Arab"),
                ("white_minority", "White minority (for example Gypsy, Roma, Irish Traveller)"),
                ("white", "White"),
                ("other", "Another ethnic group"),
            ],
            free_text="How do you describe your ethnicity, in your own words? (optional)",
        ),
        Dimension(
            "gender",
            "Gender",
            "How do you describe your gender?",
            [
                ("woman", "Woman"),
                ("man", "Man"),
                ("non_binary", "Non-binary"),
                ("self_describe", "I describe it another way"),
            ],
            free_text="In your own words (optional)",
        ),
        Dimension(
            "disability",
            "Disability",
            "Do you consider yourself to have a disability or long-term health condition?",
            [("yes", "Yes"), ("no", "No")],
        ),
        Dimension(
            "caring",
            "Caring responsibilities",
            "Do you have caring responsibilities (children, adults or both)?",
            [("yes", "Yes"), ("no", "No")],
        ),
        Dimension(
            "first_generation",
            "First generation at university",
            "Were you the first in your family to go to university?",
            [("yes", "Yes"), ("no", "No")],
        ),
        Dimension(
            "sexual_orientation",
            "Sexual orientation",
            "Which best describes your sexual orientation?",
            [
                ("heterosexual", "Heterosexual or straight"),
                ("gay_lesbian", "Gay or lesbian"),
                ("bisexual", "Bisexual"),
                ("self_describe", "I describe it another way"),
            ],
        ),
        Dimension(
            "migration",
            "Migration background",
            "Did you or your parents migrate to the country where you work?",
            [("self", "Yes, I did"), ("parents", "Yes, my parent(s) did"), ("no", "No")],
        ),
    ]
}
