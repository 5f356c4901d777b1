"""The async pool's gate (`AsyncLane.enter` / `leave`): `MAX_CONNECTIONS` calls in at a time.

The others wait in their order of arrival, each at most until its deadline (then
`httpx.PoolTimeout`: nothing was sent, so the call's continuation sends it); a waiting call that is
cancelled gives up its place, and a turn handed to a call as it is cancelled goes to the next one.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from rupt_api._transport import MAX_CONNECTIONS, AsyncLane

LATER = 60.0  # a limit that never passes during a test


def _lane() -> AsyncLane:
    return AsyncLane(httpx.AsyncClient(), watched=False)


async def _fill(lane: AsyncLane) -> None:
    for _ in range(MAX_CONNECTIONS):
        await lane.enter(time.monotonic() + LATER)


def test_calls_past_the_limit_wait_and_go_in_order() -> None:
    async def main() -> list[int]:
        lane = _lane()
        await _fill(lane)
        order: list[int] = []

        async def waiter(number: int) -> None:
            await lane.enter(time.monotonic() + LATER)
            order.append(number)

        waiters = [asyncio.create_task(waiter(n)) for n in range(3)]
        await asyncio.sleep(0.01)
        assert order == []  # all turns are taken
        for _ in range(3):
            lane.leave()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.gather(*waiters)
        return order

    assert asyncio.run(main()) == [0, 1, 2]


def test_a_wait_ends_at_the_limit_and_takes_no_turn() -> None:
    async def main() -> None:
        lane = _lane()
        await _fill(lane)
        started = time.monotonic()
        with pytest.raises(httpx.PoolTimeout):
            await lane.enter(started + 0.05)
        assert time.monotonic() - started >= 0.04
        lane.leave()  # a turn comes free: nobody waits, so the next call gets it at once
        await asyncio.wait_for(lane.enter(time.monotonic() + LATER), 1)

    asyncio.run(main())


def test_a_cancelled_wait_gives_up_its_place() -> None:
    async def main() -> None:
        lane = _lane()
        await _fill(lane)
        cancelled = asyncio.create_task(lane.enter(time.monotonic() + LATER))
        await asyncio.sleep(0)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        after = asyncio.create_task(lane.enter(time.monotonic() + LATER))
        await asyncio.sleep(0)
        lane.leave()
        await asyncio.wait_for(after, 1)  # the turn went past the cancelled call

    asyncio.run(main())


def test_a_turn_given_as_the_call_is_cancelled_goes_to_the_next() -> None:
    async def main() -> None:
        lane = _lane()
        await _fill(lane)
        first = asyncio.create_task(lane.enter(time.monotonic() + LATER))
        second = asyncio.create_task(lane.enter(time.monotonic() + LATER))
        await asyncio.sleep(0)
        lane.leave()  # the turn is the first's, which is cancelled before it can take it
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.wait_for(second, 1)
        # Every turn is accounted for: the 100 holders and the second leave, and all are free.
        for _ in range(MAX_CONNECTIONS):
            lane.leave()
        await _fill(lane)

    asyncio.run(main())
