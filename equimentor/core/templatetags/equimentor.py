from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from equimentor.core.audit import label as audit_action_label
from equimentor.lib.markdown import render

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Scheme documents and descriptions are Markdown, sanitised on the way out."""
    return mark_safe(render(text))  # noqa: S308 - sanitised by nh3


@register.filter
def field_type(bound_field) -> str:
    return bound_field.field.widget.__class__.__name__.lower()


@register.filter
def audit_label(action: str) -> str:
    return audit_action_label(action)


@register.filter
def table_body(rows) -> str:
    """The ``<tr>`` rows of a report table: the first cell of each row is its heading, the
    others figures. Rendered here rather than cell by cell in the template: a breakdown by
    three dimensions has thousands of cells, which took the template a third of a second."""
    out = []
    for row in rows:
        if not row:
            continue
        head, *figures = row
        out.append(
            f'<tr><th scope="row">{conditional_escape(head)}</th>'
            + "".join(f'<td class="num">{conditional_escape(c)}</td>' for c in figures)
            + "</tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms):
    """One "There is a problem" summary for a page whose one submission fills several forms
    (registration: name, profile, identity, consent), listing every form's errors in order,
    each linked to its field."""
    errors = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        errors += [(None, e) for e in form.non_field_errors()]
        errors += [(field, e) for field in form for e in field.errors]
    return {"errors": errors}
