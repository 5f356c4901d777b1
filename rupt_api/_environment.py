"""What the environment says about the network (proxies, CA bundles), checked at construction.

Both surfaces honour the environment exactly as httpx's own clients do with `trust_env=True`:
`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` (upper or lower case) and `NO_PROXY` through httpx's
own reading of them, and `SSL_CERT_FILE` (else `SSL_CERT_DIR`) as the CA bundle. httpx
discovers a setting it cannot use only when it builds a client, as an untyped `ImportError`
(a SOCKS proxy without `socksio`), `FileNotFoundError` (a CA file that does not exist) or
`ValueError` quoting the proxy URL (credentials included). `check` finds those first and
raises a `ValueError` that names the variable and never its value's credentials.
"""

from __future__ import annotations

import importlib.util
import os
import urllib.request
from urllib.parse import urlsplit

# Proxy schemes httpx supports; socks5 ones need the optional `socksio` package.
_PROXY_SCHEMES = {"http", "https", "socks5", "socks5h"}
_TURN_OFF = "or pass trust_env=False to ignore the environment's proxy and CA settings"


def _variable(scheme: str) -> str:
    """The environment variable urllib read the `scheme` proxy from (lower case wins)."""
    lower = f"{scheme}_proxy"
    if lower in os.environ:
        return lower
    return next((name for name in os.environ if name.lower() == lower), lower.upper())


def check() -> None:
    """Raise a `ValueError` naming the variable if httpx could not honour the environment."""
    cert_file = os.environ.get("SSL_CERT_FILE")
    cert_dir = os.environ.get("SSL_CERT_DIR")
    if cert_file:  # httpx reads SSL_CERT_FILE first, and SSL_CERT_DIR only without it
        if not os.path.isfile(cert_file):
            raise ValueError(
                f"SSL_CERT_FILE is set to {cert_file!r}, which is not a file: point it at a CA"
                f" bundle (PEM), unset it, {_TURN_OFF}"
            )
    elif cert_dir and not os.path.isdir(cert_dir):
        raise ValueError(
            f"SSL_CERT_DIR is set to {cert_dir!r}, which is not a directory: point it at a"
            f" directory of CA certificates, unset it, {_TURN_OFF}"
        )
    proxies = urllib.request.getproxies()
    if "*" in (host.strip() for host in proxies.get("no", "").split(",")):
        return  # NO_PROXY=* turns every proxy off
    for scheme in ("http", "https", "all"):
        url = proxies.get(scheme)
        if not url:
            continue
        proxy_scheme = urlsplit(url).scheme.lower() if "://" in url else "http"
        name = _variable(scheme)
        if proxy_scheme not in _PROXY_SCHEMES:
            raise ValueError(
                f"{name} names a proxy of scheme {proxy_scheme!r}; httpx supports http, https,"
                f" socks5 and socks5h proxies: fix it, {_TURN_OFF}"
            )
        if proxy_scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
            raise ValueError(
                f"{name} names a SOCKS proxy, which needs the socksio package: install it"
                f" (pip install 'httpx[socks]'), {_TURN_OFF}"
            )
