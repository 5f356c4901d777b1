"""Once warm, a call imports nothing.

An `import` inside code that runs per request is free when the module is loaded, and costly when
it is missing: Python searches every entry of sys.path again each time (httpcore asks for
sniffio on every async request; without it that search was a third of the CPU of 256 tasks).
These tests watch the import system during calls over loopback, on every surface and transport.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import httpx
import pytest

from rupt_api import AsyncRuptAPI, RuptAPI

from .conftest import ASYNC_TRANSPORTS, SECRET


class ImportWatcher(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: notes every module Python goes looking for, finds nothing."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        self.looked_up.append(fullname)


CALLS = 5


@pytest.mark.parametrize("injected", [False, True], ids=["own-pool", "injected"])
def test_sync_calls_import_nothing_once_warm(
    base_url: str, fake: Any, injected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation = fake.add_evaluation()["id"]
    http = httpx.Client() if injected else None
    with RuptAPI(SECRET, domain=base_url, http_client=http) as client:
        client.get_evaluation(evaluation)  # warm: lazy imports happen once, here
        watching = ImportWatcher()
        monkeypatch.setattr(sys, "meta_path", [watching, *sys.meta_path])
        for _ in range(CALLS):
            assert client.get_evaluation(evaluation).id == evaluation
    if http is not None:
        http.close()
    assert watching.looked_up == []


@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
@pytest.mark.parametrize("injected", [False, True], ids=["own-pool", "injected"])
def test_async_calls_import_nothing_once_warm(
    base_url: str, fake: Any, transport: str, injected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if injected and transport != "httpx":
        pytest.skip("an injected client brings its own transport")
    evaluation = fake.add_evaluation()["id"]
    watching = ImportWatcher()

    async def calls() -> None:
        http = httpx.AsyncClient() if injected else None
        options: dict[str, Any] = {"http_client": http} if injected else {"transport": transport}
        async with AsyncRuptAPI(SECRET, domain=base_url, **options) as client:
            await client.get_evaluation(evaluation)  # warm
            monkeypatch.setattr(sys, "meta_path", [watching, *sys.meta_path])
            for _ in range(CALLS):
                assert (await client.get_evaluation(evaluation)).id == evaluation
            monkeypatch.undo()
        if http is not None:
            await http.aclose()

    asyncio.run(calls())
    assert watching.looked_up == []
