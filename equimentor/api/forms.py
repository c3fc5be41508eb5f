"""The form that makes an API token (the personal and the scheme's pages share it)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from equimentor.api import webhooks
from equimentor.api.scopes import DEFAULT_SCOPES, SCOPES
from equimentor.api.services import NAME_MAX


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label="Name",
        help_text="What it is for, so you know it again: “HR sync”, “Reports dashboard”.",
    )
    scopes = forms.MultipleChoiceField(
        choices=[(code, f"{code}: {what}") for code, what in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=DEFAULT_SCOPES,
        label="What it may do",
        help_text="Scopes only narrow: the token never does more than its owner’s roles allow.",
    )
    days = forms.IntegerField(
        min_value=1,
        label="Days until it expires",
        help_text="It stops working then; make a new one to carry on.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.API_TOKEN_DEFAULT_DAYS
        self.fields["days"].help_text += f" At most {settings.API_TOKEN_MAX_DAYS}."

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if days > settings.API_TOKEN_MAX_DAYS:
            raise forms.ValidationError(
                f"A token lasts at most {settings.API_TOKEN_MAX_DAYS} days."
            )
        return days


class WebhookForm(forms.Form):
    url = forms.URLField(
        max_length=500,
        label="Address",
        assume_scheme="https",
        help_text="An https:// address of your system on the internet; each event is POSTed "
        "there as JSON, signed (Standard Webhooks).",
    )
    events = forms.MultipleChoiceField(
        choices=list(webhooks.EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
        label="Events to send",
    )
    description = forms.CharField(
        max_length=200, required=False, label="Description (optional)", help_text="“HR sync”."
    )

    def clean_url(self) -> str:
        try:
            return webhooks.check_url(self.cleaned_data["url"])
        except webhooks.WebhookError as exc:
            raise forms.ValidationError(str(exc)) from exc
