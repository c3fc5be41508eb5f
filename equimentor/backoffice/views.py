"""The coordinator's back office: registrations, review, scheme set-up and documents.

Every scheme page here is for the coordinators of the scheme in the URL (or a superuser);
``staff.access.scheme_staff`` enforces it and hands the view the scheme as ``request.staff``.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.backoffice import attention, tasks
from equimentor.backoffice import services as reminders
from equimentor.backoffice.forms import (
    DocumentForm,
    MapInstitutionForm,
    MappingForm,
    MessageForm,
    NewSchemeForm,
    RegistrationFilter,
    SchemeForm,
    UploadForm,
)
from equimentor.backoffice.models import NUDGE_GAP, Nudge
from equimentor.core import audit
from equimentor.core.access import signed_in
from equimentor.core.models import AuditEvent, OutgoingEmail
from equimentor.core.roles import Role
from equimentor.enrolment import imports, stats
from equimentor.enrolment import services as enrolment
from equimentor.enrolment.access import get_import_for_coordinator, get_participant_for_coordinator
from equimentor.enrolment.consents import current_consents
from equimentor.enrolment.models import Participant, ParticipantImport
from equimentor.lib.cells import csv_writer
from equimentor.schemes import services
from equimentor.schemes.access import get_document_for_coordinator, staff_schemes
from equimentor.schemes.models import SchemeDocument
from equimentor.staff.access import is_site_admin, scheme_staff, site_admin

COORDINATOR = Role.COORDINATOR

log = logging.getLogger(__name__)


@signed_in
def index(request):
    """Schemes the signed-in person coordinates."""
    schemes = staff_schemes(request.user, COORDINATOR).annotate(
        n_participants=Count("participants")
    )
    admin = is_site_admin(request.user)
    if not schemes.exists() and not admin:
        raise PermissionDenied("You do not coordinate any scheme.")
    return render(request, "backoffice/index.html", {"schemes": schemes, "is_site_admin": admin})


@site_admin
@require_http_methods(["GET", "POST"])
def new_scheme(request):
    """Create a scheme; it opens once its coordinator has published its documents."""
    form = NewSchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scheme = services.create_scheme(actor=request.user, **form.cleaned_data)
        messages.success(
            request,
            "Scheme created. Invite its first coordinator: they publish its documents and open "
            "registration.",
        )
        return redirect("staff:scheme_staff", scheme.slug)
    return render(
        request,
        "backoffice/scheme_form.html",
        {"form": form, "creating": True},
        status=400 if form.errors else 200,
    )


@scheme_staff(COORDINATOR)
def dashboard(request, slug: str):
    scheme = request.staff.scheme
    counts = stats.funnel(scheme)
    steps = [
        ("Expressed interest", counts["expressed"], None),
        (
            "Declared eligible",
            counts["eligible"],
            stats.conversion(counts["eligible"], counts["expressed"]),
        ),
        (
            "Registered",
            counts["registered"],
            stats.conversion(counts["registered"], counts["eligible"]),
        ),
        (
            "Approved",
            counts["approved"],
            stats.conversion(counts["approved"], counts["registered"]),
        ),
    ]
    if counts["invited"]:  # imported from a spreadsheet; registered once they accept
        steps.insert(2, ("Imported, invited to review and consent", counts["invited"], None))
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "scheme": scheme,
            "counts": counts,
            "steps": steps,
            "missing_documents": scheme.missing_documents(),
            "attention": attention.overview(scheme, request.staff, request.user),
            "gap_days": NUDGE_GAP.days,
        },
    )


def _reminder_kind(kind: str) -> str:
    if kind not in Nudge.Kind.values:
        raise Http404("No such reminder.")
    return kind


@scheme_staff(COORDINATOR)
def attention_list(request, slug: str, kind: str):
    """Who a reminder of ``kind`` would reach now, by name, with when each was last reminded of
    it (a reminder skips anyone reminded within NUDGE_GAP)."""
    scheme = request.staff.scheme
    kind = _reminder_kind(kind)
    now = timezone.now()
    people = attention.recipients(scheme, kind, now)
    last = dict(
        Nudge.objects.filter(scheme=scheme, kind=kind, participant__in=[p for p, _ in people])
        .values_list("participant_id")
        .annotate(at=Max("sent_at"))
    )
    rows = [
        (
            person,
            last.get(person.pk),
            bool(last.get(person.pk) and now - last[person.pk] < NUDGE_GAP),
        )
        for person, _ in people
    ]
    return render(
        request,
        "backoffice/attention.html",
        {
            "scheme": scheme,
            "kind": kind,
            "label": Nudge.Kind(kind).label,
            "rows": rows,
            "plan": reminders.plan(scheme, kind, now),
            "gap_days": NUDGE_GAP.days,
        },
    )


@scheme_staff(COORDINATOR)
@require_POST
def remind(request, slug: str, kind: str):
    """Send a reminder of ``kind`` to everyone it concerns, through the task queue."""
    scheme = request.staff.scheme
    kind = _reminder_kind(kind)
    plan = reminders.plan(scheme, kind)
    if not plan.sent:
        messages.info(
            request,
            "Nobody to remind: "
            + (
                f"all {plan.skipped} were reminded within the last {NUDGE_GAP.days} days."
                if plan.skipped
                else "nothing is waiting."
            ),
        )
    else:
        # nothing was written here (the plan only reads), so there is no commit to wait for:
        # the task is handed over now, and a queue that refuses it is said, not only logged
        try:
            tasks.send_reminders.enqueue(scheme.pk, kind, request.user.pk)
        except Exception:
            log.exception(
                "Reminders (%s) for scheme %s not accepted by the task queue", kind, scheme.pk
            )
            messages.error(
                request,
                "The reminders could not be started: the task queue did not accept them. "
                "Nobody was reminded; try again in a few minutes.",
            )
        else:
            skipped = (
                f" {plan.skipped} reminded within the last {NUDGE_GAP.days} days "
                f"{'is' if plan.skipped == 1 else 'are'} skipped."
                if plan.skipped
                else ""
            )
            messages.success(
                request,
                f"Reminding {plan.sent} {'person' if plan.sent == 1 else 'people'}.{skipped}",
            )
    if request.POST.get("back") == "list":
        return redirect("backoffice:attention", slug, kind)
    return redirect("backoffice:dashboard", slug)


@scheme_staff(COORDINATOR)
def registrations(request, slug: str):
    """Registrations by status, newest first, 50 a page; searched by name or email and filtered
    by institution and role (``RegistrationFilter``); the same list as a CSV file."""
    scheme = request.staff.scheme
    status = request.GET.get("status", "registered")
    if status not in Participant.Status.values:
        status = "all"
    filters = RegistrationFilter(scheme, request.GET)
    everyone = filters.apply(Participant.objects.filter(scheme=scheme))
    rows = everyone.select_related("user", "institution", "scheme").order_by(
        "-registered_at", "-pk"
    )
    if status != "all":
        rows = rows.filter(status=status)
    if request.GET.get("format") == "csv":
        return _registrations_csv(request, scheme, rows)
    by_status = dict(
        everyone.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    tabs = [(value, label, by_status.get(value, 0)) for value, label in Participant.Status.choices]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/registrations.html",
        {
            "scheme": scheme,
            "page": page,
            "status": status,
            "tabs": tabs,
            "total": sum(by_status.values()),
            "filters": filters,
            "query": filters.query(),
        },
    )


def _registrations_csv(request, scheme, rows):
    """The list as the coordinator filtered it, every page: no identity answers (they are never
    in the profile), one audit event saying how many rows left the site."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scheme.slug}-registrations.csv"'
    writer = csv_writer(response)
    writer.writerow(
        ["Name", "Email", "Role", "Institution", "Career stage", "Registered", "Status"]
    )
    n = 0
    for p in rows.iterator(chunk_size=500):
        registered = timezone.localtime(p.registered_at).date()
        writer.writerow(
            [
                p.user.full_name,
                p.user.email,
                p.roles_label,
                p.institution_label,
                p.career_stage_label,
                registered,
                p.get_status_display(),
            ]
        )
        n += 1
    audit.record(
        "enrolment.registrations.exported", scheme, actor=request.user, scheme=scheme, rows=n
    )
    return response


@scheme_staff(COORDINATOR)
def emails(request, slug: str):
    """The scheme's emails, newest first, 50 a page: sent, waiting, retrying, or failed and why.

    Only emails filed under the scheme are listed; sign-in links, safeguarding and evaluation
    emails are not (an evaluation reminder would show who has not answered).
    """
    scheme = request.staff.scheme
    status = request.GET.get("status", "all")
    rows = OutgoingEmail.objects.filter(scheme=scheme).order_by("-created_at", "-id")
    if status in OutgoingEmail.Status.values:
        rows = rows.filter(status=status)
    else:
        status = "all"
    by_status = dict(
        OutgoingEmail.objects.filter(scheme=scheme)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    tabs = [
        (value, label, by_status.get(value, 0)) for value, label in OutgoingEmail.Status.choices
    ]
    page = Paginator(
        rows.only(
            "subject",
            "to",
            "status",
            "attempts",
            "reason",
            "created_at",
            "sent_at",
            "next_attempt_at",
        ),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/emails.html",
        {
            "scheme": scheme,
            "page": page,
            "status": status,
            "tabs": tabs,
            "total": sum(by_status.values()),
        },
    )


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def registration(request, slug: str, pk: int):
    """One registration, with approve / query eligibility / decline."""
    participant = get_participant_for_coordinator(request.staff.scheme, pk)
    form = MessageForm()
    unlisted = participant.institution_id is None
    map_form = (
        MapInstitutionForm(
            request.POST if request.POST.get("action") == "approve" else None,
            initial={"new_name": participant.institution_other},
        )
        if unlisted
        else None
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve" and (map_form is None or map_form.is_valid()):
                with transaction.atomic():  # an institution added here only if approved
                    institution = _mapped_institution(map_form, actor=request.user)
                    enrolment.approve(participant, actor=request.user, institution=institution)
                messages.success(request, "Approved. The participant has been told by email.")
                return redirect("backoffice:registration", slug, pk)
            if action == "approve":
                pass  # the mapping form shows what is missing
            elif action in {"query", "decline"}:
                form = MessageForm(request.POST)
                if form.is_valid():
                    handler = (
                        enrolment.query_eligibility if action == "query" else enrolment.decline
                    )
                    handler(participant, actor=request.user, message=form.cleaned_data["message"])
                    messages.success(request, "Sent. The participant has been told by email.")
                    return redirect("backoffice:registration", slug, pk)
            else:
                messages.error(request, "Unknown action.")
        except (enrolment.EnrolmentError, services.SchemeError) as exc:
            if map_form is not None and action == "approve":
                map_form.add_error(None, str(exc))
            else:
                messages.error(request, str(exc))
    history = AuditEvent.objects.filter(
        object_type="enrolment.participant", object_id=str(participant.pk)
    ).select_related("actor")[:50]
    return render(
        request,
        "backoffice/registration.html",
        {
            "scheme": participant.scheme,
            "participant": participant,
            "form": form,
            "map_form": map_form,
            "consents": current_consents(participant),
            "history": history,
        },
        status=400 if form.errors or (map_form is not None and map_form.errors) else 200,
    )


def _mapped_institution(map_form, *, actor):
    """The institution a registration that was not listed is mapped to (None if it was)."""
    if map_form is None:
        return None
    if map_form.cleaned_data["existing"]:
        return map_form.cleaned_data["existing"]
    return services.save_institution(name=map_form.cleaned_data["new_name"], actor=actor)


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def scheme_settings(request, slug: str):
    scheme = request.staff.scheme
    form = SchemeForm(instance=scheme)
    if request.method == "POST":
        # The service re-reads and locks the row, and compares against it, not this instance.
        form = SchemeForm(request.POST, instance=scheme)
        if form.is_valid():
            try:
                services.update_scheme(scheme, actor=request.user, **form.cleaned_data)
            except (services.SchemeError, ValidationError) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            else:
                messages.success(request, "Scheme settings saved.")
                return redirect("backoffice:dashboard", slug)
    return render(
        request,
        "backoffice/scheme_form.html",
        {"scheme": scheme, "form": form},
        status=400 if form.errors else 200,
    )


@scheme_staff(COORDINATOR)
def documents(request, slug: str):
    scheme = request.staff.scheme
    by_kind = {kind: [] for kind in SchemeDocument.Kind.values}
    for doc in scheme.documents.order_by("kind", "-version"):
        by_kind[doc.kind].append(doc)
    rows = [(kind, label, by_kind[kind]) for kind, label in SchemeDocument.Kind.choices]
    return render(request, "backoffice/documents.html", {"scheme": scheme, "rows": rows})


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def edit_document(request, slug: str, kind: str):
    """Edit the draft of the next version of a document (prefilled from the current one)."""
    scheme = request.staff.scheme
    if kind not in SchemeDocument.Kind.values:
        raise PermissionDenied("Unknown document kind.")
    latest = scheme.documents.filter(kind=kind).order_by("-version").first()
    form = DocumentForm(
        initial={"title": latest.title, "body": latest.body}
        if latest
        else {"title": SchemeDocument.Kind(kind).label}
    )
    if request.method == "POST":
        form = DocumentForm(request.POST)
        if form.is_valid():
            draft = services.draft_document(scheme, kind, actor=request.user, **form.cleaned_data)
            if "publish" in request.POST:
                services.publish_document(draft, actor=request.user)
                messages.success(
                    request,
                    f"Version {draft.version} is published. New registrations "
                    "consent to this version.",
                )
            else:
                messages.success(request, f"Draft of version {draft.version} saved.")
            return redirect("backoffice:documents", slug)
    return render(
        request,
        "backoffice/document_form.html",
        {
            "scheme": scheme,
            "form": form,
            "kind_label": SchemeDocument.Kind(kind).label,
            "latest": latest,
        },
        status=400 if form.errors else 200,
    )


@scheme_staff(COORDINATOR)
@require_POST
def publish_document(request, slug: str, pk: int):
    scheme = request.staff.scheme
    doc = get_document_for_coordinator(scheme, pk)
    try:
        services.publish_document(doc, actor=request.user)
    except services.SchemeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Version {doc.version} is published.")
    return redirect("backoffice:documents", slug)


# -- importing participants -----------------------------------------------------------------------


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def import_start(request, slug: str):
    """Upload a spreadsheet of the scheme's people (kept in the database, never the session),
    or email the imported people not yet invited."""
    scheme = request.staff.scheme
    form = UploadForm()
    if request.method == "POST" and "invite" in request.POST:
        n = imports.send_invitations(scheme, actor=request.user)
        messages.success(request, f"Invitations are being emailed to {n} imported people.")
        return redirect("backoffice:import", slug)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                headers, _ = imports.read_table(content, upload.name)
            except imports.ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                stored = ParticipantImport.objects.create(
                    scheme=scheme,
                    created_by=request.user,
                    filename=upload.name[:200],
                    content=content,
                    headers=headers,
                    mapping=imports.guess_mapping(headers),
                )
                return redirect("backoffice:import_map", slug, stored.pk)
    return render(
        request,
        "backoffice/import_start.html",
        {
            "scheme": scheme,
            "form": form,
            "not_invited": imports.not_yet_invited(scheme).count(),
            "fields": imports.FIELDS,
        },
        status=400 if form.errors else 200,
    )


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def import_map(request, slug: str, pk: int):
    """Map the columns (close headers already matched), preview with each bad row's reason,
    then import the good rows."""
    scheme = request.staff.scheme
    upload = get_import_for_coordinator(scheme, pk)
    step = request.POST.get("step", "")
    if step == "cancel":
        upload.delete()
        messages.info(request, "The upload is deleted; nothing was imported.")
        return redirect("backoffice:import", slug)
    form = MappingForm(upload.headers, upload.mapping, request.POST if step else None)
    preview = None
    if step and form.is_valid():
        upload.mapping = form.mapping()
        upload.save(update_fields=["mapping"])
        _, rows = imports.read_table(bytes(upload.content), upload.filename)
        if step == "import":
            result = imports.apply(
                scheme,
                rows,
                upload.mapping,
                actor=request.user,
                invite=bool(request.POST.get("invite")),
            )
            upload.delete()
            return render(
                request,
                "backoffice/import_done.html",
                {"scheme": scheme, "result": result, "filename": upload.filename},
            )
        preview = imports.plan(scheme, rows, upload.mapping)
    return render(
        request,
        "backoffice/import_map.html",
        {
            "scheme": scheme,
            "upload": upload,
            "form": form,
            "preview": preview,
            "sample": preview.new[:10] if preview else [],
            "shown_errors": preview.errors[:500] if preview else [],
        },
        status=400 if form.errors else 200,
    )
