from __future__ import annotations

from django import forms

from equimentor.enrolment.models import Participant
from equimentor.relationships.models import Membership
from equimentor.safeguarding.models import Case, ContactRoute
from equimentor.safeguarding.services import ACTIONS, MIN_PASSPHRASE, allowed_statuses
from equimentor.schemes.models import StaffRole


def about_choices(user):
    """(schemes, relationships, people) the signed-in person may raise a concern about."""
    mine = list(
        Participant.objects.filter(user=user).select_related("scheme").order_by("scheme__name")
    )
    schemes = [(p.scheme.slug, p.scheme.name) for p in mine]
    memberships = Membership.objects.filter(participant__in=mine).select_related(
        "relationship__scheme"
    )
    rel_list = [m.relationship for m in memberships]
    others: dict[int, list[str]] = {rel.pk: [] for rel in rel_list}
    people = {}
    for m in (
        Membership.objects.filter(relationship_id__in=list(others))
        .exclude(participant__user=user)
        .select_related("participant__user", "relationship__scheme")
        .order_by("participant__user__full_name")
    ):
        others[m.relationship_id].append(m.participant.user.full_name)
        people[f"{m.relationship.scheme.slug}:{m.participant.user_id}"] = (
            f"{m.participant.user.full_name} ({m.relationship.scheme.name})"
        )
    rels = [
        (str(rel.pk), relationship_label(rel, others[rel.pk], rel.scheme.name)) for rel in rel_list
    ]
    for role in (
        StaffRole.objects.filter(scheme__in=[p.scheme for p in mine])
        .exclude(user=user)
        .select_related("user", "scheme")
    ):
        people.setdefault(
            f"{role.scheme.slug}:{role.user_id}",
            f"{role.user.full_name}, {role.get_role_display().lower()} ({role.scheme.name})",
        )
    return schemes, rels, sorted(people.items(), key=lambda kv: kv[1])


def people_phrase(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B and 3 others'."""
    shown = names if len(names) <= 3 else [*names[:2], f"{len(names) - 2} others"]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def relationship_label(rel, names: list[str], note: str) -> str:
    """'One-to-one with Dr A (note)': the people in it, not a database number."""
    who = f" with {people_phrase(names)}" if names else ""
    return f"{rel.title}{who} ({note})"


class ConcernForm(forms.Form):
    scheme = forms.ChoiceField(label="Which scheme is this about?")
    category = forms.ChoiceField(
        label="What kind of concern is it?", choices=Case.Category.choices, widget=forms.RadioSelect
    )
    relationship = forms.ChoiceField(
        label="Which relationship is it about? (optional)", required=False
    )
    person = forms.ChoiceField(label="Which person is it about? (optional)", required=False)
    what_happened = forms.CharField(
        label="What happened?", widget=forms.Textarea(attrs={"rows": 6}), max_length=10000
    )
    wants = forms.ChoiceField(
        label="What would you like to happen?", choices=Case.Wants.choices, widget=forms.RadioSelect
    )
    anonymous = forms.BooleanField(
        label="Raise it anonymously: your name is not recorded, and you follow up with a case key "
        "and passphrase",
        required=False,
    )
    passphrase = forms.CharField(
        label=f"Passphrase (anonymous only; at least {MIN_PASSPHRASE} characters)",
        required=False,
        # (asks a shared computer's browser not to keep it: "off", not "new-password")
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        max_length=200,
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schemes, rels, people = about_choices(user)
        self.fields["scheme"].choices = schemes
        self.fields["relationship"].choices = [("", "No particular relationship"), *rels]
        self.fields["person"].choices = [("", "No particular person"), *people]

    def clean(self):
        data = super().clean()
        slug = data.get("scheme")
        person = data.get("person") or ""
        if person and slug and not person.startswith(slug + ":"):
            self.add_error("person", "Choose a person in the scheme you chose.")
        if data.get("anonymous") and len(data.get("passphrase") or "") < MIN_PASSPHRASE:
            self.add_error(
                "passphrase", f"Choose a passphrase of at least {MIN_PASSPHRASE} characters."
            )
        return data


class FollowUpForm(forms.Form):
    # asks a shared computer's browser to keep neither in its form history for the next person
    key = forms.CharField(
        label="Case key", max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    passphrase = forms.CharField(
        label="Passphrase",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        max_length=200,
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note (leads only)", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )


class StatusForm(forms.Form):
    """Where a lead moves a case next.

    Shown, it offers only the moves ``services.set_status`` accepts and opens on the next status in
    the progression; ``can_move`` is false once there is none (a closed case). Posted, it checks only
    that the status is one: the service judges the move on the locked case, which may have moved on
    since the page was shown, and says why it refuses one.
    """

    status = forms.ChoiceField(label="Move to", choices=Case.Status.choices)

    def __init__(self, case: Case, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = allowed_statuses(case.status)
        self.can_move = bool(allowed)
        if not self.is_bound:
            field = self.fields["status"]
            field.choices = [(value, label) for value, label in field.choices if value in allowed]
            field.initial = allowed[0] if allowed else None


class ActionForm(forms.Form):
    action = forms.ChoiceField(label="Action", choices=list(ACTIONS.items()))
    route = forms.ModelChoiceField(
        label="Formal route (to signpost)", queryset=ContactRoute.objects.none(), required=False
    )

    def __init__(self, scheme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = ContactRoute.objects.filter(scheme=scheme)


class RouteForm(forms.ModelForm):
    class Meta:
        model = ContactRoute
        fields = ["name", "details"]
        widgets = {"details": forms.Textarea(attrs={"rows": 3})}


class LeaveForm(forms.Form):
    reason = forms.CharField(
        label="A reason for the coordinator (optional, confidential: the other person never sees it)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    never_again = forms.BooleanField(
        label="Please never match me with the other person again", required=False
    )
