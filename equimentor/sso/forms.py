from __future__ import annotations

from django import forms

from equimentor.sso.models import IdentityProvider


class ChooseForm(forms.Form):
    """The sign-in page's first question: your work email, or your institution."""

    email = forms.EmailField(
        label="Your work email address",
        max_length=254,
        required=False,
        help_text="We send you to your institution's own sign-in page if it has one here.",
    )
    institution = forms.ModelChoiceField(
        label="Or choose your institution",
        queryset=IdentityProvider.objects.none(),
        required=False,
        empty_label="(choose)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["institution"]
        field.queryset = IdentityProvider.objects.filter(is_active=True).select_related(
            "institution"
        )
        field.label_from_instance = lambda p: p.institution.name

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("institution"):
            raise forms.ValidationError("Enter your work email address or choose your institution.")
        return data
