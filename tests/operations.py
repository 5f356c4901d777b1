"""The registry of operations as the tests walk it, and the spec's schemas as the tests read them.

Every test table that covers "each operation" is built from `OPERATION_CASES`: the registry
(rupt_api/_operations.py) says what an operation sends and returns, and the stand-in's example
(`ROUTES` in rupt_api/testing/_state.py) says how to call it successfully and what a valid answer
looks like. A new operation is therefore covered by every such test as soon as it has a registry
entry, both facade methods and a stand-in route (tests/spec/test_operations.py names what is
missing). The field mirrors (`OBJECTS`, `TIMESTAMP_KEYS`) are read from openapi.yaml the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rupt_api import models
from rupt_api._operations import OPERATIONS, Operation
from rupt_api.testing import FakeRupt
from rupt_api.testing._state import ROUTES

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"


@dataclass(frozen=True)
class OperationCase:
    """One operation, ready to be called: its stand-in example and the stand-in's answer to it."""

    operation: Operation
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(hash=False)
    answer: Any = field(hash=False)  # the decoded JSON of the stand-in's 2xx answer (None: no body)
    status: int = 200

    @property
    def name(self) -> str:
        return self.operation.name

    @property
    def shape(self) -> str:
        """ "object", "list" or "none" (a 2xx with no body)."""
        if self.operation.response is None:
            return "none"
        return "list" if self.operation.many else "object"

    @property
    def model(self) -> Any:
        """The generated model class of the answer (of each item for a list), or None."""
        response = self.operation.response
        return None if response is None else getattr(models, response)

    @property
    def method(self) -> str:
        return self.operation.method

    def path(self, *ids: str) -> str:
        """The path this operation sends for `ids` (percent-encoded as the SDK does)."""
        return self.operation.request(*ids, **self.kwargs).path

    def path_template(self, token: str = "{token}") -> str:
        """The spec's path with every placeholder replaced by `token`."""
        path = self.operation.path
        for _, placeholder in self.operation.path_params:
            path = path.replace(f"{{{placeholder}}}", token)
        return path

    def body(self) -> Any:
        """The JSON body the example call sends (None when the operation has none)."""
        content = self.operation.request(*self.args, **self.kwargs).content
        return None if content is None else json.loads(content)

    def ids(self, token: str) -> tuple[str, ...]:
        """Positional arguments naming `token` as every path parameter."""
        return (token,) * len(self.operation.path_params)

    def valid_answer(self, token: str) -> Any:
        """The stand-in's answer, with `token` as the id of the resource (or of each item)."""
        if self.shape == "none":
            return None
        if self.shape == "list":
            return [{**item, "id": f"{token}-{i}"} for i, item in enumerate(self.answer)]
        return {**self.answer, "id": token}

    def __repr__(self) -> str:
        return self.name


@cache
def operation_cases() -> tuple[OperationCase, ...]:
    """Every operation of the registry, with its example call and the stand-in's answer."""
    cases = []
    for name, operation in OPERATIONS.items():
        fake = FakeRupt()
        args, kwargs = ROUTES[name].example(fake)
        request = operation.request(*args, **kwargs)
        headers = {"authorization": f"Bearer {fake.secret}"}
        answer = fake._respond(request.method, request.path, headers, request.content or b"")
        assert 200 <= answer.status <= 299, f"the stand-in's example for {name}: {answer}"
        decoded = json.loads(answer.body) if answer.body else None
        cases.append(OperationCase(operation, tuple(args), dict(kwargs), decoded, answer.status))
    return tuple(cases)


OPERATION_CASES = operation_cases()
OPERATION_NAMES = [case.name for case in OPERATION_CASES]


# -- the spec's schemas ----------------------------------------------------------------------------


@cache
def spec() -> dict[str, Any]:
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _kind(schema: dict[str, Any], name: str, required: frozenset[str]) -> Any:
    """The kind of one property, as the property-based tests draw values for it.

    "str", "enum" (an open set of strings: a string with `examples`), "id" (a required `id`),
    "bool", "num", "int", "ts" (RFC 3339 date-time), "any" (free-form JSON), ("list", kind),
    ("obj", schema name).
    """
    if "$ref" in schema:
        return ("obj", str(schema["$ref"]).rsplit("/", 1)[-1])
    kind = schema.get("type")
    if name == "id" and "id" in required:
        return "id"
    if kind == "array":
        return ("list", _kind(schema["items"], "", frozenset()))
    if kind == "string":
        if schema.get("format") == "date-time":
            return "ts"
        return "enum" if "examples" in schema else "str"
    return {"boolean": "bool", "number": "num", "integer": "int", None: "any"}[kind]


def _objects() -> dict[str, tuple[frozenset[str], dict[str, Any]]]:
    """Every schema an operation's answer can hold, from the registry's responses down."""
    schemas = spec()["components"]["schemas"]
    found: dict[str, tuple[frozenset[str], dict[str, Any]]] = {}
    pending = sorted({op.response for op in OPERATIONS.values() if op.response is not None})
    while pending:
        name = pending.pop()
        if name in found:
            continue
        required = frozenset(schemas[name].get("required", []))
        props = {key: _kind(sub, key, required) for key, sub in schemas[name]["properties"].items()}
        found[name] = (required, props)
        pending.extend(_refs(props.values()))
    return found


def _refs(kinds: Any) -> list[str]:
    names = []
    for kind in kinds:
        inner = kind
        while isinstance(inner, tuple) and inner[0] == "list":
            inner = inner[1]
        if isinstance(inner, tuple):
            names.append(inner[1])
    return names


# What the spec says each response object holds: {schema name: (required keys, {key: kind})}.
OBJECTS = _objects()
# The wire's date-time fields, under any schema.
TIMESTAMP_KEYS = frozenset(
    key for _, props in OBJECTS.values() for key, kind in props.items() if kind == "ts"
)
