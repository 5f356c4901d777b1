"""No traceback of a RuptError holds the secret, even when a gateway echoes it back.

Raw-socket servers echo the request's `Authorization` header inside a malformed status line or
header line: h11 quotes the line in its error, httpcore and httpx quote h11, and all of them are
chained to the `RuptNetworkError` the caller gets. The whole traceback
(`traceback.format_exception`, `logging.exception`) is checked, causes and contexts included,
and redaction must leave the rest of every message intact however short the secret is.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI, RuptError, RuptNetworkError, RuptResponseError
from rupt_api._redact import redact
from tests.facade.conftest import ASYNC_TRANSPORTS

from ._fault_server import Connection, FaultServer, Seen, respond

LONG_SECRET = "sk_live_ECHOED_5b1e0c7d9a2f4e68_doNotLeak"
# Short secrets, as in tests: they occur inside ordinary words and must only be redacted whole.
SECRETS = [LONG_SECRET, "s", "a", "rupt"]


def _bad_status_line(conn: Connection, attempt: int, seen: Seen) -> None:
    conn.send(
        b"HTTP/1.1 2OO Authorization: " + seen.headers["authorization"].encode() + b"\r\n\r\n"
    )


def _bad_header_line(conn: Connection, attempt: int, seen: Seen) -> None:
    echo = b"Echoed Authorization: " + seen.headers["authorization"].encode()
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + echo + b"\r\n\r\n{}")


def _echo_in_body(conn: Connection, attempt: int, seen: Seen) -> None:
    # A 200 that is not JSON: the parse error's message quotes nothing, the body is kept as is.
    respond(conn, 200, "OK", b"you sent " + seen.headers["authorization"].encode())


ECHOES: dict[str, Callable[[Connection, int, Seen], None]] = {
    "status_line": _bad_status_line,
    "header_line": _bad_header_line,
    "body": _echo_in_body,
}


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(lifetime=120) as srv:
        for name, behaviour in ECHOES.items():
            srv.register(name, behaviour)
        yield srv


def _call(surface: str, url: str, secret: str, token: str) -> RuptError:
    if surface == "sync":
        with RuptAPI(secret, domain=url, retries=0, timeout=5) as client:
            try:
                client.get_evaluation(token)
            except RuptError as err:
                return err
    else:
        options = {} if surface == "async-httpx" else {"transport": surface.removeprefix("async-")}

        async def main() -> RuptError:
            async with AsyncRuptAPI(secret, domain=url, retries=0, timeout=5, **options) as client:
                try:
                    await client.get_evaluation(token)
                except RuptError as err:
                    return err
            raise AssertionError("no error")

        return asyncio.run(main())
    raise AssertionError("no error")


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    pending = [error]
    while pending:
        exc = pending.pop()
        if any(exc is seen for seen in chain):
            continue
        chain.append(exc)
        pending += [e for e in (exc.__cause__, exc.__context__) if e is not None]
    return chain


def _logged(error: BaseException) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("tests.secrets")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise error
        except RuptError:
            log.exception("verification failed")
    finally:
        log.removeHandler(handler)
    return stream.getvalue()


def _leaks(text: str, secret: str, *, whole_tokens: bool = True) -> list[str]:
    """Where `secret` appears in `text`: after `Bearer`, or (`whole_tokens`) as a token.

    A long secret is looked for anywhere. A one-letter one is a token of the source lines a
    traceback quotes, so in whole tracebacks only its echoed form (`Bearer s`) is looked for.
    """
    if len(secret) >= 16:
        return [text] if secret in text else []
    token = re.escape(secret)
    pattern = rf"(?i:bearer)\s+{token}(?![\w-])"
    if whole_tokens:
        pattern += rf"|(?<![\w-])(?<![A-Za-z]'){token}(?![\w-])(?!'[A-Za-z])"
    return re.findall(pattern, text)


# Every surface: sync, and each transport AsyncRuptAPI offers.
SURFACES = ["sync", *(f"async-{transport}" for transport in ASYNC_TRANSPORTS)]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("echo", list(ECHOES))
def test_an_echoed_secret_is_in_no_traceback(server: FaultServer, surface: str, echo: str) -> None:
    messages: dict[str, list[str]] = {}
    for secret in SECRETS:
        error = _call(surface, server.url, secret, echo)
        expected = RuptResponseError if echo == "body" else RuptNetworkError
        assert isinstance(error, expected), repr(error)
        for text in ("".join(traceback.format_exception(error)), _logged(error)):
            assert _leaks(text, secret, whole_tokens=False) == [], text
        chain = _chain(error)
        for exc in chain:
            for text in (str(exc), *(str(arg) for arg in exc.args)):
                assert _leaks(text, secret) == [], text
        if echo != "body":
            # The echo was there to leak: the lines h11 quoted are in the chain, redacted.
            assert any("Bearer [redacted]" in str(exc) for exc in chain), [str(e) for e in chain]
            assert len(chain) >= 3  # RuptNetworkError <- httpx <- httpcore <- h11: types kept
        messages[secret] = [f"{type(exc).__name__}: {exc}" for exc in chain]
    # However short the secret, every message reads the same: nothing but the secret redacted.
    assert all(m == messages[LONG_SECRET] for m in messages.values()), messages


@pytest.mark.parametrize(
    ("secret", "text", "expected"),
    [
        ("s", "[Errno -2] Name or service not known", "[Errno -2] Name or service not known"),
        ("a", "Authorization: Bearer a", "Authorization: Bearer [redacted]"),
        ("a", "a bearer a, then a", "[redacted] Bearer [redacted], then [redacted]"),
        ("ab", "tab ab-c ab_ ab.", "tab ab-c ab_ [redacted]."),
        ("s", "Rupt's answer: 's' (s)", "Rupt's answer: '[redacted]' ([redacted])"),
        (LONG_SECRET, f"x{LONG_SECRET}y", "x[redacted]y"),
        (LONG_SECRET, f"bytearray(b'Bearer {LONG_SECRET}')", "bytearray(b'Bearer [redacted]')"),
        ('q"\\', "bytearray(b'Bearer q\"\\\\')", "bytearray(b'Bearer [redacted]')"),
    ],
)
def test_redaction_replaces_whole_tokens_only(secret: str, text: str, expected: str) -> None:
    assert redact(text, secret) == expected


def test_exceptions_that_format_their_own_message_keep_their_type() -> None:
    from rupt_api._redact import scrub

    class Echo(Exception):
        def __init__(self, token: str) -> None:
            super().__init__()
            self.token = token

        def __str__(self) -> str:
            return f"gateway saw {self.token}"

    inner: Any = Echo(LONG_SECRET)
    outer = OSError(5, f"I/O Bearer {LONG_SECRET}", LONG_SECRET)
    outer.__cause__ = inner
    outer.add_note(f"note {LONG_SECRET}")
    group = ExceptionGroup("connect", [outer])
    error = RuptError("wrapped")
    error.__cause__ = group
    scrub(error, LONG_SECRET)
    text = "".join(traceback.format_exception(error))
    assert LONG_SECRET not in text
    assert "gateway saw [redacted]" in text
    assert "[Errno 5] I/O Bearer [redacted]: '[redacted]'" in text
    assert isinstance(inner, Echo)
    assert type(inner).__name__ == "Echo"
    assert outer.errno == 5
