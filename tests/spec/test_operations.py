"""The registry of operations (rupt_api/_operations.py) against openapi.yaml, and its coverage.

When openapi.yaml gains an operation, `test_every_operation_is_covered` fails with one message
naming the operation and each missing piece: the registry entry, the method on `RuptAPI` and
on `AsyncRuptAPI`, the stand-in's route, the cassettes. Every other test that walks the API
reads the registry, so once these exist the new operation is tested everywhere
(CONTRIBUTING.md, "Add an endpoint").
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import yaml

from rupt_api import AsyncRuptAPI, RuptAPI
from rupt_api._operations import OPERATIONS, Operation
from rupt_api.testing import FakeRupt
from rupt_api.testing._state import ROUTES
from tests.facade import test_cassettes

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# Where each piece of an operation lives (CONTRIBUTING.md, "Add an endpoint", names them all).
REGISTRY_FILE = "rupt_api/_operations.py"
STAND_IN_FILE = "rupt_api/testing/_state.py"
SURFACES = {
    "RuptAPI": (RuptAPI, "rupt_api/_client.py"),
    "AsyncRuptAPI": (AsyncRuptAPI, "rupt_api/_async_client.py"),
}
PIECE_FILES = (REGISTRY_FILE, *(where for _, where in SURFACES.values()), STAND_IN_FILE)


@attrs.frozen
class SpecOperation:
    """What openapi.yaml says about one operation, in the registry's terms."""

    operation_id: str
    method: str
    path: str
    placeholders: tuple[str, ...]
    body: str | None
    response: str | None
    many: bool

    @property
    def name(self) -> str:
        """The registry's (and the facade's) name: the operationId in snake_case."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.operation_id).lower()

    def differences(self, entry: Operation) -> list[str]:
        """How the registry entry differs from the spec (empty when it matches)."""
        placeholders = tuple(placeholder for _, placeholder in entry.path_params)
        found = (entry.method, entry.path, placeholders, entry.body, entry.response, entry.many)
        wanted = (self.method, self.path, self.placeholders, self.body, self.response, self.many)
        labels = ("method", "path", "path parameters", "body", "response", "many")
        return [
            f"{label} is {have!r} in the registry, {want!r} in openapi.yaml"
            for label, have, want in zip(labels, found, wanted, strict=True)
            if have != want
        ]


def _ref_name(schema: dict[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def spec_operations(spec: dict[str, Any]) -> dict[str, SpecOperation]:
    """Every operation of `spec`, by registry name."""
    found: dict[str, SpecOperation] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            params = [
                _resolve(spec, p)
                for p in item.get("parameters", []) + operation.get("parameters", [])
            ]
            placeholders = tuple(p["name"] for p in params if p.get("in") == "path")
            body = None
            if "requestBody" in operation:
                body_schema = _resolve(spec, operation["requestBody"])["content"][
                    "application/json"
                ]["schema"]
                body = _ref_name(body_schema)
            response, many = None, False
            ok = next(
                _resolve(spec, r)
                for s, r in operation["responses"].items()
                if str(s).startswith("2")
            )
            if "content" in ok:
                schema = ok["content"]["application/json"]["schema"]
                many = schema.get("type") == "array"
                response = _ref_name(schema["items"] if many else schema)
            spec_operation = SpecOperation(
                str(operation["operationId"]),
                method.upper(),
                path,
                placeholders,
                body,
                response,
                many,
            )
            found[spec_operation.name] = spec_operation
    return found


def _facade_gaps(name: str, entry: Operation | None) -> list[str]:
    gaps = []
    for class_name, (cls, where) in SURFACES.items():
        method = getattr(cls, name, None)
        if method is None:
            gaps.append(f"{class_name}.{name} in {where}")
            continue
        if (class_name == "AsyncRuptAPI") != inspect.iscoroutinefunction(method):
            gaps.append(
                f"{class_name}.{name} must {'' if class_name == 'AsyncRuptAPI' else 'not '}be async"
            )
        if entry is not None:
            positional = [
                p.name
                for p in list(inspect.signature(method).parameters.values())[1:]
                if p.kind is p.POSITIONAL_OR_KEYWORD
            ]
            wanted = [argument for argument, _ in entry.path_params]
            if positional != wanted:
                gaps.append(
                    f"{class_name}.{name} takes {positional} (the registry's path parameters:"
                    f" {wanted})"
                )
    return gaps


def _cassette_gaps(name: str) -> list[str]:
    missing = sorted(
        cassette
        for cassette in test_cassettes.EXPECTED_CASSETTES
        if cassette.startswith(f"{name}_") and not (test_cassettes.CASSETTE_DIR / cassette).exists()
    )
    if not missing:
        return []
    return [f"cassettes {', '.join(missing)} (record them with `make cassettes`)"]


def missing_pieces(spec: dict[str, Any]) -> dict[str, list[str]]:
    """For each operation of `spec` or of the registry, what the SDK lacks (only gaps listed)."""
    wanted = spec_operations(spec)
    report: dict[str, list[str]] = {}
    for name, spec_operation in wanted.items():
        label = f"{spec_operation.operation_id} ({spec_operation.method} {spec_operation.path})"
        entry = OPERATIONS.get(name)
        gaps = []
        if entry is None:
            gaps.append(f"registry entry {name!r} in {REGISTRY_FILE} (OPERATIONS)")
        else:
            gaps.extend(f"registry entry: {d}" for d in spec_operation.differences(entry))
        gaps.extend(_facade_gaps(name, entry))
        if name not in ROUTES:
            gaps.append(f"stand-in route {name!r} in {STAND_IN_FILE} (ROUTES)")
        gaps.extend(_cassette_gaps(name))
        if name not in test_cassettes.CASES:
            gaps.append(
                f"cassettes/{name}_*.yaml (`make cassettes` records them, once the above exist)"
            )
        required = (
            spec["components"]["schemas"].get(spec_operation.response or "", {}).get("required")
        )
        if spec_operation.response and "id" not in (required or []):
            gaps.append(
                f"openapi.yaml: schema {spec_operation.response} must have `required: [id]` (the"
                " SDK refuses an answer that does not identify the resource)"
            )
        if gaps:
            report[label] = gaps
    for name in OPERATIONS.keys() - wanted.keys():
        report[name] = [
            "openapi.yaml has no such operation: remove the registry entry (or add it to the spec)"
        ]
    for name in ROUTES.keys() - wanted.keys():
        report.setdefault(name, []).append(
            "stand-in route for an operation openapi.yaml does not have"
        )
    return report


def coverage_message(report: dict[str, list[str]]) -> str:
    lines = ["openapi.yaml and the SDK disagree; for each operation, what is missing:"]
    for label, gaps in report.items():
        lines.append(f"- {label}:")
        lines.extend(f"    - {gap}" for gap in gaps)
    lines.append('See CONTRIBUTING.md, "Add an endpoint".')
    return "\n".join(lines)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_every_operation_is_covered(spec: dict[str, Any]) -> None:
    """Registry, both facade methods, the stand-in and the cassettes exist for every operation."""
    assert len(spec_operations(spec)) >= 5
    report = missing_pieces(spec)
    assert not report, coverage_message(report)


def test_a_new_operation_in_the_spec_is_reported_with_each_missing_piece(
    spec: dict[str, Any],
) -> None:
    """Adding an operation to a copy of the spec names it and every piece the SDK lacks."""
    changed = copy.deepcopy(spec)
    widget = copy.deepcopy(spec["paths"]["/v3/user/{user}/devices"]["get"])
    widget["operationId"] = "getDrillWidget"  # a name no real operation will take
    widget["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/User"
    }
    changed["paths"]["/v3/drill-widgets/{user}"] = {"get": widget}

    message = coverage_message(missing_pieces(changed))

    assert "- getDrillWidget (GET /v3/drill-widgets/{user}):" in message
    for piece in (
        "registry entry 'get_drill_widget' in rupt_api/_operations.py (OPERATIONS)",
        "RuptAPI.get_drill_widget in rupt_api/_client.py",
        "AsyncRuptAPI.get_drill_widget in rupt_api/_async_client.py",
        "stand-in route 'get_drill_widget' in rupt_api/testing/_state.py (ROUTES)",
        "cassettes/get_drill_widget_*.yaml (`make cassettes` records them",
        "openapi.yaml: schema User must have `required: [id]`",
    ):
        assert piece in message
    assert "getEvaluation" not in message  # only the new operation is reported


def test_a_registry_entry_that_disagrees_with_the_spec_is_reported(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    changed["paths"]["/v3/user/{user}/devices"]["post"] = changed["paths"][
        "/v3/user/{user}/devices"
    ].pop("get")
    message = coverage_message(missing_pieces(changed))
    assert "method is 'GET' in the registry, 'POST' in openapi.yaml" in message


def test_an_operation_dropped_from_the_spec_is_reported(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    del changed["paths"]["/v3/challenges/{id}"]
    message = coverage_message(missing_pieces(changed))
    assert "- get_challenge:\n    - openapi.yaml has no such operation" in message


def _generated_module(name: str) -> Any:
    from rupt_api._generated import api

    for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}."):
        if info.name.rsplit(".", 1)[-1] == name:
            return importlib.import_module(info.name)
    raise AssertionError(f"no generated module for {name}: run `make generate`")


# Every character the encoding must handle; and only those it leaves as they are (most ids).
@pytest.mark.parametrize("suffix", ["/ü?#%.", "-._~AZaz09"], ids=["reserved", "unreserved"])
@pytest.mark.parametrize("name", list(OPERATIONS))
def test_the_registry_sends_what_the_generated_client_sends(name: str, suffix: str) -> None:
    """The request built from the registry is byte for byte the generated client's (through its
    public `sync_detailed`), including the percent-encoding of path parameters."""
    from rupt_api._generated import AuthenticatedClient

    operation = OPERATIONS[name]
    (args, kwargs) = ROUTES[name].example(FakeRupt())
    args = tuple(f"{arg}{suffix}" for arg in args)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(418)  # undocumented: parsed as nothing

    client = AuthenticatedClient(
        base_url="https://rupt.invalid",
        token="t",
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    call_kwargs = {"body": operation.build_body(**kwargs)} if operation.build_body else {}
    call = dict(zip([placeholder for _, placeholder in operation.path_params], args, strict=True))
    # The generated functions name path parameters after the spec's placeholders (`id`, `user`).
    _generated_module(name).sync_detailed(**call, client=client, **call_kwargs)

    method, path, content, _ = operation.request(*args, **kwargs)
    (request,) = seen
    assert (method, path) == (request.method, request.url.raw_path.decode())
    if content is None:
        assert request.content == b""
    else:
        assert json.loads(content) == json.loads(request.content)


@pytest.mark.parametrize("name", list(OPERATIONS))
@pytest.mark.parametrize("surface", ["sync", "async"])
def test_each_facade_method_sends_its_operation_to_the_stand_in(name: str, surface: str) -> None:
    """Each facade method, called as the stand-in's example says, reaches the stand-in's route
    for its operation and gets a 2xx (so the route, the example and the method agree)."""
    fake = FakeRupt()
    args, kwargs = ROUTES[name].example(fake)
    operation = OPERATIONS[name]
    if surface == "sync":
        with RuptAPI(fake.secret, http_client=httpx.Client(transport=fake.transport())) as client:
            result = getattr(client, name)(*args, **kwargs)
    else:

        async def run() -> Any:
            async with AsyncRuptAPI(
                fake.secret, http_client=httpx.AsyncClient(transport=fake.transport())
            ) as client:
                return await getattr(client, name)(*args, **kwargs)

        result = asyncio.run(run())
    (request,) = fake.requests
    assert request.method == operation.method
    assert request.path == operation.request(*args, **kwargs)[1]
    if operation.response is None:
        assert result is None
    elif operation.many:
        assert result
        assert all(type(item).__name__ == operation.response for item in result)
    else:
        assert type(result).__name__ == operation.response
