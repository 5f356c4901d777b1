"""The wheel, the quick start and the facade and stand-in tests under every other CPython >= 3.11.

tools/pythons.py does the work (started in the background as soon as the tests are collected,
by _other_pythons.py); this test, moved to the end of the run, reports its outcome. The
classifiers of pyproject.toml name the Pythons tested here and the default one; the default runs
the whole suite.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from tests.tools import load_tool

from ._other_pythons import Outcome

ROOT = Path(__file__).resolve().parents[2]
CLASSIFIERS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["classifiers"]
NAMED = {c.rsplit(" :: ", 1)[1] for c in CLASSIFIERS if re.fullmatch(r".*Python :: 3\.\d+", c)}


def test_the_wheel_and_the_tests_under_every_other_python(other_pythons: Outcome) -> None:
    status, output = other_pythons.result(timeout=600)
    print(output)
    assert status == 0, output
    if "none found" in output:
        pytest.skip(output.strip().splitlines()[-1])
    tested = re.findall(
        r"^\[(3\.\d+)\] wheel installed; quick start: .*; tests: (\d+) passed", output, re.M
    )
    found = re.search(r"^other Pythons besides [\d.]+: (.*)$", output, re.M)
    assert found, output
    assert {version for version, _ in tested} == set(re.findall(r"(3\.\d+) \(", found.group(1)))
    assert all(int(count) >= 400 for _, count in tested), output
    untested_claims = (
        NAMED - {version for version, _ in tested} - {"{}.{}".format(*sys.version_info[:2])}
    )
    missing_claims = {version for version, _ in tested} - NAMED
    assert not missing_claims, f"tested but not named by a classifier: {sorted(missing_claims)}"
    if untested_claims:  # another machine may lack a Python: say so, do not fail
        print(f"classifiers name Pythons not found here: {sorted(untested_claims)}")


def test_the_classifiers_name_the_default_python() -> None:
    assert "{}.{}".format(*sys.version_info[:2]) in NAMED
    assert "Typing :: Typed" in CLASSIFIERS


def load_pythons() -> ModuleType:
    return load_tool("pythons")


def test_discovery_keeps_one_cpython_per_version_and_skips_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pythons = load_pythons()
    default = "{}.{}".format(*sys.version_info[:2])
    # A fake pyenv root: the running interpreter under its own version and under "3.99", twice.
    for version in (default, "3.99", "3.99"):
        folder = tmp_path / "versions" / f"{version}.{len(list(tmp_path.rglob('*')))}" / "bin"
        folder.mkdir(parents=True)
        (folder / f"python{version}").symlink_to(sys.executable)
    (tmp_path / "versions" / "broken" / "bin").mkdir(parents=True)
    (tmp_path / "versions" / "broken" / "bin" / "python3.98").write_text("#!/bin/false\n")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(pythons, "version_of", lambda path: (3, 99) if "3.99" in path else None)
    found = pythons.find()
    assert list(found) == [(3, 99)]
    assert "3.99" in found[3, 99]

    monkeypatch.setattr(pythons, "find", dict)
    assert pythons.main([]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"other Pythons: none found besides {default} (looked on PATH")
    assert f"{tmp_path}/versions/*/bin" in printed
    assert printed.rstrip().endswith("skipped")
