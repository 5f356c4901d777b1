"""The import benchmark times rupt_api as installed: its bytecode compiled first, as pip does."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from bench import imports


def _bytecode(package: Path) -> dict[Path, Path]:
    return {
        module: Path(importlib.util.cache_from_source(str(module)))
        for module in sorted(package.rglob("*.py"))
    }


def test_compile_bytecode_writes_every_module_even_when_python_may_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of the package, so removing its bytecode first cannot disturb anyone else.
    package = tmp_path / "rupt_api"
    for module in _bytecode(imports.ROOT / "rupt_api"):
        target = package / module.relative_to(imports.ROOT / "rupt_api")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(module.read_bytes())
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # PYTHONDONTWRITEBYTECODE=1
    monkeypatch.setattr(imports, "ROOT", tmp_path)
    imports.compile_bytecode()
    missing = [str(m) for m, pyc in _bytecode(package).items() if not os.path.exists(pyc)]
    assert missing == []
    assert len(_bytecode(package)) > 40  # the facade and the generated client


def test_compile_bytecode_refuses_a_package_that_does_not_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "rupt_api"
    package.mkdir()
    (package / "broken.py").write_text("def (:\n", encoding="utf-8")
    monkeypatch.setattr(imports, "ROOT", tmp_path)
    with pytest.raises(RuntimeError, match="does not compile"):
        imports.compile_bytecode()
