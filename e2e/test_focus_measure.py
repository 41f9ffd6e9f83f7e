"""The focus-ring measure the keyboard journeys rely on, checked against known colours."""

import pytest

from e2e.browser import contrast, focus_problem


def ring(**overrides):
    focus = {
        "element": "input#id_email",
        "name": "E-mail address",
        "outlineStyle": "solid",
        "outlineWidth": 3.0,
        "outlineColor": "rgb(31, 95, 191)",
        "boxShadow": "none",
        "behind": "rgb(255, 255, 255)",
    }
    return {**focus, **overrides}


def test_contrast_follows_wcag():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21.0)
    assert contrast("rgb(156, 195, 255)", "rgb(255, 255, 255)") == pytest.approx(1.80, abs=0.01)
    assert contrast("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(1.0)


def test_a_dark_ring_passes_and_a_pale_or_missing_one_fails():
    assert focus_problem(ring()) is None
    assert "1.80:1" in focus_problem(ring(outlineColor="rgb(156, 195, 255)"))
    assert "not visible" in focus_problem(ring(outlineStyle="none"))
    assert (
        focus_problem(ring(outlineStyle="none", boxShadow="rgb(31, 95, 191) 0px 0px 0px 3px"))
        is None
    )
    assert "no element" in focus_problem(None)
