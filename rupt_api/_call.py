"""One call, from request to result or typed error: everything both surfaces share.

`RuptAPI` and `AsyncRuptAPI` only move bytes (send, read, sleep); this module decides what each
attempt sends, what an answer or a failure means, when the deadline has passed, and what the
caller is told.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, NoReturn, Protocol

import httpx

from . import _logging
from ._config import Options
from ._exceptions import (
    RuptApiError,
    RuptClientClosedError,
    RuptError,
    RuptNetworkError,
    RuptResponseError,
    RuptTimeoutError,
)
from ._handoff import Exchange
from ._internals import is_plain_path, url_with_path
from ._logging import logger
from ._operations import Operation, RequestSpec
from ._redact import redact, scrub
from ._retry import causes, names_no_such_host, names_refused_certificate, parse_retry_after

# Rupt's answers are a few KB; a body past this is refused rather than buffered.
MAX_BODY_BYTES = 4 * 1024 * 1024
# How a 2xx answer's JSON starts when `loads` may take its short way (json.loads' own decoder).
_DOCUMENT_STARTS = (b"{", b"[")
_DECODER = json.JSONDecoder()
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-rupt-request-id")
# httpx failures that prove the request never left: re-sending after them is always harmless.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
# A continuation ends at the latest this long after the caller's deadline: abandoned work always
# finishes.
BACKSTOP_SECONDS = 60.0
# What each aiohttp failure (`transport="aiohttp"`, or an injected httpx-aiohttp client) means, as
# the httpx error of the same meaning; the first match wins. Named, not imported: aiohttp is
# optional, and loaded only by those who use it.
_AIOHTTP_ERRORS: tuple[tuple[str, type[httpx.TransportError]], ...] = (
    ("ClientConnectorError", httpx.ConnectError),  # refused, DNS, TLS: nothing was sent
    ("ConnectionTimeoutError", httpx.ConnectTimeout),
    ("ServerTimeoutError", httpx.ReadTimeout),
    ("InvalidURL", httpx.UnsupportedProtocol),
    ("NonHttpUrlClientError", httpx.UnsupportedProtocol),
    # Hung up, a broken or malformed answer: the request may well have reached Rupt.
    ("ServerDisconnectedError", httpx.RemoteProtocolError),
    ("ClientPayloadError", httpx.RemoteProtocolError),
    ("ClientResponseError", httpx.RemoteProtocolError),
    ("ClientError", httpx.ReadError),
)


class DeadlinePassed(Exception):
    """Raised inside a call when its deadline passes; the client turns it into a timeout."""


class Resume:
    """Where a continuation picks the call up (`Call.resume`)."""

    FINISH = "finish"  # finish the attempt the deadline cut off, on its own connection
    ATTEMPT = "attempt"  # nothing of it was sent: send it (once)


class Answer(Protocol):
    """What the SDK reads of an answer: an `httpx.Response`, or the aiohttp transport's own."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> httpx.Headers: ...


class Call:
    """The state of one call across its attempts (and its continuation, if it has one)."""

    __slots__ = (
        "_content_length",
        "_options",
        "_request",
        "attempts",
        "cut_off",
        "deadline",
        "exchange",
        "handed_off",
        "last_failure",
        "limit",
        "operation",
        "past_backstop",
        "pending_sleep",
        "resource_id",
        "spec",
        "unknown_fate",
        "watched",
    )

    def __init__(
        self, options: Options, operation: Operation, spec: RequestSpec, *, watched: bool = False
    ) -> None:
        self._options = options
        self.operation = operation
        self.spec = spec
        self.resource_id = spec.resource_id
        self._request: httpx.Request | None = None
        # The caller's deadline. `limit` is when the running code must stop: the deadline while
        # the caller waits on this thread or task, the backstop once the work went on without it.
        self.deadline = time.monotonic() + options.timeout
        self.limit = self.deadline
        # True when the SDK's own pool runs the attempts: its network backend watches each
        # exchange and hands the connection over at the deadline (`_handoff.py`).
        self.watched = watched
        self.exchange: Exchange | None = None
        self.handed_off: Exchange | None = None
        # The deadline closed an attempt that may have reached Rupt (no hand-off possible).
        self.cut_off = False
        self.attempts = 0
        # True once an attempt may have reached Rupt without its answer reaching us.
        self.unknown_fate = False
        # Backoff still owed when the deadline cut a sleep short; the continuation sleeps it.
        self.pending_sleep = 0.0
        # Set as the backstop stops an async call's task (`AsyncRuptAPI._call`).
        self.past_backstop = False
        # Why the last attempt failed, in words, until a retry's log line says it.
        self.last_failure: str | None = None
        self._content_length = 0

    # -- attempts ------------------------------------------------------------------------------

    @property
    def request(self) -> httpx.Request:
        """The call's request, built on first use and re-sent on every attempt (only its
        timeouts change). The aiohttp transport sends the call without building it."""
        request = self._request
        if request is None:
            method, path, content, _ = self.spec
            options = self._options
            request = self._request = httpx.Request(
                method,
                url_with_path(options.url, path),
                headers=options.plain_headers if content is None else options.json_headers,
                content=content,
            )
        return request

    def target(self) -> tuple[str, str, str, Mapping[str, str], bytes | None]:
        """The request without building it, for the aiohttp transport: its method, the base
        URL, its URL, headers and body."""
        method, path, content, _ = self.spec
        options = self._options
        base = options.url_text
        # Operation.request's paths are plain (percent-encoded) text, appended as they are; any
        # other would be parsed by httpx as `request` parses it.
        url = base + path if is_plain_path(path) else str(self.request.url)
        headers = options.headers if content is None else options.json_header_dict
        return method, base, url, headers, content

    def next_attempt(self) -> float:
        """Start the next attempt: the seconds it has, what is left of the limit."""
        limit = self.limit
        remaining = limit - time.monotonic()
        if remaining <= 0:
            raise DeadlinePassed
        self.attempts += 1
        self._content_length = 0
        if self.watched:
            self.exchange = Exchange(limit, hand_off=limit == self.deadline)
        return remaining

    def next_request(self) -> httpx.Request:
        """The next attempt's request, its timeouts bounded by what is left of the limit."""
        return self.timed_request(self.next_attempt())

    def timed_request(self, timeout: float) -> httpx.Request:
        """The request, with `timeout` seconds for each step."""
        request = self.request
        request.extensions["timeout"] = {
            "connect": timeout,
            "read": timeout,
            "write": timeout,
            "pool": timeout,
        }
        return request

    def hand_off(self, exchange: Exchange) -> NoReturn:
        """The deadline passed mid-exchange: the continuation finishes it on its connection."""
        # The same attempt goes on, so this is no reason to doubt a later 409.
        self.handed_off = exchange
        raise DeadlinePassed

    @property
    def backstop(self) -> float:
        """When the call's work ends, whatever it is doing (`time.monotonic()`)."""
        return self.deadline + BACKSTOP_SECONDS

    def give_up_waiting(self) -> None:
        """The caller stops waiting: from now on the work runs until the backstop."""
        self.limit = self.backstop

    def resume(self) -> str:
        """Where the continuation goes on (a `Resume`), or the error it ends with."""
        if self.handed_off is not None:
            return Resume.FINISH
        if self.cut_off:
            raise RuptNetworkError(
                f"{self.operation.name} was cut off at its deadline after it was sent, and could"
                " not be finished in the background (too many at once); it may have reached Rupt",
                attempts=self.attempts,
            )
        return Resume.ATTEMPT

    def take_handed_off(self) -> Exchange:
        """The handed-off exchange, now bounded by the backstop and failing there."""
        exchange = self.handed_off
        assert exchange is not None
        self.handed_off = None
        exchange.deadline = self.limit
        exchange.hand_off = False
        self._content_length = 0
        return exchange

    def time_left(self) -> float:
        """Seconds until the caller's deadline, or, once it passed, until the backstop."""
        now = time.monotonic()
        if now < self.deadline:
            return self.deadline - now
        return self.backstop - now

    def mark_past_backstop(self) -> None:
        """The backstop passed while the call's task was still running: it is cancelled now."""
        self.past_backstop = True

    def check_backstop(self) -> None:
        """Called as each raw chunk of an answer's body arrives: past the backstop, an answer
        still arriving (a server trickling it, each read returning in time) is given up."""
        if time.monotonic() > self.backstop:
            raise httpx.ReadTimeout("the call's backstop passed while its answer was arriving")

    def check_chunk(self, response: Answer, chunk: bytes) -> None:
        """Called for each body chunk: refuses oversized bodies."""
        self._content_length += len(chunk)
        if self._content_length > MAX_BODY_BYTES:
            status = response.status_code
            raise RuptResponseError(
                f"Rupt's {status} answer to {self.operation.name} is larger than"
                f" {MAX_BODY_BYTES} bytes; refused (body holds the first bytes read)",
                status=status,
                body=chunk[:1024],
                attempts=self.attempts,
            )

    def sleep_plan(self, seconds: float) -> tuple[float, bool]:
        """How long a backoff may sleep, and whether the limit passes during it."""
        if self.last_failure is not None:
            # A retry's backoff (a continuation finishing a cut sleep has none): say why.
            most = self._options.retries + 1
            _logging.retrying(self.operation.name, self.attempts, most, self.last_failure, seconds)
            self.last_failure = None
        remaining = self.limit - time.monotonic()
        if seconds < remaining:
            self.pending_sleep = 0.0
            return seconds, False
        self.pending_sleep = seconds - max(remaining, 0.0)
        return max(remaining, 0.0), True

    # -- outcomes ------------------------------------------------------------------------------

    def result(self, response: Answer, content: bytes, started: float) -> Any:
        """What the call returns for an answer, or the typed error it raises."""
        status = response.status_code
        if logger.isEnabledFor(logging.DEBUG):
            self._log(str(status), started, _request_id(response.headers))
        if 200 <= status <= 299:
            parse = self.operation.parse
            if parse is None:
                return None
            try:
                value = parse(loads(content))
            except Exception as exc:  # JSONDecodeError, KeyError, TypeError, ValueError, ...
                scrub(exc, self._options.secret)
                raise RuptResponseError(
                    f"Rupt's {status} answer to {self.operation.name} does not have the documented"
                    f" shape ({type(exc).__name__}: {_short(str(exc), self._options.secret)})",
                    status=status,
                    body=content,
                    attempts=self.attempts,
                ) from exc
            if self.resource_id is not None and value.id != self.resource_id:
                # An answer about another resource (a caching proxy mixing up answers, say) must
                # never be acted on as if it were the one asked for.
                secret = self._options.secret
                got, asked = _short(value.id, secret, 80), _short(self.resource_id, secret, 80)
                raise RuptResponseError(
                    f"Rupt's {status} answer to {self.operation.name} is about {got!r},"
                    f" not {asked!r} as asked; refused",
                    status=status,
                    body=content,
                    attempts=self.attempts,
                )
            return value
        raise self._api_error(status, response.headers, content)

    def fail(self, error: Exception, started: float) -> NoReturn:
        """Raise what an attempt that got no answer means, chained to `error` if translated."""
        # What a server echoed (the Authorization header in a malformed status or header line)
        # ends up in the messages of httpx's and h11's exceptions, chained to what we raise.
        scrub(error, self._options.secret)
        translated = self.failure(error, started)
        if translated is error:
            raise error
        # The cause the translation gave (the httpx error an aiohttp failure means, itself
        # chained to it), else `error`.
        raise translated from translated.__cause__ or error

    def failure(self, error: Exception, started: float) -> Exception:
        """The exception to raise for an attempt that got no answer."""
        translated = self._translate(error)
        if logger.isEnabledFor(logging.DEBUG):
            if isinstance(translated, DeadlinePassed):
                outcome = "cut short: the deadline passed"
            elif isinstance(translated, RuptNetworkError) and self.last_failure is not None:
                outcome = self.last_failure
            else:
                outcome = f"failed: {translated}"
            self._log(outcome, started)
        return translated

    def _translate(self, error: Exception) -> Exception:
        if isinstance(error, RuptError | DeadlinePassed):
            return error
        error = _from_aiohttp(error) or error
        sent = not isinstance(error, _NOT_SENT)
        if sent:
            self.unknown_fate = True
        if isinstance(error, httpx.TimeoutException):
            # Every phase's timeout is what is left of the limit: it has passed. Nothing sent:
            # the continuation sends this same attempt. Sent: it must never be sent again.
            if sent:
                self.cut_off = True
            else:
                self.attempts -= 1
            return DeadlinePassed()
        text = _short(str(error), self._options.secret) or type(error).__name__
        if isinstance(error, httpx.HTTPError | OSError):
            return _with_cause(self._network_error(error, text), error)
        # anyio wraps errors raised while connecting in an ExceptionGroup: name the real one.
        inner: BaseException = error
        while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
            inner = inner.exceptions[0]
        text = _short(str(inner), self._options.secret) or type(inner).__name__
        message = (
            f"Unexpected error sending {self.operation.name} ({type(inner).__name__}: {text})"
            f" after {_attempts(self.attempts)}"
        )
        return _with_cause(RuptError(message, attempts=self.attempts), error)

    def _network_error(self, error: Exception, text: str) -> RuptNetworkError:
        url = self.request.url
        host = url.host if url.port is None else f"{url.host}:{url.port}"
        phase = _phase(error)
        hint = ""
        if phase == "resolving" and names_no_such_host(error):
            what = f"the host {host} does not exist"
            hint = "; check the domain option (not retried)"
        elif names_refused_certificate(error):
            what = f"the TLS certificate of {host} was refused"
            hint = (
                "; check the domain option, any proxy in between, and SSL_CERT_FILE if you set"
                " it (not retried)"
            )
        else:
            what = _WHAT[phase].format(host=host)
        self.last_failure = f"got no answer: {what} ({text})"
        message = (
            f"No answer from Rupt to {self.operation.name}: {what} ({text}){hint}"
            f" after {_attempts(self.attempts)}"
        )
        return RuptNetworkError(message, host=host, phase=phase, attempts=self.attempts)

    def closed_error(self) -> RuptClientClosedError:
        return RuptClientClosedError(
            f"cannot send {self.operation.name}: the client was closed (a continuation still"
            " running when it closed ends here too)",
            attempts=self.attempts,
        )

    def timeout_error(self, continuation: Any, attempts: int | None = None) -> RuptTimeoutError:
        """The caller's timeout. `attempts`: the count read before a continuation was started
        (one running in another thread may start its next attempt at any moment)."""
        timeout = self._options.timeout
        if attempts is None:
            attempts = self.attempts
        after = "" if attempts == 0 else f" ({_attempts(attempts)})"
        if continuation is None:
            message = f"{self.operation.name} did not finish before its backstop deadline{after}"
        else:
            message = (
                f"Rupt did not answer {self.operation.name} within the {timeout:g} s"
                f" timeout{after}; the call continues in the background: see err.continuation"
            )
        error = RuptTimeoutError(
            message, timeout=timeout, continuation=continuation, attempts=attempts
        )
        if continuation is not None:
            _logging.timed_out(self.operation.name, timeout, attempts, continuation)
        return error

    def _api_error(self, status: int, headers: httpx.Headers, content: bytes) -> RuptApiError:
        body = _decode_body(content)
        code = detail = None
        if isinstance(body, Mapping):
            code = _text_field(body, "code", "error")
            detail = _text_field(body, "message", "error", "detail")
        request_id = _request_id(headers)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "(non-standard status)"
        secret = self._options.secret
        if request_id:
            request_id = _short(request_id, secret, 80)
            self.last_failure = f"got {status} {reason} (request id {request_id})"
        else:
            self.last_failure = f"got {status} {reason}"
        parts = [f"Rupt answered {status} {reason} to {self.operation.name}"]
        if detail:
            parts.append(f": {_short(detail, secret)}")
        if code and code != detail:
            parts.append(f" [code {_short(code, secret, 60)}]")
        if request_id:
            parts.append(f" [request id {request_id}]")
        parts.append(f" after {_attempts(self.attempts)}")
        earlier_unknown = self.unknown_fate
        if status >= 500:
            # Rupt may have done the work before failing: a later 409 may be this call's own.
            self.unknown_fate = True
        if earlier_unknown and status == 409:
            parts.append("; an earlier attempt may have reached Rupt (see earlier_attempt_unknown)")
        return RuptApiError(
            "".join(parts),
            status=status,
            body=body,
            headers=headers,
            request_id=request_id,
            code=None if code is None else _short(code, secret, 60),
            detail=None if detail is None else _short(detail, secret),
            retry_after=parse_retry_after(headers.get("retry-after")),
            attempts=self.attempts,
            earlier_attempt_unknown=earlier_unknown,
        )

    def _log(self, outcome: str, started: float, request_id: str | None = None) -> None:
        # The Authorization header is never logged; the path holds only ids.
        _logging.attempt(
            self.request.method,
            self.request.url.raw_path.decode("ascii", "replace"),
            outcome,
            elapsed=time.perf_counter() - started,
            number=self.attempts,
            request_id=None if request_id is None else _short(request_id, self._options.secret, 80),
        )


# What an attempt was doing when it got no answer (see `_phase`).
_WHAT = {
    "resolving": "could not resolve {host}",
    "connecting": "could not connect to {host}",
    "writing": "the connection to {host} broke while sending the request",
    "reading": "the connection to {host} broke while reading the answer",
    None: "the request to {host} failed",
}


def _phase(error: Exception) -> str | None:
    """Which step of an attempt `error` interrupted: resolving, connecting, writing or reading."""
    if any(isinstance(cause, socket.gaierror) for cause in causes(error)):
        return "resolving"
    if isinstance(error, httpx.ConnectError | httpx.ProxyError | ConnectionRefusedError):
        return "connecting"
    if isinstance(error, httpx.WriteError | httpx.LocalProtocolError):
        return "writing"
    if isinstance(
        error, httpx.ReadError | httpx.RemoteProtocolError | httpx.CloseError | httpx.DecodingError
    ):
        return "reading"
    return None


def _request_id(headers: httpx.Headers) -> str | None:
    return next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def _short(text: str, secret: str, limit: int = 200) -> str:
    text = " ".join(redact(text, secret).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text_field(body: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def loads(content: bytes) -> Any:
    """`json.loads(content)`, with less work for an answer as Rupt sends them: UTF-8, one JSON
    object or array from the first byte to the last.

    json.loads first guesses the body's encoding, then matches whitespace before and after the
    document: ~1-2 us of the ~10 a 2 KB answer takes. Here such an answer is decoded as UTF-8
    (json.loads' guess too for a body starting so, but for a NUL second byte, which the decoder
    then refuses here) and read by json's own decoder; anything else (whitespace around the
    document, something after it, another encoding, a malformed body) goes to json.loads
    itself, so results and errors are always its own (tests/reliability/test_answer_json.py).
    """
    if content[:1] in _DOCUMENT_STARTS:
        try:
            text = content.decode("utf-8", "surrogatepass")
            value, end = _DECODER.raw_decode(text)
        except ValueError:  # json.loads raises the same, worded its own way
            pass
        else:
            if end == len(text):
                return value
    return json.loads(content)


def _decode_body(content: bytes) -> Any:
    if not content:
        return ""
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def _from_aiohttp(error: Exception) -> httpx.TransportError | None:
    """The httpx error an aiohttp failure means, or None if `error` is not one.

    httpx-aiohttp maps some aiohttp errors to httpx's (keeping the original as the cause), with
    other meanings: a server that hung up mid-answer becomes a `ConnectTimeout`, as if the
    request never left. The original decides here; unmapped ones (a malformed answer, a reset
    while reading) are aiohttp's own.
    """
    aiohttp: Any = sys.modules.get("aiohttp")
    if aiohttp is None:
        return None
    cause = error.__cause__ if isinstance(error, httpx.TransportError) else error
    if not isinstance(cause, aiohttp.ClientError):
        return None
    meaning = next(
        kind for name, kind in _AIOHTTP_ERRORS if isinstance(cause, getattr(aiohttp, name, ()))
    )
    try:
        text = str(cause)
    except Exception:  # an aiohttp error built without its request info cannot print itself
        text = ""
    translated = meaning(text or type(cause).__name__)
    translated.__cause__ = cause
    return translated


def _with_cause(error: RuptError, cause: BaseException) -> RuptError:
    error.__cause__ = cause
    return error
