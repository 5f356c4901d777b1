"""The pytest plugin: installed with the package, found by pytest with no conftest.

examples/app_tests/ is a project of its own (its own pytest.ini, no conftest.py) whose tests use
only the plugin's fixtures against the Django and aiohttp example apps; the README's testing
section shows its files. It runs here in a subprocess, as a user's `pytest` would run it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

from rupt_api import AsyncRuptAPI, RuptAPI
from rupt_api.testing import FakeRupt

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "examples" / "app_tests"
README = ROOT / "README.md"


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("rupt_api") == "rupt_api.testing.pytest_plugin"


def test_the_fixtures_are_wired_to_one_fake(
    rupt_fake: FakeRupt, rupt_client: RuptAPI, rupt_server: str
) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    assert rupt_client.get_evaluation(evaluation["id"]).id == evaluation["id"]
    assert rupt_server.startswith("http://127.0.0.1:")
    auth = {"Authorization": f"Bearer {rupt_fake.secret}"}
    answer = httpx.get(f"{rupt_server}/v3/evaluations/{evaluation['id']}", headers=auth)
    assert answer.json()["id"] == evaluation["id"]
    assert len(rupt_fake.requests) == 2


async def test_the_async_client_reaches_the_fake(
    rupt_fake: FakeRupt, rupt_async_client: AsyncRuptAPI
) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    assert (await rupt_async_client.consume_evaluation(evaluation["id"])).consumed


def test_each_test_gets_a_fresh_fake(rupt_fake: FakeRupt) -> None:
    assert rupt_fake.requests == []
    rupt_fake.evaluate()  # left behind on purpose: the next test must not see it


def test_each_test_gets_a_fresh_fake_again(rupt_fake: FakeRupt) -> None:
    assert rupt_fake.requests == []
    with pytest.raises(LookupError):
        rupt_fake.complete_challenge("x")


def test_a_project_with_no_conftest_uses_the_fixtures() -> None:
    assert not list(PROJECT.rglob("conftest.py"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = re.search(r"(\d+) passed", output)
    assert summary, output
    tests = sum(
        len(re.findall(r"^(?:async )?def test_", path.read_text(), re.MULTILINE))
        for path in PROJECT.glob("test_*.py")
    )
    assert int(summary.group(1)) == tests >= 10
    assert "skipped" not in output


def test_the_readme_shows_the_projects_files_as_they_are() -> None:
    blocks = re.findall(
        r"```python\n(# examples/app_tests/(\S+?\.py).*?)```", README.read_text(), re.S
    )
    shown = {name: text for text, name in blocks}
    assert {"test_django_view.py", "test_aiohttp_handler.py"} <= set(shown)
    for name, text in shown.items():
        assert (PROJECT / name).read_text() == text, f"README's {name} differs from the file"


def test_the_plugin_can_be_turned_off_by_name(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (tmp_path / "test_one.py").write_text("def test_one(rupt_fake):\n    assert rupt_fake\n")

    def pytest_in_project(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pytest", "-q", *args]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)

    on, off = pytest_in_project(), pytest_in_project("-p", "no:rupt_api")
    assert on.returncode == 0, on.stdout
    assert off.returncode == 1, off.stdout
    assert "fixture 'rupt_fake' not found" in off.stdout
