"""The fake over real HTTP/1.1: a stdlib threading server in a background thread."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ._wire import Answer, error_answer

if TYPE_CHECKING:
    from ._state import FakeRupt

_NO_BODY = (204, 304)
# Answers requests outside Rupt's API (the command line's control endpoint), or None to pass.
Control = Callable[[str, str, bytes], Answer | None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "FakeRupt"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK hold every answer on a kept-alive connection back ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: no line on stderr per request."""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(error_answer(400, "bad_request", "unreadable request body"))
            return
        control = self.server.control
        answer = control(self.command, self.path, body) if control is not None else None
        if answer is not None:
            self._send(answer)
            return
        exchange = self.server.fake._receive(self.command, self.path, self.headers.items(), body)
        if exchange.delay and self.server.stopping.wait(exchange.delay):
            self.close_connection = True  # the server is shutting down
            return
        if exchange.drop:
            self.close_connection = True  # no answer at all: the client sees the socket close
            return
        try:
            answer = exchange.answer()
        except Exception as exc:  # a bug in the fake: say so rather than drop the connection
            answer = error_answer(500, "internal_server_error", f"FakeRupt failed: {exc!r}")
        self._send(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        has_body = answer.status not in _NO_BODY
        if has_body:
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if has_body and answer.body:
            self.wfile.write(answer.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default (5) makes bursts of connections wait for SYN retries

    def __init__(self, host: str, port: int, fake: FakeRupt, control: Control | None) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.fake = fake
        self.control = control
        self.stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can be slow; skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def url(self) -> str:
        host = self.server_name
        return (
            f"http://[{host}]:{self.server_port}"
            if ":" in host
            else f"http://{host}:{self.server_port}"
        )

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections[connection] = threading.current_thread()

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.pop(connection, None)

    def close_connections(self) -> None:
        """End the open (keep-alive) connections and wait for their threads."""
        with self._connections_lock:
            connections = list(self._connections.items())
        for connection, _ in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away: nothing to report
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(
    fake: FakeRupt, host: str = "127.0.0.1", port: int = 0, control: Control | None = None
) -> Iterator[str]:
    """Serve `fake` over HTTP in a background thread; yield its base URL.

    `control` answers the requests it recognises (the command line's control endpoint) before
    they reach the fake, which then neither records nor counts them.
    """
    server = _Server(host, port, fake, control)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"FakeRupt {server.url}",
        daemon=True,
    )
    thread.start()
    try:
        yield server.url
    finally:
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
