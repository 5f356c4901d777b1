"""`python -m rupt_api.testing`: serve a FakeRupt over HTTP until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ._state import DEFAULT_SECRET, FakeRupt

# Fixed ids, so that examples (the README's among them) can name them.
ALLOWED, PASSED, PENDING, DEVICE = (f"64f0a1b2c3d4e5f6012345{n:02d}" for n in range(1, 5))


def seed(fake: FakeRupt) -> list[tuple[str, str]]:
    """Add a few sample objects; return (label, id) pairs describing them.

    The ids are always the same (ALLOWED, PASSED, PENDING, DEVICE); each `FakeRupt` starts fresh,
    so a consumed sample is unconsumed again after a restart.
    """
    allowed = fake.add_evaluation(id=ALLOWED, user_id="user_allowed", email="allowed@example.com")
    passed = fake.add_evaluation(
        id=PASSED,
        user_id="user_passed",
        email="passed@example.com",
        user_metadata={"plan": "pro"},
        verdict="challenge",
        challenge_status="completed",
    )
    pending = fake.add_evaluation(
        id=PENDING,
        user_id="user_pending",
        email="pending@example.com",
        verdict="challenge",
        challenge_status="code_sent",
    )
    device = fake.add_device("user_allowed", id=DEVICE)
    return [
        ("evaluation, allowed", allowed["id"]),
        ("evaluation, challenge completed", passed["id"]),
        ("evaluation, challenge not finished", pending["id"]),
        ("challenge not finished", pending["challenge"]["id"]),
        ("device of user_allowed", device["id"]),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m rupt_api.testing",
        description="Serve a fake Rupt V3 API over HTTP until interrupted (Ctrl-C).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8007, help="port; 0 picks a free one")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="the project secret to accept")
    parser.add_argument("--seed", action="store_true", help="add sample evaluations")
    args = parser.parse_args(argv)

    fake = FakeRupt(secret=args.secret)
    samples = seed(fake) if args.seed else []
    stop = threading.Event()

    def on_terminate(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_terminate)
    with fake.serve(args.host, args.port) as url:
        print(f"FakeRupt listening on {url}", flush=True)
        print(f"secret: {args.secret}", flush=True)
        for label, ident in samples:
            print(f"{label}: {ident}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("FakeRupt stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
