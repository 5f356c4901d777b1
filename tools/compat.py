"""The compatibility gate: the previous release's tests and public API against the current build.

    python tools/compat.py check                  # `make compat`: the gate
    python tools/compat.py snapshot               # print the current build's public API (JSON)
    python tools/compat.py export REF VERSION     # at a release: freeze REF's tests and API

The previous release lives in compat/<version>/ (the newest folder there): a copy of that
release's fast tests (`TESTS` below) and `api.json`, its public API. They are exported into the
repository at release time rather than read from git, so the gate works in a shallow clone with
no tags (CI's). `check`:

1. runs those old tests against the current build (their own `tests` package, in a subprocess
   whose working directory is the release's folder) and type-checks them with mypy;
2. prints the public API diff: methods, parameters and model fields added, removed or changed;
3. fails on every break (a failing old test, a mypy error, a removed or changed method or
   parameter, a new required parameter, a removed model field) that compat/allowed-breaks.toml
   does not list with its reason. A model field whose wire key the previous release's spec
   already marked `deprecated: true` may be removed: that is the deprecation period.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMPAT = ROOT / "compat"
ALLOWED = COMPAT / "allowed-breaks.toml"
# The old tests the gate runs: the facade's own behaviour, the models and the stand-in, the
# public API users write code against (about 20 s on two cores). The slow reliability suites
# stay out: they test this build's internals, not a promise to callers.
TESTS = (
    "tests/__init__.py",
    "tests/payloads.py",
    "tests/facade/__init__.py",
    "tests/facade/conftest.py",
    "tests/facade/test_calls.py",
    "tests/facade/test_retries.py",
    "tests/facade/test_verify_challenge.py",
    "tests/spec/__init__.py",
    "tests/spec/test_models.py",
    "tests/testing/conftest.py",
    "tests/testing/test_fake_rupt_endpoints.py",
)
# Where the public API lives: the package's and the test kit's exports.
MODULES = ("rupt_api", "rupt_api.testing")


# -- the public API --------------------------------------------------------------------------------


def _parameters(function: Any) -> dict[str, dict[str, Any]]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return {}
    found = {}
    for name, parameter in signature.parameters.items():
        if name in ("self", "cls"):
            continue
        found[name] = {
            "kind": parameter.kind.name,
            "default": None if parameter.default is parameter.empty else repr(parameter.default),
            "required": parameter.default is parameter.empty
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD),
        }
    return found


def _wire_keys(model: type) -> dict[str, str]:
    """{wire key: attribute} of a generated model, read from its `from_dict` (`x = d.pop("key"`,
    `x: list[str] | Unset = d.pop("key"`, or as older releases wrote it, `x = cast(..., d.pop(`)."""
    source = inspect.getsource(model.from_dict)  # type: ignore[attr-defined]
    pairs = re.findall(r"(\w+)(?:: [^=\n]+)? = (?:cast\([^,]+, )?d\.pop\(\"([^\"]+)\"", source)
    return {key: target.lstrip("_") for target, key in pairs}


def _deprecated_keys(spec: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        for key, prop in schema.get("properties", {}).items():
            if isinstance(prop, dict) and prop.get("deprecated") is True:
                found.setdefault(name, set()).add(key)
    return found


def snapshot(spec_path: Path = ROOT / "openapi.yaml") -> dict[str, Any]:
    """The public API of the importable `rupt_api`: callables with their parameters, models with
    their fields (attribute, wire key, and whether the spec marks the key deprecated)."""
    import yaml  # type: ignore[import-untyped]  # (pyyaml comes with the generator, untyped)

    deprecated = _deprecated_keys(yaml.safe_load(spec_path.read_text(encoding="utf-8")))
    callables: dict[str, Any] = {}
    models_api: dict[str, Any] = {}
    models = importlib.import_module("rupt_api.models")
    model_names = set(models.__all__)
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            qualified = f"{module_name}.{name}"
            if name in model_names or not inspect.isclass(value):
                if callable(value) and not inspect.isclass(value):
                    callables[qualified] = _parameters(value)
                continue
            callables[qualified] = _parameters(value)
            for member, attribute in inspect.getmembers(value):
                inherited = member in dir(Exception) and issubclass(value, BaseException)
                if member.startswith("_") or inherited:
                    continue
                kind = "property" if isinstance(attribute, property) else "method"
                if not callable(attribute) and kind != "property":
                    continue
                entry = {} if kind == "property" else _parameters(attribute)
                callables[f"{qualified}.{member}"] = entry
    for name in sorted(model_names):
        model = getattr(models, name)
        fields = {}
        for key, attribute in _wire_keys(model).items():
            fields[attribute] = {"key": key, "deprecated": key in deprecated.get(name, set())}
        models_api[name] = fields
    return {"callables": callables, "models": models_api}


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(breaks, other changes) from API `old` to API `new`; each a line the gate prints."""
    breaks: list[str] = []
    notes: list[str] = []
    _diff_callables(old["callables"], new["callables"], breaks, notes)
    _diff_models(old["models"], new["models"], breaks, notes)
    return breaks, notes


def _diff_callables(
    old_calls: dict[str, Any], new_calls: dict[str, Any], breaks: list[str], notes: list[str]
) -> None:
    for name in sorted(old_calls.keys() - new_calls.keys()):
        breaks.append(f"api: removed {name}")
    for name in sorted(new_calls.keys() - old_calls.keys()):
        notes.append(f"api: added {name}")
    for name in sorted(old_calls.keys() & new_calls.keys()):
        before, after = old_calls[name], new_calls[name]
        for parameter in before.keys() - after.keys():
            breaks.append(f"api: removed parameter {name}({parameter})")
        for parameter in sorted(after.keys() - before.keys()):
            if after[parameter]["required"]:
                breaks.append(f"api: new required parameter {name}({parameter})")
            else:
                notes.append(f"api: added parameter {name}({parameter})")
        for parameter in sorted(before.keys() & after.keys()):
            was, now = before[parameter], after[parameter]
            if was["kind"] != now["kind"]:
                change = f"changed from {was['kind']} to {now['kind']}"
                breaks.append(f"api: parameter {name}({parameter}) {change}")
            if now["required"] and not was["required"]:
                breaks.append(f"api: parameter {name}({parameter}) became required")
            elif was["required"] and not now["required"]:
                notes.append(f"api: parameter {name}({parameter}) became optional")
            elif was["default"] != now["default"]:
                notes.append(
                    f"api: default of {name}({parameter}) changed from {was['default']} to"
                    f" {now['default']}"
                )


def _diff_models(
    old_models: dict[str, Any], new_models: dict[str, Any], breaks: list[str], notes: list[str]
) -> None:
    for model in sorted(old_models.keys() - new_models.keys()):
        breaks.append(f"model: removed {model}")
    for model in sorted(new_models.keys() - old_models.keys()):
        notes.append(f"model: added {model}")
    for model in sorted(old_models.keys() & new_models.keys()):
        before, after = old_models[model], new_models[model]
        for attribute in sorted(before.keys() - after.keys()):
            key = before[attribute]["key"]
            if before[attribute]["deprecated"]:
                notes.append(f"model: removed {model}.{attribute} (deprecated for a release)")
            else:
                breaks.append(
                    f"model: removed {model}.{attribute} (wire key {key!r}); mark it"
                    " `deprecated: true` in openapi.yaml for a release before removing it"
                )
        for attribute in sorted(after.keys() - before.keys()):
            notes.append(f"model: added {model}.{attribute}")
        for attribute in sorted(before.keys() & after.keys()):
            was, now = before[attribute]["key"], after[attribute]["key"]
            if was != now:
                breaks.append(f"model: {model}.{attribute} reads wire key {now!r}, not {was!r}")
            if after[attribute]["deprecated"] and not before[attribute]["deprecated"]:
                notes.append(f"model: {model}.{attribute} is now deprecated")


# -- the old tests ---------------------------------------------------------------------------------


def _previous() -> Path:
    releases = sorted(
        (p for p in COMPAT.iterdir() if p.is_dir() and re.fullmatch(r"v\d+\.\d+\.\d+", p.name)),
        key=lambda p: tuple(int(n) for n in p.name[1:].split(".")),
    )
    if not releases:
        sys.exit("compat: no previous release under compat/ (see CONTRIBUTING.md, Releasing)")
    return releases[-1]


def run_old_tests(release: Path) -> tuple[list[str], str]:
    """(failing test ids, summary line) of the release's tests against the current build."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        command = [
            sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider",
            "-p", "no:randomly", f"--junitxml={report}", "-c", str(release / "pytest.ini"),
            "--rootdir", str(release),
        ]  # fmt: skip
        result = subprocess.run(
            command, cwd=release, env=env, capture_output=True, text=True, check=False
        )
        if not report.exists():
            sys.stderr.write(result.stdout + result.stderr)
            sys.exit("compat: the previous release's tests did not run")
        failing = []
        # The report is our own pytest's, written a moment ago: not untrusted input.
        for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
            if case.find("failure") is not None or case.find("error") is not None:
                failing.append(f"test: {case.get('classname')}::{case.get('name')}")
    lines = result.stdout.strip().splitlines()
    return failing, lines[-1] if lines else ""


def run_mypy(release: Path, where: Path | None = None) -> list[str]:
    """mypy's errors on the release's tests, type-checked against the build importable from
    `where` (the current one by default), minus those the release already had (its baseline)."""
    config = release / "mypy.ini"
    command = [
        sys.executable, "-m", "mypy", *TESTS, "--config-file", str(config),
        "--no-incremental", "--cache-dir", os.devnull,
    ]  # fmt: skip
    cwd = where or release
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    # Line numbers stay out of the ids: the files are frozen, but ids should survive a re-export.
    found = ["mypy: " + re.sub(r":\d+(:\d+)?: error:", ":", line) for line in errors]
    baseline = release / "mypy-baseline.txt"
    if where is not None or not baseline.exists():
        return found
    known = set(baseline.read_text(encoding="utf-8").splitlines())
    return [error for error in found if error not in known]


def allowed(path: Path = ALLOWED) -> dict[str, str]:
    """{break id or pattern: reason} from compat/allowed-breaks.toml (`*` matches any text)."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        pattern: entry["reason"] for entry in document.get("break", []) for pattern in entry["ids"]
    }


def _matches(item: str, pattern: str) -> bool:
    """Whether `item` is `pattern`, where only `*` is special (ids hold `[`, `?`, ...)."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), item) is not None


def _reason(item: str, reasons: dict[str, str]) -> str | None:
    return next((why for pattern, why in reasons.items() if _matches(item, pattern)), None)


def check() -> int:
    release = _previous()
    print(f"compat: the current build against {release.name}'s tests and API")
    failing, summary = run_old_tests(release)
    print(f"compat: {release.name}'s tests: {summary}")
    typing_errors = run_mypy(release)
    print(f"compat: mypy on {release.name}'s tests: {len(typing_errors)} error(s)")
    old_api = json.loads((release / "api.json").read_text(encoding="utf-8"))
    api_breaks, notes = diff(old_api, snapshot())
    print(f"compat: public API diff against {release.name}:")
    for line in [*api_breaks, *notes] or ["(no change)"]:
        print(f"  {line}")
    reasons = allowed()
    breaks = [*failing, *typing_errors, *api_breaks]
    unlisted = [b for b in breaks if _reason(b, reasons) is None]
    for pattern, reason in reasons.items():
        count = sum(_matches(item, pattern) for item in breaks)
        if count:
            print(f"compat: allowed ({count}): {pattern}\n    why: {reason.splitlines()[0]}")
    for pattern in sorted(reasons):
        if not any(_matches(item, pattern) for item in breaks):
            print(
                f"compat: listed in allowed-breaks.toml, no longer breaking (remove it): {pattern}"
            )
    if unlisted:
        print(f"\ncompat: {len(unlisted)} break(s) of {release.name} not in {ALLOWED.name}:")
        for item in unlisted:
            print(f"  {item}")
        print(
            "Fix the break, or if it is intentional, add it to compat/allowed-breaks.toml with"
            ' the reason (reviewed like code; CONTRIBUTING.md, "The compatibility gate").'
        )
        return 1
    print(f"compat: OK ({len(breaks)} allowed break(s), {len(notes)} other change(s))")
    return 0


# -- export at release time ------------------------------------------------------------------------


def export(ref: str, version: str) -> None:
    """Freeze `ref`'s fast tests and public API into compat/<version>/ (run at each release)."""
    target = COMPAT / version
    target.mkdir(parents=True, exist_ok=False)
    for name in TESTS:
        text = subprocess.run(
            ["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text, encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        # The old build's API, imported from the old tree (not the installed current one).
        code = (
            "import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
            " import compat_tool; print(json.dumps(compat_tool.snapshot("
            "compat_tool.Path(sys.argv[1]) / 'openapi.yaml'), indent=2, sort_keys=True))"
        )
        shim = Path(tmp) / "_shim"
        shim.mkdir()
        (shim / "compat_tool.py").write_text(Path(__file__).read_text(encoding="utf-8"))
        api = subprocess.run(
            [sys.executable, "-c", code, tmp, str(shim)],
            capture_output=True, text=True, check=True, cwd=tmp,
        ).stdout  # fmt: skip
        (target / "api.json").write_text(api, encoding="utf-8")
        _write_configs(target)
        # The type errors the old tests had against their own build: only new ones are breaks.
        baseline = run_mypy(target, where=Path(tmp))
        (target / "mypy-baseline.txt").write_text("".join(f"{e}\n" for e in baseline), "utf-8")
    print(f"compat: exported {ref}'s tests and API to {target.relative_to(ROOT)}/")


def _write_configs(target: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = project["tool"]["pytest"]["ini_options"]
    ini = ["[pytest]"]
    for key, value in pytest_options.items():
        if key == "testpaths":
            continue
        if isinstance(value, list):
            ini.append(f"{key} =" + "".join(f"\n    {item}" for item in value))
        else:
            ini.append(f"{key} = {value}")
    (target / "pytest.ini").write_text("\n".join(ini) + "\n", encoding="utf-8")
    (target / "mypy.ini").write_text(
        "[mypy]\npython_version = 3.11\ncheck_untyped_defs = true\n"
        "[mypy-rupt_api._generated.*]\nfollow_imports = silent\n"
        "[mypy-vcr.*]\nignore_missing_imports = true\n",
        encoding="utf-8",
    )


def main(argv: list[str]) -> int:
    if argv == ["check"]:
        return check()
    if argv == ["snapshot"]:
        print(json.dumps(snapshot(), indent=2, sort_keys=True))
        return 0
    if len(argv) == 3 and argv[0] == "export":
        export(argv[1], argv[2])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
