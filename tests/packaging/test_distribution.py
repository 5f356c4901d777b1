"""The wheel and the sdist, as a user receives them: built, inspected, installed, used.

Built once per run with the pinned build frontend and hatchling already in the dev environment
(`--no-isolation`: nothing is fetched to build). The wheel is then installed into a fresh virtual
environment holding nothing else, where the README's quick start runs against the stand-in.
"""

from __future__ import annotations

import email.parser
import json
import re
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest

import rupt_api

ROOT = Path(__file__).resolve().parents[2]
# Under pytest-xdist, on one worker: the wheel and the sdist are built once, not on each.
pytestmark = pytest.mark.xdist_group("dists")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = {"httpx", "attrs", "tenacity", "sniffio"}
# What httpx, attrs, tenacity and sniffio bring with them, on any Python the package supports.
RUNTIME_CLOSURE = RUNTIME | {
    "anyio", "certifi", "h11", "httpcore", "idna", "sniffio", "typing-extensions", "exceptiongroup",
}  # fmt: skip
# Never in a distribution: the tests, the tools and everything else only a maintainer needs.
MAINTAINER_ONLY = (
    "tests/",
    "tools/",
    "bench/",
    "examples/",
    "cassettes/",
    "docs/",
    ".ci/",
    ".venv/",
)


class Dists(NamedTuple):
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dists(wheel, sdist)


@pytest.fixture(scope="module")
def metadata(dists: Dists) -> email.message.Message:
    with zipfile.ZipFile(dists.wheel) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(wheel.read(name).decode())


def test_names_carry_the_version(dists: Dists) -> None:
    version = rupt_api.__version__
    assert dists.wheel.name == f"rupt_api-{version}-py3-none-any.whl"
    assert dists.sdist.name == f"rupt_api-{version}.tar.gz"


def test_metadata_is_complete(metadata: email.message.Message) -> None:
    assert metadata["Name"] == "rupt-api"
    assert metadata["Version"] == rupt_api.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["Summary"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "make demo" in metadata.get_payload()  # the README is the package's page
    classifiers = metadata.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert "License :: OSI Approved :: MIT License" not in classifiers  # License-Expression says it
    python = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert python in classifiers, "the Python running this test is not named by a classifier"
    for url in metadata.get_all("Project-URL"):
        label, _, address = url.partition(", ")
        parts = urlsplit(address)
        assert (parts.scheme, parts.hostname) == ("https", "rupt.dev"), f"{label}: not Rupt's site"


def test_only_the_runtime_dependencies_are_published(metadata: email.message.Message) -> None:
    requires = metadata.get_all("Requires-Dist")
    always = [r for r in requires if "extra ==" not in r]
    names = {re.split(r"[<>=!~; ]", r, maxsplit=1)[0] for r in always}
    assert names == RUNTIME
    # Extras are for users (an optional transport); the dev tools are a dependency group.
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert extras == set(PROJECT["project"].get("optional-dependencies", {}))
    assert not extras & {"dev", "test", "tests", "lint", "docs"}
    assert "dev" in PROJECT["dependency-groups"]


def test_the_wheel_holds_the_package_its_license_and_its_plugin(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = wheel.namelist()
        info = f"rupt_api-{rupt_api.__version__}.dist-info"
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        license_text = wheel.read(f"{info}/licenses/LICENSE").decode()
    assert "rupt_api/py.typed" in names
    assert "rupt_api/testing/pytest_plugin.py" in names
    assert "rupt_api/_generated/models/evaluation.py" in names
    assert license_text == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "[pytest11]\nrupt_api = rupt_api.testing.pytest_plugin" in entry_points
    tops = {name.split("/")[0] for name in names}
    assert tops == {"rupt_api", info}
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".orig", ".rej"))]


def test_the_sdist_holds_what_builds_the_wheel_and_nothing_of_the_maintainers(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        prefix = f"rupt_api-{rupt_api.__version__}/"
        names = [member.name.removeprefix(prefix) for member in sdist.getmembers()]
    for needed in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO"):
        assert needed in names
    assert "rupt_api/py.typed" in names
    assert "openapi.yaml" in names  # the source the generated client comes from
    leaked = [n for n in names if n.startswith(MAINTAINER_ONLY) or "__pycache__" in n]
    assert leaked == []


def test_the_wheel_installs_alone_and_runs_the_quick_start(dists: Dists, tmp_path: Path) -> None:
    """A fresh environment with the wheel and its runtime dependencies runs the quick start."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    result = subprocess.run(
        [*install, "--disable-pip-version-check", str(dists.wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    listed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "list", "--format=json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    installed = {item["name"].lower().replace("_", "-") for item in json.loads(listed.stdout)}
    assert "rupt-api" in installed
    assert installed >= RUNTIME
    assert installed - {"rupt-api"} <= RUNTIME_CLOSURE, "more than the runtime dependencies"

    # -I: isolated, so the checkout (cwd, PYTHONPATH) cannot stand in for the installed wheel.
    script = ROOT / "tests" / "packaging" / "run_quickstart.py"
    ran = subprocess.run(
        [str(python), "-I", str(script), str(ROOT / "README.md")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "quick start: " in ran.stdout
    assert f"from {env_dir}" in ran.stdout, ran.stdout  # the wheel's copy, not the checkout's
