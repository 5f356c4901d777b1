"""Test the wheel under every other CPython >= 3.11 this machine has, side by side.

    python tools/pythons.py            # find, then test each; exit 1 if one fails
    python tools/pythons.py --list     # only say which Pythons were found, and where it looked

For each CPython found besides the one running this script (the default, which runs the whole
suite): a fresh virtual environment gets the wheel built from this checkout, with its `aiohttp`
extra (the facade tests cover that transport), and the `test` dependency group only; there the
README's quick start runs against the stand-in (tests/packaging/run_quickstart.py), then the
facade and stand-in tests (tests/facade, tests/testing). The Pythons run side by side, in the
background of the main suite: each run mostly waits on sockets and timers (about a third of a
core), so one after the other would only add their waits up.

Interpreters are found without a fixed path: `python3.X` on PATH (a pyenv shim that is not
active answers with an error and is passed over), then the versions under `pyenv root` (or
~/.pyenv), then /usr/local/bin and /usr/bin. `make test` runs this beside the main suite
(tests/packaging/test_other_pythons.py); with none found it prints why and the test is skipped.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLDEST = (3, 11)
NEWEST_MINOR = 40  # how far `python3.X` on PATH is looked for
# The facade and the stand-in: what differs between Pythons (asyncio, threads, sockets, typing).
# Left to the default Python: the command line's tests (subprocesses of the same code, slow) and
# the project test_pytest_plugin runs (it needs Django).
TESTS = ["tests/facade", "tests/testing"]
IGNORE = ["tests/testing/test_fake_rupt_cli.py", "tests/testing/test_fake_rupt_control.py"]
DESELECT = [
    "tests/testing/test_pytest_plugin.py::test_a_project_with_no_conftest_uses_the_fixtures"
]
PER_PYTHON_TIMEOUT = 420  # seconds; a hang fails that Python instead of the run
INTERPRETER = re.compile(r"python3\.\d+$")
PROBE = "import platform, sys; print(platform.python_implementation(), *sys.version_info[:2])"


def places() -> list[str]:
    """Where interpreters are looked for, in order (for the "none found" message too)."""
    looked = ["PATH (python3.X)"]
    root = pyenv_root()
    if root is not None:
        looked.append(f"{root}/versions/*/bin")
    looked += ["/usr/local/bin", "/usr/bin"]
    return looked


def pyenv_root() -> Path | None:
    """pyenv's root: $PYENV_ROOT, `pyenv root`, or ~/.pyenv; None when there is none."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        answer = subprocess.run(
            [pyenv, "root"], capture_output=True, text=True, timeout=10, check=False
        )
        if answer.returncode == 0 and answer.stdout.strip():
            return Path(answer.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def candidates() -> Iterator[str]:
    """Executables that may be CPython 3.11+, most specific first; duplicates are fine."""
    for minor in range(OLDEST[1], NEWEST_MINOR + 1):
        found = shutil.which(f"python3.{minor}")
        if found is not None:
            yield found
    root = pyenv_root()
    directories = sorted(root.glob("versions/*/bin")) if root is not None else []
    for directory in [*directories, Path("/usr/local/bin"), Path("/usr/bin")]:
        for path in sorted(directory.glob("python3.*")):
            if INTERPRETER.match(path.name):
                yield str(path)


def version_of(executable: str) -> tuple[int, int] | None:
    """(major, minor) of a working CPython at `executable`, else None."""
    try:
        answer = subprocess.run(
            [executable, "-c", PROBE], capture_output=True, text=True, timeout=20, check=False
        )
    except OSError:
        return None
    words = answer.stdout.split()
    if answer.returncode != 0 or len(words) != 3 or words[0] != "CPython":
        return None
    return int(words[1]), int(words[2])


def find() -> dict[tuple[int, int], str]:
    """One interpreter per CPython version >= 3.11 other than the running one."""
    found: dict[tuple[int, int], str] = {}
    default = sys.version_info[:2]
    for executable in candidates():
        version = version_of(executable)
        if version is None or version < OLDEST or version == default or version in found:
            continue
        found[version] = executable
    return dict(sorted(found.items()))


def build_wheel(out: Path) -> Path:
    """The wheel of this checkout, built offline with the running environment's hatchling."""
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    subprocess.run([*command, str(ROOT)], check=True, capture_output=True, text=True, timeout=120)
    (wheel,) = out.glob("*.whl")
    return wheel


class Run:
    """One Python's run: a fresh venv, the wheel, the quick start, the tests."""

    def __init__(self, version: tuple[int, int], executable: str, wheel: Path, work: Path) -> None:
        self.version = version
        self.executable = executable
        self.wheel = wheel
        self.work = work
        self.name = f"{version[0]}.{version[1]}"
        self.ok = False
        self.lines: list[str] = []
        self.summary = ""

    def step(self, what: str, command: list[str], timeout: float) -> str | None:
        """Run one step; its output on success, None (and the output kept) on failure."""
        try:
            answer = subprocess.run(
                command,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )
        except subprocess.TimeoutExpired:
            self.lines.append(f"{what}: no result within {timeout:.0f} s")
            return None
        output = answer.stdout + answer.stderr
        if answer.returncode != 0:
            self.lines.append(f"{what} failed (exit {answer.returncode}):")
            self.lines += ["    " + line for line in output.splitlines()[-60:]]
            return None
        return output

    def __call__(self) -> None:
        started = time.monotonic()
        deadline = started + PER_PYTHON_TIMEOUT
        env = self.work / f"venv-{self.name}"
        python = str(env / "bin" / "python")
        if (
            self.step("venv", [self.executable, "-m", "venv", "--without-pip", str(env)], 60)
            is None
        ):
            return
        group = f"{ROOT / 'pyproject.toml'}:test"
        install = [
            sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
            "--disable-pip-version-check", f"{self.wheel}[aiohttp]", "--group", group,
        ]  # fmt: skip
        if self.step("install", install, 300) is None:
            return
        quick = [python, "-I", "tests/packaging/run_quickstart.py", "README.md"]
        quick_output = self.step("quick start", quick, 120)
        if quick_output is None:
            return
        tests = [python, "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider"]
        tests += [f"--ignore={path}" for path in IGNORE]
        tests += [f"--deselect={item}" for item in DESELECT]
        # An object the garbage collector finds unclosed (a socket dropped with a closed event
        # loop, a suspended async generator) is reported when it happens to be collected, which
        # differs between Pythons: here it is printed, not failed. The default Python's suite
        # fails on it, and tests/reliability checks resources deterministically.
        tests += ["-W", "default::pytest.PytestUnraisableExceptionWarning"]
        test_output = self.step("tests", tests, max(30.0, deadline - time.monotonic()))
        if test_output is None:
            return
        self.ok = True
        closing = [line for line in test_output.splitlines() if line.strip()][-1]
        quick_line = next(line for line in quick_output.splitlines() if "quick start" in line)
        elapsed = time.monotonic() - started
        self.summary = f"wheel installed; {quick_line}; tests: {closing.strip('= ')}"
        for line in test_output.splitlines():
            if "Exception ignored in" in line:
                self.lines.append(f"note: {line.strip()}")
        self.lines.append(f"{self.summary} ({elapsed:.0f} s in all)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="only list the Pythons found")
    args = parser.parse_args(argv)
    default = "{}.{}".format(*sys.version_info[:2])
    found = find()
    if not found:
        print(
            f"other Pythons: none found besides {default} (looked on {', '.join(places())}):"
            " skipped"
        )
        return 0
    listed = ", ".join(f"{a}.{b} ({path})" for (a, b), path in found.items())
    print(f"other Pythons besides {default}: {listed}", flush=True)
    if args.list:
        return 0
    with tempfile.TemporaryDirectory(prefix="rupt-pythons-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work / "dist")
        runs = [Run(version, path, wheel, work) for version, path in found.items()]
        with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
            for _ in pool.map(Run.__call__, runs):
                pass
    for run in runs:
        for line in run.lines:
            print(f"[{run.name}] {line}")
    passed = [run.name for run in runs if run.ok]
    failed = [run.name for run in runs if not run.ok]
    print(f"other Pythons: {len(passed)} ok ({', '.join(passed) or '-'}), {len(failed)} failing"
          f" ({', '.join(failed) or '-'})")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
