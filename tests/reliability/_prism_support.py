"""Prism (Stoplight's OpenAPI mock server) for the spec-conformance tests, installed on demand.

Prism is an npm package. It is installed, at the exact version pinned here, into the gitignored
`.cache/prism/` of the repository by the first test run that needs it (one download from the npm
registry, about 15 s) and reused afterwards. Installing is serialised with a file lock, so
concurrent test runs in one work tree do not race. `python -m tests.reliability._prism_support`
installs it ahead of time (for a Makefile target or a CI cache step).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PRISM_VERSION = "5.16.0"
PACKAGE = "@stoplight/prism-cli"

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
PREFIX = ROOT / ".cache" / "prism"
PRISM_BIN = PREFIX / "node_modules" / ".bin" / "prism"
_PACKAGE_JSON = PREFIX / "node_modules" / "@stoplight" / "prism-cli" / "package.json"

INSTALL_TIMEOUT = 240.0
START_TIMEOUT = 45.0


class PrismUnavailable(Exception):
    """node or npm is missing: the Prism tests are skipped (with this as the reason)."""


def missing_tools() -> str | None:
    """Why Prism cannot run here, or None when node and npm are on PATH."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH; the Prism spec-conformance tests need Node.js 18+"
    return None


def installed_version() -> str | None:
    try:
        version = json.loads(_PACKAGE_JSON.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version if isinstance(version, str) else None


def ensure_prism() -> Path:
    """The path of the pinned Prism binary, installing it into `.cache/prism/` if needed."""
    reason = missing_tools()
    if reason is not None:
        raise PrismUnavailable(reason)
    PREFIX.mkdir(parents=True, exist_ok=True)
    with open(PREFIX.parent / "prism.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() == PRISM_VERSION and PRISM_BIN.exists():
            return PRISM_BIN
        command = [
            "npm",
            "install",
            "--prefix",
            str(PREFIX),
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            f"{PACKAGE}@{PRISM_VERSION}",
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
                cwd=PREFIX,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"`{' '.join(command)}` did not finish within {INSTALL_TIMEOUT:g} s"
            ) from exc
        if done.returncode != 0 or installed_version() != PRISM_VERSION:
            raise RuntimeError(
                f"`{' '.join(command)}` failed (exit {done.returncode}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
    return PRISM_BIN


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrismServer:
    """One `prism mock` process on loopback, started by `start()` and ended by `stop()`."""

    def __init__(self, binary: Path, *args: str) -> None:
        self.binary = binary
        self.args = args
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by stop()
        command = [str(binary), "mock", str(SPEC), "-p", str(self.port), "-h", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, *args],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends node and any child
            cwd=ROOT,
        )

    def log_tail(self, limit: int = 3000) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read()[-limit:]

    def wait_ready(self, deadline: float) -> None:
        """Wait until Prism answers HTTP (any status), or raise with its log."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"prism {' '.join(self.args)} exited with {self.process.returncode}:\n"
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.url + "/", timeout=1.0)
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"prism {' '.join(self.args)} did not answer within {START_TIMEOUT:g} s:\n"
            f"{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


@contextlib.contextmanager
def prism_servers(binary: Path, configs: dict[str, tuple[str, ...]]) -> Iterator[dict[str, str]]:
    """Start one Prism per config at once (they boot in parallel), yield their base URLs by name."""
    servers: dict[str, PrismServer] = {}
    try:
        for name, args in configs.items():
            servers[name] = PrismServer(binary, *args)
        deadline = time.monotonic() + START_TIMEOUT
        for server in servers.values():
            server.wait_ready(deadline)
        yield {name: server.url for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    try:
        path = ensure_prism()
    except PrismUnavailable as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        sys.exit(0)
    print(f"{PACKAGE}@{PRISM_VERSION} at {path.relative_to(ROOT)}")
