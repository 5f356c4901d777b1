"""The environment's network settings (proxies, NO_PROXY, CA bundles), on both surfaces.

A tiny forward proxy on 127.0.0.1 counts the requests it receives and answers them itself (the
target host does not resolve: only the proxy can answer). The SDK's own pools must go through
it exactly as httpx's clients do; the sync pool keeps its per-socket deadline through it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI, RuptTimeoutError
from rupt_api.testing import FakeRupt

from .conftest import ASYNC_TRANSPORTS, SECRET

TARGET = "http://rupt-behind-a-proxy.invalid"
PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's shell (or CI's) must not decide these tests.
    for name in [*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUEST_METHOD"]:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class ForwardProxy:
    """Counts the requests it receives; answers each with the evaluation its path names.

    `trickle` sends the answer one byte every 20 ms instead (only a deadline over the whole call
    ends that). Bound to 127.0.0.1, stops by itself after `lifetime` seconds.
    """

    def __init__(self, *, trickle: bool = False, lifetime: float = 30.0) -> None:
        self.trickle = trickle
        self.request_lines: list[str] = []
        self.proxy_authorizations: list[str | None] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._end = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._end:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            with sock:
                sock.settimeout(2)
                with contextlib.suppress(OSError):
                    self._answer(sock)

    def _answer(self, sock: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                return
            head += chunk
        line, *header_lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        self.request_lines.append(line)
        headers = dict(h.split(":", 1) for h in header_lines if ":" in h)
        named = {name.strip().lower(): value.strip() for name, value in headers.items()}
        self.proxy_authorizations.append(named.get("proxy-authorization"))
        evaluation_id = line.split(" ")[1].rstrip("/").rsplit("/", 1)[-1]
        body = json.dumps({"id": evaluation_id, "verdict": "allow"}).encode()
        answer = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        if not self.trickle:
            sock.sendall(answer)
            return
        for index in range(len(answer)):
            if self._stop.is_set():
                return
            sock.sendall(answer[index : index + 1])
            time.sleep(0.02)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    server = ForwardProxy()
    yield server
    server.close()


def _get(surface: str, evaluation_id: str, **options: Any) -> Any:
    """One get_evaluation on a fresh client with its own pool; the result or the error.

    `surface` is "sync", or "async-<transport>" for each transport AsyncRuptAPI offers.
    """
    if surface.startswith("async-") and surface != "async-httpx":
        options["transport"] = surface.removeprefix("async-")
    if surface == "sync":
        with RuptAPI(SECRET, retries=0, **options) as client:
            try:
                return client.get_evaluation(evaluation_id)
            except Exception as exc:
                return exc

    async def main() -> Any:
        async with AsyncRuptAPI(SECRET, retries=0, **options) as client:
            try:
                return await client.get_evaluation(evaluation_id)
            except Exception as exc:
                return exc

    return asyncio.run(main())


SURFACES = ["sync", *(f"async-{transport}" for transport in ASYNC_TRANSPORTS)]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
@pytest.mark.parametrize("surface", SURFACES)
def test_the_environment_proxy_is_used(
    surface: str, variable: str, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, proxy.url)
    result = _get(surface, "ev_proxied", domain=TARGET)
    assert getattr(result, "id", result) == "ev_proxied"
    assert proxy.request_lines == [f"GET {TARGET}/v3/evaluations/ev_proxied HTTP/1.1"]


@pytest.mark.parametrize("surface", SURFACES)
def test_the_proxy_credentials_are_sent_to_the_proxy(
    surface: str, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    host_port = proxy.url.removeprefix("http://")
    monkeypatch.setenv("HTTP_PROXY", f"http://proxy-user:s3cret@{host_port}")
    result = _get(surface, "ev_proxied", domain=TARGET)
    assert getattr(result, "id", result) == "ev_proxied"
    credentials = base64.b64encode(b"proxy-user:s3cret").decode()
    assert proxy.proxy_authorizations == [f"Basic {credentials}"]


@pytest.mark.parametrize("surface", SURFACES)
def test_no_proxy_and_trust_env_false_go_direct(
    surface: str, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRupt(secret=SECRET)
    fake.add_evaluation(id="ev_direct")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with fake.serve() as base_url:
        direct = _get(surface, "ev_direct", domain=base_url, trust_env=False)
        assert getattr(direct, "id", direct) == "ev_direct"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        bypassed = _get(surface, "ev_direct", domain=base_url)
        assert getattr(bypassed, "id", bypassed) == "ev_direct"
    assert proxy.request_lines == []
    assert len(fake.requests) == 2


def test_the_sync_deadline_holds_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy transports of the sync pool get the per-socket deadline too: a trickled answer
    (each read returns at once) through the proxy still ends at the deadline."""
    trickling = ForwardProxy(trickle=True)
    try:
        monkeypatch.setenv("HTTP_PROXY", trickling.url)
        started = time.monotonic()
        result = _get("sync", "ev_trickled", domain=TARGET, timeout=0.3)
        elapsed = time.monotonic() - started
    finally:
        trickling.close()
    assert isinstance(result, RuptTimeoutError), result
    assert elapsed < 0.3 + 0.5, elapsed  # the answer alone would take ~4 s
    assert trickling.request_lines == [f"GET {TARGET}/v3/evaluations/ev_trickled HTTP/1.1"]


# -- settings that cannot be used: a ValueError naming the variable, at construction ---------------

CLIENTS = [RuptAPI, AsyncRuptAPI]


@pytest.mark.skipif(importlib.util.find_spec("socksio") is not None, reason="socksio installed")
@pytest.mark.parametrize("variable", ["ALL_PROXY", "https_proxy"])
@pytest.mark.parametrize("cls", CLIENTS)
def test_a_socks_proxy_without_socksio_is_a_clear_error(
    cls: type, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "socks5://user:hunter2@127.0.0.1:1080")
    with pytest.raises(ValueError, match=f"{variable} names a SOCKS proxy.*socksio") as info:
        cls(SECRET)
    assert "hunter2" not in str(info.value)
    assert "trust_env=False" in str(info.value)
    cls(SECRET, trust_env=False)  # the documented way out
    monkeypatch.setenv("NO_PROXY", "*")  # and NO_PROXY=* turns every proxy off, as in httpx
    cls(SECRET)


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_proxy_of_an_unknown_scheme_is_a_clear_error(
    cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "ftp://user:hunter2@proxy.example:21")
    with pytest.raises(ValueError, match="HTTPS_PROXY names a proxy of scheme 'ftp'") as info:
        cls(SECRET)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("variable", "says"), [("SSL_CERT_FILE", "not a file"), ("SSL_CERT_DIR", "not a directory")]
)
@pytest.mark.parametrize("cls", CLIENTS)
def test_a_ca_path_that_does_not_exist_is_a_clear_error(
    cls: type, variable: str, says: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv(variable, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=f"{variable} is set to .*missing.*{says}"):
        cls(SECRET)
    cls(SECRET, trust_env=False)


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_ca_bundle_that_exists_is_accepted(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    cls(SECRET)


@pytest.mark.parametrize("cls", CLIENTS)
def test_trust_env_must_be_a_bool(cls: type) -> None:
    with pytest.raises(TypeError, match="trust_env must be True or False"):
        cls(SECRET, trust_env="false")
