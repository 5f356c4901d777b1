"""`python -m examples.aiohttp_service`: serves until SIGTERM, then shuts down cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from rupt_api.testing import FakeRupt

from .conftest import ROOT, SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_module_serves_until_sigterm(fake: FakeRupt, base_url: str) -> None:
    evaluation = fake.add_evaluation(challenge_status="completed", action="login", user_id="user_1")
    port = free_port()
    env = {**os.environ, "RUPT_SECRET": SECRET, "RUPT_DOMAIN": base_url, "RUPT_TIMEOUT": "5"}
    env.pop("RUPT_LOG", None)
    command = [sys.executable, "-W", "default", "-m", "examples.aiohttp_service"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/verify-challenge"
        body = {"evaluation_id": evaluation["id"], "user_id": "user_1"}
        with httpx.Client(timeout=5) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    response = http.post(url, json=body)
                    break
                except httpx.ConnectError:
                    assert process.poll() is None, "the service exited early"
                    assert time.monotonic() < deadline, "the service did not start"
                    time.sleep(0.05)
        assert response.status_code == 200
        assert response.json() == {"status": "verified", "evaluation_id": evaluation["id"]}
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)

    assert process.returncode == 0, output
    assert "Running on" in output
    for trouble in ["Traceback", "Unclosed", "ResourceWarning", "was destroyed", SECRET]:
        assert trouble not in output
