"""SCIM filters (``filter=userName eq "a@b.ac.uk"``) over one scheme's participants.

django-scim2's own filter turns the expression into raw SQL written for PostgreSQL; this one uses
the same parser's Django transpiler (``scim2_filter_parser.transpilers.django_q_object``), so the
filter is a ``Q`` on the ORM (SQLite and PostgreSQL alike, parameters bound, never SQL text), and
it is always narrowed to the token's scheme in the query itself. An attribute the filter does not
know is refused (``invalidFilter``) rather than dropped, which would widen ``and`` and ``or``.
"""

from __future__ import annotations

from django_scim import exceptions
from django_scim.filters import FilterQuery
from scim2_filter_parser import ast as scim_ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError
from scim2_filter_parser.transpilers.django_q_object import Transpiler

from equimentor.enrolment.models import Participant

# (attribute, sub-attribute, schema URI) -> the participant's field
ATTR_MAP = {
    ("userName", None, None): "user__email",
    ("emails", "value", None): "user__email",
    ("emails", None, None): "user__email",
    ("displayName", None, None): "user__full_name",
    ("name", "formatted", None): "user__full_name",
}
# attributes that may only qualify another (emails[type eq "work"].value): read, never filtered on
QUALIFIED = {("emails", "type"), ("emails", "primary")}
KNOWN = {(a.lower(), b.lower() if b else None) for a, b, _ in ATTR_MAP}
SUPPORTED = "userName, emails.value, displayName and name.formatted"


def participant_model():
    return Participant


def _attr_paths(node, within: str | None = None):
    """(attribute path node, the multi-valued attribute it is inside of) for every attribute a
    filter names; ``emails[type eq "work"].value`` names emails.value, and type within emails."""
    if isinstance(node, scim_ast.AttrPath):
        if isinstance(node.attr_name, scim_ast.Filter):  # a value path: emails[...].value
            yield from _attr_paths(node.attr_name.namespace, within)
            yield from _attr_paths(node.attr_name.expr, node.attr_name.namespace.attr_name)
            return
        yield node, within
        return
    for name in getattr(node, "_fields", ()):
        child = getattr(node, name, None)
        if isinstance(child, scim_ast.AST):
            yield from _attr_paths(child, within)


def _check(tree) -> None:
    for path, within in _attr_paths(tree):
        if path.uri:
            raise exceptions.BadRequestError(
                f"Name the attribute without its schema's URN: filters may use {SUPPORTED}.",
                scim_type="invalidFilter",
            )
        sub = path.sub_attr.value.lower() if path.sub_attr else None
        key = (within.lower(), path.attr_name.lower()) if within else (path.attr_name.lower(), sub)
        allowed = KNOWN if not within else KNOWN | QUALIFIED
        if key not in allowed:
            raise exceptions.BadRequestError(
                f"Cannot filter on {path.attr_name}: filters may use {SUPPORTED}.",
                scim_type="invalidFilter",
            )


class ParticipantFilter(FilterQuery):
    model_getter = participant_model
    attr_map = ATTR_MAP

    @classmethod
    def search(cls, filter_query, request=None):
        """The token's scheme's participants that ``filter_query`` selects, as a queryset."""
        try:
            tree = SCIMParser().parse(SCIMLexer().tokenize(filter_query))
        except (SCIMParserError, ValueError) as exc:
            raise exceptions.BadRequestError(
                f"This filter cannot be read: {exc}", scim_type="invalidFilter"
            ) from exc
        if tree is None:
            raise exceptions.BadRequestError(
                "This filter cannot be read.", scim_type="invalidFilter"
            )
        _check(tree)
        try:
            q = Transpiler(cls.attr_map).transpile(tree)
        except ValueError as exc:  # e.g. an operator the ORM has no lookup for
            raise exceptions.BadRequestError(str(exc), scim_type="invalidFilter") from exc
        rows = Participant.objects.filter(scheme=request.scim_scheme)
        return rows.filter(q) if q is not None else rows.none()
