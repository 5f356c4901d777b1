"""A raw-socket HTTP/1.1 server that misbehaves on purpose, for the fault matrix.

`rupt_api.testing.FakeRupt` answers through a real HTTP stack, so it cannot reset a connection in
the middle of a body or trickle one byte at a time. This server works on the socket itself:

- it listens on 127.0.0.1 only (an ephemeral port), one thread per connection, at most
  `max_connections` at once, each socket operation bounded by `io_timeout`;
- it reads one request (head and `Content-Length` body; a case may pause reading after the head,
  to leave a large request half-written), records it, then hands the socket to the
  *behaviour* registered for the request's case token (the path segment after the resource name,
  as in `/v3/evaluations/<token>` or `/v3/user/<token>/update`), with the attempt number;
- it stops on `stop()` / leaving the `with` block, and by itself after `lifetime` seconds.

Behaviours are plain functions of `(Connection, attempt, Seen)`; the helpers below (`respond`,
`reset`, `send_head`, `trickle`, `wait_for_close`, ...) are the misbehaviours they combine.
A server with no behaviours registered is a silent "other host": it counts every connection,
answers 404, and is how a test proves that nothing was sent somewhere it should not have been.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
_TOKEN = re.compile(r"^/v3/(?:evaluations|challenges|user)/([^/?]+)")


@dataclass(frozen=True)
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic() once the whole request was read


class Connection:
    """One accepted socket, with the server's stop flag so long misbehaviours end promptly."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping

    def send(self, data: bytes) -> bool:
        """Send `data`; False when the client has gone (reset, closed, timed out)."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True


Behaviour = Callable[[Connection, int, Seen], None]


# -- the misbehaviours -------------------------------------------------------------------------


def head(status: int, reason: str, headers: dict[str, str] | None = None) -> bytes:
    """A response head; `Connection: close` unless the headers say otherwise."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    merged = {"Connection": "close", **(headers or {})}
    lines += [f"{name}: {value}" for name, value in merged.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    conn: Connection,
    status: int,
    reason: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    """A well-formed answer with a correct `Content-Length`, then a clean close."""
    conn.send(head(status, reason, {"Content-Length": str(len(body)), **(headers or {})}) + body)


def send_head(conn: Connection, status: int, reason: str, headers: dict[str, str]) -> bool:
    return conn.send(head(status, reason, headers))


def reset(conn: Connection) -> None:
    """Abort the connection: SO_LINGER 0 makes close() send a RST instead of a FIN."""
    with contextlib.suppress(OSError):
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        conn.sock.close()


def wait_for_close(conn: Connection, bound: float) -> None:
    """Say nothing until the client hangs up (or `bound` seconds pass, or the server stops)."""
    end = time.monotonic() + bound
    while not conn.stopping.is_set():
        left = end - time.monotonic()
        if left <= 0:
            return
        try:
            readable, _, _ = select.select([conn.sock], [], [], min(left, 0.05))
            if readable and not conn.sock.recv(4096):
                return
        except OSError:
            return


def trickle(conn: Connection, data: bytes, interval: float, bound: float) -> None:
    """Send `data` one byte every `interval` seconds until the client hangs up or `bound`."""
    end = time.monotonic() + bound
    for index in range(len(data)):
        if conn.stopping.is_set() or time.monotonic() >= end:
            return
        if not conn.send(data[index : index + 1]):
            return
        time.sleep(interval)


# -- the server --------------------------------------------------------------------------------


@dataclass
class _Case:
    behaviour: Behaviour
    pause_after_head: float = 0.0
    seen: list[Seen] = field(default_factory=list)


class FaultServer:
    """See the module docstring. Use as a context manager, or `start()` and `stop()`."""

    def __init__(
        self,
        *,
        lifetime: float = 300.0,
        max_connections: int = 64,
        io_timeout: float = 5.0,
        max_body: int = MAX_BODY_BYTES,
        receive_buffer: int | None = None,
    ) -> None:
        self._lifetime = lifetime
        self._max_body = max_body
        self._io_timeout = io_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._cases: dict[str, _Case] = {}
        self._open: set[socket.socket] = set()
        self._handlers: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if receive_buffer is not None:  # inherited by accepted sockets; set before listen()
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self._listener.bind(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0  # every accepted connection, whatever came of it
        self.strays: list[Seen] = []  # requests for no registered token
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"fault-server-{self.port}", daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        self._listener.listen(128)
        self._listener.settimeout(0.05)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=5)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._open)
            handlers = list(self._handlers)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in handlers:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- cases ---------------------------------------------------------------------------------

    def register(self, token: str, behaviour: Behaviour, *, pause_after_head: float = 0.0) -> None:
        """Serve requests for `token` with `behaviour`; `pause_after_head`: seconds to stop
        reading once the request's head is in (its body then waits in the client's buffers)."""
        with self._lock:
            if token in self._cases:
                raise ValueError(f"token {token!r} is already registered")
            self._cases[token] = _Case(behaviour, pause_after_head)

    def seen(self, token: str) -> list[Seen]:
        """The requests received so far for `token`, oldest first."""
        with self._lock:
            return list(self._cases[token].seen)

    # -- internals -----------------------------------------------------------------------------

    def _pause_for(self, path: str) -> float:
        match = _TOKEN.match(path)
        with self._lock:
            case = self._cases.get(match.group(1)) if match else None
        return case.pause_after_head if case is not None else 0.0

    def _accept_loop(self) -> None:
        end = time.monotonic() + self._lifetime
        while not self._stopping.is_set() and time.monotonic() < end:
            if not self._slots.acquire(timeout=0.05):
                continue
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                self._slots.release()
                continue
            with self._lock:
                self.connections += 1
                self._open.add(sock)
                self._handlers = [t for t in self._handlers if t.is_alive()]
                thread = threading.Thread(
                    target=self._serve, args=(sock,), name="fault-server-conn", daemon=True
                )
                self._handlers.append(thread)
            thread.start()
        self._stopping.set()

    def _serve(self, sock: socket.socket) -> None:
        try:
            sock.settimeout(self._io_timeout)
            request = _read_request(sock, self._max_body, self._pause_for)
            if request is None:
                return
            match = _TOKEN.match(request.path)
            with self._lock:
                case = self._cases.get(match.group(1)) if match else None
                if case is not None:
                    case.seen.append(request)
                    attempt = len(case.seen)
                else:
                    self.strays.append(request)
            conn = Connection(sock, self._stopping)
            if case is None:
                respond(conn, 404, "Not Found", b'{"error":"no such case"}')
            else:
                case.behaviour(conn, attempt, request)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._open.discard(sock)
            self._slots.release()


def _read_request(
    sock: socket.socket, max_body: int, pause_for: Callable[[str], float]
) -> Seen | None:
    """Read one request's head and `Content-Length` body; None if the client left first."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk or len(buffer) > MAX_HEAD_BYTES:
            return None
        buffer += chunk
    raw_head, _, body = buffer.partition(b"\r\n\r\n")
    request_line, *header_lines = raw_head.decode("latin-1").split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), max_body)
    pause = pause_for(path)
    if pause:
        time.sleep(pause)
    parts, received = [body], len(body)
    while received < length:
        chunk = sock.recv(1024 * 1024)
        if not chunk:
            return None
        parts.append(chunk)
        received += len(chunk)
    return Seen(method, path, headers, b"".join(parts)[:length], time.monotonic())
