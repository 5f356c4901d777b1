"""`python -m rupt_api.testing` starts a server, prints where, and answers."""

from __future__ import annotations

import subprocess
import sys

import httpx

from rupt_api.models import Challenge, Evaluation

from ._cli import running


def test_cli_serves_seeded_fake() -> None:
    with running("--seed", "--secret", "sk_cli") as cli:
        url, lines = cli
        assert lines.get(timeout=5) == "secret: sk_cli"
        assert lines.get(timeout=5) == f"control: {url}/_rupt (JSON; GET it for the list)"
        printed = dict(lines.get(timeout=5).split(": ", 1) for _ in range(5))

        auth = {"Authorization": "Bearer sk_cli"}
        with httpx.Client(base_url=url, headers=auth, timeout=5) as http:
            allowed = http.get(f"/v3/evaluations/{printed['evaluation, allowed']}")
            assert allowed.status_code == 200
            assert Evaluation.from_dict(allowed.json()).verdict == "allow"

            passed_id = printed["evaluation, challenge completed"]
            passed = Evaluation.from_dict(http.get(f"/v3/evaluations/{passed_id}").json())
            assert passed.challenge is not None
            assert passed.challenge.status == "completed"

            pending_id = printed["evaluation, challenge not finished"]
            pending = Evaluation.from_dict(http.get(f"/v3/evaluations/{pending_id}").json())
            assert pending.challenge is not None
            assert pending.challenge.id == printed["challenge not finished"]
            assert pending.redirect is not None
            challenge = http.get(f"/v3/challenges/{printed['challenge not finished']}")
            assert Challenge.from_dict(challenge.json()).status == "code_sent"

            devices = http.get("/v3/user/user_allowed/devices").json()
            assert [device["id"] for device in devices] == [printed["device of user_allowed"]]
            assert http.get("/v3/evaluations/x", headers={"Authorization": ""}).status_code == 401


def test_cli_stops_on_sigterm() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "rupt_api.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("FakeRupt listening on http://127.0.0.1:")
        assert process.stdout.readline() == "secret: sk_test_fake\n"
        url = banner.split()[-1]
        assert (
            httpx.get(
                f"{url}/v3/user/u/devices", headers={"Authorization": "Bearer sk_test_fake"}
            ).json()
            == []
        )
        process.terminate()
        assert process.wait(timeout=10) == 0
