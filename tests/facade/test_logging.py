"""The `rupt_api` logger: INFO says what an operator needs (retries, timeouts, continuations),
DEBUG every attempt; never the secret, user ids only at DEBUG, each line printed once."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import re
import subprocess
import sys
import textwrap
import threading
from typing import Any

import httpx
import pytest

from rupt_api import RuptApiError, RuptTimeoutError
from rupt_api.testing import Fault

from .conftest import SECRET, LiveSurface, Recorder, Surface, json_response

EVALUATION = {"id": "e1", "action": "login"}
USER_ID = "user_4f9c"  # must only ever appear at DEBUG


def messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "rupt_api" and r.levelno == level]


def test_a_retry_says_why_which_attempt_and_the_backoff(
    surface: Surface, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rupt_api")
    rec = Recorder(
        json_response(503, {}, **{"x-request-id": "req_123"}),
        httpx.ReadError("connection reset by peer"),
        json_response(200, EVALUATION, **{"x-request-id": "req_456"}),
    )
    client = surface.client(rec, retries=3, max_retry_delay=0.01)
    assert surface.call(client, "get_evaluation", "e1").id == "e1"
    info = messages(caplog, logging.INFO)
    assert len(info) == 2
    assert info[0].startswith(
        "get_evaluation: attempt 1 of 4 got 503 Service Unavailable (request id req_123);"
        " retrying in 0.0"
    )
    assert info[1].startswith(
        "get_evaluation: attempt 2 of 4 got no answer: the connection to api.rupt.dev broke"
        " while reading the answer (connection reset by peer); retrying in 0.0"
    )
    debug = messages(caplog, logging.DEBUG)
    assert len(debug) == 3  # one per attempt
    assert debug[0].startswith("GET /v3/evaluations/e1 -> 503 in ")
    assert debug[0].endswith("(attempt 1, request id req_123)")
    assert "broke while reading the answer" in debug[1]
    assert debug[1].endswith("(attempt 2)")
    assert debug[2].endswith("(attempt 3, request id req_456)")


def test_a_timeout_and_its_continuation_are_logged_without_internal_names(
    live: LiveSurface, fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rupt_api")
    evaluation = fake.add_evaluation()
    fake.inject(Fault(delay=0.4, path=evaluation["id"]))
    with pytest.raises(RuptTimeoutError) as info:
        live.call(live.live(timeout=0.1), "get_evaluation", evaluation["id"])
    assert settle(live, info.value.continuation).id == evaluation["id"]
    lines = messages(caplog, logging.INFO)
    assert lines == [
        "get_evaluation: no answer within the 0.1 s timeout (1 attempt); continuing in the"
        " background",
        "get_evaluation: the background continuation succeeded",
    ]
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert "DeadlinePassed" not in everything
    assert "HandOff" not in everything
    # The attempt the deadline interrupted went on: its DEBUG line comes when it ends, once.
    debug = messages(caplog, logging.DEBUG)
    attempts = [line for line in debug if "(attempt" in line]
    assert len(attempts) == 1
    assert attempts[0].startswith(f"GET /v3/evaluations/{evaluation['id']} -> 200 in ")


def test_a_failed_continuation_says_how(
    live: LiveSurface, fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rupt_api")
    fake.inject(Fault(delay=0.4))
    with pytest.raises(RuptTimeoutError) as info:
        live.call(live.live(timeout=0.1), "get_evaluation", "no-such-evaluation")
    with pytest.raises(RuptApiError):
        settle(live, info.value.continuation)
    assert messages(caplog, logging.INFO)[-1] == (
        "get_evaluation: the background continuation failed (Rupt answered 404) after 1 attempt"
    )


def test_user_ids_appear_at_debug_only(surface: Surface, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="rupt_api")
    rec = Recorder(json_response(500, {"message": f"no user {USER_ID}"}), json_response(200, []))
    surface.call(surface.client(rec), "get_user_devices", USER_ID)
    assert any(USER_ID in line for line in messages(caplog, logging.DEBUG))
    info = messages(caplog, logging.INFO)
    assert info
    assert not any(USER_ID in line for line in info)
    assert not any(SECRET in r.getMessage() for r in caplog.records)


def settle(live: LiveSurface, continuation: Any) -> Any:
    if live.is_async:

        async def wait() -> Any:
            try:
                return await asyncio.wait_for(continuation, 10)
            finally:
                await asyncio.sleep(0)  # let the done callbacks (the log line) run

        return live.run(wait())
    assert isinstance(continuation, concurrent.futures.Future)
    ended = threading.Event()
    # Callbacks run in the order they were added: this one runs after the SDK's log line.
    continuation.add_done_callback(lambda _: ended.set())
    try:
        return continuation.result(timeout=10)
    finally:
        assert ended.wait(10)


# -- RUPT_LOG, in a fresh interpreter ------------------------------------------------------------

SCRIPT = """
import asyncio, logging, sys
import httpx
if sys.argv[1] == "basicConfig-first":
    logging.basicConfig(level=logging.DEBUG)
import rupt_api
from rupt_api.testing import FakeRupt, Fault
if sys.argv[1] == "basicConfig-after":
    logging.basicConfig(level=logging.DEBUG)

fake = FakeRupt(secret="sk_log_test")
evaluation = fake.add_evaluation()
fake.inject(Fault(status=503, times=2))
with rupt_api.RuptAPI(
    "sk_log_test", http_client=httpx.Client(transport=fake.transport()), max_retry_delay=0
) as rupt:
    rupt.get_evaluation(evaluation["id"])

async def main():
    # -X dev's asyncio debug mode logs any step over 0.1 s, naming the SDK's coroutines: on a
    # loaded machine that is a line about the machine, not one the SDK logged.
    asyncio.get_running_loop().slow_callback_duration = 60
    fake.inject(Fault(status=503, times=2))
    async with rupt_api.AsyncRuptAPI(
        "sk_log_test",
        http_client=httpx.AsyncClient(transport=fake.transport()),
        max_retry_delay=0,
    ) as rupt:
        await rupt.get_evaluation(evaluation["id"])

asyncio.run(main())
"""


def run(level: str, mode: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUPT_")}
    env["RUPT_LOG"] = level
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", textwrap.dedent(SCRIPT), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Records of the rupt_api logger, in the SDK's format or basicConfig's. Not other lines that
    # name rupt_api's files: under load, dev mode's asyncio warns of a slow task step, its
    # coroutine's source path in the message.
    return [line for line in done.stderr.splitlines() if _RECORD.match(line)]


_RECORD = re.compile(r"^\S+ \S+ rupt_api [A-Z]+ |^[A-Z]+:rupt_api:")


@pytest.mark.parametrize("mode", ["alone", "basicConfig-first", "basicConfig-after"])
def test_rupt_log_debug_prints_each_line_once(mode: str) -> None:
    lines = run("debug", mode)
    attempts = [line for line in lines if "GET /v3/evaluations/" in line]
    retries = [line for line in lines if "retrying in" in line]
    assert len(attempts) == 6, lines  # 3 attempts, on each surface
    assert len(retries) == 4, lines
    assert len(lines) == len(set(lines)) == 10, lines
    assert all(" rupt_api " in line for line in lines)  # the SDK's own format, not basicConfig's


@pytest.mark.parametrize("level", ["info", "INFO", " Info "])
def test_rupt_log_info_prints_retries_not_attempts(level: str) -> None:
    lines = run(level, "basicConfig-after")
    assert len(lines) == 4, lines
    assert all("INFO get_evaluation: attempt" in line and "retrying in" in line for line in lines)


def test_rupt_log_warning_is_quiet_about_retries() -> None:
    assert run("warning", "basicConfig-after") == []


def test_an_unknown_rupt_log_value_says_so() -> None:
    lines = run("verbose", "alone")
    assert "RUPT_LOG='verbose' is not one of debug, info, warning, error" in lines[0]
    assert len(lines) == 5  # the warning, then info
