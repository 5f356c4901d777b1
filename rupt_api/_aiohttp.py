"""`AsyncRuptAPI(transport="aiohttp")`: the SDK's requests sent by aiohttp.

httpx's async stack costs several times aiohttp's latency and a fraction of its throughput, and
an aiohttp service has aiohttp in its process already. `httpx-aiohttp` (the `rupt-api[aiohttp]`
extra) is an httpx transport over an aiohttp `ClientSession`: requests and responses stay
httpx's, so everything above the transport (retries, the deadline, continuations, errors) is the
code the default transport runs. Two things differ:

- The pool's client sends a request straight to its transport: the SDK sets no cookies, auth or
  event hooks and never follows redirects, so the work `httpx.AsyncClient.send` does for those
  (most of its cost over aiohttp) is skipped. Proxies from the environment are still honoured:
  the transport is picked per URL as httpx.AsyncClient picks it.
- httpx-aiohttp maps a server that hangs up mid-answer to `httpx.ConnectTimeout` (as if the
  request never left), and lets others through unmapped. The SDK reads the aiohttp error itself
  instead (`_call.py`), so a request that may have reached Rupt is never taken for one that did
  not, and no aiohttp exception reaches the caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from ._internals import client_transports, transport_for_url

EXTRA_HINT = (
    "AsyncRuptAPI(transport='aiohttp') needs the aiohttp extra, which is not installed:"
    " pip install 'rupt-api[aiohttp]'"
)

# An answer up to this size, with a Content-Length, is read whole before it is handed over (Rupt's
# are a few KB); a larger one, or one without a length, streams (and meets the body limit).
SMALL_ANSWER_BYTES = 64 * 1024

_client_class: type[httpx.AsyncClient] | None = None


def require() -> None:
    """Import httpx-aiohttp (and aiohttp), or raise an ImportError naming the extra."""
    try:
        import httpx_aiohttp  # noqa: F401, PLC0415 - an optional dependency
    except ImportError as exc:
        raise ImportError(EXTRA_HINT) from exc


def new_aiohttp_client(limits: httpx.Limits, trust_env: bool = True) -> httpx.AsyncClient:
    """A client whose transports are aiohttp sessions (one per event loop, made on first use)."""
    global _client_class  # noqa: PLW0603 - the classes need the optional import: built once
    if _client_class is None:
        _client_class = _build_classes()
    client = _client_class(limits=limits, follow_redirects=False, trust_env=trust_env)
    for transport in client_transports(client):  # the default transport, and proxies'
        transport.__class__ = _transport_class
    return client


_transport_class: type[httpx.AsyncBaseTransport]


def _build_classes() -> type[httpx.AsyncClient]:
    global _transport_class  # noqa: PLW0603
    require()
    import aiohttp  # noqa: PLC0415
    from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient  # noqa: PLC0415
    from httpx_aiohttp.transport import AiohttpResponseStream  # noqa: PLC0415

    class Body(httpx.AsyncByteStream):
        """A whole answer, already read: one chunk."""

        def __init__(self, content: bytes) -> None:
            self._content = content

        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield self._content

    class Transport(AiohttpTransport):
        """httpx-aiohttp's transport, with less work per request for the SDK's requests.

        The request's headers go to aiohttp as they are (httpx's `Headers` would decode and
        merge them again); a small answer of known length is read in one go and its connection
        handed back to the pool at once; aiohttp's errors are left for the SDK's own mapping
        (`_call.py`), which reads them by meaning.
        """

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            session = self.client
            if not isinstance(session, aiohttp.ClientSession):
                session = self.client = self.get_client()
            timeout = request.extensions.get("timeout", {})
            proxy = self.proxy
            response = await session.request(
                request.method,
                str(request.url),
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ],
                data=request.content or None,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
                server_hostname=request.extensions.get("sni_hostname"),
                proxy=None if proxy is None else str(proxy.url),
                proxy_auth=None
                if proxy is None or not proxy.auth
                else aiohttp.BasicAuth(*proxy.auth),
                proxy_headers=None if proxy is None else proxy.headers,
            )
            stream: httpx.AsyncByteStream
            length = response.content_length
            if length is not None and length <= SMALL_ANSWER_BYTES:
                try:
                    stream = Body(await response.read())
                finally:
                    response.release()
            else:
                stream = AiohttpResponseStream(response)
            return httpx.Response(
                status_code=response.status,
                headers=response.raw_headers,
                stream=stream,
                request=request,
                extensions={"http_version": b"HTTP/1.1"},
            )

    class DirectAiohttpClient(HttpxAiohttpClient):
        """An `HttpxAiohttpClient` whose `send` goes straight to the transport."""

        async def send(
            self,
            request: httpx.Request,
            *,
            stream: bool = False,
            auth: Any = None,
            follow_redirects: Any = None,
        ) -> httpx.Response:
            # The SDK's requests carry their own headers and timeouts, and it follows no
            # redirect: what Client.send adds (auth flow, cookies, hooks) is never needed.
            transport: httpx.AsyncBaseTransport = transport_for_url(self, request.url)
            response = await transport.handle_async_request(request)
            response.request = request
            if not stream:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            return response

    _transport_class = Transport
    return DirectAiohttpClient
