from __future__ import annotations

from django import forms

from equimentor.core.roles import Role
from equimentor.schemes.models import Institution


class InviteForm(forms.Form):
    full_name = forms.CharField(label="Their name", max_length=200)
    email = forms.EmailField(label="Their email address")
    role = forms.ChoiceField(label="Role", widget=forms.RadioSelect)
    institutions = forms.ModelMultipleChoiceField(
        label="Limit a committee member's reports to these institutions (optional)",
        help_text="Leave all unticked for reports on the whole scheme.",
        queryset=Institution.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, roles: list[Role], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0].value

    def clean(self):
        data = super().clean()
        if data.get("institutions") and data.get("role") != Role.COMMITTEE:
            self.add_error(
                "institutions", "Only a committee member's reports are limited to institutions."
            )
        return data


class InstitutionsForm(forms.Form):
    """A committee member's institutions; ``choices`` read once for every row of a page."""

    institutions = forms.TypedMultipleChoiceField(
        label="Reports limited to these institutions",
        help_text="None ticked: the whole scheme.",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institutions"].choices = choices

    def chosen(self) -> list[Institution]:
        return list(Institution.objects.filter(pk__in=self.cleaned_data["institutions"]))


class InstitutionForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    short_name = forms.CharField(
        label="Short name (optional)", max_length=60, required=False, help_text="For example UCL."
    )


class AliasForm(forms.Form):
    alias = forms.CharField(
        label="Another name it goes by",
        max_length=200,
        help_text="What people may type or a spreadsheet may say, for example a former name.",
    )


class SiteAdminForm(forms.Form):
    full_name = forms.CharField(label="Their name", max_length=200)
    email = forms.EmailField(label="Their email address")
