"""Regenerate the low-level client from openapi.yaml, or check that the committed copy is current.

    python tools/codegen.py generate   # rewrite rupt_api/_generated/ from the spec
    python tools/codegen.py check      # regenerate into a temporary directory; fail with a diff

Both run the openapi-python-client and ruff pinned in pyproject.toml, from the same environment as
this interpreter: the generator finds its formatting hooks on PATH only, and a missing hook would
otherwise leave unformatted (and so different) output behind with exit code 0.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "rupt_api" / "_generated"
PACKAGE = "_generated"


def _run_generator(out_parent: Path, spec: Path = ROOT / "openapi.yaml") -> Path:
    """Generate the package into ``out_parent/_generated`` and return that path.

    ``spec`` is the OpenAPI document to generate from (the tests pass a modified copy); the
    generator config and templates always come from the repository.
    """
    bin_dir = Path(sys.executable).parent
    generator = bin_dir / "openapi-python-client"
    if not generator.exists() or not (bin_dir / "ruff").exists():
        sys.exit(
            f"codegen: openapi-python-client and ruff must be installed beside {sys.executable}"
        )
    out = out_parent / PACKAGE
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        str(generator),
        "generate",
        "--path", str(spec),
        "--config", "generator-config.yaml",
        "--custom-template-path", "templates",
        "--meta", "none",
        "--output-path", str(out),
        "--overwrite",
        "--fail-on-warning",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    # A failing hook exits 1 but leaves files behind, and some problems only print: treat any
    # non-zero exit as fatal and show everything the generator said.
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"codegen: openapi-python-client failed (exit {result.returncode})")
    return out


def _files(tree: Path) -> dict[str, str]:
    return {
        path.relative_to(tree).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(tree.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def diff_trees(committed: Path, fresh: Path) -> list[str]:
    """Unified diff lines between two generated trees (empty when they are identical)."""
    old, new = _files(committed) if committed.exists() else {}, _files(fresh)
    lines: list[str] = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name, ""), new.get(name, "")
        if a != b:
            lines.extend(
                difflib.unified_diff(
                    a.splitlines(keepends=True),
                    b.splitlines(keepends=True),
                    fromfile=f"committed/{name}" if name in old else "/dev/null",
                    tofile=f"generated/{name}" if name in new else "/dev/null",
                )
            )
    return lines


def generate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = _run_generator(Path(tmp))
        # Replace the whole tree: --overwrite alone would leave files of removed models behind.
        shutil.rmtree(TARGET, ignore_errors=True)
        shutil.copytree(fresh, TARGET)
    print(f"codegen: regenerated {TARGET.relative_to(ROOT)}/ from openapi.yaml")


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = _run_generator(Path(tmp))
        lines = diff_trees(TARGET, fresh)
    if lines:
        sys.stdout.writelines(lines)
        print(
            "\ncodegen: rupt_api/_generated/ differs from what openapi.yaml, generator-config.yaml"
            " and templates/ produce. Run `make generate` and commit the result;"
            " never edit generated code by hand."
        )
        return 1
    print("codegen: rupt_api/_generated/ is up to date")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["generate"]:
        generate()
        return 0
    if argv == ["check"]:
        return check()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
