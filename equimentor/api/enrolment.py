"""Enrolment through the API, for a scheme's coordinators: record an expression of interest,
import participants as invited, and approve, query or decline a registration; and for someone
imported, reading her imported place and accepting it with her consents.

Each endpoint calls the service the pages call (``enrolment.services``, ``enrolment.imports``),
which checks every rule and audits the change (with the token's id when a token is used). Who may
call it: ``scheme_staff(COORDINATOR)`` and ``registrations:write`` (``api.scopes``); another
scheme's registration is a 404 (``enrolment.access``). Bad input is a 400 naming the field and
changes nothing; a change the service refuses is a 409 with its message.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.idempotency import idempotent
from equimentor.api.preconditions import IF_MATCH, expect_match, require_match, tagged
from equimentor.api.problems import ProblemSerializer, Refused
from equimentor.api.serializers import ParticipationSerializer
from equimentor.core.roles import Role
from equimentor.enrolment import imports, services
from equimentor.enrolment.access import get_own_participation, get_participant_for_coordinator
from equimentor.enrolment.forms import ConsentForm, ProfileForm
from equimentor.enrolment.models import Consent, Participant
from equimentor.schemes.models import Institution, SchemeDocument
from equimentor.staff.access import scheme_staff

MAX_IMPORT_ROWS = 1000  # per request; a bigger list is sent in parts (re-sending changes nothing)


def _refused(exc: services.EnrolmentError) -> Refused:
    return Refused(str(exc))


# -- expression of interest -------------------------------------------------------------------


class InterestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(),
        required=False,
        allow_null=True,
        help_text="The institution's id, if it is on the list.",
    )
    institution_other = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The institution's name, if it is not on the list.",
    )
    declared_eligible = serializers.BooleanField(
        help_text="The person confirmed the scheme's eligibility statements."
    )

    def validate(self, data):
        if not data.get("institution") and not data.get("institution_other", "").strip():
            raise serializers.ValidationError(
                {"institution": "Give the institution's id, or its name as institution_other."}
            )
        if not data["declared_eligible"]:
            raise serializers.ValidationError(
                {"declared_eligible": "The person must confirm the eligibility statements."}
            )
        return data


class ReceivedSerializer(serializers.Serializer):
    detail = serializers.CharField()


@scheme_staff(Role.COORDINATOR)
class ExpressInterest(APIView):
    """Coordinators of the scheme: record someone's expression of interest, as the scheme page
    does, and email them the welcome pack with a registration link. The answer is the same
    whatever was sent (a welcome, a note that they are registered, a link to rejoin, or nothing
    because one was sent minutes ago), as on the page (#23)."""

    serializer_class = InterestSerializer

    @extend_schema(
        request=InterestSerializer,
        responses={202: ReceivedSerializer, 409: ProblemSerializer},
    )
    @idempotent
    def post(self, request, slug: str):
        data = InterestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            services.express_interest(
                request.staff.scheme,
                name=d["name"],
                email=d["email"],
                institution=d.get("institution"),
                institution_other=d.get("institution_other", "").strip(),
                declared_eligible=d["declared_eligible"],
            )
        except services.EnrolmentError as exc:
            raise _refused(exc) from exc
        return Response(
            {"detail": "Received. An email is on its way to the address given."},
            status=status.HTTP_202_ACCEPTED,
        )


# -- importing participants as invited --------------------------------------------------------


class ImportRowSerializer(serializers.Serializer):
    """One person, in the words of the import page's columns (``enrolment.imports.FIELDS``)."""

    email = serializers.CharField(max_length=254)
    full_name = serializers.CharField(max_length=200)
    role = serializers.CharField(max_length=40, help_text="mentee, mentor or both")
    institution = serializers.CharField(
        max_length=300, help_text="The institution's name or one of its other names."
    )
    career_stage = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="As the scheme words it."
    )
    pathway = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="clinical or non-clinical"
    )
    department = serializers.CharField(required=False, allow_blank=True, max_length=200)
    research_interests = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    mentor_capacity = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class ImportSerializer(serializers.Serializer):
    participants = ImportRowSerializer(many=True, allow_empty=False, max_length=MAX_IMPORT_ROWS)
    invite = serializers.BooleanField(
        default=False,
        help_text="Email every imported person not yet invited a link to review and consent.",
    )


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="People imported as invited.")
    unchanged = serializers.IntegerField(help_text="Already in the scheme: left as they are.")
    invited = serializers.IntegerField(help_text="People emailed an invitation.")


_COLUMNS = [code for code in imports.FIELDS]  # each row's cells in this order


def _as_table(people: list[dict]) -> tuple[list[list[str]], dict[str, str]]:
    rows = [["" if p.get(code) is None else str(p.get(code)) for code in _COLUMNS] for p in people]
    return rows, {str(i): code for i, code in enumerate(_COLUMNS)}


@scheme_staff(Role.COORDINATOR)
class ImportParticipants(APIView):
    """Coordinators of the scheme: import people as invited participants, checked exactly as the
    import page checks a spreadsheet's rows (``enrolment.imports``). If any person is refused,
    nothing is imported and the 400 names each (``participants[i]``) with the reason; people
    already in the scheme are left as they are, so sending a list again changes nothing. With
    ``invite``, everyone imported and not yet invited is emailed their link."""

    serializer_class = ImportSerializer

    @extend_schema(request=ImportSerializer, responses={200: ImportResultSerializer})
    @idempotent
    def post(self, request, slug: str):
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scheme = request.staff.scheme
        rows, mapping = _as_table(data.validated_data["participants"])
        checked = imports.plan(scheme, rows, mapping)
        if checked.errors:  # row numbers count a header row, as in a spreadsheet
            raise serializers.ValidationError(
                {"participants": {str(n - 2): [reason] for n, reason in checked.errors}}
            )
        result = imports.apply(
            scheme, rows, mapping, actor=request.user, invite=data.validated_data["invite"]
        )
        return Response(
            {"created": result.created, "unchanged": result.unchanged, "invited": result.invited}
        )


# -- review of a registration ----------------------------------------------------------------


class ApproveSerializer(serializers.Serializer):
    institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(),
        required=False,
        allow_null=True,
        help_text="For a registration whose institution was not on the list: the listed "
        "institution it belongs to (required then).",
    )


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(
        max_length=5000, help_text="Sent to the person by email, and shown with the registration."
    )


def registration_data(pk: int, *, lock: bool = False) -> tuple[Participant, dict]:
    """A registration and what the API answers for it (``GET .../registrations/<id>/`` tags
    this with its ETag); ``lock`` holds its row for a change in the same transaction."""
    rows = Participant.objects.select_related("scheme", "institution")
    participant = (rows.select_for_update(of=("self",)) if lock else rows).get(pk=pk)
    return participant, ParticipationSerializer(participant).data


class _Review(APIView):
    """A decision on one registration, sent with ``If-Match``: the ETag of the registration as
    read, so a registration changed since (the person edited it, another coordinator decided)
    is not decided on unseen (412)."""

    def _decide(self, request, pk: int, form, decide) -> Response:
        participant = get_participant_for_coordinator(request.staff.scheme, pk)
        expect_match(request)
        data = form(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            participant, current = registration_data(participant.pk, lock=True)
            require_match(request, current)
            try:
                decide(participant, data.validated_data)
            except services.EnrolmentError as exc:
                raise _refused(exc) from exc
        return tagged(request, registration_data(participant.pk)[1])


@scheme_staff(Role.COORDINATOR)
class ApproveRegistration(_Review):
    """Coordinators of the scheme: approve a registration (registered, queried or declined), as
    the registration page does; the person is told by email. Answers with the registration."""

    serializer_class = ApproveSerializer

    @extend_schema(
        request=ApproveSerializer,
        responses={200: ParticipationSerializer, 409: ProblemSerializer},
        parameters=[IF_MATCH],
    )
    @idempotent
    def post(self, request, slug: str, pk: int):
        return self._decide(
            request,
            pk,
            ApproveSerializer,
            lambda p, d: services.approve(p, actor=request.user, institution=d.get("institution")),
        )


@scheme_staff(Role.COORDINATOR)
class QueryRegistration(_Review):
    """Coordinators of the scheme: ask the person about their eligibility (the registration
    becomes "queried"); the message is emailed to them. Answers with the registration."""

    serializer_class = MessageSerializer

    @extend_schema(
        request=MessageSerializer,
        responses={200: ParticipationSerializer, 409: ProblemSerializer},
        parameters=[IF_MATCH],
    )
    @idempotent
    def post(self, request, slug: str, pk: int):
        return self._decide(
            request,
            pk,
            MessageSerializer,
            lambda p, d: services.query_eligibility(p, actor=request.user, message=d["message"]),
        )


@scheme_staff(Role.COORDINATOR)
class DeclineRegistration(_Review):
    """Coordinators of the scheme: decline a registration with the reason, which is emailed to
    the person. Answers with the registration."""

    serializer_class = MessageSerializer

    @extend_schema(
        request=MessageSerializer,
        responses={200: ParticipationSerializer, 409: ProblemSerializer},
        parameters=[IF_MATCH],
    )
    @idempotent
    def post(self, request, slug: str, pk: int):
        return self._decide(
            request,
            pk,
            MessageSerializer,
            lambda p, d: services.decline(p, actor=request.user, message=d["message"]),
        )


# -- an imported person accepts her place -----------------------------------------------------

_PURPOSES = [*Consent.REQUIRED, Consent.Purpose.EVALUATION]


class ConsentDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")


class ConsentAskedSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=[(p, Consent.Purpose(p).label) for p in _PURPOSES])
    label = serializers.CharField()
    required = serializers.BooleanField()
    document = ConsentDocumentSerializer(allow_null=True)


class ImportedPlaceSerializer(serializers.Serializer):
    participation = ParticipationSerializer()
    consents = ConsentAskedSerializer(many=True)


def _invitation(participant: Participant) -> dict:
    documents = participant.scheme.current_documents()
    asked = []
    for purpose in _PURPOSES:
        doc = documents.get(Consent.DOCUMENT_FOR_PURPOSE[purpose])
        asked.append(
            {
                "purpose": purpose,
                "label": Consent.Purpose(purpose).label,
                "required": purpose in Consent.REQUIRED,
                "document": None
                if doc is None
                else {
                    "id": doc.pk,
                    "kind": doc.kind,
                    "version": doc.version,
                    "title": doc.title,
                    "body": doc.body,
                },
            }
        )
    return {"participation": ParticipationSerializer(participant).data, "consents": asked}


class AcceptSerializer(serializers.Serializer):
    """The accept page's fields (``enrolment.forms``): a profile field left out keeps what was
    imported; each consent is given against the document version named in ``documents``."""

    full_name = serializers.CharField(required=False, max_length=200)
    role = serializers.CharField(required=False, max_length=40, help_text="mentee, mentor or both")
    job_title = serializers.CharField(required=False, max_length=200)
    career_stage = serializers.IntegerField(
        required=False, min_value=0, max_value=1000, help_text="Its number in the scheme's list."
    )
    pathway = serializers.ChoiceField(required=False, choices=Participant.Pathway.choices)
    institution = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="A listed institution's id."
    )
    department = serializers.CharField(required=False, max_length=200)
    research_interests = serializers.CharField(required=False, max_length=2000)
    career_summary = serializers.CharField(required=False, max_length=5000)
    offers = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    seeks = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    mentor_capacity = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    meeting_mode = serializers.ChoiceField(required=False, choices=Participant.MeetingMode.choices)
    meeting_notes = serializers.CharField(required=False, allow_blank=True, max_length=300)
    consents = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Purpose -> given: privacy, participation, code_of_conduct and "
        "confidentiality are required; evaluation is optional.",
    )
    documents = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        help_text="Document kind -> the id of the version read (as GET .../invitation/ gives), "
        "for every consent given.",
    )

    def validate_consents(self, value):
        unknown = sorted(set(value) - set(_PURPOSES))
        if unknown:
            raise serializers.ValidationError(f"Not a consent asked for: {', '.join(unknown)}.")
        return value

    def validate_documents(self, value):
        unknown = sorted(set(value) - set(SchemeDocument.Kind.values))
        if unknown:
            raise serializers.ValidationError(f"Not a kind of document: {', '.join(unknown)}.")
        return value

    def validate(self, data):
        unnamed = [
            p
            for p, given in data["consents"].items()
            if given and Consent.DOCUMENT_FOR_PURPOSE[p] not in data["documents"]
        ]
        if unnamed:
            kinds = ", ".join(sorted({Consent.DOCUMENT_FOR_PURPOSE[p] for p in unnamed}))
            raise serializers.ValidationError(
                {"documents": [f"Name the version read of each document consented to: {kinds}."]}
            )
        return data


def _form_errors(*forms) -> dict:
    """The forms' errors under the API's field names: a consent's under ``consents.<purpose>``,
    a document's under ``documents.<kind>``, the form's own under ``non_field_errors``."""
    errors: dict = {}
    for form in forms:
        for field, found in form.errors.get_json_data().items():
            messages = [e["message"] for e in found]
            if field in _PURPOSES:
                errors.setdefault("consents", {})[field] = messages
            elif field.startswith("doc_"):
                errors.setdefault("documents", {})[field.removeprefix("doc_")] = messages
            else:
                errors["non_field_errors" if field == "__all__" else field] = messages
    return errors


def _as_form_value(value) -> str:
    return "" if value is None else str(value)


def _forms(participant: Participant, d: dict) -> tuple[ProfileForm, ConsentForm]:
    """The accept page's forms, bound to what was imported with the request's changes."""
    scheme = participant.scheme
    profile = {**ProfileForm.initial_from(participant)}
    profile.update({k: v for k, v in d.items() if k in ProfileForm.base_fields})
    profile_form = ProfileForm(scheme, {k: _as_form_value(v) for k, v in profile.items()})
    consent = {p: "on" for p in _PURPOSES if d["consents"].get(p)}
    consent.update({f"doc_{kind}": str(pk) for kind, pk in d["documents"].items()})
    return profile_form, ConsentForm(scheme, consent)


class MyInvitation(APIView):
    """Someone imported by the scheme's coordinator (status ``invited``): her imported profile
    to review and the consents she is asked for, each with the document version to read. The
    same as the page her emailed link opens."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ImportedPlaceSerializer)
    def get(self, request, slug: str):
        return Response(_invitation(get_own_participation(request.user, slug)))


class AcceptInvitation(APIView):
    """Someone imported accepts her place, as on the page her emailed link opens: she reviews
    the profile (a field left out keeps what was imported) and gives the consents against the
    versions she read; she is then approved (the coordinator imported her as the scheme's
    own), listed if a mentor, and emailed. Identity questions are not asked through the API
    (the page asks them). A document published since she read it, a required consent not
    given, or a place no longer waiting is a 409 with the reason."""

    permission_classes = [IsAuthenticated]
    serializer_class = AcceptSerializer

    @extend_schema(
        request=AcceptSerializer,
        responses={200: ParticipationSerializer, 409: ProblemSerializer},
    )
    @idempotent
    def post(self, request, slug: str):
        participant = get_own_participation(request.user, slug)
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        if participant.status != Participant.Status.INVITED:
            raise Refused(
                f"This registration is {participant.get_status_display().lower()}; there is no "
                "imported place waiting to be accepted."
            )
        profile_form, consent_form = _forms(participant, d)
        if errors := _form_errors(profile_form, consent_form):
            raise serializers.ValidationError(errors)
        try:
            participant = services.accept_import_signed_in(
                participant,
                services.Registration(
                    full_name=d.get("full_name") or participant.user.full_name,
                    role=profile_form.cleaned_data["role"],
                    profile=profile_form.profile,
                    consents=consent_form.consents,
                    documents_shown=consent_form.documents_shown,
                    identity_answers={},
                    identity_uses={},
                ),
            )
        except services.EnrolmentError as exc:
            raise _refused(exc) from exc
        return Response(ParticipationSerializer(participant).data)
