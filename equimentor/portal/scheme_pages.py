"""Public scheme pages (the portal's): what a scheme is, who it is for, its documents, expressing
interest."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from equimentor.core import limits
from equimentor.core.access import public
from equimentor.enrolment import services
from equimentor.enrolment.forms import ExpressionForm
from equimentor.schemes.models import Scheme, SchemeDocument


@public
def scheme_list(request):
    return render(
        request, "schemes/list.html", {"schemes": Scheme.objects.order_by("-is_open", "name")}
    )


@public
@require_http_methods(["GET", "POST"])
def scheme_detail(request, slug: str):
    """The scheme page, with eligibility statements and the expression-of-interest form."""
    scheme = get_object_or_404(Scheme, slug=slug)
    form = ExpressionForm(scheme)
    if request.method == "POST" and scheme.is_open:
        form = ExpressionForm(scheme, request.POST)
        # per client address (generous: a university shares one) and per email address
        if limits.exceeded(request, "interest_per_address") or (
            form.is_valid()
            and limits.exceeded(request, "interest_per_email", key=form.cleaned_data["email"])
        ):
            form.add_error(
                None, "Too many requests from this network. Please wait an hour and try again."
            )
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.express_interest(  # the page is the same whatever it sent (#23)
                    scheme,
                    name=data["name"],
                    email=data["email"],
                    institution=data["institution"],
                    institution_other=data["institution_other"],
                    declared_eligible=data["declared_eligible"],
                )
            except services.EnrolmentError as exc:
                form.add_error(None, str(exc))
            else:
                return render(
                    request,
                    "schemes/interest_received.html",
                    {"scheme": scheme, "email": data["email"]},
                )
    return render(
        request,
        "schemes/detail.html",
        {
            "scheme": scheme,
            "form": form,
            "documents": scheme.current_documents(),
        },
        status=400 if form.errors else 200,
    )


@public
def document(request, slug: str, kind: str, version: int | None = None):
    """A published scheme document: the current version, or an exact earlier one."""
    scheme = get_object_or_404(Scheme, slug=slug)
    docs = SchemeDocument.objects.filter(scheme=scheme, kind=kind, published_at__isnull=False)
    doc = get_object_or_404(docs, version=version) if version else docs.order_by("-version").first()
    if doc is None:
        return render(request, "schemes/document_missing.html", {"scheme": scheme}, status=404)
    return render(
        request,
        "schemes/document.html",
        {
            "scheme": scheme,
            "doc": doc,
            "versions": docs.order_by("-version").only("version", "published_at"),
        },
    )
