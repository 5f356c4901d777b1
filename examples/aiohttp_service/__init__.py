"""An aiohttp service confirming Rupt challenges: one `AsyncRuptAPI` per process."""

from .app import CONTINUATIONS, RUPT, Continuations, Settings, Settled, create_app, main

__all__ = ["CONTINUATIONS", "RUPT", "Continuations", "Settings", "Settled", "create_app", "main"]
