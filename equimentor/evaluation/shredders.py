"""Evaluation's part of erasure (see ``core.erasure``). Responses are anonymous by construction
and linked to no one, so none can be found to erase; only text that names her is changed."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.evaluation.models import (
    Answer,
    ImportMapping,
    Invitation,
    PendingResponse,
    Questionnaire,
    Response,
    ResponseImport,
    Theme,
)

ANONYMOUS = "anonymous by construction: linked to no one"


def _export(user):
    # whether she was asked and answered; the answers are anonymous and not hers to find
    return {"invitations": erasure.rows(Invitation.objects.filter(participant__user=user))}


def _erase(person: erasure.Person) -> int:
    # free text may name people: her address or name in an answer or a theme is replaced
    n = person.scrub_rows(Answer.objects.all(), ["text", "value"])
    n += person.scrub_rows(Theme.objects.all(), ["label", "description"])
    # a saved mapping's answers as written come from survey files and may name her
    n += person.scrub_rows(ImportMapping.objects.all(), ["values"])
    # CSVs of responses uploaded and not yet imported that name her go (a day at most anyway)
    return n + sum(
        upload.delete()[0] > 0
        for upload in ResponseImport.objects.all()
        if person.scrub(upload.text) != upload.text
    )


SHREDDER = erasure.Shredder(
    name="evaluation",
    order=65,
    covers=(
        erasure.Covers(
            Questionnaire,
            kept={"code wave title definition source": "questionnaires, written by staff"},
        ),
        erasure.Covers(
            Invitation,
            kept={"participant code role": "whether she was asked and answered: the response rate"},
        ),
        erasure.Covers(Response, kept={"role source": ANONYMOUS}),
        erasure.Covers(PendingResponse, kept={"role sealed": ANONYMOUS + ", sealed"}),
        erasure.Covers(Answer, erased="text value", kept={"item": "which question"}),
        erasure.Covers(Theme, erased="label description", kept={"item": "which question"}),
        erasure.Covers(
            ResponseImport,
            deleted="uploads not yet imported that name her",
            kept={
                "created_by": "who uploaded (staff), pointing at the anonymised account",
                "code role mapping matched": "other uploads' questionnaire and columns",
                "values": "other uploads' answers mapped to options (an upload whose file "
                "names her, and so its answers, is deleted)",
            },
        ),
        erasure.Covers(
            ImportMapping,
            erased="values",
            kept={
                "code name columns role": "how a survey tool's columns map onto a questionnaire "
                "(question wording, written by staff)",
                "updated_by": "who saved it (staff), pointing at the anonymised account",
            },
        ),
    ),
    erase=_erase,
    export=_export,
)
