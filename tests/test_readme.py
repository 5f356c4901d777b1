"""Every ```python block of the README runs, against the stand-in, as a reader would paste it.

Each block runs as the body of an async function (so top-level `await` and `return` work) in a
namespace holding what the prose assumes: `rupt` (sync, or async when the block awaits),
`evaluation_id` (a passed challenge), `user`, `reject`, `redirect`, `settings`, `app`. Clients the
block builds itself without a `domain` are pointed at the in-process stand-in.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiohttp import web

import rupt_api
from rupt_api.testing import FakeRupt

README = Path(__file__).resolve().parents[1] / "README.md"
SECRET = "sk_readme_example"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_examples_for_both_surfaces() -> None:
    assert len(BLOCKS) >= 8
    assert any("AsyncRuptAPI" in block for block in BLOCKS)
    assert any("RuptTimeoutError" in block and "continuation" in block for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_readme_example_runs(block: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRupt(secret=SECRET)
    monkeypatch.setenv("RUPT_SECRET", SECRET)

    class RuptAPI(rupt_api.RuptAPI):
        def __init__(self, secret: str, **options: Any) -> None:
            if "domain" not in options:
                options.setdefault("http_client", httpx.Client(transport=fake.transport()))
            super().__init__(secret, **options)

    class AsyncRuptAPI(rupt_api.AsyncRuptAPI):
        def __init__(self, secret: str, **options: Any) -> None:
            if "domain" not in options:
                options.setdefault("http_client", httpx.AsyncClient(transport=fake.transport()))
            super().__init__(secret, **options)

    monkeypatch.setattr(rupt_api, "RuptAPI", RuptAPI)
    monkeypatch.setattr(rupt_api, "AsyncRuptAPI", AsyncRuptAPI)
    evaluation = fake.add_evaluation(
        challenge_status="completed", user_id="user_1", email="ada@example.com", verdict="deny"
    )
    is_async = "await " in block or "async " in block
    namespace: dict[str, Any] = {
        "rupt": (AsyncRuptAPI if is_async else RuptAPI)(SECRET),
        "evaluation_id": evaluation["id"],
        "user": SimpleNamespace(id="user_1", email="ada@example.com"),
        "reject": lambda reason: ("rejected", reason),
        "redirect": lambda url: ("redirect", url),
        "honour_the_login": lambda evaluation: None,
        "settings": SimpleNamespace(RUPT_SECRET=SECRET),
        "app": web.Application(),
        "threading": threading,
        "web": web,
        "os": __import__("os"),
        "RuptAPI": RuptAPI,
        "AsyncRuptAPI": AsyncRuptAPI,
        "RuptApiError": rupt_api.RuptApiError,
        "RuptTimeoutError": rupt_api.RuptTimeoutError,
    }
    source = "async def _readme_block():\n" + textwrap.indent(block, "    ") + "\n    pass\n"
    exec(compile(source, f"README.md block {BLOCKS.index(block)}", "exec"), namespace)
    asyncio.run(namespace["_readme_block"]())
    # Examples that only define things, or bring their own stand-in, have nothing to show here.
    assert fake.requests or "def " in block or "FakeRupt(" in block, "the example sent nothing"
