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

from typing import Any

import httpx

from ._internals import transport_for_url

EXTRA_HINT = (
    "AsyncRuptAPI(transport='aiohttp') needs the aiohttp extra, which is not installed:"
    " pip install 'rupt-api[aiohttp]'"
)

_client_class: type[httpx.AsyncClient] | None = None


def require() -> None:
    """Import httpx-aiohttp (and aiohttp), or raise an ImportError naming the extra."""
    try:
        import httpx_aiohttp  # noqa: F401, PLC0415 - an optional dependency
    except ImportError as exc:
        raise ImportError(EXTRA_HINT) from exc


def new_aiohttp_client(limits: httpx.Limits, trust_env: bool = True) -> httpx.AsyncClient:
    """A client whose transports are aiohttp sessions (one per event loop, made on first use)."""
    global _client_class  # noqa: PLW0603 - the class needs the optional import: built once
    if _client_class is None:
        require()
        from httpx_aiohttp import HttpxAiohttpClient  # noqa: PLC0415

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

        _client_class = DirectAiohttpClient
    return _client_class(limits=limits, follow_redirects=False, trust_env=trust_env)
