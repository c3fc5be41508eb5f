from __future__ import annotations

from django import forms

from equimentor.sso import saml
from equimentor.sso.models import IdentityProvider
from equimentor.sso.services import clean_domains


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


class ProviderForm(forms.Form):
    """A site administrator's settings for one institution's identity provider."""

    protocol = forms.ChoiceField(
        label="Protocol",
        choices=IdentityProvider.Protocol.choices,
        widget=forms.RadioSelect,
        help_text="Microsoft Entra ID, Okta and Google speak OpenID Connect; Shibboleth and the "
        "UK Access Management Federation or InCommon speak SAML 2.0.",
    )
    domains = forms.CharField(
        label="Email domains it serves",
        max_length=2000,
        help_text="Comma-separated, such as uni.example.ac.uk, med.uni.example.ac.uk. People "
        "who give an address in these domains are sent to this provider.",
    )
    issuer = forms.URLField(
        label="Issuer URL (OpenID Connect)",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="The provider's issuer, such as https://login.microsoftonline.com/TENANT/v2.0.",
    )
    client_id = forms.CharField(label="Client ID (OpenID Connect)", max_length=255, required=False)
    client_secret = forms.CharField(
        label="Client secret (OpenID Connect)",
        max_length=2000,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored one.",
    )
    metadata_url = forms.URLField(
        label="Metadata URL (SAML)",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Where the identity provider publishes its metadata (https). Or paste it below.",
    )
    metadata_xml = forms.CharField(
        label="Metadata XML (SAML)",
        required=False,
        max_length=1_000_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="The identity provider's own metadata, not a whole federation's.",
    )
    mfa_values = forms.CharField(
        label="Values that mean multi-factor sign-in",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line: OpenID Connect amr/acr or SAML AuthnContextClassRef values. "
        "Empty means the usual ones (REFEDS MFA, RFC 8176 mfa, Entra ID's multipleauthn).",
    )
    is_active = forms.BooleanField(
        label="In use",
        required=False,
        initial=True,
        help_text="Turned off, sign-in no longer offers it.",
    )

    def __init__(self, *args, provider: IdentityProvider | None = None, **kwargs):
        self.provider = provider
        super().__init__(*args, **kwargs)

    def clean_domains(self):

        return clean_domains(self.cleaned_data["domains"])

    def clean_metadata_url(self):
        url = self.cleaned_data["metadata_url"]
        if url and not url.startswith("https://"):
            raise forms.ValidationError(
                "Give an https address: metadata must not be tampered with."
            )
        return url

    def clean_mfa_values(self):
        return [v.strip() for v in self.cleaned_data["mfa_values"].splitlines() if v.strip()]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data["protocol"] == IdentityProvider.Protocol.OIDC:
            missing = [
                name
                for name, label in (("issuer", "its issuer URL"), ("client_id", "its client ID"))
                if not data.get(name)
            ]
            for name in missing:
                self.add_error(name, "OpenID Connect needs this.")
            has_secret = self.provider is not None and self.provider.has_secret
            if not data.get("client_secret") and not has_secret:
                self.add_error("client_secret", "OpenID Connect needs the client secret.")
            return data

        source = data.get("metadata_url") or data.get("metadata_xml", "")
        if not source.strip():
            self.add_error("metadata_url", "SAML needs the metadata: its URL, or paste it below.")
            return data
        try:
            xml, url, entity_id = saml.read_metadata(source)
        except forms.ValidationError as exc:
            field = "metadata_url" if data.get("metadata_url") else "metadata_xml"
            self.add_error(field, exc)
            return data
        data.update(metadata_xml=xml, metadata_url=url, entity_id=entity_id)
        return data

    def service_fields(self) -> dict:
        """What ``services.save_provider`` takes, for the chosen protocol only."""
        d = self.cleaned_data
        common = {
            "protocol": d["protocol"],
            "domains": d["domains"],
            "is_active": d["is_active"],
            "mfa_values": d["mfa_values"],
        }
        if d["protocol"] == IdentityProvider.Protocol.OIDC:
            return {
                **common,
                "issuer": d["issuer"],
                "client_id": d["client_id"],
                "client_secret": d["client_secret"] or None,
            }
        return {
            **common,
            "metadata_xml": d["metadata_xml"],
            "metadata_url": d["metadata_url"],
            "entity_id": d["entity_id"],
        }
