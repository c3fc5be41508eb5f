"""Forms of the directory: the filter, a choice, a conflict, preferences, a listing, a ranking."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet

from equimentor.directory import ordering, services
from equimentor.directory.models import Choice, Conflict, MentorListing
from equimentor.enrolment.models import Participant
from equimentor.pairing.gate import MENTOR, ready
from equimentor.schemes.models import Institution, Scheme

MAX_WORDS = 8


class MentorFilterForm(forms.Form):
    """The directory's GET filter. Filtering never looks at a field the mentor hides."""

    institution = forms.ModelChoiceField(
        label="Institution",
        queryset=Institution.objects.none(),
        required=False,
        empty_label="Any institution",
    )
    career_stage = forms.TypedChoiceField(
        label="Career stage", coerce=int, required=False, empty_value=None
    )
    pathway = forms.ChoiceField(
        label="Career pathway",
        required=False,
        choices=[("", "Either pathway"), *Participant.Pathway.choices],
    )
    specialty = forms.CharField(
        label="Specialty or department contains",
        max_length=100,
        required=False,
        help_text="For example: cardio, public health.",
    )
    interests = forms.CharField(
        label="Research interests",
        max_length=200,
        required=False,
        help_text="Every word must appear, for example: maternal health.",
    )
    has_capacity = forms.BooleanField(label="Only mentors with a free place", required=False)

    def __init__(self, directory: ordering.Directory, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme = directory.scheme
        # the institutions of listed mentors who show theirs: kept until the directory changes
        # (reading them is a pass over every mentor; even building that query costs a page
        # more than its cards, so it is built only when read)
        institution_ids = directory.derived("institutions", lambda: _institutions(scheme))
        self.fields["institution"].queryset = Institution.objects.filter(pk__in=institution_ids)
        self.fields["career_stage"].choices = [
            ("", "Any career stage"),
            *enumerate(scheme.career_stages),
        ]

    def filter(self, mentors: QuerySet, *, capacity: bool = True) -> QuerySet:
        """``mentors`` narrowed by the valid filters (invalid ones are ignored); with
        ``capacity=False`` the free-places filter is left to the caller (``mentors`` then need
        no ``free`` annotation)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("institution"):
            mentors = mentors.filter(
                institution=data["institution"], listing__show_institution=True
            )
        if data.get("career_stage") is not None:
            mentors = mentors.filter(career_stage=data["career_stage"])
        if data.get("pathway"):
            mentors = mentors.filter(pathway=data["pathway"])
        if data.get("specialty", "").strip():
            mentors = mentors.filter(
                department__icontains=data["specialty"].strip(), listing__show_department=True
            )
        words = data.get("interests", "").split()[:MAX_WORDS]
        if words:
            condition = Q()
            for word in words:
                condition &= Q(research_interests__icontains=word.strip(",;."))
            mentors = mentors.filter(condition)
        if capacity and data.get("has_capacity"):
            mentors = mentors.filter(free__gt=0)
        return mentors

    @property
    def wants_capacity(self) -> bool:
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("has_capacity"))

    @property
    def querystring(self) -> str:
        """The active filters, to keep in page links (without the page number)."""
        if not self.is_bound or not self.is_valid():
            return ""
        pairs = []
        for name, value in self.cleaned_data.items():
            if value in (None, "", False):
                continue
            if isinstance(value, Institution):
                value = value.pk
            pairs.append((name, "on" if value is True else value))
        return urlencode(pairs)

    @property
    def is_filtered(self) -> bool:
        return bool(self.querystring)


def _institutions(scheme: Scheme) -> list[int]:
    listed = Participant.objects.filter(
        scheme=scheme,
        is_mentor=True,
        status=Participant.Status.APPROVED,
        listing__is_published=True,
        listing__show_institution=True,
    ).filter(ready(MENTOR))
    return sorted(set(listed.values_list("institution_id", flat=True)))


class ChoiceForm(forms.Form):
    note = forms.CharField(
        label="Note to the mentor (optional)",
        max_length=services.NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why you chose them, in a sentence or two. The mentor sees it if you are "
        "matched, and when ranking the mentees who chose them.",
    )


class ConflictForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why must you not be matched with this person?",
        choices=Conflict.Reason.choices,
        widget=forms.RadioSelect,
        help_text="Only the coordinator and the matching see this. The mentor is never told.",
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Move up"), ("down", "Move down")])


class NoteForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = ["note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class PreferenceForm(forms.Form):
    wants_shared = forms.MultipleChoiceField(
        label="A mentor who shares these with me matters to me",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, scheme: Scheme, *args, with_identity: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wants_shared"].choices = services.characteristic_choices(
            scheme, with_identity=with_identity
        )


class ListingForm(forms.ModelForm):
    class Meta:
        model = MentorListing
        fields = list(services.LISTING_FIELDS)


class RankingForm(forms.Form):
    """One rank per mentee who chose the mentor; "no preference" leaves one unranked."""

    def __init__(self, choices: list[Choice], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = choices
        options = [("", "No preference"), *((n, str(n)) for n in range(1, len(choices) + 1))]
        for choice in choices:
            self.fields[f"rank_{choice.mentee_id}"] = forms.TypedChoiceField(
                label=f"Your rank for {choice.mentee.user.full_name}",
                choices=options,
                coerce=int,
                required=False,
                empty_value=None,
            )

    def rows(self):
        for choice in self.choices:
            yield choice, self[f"rank_{choice.mentee_id}"]

    def clean(self):
        data = super().clean()
        ranks = [v for k, v in data.items() if k.startswith("rank_") and v is not None]
        if len(ranks) != len(set(ranks)):
            raise forms.ValidationError("Give each mentee a different rank, or no preference.")
        return data

    @property
    def ordered_mentee_ids(self) -> list[int]:
        ranked = [
            (rank, int(name.removeprefix("rank_")))
            for name, rank in self.cleaned_data.items()
            if name.startswith("rank_") and rank is not None
        ]
        return [mentee_id for _, mentee_id in sorted(ranked)]
