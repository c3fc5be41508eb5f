from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation

from equimentor.core.zones import TimeZoneField


class EmailForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    password = forms.CharField(label="Password", widget=forms.PasswordInput)


class AccountForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=200)
    time_zone = TimeZoneField(
        label="Your time zone",
        help_text="Meeting times and deadlines are shown in this time zone.",
    )

    def __init__(self, *args, current="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].offer_first([current])


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New password",
        widget=forms.PasswordInput,
        help_text="Optional: you can always sign in with an emailed link.",
    )
    password2 = forms.CharField(label="New password again", widget=forms.PasswordInput)

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError("The two passwords do not match.")
        if p1:
            password_validation.validate_password(p1, self.user)
        return data
