"""What the browser suite checks on every page state: screenshots, axe-core and visible focus.

A `Journey` photographs each state of a page at both widths and runs axe-core on it; a
`Keyboard` moves through a page with Tab, typing and Enter only, and measures the focus
ring at every stop. Both collect findings instead of stopping the journey, so one run
tells whether the journey works and, separately, everything that is not yet accessible;
the conftest fails the test on any finding once the journey is through.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDTHS = (DESKTOP, PHONE)
# Impacts that fail a test; axe's "moderate" and "minor" are reported by Lighthouse only.
FAILING_IMPACTS = frozenset({"serious", "critical"})
# WCAG 2.2 1.4.11 (non-text contrast) and 2.4.13: a focus ring needs 3:1 against its
# surroundings.
FOCUS_CONTRAST = 3.0

# axe-core reports an id used twice and pointed at by ARIA (say, aria-describedby of an
# error) only as "needs review"; assistive technology may then read the wrong element, so
# it counts as a violation here.
REVIEW_AS_VIOLATION = frozenset({"duplicate-id-aria"})
AXE_OPTIONS = {"resultTypes": ["violations", "incomplete"]}
_axe = Axe()


@dataclass
class Findings:
    """Accessibility problems seen during one test, each described once."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        if line not in self.lines:
            self.lines.append(line)

    def report(self) -> str:
        return "\n".join(self.lines)


def path_of(page: Page) -> str:
    """Return the path of the page's address, without the live server's port."""
    return urlsplit(page.url).path


def slug(text: str) -> str:
    """Return `text` as a file-name part: lower case, dashes between words."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Journey:
    """The states a test passes through, photographed and checked by axe-core."""

    def __init__(self, page: Page, folder: Path, findings: Findings) -> None:
        self.page = page
        self.folder = folder
        self.findings = findings
        self.count = 0

    def check(self, state: str, page: Page | None = None) -> None:
        """Photograph this page state at both widths and run axe-core on it at each.

        `page` is another person's browser in a test with two; the test's own by default.
        """
        page = page or self.page
        page.wait_for_load_state()
        self.count += 1
        for viewport in WIDTHS:
            page.set_viewport_size(viewport)
            width = viewport["width"]
            path = self.folder / f"{self.count:02d}-{slug(state)}-{width}.png"
            page.screenshot(path=path, full_page=True)
            self._run_axe(page, f"{state} @{width}")
        page.set_viewport_size(DESKTOP)

    def _run_axe(self, page: Page, where: str) -> None:
        # axe-core is injected once per document (the second width reuses it): parsing its
        # half a megabyte of script twice per state is most of a check's time.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(_axe.axe_script)
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        reviews = [r for r in results["incomplete"] if r["id"] in REVIEW_AS_VIOLATION]
        for violation in results["violations"] + reviews:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"])
            self.findings.add(
                f"axe {violation['id']} ({violation['impact']}) on {path_of(page)} [{where}]:"
                f" {violation['help']}\n    targets: {targets}\n    {violation['helpUrl']}"
            )


# What a focused element looks like: its name, its ring, and the colour it is drawn on.
_FOCUS_SCRIPT = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  let behind = "rgb(255, 255, 255)";
  for (let node = el.parentElement; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour !== "transparent" && !/rgba\\(.*, 0\\)$/.test(colour)) { behind = colour; break; }
  }
  const name = (el.labels && el.labels.length ? el.labels[0].innerText : el.innerText)
    || el.getAttribute("aria-label") || el.getAttribute("name") || "";
  return {
    element: el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""),
    name: name.trim().slice(0, 60),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
    behind: behind,
  };
}"""


def _rgb(colour: str) -> tuple[float, float, float, float] | None:
    numbers = re.findall(r"[\d.]+", colour)
    if not colour.startswith("rgb") or len(numbers) < 3:
        return None
    alpha = float(numbers[3]) if len(numbers) > 3 else 1.0
    return float(numbers[0]), float(numbers[1]), float(numbers[2]), alpha


def _luminance(red: float, green: float, blue: float) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(foreground: str, background: str) -> float:
    """Return the WCAG contrast ratio of two CSS rgb()/rgba() colours (alpha over the back)."""
    front, back = _rgb(foreground), _rgb(background)
    if front is None or back is None:
        return 21.0  # a colour this cannot read (a keyword): do not guess a failure
    alpha = front[3]
    mixed = [alpha * f + (1 - alpha) * b for f, b in zip(front[:3], back[:3], strict=True)]
    lighter, darker = sorted((_luminance(*mixed), _luminance(*back[:3])), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def focus_problem(focus: dict | None) -> str | None:
    """Say what is wrong with the focus ring described by _FOCUS_SCRIPT, or None."""
    if focus is None:
        return "focus is on no element (the page body)"
    who = f"{focus['element']} ({focus['name']!r})"
    has_outline = focus["outlineStyle"] != "none" and focus["outlineWidth"] > 0
    has_shadow = focus["boxShadow"] not in ("none", "")
    if not has_outline and not has_shadow:
        return f"focus on {who} is not visible: no outline and no box-shadow"
    ring = focus["outlineColor"] if has_outline else focus["boxShadow"].split(")")[0] + ")"
    ratio = contrast(ring, focus["behind"])
    if ratio < FOCUS_CONTRAST:
        return (
            f"focus ring on {who} has {ratio:.2f}:1 contrast ({ring} on {focus['behind']});"
            f" it needs {FOCUS_CONTRAST:.0f}:1"
        )
    return None


class Keyboard:
    """A person with only a keyboard: Tab to move, typing, Enter; no pointer at all."""

    def __init__(self, page: Page, findings: Findings, max_tabs: int = 30) -> None:
        self.page = page
        self.findings = findings
        self.max_tabs = max_tabs

    def tab_to(self, target: Locator) -> None:
        """Press Tab until `target` has focus (it may have it already), checking each stop."""
        for _ in range(self.max_tabs + 1):
            if self.page.evaluate("() => document.activeElement !== document.body"):
                self._check_focus()
            if target.evaluate("el => el === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{self.max_tabs} presses of Tab never reached {target}")

    def fill(self, target: Locator, text: str) -> None:
        """Tab to a field and type into it."""
        self.tab_to(target)
        self.page.keyboard.type(text)

    def press(self, target: Locator, key: str = "Enter") -> None:
        """Tab to a control and press a key on it (Enter by default; Space ticks a box)."""
        self.tab_to(target)
        self.page.keyboard.press(key)

    def submit(self) -> None:
        """Press Enter where the focus is, as one does in the last field of a form."""
        self.page.keyboard.press("Enter")

    def check_focus(self) -> None:
        """Measure the focus ring where the focus is now (say, on a focused error summary)."""
        self._check_focus()

    def _check_focus(self) -> None:
        problem = focus_problem(self.page.evaluate(_FOCUS_SCRIPT))
        if problem:
            self.findings.add(f"focus: {problem} on {path_of(self.page)}")


def expect_error_summary(page: Page, *errors: str | re.Pattern) -> None:
    """Expect GOV.UK's error summary after a failed submit: shown, focused, naming each error.

    The page title starts with "Error:" too, so a screen reader says it before anything.
    """
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    for error in errors:
        expect(summary).to_contain_text(error)
    expect(page).to_have_title(re.compile(r"^Error: "))


def expect_field_error(field: Locator, error: str | re.Pattern) -> None:
    """Expect `error` on the field it belongs to: shown by it, and read as its description."""
    pattern = error if isinstance(error, re.Pattern) else re.compile(re.escape(error))
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(pattern)
    wrapper = field.locator("xpath=ancestor::*[contains(@class, 'field')][1]")
    expect(wrapper.locator(".field-errors")).to_contain_text(pattern)


def enter_code(field: Locator, code: str) -> None:
    """Type a 6-digit code as a person does: the form sends itself at the sixth digit.

    Waiting for that navigation keeps the next expectation off the page the code was on.
    """
    with field.page.expect_navigation():
        field.fill(code)
