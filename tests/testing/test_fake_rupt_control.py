"""`python -m rupt_api.testing` for an app in development: flags, the control endpoint, errors.

The command runs in a subprocess on a free port and is driven over HTTP as a developer would
drive it; the app's side is the SDK itself, pointed at the printed URL.
"""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from rupt_api import ChallengeAlreadyUsedError, ChallengeNotCompletedError, RuptAPI, RuptApiError

from ._cli import running

SECRET = "sk_cli_control"


class Served:
    """A running stand-in: its URL, the lines it printed after the banner, a client of its own."""

    def __init__(self, url: str, printed: dict[str, str]) -> None:
        self.url = url
        self.printed = printed
        self.control = httpx.Client(base_url=f"{url}/_rupt", timeout=10)
        self.rupt = RuptAPI(SECRET, domain=url, timeout=10, max_retry_delay=0)


@contextmanager
def stand_in(*flags: str) -> Iterator[Served]:
    with running("--secret", SECRET, *flags) as cli:
        printed: dict[str, str] = {}
        while True:
            try:
                line = cli.lines.get(timeout=0.5)
            except queue.Empty:
                break
            label, _, value = line.partition(": ")
            printed[label] = value
        served = Served(cli.url, printed)
        with served.control, served.rupt:
            yield served


def test_flags_create_evaluations_for_the_apps_users_and_queue_faults() -> None:
    with stand_in(
        "--evaluation", "user_id=user_1,email=ada@example.com,challenge=completed",
        "--evaluation", "user_id=user_2,action=signup",
        "--evaluation", "email=eve@example.com,verdict=deny",
        "--fault", "status=503,times=2,path=/consume",
    ) as served:  # fmt: skip
        assert served.printed["secret"] == SECRET
        assert served.printed["control"] == f"{served.url}/_rupt (JSON; GET it for the list)"
        passed = served.printed["evaluation, user_1 login (challenge completed)"]
        pending = served.printed["evaluation, user_2 signup (challenge code_sent)"]
        denied = served.printed["evaluation, eve@example.com login (deny)"]
        assert served.printed["fault queued"].startswith("Fault(status=503, times=2")

        # The two 503s are retried by the SDK, then the consume succeeds.
        verified = served.rupt.verify_challenge(passed, action="login", email="ADA@example.com")
        assert verified.user is not None
        assert verified.user.id == "user_1"
        attempts = served.control.get("/requests").json()
        assert [r["path"].endswith("/consume") for r in attempts] == [True] * 3
        with pytest.raises(ChallengeNotCompletedError):
            served.rupt.verify_challenge(pending, action="signup", user_id="user_2")
        assert served.rupt.get_evaluation(denied).verdict == "deny"
        assert served.rupt.get_evaluation(denied).challenge is None


def test_the_control_endpoint_drives_the_challenge_flow() -> None:
    with stand_in() as served:
        listing = served.control.get("").json()
        assert "POST /_rupt/evaluations/<id>/complete" in listing["endpoints"]

        created = served.control.post("/evaluations", json={"user_id": "u1", "action": "login"})
        assert created.status_code == 201
        evaluation = created.json()
        assert evaluation["challenge"]["status"] == "code_sent"
        assert served.rupt.get_evaluation(evaluation["id"]).redirect == evaluation["redirect"]

        done = served.control.post(f"/evaluations/{evaluation['id']}/complete")
        assert done.json()["challenge"]["status"] == "completed"
        served.rupt.verify_challenge(evaluation["id"], action="login", user_id="u1")

        served.control.post(f"/evaluations/{evaluation['id']}/replay", json={"times": 1})
        assert served.rupt.consume_evaluation(evaluation["id"]).consumed  # once more
        with pytest.raises(ChallengeAlreadyUsedError):
            served.rupt.verify_challenge(evaluation["id"], action="login", user_id="u1")

        other = served.control.post("/evaluations", json={"user_id": "u2"}).json()
        failed = served.control.post(f"/evaluations/{other['id']}/fail", json={"status": "skipped"})
        assert failed.json()["challenge"]["status"] == "skipped"

        served.control.post("/faults", json={"status": 429, "times": 1, "headers": {"x": "1"}})
        with pytest.raises(RuptApiError) as caught:
            served.rupt.get_evaluation(other["id"])
        assert caught.value.status == 429
        assert caught.value.attempts == 1  # 429 is not retried

        assert served.control.post("/reset").json() == {"reset": True}
        with pytest.raises(RuptApiError) as gone:
            served.rupt.get_evaluation(other["id"])
        assert gone.value.status == 404
        # Control requests are not Rupt's: the fake neither records nor counts them.
        assert [r["path"] for r in served.control.get("/requests").json()] == [
            f"/v3/evaluations/{other['id']}"
        ]


@pytest.fixture(scope="module")
def shared() -> Iterator[Served]:
    """One stand-in for the table of errors below: none of them changes its state."""
    with stand_in() as served:
        yield served


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/evaluations", b"[1]", 400, "JSON object"),
        ("POST", "/evaluations", b"{not json", 400, "JSON object"),
        ("POST", "/evaluations", b'{"user": "u"}', 400, "unknown field(s) user"),
        ("POST", "/evaluations", b'{"user_id": 7}', 400, "user_id must be str"),
        ("POST", "/evaluations/nope/complete", b"", 404, "no evaluation 'nope'"),
        ("POST", "/evaluations/nope/fail", b'{"status": 3}', 400, "status must be str"),
        ("POST", "/faults", b'{"times": 2}', 400, "needs a status"),
        ("POST", "/faults", b'{"status": 99}', 400, "200..599"),
        ("GET", "/nothing", b"", 404, "no control endpoint GET /_rupt/nothing"),
    ],
)
def test_control_errors_are_clear(
    shared: Served, method: str, path: str, body: bytes, status: int, message: str
) -> None:
    answer = shared.control.request(method, path, content=body)
    assert answer.status_code == status
    assert message in answer.json()["message"]


def test_no_control_serves_rupts_api_only() -> None:
    with stand_in("--no-control") as bare:
        assert "control" not in bare.printed
        answer = bare.control.get("")
        assert answer.status_code == 401  # the fake's own answer: no secret, no control
        assert answer.json()["error"] == "unauthorized"


def test_replayable_lets_every_evaluation_be_consumed_again() -> None:
    with stand_in("--seed", "--replayable", "--evaluation", "user_id=u1") as served:
        flagged = served.printed["evaluation, u1 login (challenge code_sent)"]
        seeded = served.printed["evaluation, challenge completed"]
        created = served.control.post("/evaluations", json={"user_id": "u3"}).json()["id"]
        for evaluation_id in (flagged, seeded, created, flagged):
            assert served.rupt.consume_evaluation(evaluation_id).consumed
            assert served.rupt.consume_evaluation(evaluation_id).consumed


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rupt_api.testing", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--port", str(port))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"python -m rupt_api.testing: port {port} on 127.0.0.1 is already in use (another"
        " stand-in still running?); choose another with --port, or --port 0 for a free one\n"
    )


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--evaluation=user=u1", "'user=u1': expected key=value with a key among user_id"),
        ("--evaluation=replayable=maybe", "replayable=maybe: expected true or false"),
        ("--fault=status=abc", "status=abc: expected int"),
        ("--fault=times=2", "a Fault needs a status"),
    ],
)
def test_a_bad_flag_is_one_clear_line(flag: str, message: str) -> None:
    result = run("--port", "0", flag)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
