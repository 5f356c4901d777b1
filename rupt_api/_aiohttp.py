"""`AsyncRuptAPI(transport="aiohttp")`: the SDK's requests sent by aiohttp.

httpx's async stack costs several times aiohttp's latency and a fraction of its throughput, and
an aiohttp service has aiohttp in its process already. `httpx-aiohttp` (the `rupt-api[aiohttp]`
extra) provides the pool: an httpx client whose transports are aiohttp sessions, built from the
SDK's limits and the environment's proxies as an httpx.AsyncClient builds its own. Everything
above the exchange (retries, the deadline, continuations, errors) is the code the default
transport runs. What differs is the exchange itself (`DirectAiohttpClient.send_call`):

- A call goes to its aiohttp session as it is (method, URL, headers and body, all built once
  per client), and its answer comes back as aiohttp read it: no httpx Request or Response is
  built for it, the SDK reads the status and body and leaves the headers to aiohttp's parse
  until an error or a debug log asks for them (`AiohttpAnswer`). That work was most of the
  SDK's cost over aiohttp. The SDK sets no cookies, auth or event hooks and follows no
  redirect, so nothing httpx's `send` does around its transport is lost; the session (or the
  environment's proxy) is the one httpx would pick for the URL.
- aiohttp's errors reach the SDK's own mapping (`_call.py`) as they are, which reads them by
  meaning: a request that may have reached Rupt is never taken for one that did not (as
  httpx-aiohttp's mapping would: a server that hangs up mid-answer becomes a `ConnectTimeout`),
  and no aiohttp exception reaches the caller.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import httpx

from ._decoding import BodyReader
from ._inline import cover, expose, waited
from ._internals import send_each_request_once, transport_for_url

if TYPE_CHECKING:
    from ._call import Call

EXTRA_HINT = (
    "AsyncRuptAPI(transport='aiohttp') needs the aiohttp extra, which is not installed:"
    " pip install 'rupt-api[aiohttp]'"
)

# An answer up to this size, with a Content-Length, is read whole (Rupt's are a few KB); a
# larger one, or one without a length, is read as it arrives, within the body limit.
SMALL_ANSWER_BYTES = 64 * 1024
# aiohttp rounds a timeout of more than `ceil_threshold` seconds up to a whole second.
NEVER = math.inf

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
        _client_class = _build_class()
    return _client_class(limits=limits, follow_redirects=False, trust_env=trust_env)


class AiohttpAnswer:
    """An answer as aiohttp read it, seen as the SDK reads an `httpx.Response`: the status, and
    the headers, which are made into `httpx.Headers` only when something asks for them (an
    error's `headers`, a debug log's request id)."""

    __slots__ = ("_headers", "_raw_headers", "status_code")

    def __init__(self, status_code: int, raw_headers: tuple[tuple[bytes, bytes], ...]) -> None:
        self.status_code = status_code
        self._raw_headers = raw_headers
        self._headers: httpx.Headers | None = None

    @property
    def headers(self) -> httpx.Headers:
        if self._headers is None:
            self._headers = httpx.Headers(list(self._raw_headers))
        return self._headers


def _build_class() -> type[httpx.AsyncClient]:
    require()
    import aiohttp  # noqa: PLC0415
    from httpx_aiohttp import HttpxAiohttpClient  # noqa: PLC0415

    class Route:
        """Where a base URL's calls go: a transport's aiohttp session, through its proxy."""

        __slots__ = ("headers", "proxy", "transport")

        def __init__(self, transport: Any, base: httpx.URL) -> None:
            self.transport = transport
            proxy: httpx.Proxy | None = getattr(transport, "proxy", None)
            self.proxy: dict[str, Any] = {}
            # Headers for the proxy that go with each request (a plain-HTTP proxy reads them
            # there; a TLS tunnel's are sent with its CONNECT instead, never to Rupt).
            self.headers: dict[str, str] = {}
            if proxy is None:
                return
            headers = dict(proxy.headers)
            if proxy.auth:
                # A header, as aiohttp's own `proxy_auth` argument is deprecated.
                headers["Proxy-Authorization"] = aiohttp.encode_basic_auth(*proxy.auth)
            self.proxy = {"proxy": str(proxy.url)}
            if base.scheme == "https":
                self.proxy["proxy_headers"] = headers
            else:
                self.headers = headers

        def session(self) -> aiohttp.ClientSession:
            transport = self.transport
            session = transport.client
            if not isinstance(session, aiohttp.ClientSession):
                session = transport.client = transport.get_client()
                send_each_request_once(session)
                _expose_once_connected(session)
            made: aiohttp.ClientSession = session
            return made

    class DirectAiohttpClient(HttpxAiohttpClient):
        """httpx-aiohttp's client, sending the SDK's calls straight to aiohttp (`send_call`)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._routes: dict[str, Route] = {}

        async def send_call(self, call: Call, timeout: float) -> tuple[AiohttpAnswer, bytes]:
            """Send the call's attempt, with `timeout` seconds for each step, and read the
            answer: what it is, and its body, decoded and within the size limit."""
            method, base, url, headers, content = call.target()
            # Proxies are chosen by scheme, host and port: the base URL decides for every call.
            route = self._routes.get(base)
            if route is None:
                base_url = httpx.URL(base)
                route = self._routes[base] = Route(transport_for_url(self, base_url), base_url)
            if route.headers:
                headers = {**headers, **route.headers}
            # Connecting ends at the call's limit (the deadline while its caller waits: nothing
            # was sent), exactly then (no rounding up); once sent, reads wait until the
            # backstop, as the request is never cut short at the deadline.
            # While the caller waits inline, no read timeout: its deadline leaves the request
            # running, and bounds its reads then (`_expose_once_connected`).
            read_timeout = None if waited() else timeout
            try:
                response = await route.session().request(
                    method,
                    url,
                    headers=headers,
                    data=content,
                    allow_redirects=False,
                    auto_decompress=False,
                    compress=False,
                    timeout=aiohttp.ClientTimeout(
                        sock_connect=timeout,
                        sock_read=read_timeout,
                        connect=timeout,
                        ceil_threshold=NEVER,
                    ),
                    **route.proxy,
                )
                try:
                    answer = AiohttpAnswer(response.status, response.raw_headers)
                    codings = response.headers.getall("Content-Encoding", [])
                    reader = BodyReader(call, answer, codings)
                    length = response.content_length
                    if length is not None and length <= SMALL_ANSWER_BYTES:
                        reader.feed(await response.read())
                    else:
                        async for chunk in response.content.iter_any():
                            reader.feed(chunk)
                    body = reader.content()
                except BaseException:
                    response.close()  # not read to its end: the connection cannot be reused
                    raise
            finally:
                cover()  # the exchange is over (`_expose_once_connected` said it began)
            response.release()
            return answer, body

    def _expose_once_connected(session: aiohttp.ClientSession) -> None:
        """Tell the call running inline (`_inline.py`) when its request may be sent: once
        aiohttp's connect returned, which is where aiohttp binds timeouts to the task."""
        connector = session.connector
        assert connector is not None
        connect = connector.connect

        async def connect_then_expose(*args: Any, **kwargs: Any) -> Any:
            connection = await connect(*args, **kwargs)
            expose(functools.partial(_bound_reads, connection.protocol))
            return connection

        # An attribute of this session's own connector, which nothing else uses.
        setattr(connector, "connect", connect_then_expose)  # noqa: B010 - mypy: a method

    return DirectAiohttpClient


def _bound_reads(protocol: Any, seconds: float) -> None:
    """Give up reading the answer after `seconds` without data (as aiohttp's `sock_read`)."""
    if protocol is not None:
        protocol.read_timeout = seconds
        protocol.start_timeout()
