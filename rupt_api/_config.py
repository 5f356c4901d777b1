"""Client configuration: validated once, when a client is created, and shared by both surfaces."""

from __future__ import annotations

import math
import os
import platform

import attrs

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


def base_url_for(domain: str) -> str:
    """Turn the `domain` option into a base URL: a bare host gets `https://`."""
    if not isinstance(domain, str):
        raise TypeError(f"domain must be a str, not {type(domain).__name__}")
    domain = domain.strip().rstrip("/")
    if not domain:
        raise ValueError("domain must not be empty")
    if domain.startswith(("http://", "https://")):
        return domain
    if "://" in domain:
        raise ValueError("domain must be a host name or start with http:// or https://")
    return f"https://{domain}"


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
