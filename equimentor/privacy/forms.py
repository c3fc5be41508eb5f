from __future__ import annotations

from django import forms

from equimentor.privacy.models import RetentionSettings


class CodeForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code from your authenticator app",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EraseForm(forms.Form):
    confirm = forms.CharField(label='Type "erase my data" to confirm', max_length=40)

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip().lower()
        if value != "erase my data":
            raise forms.ValidationError('Type "erase my data" to confirm.')
        return value


class RetentionForm(forms.ModelForm):
    class Meta:
        model = RetentionSettings
        fields = ["identity_months", "closed_case_months", "inactive_account_months"]
