"""Registration with consent, and a participant's own pages for one scheme."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from equimentor.core.access import public, signed_in
from equimentor.enrolment import hooks, services
from equimentor.enrolment.access import get_own_participation
from equimentor.enrolment.consents import current_consents
from equimentor.enrolment.forms import (
    ConsentForm,
    FullNameForm,
    IdentityForm,
    ProfileForm,
    WithdrawForm,
)
from equimentor.identity.services import (
    IdentityError,
    identity_uses,
    save_identity,
    withdraw_identity_consent,
)


@public
@require_http_methods(["GET", "POST"])
def register(request, token: str):
    """Registration from the welcome email's single-use link."""
    try:
        invite = services.check_invite(token)
    except services.LinkProblem as exc:
        return _link_problem(request, exc)
    expression = invite.expression
    scheme = expression.scheme
    data = request.POST if request.method == "POST" else None
    name_form = FullNameForm(data, initial={"full_name": expression.name})
    profile_form = ProfileForm(
        scheme,
        data,
        initial={
            "institution": expression.institution_id,
            "institution_other": "" if expression.institution_id else expression.institution_other,
        },
    )
    identity_form = IdentityForm(scheme, data)
    consent_form = ConsentForm(scheme, data)
    if scheme.missing_documents():
        return render(
            request,
            "enrolment/link_problem.html",
            {
                "problem": "This scheme's documents are not ready yet, so registration cannot open. "
                "Please try again later."
            },
            status=503,
        )
    forms_ = [name_form, profile_form, identity_form, consent_form]
    if request.method == "POST" and all(f.is_valid() for f in forms_):
        try:
            participant = services.register(token, _registration(*forms_))
        except services.EnrolmentError as exc:
            consent_form = ConsentForm(scheme)  # show the current versions, consents unticked
            messages.error(request, str(exc))
        else:
            return _registered(
                request,
                participant,
                "Thank you for registering. We will let you know when your "
                "registration has been reviewed.",
            )
    has_errors = request.method == "POST"
    return render(
        request,
        "enrolment/register.html",
        {
            "scheme": scheme,
            "expression": expression,
            "name_form": name_form,
            "profile_form": profile_form,
            "identity_form": identity_form,
            "consent_form": consent_form,
            "documents": scheme.current_documents(),
        },
        status=400 if has_errors else 200,
    )


@public
@require_http_methods(["GET", "POST"])
def accept_import(request, token: str):
    """Someone the coordinator imported reviews the profile and gives the consents, from the
    emailed single-use link (the same form as registration, filled in from the import)."""
    try:
        invite = services.check_import_invite(token)
    except services.LinkProblem as exc:
        return _link_problem(request, exc)
    participant = invite.participant
    scheme = participant.scheme
    data = request.POST if request.method == "POST" else None
    name_form = FullNameForm(data, initial={"full_name": participant.user.full_name})
    profile_form = ProfileForm(scheme, data, initial=ProfileForm.initial_from(participant))
    identity_form = IdentityForm(scheme, data)
    consent_form = ConsentForm(scheme, data)
    forms_ = [name_form, profile_form, identity_form, consent_form]
    if request.method == "POST" and all(f.is_valid() for f in forms_):
        try:
            participant = services.accept_import(token, _registration(*forms_))
        except services.EnrolmentError as exc:
            consent_form = ConsentForm(scheme)  # show the current versions, consents unticked
            messages.error(request, str(exc))
        else:
            return _registered(
                request, participant, f"Thank you. You are taking part in {scheme.name}."
            )
    return render(
        request,
        "enrolment/accept_import.html",
        {
            "scheme": scheme,
            "participant": participant,
            "name_form": name_form,
            "profile_form": profile_form,
            "identity_form": identity_form,
            "consent_form": consent_form,
            "documents": scheme.current_documents(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _registration(
    name_form: FullNameForm,
    profile_form: ProfileForm,
    identity_form: IdentityForm,
    consent_form: ConsentForm,
) -> services.Registration:
    """What the registration page's forms hold, all valid: registering from a welcome link and
    accepting an import send the same."""
    return services.Registration(
        full_name=name_form.cleaned_data["full_name"],
        role=profile_form.cleaned_data["role"],
        profile=profile_form.profile,
        consents=consent_form.consents,
        documents_shown=consent_form.documents_shown,
        identity_answers=identity_form.answers,
        identity_uses=identity_form.uses,
    )


def _registered(request, participant, thanks: str):
    """Someone has just registered or accepted an import: signed in, thanked, and sent to their
    page for the scheme."""
    login(request, participant.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, thanks)
    return redirect("enrolment:participation", participant.scheme.slug)


def _link_problem(request, exc: services.LinkProblem, *, rejoin: bool = False, status: int = 400):
    return render(
        request,
        "enrolment/link_problem.html",
        {"problem": str(exc), "scheme": exc.scheme, "rejoin": rejoin},
        status=status,
    )


@public  # the link is checked first; then only its participant, signed in, may go further
@require_http_methods(["GET", "POST"])
def rejoin(request, token: str):
    """Rejoin a scheme after withdrawing, from the link emailed when they asked about it again."""
    try:
        invite = services.check_rejoin_invite(token)
    except services.LinkProblem as exc:
        return _link_problem(request, exc, rejoin=True)
    participant = invite.participant
    scheme = invite.expression.scheme
    if not request.user.is_authenticated:
        messages.info(
            request,
            f"Please sign in to rejoin {scheme.name}. If you sign in with an emailed link, "
            "open the link to rejoin from your email again afterwards.",
        )
        return redirect_to_login(request.get_full_path())
    if participant.user_id != request.user.pk:
        exc = services.LinkProblem(services.NotYourLink.MESSAGE, scheme)
        return _link_problem(request, exc, rejoin=True, status=403)
    if participant.status != participant.Status.WITHDRAWN:
        messages.info(request, "You are taking part in this scheme already.")
        return redirect("enrolment:participation", scheme.slug)
    if scheme.missing_documents():
        not_ready = services.LinkProblem(
            "This scheme's documents are not ready yet, so you cannot rejoin at the moment. "
            "Please try again later."
        )
        return _link_problem(request, not_ready, rejoin=True, status=503)
    data = request.POST if request.method == "POST" else None
    profile_form = ProfileForm(scheme, data, initial=ProfileForm.initial_from(participant))
    consent_form = ConsentForm(scheme, data)  # never ticked in advance: consent is given again
    if request.method == "POST" and profile_form.is_valid() and consent_form.is_valid():
        try:
            services.rejoin(
                token,
                services.Rejoining(
                    role=profile_form.cleaned_data["role"],
                    profile=profile_form.profile,
                    consents=consent_form.consents,
                    documents_shown=consent_form.documents_shown,
                ),
                actor=request.user,
            )
        except services.LinkProblem as exc:
            return _link_problem(request, exc, rejoin=True)
        except services.EnrolmentError as exc:
            consent_form = ConsentForm(scheme)  # show the current versions, consents unticked
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Welcome back to {scheme.name}. The coordinator will review your registration "
                "and email you.",
            )
            return redirect("enrolment:participation", scheme.slug)
    return render(
        request,
        "enrolment/rejoin.html",
        {
            "scheme": scheme,
            "participant": participant,
            "profile_form": profile_form,
            "consent_form": consent_form,
            "documents": scheme.current_documents(),
            "has_identity_answers": participant.identity_answers.exists(),
        },
        status=400 if request.method == "POST" else 200,
    )


@signed_in
def participation(request, slug: str):
    """A participant's page for one scheme: status, profile, consents, what to do next."""
    participant = get_own_participation(request.user, slug)
    consents = current_consents(participant)
    documents = participant.scheme.current_documents()
    return render(
        request,
        "enrolment/participation.html",
        {
            "participant": participant,
            "scheme": participant.scheme,
            "consents": consents,
            "identity_answers": participant.identity_answers.all(),
            "outdated": [
                c for c in consents.values() if documents.get(c.document.kind) != c.document
            ],
            "pending_replies": hooks.ask("proposals_awaiting_reply", participant),
        },
    )


@signed_in
@require_http_methods(["GET", "POST"])
def edit_profile(request, slug: str):
    participant = get_own_participation(request.user, slug)
    if not participant.is_active:
        messages.error(request, "You are no longer taking part in this scheme.")
        return redirect("enrolment:participation", slug)
    form = ProfileForm(participant.scheme, initial=ProfileForm.initial_from(participant))
    if request.method == "POST":
        form = ProfileForm(participant.scheme, request.POST)
        if form.is_valid():
            try:
                saved = services.update_profile(
                    participant,
                    role=form.cleaned_data["role"],
                    profile=form.profile,
                    actor=request.user,
                )
            except services.EnrolmentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, " ".join(filter(None, ["Your profile is saved.", saved.notice]))
                )
                return redirect("enrolment:participation", slug)
    return render(
        request,
        "enrolment/profile_form.html",
        {"participant": participant, "scheme": participant.scheme, "form": form},
        status=400 if form.errors else 200,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def edit_identity(request, slug: str):
    """Identity answers and their consents; withdrawing both uses erases the answers at once."""
    participant = get_own_participation(request.user, slug)
    uses = identity_uses(participant)
    form = IdentityForm(
        participant.scheme,
        initial=IdentityForm.initial_from(participant, uses),
        show_profile_option=participant.is_mentor,
    )
    if request.method == "POST":
        if "withdraw" in request.POST:
            withdraw_identity_consent(participant, actor=request.user)
            messages.success(
                request, "Your identity answers have been erased and your consent withdrawn."
            )
            return redirect("enrolment:participation", slug)
        form = IdentityForm(
            participant.scheme, request.POST, show_profile_option=participant.is_mentor
        )
        if form.is_valid():
            try:
                save_identity(participant, form.answers, form.uses, actor=request.user)
            except IdentityError as exc:
                form.add_error(None, str(exc))
            else:
                kept = any(form.uses.values())
                messages.success(
                    request,
                    "Your identity answers are saved."
                    if kept
                    else "Nothing is kept: without a use you consented to, identity answers are "
                    "erased.",
                )
                return redirect("enrolment:participation", slug)
    return render(
        request,
        "enrolment/identity_form.html",
        {
            "participant": participant,
            "scheme": participant.scheme,
            "form": form,
            "has_answers": participant.identity_answers.exists(),
        },
        status=400 if form.errors else 200,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def withdraw(request, slug: str):
    participant = get_own_participation(request.user, slug)
    form = WithdrawForm()
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.withdraw(
                    participant,
                    actor=request.user,
                    erase_identity=form.cleaned_data["erase_identity"],
                )
            except services.EnrolmentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"You have withdrawn from {participant.scheme.name}.")
                return redirect("portal:home")
    return render(
        request,
        "enrolment/withdraw.html",
        {
            "participant": participant,
            "scheme": participant.scheme,
            "form": form,
            # what leaving also ends, said before they confirm
            "open_relationships": hooks.ask("open_relationships", participant),
            "waiting": dict(
                zip(("own", "theirs"), hooks.ask("proposals_waiting", participant), strict=True)
            ),
        },
        status=400 if form.errors else 200,
    )
