"""The main pages are valid HTML to the Nu HTML checker, with their errors and messages shown.

The checker is vnu.jar from the npm package `vnu-jar`, run with Java. `make test` installs
it into .tools/ when npm and java are on the machine (.ci/run makes sure they are); without
them the checker's test is skipped. The references check needs nothing but Python.
"""

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from tests.site.main_pages import Pages, main_pages

pytestmark = pytest.mark.django_db

VNU_JAR = Path(settings.BASE_DIR) / ".tools/node_modules/vnu-jar/build/dist/vnu.jar"
INSTALL = "`make test` installs it (npm install vnu-jar into .tools/) when npm and java exist"
JAVA = "Debian: apt-get install default-jre-headless; .ci/run installs it"
# Attributes that name other elements of the page by id; the checker does not follow them.
REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "for", "form", "list")


@pytest.fixture
def pages(outbox, smtp_server) -> Pages:
    return main_pages(smtp_server)


class References(HTMLParser):
    """The ids of a page and the ids its attributes point at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.pointers: list[tuple[str, str]] = []  # (attribute, id)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.add(value or "")
            elif name in REFERENCES:
                self.pointers += [(f"{tag} {name}", target) for target in (value or "").split()]


def test_what_the_main_pages_point_at_by_id_is_on_the_page(pages):
    dangling = []
    for name, html in pages.items():
        page = References(html)
        dangling += [
            f"{name}: {attr}={target}" for attr, target in page.pointers if target not in page.ids
        ]
    assert not dangling, "\n".join(dangling)


def nu_html_checker(files: list[Path]) -> list[str]:
    """Run vnu.jar once on all the files; return its errors, one readable line each."""
    run = subprocess.run(
        [
            shutil.which("java"),
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr  # 1: it found errors; anything else: it broke
    report = json.loads(run.stderr)
    return [
        f"{Path(message['url']).name}:{message.get('lastLine')}: {message['message']}\n"
        f"    {message.get('extract', '').strip()}"
        for message in report["messages"]
    ]


def test_the_main_pages_are_valid_html_to_the_nu_html_checker(request, tmp_path):
    if shutil.which("java") is None:
        pytest.skip(f"java is not installed, so the Nu HTML checker cannot run ({JAVA})")
    if not VNU_JAR.exists():
        pytest.skip(
            f"the Nu HTML checker ({VNU_JAR.relative_to(settings.BASE_DIR)}) is missing; {INSTALL}"
        )
    pages = request.getfixturevalue("pages")  # rendered only when the checker can read them
    files = []
    for name, html in pages.items():
        files.append(tmp_path / f"{name.replace(' ', '-').replace(',', '')}.html")
        files[-1].write_text(html, encoding="utf-8")

    errors = nu_html_checker(files)

    assert not errors, "The Nu HTML checker found:\n" + "\n".join(errors)
