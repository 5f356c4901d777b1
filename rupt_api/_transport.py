"""The HTTP clients underneath the SDK: `SyncPool` and `AsyncPool`, twins side by side.

When the SDK creates its own connection pool, it wraps httpcore's network backend
(`_deadline_backend.py`): every connect, read and write is bounded by what is left of the call's
deadline, and a request the deadline cuts off is handed, connection and all, to its
continuation (`_handoff.py`). Such a pool is `watched`. The aiohttp transport's calls run in
their caller's task, and are handed to a task of their own only if the deadline passes once
their request was sent (`_inline.py`). An injected `http_client` keeps its own transport, which
the SDK cannot see into: its calls run in the background from the start, and the caller waits
for them with what is left of the deadline (see the clients' `_call`).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import queue
import ssl
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._environment import check as check_environment
from ._exceptions import RuptError
from ._inline import Alarm
from ._internals import client_transports, network_backend, set_network_backend, transport_for_url

if TYPE_CHECKING:
    import asyncio

    from ._call import Answer, Call

MAX_CONNECTIONS = 100
DEFAULT_LIMITS = httpx.Limits(
    max_connections=MAX_CONNECTIONS, max_keepalive_connections=20, keepalive_expiry=30
)
# Why every pool has a gate: httpcore's pool scans every connection for every queued request
# each time a request or connection comes or goes, so with hundreds of requests queued inside it
# (a storm of slow calls) that bookkeeping alone takes seconds, and deadlines are raised seconds
# late. A client's calls past `MAX_CONNECTIONS` in flight wait at the gate instead, by their
# deadline; one still waiting when its deadline passes has sent nothing, and its continuation
# sends it once. (An injected `http_client` with a larger pool is thus used by at most this many
# of one client's calls at a time.)


def _watch(client: httpx.Client | httpx.AsyncClient, backend: type[Any]) -> bool:
    """Wrap the network backend of every transport `client` built; False if one has none."""
    # httpx exposes no way to pass a network backend (private names: see _internals.py).
    # Without one, calls run as for an injected client: in the background, the caller waiting
    # with what is left of the deadline.
    transports = client_transports(client)
    backends = [network_backend(transport) for transport in transports]
    if not transports or any(found is None for found in backends):
        return False
    for transport, found in zip(transports, backends, strict=True):
        set_network_backend(transport, backend(found))
    return True


def new_sync_client(trust_env: bool = True) -> tuple[httpx.Client, bool]:
    """The pool a `RuptAPI` creates for itself when no `http_client` is given, and if watched.

    httpx builds the transports itself, so the environment's proxies are honoured as by any
    httpx.Client (a transport passed in would turn them off); each one then gets the deadline
    backend, the proxies' included.
    """
    # Loaded with the first pool (as httpx loads httpcore), not on the first timeout, which
    # must raise on time: the backend, and the continuation workers a timeout starts.
    from . import _continuation  # noqa: F401, PLC0415
    from ._deadline_backend import SyncDeadlineBackend  # noqa: PLC0415

    client = _new_client(OwnClient, trust_env)
    return client, _watch(client, SyncDeadlineBackend)


def new_async_client(trust_env: bool = True, verify: Any = True) -> tuple[httpx.AsyncClient, bool]:
    """The pool an `AsyncRuptAPI` creates for itself (per event loop), and if watched."""
    from ._deadline_backend import AsyncDeadlineBackend  # noqa: PLC0415

    client = _new_client(httpx.AsyncClient, trust_env, verify)
    return client, _watch(client, AsyncDeadlineBackend)


class OwnClient(httpx.Client):
    """The SDK's own sync pool: an httpx.Client whose `send` goes straight to the transport.

    The SDK builds each request whole (URL, headers, timeouts), sets no auth, cookies or event
    hooks and follows no redirect, so what `httpx.Client.send` does around the transport (the
    auth and redirect flows, hooks, and extracting cookies from every answer, about a fifth of a
    call's CPU) is skipped. The transport is still the one httpx picks for the URL: proxies from
    the environment, limits and TLS settings apply as they would. Injected clients are used
    through their own `send`, their hooks and auth untouched.
    """

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = None,
        follow_redirects: Any = None,
    ) -> httpx.Response:
        transport: httpx.BaseTransport = transport_for_url(self, request.url)
        response = transport.handle_request(request)
        response.request = request
        if not stream:
            try:
                response.read()
            finally:
                response.close()
        return response


HttpxClient = TypeVar("HttpxClient", httpx.Client, httpx.AsyncClient)


def _new_client(cls: type[HttpxClient], trust_env: bool, verify: Any = True) -> HttpxClient:
    if trust_env:
        check_environment()
    return cls(limits=DEFAULT_LIMITS, follow_redirects=False, trust_env=trust_env, verify=verify)


def tls_context(trust_env: bool = True) -> ssl.SSLContext:
    """The TLS context httpx would build (the environment's CA bundle included), to share."""
    if trust_env:
        check_environment()
    return httpx.create_ssl_context(trust_env=trust_env)


def async_client_factory(
    transport: object, http_client: httpx.AsyncClient | None, trust_env: bool = True
) -> Callable[[], tuple[httpx.AsyncClient, bool]]:
    """What makes an `AsyncRuptAPI`'s own pool (per event loop) for its `transport` option,
    and says whether it is watched (aiohttp's is not: its calls run inline, `_inline.py`)."""
    if transport == "httpx":
        # One TLS context for every loop's client: loading the CA bundle takes milliseconds.
        verify = tls_context(trust_env)
        return lambda: new_async_client(trust_env, verify)
    if transport != "aiohttp":
        raise ValueError(f"transport must be 'httpx' or 'aiohttp', not {transport!r}")
    if http_client is not None:
        raise ValueError(
            "pass either transport='aiohttp' or an http_client, not both (to send with aiohttp"
            " through your own client, give it an httpx_aiohttp.AiohttpTransport)"
        )
    from ._aiohttp import new_aiohttp_client, require  # noqa: PLC0415 - an optional extra

    require()  # at once, so a missing extra is found where the client is created
    if trust_env:
        check_environment()
    return lambda: (new_aiohttp_client(DEFAULT_LIMITS, trust_env), False)


def _new_sync_gate() -> queue.SimpleQueue[None]:
    # A queue of turns rather than a threading.BoundedSemaphore: the same bounded wait at a
    # tenth of the cost per call (C, where the semaphore runs a Condition in Python).
    gate: queue.SimpleQueue[None] = queue.SimpleQueue()
    for _ in range(MAX_CONNECTIONS):
        gate.put(None)
    return gate


class SyncPool:
    """The httpx client one `RuptAPI` and all its `with_options` copies share.

    After `os.fork()` the child must not touch the parent's sockets: an owned client is replaced
    by a fresh one in the child, and the inherited one is kept referenced, never closed (closing
    a TLS connection would write to a socket the parent still uses). The gate starts afresh too:
    the parent's calls in flight hold turns the child would never get back.
    """

    def __init__(self, http_client: httpx.Client | None, trust_env: bool = True) -> None:
        self.owned = http_client is None
        self.trust_env = trust_env
        if http_client is None:
            self.client, self.watched = new_sync_client(trust_env)
        else:
            self.client, self.watched = http_client, False
        self.closed = False
        self._gate = _new_sync_gate()
        self._inherited: list[httpx.Client] = []
        _sync_pools.add(self)

    def enter(self, limit: float) -> None:
        """Wait for a turn at the pool (see MAX_CONNECTIONS), at most until `limit`."""
        try:
            self._gate.get(timeout=max(limit - time.monotonic(), 0.0))
        except queue.Empty:
            raise httpx.PoolTimeout("no connection was free before the deadline") from None

    def leave(self) -> None:
        self._gate.put(None)

    def after_fork_in_child(self) -> None:
        self._gate = _new_sync_gate()
        if self.owned:
            self._inherited.append(self.client)
            self.client, self.watched = new_sync_client(self.trust_env)

    def close(self) -> None:
        self.closed = True
        if self.owned:
            self.client.close()


class AsyncLane:
    """One event loop's share of an `AsyncPool`: its client, whether watched, and its gate.

    The gate lets `MAX_CONNECTIONS` calls in at a time, the others in their order of arrival.
    A call waits on a plain future, its deadline on the lane's `alarm`, not on a task: at 256
    calls at once, the task and timeout `asyncio.wait_for` made for each waiting call cost more
    than the rest of the gate (and a timer of the loop each, more than the alarm's dict entry),
    and a plain future can be awaited from whichever task runs the call.

    `send_call`: how the aiohttp transport's client sends a call without httpx's Request and
    Response (`_aiohttp.py`); None for httpx clients, the SDK's own and injected ones.
    """

    __slots__ = ("_free", "_waiting", "alarm", "client", "send_call", "watched")

    def __init__(self, client: httpx.AsyncClient, watched: bool, owned: bool = False) -> None:
        self.client = client
        self.watched = watched
        self._free = MAX_CONNECTIONS
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self.send_call: Callable[[Call, float], Awaitable[tuple[Answer, bytes]]] | None = (
            getattr(client, "send_call", None) if owned else None
        )
        # This loop's deadlines (waits at the gate, calls run inline: `_inline.py`), on one
        # timer of the loop.
        self.alarm = Alarm()

    async def enter(self, limit: float) -> None:
        """Wait for a turn at the pool (see MAX_CONNECTIONS), at most until `limit`."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        import asyncio  # noqa: PLC0415 - loaded by any caller; sync users never load it

        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        self.alarm.add(turn, limit, functools.partial(_too_late, turn))
        try:
            await turn
        except BaseException:
            # Out of time, or cancelled (safe: it is the SDK's own queue, nothing was sent).
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self.leave()  # given a turn just as it was cancelled: the next one takes it
            else:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(turn)
            raise
        finally:
            self.alarm.discard(turn)

    def leave(self) -> None:
        """Give the turn to the first call still waiting, or back to the gate."""
        waiting = self._waiting
        while waiting:
            turn = waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1


def _too_late(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_exception(httpx.PoolTimeout("no connection was free before the deadline"))


class AsyncPool:
    """The httpx.AsyncClient an `AsyncRuptAPI` and its `with_options` copies share, per loop.

    An httpx.AsyncClient's connections belong to the event loop that opened them, so an owned
    pool keeps one client per loop (pytest's per-test loops, one `asyncio.run()` per celery
    task, threads each running a loop). Each closes with its loop: an async generator started
    on the loop stays suspended until the loop shuts down its async generators (as
    `asyncio.run()` does before closing the loop), and its `finally` closes that loop's client
    on that loop. A loop closed without that shutdown is forgotten when a new loop comes (its
    sockets are then the garbage collector's), so a process cycling through loops keeps file
    descriptors and memory bounded. An injected client is used as it is, on any loop. Each loop
    has its own lane (`AsyncLane`): the client, and a gate of that loop.
    """

    def __init__(
        self,
        http_client: httpx.AsyncClient | None,
        new_client: Callable[[], tuple[httpx.AsyncClient, bool]],
    ) -> None:
        self.owned = http_client is None
        self._new_client = new_client
        # The client of the loop used last; the first is made here, so that the environment is
        # checked when the AsyncRuptAPI is created.
        made = new_client() if http_client is None else (http_client, False)
        self.client = made[0]
        self._unbound: tuple[httpx.AsyncClient, bool] | None = made if self.owned else None
        self._lanes: dict[asyncio.AbstractEventLoop, AsyncLane] = {}
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._keepers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = {}
        self._lock = threading.Lock()
        self.closed = False

    def for_running_loop(self) -> AsyncLane:
        import asyncio  # noqa: PLC0415

        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        if lane is None:
            lane = self._new_lane(loop)
        self.client = lane.client
        return lane

    def _new_lane(self, loop: asyncio.AbstractEventLoop) -> AsyncLane:
        # Loops in several threads may make their lanes at the same moment: one at a time, so
        # that the client made with the pool goes to one loop only, and no thread changes the
        # lanes while another looks through them for closed loops.
        with self._lock:
            lane = self._lanes.get(loop)
            if lane is not None:
                return lane
            self._forget_closed_loops()
            if self.owned:
                client, watched = self._unbound or self._new_client()
                self._unbound = None
                self._clients[loop] = client
                self._close_with(loop, client)
            else:
                client, watched = self.client, False
            lane = self._lanes[loop] = AsyncLane(client, watched, self.owned)
            return lane

    def _close_with(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        async def keeper() -> AsyncGenerator[None, None]:
            try:
                yield
            finally:
                self._clients.pop(loop, None)
                self._keepers.pop(loop, None)
                self._lanes.pop(loop, None)
                if not loop.is_closed():  # shutting down (or aclose): close it on its loop
                    await client.aclose()

        generator = keeper()
        # Its first step registers it with the running loop (its async generator hooks).
        with contextlib.suppress(StopIteration):
            generator.asend(None).send(None)
        self._keepers[loop] = generator

    def _forget_closed_loops(self) -> None:
        # Loops closed without shutting down their async generators: their closers never ran.
        # Dropped, a closer is not run through its dead loop (asyncio skips closed loops).
        # A copy made in one step: a loop shutting down in another thread drops its lane.
        for loop in [loop for loop in list(self._lanes) if loop.is_closed()]:
            self._lanes.pop(loop, None)
            self._clients.pop(loop, None)
            self._keepers.pop(loop, None)

    def loop_error(self, error: Exception) -> RuptError | None:
        """A clear error for an injected client whose connections belong to another loop."""
        if self.owned or not isinstance(error, RuntimeError) or "loop" not in str(error):
            return None
        clear = RuptError(
            "the http_client given to AsyncRuptAPI belongs to another event loop (one that has"
            " closed, or is not running here); create the httpx.AsyncClient and the AsyncRuptAPI"
            " on the loop that uses them, for example in your app's startup"
        )
        clear.__cause__ = error
        return clear

    async def aclose(self) -> None:
        import asyncio  # noqa: PLC0415

        self.closed = True
        if not self.owned:
            return
        keeper = self._keepers.get(asyncio.get_running_loop())
        if keeper is not None:
            await keeper.aclose()  # closes this loop's client
        if self._unbound is not None:
            await self._unbound[0].aclose()
        # Clients of other loops that are still running close when those loops shut down.


_sync_pools: weakref.WeakSet[SyncPool] = weakref.WeakSet()


def _reset_pools_in_child() -> None:
    for pool in list(_sync_pools):
        if not pool.closed:
            pool.after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pools_in_child)
