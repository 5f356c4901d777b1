"""Every method of both surfaces, replayed from the vcrpy cassettes in `cassettes/` (offline).

`make cassettes` re-records them all (`--record-mode=rewrite`): only then is the stand-in
(`FakeRupt(...).serve()`) started, seeded with fixed ids and timestamps so that a re-recording
changes nothing but the consume timestamps. A plain `pytest` run replays (pytest-recording's
default record mode `none`): a request missing from its cassette fails instead of reaching out.

Cassettes are `cassettes/<method>_<scenario>_<surface>.yaml`. Requests match on method, path,
query and body, never on the host: the loopback port changes at every recording, so the recorded
origin is rewritten to `RECORDED_ORIGIN`. The secret is scrubbed from headers, URLs and bodies of
requests and responses before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI, RuptApiError
from rupt_api.models import Challenge, Device, Evaluation
from rupt_api.testing import STAND_IN_ORIGIN, FakeRupt, Fault
from rupt_api.testing import vcr_config as rupt_vcr_config
from rupt_api.testing._state import ROUTES
from tests.operations import OPERATION_CASES

SECRET = "sk_test_cassette_SECRET_do_not_leak"
WRONG_SECRET = "sk_test_cassette_WRONG_do_not_leak"
SCRUBBED = {SECRET: "[SECRET]", WRONG_SECRET: "[WRONG_SECRET]"}
RECORDED_ORIGIN = STAND_IN_ORIGIN  # .invalid never resolves: replay cannot leak
CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes"
# The async surface replays the same cassettes on both its transports (httpx's own and aiohttp):
# what Rupt sent back does not depend on how it was asked.
SURFACES = ("sync", "async", "async-aiohttp")

EVALUATION_ID = "64f1a2b3c4d5e6f708090a0b"
CHALLENGE_ID = "64f1a2b3c4d5e6f708090c0d"
DEVICE_ID = "64f1a2b3c4d5e6f708090d0e"
RUPT_USER_ID = "64f1a2b3c4d5e6f708090f0f"
UNKNOWN_ID = "000000000000000000000404"
USER_ID = "cassette_user_1"
UNKNOWN_USER_ID = "cassette_user_without_devices"
EMAIL = "user@example.com"
PHONE = "+15551234567"
STAMP = "2021-09-01T00:00:00.000Z"
STAMPED = datetime(2021, 9, 1, tzinfo=UTC)
STAMPS = {"createdAt": STAMP, "updatedAt": STAMP}
USER = {"rupt_id": RUPT_USER_ID, "id": USER_ID, "email": EMAIL, "phone": PHONE}
REDIRECT = f"https://challenge.rupt.dev/?challenge={CHALLENGE_ID}"
RISK = {"name": "ato", "severity": "low", "score": 3, "indicators": ["new_ip"]}
UPDATE = {
    "email": "new@example.com",
    "metadata": {"plan": "pro", "seats": 3},
    "groups": [{"id": "group_1", "name": "Admins"}],
}

# What each method is called with, in every scenario that reaches the seeded objects: every
# operation of the registry (tests/operations.py). The five below are called on the richly
# seeded objects of `stand_in`; any other uses the stand-in's own example (fixed ids too).
SEEDED_CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "get_evaluation": ((EVALUATION_ID,), {}),
    "consume_evaluation": ((EVALUATION_ID,), {}),
    "get_challenge": ((CHALLENGE_ID,), {}),
    "get_user_devices": ((USER_ID,), {}),
    "update_user": ((USER_ID,), UPDATE),
}
CASES = {case.name: case for case in OPERATION_CASES}
CALLS = {name: SEEDED_CALLS.get(name, (case.args, case.kwargs)) for name, case in CASES.items()}
METHODS = tuple(CALLS)
BY_ID = ("get_evaluation", "consume_evaluation", "get_challenge")

# -- Cassettes: names, the expected set, scrubbing -----------------------------------------------

EXPECTED_CASSETTES: set[str] = set()


def cassette_name(scenario: str, method: str | None, surface: str) -> str:
    surface = surface.removesuffix("-aiohttp")  # one cassette per surface, whatever the transport
    return "_".join(part for part in (method, scenario, surface) if part)


def recorded(*methods: str) -> Callable[[Any], Any]:
    """Mark a test as replayed from cassettes (one per method and surface) and list them."""

    def mark(test: Any) -> Any:
        scenario = test.__name__.removeprefix("test_")
        for method in methods or (None,):
            for surface in SURFACES:
                EXPECTED_CASSETTES.add(cassette_name(scenario, method, surface) + ".yaml")
        test = pytest.mark.vcr(test)
        return pytest.mark.parametrize("method", methods)(test) if methods else test

    return mark


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTE_DIR)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest, record_mode: str) -> str:
    params = request.node.callspec.params
    # Skipped here, before the `vcr` fixture opens the cassette: in rewrite mode opening it
    # deletes it, and the async cassette the aiohttp case shares would be lost.
    if params["rupt"] == "async-aiohttp" and record_mode != "none":
        pytest.skip("the aiohttp transport replays the async cassettes; httpx records them")
    scenario = request.node.originalname.removeprefix("test_")
    return cassette_name(scenario, params.get("method"), params["rupt"])


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    # The helper users get (rupt_api.testing.vcr_config), matching the body too. No record_mode
    # here: it would override --record-mode; the default `none` replays only.
    config = rupt_vcr_config(secrets=SCRUBBED, authorization="Bearer [scrubbed]")
    return {**config, "match_on": ["method", "path", "query", "body"]}


# -- The stand-in (recording only) and the clients ----------------------------------------------


@pytest.fixture
def stand_in() -> FakeRupt:
    """The stand-in, seeded with fixed ids and timestamps (harmless, and unused, in replay)."""
    fake = FakeRupt(secret=SECRET)
    fake.add_evaluation(
        id=EVALUATION_ID,
        verdict="challenge",
        user_id=USER_ID,
        metadata={"plan": "pro"},
        risks=[RISK],
        extra={
            **STAMPS,
            "user": USER,
            "challenge": {"id": CHALLENGE_ID, "status": "code_sent", "type": "account_takeover"},
            "redirect": REDIRECT,
            "new_key": "kept",
        },
    )
    fake.add_challenge(
        id=CHALLENGE_ID,
        evaluation=EVALUATION_ID,
        user_id=USER_ID,
        extra={**STAMPS, "user": USER},
    )
    fake.add_device(
        USER_ID,
        id=DEVICE_ID,
        metadata={"label": "work phone"},
        extra={**STAMPS, "user": RUPT_USER_ID, "attached_at": STAMP},
    )
    for name in CASES.keys() - SEEDED_CALLS.keys():
        ROUTES[name].example(fake)
    return fake


@pytest.fixture
def base_url(record_mode: str, disable_recording: bool, stand_in: FakeRupt) -> Any:
    """Where clients send: the served stand-in when recording, an unresolvable host in replay."""
    if record_mode == "none" and not disable_recording:
        yield RECORDED_ORIGIN
        return
    with stand_in.serve() as url:
        yield url


class Surface:
    """Calls a method the same way on `RuptAPI` and `AsyncRuptAPI` (one client per secret)."""

    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.base_url = base_url
        self.clients: dict[str, Any] = {}

    async def call(self, method: str, *args: Any, secret: str = SECRET, **kwargs: Any) -> Any:
        if secret not in self.clients:
            if self.name == "sync":
                client: Any = RuptAPI(secret, domain=self.base_url, max_retry_delay=0.0)
            else:
                transport = "aiohttp" if self.name == "async-aiohttp" else "httpx"
                client = AsyncRuptAPI(
                    secret, domain=self.base_url, max_retry_delay=0.0, transport=transport
                )
            self.clients[secret] = client
        result = getattr(self.clients[secret], method)(*args, **kwargs)
        return result if self.name == "sync" else await result

    async def fails(self, method: str, *args: Any, **kwargs: Any) -> RuptApiError:
        with pytest.raises(RuptApiError) as info:
            await self.call(method, *args, **kwargs)
        return info.value

    async def close(self) -> None:
        for client in self.clients.values():
            if self.name == "sync":
                client.close()
            else:
                await client.aclose()


@pytest.fixture(params=SURFACES)
async def rupt(request: pytest.FixtureRequest, base_url: str, vcr: Any) -> AsyncIterator[Surface]:
    surface = Surface(request.param, base_url)
    yield surface
    await surface.close()
    if vcr is not None and vcr.write_protected:
        # Replaying: the SDK sent every recorded request (sending one more already fails).
        played, total = vcr.play_count, len(vcr)
        assert vcr.all_played, f"{played} of the {total} recorded requests were sent"


# -- Reading the cassette (the recorded answers) -------------------------------------------------


def statuses(vcr: Any) -> list[int] | None:
    return None if vcr is None else [r["status"]["code"] for r in vcr.responses]


def last_body(vcr: Any) -> Any:
    body = vcr.responses[-1]["body"]["string"]
    return json.loads(body) if body else None


def last_request_json(vcr: Any) -> Any:
    return json.loads(vcr.requests[-1].body)


def check_recorded_result(method: str, result: Any, vcr: Any) -> None:
    """The SDK returned exactly what the last recorded answer holds."""
    if vcr is None:
        return
    body = last_body(vcr)
    case = CASES[method]
    if case.shape == "none":
        assert result is None
        assert body is None
    elif case.shape == "list":
        assert result == [case.model.from_dict(item) for item in body]
    else:
        assert result == case.model.from_dict(body)
    if CALLS[method][1]:  # and replay matched the body the SDK sent
        assert last_request_json(vcr) == case.operation.build_body(**CALLS[method][1]).to_dict()


def check_recorded_error(error: RuptApiError, vcr: Any) -> None:
    if vcr is not None:
        assert error.status == vcr.responses[-1]["status"]["code"]
        assert error.body == last_body(vcr)
    assert SECRET not in str(error)
    assert WRONG_SECRET not in str(error)


# -- What each method returns --------------------------------------------------------------------


def check_evaluation(evaluation: Any, *, consumed: bool) -> None:
    assert isinstance(evaluation, Evaluation)
    assert (evaluation.id, evaluation.action, evaluation.verdict) == (
        EVALUATION_ID,
        "login",
        "challenge",
    )
    assert evaluation.reasons == ["new_fingerprint", "new_ip"]
    assert evaluation.redirect == REDIRECT
    user = evaluation.user
    assert (user.rupt_id, user.id, user.email, user.phone) == (RUPT_USER_ID, USER_ID, EMAIL, PHONE)
    challenge = evaluation.challenge
    assert (challenge.id, challenge.status, challenge.type_) == (
        CHALLENGE_ID,
        "code_sent",
        "account_takeover",
    )
    assert evaluation.metadata == {"plan": "pro"}
    assert [risk.to_dict() for risk in evaluation.risks] == [RISK]
    assert evaluation["new_key"] == "kept"
    assert evaluation.created_at == STAMPED
    assert evaluation.consumed is consumed
    if consumed:
        assert evaluation.consumed_at is not None
        assert evaluation.consumed_at.tzinfo is not None
        assert evaluation.updated_at == evaluation.consumed_at
    else:
        assert evaluation.consumed_at is None
        assert evaluation.updated_at == STAMPED


def check_challenge(challenge: Any) -> None:
    assert isinstance(challenge, Challenge)
    assert (challenge.id, challenge.status, challenge.type_) == (
        CHALLENGE_ID,
        "code_sent",
        "account_takeover",
    )
    assert challenge.evaluation == EVALUATION_ID
    assert (challenge.challenge_mode, challenge.delivery_status) == ("rupt_managed", "delivered")
    assert challenge.channels == ["email"]
    assert challenge.actions == ["verify", "skip"]
    assert (challenge.user.rupt_id, challenge.user.id) == (RUPT_USER_ID, USER_ID)
    assert (challenge.email_verified, challenge.phone_verified) == (False, False)
    assert challenge.verify_attempts == 1
    assert (challenge.created_at, challenge.updated_at) == (STAMPED, STAMPED)


def check_devices(devices: Any) -> None:
    assert isinstance(devices, list)
    assert len(devices) == 1
    device = devices[0]
    assert isinstance(device, Device)
    assert (device.id, device.user, device.status) == (DEVICE_ID, RUPT_USER_ID, "attached")
    assert device.metadata == {"label": "work phone"}
    assert device.info.device.vendor == "Apple"
    assert device.info.device.model == "iPhone 12"
    assert device.info.device.type_ == "mobile"
    assert device.actively_connected is True
    assert (device.attached_at, device.created_at, device.updated_at) == (STAMPED,) * 3


def check_success(method: str, result: Any, stand_in: FakeRupt, base_url: str) -> None:
    case = CASES[method]
    if method not in SEEDED_CALLS:  # an operation without a hand-written check: its shape
        items = result if case.shape == "list" else [result]
        assert (
            result is None
            if case.shape == "none"
            else all(isinstance(item, case.model) for item in items)
        )
    elif method in ("get_evaluation", "consume_evaluation"):
        check_evaluation(result, consumed=method == "consume_evaluation")
    elif method == "get_challenge":
        check_challenge(result)
    elif method == "get_user_devices":
        check_devices(result)
    else:
        assert result is None
        if base_url != RECORDED_ORIGIN:  # recording: the stand-in stored the update
            assert stand_in.users[USER_ID] == UPDATE


# -- Success -------------------------------------------------------------------------------------


@recorded(*METHODS)
async def test_ok(rupt: Surface, vcr: Any, stand_in: FakeRupt, base_url: str, method: str) -> None:
    args, kwargs = CALLS[method]
    result = await rupt.call(method, *args, **kwargs)
    check_success(method, result, stand_in, base_url)
    check_recorded_result(method, result, vcr)
    assert statuses(vcr) in (None, [CASES[method].status])


@recorded("get_user_devices")
async def test_empty_for_unknown_user(rupt: Surface, vcr: Any, method: str) -> None:
    assert await rupt.call(method, UNKNOWN_USER_ID) == []
    assert statuses(vcr) in (None, [200])


# -- Documented errors ---------------------------------------------------------------------------


@recorded(*BY_ID)
async def test_404_unknown_id(rupt: Surface, vcr: Any, method: str) -> None:
    error = await rupt.fails(method, UNKNOWN_ID)
    assert (error.status, error.code, error.attempts) == (404, "not_found", 1)
    kind = "challenge" if method == "get_challenge" else "evaluation"
    assert error.detail == f"{kind} not found"
    assert error.earlier_attempt_unknown is False
    check_recorded_error(error, vcr)
    assert statuses(vcr) in (None, [404])


@recorded("consume_evaluation")
async def test_409_second_consume(rupt: Surface, vcr: Any, method: str) -> None:
    first = await rupt.call(method, EVALUATION_ID)
    check_evaluation(first, consumed=True)
    error = await rupt.fails(method, EVALUATION_ID)
    assert (error.status, error.code, error.attempts) == (409, "conflict", 1)
    assert error.detail == "evaluation already consumed"
    assert error.earlier_attempt_unknown is False  # a plain replay, not an ambiguous retry
    check_recorded_error(error, vcr)
    assert statuses(vcr) in (None, [200, 409])


@recorded(*METHODS)
async def test_401_wrong_secret(rupt: Surface, vcr: Any, method: str) -> None:
    args, kwargs = CALLS[method]
    error = await rupt.fails(method, *args, secret=WRONG_SECRET, **kwargs)
    assert (error.status, error.code, error.attempts) == (401, "unauthorized", 1)
    check_recorded_error(error, vcr)
    assert statuses(vcr) in (None, [401])


@recorded(*METHODS)
async def test_503_retried(
    rupt: Surface, vcr: Any, stand_in: FakeRupt, base_url: str, method: str
) -> None:
    stand_in.inject(Fault(status=503, times=1))
    args, kwargs = CALLS[method]
    result = await rupt.call(method, *args, **kwargs)
    check_success(method, result, stand_in, base_url)
    check_recorded_result(method, result, vcr)
    assert statuses(vcr) in (None, [503, CASES[method].status])
    if base_url != RECORDED_ORIGIN:
        assert len(stand_in.requests) == 2


@recorded(*METHODS)
async def test_428_upgrade_required(
    rupt: Surface, vcr: Any, stand_in: FakeRupt, method: str
) -> None:
    stand_in.inject(Fault(status=428))
    args, kwargs = CALLS[method]
    error = await rupt.fails(method, *args, **kwargs)
    assert (error.status, error.code, error.attempts) == (428, "upgrade_required", 1)
    assert error.retry_after is None
    check_recorded_error(error, vcr)
    assert statuses(vcr) in (None, [428])


# -- The cassettes themselves (after the recorded tests, so a recording run checks its output) ---


def test_every_expected_cassette_exists_and_no_other() -> None:
    present = {path.name for path in CASSETTE_DIR.glob("*.yaml")}
    missing = sorted(EXPECTED_CASSETTES - present)
    assert not missing, f"missing cassettes (run `make cassettes`): {missing}"
    stale = sorted(present - EXPECTED_CASSETTES)
    assert not stale, f"cassettes no test replays (delete them): {stale}"


def test_no_cassette_holds_a_secret() -> None:
    files = [path for path in CASSETTE_DIR.rglob("*") if path.is_file()]
    assert files
    for path in files:
        content = path.read_bytes()
        for secret in (SECRET, WRONG_SECRET, "Bearer sk_", "sk_test_cassette"):
            assert secret.encode() not in content, f"{path.name} holds {secret!r}"
        assert b"Bearer [scrubbed]" in content, f"{path.name}: no scrubbed Authorization header"
