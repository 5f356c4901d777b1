"""`RuptAPI` and `AsyncRuptAPI` are twins: the same public methods, parameters, defaults and
docstrings, modulo the sync/async wording (`close`/`aclose`, `httpx.Client`/`httpx.AsyncClient`,
`await`). A method added to one surface only, or documented differently, fails here."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI

# Async name -> its sync twin.
RENAMED = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
# What only one surface has, and why. `transport="aiohttp"`: aiohttp is an asyncio library.
ASYNC_ONLY_PARAMETERS = {"__init__": ("transport",)}


def _public(cls: type) -> dict[str, Any]:
    names = {n for n in dir(cls) if not n.startswith("_")} | {"__init__"}
    names |= {n for n in ("__enter__", "__exit__", "__aenter__", "__aexit__") if hasattr(cls, n)}
    return {RENAMED.get(name, name): getattr(cls, name) for name in names}


def _synced(text: str) -> str:
    """Async wording turned into sync wording, whitespace normalised."""
    text = text.replace("httpx.AsyncClient", "httpx.Client").replace("AsyncRuptAPI", "RuptAPI")
    text = re.sub(r"\bawait ", "", text)
    text = re.sub(r"\baclose\b", "close", text)
    return " ".join(text.split())


def _args_section(cls: type) -> str:
    """The class docstring's `Args:`, without the arguments only one surface has."""
    doc = inspect.getdoc(cls) or ""
    start = doc.index("Args:")
    end = doc.find("\n\n", start)
    section = doc[start : end if end >= 0 else len(doc)]
    for name in ASYNC_ONLY_PARAMETERS["__init__"]:
        section = re.sub(
            rf"\n    {name}: \(AsyncRuptAPI only\).*?(?=\n    \w+:|$)", "", section, flags=re.S
        )
    return _synced(section)


def test_both_surfaces_have_the_same_public_methods() -> None:
    assert sorted(_public(RuptAPI)) == sorted(_public(AsyncRuptAPI))


@pytest.mark.parametrize("name", sorted(_public(RuptAPI)))
def test_each_method_has_the_same_parameters_defaults_and_docstring(name: str) -> None:
    sync, twin = _public(RuptAPI)[name], _public(AsyncRuptAPI)[name]
    if isinstance(sync, property):
        assert sync is twin  # shared (BaseClient)
        return
    assert inspect.iscoroutinefunction(twin) == (
        name not in ("with_options", "__init__") and inspect.isfunction(sync)
    ), f"AsyncRuptAPI.{name} should be a coroutine function exactly when it does I/O"
    sync_sig, twin_sig = inspect.signature(sync), inspect.signature(twin)
    async_only = ASYNC_ONLY_PARAMETERS.get(name, ())
    twin_params = [p for p in twin_sig.parameters.values() if p.name not in async_only]
    assert list(sync_sig.parameters) == [p.name for p in twin_params]
    for param, other in zip(sync_sig.parameters.values(), twin_params, strict=True):
        assert (param.kind, param.default) == (other.kind, other.default), (name, param.name)
        assert _synced(str(param.annotation)) == _synced(str(other.annotation)), param.name
    assert _synced(str(sync_sig.return_annotation)) == _synced(str(twin_sig.return_annotation))
    assert _synced(inspect.getdoc(sync) or "") == _synced(inspect.getdoc(twin) or ""), name


def test_both_classes_document_the_same_arguments() -> None:
    assert _args_section(RuptAPI) == _args_section(AsyncRuptAPI)
