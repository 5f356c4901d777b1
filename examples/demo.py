"""`make demo`: Rupt's challenge flow end to end, with the real SDK over real HTTP.

It starts the stand-in Rupt API (`rupt_api.testing.FakeRupt`) on a loopback port, then plays what
a server does at step 4 of the challenge-flow guide, once with `RuptAPI` and once with
`AsyncRuptAPI`:

1. a passed challenge is verified and honoured;
2. the same success URL replayed is refused (the evaluation is single-use), and so is another
   user's completed challenge for another action;
3. an unfinished challenge sends the user back to Rupt's challenge page;
4. Rupt answering 503 is retried, then served;
5. a call that outlives its deadline raises at once, and its continuation delivers the
   evaluation later.

Run it with `make demo` (or `python examples/demo.py`); it exits 0 when every step behaved.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

from rupt_api import (
    AsyncRuptAPI,
    ChallengeAlreadyUsedError,
    ChallengeMismatchError,
    ChallengeNotCompletedError,
    RuptAPI,
    RuptTimeoutError,
)
from rupt_api.testing import FakeRupt, Fault

SECRET = "sk_demo_not_a_real_secret"
USER_ID = "user_42"
EMAIL = "ada@example.com"


class Trace:
    """Prints numbered steps and remembers whether each one went as expected."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.failures: list[str] = []

    def section(self, title: str) -> None:
        print(f"\n== {title}")

    def step(self, text: str) -> None:
        print(f"   {time.monotonic() - self.started:6.2f}s  {text}")

    def expect(self, ok: bool, text: str) -> None:
        self.step(("ok    " if ok else "FAILED ") + text)
        if not ok:
            self.failures.append(text)


def seed(fake: FakeRupt) -> dict[str, str]:
    """Evaluations as the browser SDK would have left them, one per scenario."""

    def add(status: str | None, verdict: str = "allow") -> str:
        evaluation = fake.add_evaluation(
            challenge_status=status, verdict=verdict, user_id=USER_ID, email=EMAIL
        )
        return str(evaluation["id"])

    someone_else = fake.add_evaluation(
        challenge_status="completed", action="signup", user_id="mallory", email="m@example.com"
    )
    return {
        "passed": add("completed"),
        "someone_else": str(someone_else["id"]),
        "unfinished": add("code_sent", verdict="challenge"),
        "flaky": add("completed"),
        "slow": add(None),
    }


def expect_raises(trace: Trace, error: type[Exception], call: Callable[[], Any]) -> Any:
    try:
        call()
    except error as err:
        return err
    trace.expect(False, f"expected {error.__name__}")
    return None


def run_sync(trace: Trace, fake: FakeRupt, base_url: str) -> None:
    trace.section("RuptAPI (sync), as a Django view would use it")
    ids = seed(fake)
    with RuptAPI(SECRET, domain=base_url, max_retry_delay=0.2) as rupt:
        evaluation = rupt.verify_challenge(
            ids["passed"], action="login", user_id=USER_ID, email=EMAIL
        )
        trace.expect(
            evaluation.consumed is True,
            f"challenge passed: honour the login of {USER_ID} ({evaluation.id})",
        )

        err = expect_raises(
            trace,
            ChallengeAlreadyUsedError,
            lambda: rupt.verify_challenge(
                ids["passed"], action="login", user_id=USER_ID, email=EMAIL
            ),
        )
        if err is not None:
            trace.expect(True, "success URL replayed: refused (409, already consumed)")

        err = expect_raises(
            trace,
            ChallengeMismatchError,
            lambda: rupt.verify_challenge(
                ids["someone_else"], action="login", user_id=USER_ID, email=EMAIL
            ),
        )
        if err is not None:
            trace.expect(
                err.field == "user_id",
                f"mallory's completed signup posted for {USER_ID}'s login: refused ({err.field})",
            )

        err = expect_raises(
            trace,
            ChallengeNotCompletedError,
            lambda: rupt.verify_challenge(
                ids["unfinished"], action="login", user_id=USER_ID, email=EMAIL
            ),
        )
        if err is not None:
            trace.expect(
                err.redirect is not None,
                f"challenge {err.status!r}: redirect the user to {err.redirect}",
            )

        fake.inject(Fault(status=503, times=1))
        before = len(fake.requests)
        evaluation = rupt.verify_challenge(
            ids["flaky"], action="login", user_id=USER_ID, email=EMAIL
        )
        attempts = len(fake.requests) - before
        trace.expect(
            attempts == 2, f"Rupt answered 503, retried: verified after {attempts} attempts"
        )

        fake.inject(Fault(delay=0.8))
        started = time.monotonic()
        err = expect_raises(
            trace,
            RuptTimeoutError,
            lambda: rupt.with_options(timeout=0.3).get_evaluation(ids["slow"]),
        )
        if err is not None:
            waited = time.monotonic() - started
            trace.expect(
                waited < 0.4, f"Rupt is slow: RuptTimeoutError after {waited:.2f}s (timeout 0.3s)"
            )
            late = err.continuation.result(timeout=10)
            trace.expect(
                late.id == ids["slow"],
                f"continuation delivered the evaluation later: verdict {late.verdict!r}",
            )


async def run_async(trace: Trace, fake: FakeRupt, base_url: str) -> None:
    trace.section("AsyncRuptAPI, as an aiohttp handler would use it")
    ids = seed(fake)
    async with AsyncRuptAPI(SECRET, domain=base_url, max_retry_delay=0.2) as rupt:
        evaluation = await rupt.verify_challenge(
            ids["passed"], action="login", user_id=USER_ID, email=EMAIL
        )
        trace.expect(
            evaluation.consumed is True,
            f"challenge passed: honour the login of {USER_ID} ({evaluation.id})",
        )

        try:
            await rupt.verify_challenge(ids["passed"], action="login", user_id=USER_ID, email=EMAIL)
            trace.expect(False, "a replay must be refused")
        except ChallengeAlreadyUsedError:
            trace.expect(True, "success URL replayed: refused (409, already consumed)")

        try:
            await rupt.verify_challenge(
                ids["someone_else"], action="login", user_id=USER_ID, email=EMAIL
            )
            trace.expect(False, "someone else's challenge must not pass")
        except ChallengeMismatchError as err:
            trace.expect(
                err.field == "user_id",
                f"mallory's completed signup posted for {USER_ID}'s login: refused ({err.field})",
            )

        try:
            await rupt.verify_challenge(
                ids["unfinished"], action="login", user_id=USER_ID, email=EMAIL
            )
            trace.expect(False, "an unfinished challenge must not pass")
        except ChallengeNotCompletedError as err:
            trace.expect(
                err.redirect is not None,
                f"challenge {err.status!r}: redirect the user to {err.redirect}",
            )

        fake.inject(Fault(status=503, times=1))
        before = len(fake.requests)
        await rupt.verify_challenge(ids["flaky"], action="login", user_id=USER_ID, email=EMAIL)
        attempts = len(fake.requests) - before
        trace.expect(
            attempts == 2, f"Rupt answered 503, retried: verified after {attempts} attempts"
        )

        fake.inject(Fault(delay=0.8))
        started = time.monotonic()
        try:
            await rupt.with_options(timeout=0.3).get_evaluation(ids["slow"])
            trace.expect(False, "the slow call must time out")
        except RuptTimeoutError as err:
            waited = time.monotonic() - started
            trace.expect(
                waited < 0.4, f"Rupt is slow: RuptTimeoutError after {waited:.2f}s (timeout 0.3s)"
            )
            late = await asyncio.wait_for(err.continuation, 10)
            trace.expect(
                late.id == ids["slow"],
                f"continuation delivered the evaluation later: verdict {late.verdict!r}",
            )


def main() -> int:
    trace = Trace()
    fake = FakeRupt(secret=SECRET)
    with fake.serve() as base_url:
        trace.section(f"stand-in Rupt API listening on {base_url}")
        run_sync(trace, fake, base_url)
        asyncio.run(run_async(trace, fake, base_url))
    total = time.monotonic() - trace.started
    if trace.failures:
        print(f"\n{len(trace.failures)} step(s) FAILED in {total:.1f}s")
        return 1
    print(f"\nAll steps behaved as expected in {total:.1f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
