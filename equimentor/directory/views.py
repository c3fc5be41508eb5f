"""The mentor directory, a mentor's page, a mentee's ranked choices and a mentor's listing.

Views validate input and call ``directory.services``; who may see what is decided by
``directory.access``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import IntegerField, Value
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import signed_in
from equimentor.directory import ordering, services
from equimentor.directory.access import (
    Viewer,
    directory_ids,
    get_listed_mentor,
    get_own_mentee,
    get_own_mentor,
    get_viewer,
    per_mentor,
    shown_identity,
)
from equimentor.directory.forms import (
    ChoiceForm,
    ConflictForm,
    ListingForm,
    MentorFilterForm,
    MoveForm,
    NoteForm,
    PreferenceForm,
    RankingForm,
)
from equimentor.directory.models import Choice, Conflict, MenteePreference, MentorListing
from equimentor.enrolment.consents import has_consent
from equimentor.enrolment.models import Consent, Participant
from equimentor.pairing import exclusions
from equimentor.pairing.gate import MENTOR, ready
from equimentor.schemes.models import SchemeDocument

PAGE_SIZE = 20


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(kw_only=True)
class Marks:
    """What a card shows for this viewer, read on every request: the mentor's identity answers
    as she shows them now, and the viewer's choices and conflicts."""

    identity: list = field(default_factory=list)
    is_self: bool = False
    chosen_rank: int | None = None
    conflicted: bool = False
    same_institution: bool = False

    @property
    def chosen_label(self) -> str:
        return f"Your {ordinal(self.chosen_rank)} choice" if self.chosen_rank else ""


@dataclass(kw_only=True)
class Card(Marks):
    """A mentor as the viewer sees her on her own page."""

    mentor: Participant

    @property
    def listing(self) -> MentorListing:
        return self.mentor.listing


@dataclass(kw_only=True)
class ListedCard(Marks):
    """A mentor's card in the directory's list: ``head``, its HTML that is the same for every
    viewer (kept at the directory's version, ``access.per_mentor``), and the viewer's marks."""

    pk: int
    head: str
    free: int
    institution_id: int | None


def _viewer_marks(viewer: Viewer) -> tuple[dict[int, int], set[int]]:
    """The viewer's choices (mentor id -> rank) and conflicts (mentor ids), if she is a mentee."""
    mentee = viewer.mentee
    if mentee is None:
        return {}, set()
    # one query for both (a conflict's row has rank -1, which no choice has: ranks are >= 0)
    choices = Choice.objects.filter(mentee=mentee).order_by().values_list("mentor_id", "rank")
    conflicts = (
        Conflict.objects.filter(mentee=mentee).order_by().values_list("mentor_id", _CONFLICT)
    )
    chosen: dict[int, int] = {}
    conflicted: set[int] = set()
    for mentor_id, rank in choices.union(conflicts, all=True):
        if rank == -1:
            conflicted.add(mentor_id)
        else:
            chosen[mentor_id] = rank
    return chosen, conflicted


_CONFLICT = Value(-1, output_field=IntegerField())


def _marks(viewer: Viewer, chosen, conflicted, pk: int, institution_id) -> dict:
    mentee, own = viewer.mentee, viewer.participant
    return {
        "is_self": own is not None and own.pk == pk,
        "chosen_rank": chosen.get(pk),
        "conflicted": pk in conflicted,
        "same_institution": bool(
            mentee is not None
            and viewer.scheme.different_institutions
            and institution_id == mentee.institution_id
            and pk != mentee.pk
        ),
    }


def _cards(viewer: Viewer, mentors) -> list[Card]:
    chosen, conflicted = _viewer_marks(viewer)
    asked = set(services.identity_codes(viewer.scheme))
    return [
        Card(
            mentor=m,
            identity=[a for a in m.shown_identity if a.dimension in asked],
            **_marks(viewer, chosen, conflicted, m.pk, m.institution_id),
        )
        for m in mentors
    ]


def _heads(scheme, mentors) -> dict[int, tuple[int, str, int, int | None]]:
    """Each mentor's card HTML for every viewer, with her id, free places and institution."""
    return {
        m.pk: (
            m.pk,
            render_to_string("directory/_card_head.html", {"scheme": scheme, "mentor": m}),
            m.free,
            m.institution_id,
        )
        for m in mentors
    }


def _listed_cards(
    viewer: Viewer, directory: ordering.Directory, ids, chosen, conflicted
) -> list[ListedCard]:
    scheme = viewer.scheme
    heads = per_mentor(directory, "card", ids, lambda mentors: _heads(scheme, mentors))
    identity = shown_identity([h[0] for h in heads], services.identity_codes(scheme))
    return [
        ListedCard(
            pk=pk,
            head=head,
            free=free,
            institution_id=institution_id,
            identity=identity.get(pk, []),
            **_marks(viewer, chosen, conflicted, pk, institution_id),
        )
        for pk, head, free, institution_id in heads
    ]


# What a card in the list shows below its head for this viewer, at most one of these (as the
# template's loop wrote them: tests/test_directory_cards_html.py). The list is put together
# here rather than in a template loop: with each head kept (``_heads``) what is left is a few
# strings a card, and a template's loop over 20 cards cost more than the rest of the page's
# rendering.
_SELF = "<p><strong>This is you.</strong></p>\n    "
_CONFLICTED = "<p>You said you must not be matched with this mentor.</p>\n    "
_SAME_INSTITUTION = (
    "<p>At your institution: this scheme pairs people from different institutions.</p>"
)


def _card_html(card: ListedCard) -> str:
    """One ``<li>`` of the directory's list: the kept head, the mentor's identity answers as
    she shows them now, her free places and the viewer's mark (escaped where not ours)."""
    identity = format_html_join(
        "",
        "<p><strong>{}:</strong> {}</p>",
        ((answer.get_dimension_display(), answer.display) for answer in card.identity),
    )
    free = card.free
    places = f"{free} place{pluralize(free)} free" if free else "Full"
    if card.is_self:
        mark = _SELF
    elif card.chosen_rank:
        mark = format_html("<p><strong>{}</strong></p>\n    ", card.chosen_label)
    elif card.conflicted:
        mark = _CONFLICTED
    elif card.same_institution:
        mark = _SAME_INSTITUTION
    else:
        mark = ""
    return (
        f'\n  <li class="card">\n    {card.head}\n    {identity}\n'
        f"    <p><strong>{places}</strong></p>\n    {mark}\n  </li>\n  "
    )


def cards_html(cards: list[ListedCard]) -> SafeString:
    """The directory list's cards, as directory/mentors.html puts them between ``<ul>`` and
    ``</ul>``."""
    return mark_safe("".join(_card_html(card) for card in cards))  # noqa: S308 (escaped above)


@signed_in
def mentors(request, slug: str):
    """The directory: published mentors of one scheme, filtered and 20 a page."""
    viewer = get_viewer(request.user, slug)
    directory = viewer.directory()  # its version, read with the scheme
    form = MentorFilterForm(directory, request.GET)
    page = Paginator(directory_ids(directory, form), PAGE_SIZE).get_page(request.GET.get("page"))
    mentee = viewer.mentee
    chosen, conflicted = _viewer_marks(viewer)
    cards = _listed_cards(viewer, directory, page.object_list, chosen, conflicted)
    return render(
        request,
        "directory/mentors.html",
        {
            "scheme": viewer.scheme,
            "viewer": viewer,
            "form": form,
            "page": page,
            "cards": cards_html(cards),
            "querystring": form.querystring,
            "filter": _filter_html(directory, form),
            "closed_reason": exclusions.choices_closed_reason(viewer.scheme) if mentee else "",
            "n_choices": len(chosen),  # (one mentor, one choice)
        },
    )


# at most this many filters' forms are kept per directory version (beyond, rendered each time)
MAX_FILTERS = 200


def _filter_html(directory: ordering.Directory, form) -> str:
    """The filter form's HTML: kept in this process per directory version (its institutions,
    the scheme's career stages) and filters chosen, as its selects cost more to render than the
    20 cards; a form with errors is rendered every time."""
    if not form.is_valid():
        return _render_filter(form)
    kept = directory.pieces("filter")
    html = kept.get(form.querystring)
    if html is None:
        html = _render_filter(form)
        if len(kept) < MAX_FILTERS:
            kept[form.querystring] = html
    return html


def _render_filter(form) -> str:
    return render_to_string("directory/_filter.html", {"form": form, "scheme": form.scheme})


def _render_mentor(request, viewer, mentor, *, choice_form=None, conflict_form=None, status=200):
    card = _cards(viewer, [mentor])[0]
    mentee = viewer.mentee
    context = {
        "scheme": viewer.scheme,
        "viewer": viewer,
        "card": card,
        "mentor": mentor,
        "listing": mentor.listing,
    }
    if mentee is not None and not card.is_self:
        context.update(
            choice_form=choice_form or ChoiceForm(),
            conflict_form=conflict_form or ConflictForm(),
            closed_reason=exclusions.choices_closed_reason(viewer.scheme),
            n_choices=Choice.objects.filter(mentee=mentee).count(),
        )
    return render(request, "directory/mentor.html", context, status=status)


@signed_in
def mentor(request, slug: str, pk: int):
    """One mentor's listing; a mentee can choose her here or say they must not be matched."""
    viewer, mentor = get_listed_mentor(request.user, slug, pk)
    return _render_mentor(request, viewer, mentor)


@signed_in
@require_POST
def choose(request, slug: str, pk: int):
    mentee = get_own_mentee(request.user, slug)
    viewer, mentor = get_listed_mentor(request.user, slug, pk)
    form = ChoiceForm(request.POST)
    if form.is_valid():
        try:
            choice = services.add_choice(
                mentee, mentor, note=form.cleaned_data["note"], actor=request.user
            )
        except services.DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"{mentor.user.full_name} is now your {ordinal(choice.rank)} choice.",
            )
            return redirect("directory:choices", slug)
    return _render_mentor(request, viewer, mentor, choice_form=form, status=400)


@signed_in
@require_POST
def conflict(request, slug: str, pk: int):
    mentee = get_own_mentee(request.user, slug)
    viewer, mentor = get_listed_mentor(request.user, slug, pk)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            services.add_conflict(mentee, mentor, form.cleaned_data["reason"], actor=request.user)
        except services.DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"You will not be matched with {mentor.user.full_name}.")
            return redirect("directory:choices", slug)
    return _render_mentor(request, viewer, mentor, conflict_form=form, status=400)


# -- a mentee's choices --------------------------------------------------------------------------


@signed_in
def choices(request, slug: str):
    """The mentee's ranked choices, the characteristics that matter to her, her conflicts."""
    mentee = get_own_mentee(request.user, slug)
    scheme = mentee.scheme
    listed = set(
        Participant.objects.filter(
            chosen_by__mentee=mentee,
            scheme=scheme,
            is_mentor=True,
            status=Participant.Status.APPROVED,
            listing__is_published=True,
        )
        .filter(ready(MENTOR))
        .values_list("pk", flat=True)
    )
    rows = list(
        Choice.objects.filter(mentee=mentee)
        .select_related("mentor__user", "mentor__institution", "mentor__listing")
        .order_by("rank")
    )
    for choice in rows:
        choice.ordinal = ordinal(choice.rank)
        choice.available = choice.mentor_id in listed
        choice.note_form = NoteForm(instance=choice, prefix=f"c{choice.mentor_id}")
    consented = has_consent(mentee, Consent.Purpose.IDENTITY_MATCHING)
    preference = MenteePreference.objects.filter(mentee=mentee).first()
    wanted = preference.wants_shared if preference else []
    preference_form = PreferenceForm(
        scheme, with_identity=consented, initial={"wants_shared": wanted}
    )
    hidden = [c for c in wanted if c not in dict(preference_form.fields["wants_shared"].choices)]
    documents = scheme.current_documents()
    return render(
        request,
        "directory/choices.html",
        {
            "scheme": scheme,
            "mentee": mentee,
            "choices": rows,
            "room": max(scheme.max_choices - len(rows), 0),
            "closed_reason": exclusions.choices_closed_reason(scheme),
            "proposal_waiting": exclusions.proposal_waiting(mentee),
            "identity_consented": consented,
            "identity_codes": services.identity_codes(scheme),
            "preference_form": preference_form,
            "unanswered": services.unanswered_characteristics(mentee) if consented else set(),
            "ignored_identity": bool(hidden),
            "conflicts": Conflict.objects.filter(mentee=mentee)
            .select_related("mentor__user")
            .order_by("mentor__user__full_name"),
            "matching_document": documents.get(SchemeDocument.Kind.MATCHING),
        },
    )


def _back_to_choices(request, slug: str, call, success):
    """Run a change to the mentee's choices and go back to them, telling why it was refused, or
    ``success``: the message, or a function making it from what ``call`` returned."""
    try:
        result = call()
    except services.DirectoryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect("directory:choices", slug)


@signed_in
@require_POST
def move_choice(request, slug: str, pk: int):
    mentee = get_own_mentee(request.user, slug)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether to move the choice up or down.")
        return redirect("directory:choices", slug)
    return _back_to_choices(
        request,
        slug,
        lambda: services.move_choice(
            mentee, pk, form.cleaned_data["direction"], actor=request.user
        ),
        lambda rank: f"Moved to your {ordinal(rank)} choice.",
    )


@signed_in
@require_POST
def remove_choice(request, slug: str, pk: int):
    mentee = get_own_mentee(request.user, slug)
    return _back_to_choices(
        request,
        slug,
        lambda: services.remove_choice(mentee, pk, actor=request.user),
        "Choice removed. The choices below it moved up.",
    )


@signed_in
@require_POST
def choice_note(request, slug: str, pk: int):
    mentee = get_own_mentee(request.user, slug)
    form = NoteForm(request.POST, prefix=f"c{pk}")
    if not form.is_valid():
        messages.error(request, "Keep your note to the mentor under 500 characters.")
        return redirect("directory:choices", slug)
    return _back_to_choices(
        request,
        slug,
        lambda: services.set_choice_note(mentee, pk, form.cleaned_data["note"], actor=request.user),
        "Your note is saved.",
    )


@signed_in
@require_POST
def preferences(request, slug: str):
    mentee = get_own_mentee(request.user, slug)
    # Validate against every code; the service refuses identity codes without consent.
    form = PreferenceForm(mentee.scheme, request.POST, with_identity=True)
    if not form.is_valid():
        messages.error(request, "Choose only characteristics offered on this page.")
        return redirect("directory:choices", slug)
    return _back_to_choices(
        request,
        slug,
        lambda: services.set_preferences(
            mentee, form.cleaned_data["wants_shared"], actor=request.user
        ),
        "Your preferences are saved.",
    )


@signed_in
@require_POST
def remove_conflict(request, slug: str, pk: int):
    mentee = get_own_mentee(request.user, slug)
    return _back_to_choices(
        request,
        slug,
        lambda: services.remove_conflict(mentee, pk, actor=request.user),
        "Conflict removed.",
    )


# -- a mentor's listing --------------------------------------------------------------------------


def _render_listing(request, mentor, *, form=None, ranking_form=None, status=200):
    listing = MentorListing.objects.filter(participant=mentor).first()
    if form is None:
        form = ListingForm(
            instance=listing or MentorListing(participant=mentor, is_published=False)
        )
    chose = list(services.choosers(mentor))
    if ranking_form is None:
        ranks = dict(mentor.ranks_given.values_list("mentee_id", "rank"))
        ranking_form = RankingForm(
            chose, initial={f"rank_{c.mentee_id}": ranks.get(c.mentee_id) for c in chose}
        )
    return render(
        request,
        "directory/listing.html",
        {
            "scheme": mentor.scheme,
            "mentor": mentor,
            "listing": listing,
            "form": form,
            "ranking_form": ranking_form,
            "choosers": chose,
            "closed_reason": exclusions.choices_closed_reason(mentor.scheme),
        },
        status=status,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def listing(request, slug: str):
    """A mentor's listing: publish or not, which fields show, and who chose her."""
    mentor = get_own_mentor(request.user, slug)
    if request.method == "POST":
        form = ListingForm(request.POST)
        if form.is_valid():
            try:
                services.update_listing(mentor, actor=request.user, **form.cleaned_data)
            except services.DirectoryError as exc:
                form.add_error(None, str(exc))
            else:
                published = form.cleaned_data["is_published"]
                messages.success(
                    request,
                    "Your listing is saved and published in the directory."
                    if published
                    else "Your listing is saved. It is not shown in the directory.",
                )
                return redirect("directory:listing", slug)
        return _render_listing(request, mentor, form=form, status=400)
    return _render_listing(request, mentor)


@signed_in
@require_POST
def ranking(request, slug: str):
    mentor = get_own_mentor(request.user, slug)
    form = RankingForm(list(services.choosers(mentor)), request.POST)
    if form.is_valid():
        try:
            services.set_mentor_ranking(mentor, form.ordered_mentee_ids, actor=request.user)
        except services.DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your ranking is saved.")
            return redirect("directory:listing", slug)
    return _render_listing(request, mentor, ranking_form=form, status=400)
