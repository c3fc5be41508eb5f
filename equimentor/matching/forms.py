from __future__ import annotations

from django import forms

from equimentor.enrolment.models import Participant


class PairForm(forms.Form):
    """A mentee and a mentor of one scheme, chosen by the coordinator."""

    mentee = forms.ModelChoiceField(queryset=Participant.objects.none(), label="Mentee")
    mentor = forms.ModelChoiceField(queryset=Participant.objects.none(), label="Mentor")

    def __init__(self, scheme, *args, mentees=None, mentors=None, **kwargs):
        super().__init__(*args, **kwargs)
        base = Participant.objects.filter(
            scheme=scheme, status=Participant.Status.APPROVED
        ).select_related("user")
        self.fields["mentee"].queryset = (
            mentees if mentees is not None else base.filter(is_mentee=True)
        )
        self.fields["mentor"].queryset = (
            mentors if mentors is not None else base.filter(is_mentor=True)
        )
        self.fields["mentee"].label_from_instance = lambda p: (
            f"{p.user.full_name} ({p.institution})"
        )
        self.fields["mentor"].label_from_instance = lambda p: (
            f"{p.user.full_name} ({p.institution})"
        )


class ReplyForm(forms.Form):
    note = forms.CharField(
        label="A private note to the coordinator (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the scheme coordinator reads this. The other person is never told why.",
    )
