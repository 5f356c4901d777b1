"""Client configuration: validated once, when a client is created, and shared by both surfaces."""

from __future__ import annotations

import ipaddress
import math
import os
import platform
import re

import attrs
import httpx

from ._version import __version__

DEFAULT_DOMAIN = "api.rupt.dev"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 3
DEFAULT_MAX_RETRY_DELAY = 5.0
# The most `timeout` and `max_retry_delay` accept: both are seconds, and a value above this is far
# more likely milliseconds (the Node SDK's unit) than a wish to wait more than five minutes.
MAX_SECONDS = 300.0

SECRET_VARIABLE = "RUPT_SECRET"  # noqa: S105 - the variable's name, not a secret
DOMAIN_VARIABLE = "RUPT_DOMAIN"

USER_AGENT = f"rupt-api-python/{__version__}"
# A host name in ASCII (IDNA names are checked by encoding them); IPv6 addresses come in [].
_HOST = re.compile(r"[A-Za-z0-9._-]+")


def base_url_for(domain: str) -> str:
    """Turn the `domain` option into a base URL, refusing anything that is not one.

    Accepted: a bare host (`api.rupt.dev`, `https://` is added), `host:port`, or an `http://` /
    `https://` base URL, optionally with a path prefix. Refused with a `ValueError` saying what is
    wrong: other schemes, credentials (`user:password@` would replace the Bearer secret), a query
    or fragment (requests would go to the wrong path), a bad port, unbalanced IPv6 brackets, or a
    host name that is not valid IDNA.
    """
    if not isinstance(domain, str):
        raise TypeError(f"domain must be a str, not {type(domain).__name__}")
    domain = domain.strip().rstrip("/")
    if not domain:
        raise ValueError("domain must not be empty")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in domain):
        raise ValueError("domain must not contain spaces or control characters")
    scheme, has_scheme, rest = domain.partition("://")
    if not has_scheme:
        scheme, rest = "https", domain
    elif scheme.lower() not in {"http", "https"}:
        raise ValueError("domain must be a host name or start with http:// or https://")
    host_port, slash, path = rest.partition("/")
    if "@" in host_port:
        # The message leaves the value out: it holds a password.
        raise ValueError(
            "domain must not contain credentials (user:password@): Rupt authenticates with the"
            " secret, sent as a Bearer token"
        )
    if "?" in rest or "#" in rest:
        raise ValueError(
            f"domain must not contain a query (?) or fragment (#): {domain!r} would send requests"
            " to the wrong path"
        )
    if slash and not has_scheme:
        raise ValueError(
            f"domain {domain!r} has a path: give a bare host (or host:port), or a full"
            " http:// or https:// base URL"
        )
    _check_host(domain, host_port)
    base_url = f"{scheme.lower()}://{host_port}{slash}{path}"
    try:
        httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"domain {domain!r} is not a valid URL: {exc}") from None
    return base_url


def _check_host(domain: str, host_port: str) -> None:
    if host_port.startswith("[") or "]" in host_port:
        address, bracket, after = host_port.removeprefix("[").partition("]")
        if not bracket or not host_port.startswith("["):
            raise ValueError(f"domain {domain!r} has unbalanced IPv6 brackets: write [::1]:8000")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise ValueError(f"domain {domain!r}: {address!r} is not an IPv6 address") from None
        if after and not after.startswith(":"):
            raise ValueError(f"domain {domain!r} has text after the IPv6 address's ']'")
        host, colon, port = address, after[:1], after[1:]
    else:
        if host_port.count(":") > 1:
            raise ValueError(f"domain {domain!r}: write an IPv6 address in brackets, as [::1]:8000")
        host, colon, port = host_port.partition(":")
        if not host:
            raise ValueError(f"domain {domain!r} has no host name")
        if host.isascii() and not _HOST.fullmatch(host):
            raise ValueError(
                f"domain {domain!r}: {host!r} is not a host name (letters, digits, '-' and '.')"
            )
        if not host.isascii():
            try:
                host.encode("idna")
            except UnicodeError:
                raise ValueError(
                    f"domain {domain!r}: {host!r} is not a valid internationalised (IDNA) host name"
                ) from None
    if colon and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(
            f"domain {domain!r} has an invalid port {port!r}: expected a number from 1 to 65535"
        )


def _seconds(name: str, value: object, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number of seconds above 0, not {value!r}")
    if seconds > MAX_SECONDS:
        raise ValueError(
            f"{name} is in seconds, not milliseconds: {value!r} would be {seconds / 60:.0f} minutes"
            f" (at most {MAX_SECONDS:g}; for 10 seconds pass {name}=10)"
        )
    return seconds


def resolve_secret(secret: object) -> object:
    """The `secret` argument, or the RUPT_SECRET environment variable when it is None."""
    if secret is not None:
        return secret
    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret.strip():
        state = "is empty" if SECRET_VARIABLE in os.environ else "is not set"
        raise ValueError(
            f"no secret: pass it (RuptAPI(secret)) or set the {SECRET_VARIABLE} environment"
            f" variable ({SECRET_VARIABLE} {state})"
        )
    return secret


def resolve_domain(domain: str | None) -> str:
    """The base URL for the `domain` argument, or RUPT_DOMAIN, or Rupt's API host."""
    if domain is not None:
        return base_url_for(domain)
    from_environment = os.environ.get(DOMAIN_VARIABLE, "").strip()
    if not from_environment:
        return base_url_for(DEFAULT_DOMAIN)
    try:
        return base_url_for(from_environment)
    except ValueError as exc:
        raise ValueError(
            f"the {DOMAIN_VARIABLE} environment variable is not usable: {exc}"
        ) from None


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, not {value!r}")
    return value


@attrs.frozen
class Options:
    """What one client was configured with. The secret never appears in its repr."""

    base_url: str
    timeout: float
    retries: int
    max_retry_delay: float
    secret: str = attrs.field(repr=False)
    # Headers every request carries, built once per client rather than on every call.
    headers: dict[str, str] = attrs.field(repr=False, eq=False)
    # The parsed forms each call's request starts from, also built once per client (httpx's full
    # parse of a URL and of headers was about a third of building a request). `replace` carries
    # them over to `with_options` copies rather than parsing again.
    url: httpx.URL = attrs.field(
        default=attrs.Factory(lambda self: httpx.URL(self.base_url), takes_self=True),
        repr=False,
        eq=False,
    )
    json_header_dict: dict[str, str] = attrs.field(
        default=attrs.Factory(
            lambda self: {**self.headers, "Content-Type": "application/json"}, takes_self=True
        ),
        repr=False,
        eq=False,
    )
    plain_headers: httpx.Headers = attrs.field(
        default=attrs.Factory(lambda self: httpx.Headers(self.headers), takes_self=True),
        repr=False,
        eq=False,
    )
    json_headers: httpx.Headers = attrs.field(
        default=attrs.Factory(lambda self: httpx.Headers(self.json_header_dict), takes_self=True),
        repr=False,
        eq=False,
    )
    # The URL as text, for the aiohttp transport, which sends without building an httpx.Request.
    url_text: str = attrs.field(
        default=attrs.Factory(lambda self: str(self.url), takes_self=True), repr=False, eq=False
    )

    @classmethod
    def create(
        cls,
        secret: object,
        *,
        domain: str | None,
        timeout: float,
        retries: int,
        max_retry_delay: float,
    ) -> Options:
        secret = resolve_secret(secret)
        if not isinstance(secret, str):
            raise TypeError(f"secret must be a str, not {type(secret).__name__}")
        if not secret.strip():
            raise ValueError("secret must not be empty: pass your project secret from Rupt")
        if any(ch in secret for ch in "\r\n\0"):
            raise ValueError("secret must not contain line breaks or NUL characters")
        # What the SDK can decode with a bound on the output (see _decoding); loaded here, not at
        # import, as it looks for optional brotli and zstd modules.
        from ._decoding import accept_encoding  # noqa: PLC0415

        return cls(
            base_url=resolve_domain(domain),
            timeout=_seconds("timeout", timeout, allow_zero=False),
            retries=_count("retries", retries),
            max_retry_delay=_seconds("max_retry_delay", max_retry_delay, allow_zero=True),
            secret=secret,
            headers={
                "Authorization": f"Bearer {secret}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": accept_encoding(),
                "X-Rupt-Client": f"python/{platform.python_version()}",
            },
        )

    def replace(
        self,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        max_retry_delay: float | None = None,
    ) -> Options:
        """A copy with the given options changed and the others kept."""
        return attrs.evolve(
            self,
            timeout=self.timeout
            if timeout is None
            else _seconds("timeout", timeout, allow_zero=False),
            retries=self.retries if retries is None else _count("retries", retries),
            max_retry_delay=(
                self.max_retry_delay
                if max_retry_delay is None
                else _seconds("max_retry_delay", max_retry_delay, allow_zero=True)
            ),
        )
