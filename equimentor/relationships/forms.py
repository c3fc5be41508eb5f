from __future__ import annotations

from django import forms

from equimentor.core.zones import TimeZoneField
from equimentor.enrolment.models import Participant
from equimentor.relationships.models import (
    AgreementVersion,
    Goal,
    Meeting,
    Membership,
    Milestone,
    Relationship,
    RelationshipSettings,
    SponsorshipAct,
)


class DateInput(forms.DateInput):
    """A browser date picker: its value must be ISO (2026-11-30), whatever the site's locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"


class AgreementForm(forms.ModelForm):
    class Meta:
        model = AgreementVersion
        fields = ["frequency", "mode", "topics", "outputs", "confidentiality", "duration", "ending"]
        labels = {"frequency": "How often we meet", "mode": "How we meet"}
        widgets = {
            f: forms.Textarea(attrs={"rows": 4})
            for f in ["topics", "outputs", "confidentiality", "duration", "ending"]
        }


class MeetingForm(forms.Form):
    date = forms.DateField(widget=DateInput)
    time = forms.TimeField(widget=TimeInput, help_text="In the time zone below.")
    time_zone = TimeZoneField()
    duration_minutes = forms.IntegerField(
        label="Length (minutes)", min_value=10, max_value=480, initial=60
    )
    mode = forms.ChoiceField(label="How you will meet", choices=Meeting.Mode.choices)
    video_link = forms.URLField(
        label="Video link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="For a video call: the link both of you will use.",
    )
    location = forms.CharField(label="Where (in person)", required=False, max_length=200)

    def __init__(self, *args, likely=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].offer_first(likely)

    def clean(self):
        data = super().clean()
        if data.get("mode") == Meeting.Mode.IN_PERSON and not data.get("location"):
            self.add_error("location", "Say where you will meet.")
        return data


class LogForm(forms.Form):
    happened = forms.TypedChoiceField(
        label="Did the meeting take place?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )
    actual_minutes = forms.IntegerField(
        label="How long it lasted (minutes)", required=False, min_value=1, max_value=600
    )
    agenda = forms.CharField(
        label="Agenda", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    agenda_by = forms.ChoiceField(
        label="Who brought the agenda",
        required=False,
        choices=[("", "—")] + list(Meeting.AgendaBy.choices),
    )
    shared_notes = forms.CharField(
        label="Shared notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Everyone in this relationship can read these.",
    )
    actions = forms.CharField(
        label="Actions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who will do what before the next meeting.",
    )

    def clean(self):
        data = super().clean()
        # Only when no length was given: a length out of range already has its own message.
        if (
            data.get("happened")
            and not data.get("actual_minutes")
            and "actual_minutes" not in self.errors
        ):
            self.add_error("actual_minutes", "Say how long the meeting lasted.")
        return data


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Private note",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        help_text="Only you can ever read this: not the other person, not the coordinator.",
    )


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["title", "detail", "target_date"]
        labels = {"title": "Goal (specific)"}
        widgets = {"target_date": DateInput, "detail": forms.Textarea(attrs={"rows": 3})}


class GoalUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Goal.Status.choices)
    progress = forms.IntegerField(label="Progress (%)", min_value=0, max_value=100)
    note = forms.CharField(label="Note", required=False, max_length=2000)


class TrialForm(forms.Form):
    decision = forms.ChoiceField(
        label="After your first meeting, would you like to continue?",
        choices=[("continue", "Continue"), ("step_away", "Step away (no fault)")],
        widget=forms.RadioSelect,
    )
    never_again = forms.BooleanField(
        label="Please do not match me with this person again", required=False
    )


class EndForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[("extend", "Extend"), ("close", "Close")],
        widget=forms.RadioSelect,
        label="Extend or close?",
    )
    new_end_date = forms.DateField(
        label="New end date (to extend)", required=False, widget=DateInput
    )
    reason = forms.ChoiceField(
        label="Why close (to close)",
        required=False,
        choices=[(r.value, r.label) for r in Relationship.MEMBER_REASONS],
    )

    def clean(self):
        data = super().clean()
        if data.get("choice") == "extend" and not data.get("new_end_date"):
            self.add_error("new_end_date", "Choose the new end date.")
        return data


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you closing it?",
        choices=[(r.value, r.label) for r in Relationship.MEMBER_REASONS],
    )
    never_again = forms.BooleanField(
        label="Please do not match me with the other person again", required=False
    )


class CoordinatorCloseForm(forms.Form):
    reason = forms.ChoiceField(label="Why is it closing?", choices=Relationship.CloseReason.choices)


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label="Why pause?", choices=Relationship.PauseReason.choices)


class SponsorshipForm(forms.ModelForm):
    class Meta:
        model = SponsorshipAct
        fields = ["mentee", "kind", "description", "on_date"]
        labels = {"on_date": "When", "kind": "What you did"}
        widgets = {"on_date": DateInput}

    def __init__(self, rel, member, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [m.participant_id for m in rel.active_members() if m.pk != member.pk]
        self.fields["mentee"].queryset = Participant.objects.filter(pk__in=ids).select_related(
            "user"
        )
        self.fields["mentee"].label_from_instance = lambda p: p.user.full_name


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["kind", "title", "achieved_on"]
        labels = {"kind": "Kind of milestone", "achieved_on": "When"}
        widgets = {"achieved_on": DateInput}


class CheckInForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How is your mentoring going?",
        choices=[(5, "5 — very well"), (4, "4"), (3, "3"), (2, "2"), (1, "1 — not well at all")],
        coerce=int,
        widget=forms.RadioSelect,
    )
    wants_contact = forms.BooleanField(
        label="I would like the coordinator to contact me", required=False
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = RelationshipSettings
        fields = [
            "no_meeting_weeks",
            "lapse_flag_weeks",
            "proposal_lapse_days",
            "end_prompt_days",
            "first_checkin_days",
            "checkin_every_days",
        ]


class NewRelationshipForm(forms.Form):
    kind = forms.ChoiceField(
        label="Model",
        choices=[
            (Relationship.Kind.GROUP, "Group mentoring: one mentor, several mentees"),
            (Relationship.Kind.NETWORK, "Mentoring network: one mentee, several mentors in roles"),
            (Relationship.Kind.PEER, "Peer circle: people who are both mentor and mentee"),
        ],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label="Name (optional)", required=False, max_length=120)
    mentor = forms.ModelChoiceField(
        label="Mentor (group)", required=False, queryset=Participant.objects.none()
    )
    mentees = forms.ModelMultipleChoiceField(
        label="Mentees (group)",
        required=False,
        queryset=Participant.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    mentee = forms.ModelChoiceField(
        label="Mentee (network)", required=False, queryset=Participant.objects.none()
    )
    peers = forms.ModelMultipleChoiceField(
        label="Peers (circle)",
        required=False,
        queryset=Participant.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, scheme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        base = (
            Participant.objects.filter(scheme=scheme, status=Participant.Status.APPROVED)
            .select_related("user", "institution")
            .order_by("user__full_name")
        )
        self.mentor_qs = base.filter(is_mentor=True)
        self.fields["mentor"].queryset = self.mentor_qs
        self.fields["mentees"].queryset = base.filter(is_mentee=True)
        self.fields["mentee"].queryset = base.filter(is_mentee=True)
        self.fields["peers"].queryset = base.filter(is_mentor=True, is_mentee=True)
        for name in ("mentor", "mentees", "mentee", "peers"):
            self.fields[name].label_from_instance = lambda p: (
                f"{p.user.full_name} ({p.institution})"
            )
        self.role_fields = []
        for role, label in Membership.Role.choices:
            field = forms.ModelChoiceField(
                label=f"{label} (network)", required=False, queryset=self.mentor_qs
            )
            field.label_from_instance = lambda p: f"{p.user.full_name} ({p.institution})"
            self.fields[f"role_{role}"] = field
            self.role_fields.append(f"role_{role}")
