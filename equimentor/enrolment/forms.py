"""Forms for expressing interest, registering and editing a profile."""

from __future__ import annotations

from django import forms

from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.services import (
    PREFER_NOT_OR_DESCRIBE,
    Answer,
    prefers_not_but_describes,
)
from equimentor.schemes.dimensions import DIMENSIONS
from equimentor.schemes.models import Institution, Scheme, SchemeDocument
from equimentor.schemes.services import find_institution


class ExpressionForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        help_text="We send the information pack and your registration link here.",
    )
    institution = forms.ModelChoiceField(
        label="Your institution",
        queryset=Institution.objects.all(),
        required=False,
        empty_label="Choose your institution",
    )
    institution_other = forms.CharField(
        label="Institution not listed? Type it here", max_length=200, required=False
    )

    def __init__(self, scheme: Scheme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        for i, statement in enumerate(scheme.eligibility_statements):
            self.fields[f"eligible_{i}"] = forms.BooleanField(label=statement, required=False)

    @property
    def eligibility_fields(self):
        return [self[f"eligible_{i}"] for i in range(len(self.scheme.eligibility_statements))]

    def clean(self):
        data = super().clean()
        if not data.get("institution") and not data.get("institution_other", "").strip():
            self.add_error(
                "institution", "Choose your institution, or type its name if it is not listed."
            )
        unmet = [
            i
            for i in range(len(self.scheme.eligibility_statements))
            if not data.get(f"eligible_{i}")
        ]
        if unmet:
            contact = (
                f" If you are unsure, write to {self.scheme.contact_email}."
                if self.scheme.contact_email
                else ""
            )
            raise forms.ValidationError(
                "This scheme is open only to people who meet every eligibility statement. "
                "Please tick each statement that applies to you." + contact
            )
        data["declared_eligible"] = True
        return data


class ProfileForm(forms.Form):
    """The participant's profile in one scheme (shared by registration and editing)."""

    role = forms.ChoiceField(label="I would like to take part as", widget=forms.RadioSelect)
    job_title = forms.CharField(label="Job title", max_length=200)
    career_stage = forms.TypedChoiceField(label="Career stage", coerce=int)
    pathway = forms.ChoiceField(
        label="Career pathway", choices=Participant.Pathway.choices, widget=forms.RadioSelect
    )
    institution = forms.ModelChoiceField(
        label="Institution",
        queryset=Institution.objects.all(),
        empty_label="Choose your institution",
        required=False,
    )
    institution_other = forms.CharField(
        label="Institution not listed? Type its name here",
        max_length=200,
        required=False,
        help_text="The coordinator adds it to the list when approving your registration.",
    )
    department = forms.CharField(label="Department or specialty", max_length=200)
    research_interests = forms.CharField(
        label="Research interests",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A few phrases, for example: health services research; maternal health; genomics.",
    )
    career_summary = forms.CharField(
        label="Your career to date", widget=forms.Textarea(attrs={"rows": 5})
    )
    offers = forms.CharField(
        label="What you can offer as a mentor",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed if you are a mentor.",
    )
    seeks = forms.CharField(
        label="What you hope to gain as a mentee",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed if you are a mentee.",
    )
    mentor_capacity = forms.TypedChoiceField(
        label="How many mentees could you support at once?",
        coerce=int,
        required=False,
        empty_value=None,
    )
    meeting_mode = forms.ChoiceField(
        label="How would you like to meet?", choices=Participant.MeetingMode.choices
    )
    meeting_notes = forms.CharField(
        label="Anything else about meetings (optional)",
        max_length=300,
        required=False,
        help_text="For example: early mornings suit me; not on Fridays.",
    )

    PROFILE_FIELDS = [
        "job_title",
        "career_stage",
        "pathway",
        "institution",
        "institution_other",
        "department",
        "research_interests",
        "career_summary",
        "offers",
        "seeks",
        "mentor_capacity",
        "meeting_mode",
        "meeting_notes",
    ]

    def __init__(self, scheme: Scheme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.fields["role"].choices = scheme.role_choices
        self.fields["career_stage"].choices = [
            ("", "Choose a career stage"),
            *enumerate(scheme.career_stages),
        ]
        self.fields["mentor_capacity"].choices = [("", "Choose a number")] + [
            (n, str(n)) for n in range(1, scheme.max_mentor_capacity + 1)
        ]

    @classmethod
    def initial_from(cls, participant: Participant) -> dict:
        initial = {name: getattr(participant, name) for name in cls.PROFILE_FIELDS}
        initial["institution"] = participant.institution_id
        initial["role"] = participant.role_code
        return initial

    def clean(self):
        data = super().clean()
        typed = " ".join((data.get("institution_other") or "").split())
        if data.get("institution"):
            data["institution_other"] = ""
        elif typed:
            # what was typed may name a listed institution (or one of its other names)
            found = find_institution(typed)
            data["institution"], data["institution_other"] = (found, "") if found else (None, typed)
        elif "institution" not in self.errors:
            self.add_error(
                "institution", "Choose your institution, or type its name if it is not listed."
            )
        role = data.get("role")
        if role in {"mentor", "both"}:
            if not data.get("mentor_capacity"):
                self.add_error(
                    "mentor_capacity", "Mentors: say how many mentees you could support."
                )
            if not data.get("offers", "").strip():
                self.add_error("offers", "Mentors: say what you can offer.")
        if role in {"mentee", "both"} and not data.get("seeks", "").strip():
            self.add_error("seeks", "Mentees: say what you hope to gain.")
        return data

    @property
    def profile(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.PROFILE_FIELDS}


class IdentityForm(forms.Form):
    """Optional identity questions, each with "prefer not to say", and how they may be used."""

    use_matching = forms.BooleanField(
        required=False,
        label=Consent.Purpose.IDENTITY_MATCHING.label,
        help_text="Only for the shared characteristics you ask for when choosing mentors.",
    )
    use_reports = forms.BooleanField(
        required=False,
        label=Consent.Purpose.IDENTITY_REPORTS.label,
        help_text="Counted in groups; groups smaller than five are never shown.",
    )

    def __init__(self, scheme: Scheme, *args, show_profile_option: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.codes = [code for code in scheme.identity_dimensions if code in DIMENSIONS]
        for code in self.codes:
            dim = DIMENSIONS[code]
            self.fields[f"id_{code}"] = forms.ChoiceField(
                label=dim.question, choices=dim.choices, required=False
            )
            if dim.free_text:
                self.fields[f"id_{code}_text"] = forms.CharField(
                    label=dim.free_text,
                    max_length=200,
                    required=False,
                    # special-category data: not kept in the browser's form history
                    widget=forms.TextInput(attrs={"autocomplete": "off"}),
                )
            if show_profile_option:
                self.fields[f"id_{code}_show"] = forms.BooleanField(
                    label=f"Show my answer about {dim.label.lower()} on my published mentor profile",
                    required=False,
                )

    def dimension_groups(self):
        for code in self.codes:
            yield {
                "dimension": DIMENSIONS[code],
                "value": self[f"id_{code}"],
                "text": self[f"id_{code}_text"] if f"id_{code}_text" in self.fields else None,
                "show": self[f"id_{code}_show"] if f"id_{code}_show" in self.fields else None,
            }

    @classmethod
    def initial_from(cls, participant: Participant, uses: dict[str, bool]) -> dict:
        initial = {
            "use_matching": uses.get(Consent.Purpose.IDENTITY_MATCHING, False),
            "use_reports": uses.get(Consent.Purpose.IDENTITY_REPORTS, False),
        }
        for answer in participant.identity_answers.all():
            initial[f"id_{answer.dimension}"] = answer.value
            initial[f"id_{answer.dimension}_text"] = answer.self_description
            initial[f"id_{answer.dimension}_show"] = answer.show_on_profile
        return initial

    def clean(self):
        data = super().clean()
        for code in self.codes:
            text = f"id_{code}_text"
            if prefers_not_but_describes(data.get(f"id_{code}", ""), data.get(text, "")):
                self.add_error(text, PREFER_NOT_OR_DESCRIBE)
        if self.has_answers(data) and not (data.get("use_matching") or data.get("use_reports")):
            raise forms.ValidationError(
                "You answered some identity questions. To save them, tick at least one way we may "
                "use them below — or clear the answers. Nothing is saved without your consent."
            )
        return data

    def has_answers(self, data=None) -> bool:
        data = self.cleaned_data if data is None else data
        return any(data.get(f"id_{c}") or data.get(f"id_{c}_text", "").strip() for c in self.codes)

    @property
    def answers(self) -> dict[str, Answer]:
        data = self.cleaned_data
        return {
            code: Answer(
                data.get(f"id_{code}", ""),
                data.get(f"id_{code}_text", "").strip(),
                bool(data.get(f"id_{code}_show")),
            )
            for code in self.codes
        }

    @property
    def uses(self) -> dict[str, bool]:
        return {
            Consent.Purpose.IDENTITY_MATCHING: bool(self.cleaned_data.get("use_matching")),
            Consent.Purpose.IDENTITY_REPORTS: bool(self.cleaned_data.get("use_reports")),
        }


class ConsentForm(forms.Form):
    """Consent to each document, against the version shown (its id travels with the form)."""

    def __init__(self, scheme: Scheme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = scheme.current_documents()
        purposes = (*Consent.REQUIRED, Consent.Purpose.EVALUATION)
        for purpose in purposes:
            kind = Consent.DOCUMENT_FOR_PURPOSE[purpose]
            doc = self.documents.get(kind)
            required = purpose in Consent.REQUIRED
            self.fields[purpose] = forms.BooleanField(
                label=Consent.Purpose(purpose).label + ("" if required else " (optional)"),
                required=required,
                error_messages={"required": "This consent is needed to take part."},
            )
            self.fields[purpose].document = doc
        for kind in SchemeDocument.Kind.values:
            self.fields[f"doc_{kind}"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False
            )
            if kind in self.documents:
                self.initial[f"doc_{kind}"] = self.documents[kind].pk

    def consent_fields(self):
        return [self[p] for p in (*Consent.REQUIRED, Consent.Purpose.EVALUATION)]

    @property
    def consents(self) -> dict[str, bool]:
        return {
            p: bool(self.cleaned_data.get(p))
            for p in (*Consent.REQUIRED, Consent.Purpose.EVALUATION)
        }

    @property
    def documents_shown(self) -> dict[str, int]:
        return {
            kind: self.cleaned_data[f"doc_{kind}"]
            for kind in SchemeDocument.Kind.values
            if self.cleaned_data.get(f"doc_{kind}") is not None
        }


class FullNameForm(forms.Form):
    full_name = forms.CharField(label="Your full name", max_length=200)


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, I want to withdraw from this scheme",
        error_messages={"required": "Tick the box to confirm."},
    )
    erase_identity = forms.BooleanField(
        label="Also erase my identity answers now", required=False, initial=True
    )
