"""Certificates for the loopback TLS servers: a throwaway authority and a certificate for 127.0.0.1.

Made by trustme when first asked for, in memory; `write_pem_files` puts them in files for a server
in another process and for `SSL_CERT_FILE`, which the SDK's own pools read as any httpx client
does.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path

import trustme

HOST = "127.0.0.1"


@functools.cache
def _authority() -> tuple[trustme.CA, trustme.LeafCert]:
    authority = trustme.CA()
    return authority, authority.issue_cert(HOST)


def server_context() -> ssl.SSLContext:
    """A server's TLS context, with the certificate for 127.0.0.1."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    _authority()[1].configure_cert(context)
    return context


def client_context() -> ssl.SSLContext:
    """A client's TLS context that trusts the authority (and nothing else)."""
    context = ssl.create_default_context()
    _authority()[0].configure_trust(context)
    return context


def write_pem_files(directory: Path) -> tuple[Path, Path, Path]:
    """The authority's certificate, the server's certificate chain and its key, as files."""
    authority, leaf = _authority()
    ca, chain, key = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    authority.cert_pem.write_to_path(str(ca))
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    return ca, chain, key
