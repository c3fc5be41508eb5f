from __future__ import annotations

from datetime import datetime

from django import forms

from equimentor.core import zones
from equimentor.core.zones import TimeZoneField
from equimentor.relationships.forms import DateInput, TimeInput
from equimentor.relationships.models import Relationship
from equimentor.training.induction import ItemData
from equimentor.training.models import MAX_CAPACITY, InductionItem, Session, TrainingSettings
from equimentor.training.services import MAX_OCCURRENCES, SessionPlan


class RelationshipChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, rel) -> str:
        names = ", ".join(m.participant.user.full_name for m in rel.memberships.all())
        return f"{rel.title}: {names}" if names else rel.title


class SessionForm(forms.Form):
    title = forms.CharField(max_length=160)
    kind = forms.ChoiceField(label="Kind of session", choices=Session.Kind.choices)
    audience = forms.ChoiceField(label="Who it is for", choices=Session.Audience.choices)
    relationships = RelationshipChoices(
        label="Relationships whose members may come",
        queryset=Relationship.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for 'Members of chosen relationships'.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What it covers and how to prepare. Peer-support sessions keep no notes of "
        "what is said.",
    )
    date = forms.DateField(widget=DateInput)
    start_time = forms.TimeField(label="Starts at", widget=TimeInput)
    end_time = forms.TimeField(label="Ends at", widget=TimeInput, help_text="On the same day.")
    time_zone = TimeZoneField(help_text="The times above are in this zone.")
    online_link = forms.URLField(
        label="Online link", required=False, max_length=500, assume_scheme="https"
    )
    place = forms.CharField(label="Place", required=False, max_length=200)
    host_name = forms.CharField(label="Led by", required=False, max_length=200)
    capacity = forms.IntegerField(label="Places", min_value=1, max_value=MAX_CAPACITY)
    deadline_date = forms.DateField(
        label="Registration closes on", required=False, widget=DateInput
    )
    deadline_time = forms.TimeField(
        label="Registration closes at",
        required=False,
        widget=TimeInput,
        help_text="Leave both empty to keep registration open until the start.",
    )
    series_title = forms.CharField(
        label="Series (optional)",
        required=False,
        max_length=120,
        help_text="Sessions with the same series name are shown together, e.g. 'Monthly peer "
        "circle'.",
    )

    def __init__(self, scheme, *args, likely=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].offer_first(likely)
        self.fields["relationships"].queryset = (
            Relationship.objects.filter(scheme=scheme, state__in=Relationship.OPEN_STATES)
            .prefetch_related("memberships__participant__user")
            .order_by("id")
        )

    def clean(self):
        data = super().clean()
        if bool(data.get("deadline_date")) != bool(data.get("deadline_time")):
            self.add_error("deadline_time", "Give both the day and the time, or neither.")
        if data.get("audience") == Session.Audience.RELATIONSHIPS and not data.get("relationships"):
            self.add_error("relationships", "Choose at least one relationship.")
        return data

    def plan(self) -> SessionPlan:
        d = self.cleaned_data
        deadline = None
        if d.get("deadline_date") and d.get("deadline_time"):
            deadline = datetime.combine(d["deadline_date"], d["deadline_time"])
        return SessionPlan(
            title=d["title"],
            kind=d["kind"],
            audience=d["audience"],
            description=d.get("description") or "",
            local_start=datetime.combine(d["date"], d["start_time"]),
            local_end=datetime.combine(d["date"], d["end_time"]),
            time_zone=d["time_zone"],
            capacity=d["capacity"],
            online_link=d.get("online_link") or "",
            place=d.get("place") or "",
            local_deadline=deadline,
            host_name=d.get("host_name") or "",
            series_title=d.get("series_title") or "",
            relationship_ids=[r.pk for r in d.get("relationships") or []],
        )

    @classmethod
    def initial_for(cls, session: Session) -> dict:
        tz = zones.zone(session.time_zone, "")
        start, end = session.starts_at.astimezone(tz), session.ends_at.astimezone(tz)
        initial = {
            "title": session.title,
            "kind": session.kind,
            "audience": session.audience,
            "relationships": list(session.relationships.all()),
            "description": session.description,
            "date": start.date(),
            "start_time": start.time().replace(tzinfo=None),
            "end_time": end.time().replace(tzinfo=None),
            "time_zone": session.time_zone,
            "online_link": session.online_link,
            "place": session.place,
            "host_name": session.host_name,
            "capacity": session.capacity,
            "series_title": session.series.title if session.series else "",
        }
        if session.registration_deadline:
            deadline = session.registration_deadline.astimezone(tz)
            initial["deadline_date"] = deadline.date()
            initial["deadline_time"] = deadline.time().replace(tzinfo=None)
        return initial


class NewSessionForm(SessionForm):
    repeat = forms.ChoiceField(
        label="Repeat",
        required=False,
        choices=[
            ("", "Once"),
            ("weekly", "Every week"),
            ("fortnightly", "Every two weeks"),
            ("monthly", "Every month"),
        ],
        help_text="Repeats at the same local time, as a series.",
    )
    occurrences = forms.IntegerField(
        label="How many sessions",
        min_value=1,
        max_value=MAX_OCCURRENCES,
        initial=1,
        required=False,
    )

    def repetition(self) -> dict:
        """How the session repeats, as ``services.schedule`` takes it: left empty, once."""
        d = self.cleaned_data
        return {"repeat": d.get("repeat") or "", "occurrences": d.get("occurrences") or 1}


# -- induction -------------------------------------------------------------------------------------


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of item", choices=InductionItem.Kind.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="A document: its text in Markdown. A link or webinar: what it is for. A "
        "question: the question, or the statement to acknowledge.",
    )
    url = forms.URLField(
        label="Address (link or webinar)", required=False, max_length=500, assume_scheme="https"
    )
    options = forms.CharField(
        label="Answers (quiz only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line. Leave empty for an acknowledgement (a box to tick).",
    )
    correct_option = forms.IntegerField(
        label="Number of the right answer",
        required=False,
        min_value=1,
        max_value=20,
        help_text="1 for the first answer above.",
    )
    audience = forms.ChoiceField(label="For", choices=InductionItem.Audience.choices)
    required = forms.BooleanField(label="Required", required=False, initial=True)
    position = forms.IntegerField(label="Position in the pack", min_value=0, max_value=999)

    def data_for_service(self):

        d = self.cleaned_data
        correct = d.get("correct_option")
        return ItemData(
            kind=d["kind"],
            title=d["title"],
            body=d.get("body") or "",
            url=d.get("url") or "",
            options=(d.get("options") or "").splitlines(),
            correct_option=correct - 1 if correct else None,
            audience=d["audience"],
            required=bool(d.get("required")),
            position=d.get("position"),
        )

    @staticmethod
    def initial_for(item: InductionItem) -> dict:
        return {
            "kind": item.kind,
            "title": item.title,
            "body": item.body,
            "url": item.url,
            "options": "\n".join(item.options),
            "correct_option": item.correct_option + 1 if item.correct_option is not None else None,
            "audience": item.audience,
            "required": item.required,
            "position": item.position,
        }


class GateForm(forms.ModelForm):
    class Meta:
        model = TrainingSettings
        fields = ["mentors_must_complete", "mentees_must_complete"]


class AnswerForm(forms.Form):
    """A quiz question's answers, or an acknowledgement's box."""

    def __init__(self, item: InductionItem, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if item.options:
            self.fields["answer"] = forms.TypedChoiceField(
                label=item.body,
                choices=list(enumerate(item.options)),
                coerce=int,
                widget=forms.RadioSelect,
            )
        else:
            self.fields["acknowledged"] = forms.BooleanField(
                label=item.body, error_messages={"required": "Tick the box to confirm."}
            )


class FeedbackForm(forms.Form):
    usefulness = forms.TypedChoiceField(
        label="How useful was this session for you?",
        choices=[(5, "5 — very useful"), (4, "4"), (3, "3"), (2, "2"), (1, "1 — not useful")],
        coerce=int,
        widget=forms.RadioSelect,
    )
    would_recommend = forms.TypedChoiceField(
        label="Would you recommend sessions like this to a colleague?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
