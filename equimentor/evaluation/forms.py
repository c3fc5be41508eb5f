"""Forms: the questionnaire built from its definition, and the staff forms."""

from __future__ import annotations

from django import forms

from equimentor.evaluation import definitions, importer, mapping
from equimentor.evaluation.answers import clean as clean_answers
from equimentor.evaluation.definitions import CHOICE_TYPES, fields_of, scale_choices
from equimentor.evaluation.mapping import IGNORE
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
    saved = forms.ChoiceField(
        label="Saved mapping",
        required=False,
        help_text="A mapping saved with an earlier file maps the same columns and answers again.",
    )

    LATEST = ""
    NONE = "none"

    def __init__(self, questionnaires, *args, mappings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].choices = [(q.code, q.title) for q in questionnaires]
        titles = {q.code: q.title for q in questionnaires}
        self.mappings = {str(m.pk): m for m in mappings}
        self.fields["saved"].choices = [
            (self.LATEST, "The one last saved for this questionnaire, if any"),
            (self.NONE, "None: match the columns by their wording"),
        ] + [(pk, f"{m.name} ({titles.get(m.code, m.code)})") for pk, m in self.mappings.items()]

    def clean(self):
        data = super().clean()
        chosen = self.mappings.get(data.get("saved") or "")
        if chosen is not None and chosen.code != data.get("questionnaire"):
            self.add_error("saved", "That mapping is for another questionnaire.")
        return data

    def saved_mapping(self):
        """The chosen mapping; the latest of the questionnaire by default; or None."""
        choice = self.cleaned_data.get("saved") or self.LATEST
        if choice == self.NONE:
            return None
        if choice != self.LATEST:
            return self.mappings[choice]
        mine = [m for m in self.mappings.values() if m.code == self.cleaned_data["questionnaire"]]
        return max(mine, key=lambda m: m.updated_at, default=None)

    def clean_file(self):

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
    """A file's columns (``col_<i>``: the question each holds, or ignored) and the distinct
    answers of each choice or scale column (``val_<i>_<j>``: the option each means), as
    ``mapping.plan`` found them. An answer's choice counts only while its column still holds
    the question the answers were listed for."""

    save_as = forms.CharField(
        label="Save this mapping for the next file as",
        max_length=100,
        required=False,
        help_text="Saved when you import, for this questionnaire; leave blank not to save it.",
    )

    def __init__(self, plan, targets, *args, save_as: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["save_as"].initial = save_as
        self.plan = plan
        choices = [
            ("", "Not mapped yet: choose a question or ignore the column"),
            (IGNORE, "Ignore this column (its answers are not imported)"),
        ] + [(c, label if c.startswith("__") else f"{c} — {label[:90]}") for c, label in targets]
        labels = dict(targets)
        self.layout = []
        for c in plan.columns:
            name = f"col_{c.index}"
            if c.how == "matched":
                note = f"Matched by wording: {c.confidence}% alike."
            elif c.how == "saved":
                note = "From the saved mapping."
            elif c.how == "chosen":
                note = "Chosen by you."
            elif c.nearest:
                note = (
                    f"Not matched. The most alike question is “{labels[c.nearest][:80]}” "
                    f"({c.nearest_score}% alike)."
                )
            else:
                note = "Not matched to any question."
            self.fields[name] = forms.ChoiceField(
                label=c.key, choices=choices, required=False, initial=c.target, help_text=note
            )
            rows = []
            if c.index in plan.values:
                item, values = plan.values[c.index]
                options = mapping.answer_choices(item)
                # most frequent first; past MAX_VALUES the column is hardly this question
                for j, v in enumerate(values[: mapping.MAX_VALUES]):
                    vname = f"val_{c.index}_{j}"
                    opts = [
                        (t, f"{label} (suggested)" if t == v.suggestion else label)
                        for t, label in options
                    ]
                    self.fields[vname] = forms.ChoiceField(
                        label=f"“{v.raw}”",
                        choices=[("", "Not mapped yet: choose")] + opts,
                        required=False,
                        initial=v.target,
                    )
                    rows.append((v, vname))
            more = len(plan.values[c.index][1]) - len(rows) if c.index in plan.values else 0
            self.layout.append((c, name, rows, more))

    def clean(self):
        data = super().clean()
        seen: dict[str, str] = {}
        for c in self.plan.columns:
            target = data.get(f"col_{c.index}", "")
            if target and target != IGNORE:
                if target in seen:
                    self.add_error(
                        f"col_{c.index}",
                        f"“{seen[target]}” is mapped to this question already.",
                    )
                seen[target] = c.key
        return data

    def columns(self) -> dict[str, str]:
        return {c.key: self.cleaned_data.get(f"col_{c.index}", "") for c in self.plan.columns}

    def values(self) -> dict[str, dict[str, str]]:
        """field -> {answer: target} chosen for the columns that still hold their question."""
        out: dict[str, dict[str, str]] = {}
        for c, name, rows, _more in self.layout:
            if not rows or self.cleaned_data.get(name) != c.target:
                continue
            out[c.target] = {
                v.raw: self.cleaned_data[vname] for v, vname in rows if self.cleaned_data.get(vname)
            }
        return out

    def bound_layout(self):
        """(column, its field, [(answer, its field)], answers not listed) for the template."""
        return [
            (c, self[name], [(v, self[vn]) for v, vn in rows], more)
            for c, name, rows, more in self.layout
        ]


class ThemeForm(forms.Form):
    label = forms.CharField(label="New theme", max_length=200)
    description = forms.CharField(
        label="What it covers", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
