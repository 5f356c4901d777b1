"""The fault matrix: every operation, on both surfaces, against every way a server can misbehave.

The async surface runs it on both its transports (httpx's own pool, and `transport="aiohttp"`,
whose case ids end in `-aiohttp`); the deadline cases of the two writes also through an injected
`http_client` (`-injected`).

Each case runs one call against `_fault_server.FaultServer` (raw sockets on 127.0.0.1), and asserts
what the README promises for that fault:

- the outcome: the result, or which typed error (`RuptApiError` with its status,
  `RuptNetworkError`, `RuptResponseError`, `RuptTimeoutError`), and never an untyped exception;
- the attempts: `err.attempts`, the requests the server saw, and one DEBUG log line per attempt;
- the time: retried cases finish quickly, a `Retry-After` within `max_retry_delay` is waited
  for, a longer one is not (Rupt's answer is raised at once), a deadline is raised within
  `DEADLINE_SLACK` of `timeout` (plus how late a plain timer of this process fired meanwhile,
  tests/timing.py), and its continuation delivers the answer to that same request;
- that nothing is ever re-sent: the server counts every request of the case, continuations
  included, and there are exactly as many as the call made attempts (one after a deadline);
- that no redirect is followed (a second listener, "another host", must see no connection);
- that the secret is in no error message, repr, chained cause or log line.

The rules encoded (README, "Errors", "Retries", "Timeouts"): any 5xx is retried `retries` times,
then `RuptApiError` with that status; no answer (reset, truncated body, refused, DNS) is retried,
then `RuptNetworkError`; the deadline is never retried (`RuptTimeoutError`, attempts 1, and the
continuation finishes the request the deadline cut off, never sending another); a 2xx
whose body does not parse, has the wrong shape or is over 4 MiB is `RuptResponseError`, never
retried; a 3xx is a `RuptApiError` (redirects are not followed). `update_user` expects a 204 and
reads no body, so a 2xx with junk is a success for it, but a 2xx over 4 MiB is still refused
(the size limit applies to every answer, and nobody should buffer 10 MB for an update).

One line is printed at the end of the session: `fault matrix: N cases, N passed, ...`
(`_matrix_summary.py`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import itertools
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from rupt_api import (
    AsyncRuptAPI,
    RuptAPI,
    RuptApiError,
    RuptError,
    RuptNetworkError,
    RuptResponseError,
    RuptTimeoutError,
)
from tests.operations import OPERATION_CASES, OperationCase
from tests.timing import Reference

from ._bombs import BOMBS
from ._fault_server import (
    Behaviour,
    Connection,
    FaultServer,
    Seen,
    reset,
    respond,
    send_head,
    trickle,
    wait_for_close,
)
from ._matrix_summary import OVERSHOOT, UNTYPED_ESCAPES

# Distinctive, so a leak anywhere is unmistakable.
SECRET = "sk_live_FAULTMATRIX_3f9c2a71d4e8b05a_doNotLeak"
UNRESOLVABLE = "http://rupt-fault-matrix.invalid"

RETRIES = 2
FAST_CAP = 0.02  # max_retry_delay for retried cases: they must finish quickly
FAST_BOUND = 0.5  # a retried case (3 attempts, 2 short sleeps) takes less than this
RETRY_AFTER_CAP = 0.2  # max_retry_delay for the long Retry-After cases (the server asks for more)
# A Retry-After equal to the cap: honoured, and (the backoff never exceeding the cap) waited
# for exactly, never less.
SHORT_RETRY_AFTER = 0.3
SHORT_CAP = SHORT_RETRY_AFTER
RETRY_AFTER_SLACK = 0.25  # how much longer one wait may take on a loaded machine
TIMEOUT = 0.3  # the deadline of the deadline cases
LATE = 0.5  # when the deadline cases' answers are complete: after the deadline
# Raised at most this long after the deadline, plus how late a plain timer of this process fired
# at the same moment (tests/timing.py): about nothing on a quiet machine.
DEADLINE_SLACK = 0.1
OTHER_TIMEOUT = 5.0  # the deadline of every other case: never reached
BIG_BODY = 10 * 1024 * 1024


# -- the operations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One operation of the registry (tests/operations.py), as the matrix drives it."""

    case: OperationCase

    @property
    def name(self) -> str:
        return self.case.name

    @property
    def shape(self) -> str:
        """ "object", "list" or "none" (a 204, no body to parse)."""
        return self.case.shape

    def args(self, token: str) -> tuple[str, ...]:
        return self.case.ids(token)

    def request_matches(self, seen: Seen, token: str) -> None:
        assert (seen.method, seen.path) == (self.case.method, self.case.path(*self.args(token)))
        body = self.case.body()
        if body is not None:
            assert json.loads(seen.body) == body  # only the fields passed

    def kwargs(self) -> dict[str, Any]:
        return self.case.kwargs

    def valid_object(self, token: str) -> dict[str, Any]:
        """The stand-in's answer (its first item, for a list), with the case's token as id.

        An operation with no body gets a small object (what the padding and junk cases send)."""
        if self.shape == "none":
            return {"id": token}
        answer = self.case.valid_answer(token)
        obj: dict[str, Any] = answer[0] if self.shape == "list" else answer
        return obj

    def answer_valid(self, conn: Connection, token: str) -> None:
        """What Rupt would answer when all is well."""
        if self.shape == "none":
            respond(conn, 204, "No Content")
            return
        payload: Any = self.valid_object(token)
        if self.shape == "list":
            payload = [payload]
        respond(conn, 200, "OK", json.dumps(payload).encode(), _JSON)

    def check_result(self, result: Any, token: str) -> None:
        if self.shape == "none":
            assert result is None
            return
        items = result if self.shape == "list" else [result]
        if self.shape == "list":
            assert isinstance(result, list)
            assert len(result) == 1
        assert isinstance(items[0], self.case.model)
        assert items[0].id == self.valid_object(token)["id"]
        assert items[0].to_dict().keys() >= self.valid_object(token).keys() - {"pad"}

    def wrong_type(self, token: str) -> Any:
        """JSON of the wrong type: a list where an object is expected, and the reverse."""
        obj = self.valid_object(token)
        return obj if self.shape == "list" else [obj]

    def missing_id(self, token: str) -> Any:
        """The right type, but an object without its required `id`."""
        obj = self.valid_object(token)
        del obj["id"]
        return [obj] if self.shape == "list" else obj

    def with_id(self, token: str, value: Any) -> Any:
        """The right type, but the required `id` is `value` (null, or not a string)."""
        obj = {**self.valid_object(token), "id": value}
        return [obj] if self.shape == "list" else obj


OPS = [Op(case) for case in OPERATION_CASES]
_JSON = {"Content-Type": "application/json"}


# -- the faults ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What one case must end in."""

    error: type[RuptError] | None  # None: the call returns a valid result
    status: int | None = None
    attempts: int = 1
    requests: int = 1  # requests the server saw by the time the call returned or raised
    timing: str = "fast"  # "fast", "deadline" or "retry_after"


@dataclass(frozen=True)
class Env:
    """What a behaviour may need to know about the case."""

    op: Op
    token: str
    other_url: str  # the "another host" listener


BehaviourFactory = Callable[[Env], Behaviour]


@dataclass(frozen=True)
class Fault:
    name: str
    behaviour: BehaviourFactory | None  # None: nothing listens (refused, unresolvable)
    expect: Callable[[Op], Expect]
    target: str = "server"  # "server", "refused" or "unresolvable"
    options: dict[str, Any] = field(default_factory=dict)
    check: Callable[[Env, BaseException], None] | None = None  # fault-specific assertions


def _always(fn: Callable[[Env, Connection], None]) -> BehaviourFactory:
    """Misbehave on every attempt."""
    return lambda env: lambda conn, attempt, seen: fn(env, conn)


def _status(status: int, reason: str, body: bytes, **headers: str) -> BehaviourFactory:
    def answer(env: Env, conn: Connection) -> None:
        all_headers = {"X-Request-Id": f"req-{env.token}", **headers}
        respond(conn, status, reason, body, all_headers)

    return _always(answer)


def _padded_json(env: Env, size: int) -> bytes:
    """A body of the documented shape, padded to `size` bytes."""
    obj: Any = env.op.valid_object(env.token)
    stub = json.dumps([{**obj, "pad": ""}] if env.op.shape == "list" else {**obj, "pad": ""})
    pad = max(size - len(stub), 0)
    obj = {**obj, "pad": "a" * pad}
    return json.dumps([obj] if env.op.shape == "list" else obj).encode()


def _retried_api_error(status: int) -> Callable[[Op], Expect]:
    return lambda op: Expect(
        RuptApiError, status, attempts=RETRIES + 1, requests=RETRIES + 1, timing="fast"
    )


def _retried_retry_after(op: Op) -> Expect:
    return Expect(
        RuptApiError, 503, attempts=RETRIES + 1, requests=RETRIES + 1, timing="retry_after"
    )


def _not_slept_on(op: Op) -> Expect:
    """A Retry-After past the cap: Rupt's answer is raised at once, not retried."""
    return Expect(RuptApiError, 503, attempts=1, requests=1, timing="fast")


def _network(requests: int) -> Callable[[Op], Expect]:
    return lambda op: Expect(RuptNetworkError, attempts=RETRIES + 1, requests=requests)


def _deadline(op: Op) -> Expect:
    return Expect(RuptTimeoutError, attempts=1, requests=1, timing="deadline")


def _bad_2xx(op: Op) -> Expect:
    """A 2xx with junk: refused, not retried; `update_user` reads no body, so it succeeds."""
    if op.shape == "none":
        return Expect(None)
    return Expect(RuptResponseError, 200)


def _too_big(op: Op) -> Expect:
    return Expect(RuptResponseError, 200)


# Fault-specific checks on the raised error.


def _check_500(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    # The server echoed the secret in its message: kept in the body, redacted everywhere else.
    assert err.detail is not None
    assert "[redacted]" in err.detail
    assert err.code == "internal"
    assert err.request_id == f"req-{env.token}"


def _check_502_html(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    assert err.body == HTML_502.decode()
    assert err.request_id == f"req-{env.token}"


def _check_retry_after_short(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    assert err.retry_after == SHORT_RETRY_AFTER


def _check_retry_after_seconds(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    assert err.retry_after == 1.0


def _check_retry_after_date(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    # The date is ~3 s ahead at one-second resolution.
    assert err.retry_after is not None
    assert 1.5 < err.retry_after <= 3.5


def _check_504(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    assert err.body == ""  # an empty body reads as ""
    assert err.request_id == f"req-{env.token}"


def _check_520(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    assert err.body == "origin error"
    assert "non-standard" in str(err)


def _check_unanswered(env: Env, err: BaseException) -> None:
    # README: "the httpx error as __cause__".
    assert isinstance(err.__cause__, httpx.TransportError)


def _check_not_connected(env: Env, err: BaseException) -> None:
    assert isinstance(err.__cause__, httpx.ConnectError)


def _check_no_such_host(env: Env, err: BaseException) -> None:
    assert isinstance(err.__cause__, httpx.ConnectError)
    assert "the host rupt-fault-matrix.invalid does not exist" in str(err)


def _no_such_host(real: Callable[..., Any]) -> Callable[..., Any]:
    """getaddrinfo answering "no such name" for UNRESOLVABLE's host without asking any DNS."""

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii") if isinstance(host, bytes) else host
        if name == httpx.URL(UNRESOLVABLE).host:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    return getaddrinfo


def _check_too_big(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptResponseError)
    assert "larger than" in str(err)
    assert isinstance(err.body, bytes)
    assert len(err.body) <= 1024


def _check_redirect(env: Env, err: BaseException) -> None:
    assert isinstance(err, RuptApiError)
    assert err.headers["location"].startswith(env.other_url)


HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
HTML_200 = b"<!doctype html><html><body><h1>Rupt is down for maintenance</h1></body></html>"


def _reset_mid_body(env: Env, conn: Connection) -> None:
    body = _padded_json(env, 4000)
    send_head(conn, 200, "OK", {**_JSON, "Content-Length": str(len(body))})
    conn.send(body[:600])
    time.sleep(0.02)  # let the client read the head and start on the body
    reset(conn)


def _short_body(env: Env, conn: Connection) -> None:
    body = _padded_json(env, 4000)
    send_head(conn, 200, "OK", {**_JSON, "Content-Length": str(len(body))})
    conn.send(body[:600])
    conn.sock.shutdown(socket.SHUT_WR)  # a clean FIN, 3,400 bytes short


# The deadline cases answer completely, but only after the deadline (about LATE s in): the
# continuation must finish reading that answer on the same connection, and send nothing again.


def _valid_answer(env: Env, *, body_always: bool = False) -> bytes:
    """What `answer_valid` sends, as bytes; `body_always`: a 200 with a body for `update_user`
    too (it reads no body, so that is a success for it as well)."""
    if env.op.shape == "none" and not body_always:
        return b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
    body = _padded_json(env, 300)
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return f"{head}\r\nConnection: close\r\n\r\n".encode() + body


def _slow_headers(env: Env, conn: Connection) -> None:
    wait_for_close(conn, bound=LATE)
    env.op.answer_valid(conn, env.token)


def _trickled_headers(env: Env, conn: Connection) -> None:
    # Every byte of the answer, the status line and the headers included, at a steady pace that
    # ends about LATE s in: each read returns at once, so only a deadline over the whole call can
    # stop it.
    answer = _valid_answer(env)
    trickle(conn, answer, interval=LATE / len(answer), bound=LATE + 3.0)


def _stalled_body(env: Env, conn: Connection) -> None:
    answer = _valid_answer(env, body_always=True)
    head_end = answer.index(b"\r\n\r\n") + 4
    conn.send(answer[: head_end + 10])
    wait_for_close(conn, bound=LATE)
    conn.send(answer[head_end + 10 :])


def _trickled_body(env: Env, conn: Connection) -> None:
    answer = _valid_answer(env, body_always=True)
    head_end = answer.index(b"\r\n\r\n") + 4
    conn.send(answer[:head_end])
    body = answer[head_end:]
    trickle(conn, body, interval=LATE / max(len(body), 1), bound=LATE + 3.0)


def _junk(name: str, make: Callable[[Env], bytes], content_type: str = "application/json") -> Fault:
    """A 200 whose body is `make(env)`: refused as `RuptResponseError` with that body kept."""

    def answer(env: Env, conn: Connection) -> None:
        respond(conn, 200, "OK", make(env), {"Content-Type": content_type})

    def check(env: Env, err: BaseException) -> None:
        assert isinstance(err, RuptResponseError)
        assert err.body == make(env)  # the raw bytes, as received
        # The parse error is chained (README: "the parse error as __cause__").
        assert isinstance(err.__cause__, Exception)
        assert err.__cause__ is not err
        assert "does not have the documented shape" in str(err)

    return Fault(name, _always(answer), _bad_2xx, check=check)


_BIG: dict[str, bytes] = {}  # the last operation's 10 MB body (cases run operation by operation)


def _big_body(env: Env, conn: Connection) -> None:
    # Valid JSON of the documented shape, 10 MB: only the size limit can refuse it.
    if env.op.name not in _BIG:
        _BIG.clear()
        _BIG[env.op.name] = _padded_json(Env(env.op, "big", env.other_url), BIG_BODY)
    respond(conn, 200, "OK", _BIG[env.op.name], _JSON)


def _redirect(env: Env, conn: Connection) -> None:
    location = f"{env.other_url}/v3/evaluations/{env.token}"
    respond(conn, 302, "Found", b"", {"Location": location, "X-Request-Id": f"req-{env.token}"})


def _http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


def _retry_after_date(env: Env, conn: Connection) -> None:
    headers = {"Retry-After": _http_date(3), "X-Request-Id": f"req-{env.token}"}
    respond(conn, 503, "Service Unavailable", b'{"message":"busy"}', {**_JSON, **headers})


def _bomb_faults() -> list[Fault]:
    """A 200 whose body decodes to 1 GiB of zeros, for every coding the SDK decodes (br and zstd
    where installed), and a gzip bomb inside gzip: refused as `RuptResponseError` at the 4 MiB
    limit (or unread, for the stacked coding), quickly (timing "fast"), for every operation
    (`update_user` too: the limit applies to every answer). Memory: `test_bombs.py`."""
    faults = []
    for encoding, build in BOMBS.items():
        bomb = build()
        if bomb is None:
            continue

        def answer(
            env: Env, conn: Connection, bomb: bytes = bomb, encoding: str = encoding
        ) -> None:
            respond(conn, 200, "OK", bomb, {**_JSON, "Content-Encoding": encoding})

        def check(env: Env, err: BaseException, encoding: str = encoding) -> None:
            assert isinstance(err, RuptResponseError)
            assert len(err.body) <= 1024
            stacked = encoding == "gzip, gzip"
            assert ("stacked content codings" if stacked else "larger than") in str(err)

        name = "bomb_" + encoding.replace(", ", "_in_") + "_200"
        faults.append(Fault(name, _always(answer), _too_big, check=check))
    return faults


ECHO_500 = json.dumps(
    {"code": "internal", "message": f"could not check the key: Authorization: Bearer {SECRET}"}
).encode()

FAULTS = [
    Fault(
        "http_500",
        _status(500, "Internal Server Error", ECHO_500, **_JSON),
        _retried_api_error(500),
        check=_check_500,
    ),
    Fault(
        "http_502_html",
        _status(502, "Bad Gateway", HTML_502, **{"Content-Type": "text/html"}),
        _retried_api_error(502),
        check=_check_502_html,
    ),
    Fault(
        "http_503_retry_after_short",
        _status(
            503,
            "Service Unavailable",
            b'{"message":"busy"}',
            **_JSON,
            **{"Retry-After": str(SHORT_RETRY_AFTER)},
        ),
        _retried_retry_after,
        options={"max_retry_delay": SHORT_CAP},
        check=_check_retry_after_short,
    ),
    Fault(
        "http_503_retry_after_seconds",
        _status(503, "Service Unavailable", b'{"message":"busy"}', **_JSON, **{"Retry-After": "1"}),
        _not_slept_on,
        options={"max_retry_delay": RETRY_AFTER_CAP},
        check=_check_retry_after_seconds,
    ),
    Fault(
        "http_503_retry_after_date",
        _always(_retry_after_date),
        _not_slept_on,
        options={"max_retry_delay": RETRY_AFTER_CAP},
        check=_check_retry_after_date,
    ),
    Fault(
        "http_504", _status(504, "Gateway Timeout", b""), _retried_api_error(504), check=_check_504
    ),
    Fault(
        "http_520",
        _status(520, "Unknown Error", b"origin error", **{"Content-Type": "text/plain"}),
        _retried_api_error(520),
        check=_check_520,
    ),
    Fault(
        "reset_before_response",
        _always(lambda env, conn: reset(conn)),
        _network(RETRIES + 1),
        check=_check_unanswered,
    ),
    Fault(
        "reset_mid_body",
        _always(_reset_mid_body),
        _network(RETRIES + 1),
        check=_check_unanswered,
    ),
    Fault(
        "short_body",
        _always(_short_body),
        _network(RETRIES + 1),
        check=_check_unanswered,
    ),
    Fault("refused", None, _network(0), target="refused", check=_check_not_connected),
    Fault(
        "unresolvable",
        None,
        lambda op: Expect(RuptNetworkError, attempts=1, requests=0),  # a missing host: no retry
        target="unresolvable",
        check=_check_no_such_host,
    ),
    Fault("slow_headers", _always(_slow_headers), _deadline, options={"timeout": TIMEOUT}),
    Fault("trickled_headers", _always(_trickled_headers), _deadline, options={"timeout": TIMEOUT}),
    Fault("stalled_body", _always(_stalled_body), _deadline, options={"timeout": TIMEOUT}),
    Fault("trickled_body", _always(_trickled_body), _deadline, options={"timeout": TIMEOUT}),
    _junk("invalid_json_200", lambda env: b'{"id": "' + env.token.encode() + b'", "verdict": '),
    _junk("wrong_type_200", lambda env: json.dumps(env.op.wrong_type(env.token)).encode()),
    _junk("missing_id_200", lambda env: json.dumps(env.op.missing_id(env.token)).encode()),
    # openapi.yaml: `id` is a required string, and "an explicit `null` reads the same as an
    # absent key"; so a null id is a missing id, and a number is not the documented shape.
    _junk("null_id_200", lambda env: json.dumps(env.op.with_id(env.token, None)).encode()),
    _junk("number_id_200", lambda env: json.dumps(env.op.with_id(env.token, 12345)).encode()),
    _junk("empty_200", lambda env: b""),
    _junk("html_200", lambda env: HTML_200, "text/html"),
    Fault("body_10mb_200", _always(_big_body), _too_big, check=_check_too_big),
    Fault(
        "redirect_302",
        _always(_redirect),
        lambda op: Expect(RuptApiError, 302),
        check=_check_redirect,
    ),
    *_bomb_faults(),
]

# SDK defects this matrix found, keyed (surface, operation, fault) -> reason, are marked
# xfail(strict=True) until fixed; strict xfail turns a fixed one into a failure, so its entry
# gets removed. The ones found so far (null and numeric ids accepted, an oversize error that was
# its own cause) are fixed.
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {}


# -- fixtures ------------------------------------------------------------------------------------


@dataclass
class Servers:
    main: FaultServer
    other: FaultServer  # "another host": must never see a connection
    refused_url: str  # a loopback port bound by nobody listening: connections are refused


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))  # bound, never listening: the kernel refuses connections
    try:
        with FaultServer() as main, FaultServer() as other:
            yield Servers(main, other, f"http://127.0.0.1:{closed.getsockname()[1]}")
            assert other.connections == 0
    finally:
        closed.close()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [self.format(record) for record in list(self.records)]


@pytest.fixture
def sdk_log() -> Iterator[_Records]:
    """Everything the `rupt_api` logger says during the case, at DEBUG."""
    logger = logging.getLogger("rupt_api")
    handler = _Records()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# -- running one case ----------------------------------------------------------------------------


@dataclass
class Outcome:
    result: Any = None
    error: BaseException | None = None
    elapsed: float = 0.0
    seen: list[Seen] = field(default_factory=list)  # at the time the call returned or raised
    log_lines: list[str] = field(default_factory=list)  # idem, this case's lines only
    later: tuple[str, Any] | None = None  # a continuation's ("ok", value) or ("error", exc)
    # How late a plain timer of this process due at the deadline fired (tests/timing.py).
    machine_lateness: float = 0.0


def _snapshot(outcome: Outcome, server: FaultServer, token: str, log: _Records) -> None:
    outcome.seen = server.seen(token)
    outcome.log_lines = [line for line in log.lines() if token in line]


class Clients:
    """One `RuptAPI` and one `AsyncRuptAPI` per base URL for the whole module, as an app keeps
    them (README: one per process); each case calls through a `with_options` copy. The async
    calls all run on one event loop, as in an app."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._sync: dict[str, RuptAPI] = {}
        self._async: dict[str, AsyncRuptAPI] = {}
        self._injected: list[Any] = []

    def get(self, surface: str, domain: str, options: dict[str, Any], pool: str = "own") -> Any:
        key = f"{pool}:{domain}"
        injected = pool == "injected"
        if surface == "async":
            if key not in self._async:
                http: dict[str, Any] = {}
                if injected:
                    http = {"http_client": self._http(httpx.AsyncClient())}
                elif pool == "aiohttp":
                    http = {"transport": "aiohttp"}
                self._async[key] = AsyncRuptAPI(SECRET, domain=domain, **http)
            return self._async[key].with_options(**options)
        if key not in self._sync:
            http = {"http_client": self._http(httpx.Client())} if injected else {}
            self._sync[key] = RuptAPI(SECRET, domain=domain, **http)
        return self._sync[key].with_options(**options)

    def _http(self, client: Any) -> Any:
        self._injected.append(client)
        return client

    def close(self) -> None:
        for http in self._injected:
            if isinstance(http, httpx.Client):
                http.close()
            else:
                self.loop.run_until_complete(http.aclose())
        for client in self._sync.values():
            client.close()
        for aclient in self._async.values():
            self.loop.run_until_complete(aclient.aclose())
        self.loop.run_until_complete(_cancel_other_tasks())
        self.loop.close()


async def _cancel_other_tasks() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    made = Clients()
    try:
        yield made
    finally:
        made.close()


def _run(
    clients: Clients,
    surface: str,
    op: Op,
    token: str,
    domain: str,
    options: dict[str, Any],
    server: FaultServer,
    log: _Records,
    pool: str = "own",
) -> Outcome:
    """Call `op` once; then, after a timeout, wait for what its continuation delivers."""
    client = clients.get(surface, domain, options, pool)
    reference = Reference(TIMEOUT) if options["timeout"] == TIMEOUT else None
    if surface == "async":
        outcome = clients.loop.run_until_complete(_call_async(client, op, token, server, log))
        outcome.machine_lateness = reference.lateness() if reference else 0.0
        return outcome
    outcome = Outcome()
    started = time.monotonic()
    try:
        outcome.result = getattr(client, op.name)(*op.args(token), **op.kwargs())
    except Exception as exc:
        outcome.error = exc
    outcome.elapsed = time.monotonic() - started
    outcome.machine_lateness = reference.lateness() if reference else 0.0
    _snapshot(outcome, server, token, log)
    error = outcome.error
    if isinstance(error, RuptTimeoutError):
        assert isinstance(error.continuation, concurrent.futures.Future)
        try:
            outcome.later = ("ok", error.continuation.result(timeout=10))
        except Exception as exc:
            outcome.later = ("error", exc)
    return outcome


async def _call_async(
    client: AsyncRuptAPI, op: Op, token: str, server: FaultServer, log: _Records
) -> Outcome:
    outcome = Outcome()
    started = time.monotonic()
    try:
        outcome.result = await getattr(client, op.name)(*op.args(token), **op.kwargs())
    except Exception as exc:
        outcome.error = exc
    outcome.elapsed = time.monotonic() - started
    _snapshot(outcome, server, token, log)
    error = outcome.error
    if isinstance(error, RuptTimeoutError):
        assert isinstance(error.continuation, asyncio.Future)
        try:
            outcome.later = ("ok", await asyncio.wait_for(error.continuation, 10))
        except Exception as exc:
            outcome.later = ("error", exc)
    return outcome


def _texts(error: BaseException) -> Iterator[str]:
    """Every message and repr of `error` and the exceptions chained to it."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (str(arg) for arg in current.args)
        current = current.__cause__ or current.__context__


def _verify(
    fault: Fault,
    op: Op,
    env: Env,
    outcome: Outcome,
    servers: Servers,
    record: Callable[[str, object], None],
) -> None:
    """Assert what the README promises for `fault`; `record` keeps figures for the summary line."""
    expect = fault.expect(op)
    error = outcome.error
    raised = [error, outcome.later[1] if outcome.later and outcome.later[0] == "error" else None]
    escapes = sum(item is not None and not isinstance(item, RuptError) for item in raised)
    if escapes:
        record(UNTYPED_ESCAPES, escapes)

    # The outcome.
    if expect.error is None:
        assert error is None, f"expected a result, got {error!r}"
        op.check_result(outcome.result, env.token)
    else:
        assert isinstance(error, expect.error), f"expected {expect.error.__name__}, got {error!r}"
        if expect.status is not None:
            assert getattr(error, "status", None) == expect.status
        assert error.attempts == expect.attempts
        if fault.check is not None:
            fault.check(env, error)

    # The attempts, as the server saw them and as the log tells them.
    attempts = 1 if error is None else error.attempts
    if expect.timing == "deadline":
        assert len(outcome.seen) == 1
        assert outcome.log_lines == []  # the attempt had not ended when the caller was told
    else:
        assert len(outcome.seen) == expect.requests
        # One DEBUG line per attempt (INFO lines say why each retry happened).
        per_attempt = [line for line in outcome.log_lines if line.startswith("rupt_api DEBUG ")]
        assert len(per_attempt) == attempts, outcome.log_lines
        retries = [line for line in outcome.log_lines if line.startswith("rupt_api INFO ")]
        assert len(retries) <= attempts - 1, outcome.log_lines
        for number, line in enumerate(per_attempt, 1):
            assert f"(attempt {number}" in line
            if expect.error is RuptApiError:  # an answer: its status; else the failure
                assert f"-> {expect.status} in" in line
    for request in outcome.seen:
        op.request_matches(request, env.token)
        # The secret went where it belongs, and only there.
        assert request.headers.get("authorization") == f"Bearer {SECRET}"

    # The time.
    if expect.timing == "fast":
        assert outcome.elapsed < FAST_BOUND
    elif expect.timing == "retry_after":
        # Retry-After asked for less than the cap: every wait is the Retry-After.
        gaps = [b.at - a.at for a, b in itertools.pairwise(outcome.seen)]
        assert len(gaps) == RETRIES
        for gap in gaps:
            assert SHORT_RETRY_AFTER <= gap < SHORT_RETRY_AFTER + RETRY_AFTER_SLACK, gaps
        assert outcome.elapsed < RETRIES * (SHORT_RETRY_AFTER + RETRY_AFTER_SLACK)
    else:
        assert isinstance(error, RuptTimeoutError)
        assert error.timeout == TIMEOUT
        overshoot = outcome.elapsed - TIMEOUT
        record(OVERSHOOT, overshoot)
        allowed = DEADLINE_SLACK + outcome.machine_lateness
        assert -0.005 <= overshoot <= allowed, (
            f"raised {overshoot:.3f} s past the deadline"
            f" (a timer of this process: {outcome.machine_lateness:.3f} s)"
        )
        # The operation went on in the background and delivers what the call would have.
        assert outcome.later is not None
        assert outcome.later[0] == "ok", f"continuation failed: {outcome.later[1]!r}"
        op.check_result(outcome.later[1], env.token)

    # Nothing re-sent: every request the server got for this case, continuations included, is
    # one of the call's attempts (after a deadline: the one attempt, finished in the background).
    assert len(servers.main.seen(env.token)) == expect.requests

    # No redirect followed, nothing sent to any other host, no request the server did not expect.
    assert servers.other.connections == 0
    assert servers.main.strays == []

    # The secret: in no message, repr, chained cause or log line.
    texts = [*outcome.log_lines]
    for item in (error, outcome.later[1] if outcome.later else None):
        if isinstance(item, BaseException):
            texts.extend(_texts(item))
    leaks = [text for text in texts if SECRET in text]
    assert leaks == []


_case_numbers = itertools.count(1)


# The deadline cases also run through an injected `http_client` (whose calls run in the
# background from the start), for the two writes: the requests that must never be sent twice.
INJECTED_OPS = ("consume_evaluation", "update_user")


def _cases() -> Iterator[Any]:
    for fault in FAULTS:
        for op in OPS:
            pools = ["own"]
            if fault.expect(op).timing == "deadline" and op.name in INJECTED_OPS:
                pools.append("injected")
            combinations = [*itertools.product(("sync", "async"), pools), ("async", "aiohttp")]
            for surface, pool in combinations:
                case_id = f"{surface}-{op.name}-{fault.name}"
                if pool != "own":
                    case_id += f"-{pool}"
                reason = KNOWN_DEFECTS.get((surface, op.name, fault.name))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                yield pytest.param(surface, op, fault, pool, id=case_id, marks=marks)


@pytest.mark.parametrize(("surface", "op", "fault", "pool"), list(_cases()))
def test_fault(
    surface: str,
    op: Op,
    fault: Fault,
    pool: str,
    servers: Servers,
    clients: Clients,
    sdk_log: _Records,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Callable[[str, object], None],
) -> None:
    token = f"fm{next(_case_numbers):03d}-{surface}-{fault.name}"
    env = Env(op, token, servers.other.url)
    if fault.target == "refused":
        domain = servers.refused_url
    elif fault.target == "unresolvable":
        domain = UNRESOLVABLE
        monkeypatch.setattr(socket, "getaddrinfo", _no_such_host(socket.getaddrinfo))
    else:
        assert fault.behaviour is not None
        servers.main.register(token, fault.behaviour(env))
        domain = servers.main.url
    options: dict[str, Any] = {
        "timeout": OTHER_TIMEOUT,
        "retries": RETRIES,
        "max_retry_delay": FAST_CAP,
        **fault.options,
    }
    if fault.target != "server":
        # Nothing listens, so no server records anything: count against an empty case.
        servers.main.register(token, lambda conn, attempt, seen: None)
    outcome = _run(clients, surface, op, token, domain, options, servers.main, sdk_log, pool)
    _verify(fault, op, env, outcome, servers, record_property)


# -- defects found by the matrix, each pinned by its own test --------------------------------------


def _cause_chain(error: BaseException) -> list[BaseException]:
    """`error` and its `__cause__`s, stopping at the first one seen twice (a cycle)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__
    return chain


@pytest.mark.parametrize("surface", ["sync", "async"])
def test_oversized_body_error_is_not_its_own_cause(
    surface: str, servers: Servers, clients: Clients, sdk_log: _Records
) -> None:
    op = OPS[0]
    token = f"fm{next(_case_numbers):03d}-{surface}-cause-cycle"
    env = Env(op, token, servers.other.url)
    servers.main.register(token, _always(_big_body)(env))
    options = {"timeout": OTHER_TIMEOUT, "retries": 0}
    outcome = _run(clients, surface, op, token, servers.main.url, options, servers.main, sdk_log)
    error = outcome.error
    assert isinstance(error, RuptResponseError)
    assert "larger than" in str(error)
    # No parse error to chain: no cause at all, and above all not the error itself.
    assert error.__cause__ is not error
    assert all(item.__cause__ is not item for item in _cause_chain(error))
