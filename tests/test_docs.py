"""The documents a reader meets: every link resolves inside the repository or is a public page.

README.md is the user's page (install, the two commands, the guide); CONTRIBUTING.md and docs/
hold the maintainer material. A link to a file that moved, or to something outside the checkout
(the team's notes beside it, say), breaks here rather than for the reader.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "CHANGELOG.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "examples").glob("*/README.md"),
    ]
)
# [text](target) and bare <https://...>; fenced code is left out (it is shell or Python, not links).
LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>")
FENCE = re.compile(r"```.*?```", re.DOTALL)


def links(document: Path) -> list[str]:
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    return [a or b for a, b in LINK.findall(text)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_stays_in_the_repository_or_is_public(document: Path) -> None:
    for target in links(document):
        parts = urlsplit(target)
        if parts.scheme:
            assert parts.scheme == "https", f"{document.name}: {target} is not a public https page"
            assert parts.hostname, target
            assert "." in parts.hostname, target
            assert parts.hostname not in {"localhost", "127.0.0.1"}, target
            continue
        if not parts.path:  # an anchor in the same page
            continue
        resolved = (document.parent / parts.path).resolve()
        assert resolved.is_relative_to(ROOT), f"{document.name}: {target} leaves the repository"
        assert resolved.exists(), f"{document.name}: {target} does not exist"


def test_the_readme_anchors_point_at_its_headings() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    slugs = {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", FENCE.sub("", text), re.MULTILINE)
    }
    anchors = [t[1:] for t in links(ROOT / "README.md") if t.startswith("#")]
    assert anchors, "the README links its own sections"
    for anchor in anchors:
        assert anchor in slugs, f"README link #{anchor} names no heading"


def test_the_readme_is_the_users_page() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", FENCE.sub("", text), re.MULTILINE)
    for section in ("Install", "Quick start", "Errors", "Testing your integration"):
        assert section in headings
    # The two commands to try it and to test it from a checkout.
    assert "make demo" in text
    assert "make test" in text
    # The package is not published: the install instructions work from a checkout.
    assert "pip install rupt-api" not in text
    assert "make dist" in text
    # Maintainer material lives in CONTRIBUTING.md and docs/.
    assert "make generate" not in text
    assert "CONTRIBUTING.md" in text


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == ["make test"]
