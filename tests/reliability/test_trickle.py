"""An answer trickled a byte at a time: abandoned work still ends at its backstop.

Each read returns in time (a byte every 50 ms), so no per-read timeout ever fires, and the
answer would take minutes. The README promises that a continuation fails with `RuptTimeoutError`
at its backstop, 60 s after the call's deadline (1 s here), whatever the server does. The SDK
checks the backstop as each chunk of a body arrives (every transport), and cancels an async
call's task there (what runs inside an injected transport or aiohttp: a trickled head).

Not here: a sync call through an injected `http_client` whose answer's head is trickled. The
transport reads the head on the SDK's helper thread, which nothing can interrupt; the README says
so.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import rupt_api._call
from rupt_api import AsyncRuptAPI, RuptAPI, RuptTimeoutError, _continuation

from ._fault_server import Connection, FaultServer, Seen, trickle

SECRET = "sk_trickle_test_secret_77c1"
TIMEOUT = 0.3
BACKSTOP = 1.0
# From the call's start to its continuation's end: TIMEOUT + BACKSTOP, with room for a loaded
# machine. The server trickles for far longer (TRICKLE_FOR).
ENDED_WITHIN = 4.0
TRICKLE_FOR = 20.0
INTERVAL = 0.05

_BODY = (
    json.dumps(
        {"id": "e1", "verdict": "allow", "consumed": False, "createdAt": "2021-09-01T00:00:00.000Z"}
    ).encode()
    + b" " * 4000
)


def _head() -> bytes:
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(_BODY)}\r\nX-Padding: {'p' * 2000}\r\n\r\n"
    ).encode()


def _trickled_head(conn: Connection, attempt: int, seen: Seen) -> None:
    trickle(conn, _head() + _BODY, interval=INTERVAL, bound=TRICKLE_FOR)


def _trickled_body(conn: Connection, attempt: int, seen: Seen) -> None:
    conn.send(_head())
    trickle(conn, _BODY, interval=INTERVAL, bound=TRICKLE_FOR)


TRICKLES: dict[str, Callable[[Connection, int, Seen], None]] = {
    "head": _trickled_head,
    "body": _trickled_body,
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.setattr(rupt_api._call, "BACKSTOP_SECONDS", BACKSTOP)
    with FaultServer(lifetime=60) as serving:
        for token, behaviour in TRICKLES.items():
            serving.register(token, behaviour)
        yield serving


def _ended_at_the_backstop(outcome: BaseException | Any, took: float) -> None:
    assert isinstance(outcome, RuptTimeoutError), outcome
    assert outcome.continuation is None
    assert "did not finish before its backstop deadline" in str(outcome)
    assert took < ENDED_WITHIN, took


@pytest.mark.parametrize("injected", [False, True], ids=["own-pool", "injected"])
def test_a_sync_continuation_ends_at_its_backstop_while_an_answer_trickles(
    server: FaultServer, injected: bool
) -> None:
    # A trickled head inside an injected transport runs on a thread nothing can interrupt.
    tokens = ["body"] if injected else ["head", "body"]
    http = httpx.Client() if injected else None
    outcomes: dict[str, tuple[BaseException | Any, float]] = {}
    with RuptAPI(SECRET, domain=server.url, timeout=TIMEOUT, retries=0, http_client=http) as client:

        def call(token: str) -> None:
            started = time.monotonic()
            try:
                client.get_evaluation(token)
            except RuptTimeoutError as err:
                try:
                    outcome: Any = err.continuation.result(timeout=ENDED_WITHIN + 5)
                except Exception as exc:
                    outcome = exc
                outcomes[token] = (outcome, time.monotonic() - started)

        threads = [threading.Thread(target=call, args=(token,)) for token in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if http is not None:
        http.close()
    assert sorted(outcomes) == sorted(tokens)
    for token in tokens:
        _ended_at_the_backstop(*outcomes[token])
        assert len(server.seen(token)) == 1  # sent once, never again


@pytest.mark.parametrize(
    ("transport", "injected"),
    [("httpx", False), ("httpx", True), ("aiohttp", False)],
    ids=["own-pool", "injected", "aiohttp"],
)
def test_an_async_continuation_ends_at_its_backstop_while_an_answer_trickles(
    server: FaultServer, transport: str, injected: bool
) -> None:
    async def main() -> dict[str, tuple[BaseException | Any, float]]:
        http = httpx.AsyncClient() if injected else None
        async with AsyncRuptAPI(
            SECRET,
            domain=server.url,
            timeout=TIMEOUT,
            retries=0,
            http_client=http,
            transport=transport,
        ) as client:

            async def call(token: str) -> tuple[BaseException | Any, float]:
                started = time.monotonic()
                try:
                    await client.get_evaluation(token)
                except RuptTimeoutError as err:
                    outcome = await asyncio.gather(err.continuation, return_exceptions=True)
                    return outcome[0], time.monotonic() - started
                raise AssertionError("the call did not time out")

            outcomes = await asyncio.gather(*(call(token) for token in TRICKLES))
        if http is not None:
            await http.aclose()
        assert not _continuation._tasks  # nothing left running
        return dict(zip(TRICKLES, outcomes, strict=True))

    outcomes = asyncio.run(asyncio.wait_for(main(), ENDED_WITHIN + 5))
    for token, (outcome, took) in outcomes.items():
        _ended_at_the_backstop(outcome, took)
        assert len(server.seen(token)) == 1  # sent once, never again


def test_cancelling_a_continuation_is_still_a_cancellation(server: FaultServer) -> None:
    """Only the backstop's cancellation becomes a `RuptTimeoutError`; yours stays yours."""

    async def main() -> None:
        async with AsyncRuptAPI(
            SECRET, domain=server.url, timeout=TIMEOUT, retries=0, http_client=httpx.AsyncClient()
        ) as client:
            with pytest.raises(RuptTimeoutError) as raised:
                await client.get_evaluation("head")
            continuation = raised.value.continuation
            continuation.cancel()
            with pytest.raises(asyncio.CancelledError):
                await continuation

    asyncio.run(main())
