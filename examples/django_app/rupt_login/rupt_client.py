"""The one `RuptAPI` of the process: built lazily on first use, then shared by every request.

    from rupt_login.rupt_client import get_rupt

    evaluation = get_rupt().verify_challenge(evaluation_id, action="login", email=email)

`RuptAPI` is thread-safe and keeps a connection pool, so a process needs exactly one: building it
per request would open a new connection (and TLS handshake) to Rupt every time. It is configured
from Django settings, each falling back to the environment variable of the same name when the
setting is absent or empty:

- `RUPT_SECRET` (required): the project secret;
- `RUPT_DOMAIN` (optional): the API host, or a base URL (`http://127.0.0.1:8007` for the stand-in);
- `RUPT_TIMEOUT` (optional): seconds one call may take, every retry included.

Changing one of these settings (`override_settings`, pytest-django's `settings` fixture) drops
the client, and the next request builds a new one. `configure()` installs a client you built
yourself, for tests (an in-process transport) or for options the settings do not cover.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from rupt_api import RuptAPI

SETTING_NAMES = ("RUPT_SECRET", "RUPT_DOMAIN", "RUPT_TIMEOUT")

_lock = threading.Lock()
_client: RuptAPI | None = None
_owned = False  # whether _client was built here (and so is ours to close)


def get_rupt() -> RuptAPI:
    """The process-wide client, built from the settings on first use (once, even under threads)."""
    global _client, _owned
    client = _client
    if client is not None:
        return client
    with _lock:
        if _client is None:  # another thread may have built it while this one waited
            _client, _owned = _build(), True
        return _client


def configure(client: RuptAPI | None) -> None:
    """Use `client` from now on (None: build one from the settings again on next use).

    The caller keeps ownership of a client passed here: `reset()` forgets it without closing it.
    """
    global _client, _owned
    with _lock:
        previous, previous_owned = _client, _owned
        _client, _owned = client, False
    if previous is not None and previous_owned:
        previous.close()


def reset() -> None:
    """Forget the current client (closing it if it was built here); the next use builds anew."""
    configure(None)


@receiver(setting_changed)
def _rebuild_on_change(*, setting: str, **_: Any) -> None:
    if setting in SETTING_NAMES:
        reset()


def _setting(name: str) -> Any:
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name) or None
    return value


def _build() -> RuptAPI:
    secret = _setting("RUPT_SECRET")
    if secret is None:
        raise ImproperlyConfigured(
            "RUPT_SECRET is not set: put your Rupt project secret in the setting or the environment"
        )
    options: dict[str, Any] = {}
    domain = _setting("RUPT_DOMAIN")
    if domain is not None:
        options["domain"] = domain
    timeout = _setting("RUPT_TIMEOUT")
    if timeout is not None:
        try:
            options["timeout"] = float(timeout)
        except (TypeError, ValueError):
            raise ImproperlyConfigured(
                f"RUPT_TIMEOUT must be a number of seconds, not {timeout!r}"
            ) from None
    try:
        return RuptAPI(secret, **options)
    except (TypeError, ValueError) as exc:  # the SDK's messages never contain the secret
        raise ImproperlyConfigured(f"Rupt settings: {exc}") from exc
