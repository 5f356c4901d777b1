"""The compatibility gate (tools/compat.py, `make compat`) can fail, and says why.

`make compat` itself runs in `make test`; these check its judgement on made-up changes: the API
diff, the deprecation rule for model fields, and the allow-list (which must still fail on an
unlisted break).
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from rupt_api import models
from tests.tools import load_tool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compat() -> ModuleType:
    return load_tool("compat")


@pytest.fixture(scope="module")
def api(compat: ModuleType) -> dict[str, Any]:
    """The current build's public API, as the gate sees it."""
    snapshot: dict[str, Any] = compat.snapshot()
    return snapshot


def test_the_snapshot_holds_the_facade_the_models_and_the_test_kit(api: dict[str, Any]) -> None:
    calls = api["callables"]
    assert "evaluation_id" in calls["rupt_api.RuptAPI.get_evaluation"]
    assert "evaluation_id" in calls["rupt_api.AsyncRuptAPI.get_evaluation"]
    assert "rupt_api.testing.FakeRupt.add_evaluation" in calls
    evaluation = api["models"]["Evaluation"]
    assert evaluation["created_at"] == {"key": "createdAt", "deprecated": False}
    assert api["models"]["Risk"]["severity"]["key"] == "severity"


def test_the_snapshot_reads_every_field_of_every_model(api: dict[str, Any]) -> None:
    """The wire keys are read from each model's generated `from_dict`: whatever form the
    templates give a field's line there (`x: list[str] | Unset = d.pop(...)` for a list of plain
    values), every field is found, or the gate would report it removed."""
    for name in models.__all__:
        fields = {field.alias for field in attrs.fields(getattr(models, name)) if field.init}
        assert set(api["models"][name]) == fields, name


def test_an_unchanged_api_has_no_break(compat: ModuleType, api: dict[str, Any]) -> None:
    assert compat.diff(api, api) == ([], [])


def test_a_removed_model_field_is_a_break_unless_deprecated_for_a_release(
    compat: ModuleType, api: dict[str, Any]
) -> None:
    """Rupt dropped risk `category` once: a field that vanishes breaks callers' code."""
    old = copy.deepcopy(api)
    old["models"]["Risk"]["category"] = {"key": "category", "deprecated": False}
    breaks, _ = compat.diff(old, api)
    assert breaks == [
        "model: removed Risk.category (wire key 'category'); mark it `deprecated: true` in"
        " openapi.yaml for a release before removing it"
    ]
    old["models"]["Risk"]["category"]["deprecated"] = True  # the previous release deprecated it
    breaks, notes = compat.diff(old, api)
    assert breaks == []
    assert "model: removed Risk.category (deprecated for a release)" in notes


def test_a_wire_rename_is_a_break(compat: ModuleType, api: dict[str, Any]) -> None:
    """`createdAt` renamed `created_at` on the wire would make the old build read None."""
    new = copy.deepcopy(api)
    new["models"]["Evaluation"]["created_at"]["key"] = "created_at"
    breaks, _ = compat.diff(api, new)
    assert breaks == ["model: Evaluation.created_at reads wire key 'created_at', not 'createdAt'"]


def test_removed_and_newly_required_parameters_are_breaks(
    compat: ModuleType, api: dict[str, Any]
) -> None:
    new = copy.deepcopy(api)
    del new["callables"]["rupt_api.RuptAPI.get_challenge"]
    update = new["callables"]["rupt_api.AsyncRuptAPI.update_user"]
    del update["phone"]
    update["reason"] = {"kind": "KEYWORD_ONLY", "default": None, "required": True}
    new["callables"]["rupt_api.RuptAPI.close"]["flush"] = {
        "kind": "KEYWORD_ONLY",
        "default": "False",
        "required": False,
    }
    breaks, notes = compat.diff(api, new)
    assert breaks == [
        "api: removed rupt_api.RuptAPI.get_challenge",
        "api: removed parameter rupt_api.AsyncRuptAPI.update_user(phone)",
        "api: new required parameter rupt_api.AsyncRuptAPI.update_user(reason)",
    ]
    assert notes == ["api: added parameter rupt_api.RuptAPI.close(flush)"]


def test_the_allow_list_matches_only_what_it_names(compat: ModuleType, tmp_path: Path) -> None:
    listed = tmp_path / "allowed.toml"
    listed.write_text(
        '[[break]]\nids = ["test: tests.x::test_y[*]"]\nreason = "because"\nissue = 1\n',
        encoding="utf-8",
    )
    reasons = compat.allowed(listed)
    assert compat._reason("test: tests.x::test_y[sync-a]", reasons) == "because"
    assert compat._reason("test: tests.x::test_y_other[sync]", reasons) is None
    assert compat._reason("test: tests.x::test_z[sync]", reasons) is None


def test_every_allowed_break_says_why_and_which_issue(compat: ModuleType) -> None:
    entries = tomllib.loads(compat.ALLOWED.read_text(encoding="utf-8")).get("break", [])
    for entry in entries:
        assert entry["ids"], entry
        assert len(entry["reason"]) > 40, entry
        assert isinstance(entry["issue"], int), entry


def test_the_previous_release_is_exported_in_full(compat: ModuleType) -> None:
    release = compat._previous()
    for name in compat.TESTS:
        assert (release / name).is_file(), name
    for name in ("api.json", "pytest.ini", "mypy.ini", "mypy-baseline.txt"):
        assert (release / name).is_file(), name
    assert json.loads((release / "api.json").read_text("utf-8"))["models"]["Evaluation"]
