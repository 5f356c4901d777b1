"""rupt_api.testing.vcr_config: cassettes a user records hold no secret and replay on any port.

Recorded with vcrpy against the stand-in on one random loopback port, then replayed with the
stand-in on another port, and with no stand-in at all: the answers come from the cassette, the
servers count what actually reached them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException

from rupt_api import AsyncRuptAPI, RuptAPI, RuptError
from rupt_api.testing import STAND_IN_ORIGIN, FakeRupt, vcr_config

SECRET = "sk_live_vcr_SECRET_0123456789"
USER_SECRET = "user_token_SECRET_42"


def recorder(directory: Path, mode: str, **options: Any) -> vcr.VCR:
    return vcr.VCR(cassette_library_dir=str(directory), record_mode=mode, **vcr_config(**options))


def seeded(evaluation_id: str = "64f0a1b2c3d4e5f601234599") -> FakeRupt:
    fake = FakeRupt(secret=SECRET)
    fake.add_evaluation(id=evaluation_id, user_id="user_1", email="ada@example.com")
    return fake


def test_recorded_on_one_port_replayed_on_another_and_offline(tmp_path: Path) -> None:
    first, second = seeded(), seeded()
    with (
        first.serve() as url,
        recorder(tmp_path, "once").use_cassette("flow.yaml"),
        RuptAPI(SECRET, domain=url) as rupt,
    ):
        recorded = rupt.consume_evaluation("64f0a1b2c3d4e5f601234599")
    assert len(first.requests) == 1

    cassette = (tmp_path / "flow.yaml").read_text()
    assert SECRET not in cassette
    assert "authorization" not in cassette.lower()
    assert "127.0.0.1" not in cassette
    assert f"uri: {STAND_IN_ORIGIN}/v3/evaluations/64f0a1b2c3d4e5f601234599/consume" in cassette
    assert "date:" not in cassette.lower()

    with (
        second.serve() as other_url,
        recorder(tmp_path, "none").use_cassette("flow.yaml"),
        RuptAPI(SECRET, domain=other_url) as rupt,
    ):
        assert other_url != url
        replayed = rupt.consume_evaluation("64f0a1b2c3d4e5f601234599")
    assert second.requests == []  # answered from the cassette
    assert replayed.consumed_at == recorded.consumed_at

    # No stand-in at all: the recorded origin, or the old port, still replays.
    for domain in (url, STAND_IN_ORIGIN):
        with (
            recorder(tmp_path, "none").use_cassette("flow.yaml"),
            RuptAPI(SECRET, domain=domain) as rupt,
        ):
            assert rupt.consume_evaluation("64f0a1b2c3d4e5f601234599").consumed


async def test_async_replays_too(tmp_path: Path) -> None:
    fake = seeded()
    with fake.serve() as url, recorder(tmp_path, "once").use_cassette("async.yaml"):
        async with AsyncRuptAPI(SECRET, domain=url) as rupt:
            await rupt.get_evaluation("64f0a1b2c3d4e5f601234599")
    with recorder(tmp_path, "none").use_cassette("async.yaml"):
        async with AsyncRuptAPI(SECRET, domain=STAND_IN_ORIGIN) as rupt:
            evaluation = await rupt.get_evaluation("64f0a1b2c3d4e5f601234599")
    assert evaluation.user is not None
    assert evaluation.user.id == "user_1"


def test_a_request_missing_from_the_cassette_fails_rather_than_leaves(tmp_path: Path) -> None:
    fake = seeded()
    with (
        fake.serve() as url,
        recorder(tmp_path, "once").use_cassette("one.yaml"),
        RuptAPI(SECRET, domain=url) as rupt,
    ):
        rupt.get_evaluation("64f0a1b2c3d4e5f601234599")
    with (
        fake.serve() as url,
        recorder(tmp_path, "none").use_cassette("one.yaml"),
        RuptAPI(SECRET, domain=url, retries=0) as rupt,
        pytest.raises(RuptError) as caught,
    ):
        rupt.get_evaluation("000000000000000000000404")
    assert isinstance(caught.value.__cause__, CannotOverwriteExistingCassetteException)
    assert len(fake.requests) == 1  # only the recording reached the stand-in


def test_other_secrets_are_scrubbed_everywhere_and_other_hosts_kept(tmp_path: Path) -> None:
    fake = seeded()
    with (
        fake.serve() as url,
        recorder(
            tmp_path,
            "once",
            secrets={USER_SECRET: "[user token]"},
            authorization="Bearer [scrubbed]",
        ).use_cassette("scrubbed.yaml"),
        RuptAPI(SECRET, domain=url) as rupt,
    ):
        rupt.update_user("user_1", metadata={"token": USER_SECRET})
    cassette = (tmp_path / "scrubbed.yaml").read_text()
    assert USER_SECRET not in cassette
    assert "[user token]" in cassette
    assert "Bearer [scrubbed]" in cassette
    assert SECRET not in cassette

    config = vcr_config()
    request = vcr.request.Request("GET", "https://api.rupt.dev/v3/evaluations/x", b"", {})
    assert config["before_record_request"](request).uri == "https://api.rupt.dev/v3/evaluations/x"
    for loopback in ("http://localhost:8007", "http://[::1]:9", "http://127.0.0.2"):
        request = vcr.request.Request("GET", f"{loopback}/v3/x?a=1", b"", {"host": "h"})
        rewritten = config["before_record_request"](request)
        assert rewritten.uri == f"{STAND_IN_ORIGIN}/v3/x?a=1"
        assert rewritten.headers["host"] == "rupt-stand-in.invalid"
