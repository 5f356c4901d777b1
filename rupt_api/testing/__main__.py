"""`python -m rupt_api.testing`: serve a FakeRupt over HTTP for an app in development, until Ctrl-C.

    python -m rupt_api.testing --port 8007 \\
        --evaluation user_id=user_1,email=ada@example.com,challenge=completed \\
        --fault status=503,times=2

Point the app at it with `RUPT_DOMAIN=http://127.0.0.1:8007` and the printed secret. It prints
the id of every evaluation it creates, and the URL of its JSON control endpoint (same port, under
`/_rupt`) for creating evaluations, completing or failing challenges and injecting faults while
the app runs; see `rupt_api.testing._control` for its requests.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ._control import (
    EVALUATION_FIELDS,
    FAULT_FIELDS,
    PREFIX,
    Control,
    create_evaluation,
    fault_from,
    parse_flag,
)
from ._server import serve
from ._state import DEFAULT_SECRET, FakeRupt

PROG = "python -m rupt_api.testing"

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


def describe(evaluation: dict[str, Any]) -> str:
    """A label for a created evaluation: whose, which action, where its challenge stands."""
    user = evaluation.get("user") or {}
    who = user.get("id") or user.get("email") or user.get("phone") or "anonymous"
    challenge = evaluation.get("challenge")
    state = f"challenge {challenge['status']}" if challenge else evaluation["verdict"]
    return f"evaluation, {who} {evaluation['action']} ({state})"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve a fake Rupt V3 API over HTTP until interrupted (Ctrl-C).",
        epilog=f"Control endpoint: GET {PREFIX} on the same port lists its requests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8007, help="port; 0 picks a free one")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="the project secret to accept")
    parser.add_argument("--seed", action="store_true", help="add sample evaluations")
    parser.add_argument(
        "--evaluation",
        action="append",
        default=[],
        metavar="KEY=VALUE,...",
        help=f"add an evaluation (repeatable); keys: {', '.join(EVALUATION_FIELDS)}; challenge is"
        " pending (default), completed, failed, skipped or none",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KEY=VALUE,...",
        help="queue a fault (repeatable); keys: "
        + ", ".join(key for key in FAULT_FIELDS if key != "headers"),
    )
    parser.add_argument(
        "--replayable",
        action="store_true",
        help="every evaluation can be consumed again (reload a page without a 409)",
    )
    parser.add_argument(
        "--no-control", action="store_true", help=f"serve Rupt's API only, without {PREFIX}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = parser().parse_args(argv)
    fake = FakeRupt(secret=args.secret)
    try:
        evaluations = [parse_flag(text, EVALUATION_FIELDS) for text in args.evaluation]
        faults = [fault_from(parse_flag(text, FAULT_FIELDS)) for text in args.fault]
        samples = seed(fake) if args.seed else []
        if args.replayable:
            for label, ident in samples:
                if label.startswith("evaluation"):
                    fake.allow_replay(ident, None)
        samples += [
            (describe(evaluation), evaluation["id"])
            for evaluation in (
                create_evaluation(fake, fields, replayable=args.replayable)
                for fields in evaluations
            )
        ]
    except (TypeError, ValueError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    for fault in faults:
        fake.inject(fault)
    control = None if args.no_control else Control(fake, replayable=args.replayable)
    stop = threading.Event()

    def on_terminate(_signum: int, _frame: Any) -> None:
        stop.set()

    # Ctrl-C and SIGTERM both stop it, even when started with SIGINT ignored (as a shell without
    # job control starts background commands), where Python would raise no KeyboardInterrupt.
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_terminate)
    with contextlib.ExitStack() as running:
        try:
            url = running.enter_context(serve(fake, args.host, args.port, control))
        except OSError as exc:
            print(f"{PROG}: {_bind_error(exc, args.host, args.port)}", file=sys.stderr)
            return 2
        print(f"FakeRupt listening on {url}", flush=True)
        print(f"secret: {args.secret}", flush=True)
        if control is not None:
            print(f"control: {url}{PREFIX} (JSON; GET it for the list)", flush=True)
        for label, ident in samples:
            print(f"{label}: {ident}", flush=True)
        for fault in faults:
            print(f"fault queued: {fault}", flush=True)
        while not stop.wait(0.5):
            pass
    print("FakeRupt stopped", flush=True)
    return 0


def _bind_error(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another stand-in still running?);"
            " choose another with --port, or --port 0 for a free one"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; choose one above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: not an address of this machine (see --host)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


if __name__ == "__main__":
    sys.exit(main())
