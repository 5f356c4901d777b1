"""Regenerate the low-level client from openapi.yaml, or check that the committed copy is current.

    python tools/codegen.py generate         # rewrite rupt_api/_generated/ from the spec
    python tools/codegen.py check            # regenerate into a temporary directory; diff
    python tools/codegen.py templates DIR    # write the patched templates to DIR (to edit a patch)

Both run the openapi-python-client and ruff pinned in pyproject.toml, from the same environment as
this interpreter: the generator finds its formatting hooks on PATH only, and a missing hook would
otherwise leave unformatted (and so different) output behind with exit code 0. Both check first
that the installed versions are the pinned ones: another generator renders the template patches
differently, or not at all.

Templates: templates/**/*.patch are unified diffs against the pinned generator's own templates
(inside the installed openapi_python_client package), each starting with why it exists. They are
applied into a temporary directory given to the generator as `--custom-template-path`; a hunk
that no longer applies stops generation with its file and line. Beside the generated code,
PROVENANCE.json records the versions and the hashes of every input (see `provenance`).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "rupt_api" / "_generated"
PACKAGE = "_generated"
PATCHES = ROOT / "templates"
STAMP = "PROVENANCE.json"
# The tools whose versions change the output: the generator, and ruff (its formatting hooks).
TOOLS = {"openapi-python-client": "generator", "ruff": "ruff"}
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class CodegenError(Exception):
    """A problem with the generator's inputs or tools, worded for the maintainer."""


# -- versions --------------------------------------------------------------------------------------


def pinned_versions() -> dict[str, str]:
    """The versions of the generator and ruff that pyproject.toml pins (`name==version`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # The dev tools: a PEP 735 dependency group, or (older layout) an optional dependency.
    dev = project.get("dependency-groups", {}).get("dev") or project.get("project", {}).get(
        "optional-dependencies", {}
    ).get("dev", [])
    pins = {}
    for requirement in dev:
        if not isinstance(requirement, str):  # {include-group = ...}
            continue
        name, _, version = requirement.partition("==")
        if name in TOOLS:
            pins[name] = version
    return pins


def check_versions(installed: dict[str, str] | None = None) -> None:
    """Refuse to generate with another generator or ruff than the pinned ones, saying which."""
    if installed is None:
        installed = {}
        for name in TOOLS:
            try:
                installed[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                installed[name] = "none"
    wrong = [
        f"{TOOLS[name]} {name} {version} expected, {installed.get(name, 'none')} installed"
        for name, version in pinned_versions().items()
        if installed.get(name) != version
    ]
    if wrong:
        raise CodegenError(
            "codegen: "
            + "; ".join(wrong)
            + ". pyproject.toml pins them because their output (and the template patches) differ"
            " between versions: run `make install`, or to move to a new version, change the pin and"
            ' update templates/*.patch (CONTRIBUTING.md, "Templates, generator upgrades, private'
            ' names").'
        )


# -- template patches ------------------------------------------------------------------------------


def upstream_templates() -> Path:
    """The installed generator's own templates (what the patches apply to)."""
    import openapi_python_client

    return Path(openapi_python_client.__file__).parent / "templates"


def apply_patch(original: str, patch: str, where: str) -> str:
    """`original` with the unified diff `patch` applied; every hunk must match exactly.

    A hunk is looked for at its line number first and then anywhere in the file (upstream may
    have added lines above it), but its context and removed lines must be found unchanged, once.
    """
    lines = original.splitlines()
    patch_lines = patch.splitlines()
    starts = [i for i, line in enumerate(patch_lines) if _HUNK.match(line)]
    if not starts:
        raise CodegenError(f"codegen: {where} holds no hunk (`@@ -a,b +c,d @@`)")
    shift = 0
    for number, start in enumerate(starts, 1):
        end = starts[number] if number < len(starts) else len(patch_lines)
        body = [line for line in patch_lines[start + 1 : end] if not line.startswith("\\")]
        old = [line[1:] for line in body if line[:1] in (" ", "-")]
        new = [line[1:] for line in body if line[:1] in (" ", "+")]
        match = _HUNK.match(patch_lines[start])
        assert match is not None
        expected = int(match[1]) - 1 + shift if old else int(match[1]) + shift
        at = _find(lines, old, expected)
        if at is None:
            shown = "\n".join(f"    {line}" for line in old)
            raise CodegenError(
                f"codegen: hunk {number} of {where} ({patch_lines[start]}) no longer applies to"
                f" the installed generator's template; these lines were not found (once):\n{shown}"
            )
        lines[at : at + len(old)] = new
        shift += len(new) - len(old)
    return "\n".join(lines) + "\n"


def _find(lines: list[str], block: list[str], expected: int) -> int | None:
    if lines[expected : expected + len(block)] == block:
        return expected
    found = [i for i in range(len(lines) - len(block) + 1) if lines[i : i + len(block)] == block]
    return found[0] if len(found) == 1 else None


def patch_files() -> list[Path]:
    return sorted(PATCHES.rglob("*.patch"))


def render_templates(destination: Path) -> None:
    """Write each patched template (upstream + its patch) to `destination`, keeping its path."""
    upstream = upstream_templates()
    for patch in patch_files():
        name = patch.relative_to(PATCHES).as_posix().removesuffix(".patch")
        source = upstream / name
        where = f"templates/{name}.patch"
        if not source.is_file():
            raise CodegenError(f"codegen: {where} patches {name}, which the generator lacks")
        text = apply_patch(source.read_text(encoding="utf-8"), patch.read_text("utf-8"), where)
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


# -- provenance ------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance(spec: Path, templates: Path) -> str:
    """PROVENANCE.json: what produced the generated code (tool versions, hashes of the inputs).

    `make check-generated` regenerates and compares this file too, so a changed input, patch or
    tool version without `make generate` fails like a changed file would.
    """
    inputs = {
        "openapi.yaml": _sha256(spec),
        "generator-config.yaml": _sha256(ROOT / "generator-config.yaml"),
    }
    for patch in patch_files():
        inputs[f"templates/{patch.relative_to(PATCHES).as_posix()}"] = _sha256(patch)
    rendered = {
        path.relative_to(templates).as_posix(): _sha256(path)
        for path in sorted(templates.rglob("*"))
        if path.is_file()
    }
    stamp = {
        "comment": "Written by tools/codegen.py (`make generate`); never edit by hand.",
        "tools": {name: importlib.metadata.version(name) for name in TOOLS},
        "inputs": inputs,
        "patched_templates": rendered,
    }
    return json.dumps(stamp, indent=2, sort_keys=True) + "\n"


def _run_generator(out_parent: Path, spec: Path = ROOT / "openapi.yaml") -> Path:
    """Generate the package into ``out_parent/_generated`` and return that path.

    ``spec`` is the OpenAPI document to generate from (the tests pass a modified copy); the
    generator config and templates always come from the repository.
    """
    check_versions()
    bin_dir = Path(sys.executable).parent
    generator = bin_dir / "openapi-python-client"
    if not generator.exists() or not (bin_dir / "ruff").exists():
        sys.exit(
            f"codegen: openapi-python-client and ruff must be installed beside {sys.executable}"
        )
    out = out_parent / PACKAGE
    templates = out_parent / "templates"
    render_templates(templates)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        str(generator),
        "generate",
        "--path", str(spec),
        "--config", "generator-config.yaml",
        "--custom-template-path", str(templates),
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
    (out / STAMP).write_text(provenance(spec, templates), encoding="utf-8")
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
    try:
        if argv == ["generate"]:
            generate()
            return 0
        if argv == ["check"]:
            return check()
        if len(argv) == 2 and argv[0] == "templates":
            check_versions()
            render_templates(Path(argv[1]))
            print(f"codegen: patched templates written to {argv[1]}")
            return 0
    except CodegenError as error:
        print(error, file=sys.stderr)
        return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
