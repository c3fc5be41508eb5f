"""Forms: the questionnaire built from its definition, and the staff forms."""

from __future__ import annotations

from django import forms

from equimentor.evaluation import definitions
from equimentor.evaluation.answers import clean as clean_answers
from equimentor.evaluation.definitions import CHOICE_TYPES, fields_of, scale_choices
from equimentor.evaluation.models import EvaluationSettings


def _label(item: dict) -> str:
    cond = item.get("show_if")
    return item["text"] + (" (only if it applies to your previous answer)" if cond else "")


class QuestionnaireForm(forms.Form):
    """Fields named by stored field code; ``cleaned_answers`` holds the stored values."""

    def __init__(self, items: list[dict], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.sections = []
        for item in items:
            code, kind = item["code"], item["type"]
            common = {"required": False, "help_text": item.get("help", "")}
            names = []
            if kind in CHOICE_TYPES:
                choices = [(o["code"], definitions.label_text(o)) for o in item["options"]]
                if kind == "single":
                    self.fields[code] = forms.ChoiceField(
                        label=_label(item), choices=choices, widget=forms.RadioSelect, **common
                    )
                else:
                    self.fields[code] = forms.MultipleChoiceField(
                        label=_label(item),
                        choices=choices,
                        widget=forms.CheckboxSelectMultiple,
                        **common,
                    )
                names.append(code)
                if item.get("other"):
                    self.fields[f"{code}.other"] = forms.CharField(
                        label=item.get("other_label", "Other, please say"),
                        max_length=1000,
                        required=False,
                    )
                    names.append(f"{code}.other")
            elif kind == "matrix":
                for f, row in zip(fields_of(item), item["rows"], strict=True):
                    self.fields[f] = forms.ChoiceField(
                        label=row["label"],
                        choices=scale_choices(item),
                        widget=forms.RadioSelect,
                        required=False,
                    )
                    names.append(f)
            elif kind in ("agree5", "stars", "scale10"):
                self.fields[code] = forms.ChoiceField(
                    label=_label(item),
                    choices=scale_choices(item),
                    widget=forms.RadioSelect,
                    **common,
                )
                names.append(code)
            elif kind == "number":
                self.fields[code] = forms.IntegerField(
                    label=_label(item),
                    min_value=item.get("min", 0),
                    max_value=item.get("max", 1000),
                    **common,
                )
                names.append(code)
            else:
                self.fields[code] = forms.CharField(
                    label=_label(item),
                    widget=forms.Textarea(attrs={"rows": 4}),
                    max_length=5000,
                    **common,
                )
                names.append(code)
            self.sections.append((item, [self[n] for n in names]))

    def clean(self):
        raw = {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])}
        values, errors = clean_answers(self.items, raw)
        for code, msg in errors.items():
            self.add_error(code if code in self.fields else None, msg)
        self.cleaned_answers = values
        return self.cleaned_data


class SettingsForm(forms.ModelForm):
    class Meta:
        model = EvaluationSettings
        fields = [
            "baseline_delay_days",
            "followup_months",
            "open_days",
            "reminder_days",
            "max_reminders",
            "threshold",
            "text_threshold",
        ]


class DefinitionForm(forms.Form):
    definition = forms.CharField(
        label="Questionnaire (YAML)",
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}),
        help_text="Each item keeps its code; see the shipped templates for every item type.",
    )

    def clean_definition(self):
        try:
            return definitions.parse(self.cleaned_data["definition"])
        except definitions.DefinitionError as exc:
            raise forms.ValidationError(exc.errors) from exc


class UploadForm(forms.Form):
    questionnaire = forms.ChoiceField(label="Questionnaire the responses answered")
    file = forms.FileField(label="CSV file (one row per response)")
    role = forms.ChoiceField(
        label="Role of every respondent",
        required=False,
        choices=[("", "Given in a column"), ("mentee", "All mentees"), ("mentor", "All mentors")],
    )

    def __init__(self, questionnaires, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].choices = [(q.code, q.title) for q in questionnaires]

    def clean_file(self):
        from equimentor.evaluation import importer

        f = self.cleaned_data["file"]
        if f.size > 2_000_000:
            raise forms.ValidationError("The file is larger than 2 MB.")
        try:
            text = f.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("Save the file as UTF-8 CSV.") from exc
        try:
            importer.read(text)
        except importer.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return text


class MappingForm(forms.Form):
    def __init__(self, headers, targets, initial_map, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Ignore this column")] + [
            (c, f"{c} — {label[:70]}") for c, label in targets
        ]
        for i, h in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=h or f"Column {i + 1}",
                choices=choices,
                required=False,
                initial=initial_map.get(h, ""),
            )
        self.headers = headers

    def mapping(self) -> dict[str, str]:
        return {h: self.cleaned_data.get(f"col_{i}", "") for i, h in enumerate(self.headers)}


class ThemeForm(forms.Form):
    label = forms.CharField(label="New theme", max_length=200)
    description = forms.CharField(
        label="What it covers", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
