"""Section 5: the cost of `client.with_options(timeout=5)`, a per-call copy sharing the pool."""

from __future__ import annotations

import httpx

from rupt_api import RuptAPI

from .payload import MOCK_BASE_URL, SECRET, mock_transport
from .sizes import Sizes
from .timing import interleave, per_call_us, spread


def run(sizes: Sizes) -> dict[str, dict[str, float]]:
    """µs per `with_options(timeout=5)` call: the spread over rounds."""
    client = RuptAPI(
        SECRET, domain=MOCK_BASE_URL, http_client=httpx.Client(transport=mock_transport())
    )
    try:
        samples = interleave(
            {
                "with_options": lambda: per_call_us(
                    lambda: client.with_options(timeout=5), sizes.options_calls
                )
            },
            sizes.options_rounds,
        )
    finally:
        client.close()
    return {"with_options_us": spread(samples["with_options"])}
