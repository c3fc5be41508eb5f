from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.db.models import Q

from equimentor.engine import DEFAULT_WEIGHTS
from equimentor.enrolment.imports import (
    FIELDS,
    MAX_BYTES,
    ImportFileError,
    check_mapping,
    is_identity_header,
)
from equimentor.schemes.dimensions import DIMENSIONS
from equimentor.schemes.models import Institution, Scheme, SchemeDocument


class LinesField(forms.CharField):
    """A list of strings edited as one line each."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


WEIGHT_LABELS = {
    "seniority": "Weight: mentor somewhat more senior",
    "interests": "Weight: shared research interests",
    "shared": "Weight: shared characteristics the mentee asked for",
    "pathway": "Weight: same pathway or specialty",
}


class SchemeForm(forms.ModelForm):
    eligibility_statements = LinesField(
        label="Eligibility statements", help_text="One per line. Applicants tick each one."
    )
    career_stages = LinesField(
        label="Career-stage scale", help_text="One stage per line, most junior first."
    )
    identity_dimensions = forms.MultipleChoiceField(
        label="Identity questions asked (all optional, each with “prefer not to say”)",
        choices=[(code, dim.label) for code, dim in DIMENSIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    fair_groups = forms.MultipleChoiceField(
        label="Groups whose match rates matching makes as equal as possible",
        help_text="People are grouped by their answers to all the questions ticked, taken "
        "together (for example ethnicity × gender). Only questions the scheme asks can be used.",
        choices=[(code, dim.label) for code, dim in DIMENSIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Scheme
        fields = [
            "name",
            "summary",
            "description",
            "eligibility_statements",
            "offers_mentee",
            "offers_mentor",
            "allows_both",
            "max_choices",
            "relationship_months",
            "different_institutions",
            "max_mentor_capacity",
            "career_stages",
            "identity_dimensions",
            "ideal_seniority_gap",
            "matching_policy",
            "fair_groups",
            "contact_email",
            "is_open",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        # (a form posted without them keeps the scheme's policy; groups start as those asked)
        self.fields["matching_policy"].required = False
        self.initial["fair_groups"] = self.instance.fair_dimensions
        current = {**DEFAULT_WEIGHTS, **(self.instance.matching_weights or {})}
        for key, label in WEIGHT_LABELS.items():
            self.fields[f"weight_{key}"] = forms.FloatField(
                label=label,
                min_value=0,
                max_value=10,
                initial=current[key],
                help_text="From 0 to 10. Matching adds the weighted parts of compatibility; "
                "see “How matching works”."
                if key == "seniority"
                else "",
            )

    def clean(self):
        data = super().clean()
        if not data.get("matching_policy"):
            data["matching_policy"] = self.instance.matching_policy or Scheme.MatchingPolicy.FAIR
        weights = {
            key: data.pop(f"weight_{key}") for key in WEIGHT_LABELS if f"weight_{key}" in data
        }
        if weights and not any(weights.values()):
            raise forms.ValidationError("At least one matching weight must be above 0.")
        if len(weights) == len(WEIGHT_LABELS):
            data["matching_weights"] = weights
        return data


class NewSchemeForm(SchemeForm):
    class Meta(SchemeForm.Meta):
        fields = [
            "name",
            "slug",
            *[f for f in SchemeForm.Meta.fields if f not in {"name", "is_open"}],
        ]
        labels = {"slug": "Short name for web addresses"}
        help_texts = {
            "slug": "Lower-case letters, numbers and hyphens, for example horizons: the "
            "scheme's page is then /schemes/horizons/. It cannot be changed later."
        }
        error_messages = {
            "slug": {
                "unique": "Another scheme already uses this short name: choose a different one.",
                "invalid": "Use only letters, numbers, hyphens and underscores, with no spaces.",
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A new scheme starts from the model's defaults for the fields this form declares
        # itself (a ModelForm fills in only its model fields'): the career-stage scale and the
        # identity questions, which the fair-matching groups already assume.
        fresh = Scheme()
        for name in ("career_stages", "identity_dimensions"):
            self.initial.setdefault(name, getattr(fresh, name))


class DocumentForm(forms.ModelForm):
    class Meta:
        model = SchemeDocument
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18})}


class MapInstitutionForm(forms.Form):
    """Where a registration whose institution was not listed belongs, chosen on approval."""

    existing = forms.ModelChoiceField(
        label="It is this institution on the list",
        queryset=Institution.objects.order_by("name"),
        required=False,
        empty_label="Choose an institution",
    )
    new_name = forms.CharField(
        label="Or add it to the list as",
        max_length=200,
        required=False,
        help_text="Check the spelling: everyone chooses from the list from now on.",
    )

    def clean(self):
        data = super().clean()
        existing, new_name = data.get("existing"), " ".join(data.get("new_name", "").split())
        if bool(existing) == bool(new_name):
            raise forms.ValidationError(
                "Choose the institution from the list, or give the name to add it as (not both)."
            )
        data["new_name"] = new_name
        return data


class MessageForm(forms.Form):
    message = forms.CharField(
        label="Message to the applicant",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent by email and shown on their registration page.",
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet (CSV or XLSX)",
        help_text="The first row names the columns: email, name, role (mentee, mentor or both), "
        "institution, and optionally career stage, pathway, specialty, research interests and "
        "mentor capacity. At most 5 MB, 40 columns and 20,000 rows.",
    )

    def clean_file(self):

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("Choose a .csv or .xlsx file.")
        return upload


class MappingForm(forms.Form):
    """Which field each column holds (one choice per column; at most MAX_COLUMNS of them).
    Columns that ask about identity get no choice: they are never imported."""

    def __init__(self, headers: list[str], mapping: dict[str, str], *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.identity_columns = []
        choices = [("", "Not imported")] + [(code, label) for code, (label, _, _) in FIELDS.items()]
        for i, header in enumerate(headers):
            if is_identity_header(header):
                self.identity_columns.append(header or f"Column {i + 1}")
                continue
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=f"Column {i + 1}: “{header}”" if header else f"Column {i + 1} (no heading)",
                choices=choices,
                required=False,
                initial=mapping.get(str(i), ""),
            )

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }

    def clean(self):

        data = super().clean()
        try:
            check_mapping(self.mapping())
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


class RegistrationFilter(forms.Form):
    """The registrations list's search and filters (a GET form: the URL keeps them)."""

    ROLES = [("", "Any role"), ("mentee", "Mentees"), ("mentor", "Mentors"), ("both", "Both")]

    q = forms.CharField(label="Name or email", required=False, max_length=200)
    institution = forms.ChoiceField(label="Institution", required=False)
    role = forms.ChoiceField(label="Role", required=False, choices=ROLES)

    def __init__(self, scheme, data=None):
        super().__init__(data or None)
        used = (
            Institution.objects.filter(participants__scheme=scheme)
            .distinct()
            .order_by("name")
            .values_list("pk", "name")
        )
        self.fields["institution"].choices = [
            ("", "Any institution"),
            *[(str(pk), name) for pk, name in used],
            ("other", "Not listed yet"),
        ]

    def apply(self, rows):
        if not self.is_valid():
            return rows
        data = self.cleaned_data
        if q := data["q"].strip():
            rows = rows.filter(Q(user__full_name__icontains=q) | Q(user__email__icontains=q))
        if data["institution"] == "other":
            rows = rows.filter(institution__isnull=True)
        elif data["institution"]:
            rows = rows.filter(institution_id=int(data["institution"]))
        role = data["role"]
        if role == "mentee":
            rows = rows.filter(is_mentee=True)
        elif role == "mentor":
            rows = rows.filter(is_mentor=True)
        elif role == "both":
            rows = rows.filter(is_mentee=True, is_mentor=True)
        return rows

    def query(self) -> str:
        """The filters as a query string, for the tabs, pages and export links."""
        if not self.is_valid():
            return ""
        return urlencode({k: v for k, v in self.cleaned_data.items() if v})
