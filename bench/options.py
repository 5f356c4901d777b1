"""Section 5: the cost of `client.with_options(timeout=5)`, a per-call copy sharing the pool."""

from __future__ import annotations

import httpx

from rupt_api import RuptAPI

from .payload import MOCK_BASE_URL, SECRET, mock_transport
from .sizes import Sizes
from .timing import interleave, median, per_call_us


def run(sizes: Sizes) -> dict[str, float]:
    """Median µs per `with_options(timeout=5)` call, over rounds."""
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
    return {"with_options_us": median(samples["with_options"])}
