"""What `RuptAPI` and `AsyncRuptAPI` share besides the call itself: options and copies."""

from __future__ import annotations

from typing import Any, Self, TypeVar

from ._config import Options
from ._retry import RetryPolicy


class BaseClient:
    _options: Options
    _policy: RetryPolicy
    # False on `with_options` copies: only the client that created the pool closes it.
    _owns_pool: bool
    _pool: Any  # the surface's connection pool holder (sync or async)

    def _configure(
        self,
        secret: object,
        *,
        domain: str | None,
        timeout: float,
        retries: int,
        max_retry_delay: float,
    ) -> None:
        options = Options.create(
            secret, domain=domain, timeout=timeout, retries=retries, max_retry_delay=max_retry_delay
        )
        self._options = options
        self._policy = RetryPolicy(options.retries, options.max_retry_delay)
        self._owns_pool = True

    @property
    def is_closed(self) -> bool:
        """True once the client (the original, not a `with_options` copy) was closed."""
        closed: bool = self._pool.closed
        return closed

    @property
    def base_url(self) -> str:
        """The API's base URL, from the `domain` option."""
        return self._options.base_url

    @property
    def timeout(self) -> float:
        """The deadline of each call, in seconds, covering every attempt and backoff sleep."""
        return self._options.timeout

    @property
    def retries(self) -> int:
        """How many times a call is retried after a network error or a 5xx answer."""
        return self._options.retries

    @property
    def max_retry_delay(self) -> float:
        """The longest wait between two attempts, in seconds."""
        return self._options.max_retry_delay

    def with_options(
        self,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        max_retry_delay: float | None = None,
    ) -> Self:
        """A copy of this client with other options, sharing its connection pool.

        The copy is cheap (make one per call if you like) and never closes the pool: closing the
        original client does.
        """
        options = self._options.replace(
            timeout=timeout, retries=retries, max_retry_delay=max_retry_delay
        )
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._options = options
        if retries is not None or max_retry_delay is not None:
            clone._policy = RetryPolicy(options.retries, options.max_retry_delay)
        clone._owns_pool = False
        return clone

    def __repr__(self) -> str:
        o = self._options
        return (
            f"{type(self).__name__}(base_url={o.base_url!r}, timeout={o.timeout:g},"
            f" retries={o.retries}, max_retry_delay={o.max_retry_delay:g})"
        )


HttpClient = TypeVar("HttpClient")


def expect_http_client(value: object, expected: type[HttpClient]) -> HttpClient | None:
    """Check an injected `http_client` is of the kind the surface drives (sync or async)."""
    if value is None or isinstance(value, expected):
        return value
    name = f"httpx.{expected.__name__}"
    other = (
        "httpx.AsyncClient for AsyncRuptAPI"
        if name == "httpx.Client"
        else "httpx.Client for RuptAPI"
    )
    raise TypeError(f"http_client must be an {name}, not {type(value).__name__} (use an {other})")


def expect_bool(value: object, name: str = "trust_env") -> bool:
    """Check a flag is a real bool (a string such as "false" would read as true)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value
