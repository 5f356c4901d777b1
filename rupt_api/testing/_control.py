"""Driving a served FakeRupt from outside: the command line's flags and its JSON control endpoint.

`python -m rupt_api.testing` serves the fake and, on the same port, a small JSON API under
`/_rupt` for a developer (or a browser test) to set the stage while an app runs against it:

    POST /_rupt/evaluations                  {"user_id", "email", "phone", "action", "verdict",
                                              "challenge", "replayable"}: 201, the evaluation
    POST /_rupt/evaluations/<id>/complete    the user passed the challenge: 200, the evaluation
    POST /_rupt/evaluations/<id>/fail        {"status": "failed"}: 200, the evaluation
    POST /_rupt/evaluations/<id>/replay      {"times": 1} (null: always): 200
    POST /_rupt/faults                       {"status", "times", "delay", "drop", "path",
                                              "method", "headers", "body"}: 201
    GET  /_rupt/requests                     what the fake received (secrets redacted)
    POST /_rupt/reset                        forget everything
    GET  /_rupt                              this list

The same fields, written `key=value,key=value`, are the `--evaluation` and `--fault` flags.
The control endpoint needs no secret: it is meant for a stand-in on your own machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ._state import FakeRupt
from ._wire import Answer, Fault, error_answer, json_answer

PREFIX = "/_rupt"

# What `challenge` may say: the status the challenge gets ("none": no challenge at all).
_PENDING = "pending"
_NO_CHALLENGE = "none"
EVALUATION_FIELDS = {
    "user_id": str,
    "email": str,
    "phone": str,
    "action": str,
    "verdict": str,
    "challenge": str,
    "replayable": bool,
}
FAULT_FIELDS = {
    "status": int,
    "times": int,
    "delay": float,
    "drop": bool,
    "path": str,
    "method": str,
    "headers": dict,
    "body": str,
}
ENDPOINTS = [
    "POST /_rupt/evaluations",
    "POST /_rupt/evaluations/<id>/complete",
    "POST /_rupt/evaluations/<id>/fail",
    "POST /_rupt/evaluations/<id>/replay",
    "POST /_rupt/faults",
    "GET /_rupt/requests",
    "POST /_rupt/reset",
]


def create_evaluation(
    fake: FakeRupt, fields: Mapping[str, Any], *, replayable: bool = False
) -> dict[str, Any]:
    """Store the evaluation `fields` describe (see the module docstring); return its payload.

    `challenge` is `pending` (the default with verdict `challenge`), `completed`, `failed` (or
    any other challenge status), or `none` (the default with any other verdict). `replayable`
    lets it be consumed again and again, for reloading a page while developing.
    """
    fields = _checked(fields, EVALUATION_FIELDS)
    verdict = fields.get("verdict")
    default_challenge = _PENDING if verdict in (None, "challenge") else _NO_CHALLENGE
    challenge = fields.get("challenge", default_challenge)
    if verdict is None:
        verdict = "allow" if challenge == _NO_CHALLENGE else "challenge"
    status = {_PENDING: "code_sent", _NO_CHALLENGE: None}.get(challenge, challenge)
    evaluation = fake.add_evaluation(
        action=fields.get("action", "login"),
        verdict=verdict,
        challenge_status=status,
        user_id=fields.get("user_id"),
        email=fields.get("email"),
        phone=fields.get("phone"),
    )
    if fields.get("replayable", replayable):
        fake.allow_replay(evaluation, None)
    return evaluation


def fault_from(fields: Mapping[str, Any]) -> Fault:
    """The `Fault` that `fields` describe (the names of `Fault`'s attributes)."""
    return Fault(**_checked(fields, FAULT_FIELDS))


def parse_flag(text: str, kinds: Mapping[str, type]) -> dict[str, Any]:
    """`key=value,key=value` from the command line, each value converted to its field's type."""
    fields: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or key not in kinds:
            raise ValueError(f"{item!r}: expected key=value with a key among {', '.join(kinds)}")
        fields[key] = _convert(key, value.strip(), kinds[key])
    return fields


class Control:
    """The JSON control endpoint of one fake; `replayable` applies to evaluations it creates."""

    def __init__(self, fake: FakeRupt, *, replayable: bool = False) -> None:
        self.fake = fake
        self.replayable = replayable

    def __call__(self, method: str, target: str, body: bytes) -> Answer | None:
        """The answer to a control request, or None when `target` is not one (the API's)."""
        path = target.split("?", 1)[0].rstrip("/")
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return None
        parts = path[len(PREFIX) :].strip("/").split("/") if path != PREFIX else []
        try:
            data = _json_object(body)
            return self._route(method.upper(), parts, data)
        except LookupError as exc:
            return error_answer(404, "not_found", str(exc).strip("'\""))
        except (TypeError, ValueError) as exc:
            return error_answer(400, "bad_request", str(exc))

    def _route(self, method: str, parts: list[str], data: dict[str, Any]) -> Answer:
        fake = self.fake
        actions: dict[str, Callable[[str], Any]] = {
            "complete": fake.complete_challenge,
            "fail": lambda id: fake.fail_challenge(id, _text(data, "status", "failed")),
            "replay": lambda id: fake.allow_replay(id, data.get("times", 1)),
        }
        match method, parts:
            case "GET", []:
                return json_answer(200, {"endpoints": ENDPOINTS})
            case "POST", ["evaluations"]:
                return json_answer(201, create_evaluation(fake, data, replayable=self.replayable))
            case "POST", ["evaluations", evaluation_id, action] if action in actions:
                result = actions[action](evaluation_id)
                return json_answer(200, result if result is not None else {"id": evaluation_id})
            case "POST", ["faults"]:
                fake.inject(fault_from(data))
                return json_answer(201, {"queued": data})
            case "GET", ["requests"]:
                return json_answer(200, [_request(r) for r in fake.requests])
            case "POST", ["reset"]:
                fake.reset()
                return json_answer(200, {"reset": True})
        raise LookupError(f"no control endpoint {method} {PREFIX}/{'/'.join(parts)}")


def _text(data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise TypeError(f"{key} must be str, not {type(value).__name__}")
    return value


def _request(record: Any) -> dict[str, Any]:
    return {
        "method": record.method,
        "path": record.path,
        "authorized": record.authorized,
        "json": record.json,
        "time": record.time,
    }


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _checked(fields: Mapping[str, Any], kinds: Mapping[str, type]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(kinds))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(kinds)}")
    for key, value in fields.items():
        kind = kinds[key]
        accepted = (int, float) if kind is float else kind
        if value is not None and (
            not isinstance(value, accepted) or (kind is not bool and isinstance(value, bool))
        ):
            raise TypeError(f"{key} must be {kind.__name__}, not {type(value).__name__}")
    return dict(fields)


def _convert(key: str, value: str, kind: type) -> Any:
    if kind is bool:
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{key}={value}: expected true or false")
        return value.lower() in ("true", "1", "yes")
    if kind is dict:
        raise ValueError(f"{key} can only be set through the control endpoint")
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{key}={value}: expected {kind.__name__}") from None
