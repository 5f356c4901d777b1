"""CONTRIBUTING.md's recipes name files that exist, and every place an operation lives.

"Add an endpoint" must name each file the coverage test (tests/spec/test_operations.py) reports
as missing, so the recipe and the registry's checks cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rupt_api import _config
from tests import operations
from tests.spec.test_operations import PIECE_FILES

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ("Add an endpoint", "A field changed", "Change the retry policy")
PATH = re.compile(r"`([\w.-]+(?:/[\w.<>*-]+)*\.(?:py|yaml|toml|md|patch|json)|[\w.-]+/)`")


def section(title: str) -> str:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match is not None, f'CONTRIBUTING.md has no "## {title}" section'
    return match.group(1)


@pytest.mark.parametrize("title", RECIPES)
def test_each_recipe_names_files_that_exist(title: str) -> None:
    paths = PATH.findall(section(title))
    assert len(paths) >= 4, paths
    for path in paths:
        if "<" in path or "*" in path:  # a pattern: its fixed folder must exist
            folder = ROOT / path.split("<")[0].split("*")[0]
            assert folder.parent.is_dir(), path
        else:
            assert (ROOT / path).exists(), f'CONTRIBUTING.md "{title}" names {path}, not found'


def test_add_an_endpoint_names_every_piece_the_coverage_test_checks() -> None:
    text = section("Add an endpoint")
    for path in (*PIECE_FILES, "openapi.yaml", "tests/operations.py"):
        assert f"`{path}`" in text, path
    for name in ("OPERATIONS", "ROUTES", "make generate", "make cassettes"):
        assert name in text, name


def test_a_field_changed_names_the_mirrors_that_read_the_spec() -> None:
    text = section("A field changed")
    for name in ("OBJECTS", "TIMESTAMP_KEYS"):
        assert name in text
        assert hasattr(operations, name), name
    assert "deprecated: true" in text
    assert "make compat" in text


def test_change_the_retry_policy_names_the_defaults() -> None:
    text = section("Change the retry policy")
    for name in re.findall(r"`(DEFAULT_\w+)`", text):
        assert hasattr(_config, name), name
    assert "`rupt_api/_retry.py`" in text
