"""The fast form renderer writes exactly what Django's own templates write."""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from core.form_rendering import FastTemplatesRenderer


class EveryWidget(forms.Form):
    text = forms.CharField(help_text="Say <something> & more", max_length=20)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    number = forms.IntegerField(min_value=1, max_value=65535)
    ticked = forms.BooleanField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    code = forms.CharField(
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        )
    )
    flag_off = forms.CharField(required=False, widget=forms.TextInput(attrs={"data-x": False}))
    choice = forms.ChoiceField(choices=[("a", "A & B"), ("b", "<b>")])
    words = forms.CharField(widget=forms.Textarea, required=False)

    def clean(self):
        raise forms.ValidationError("The whole form is <wrong> & “odd”.")


def rendered(form_class, data=None, **kwargs) -> list[str]:
    out = []
    for renderer in (DjangoTemplates(), FastTemplatesRenderer()):
        form = form_class(data=data, renderer=renderer, **kwargs)
        form.is_valid() if data is not None else None
        parts = [str(bf) for bf in form] + [str(bf.errors) for bf in form]
        parts.append(str(form.non_field_errors()))
        out.append("\n".join(parts))
    return out


def test_an_empty_form_is_written_alike():
    django, fast = rendered(EveryWidget)
    assert fast == django


def test_a_form_with_errors_and_awkward_values_is_written_alike():
    data = {
        "text": 'x" onmouseover="alert(1)',
        "email": "not <an> address",
        "password": "p&ss'word\"",
        "number": "70000",
        "ticked": "on",
        "hidden": "<hidden>",
        "url": "javascript:alert(1)",
        "code": "12",
        "choice": "c",
        "words": "</textarea><script>",
    }
    django, fast = rendered(EveryWidget, data)
    assert fast == django
    assert "is &lt;wrong&gt;" in fast


def test_safe_strings_stay_as_django_writes_them():
    django, fast = rendered(EveryWidget, initial={"text": mark_safe("<i>safe</i>")})
    assert fast == django


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_any_typed_text_is_written_alike(text, email):
    django, fast = rendered(EveryWidget, {"text": text, "email": email, "code": text})
    assert fast == django


class Awkward(forms.Form):
    name = forms.CharField(label="Name <b>bold</b>", help_text="Your <em>own</em> words")
    choice = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    ticked = forms.BooleanField(label="Keep <me>")

    def clean_name(self):
        raise forms.ValidationError("Not “<script>” please")


def test_a_field_is_written_with_its_label_error_input_and_help_escaped():
    from core.templatetags.hygate_forms import error_summary, field

    form = Awkward(data={"name": "x"})
    form.is_valid()

    name = field(form["name"], link="/reset/?a=1&b=2", link_text="Forgot <it>?")
    assert '<label for="id_name">Name &lt;b&gt;bold&lt;/b&gt;</label>' in name
    assert "Not “&lt;script&gt;” please" in name and "<script>" not in name
    assert '<div class="help" id="id_name_helptext">Your <em>own</em> words</div>' in name
    assert '<a href="/reset/?a=1&amp;b=2">Forgot &lt;it&gt;?</a>' in name
    assert field(form["choice"]).startswith('<fieldset class="field choices has-error">')
    assert "<legend>Choice</legend>" in field(form["choice"])
    assert '<label for="id_ticked">Keep &lt;me&gt;</label>' in field(form["ticked"])

    summary = error_summary(form)
    assert summary.startswith('<div class="error-summary" role="alert" tabindex="-1"')
    assert '<a href="#id_name">Not “&lt;script&gt;” please</a>' in summary
    assert '<a href="#id_choice_0">' in summary
    assert error_summary(Awkward()) == "" and error_summary("") == ""
