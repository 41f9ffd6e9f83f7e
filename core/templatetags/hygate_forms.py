"""Form fields written GOV.UK's way, in Python.

`{% field form.x %}` writes the label (no colon), the error right under it, the input and its
help; `{% error_summary form %}` the summary that leads a form with errors; `{% form_fields
form %}` both for every field. They were templates included once per field, which was most
of a sign-in page's time (bench/pages.py).
"""

from django import template
from django.forms import BoundField, Form
from django.utils.html import conditional_escape as esc
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CHOICES = frozenset({"radioselect", "checkboxselectmultiple"})


def _errors(bound: BoundField) -> str:
    if not bound.errors:
        return ""
    # The error list carries the id the input's aria-describedby names.
    hidden = '<span class="visually-hidden">Error: </span>'
    return f'<div class="field-errors">{hidden}{bound.errors}</div>'


def _help(bound: BoundField) -> str:
    if not bound.help_text:
        return ""
    id_attr = f' id="{esc(bound.auto_id)}_helptext"' if bound.auto_id else ""
    # Help texts are the project's own words, written with their markup.
    return f'<div class="help"{id_attr}>{bound.help_text}</div>'


@register.simple_tag
def field(bound: BoundField, link: str = "", link_text: str = "") -> SafeString:
    """Write one field: label, error, input, help (and a small link under the input)."""
    state = " has-error" if bound.errors else ""
    label = esc(bound.label)
    kind = bound.widget_type
    if kind in _CHOICES:
        described = (
            f' aria-describedby="{esc(bound.auto_id)}_helptext"'
            if bound.help_text and bound.auto_id
            else ""
        )
        html = (
            f'<fieldset class="field choices{state}"{described}><legend>{label}</legend>'
            f"{_errors(bound)}{bound}{_help(bound)}</fieldset>"
        )
    elif kind == "checkbox":
        html = (
            f'<div class="field checkbox{state}">{bound}<div>'
            f'<label for="{esc(bound.id_for_label)}">{label}</label>'
            f"{_errors(bound)}{_help(bound)}</div></div>"
        )
    else:
        extra = (
            format_html('<p class="field-link"><a href="{}">{}</a></p>', link, link_text)
            if link
            else ""
        )
        html = (
            f'<div class="field{state}"><label for="{esc(bound.id_for_label)}">{label}</label>'
            f"{_errors(bound)}{bound}{_help(bound)}{extra}</div>"
        )
    return mark_safe(html)  # noqa: S308 - every part above is escaped or Django's own markup


@register.simple_tag
def error_summary(form: Form | None) -> SafeString:
    """Write the summary that leads a form with errors: it takes focus and links each field."""
    if not getattr(form, "errors", None):
        return mark_safe("")
    items = [f"<li>{esc(error)}</li>" for error in form.non_field_errors()]
    for bound in form.visible_fields():
        target = bound.id_for_label or f"{bound.auto_id}_0"
        items += [f'<li><a href="#{esc(target)}">{esc(error)}</a></li>' for error in bound.errors]
    return mark_safe(  # noqa: S308 - the items are escaped above
        '<div class="error-summary" role="alert" tabindex="-1" '
        'aria-labelledby="error-summary-title"><h2 id="error-summary-title">There is a problem</h2>'
        f"<ul>{''.join(items)}</ul></div>"
    )


@register.simple_tag
def form_fields(form: Form) -> SafeString:
    """Write the error summary, every visible field, then the hidden ones."""
    parts = [error_summary(form)]
    parts += [field(bound) for bound in form.visible_fields()]
    parts += [str(bound) for bound in form.hidden_fields()]
    return mark_safe("".join(parts))  # noqa: S308 - each part is safe markup
