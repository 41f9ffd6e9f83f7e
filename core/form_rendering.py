"""Django's form renderer, with its most used templates written out in Python.

A sign-in page renders a dozen tiny templates per field (the widget, its attributes, the
error list), which was most of the page's time. The templates below are rendered here to
the same bytes (tests/site/test_form_rendering.py compares them with Django's own); every
other template goes to Django as before.
"""

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape as esc

_INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "email",
        "password",
        "number",
        "checkbox",
        "hidden",
        "url",
        "search",
        "tel",
        "date",
        "time",
        "datetime",
        "color",
    )
)
_ERROR_LIST = "django/forms/errors/list/ul.html"


def _attrs(attrs: dict[str, Any]) -> str:
    """Write attributes as django/forms/widgets/attrs.html does."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {esc(name)}")
        else:
            parts.append(f' {esc(name)}="{esc(str(value))}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    value_attr = "" if value is None else f' value="{esc(str(value))}"'
    return (
        f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"'
        f"{value_attr}{_attrs(widget['attrs'])}>"
    )


def _error_list(errors: Any, error_class: str) -> str:
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_attr = f' id="{esc(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{esc(error)}</li>" for error in errors)
    return f'<ul class="{esc(error_class)}"{id_attr}>{items}</ul>'


class FastTemplatesRenderer(DjangoTemplates):
    """Render inputs and error lists in Python; everything else through the templates."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        """Return the markup for `template_name` with `context`, as Django's renderer would."""
        if template_name in _INPUTS and "widget" in context:
            return _input(context["widget"])
        if template_name == _ERROR_LIST and "errors" in context:
            return _error_list(context["errors"], context.get("error_class", ""))
        return super().render(template_name, context, request)
