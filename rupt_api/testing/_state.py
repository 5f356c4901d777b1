"""The fake's state, and the request handling shared by the in-process transport and the server."""

from __future__ import annotations

import copy
import hmac
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import unquote

import attrs

from rupt_api._operations import OPERATIONS, Operation
from rupt_api.models import (
    Challenge,
    Device,
    DeviceInfo,
    Evaluation,
    EvaluationChallenge,
    Risk,
    UpdateUserBody,
    User,
)

from ._payloads import Timestamp, new_id, now, payload, with_extra
from ._server import serve
from ._transport import FakeTransport
from ._wire import Answer, Fault, RecordedRequest, error_answer, json_answer, parse_json

DEFAULT_SECRET = "sk_test_fake"  # noqa: S105 (a fake secret, for the fake)
CHALLENGE_PAGE = "https://challenge.rupt.dev/?challenge="
_NEW_SIGNALS = ["new_fingerprint", "new_ip"]
_DEFAULT_DEVICE_INFO = {"device": {"vendor": "Apple", "model": "iPhone 12", "type": "mobile"}}
_NOT_YET_SENT = ("created", "presented")


@attrs.define
class _QueuedFault:
    fault: Fault
    remaining: int


@attrs.frozen
class Exchange:
    """One received request, already recorded: what to do before answering, then the answer."""

    fake: FakeRupt
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    fault: Fault | None

    @property
    def delay(self) -> float:
        """Seconds to wait before answering (or dropping)."""
        return self.fault.delay if self.fault else 0.0

    @property
    def drop(self) -> bool:
        """Whether to close the connection instead of answering."""
        return self.fault.drop if self.fault else False

    def answer(self) -> Answer:
        """Handle the request (unless a fault answers instead) and return the response."""
        answer = self.fault.answer() if self.fault else None
        if answer is None:
            answer = self.fake._respond(self.method, self.path, self.headers, self.body)
        if self.fault and self.fault.headers:
            extra = {name.lower(): value for name, value in self.fault.headers.items()}
            answer = attrs.evolve(answer, headers={**answer.headers, **extra})
        return answer


class FakeRupt:
    """A stand-in for Rupt's V3 API, for tests and demos; it keeps everything in memory.

    Add the objects a test needs (`add_evaluation`, `add_challenge`, `add_device`), then point a
    client at it, in process or over HTTP::

        fake = FakeRupt()
        evaluation = fake.add_evaluation(user_id="user_1", challenge_status="code_sent")
        with httpx.Client(transport=fake.transport(), base_url="https://api.rupt.dev") as http:
            ...
        with fake.serve() as base_url:  # "http://127.0.0.1:<port>"
            ...

    Every call needs `Authorization: Bearer <secret>` (else 401). Payloads are built with the
    generated models, so they follow openapi.yaml; timestamps look like Rupt's
    (`2021-09-01T00:00:00.000Z`). Errors are `{"error": <code>, "message": <text>}`. Unknown
    paths and methods answer 404, and so does an unknown id. A user with no devices has an empty
    list (not 404). Path parameters are percent-decoded once, so `a%2Fb` is the id `a/b`.

    The fake is thread-safe; consuming an evaluation is atomic.
    """

    def __init__(self, secret: str = DEFAULT_SECRET) -> None:
        """Create an empty fake that accepts `secret` as its project secret."""
        self.secret = secret
        self._lock = threading.RLock()
        self._evaluations: dict[str, Evaluation] = {}
        self._challenges: dict[str, Challenge] = {}
        self._devices: dict[str, dict[str, Device]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._rupt_ids: dict[str, str] = {}
        self._requests: list[RecordedRequest] = []
        self._faults: list[_QueuedFault] = []
        self._replays: dict[str, int | None] = {}  # evaluation id -> consumes left (None: any)

    # -- Setting up -----------------------------------------------------------------------------

    def add_evaluation(
        self,
        *,
        id: str | None = None,
        action: str = "login",
        verdict: str = "allow",
        challenge_status: str | None = None,
        challenge_type: str = "account_takeover",
        user_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        metadata: Any = None,
        user_metadata: Any = None,
        redirect: str | None = None,
        reasons: Sequence[str] | None = None,
        risks: Sequence[Mapping[str, Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store an evaluation; return its payload (a copy; adding the same id again replaces it).

        - `id`: a random 24-hex id when None.
        - `challenge_status`: when given, the evaluation carries a challenge `{id, status, type}`
          and a full challenge with that id is stored too (`GET /v3/challenges/{id}`).
        - `redirect`: defaults to `https://challenge.rupt.dev/?challenge=<challenge id>` when there
          is a challenge whose status is not `completed`; otherwise absent.
        - `user_id`, `email`, `phone`: the embedded user (`rupt_id` is generated, the same for every
          object of one `user_id`); `user_metadata` is its `metadata`, `metadata` the evaluation's.
        - `reasons`: defaults to `["new_fingerprint", "new_ip"]` with a challenge or a verdict
          other than `allow`, else `["known_device"]`.
        - `risks`: Risk objects as dicts, for example
          `{"name": "ato", "severity": "low", "score": 3, "indicators": ["new_ip"]}`.
        - `extra`: top-level keys merged over the payload, for keys the spec does not know yet
          (or to override any field). Raises ValueError if the result no longer parses.

        The evaluation starts unconsumed, with `createdAt`/`updatedAt` set to now.
        """
        moment = now()
        user = self._user(user_id, email, phone)
        if user_metadata is not None:
            user.metadata = copy.deepcopy(user_metadata)
        evaluation_id = id if id is not None else new_id()
        if reasons is None:
            needs_proof = challenge_status is not None or verdict != "allow"
            reasons = _NEW_SIGNALS if needs_proof else ["known_device"]
        challenge: Challenge | None = None
        if challenge_status is not None:
            challenge = self._challenge(
                challenge_id=new_id(),
                status=challenge_status,
                type_=challenge_type,
                evaluation=evaluation_id,
                user=user,
                moment=moment,
                reasons=reasons,
            )
            if redirect is None and challenge_status != "completed":
                redirect = CHALLENGE_PAGE + challenge.id
        evaluation = Evaluation(
            id=evaluation_id,
            action=action,
            verdict=verdict,
            reasons=list(reasons),
            redirect=redirect,
            user=user,
            challenge=None
            if challenge is None
            else EvaluationChallenge(
                id=challenge.id, status=challenge.status, type_=challenge.type_
            ),
            metadata=copy.deepcopy(metadata),
            risks=None if risks is None else [Risk.from_dict(risk) for risk in risks],
            consumed=False,
            created_at=moment,
            updated_at=moment,
        )
        evaluation = with_extra(evaluation, extra)
        with self._lock:
            if challenge is not None:
                self._challenges[challenge.id] = challenge
            self._evaluations[evaluation.id] = evaluation
            return payload(evaluation)

    def add_challenge(
        self,
        *,
        id: str | None = None,
        status: str = "code_sent",
        type: str = "account_takeover",
        evaluation: str | None = None,
        user_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a challenge; return its payload (a copy; adding the same id again replaces it).

        `evaluation` is the id of the evaluation that raised it (sent as is, not checked).
        The other fields follow Rupt's documented example: `rupt_managed`, channel `email`,
        actions `verify`/`skip`, delivery `pending` before a code is sent and `delivered` after.
        `extra` works as for `add_evaluation`.
        """
        moment = now()
        challenge = self._challenge(
            challenge_id=id if id is not None else new_id(),
            status=status,
            type_=type,
            evaluation=evaluation,
            user=self._user(user_id, email, phone),
            moment=moment,
            reasons=_NEW_SIGNALS,
        )
        challenge = with_extra(challenge, extra)
        with self._lock:
            self._challenges[challenge.id] = challenge
            return payload(challenge)

    def add_device(
        self,
        user_id: str,
        *,
        id: str | None = None,
        status: str = "attached",
        metadata: Any = None,
        info: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a device of the user `user_id` (the app's id) and return its payload (a copy).

        The device's `user` is Rupt's id for that user (the `rupt_id` its evaluations carry).
        `metadata` defaults to `{}`; `info` to an iPhone 12 (Rupt's documented example).
        `actively_connected` is true for an attached device. Adding a device with the id of one
        the user already has replaces it. `extra` works as for `add_evaluation`.
        """
        moment = now()
        device = Device(
            id=id if id is not None else new_id(),
            user=self._rupt_id(user_id),
            status=status,
            metadata={} if metadata is None else copy.deepcopy(metadata),
            info=DeviceInfo.from_dict(copy.deepcopy(dict(info or _DEFAULT_DEVICE_INFO))),
            attached_at=moment,
            actively_connected=status == "attached",
            created_at=moment,
            updated_at=moment,
        )
        device = with_extra(device, extra)
        with self._lock:
            self._devices.setdefault(user_id, {})[device.id] = device
            return payload(device)

    def inject(self, fault: Fault) -> None:
        """Queue `fault` for the next `fault.times` requests it matches."""
        with self._lock:
            self._faults.append(_QueuedFault(fault, fault.times))

    def reset(self) -> None:
        """Forget every object, user update, recorded request and queued fault."""
        with self._lock:
            for store in (self._evaluations, self._challenges, self._devices, self._users):
                store.clear()
            self._rupt_ids.clear()
            self._requests.clear()
            self._faults.clear()
            self._replays.clear()

    # -- Driving the challenge flow, as a test of your app needs it -----------------------------

    def evaluate(
        self,
        action: str = "login",
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        user_metadata: Any = None,
        metadata: Any = None,
        verdict: str = "challenge",
    ) -> dict[str, Any]:
        """The evaluation Rupt's browser SDK would create for your user taking `action`.

        With the default verdict `challenge`, it carries a challenge the user has not finished
        (`code_sent`) and the `redirect` to Rupt's challenge page: what your success page receives
        before the user passes. Finish it with `complete_challenge` or `fail_challenge`. With any
        other verdict (`allow`, `deny`) there is no challenge. Returns the payload (a copy).

            evaluation = fake.evaluate("login", user_id=user.id, email=user.email)
            fake.complete_challenge(evaluation)
        """
        return self.add_evaluation(
            action=action,
            verdict=verdict,
            challenge_status="code_sent" if verdict == "challenge" else None,
            user_id=user_id,
            email=email,
            phone=phone,
            user_metadata=user_metadata,
            metadata=metadata,
        )

    def complete_challenge(self, evaluation: str | Mapping[str, Any]) -> dict[str, Any]:
        """The user passed the challenge of `evaluation` (its id or its payload).

        The challenge and the evaluation's copy of it become `completed`, the challenge's
        `email_verified` is true and the evaluation no longer carries a `redirect`, as when Rupt
        sends the user back to your success URL. Returns the evaluation's payload (a copy).
        Raises `LookupError` for an unknown evaluation, `ValueError` for one without a challenge.
        """
        return self._finish_challenge(evaluation, "completed")

    def fail_challenge(
        self, evaluation: str | Mapping[str, Any], status: str = "failed"
    ) -> dict[str, Any]:
        """The user did not pass the challenge of `evaluation` (its id or its payload).

        `status` is any status but `completed`: `failed`, `skipped`, `overridden`, or one that
        is not finished yet (`presented`, `code_sent`). The `redirect` stays, so your app can send
        the user back to the challenge page. Returns the evaluation's payload (a copy).
        """
        if status == "completed":
            raise ValueError("fail_challenge() cannot complete a challenge: complete_challenge()")
        return self._finish_challenge(evaluation, status)

    def allow_replay(self, evaluation: str | Mapping[str, Any], times: int | None = 1) -> None:
        """Let `evaluation` be consumed again `times` more times (None: without limit).

        Rupt answers 409 to a second consume. For a test of a retry (your app calls again after
        a timeout, or a test runs the same flow twice), this lets the next consumes of this
        evaluation succeed instead; after them, a consume answers 409 again.
        """
        evaluation_id = _evaluation_id(evaluation)
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 (or None), not {times}")
        with self._lock:
            if evaluation_id not in self._evaluations:
                raise LookupError(f"no evaluation {evaluation_id!r} in this FakeRupt")
            self._replays[evaluation_id] = times

    def _finish_challenge(self, evaluation: str | Mapping[str, Any], status: str) -> dict[str, Any]:
        evaluation_id = _evaluation_id(evaluation)
        with self._lock:
            stored = self._evaluations.get(evaluation_id)
            if stored is None:
                raise LookupError(f"no evaluation {evaluation_id!r} in this FakeRupt")
            if stored.challenge is None:
                raise ValueError(
                    f"evaluation {evaluation_id!r} has no challenge: create it with"
                    " evaluate() or add_evaluation(challenge_status=...)"
                )
            moment = now()
            stored.challenge.status = status
            stored.updated_at = moment
            if status == "completed":
                stored.redirect = None
            challenge = self._challenges.get(stored.challenge.id or "")
            if challenge is not None:
                challenge.status = status
                challenge.updated_at = moment
                if status == "completed":
                    challenge.email_verified = True  # as add_challenge(status="completed") has it
            return payload(stored)

    def _take_replay(self, evaluation_id: str) -> bool:
        """Whether a consume of this already consumed evaluation may succeed (and count it)."""
        if evaluation_id not in self._replays:
            return False
        left = self._replays[evaluation_id]
        if left is not None:
            if left > 1:
                self._replays[evaluation_id] = left - 1
            else:
                del self._replays[evaluation_id]
        return True

    # -- Looking at what happened ---------------------------------------------------------------

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """What `POST /v3/user/{user}/update` stored, by user id (a copy).

        Each update writes the fields it holds over the earlier ones (`metadata` and `groups` are
        replaced, not merged); fields it leaves out are untouched.
        """
        with self._lock:
            return copy.deepcopy(self._users)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy of the list)."""
        with self._lock:
            return list(self._requests)

    # -- Connecting a client --------------------------------------------------------------------

    def transport(self) -> FakeTransport:
        """An httpx transport, sync and async, that answers in process (no socket)."""
        return FakeTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
        """Serve the fake over real HTTP/1.1 in a background thread, as a context manager.

        Entering gives the base URL (`http://127.0.0.1:<port>`); `port=0` picks a free port.
        Leaving stops the server, closes its connections and its socket.
        """
        return serve(self, host, port)

    # -- Handling requests (used by the transport and the server) --------------------------------

    def _receive(
        self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> Exchange:
        """Record a request and pick the fault, if any, that applies to it."""
        lowered: dict[str, str] = {}
        for name, value in headers:
            key = name.lower()
            lowered[key] = f"{lowered[key]}, {value}" if key in lowered else value
        method = method.upper()
        record = RecordedRequest(
            method=method,
            path=target,
            headers=_redacted(lowered),
            authorized=self._is_authorized(lowered),
            json=parse_json(body),
            body=body,
            time=time.time(),
        )
        with self._lock:
            self._requests.append(record)
            fault = self._take_fault(method, target)
        return Exchange(self, method, target, lowered, body, fault)

    def _take_fault(self, method: str, target: str) -> Fault | None:
        decoded = unquote(target)
        for queued in self._faults:
            if queued.fault.matches(method, target, decoded):
                queued.remaining -= 1
                if not queued.remaining:
                    self._faults.remove(queued)
                return queued.fault
        return None

    def _is_authorized(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        expected = self.secret.encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)

    def _respond(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """The fake's answer to a request, ignoring faults."""
        if not self._is_authorized(headers):
            return error_answer(
                401, "unauthorized", "send the project secret as `Authorization: Bearer <secret>`"
            )
        found = _route(method, target)
        if found is None:
            return error_answer(404, "not_found", f"no such endpoint: {method} {target}")
        route, params = found
        with self._lock:
            return route.handle(self, params, body)

    # One handler per operation (see ROUTES): path parameters by argument name, and the body.

    def _get_evaluation(self, params: Mapping[str, str], body: bytes) -> Answer:
        evaluation = self._evaluations.get(params["evaluation_id"])
        if evaluation is None:
            return error_answer(404, "not_found", "evaluation not found")
        return json_answer(200, payload(evaluation))

    def _consume_evaluation(self, params: Mapping[str, str], body: bytes) -> Answer:
        evaluation = self._evaluations.get(params["evaluation_id"])
        if evaluation is None:
            return error_answer(404, "not_found", "evaluation not found")
        if evaluation.consumed and not self._take_replay(evaluation.id):
            return error_answer(409, "conflict", "evaluation already consumed")
        moment = now()
        evaluation.consumed = True
        evaluation.consumed_at = moment
        evaluation.updated_at = moment
        return json_answer(200, payload(evaluation))

    def _get_challenge(self, params: Mapping[str, str], body: bytes) -> Answer:
        challenge = self._challenges.get(params["challenge_id"])
        if challenge is None:
            return error_answer(404, "not_found", "challenge not found")
        return json_answer(200, payload(challenge))

    def _get_user_devices(self, params: Mapping[str, str], body: bytes) -> Answer:
        devices = self._devices.get(params["user"], {}).values()
        return json_answer(200, [payload(device) for device in devices])

    def _update_user(self, params: Mapping[str, str], body: bytes) -> Answer:
        data = parse_json(body)
        if not isinstance(data, dict):
            return error_answer(400, "bad_request", "the body must be a JSON object")
        try:
            fields = UpdateUserBody.from_dict(data).to_dict()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return error_answer(400, "bad_request", f"invalid body: {exc!r}")
        self._users.setdefault(params["user"], {}).update(fields)
        return Answer(204, {})

    # -- Building objects -----------------------------------------------------------------------

    def _rupt_id(self, user_id: str | None) -> str:
        """Rupt's id for the app's user `user_id`: stable per user, fresh when there is none."""
        if user_id is None:
            return new_id()
        with self._lock:
            return self._rupt_ids.setdefault(user_id, new_id())

    def _user(self, user_id: str | None, email: str | None, phone: str | None) -> User:
        return User(rupt_id=self._rupt_id(user_id), id=user_id, email=email, phone=phone)

    @staticmethod
    def _challenge(
        *,
        challenge_id: str,
        status: str,
        type_: str,
        evaluation: str | None,
        user: User,
        moment: Timestamp,
        reasons: Sequence[str],
    ) -> Challenge:
        not_sent = status in _NOT_YET_SENT
        return Challenge(
            id=challenge_id,
            status=status,
            type_=type_,
            challenge_mode="rupt_managed",
            delivery_status="pending" if not_sent else "delivered",
            channels=["email"],
            reasons=list(reasons),
            actions=["verify", "skip"],
            user=User.from_dict(user.to_dict()),
            evaluation=evaluation,
            email_verified=status in ("verified", "completed"),
            phone_verified=False,
            verify_attempts=0 if not_sent else 1,
            created_at=moment,
            updated_at=moment,
        )


def _short(challenge: Challenge) -> EvaluationChallenge:
    """The challenge as an evaluation embeds it: `{id, status, type}`."""
    return EvaluationChallenge(id=challenge.id, status=challenge.status, type_=challenge.type_)


# -- Routing: the registry of operations (rupt_api._operations) decides what is served -----------

# The arguments of one call: positional and keyword, as the facade method takes them.
CallArguments = tuple[tuple[Any, ...], dict[str, Any]]


@attrs.frozen
class Route:
    """How the stand-in serves one operation of the registry.

    - `handle`: the answer, given the path parameters (by the facade's argument names, each
      percent-decoded once) and the request body; called with the fake's lock held.
    - `example`: stores whatever one successful call needs and returns that call's arguments;
      the tests that walk every operation call it, so a new operation is covered by adding it
      here (tests/spec/test_operations.py says so when it is missing).
    """

    handle: Callable[[FakeRupt, Mapping[str, str], bytes], Answer]
    example: Callable[[FakeRupt], CallArguments]


# The examples use fixed ids, so a call recorded from them (cassettes) replays.
def _evaluation_example(fake: FakeRupt) -> CallArguments:
    fake.add_evaluation(id="5e0000000000000000000001", user_id="user_1", email="user@example.com")
    return ("5e0000000000000000000001",), {}


def _challenge_example(fake: FakeRupt) -> CallArguments:
    fake.add_challenge(id="5c0000000000000000000001", status="completed", user_id="user_1")
    return ("5c0000000000000000000001",), {}


def _devices_example(fake: FakeRupt) -> CallArguments:
    fake.add_device("user_1", id="5d0000000000000000000001")
    return ("user_1",), {}


ROUTES: dict[str, Route] = {
    "get_evaluation": Route(FakeRupt._get_evaluation, _evaluation_example),
    "consume_evaluation": Route(FakeRupt._consume_evaluation, _evaluation_example),
    "get_challenge": Route(FakeRupt._get_challenge, _challenge_example),
    "get_user_devices": Route(FakeRupt._get_user_devices, _devices_example),
    "update_user": Route(
        FakeRupt._update_user, lambda fake: (("user_1",), {"email": "user@example.com"})
    ),
}


def _route(method: str, target: str) -> tuple[Route, dict[str, str]] | None:
    """The route of the registry's operation that `method` and `target` name, with its params."""
    segments = _segments(target)
    if segments is None:
        return None
    for operation in OPERATIONS.values():
        params = _match(operation, method, segments)
        if params is not None and operation.name in ROUTES:
            return ROUTES[operation.name], params
    return None


def _match(operation: Operation, method: str, segments: list[str]) -> dict[str, str] | None:
    template = operation.path.strip("/").split("/")
    if method != operation.method or len(template) != len(segments):
        return None
    names = {f"{{{placeholder}}}": name for name, placeholder in operation.path_params}
    params: dict[str, str] = {}
    for expected, segment in zip(template, segments, strict=True):
        if expected in names:
            params[names[expected]] = segment
        elif expected != segment:
            return None
    return params


def _evaluation_id(evaluation: str | Mapping[str, Any]) -> str:
    """An evaluation's id, given the id or the payload `add_evaluation` returned."""
    if isinstance(evaluation, str):
        return evaluation
    evaluation_id = evaluation.get("id")
    if not isinstance(evaluation_id, str):
        raise TypeError("pass an evaluation's id, or the payload add_evaluation() returned")
    return evaluation_id


def _segments(target: str) -> list[str] | None:
    """The path's segments, each percent-decoded once; None if any is empty."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        return None
    segments = path[1:].split("/")
    if "" in segments:
        return None
    return [unquote(segment) for segment in segments]


def _redacted(headers: dict[str, str]) -> dict[str, str]:
    if "authorization" not in headers:
        return dict(headers)
    scheme, space, _ = headers["authorization"].partition(" ")
    return {**headers, "authorization": f"{scheme} [redacted]" if space else "[redacted]"}
