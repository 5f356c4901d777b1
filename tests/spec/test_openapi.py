"""openapi.yaml itself: a valid OpenAPI 3.1 document that follows the project's own rules.

The rules (see the comment at the top of openapi.yaml) are what keep the generated client usable
and lenient: stable operationIds, per-operation bearer security (which is what
gives the generated endpoints an AuthenticatedClient), a 5XX response everywhere, descriptions on
everything (they become the models' docstrings), and no `enum` anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from rupt_api._operations import OPERATIONS

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# The resources the API returns (the registry's responses) or takes at the top level (a group,
# in update_user's body); only these may require anything.
TOP_LEVEL_RESOURCES = {op.response for op in OPERATIONS.values() if op.response} | {"Group"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def walk(node: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (location, key, value) pair in the document, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield where, key, value
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


def test_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    """The document validates as OpenAPI 3.1 (what the generator is fed)."""
    assert str(spec["openapi"]).startswith("3.1.")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_every_operation_has_a_unique_camel_case_operation_id(spec: dict[str, Any]) -> None:
    """The operationIds name the generated modules, the registry's entries and the facade's
    methods (tests/spec/test_operations.py checks those against this list)."""
    ids = [str(operation.get("operationId")) for _, operation in operations(spec)]
    assert len(ids) == len(set(ids)), ids
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation_id), operation_id


def test_every_path_is_under_v3(spec: dict[str, Any]) -> None:
    """Every V3 path starts with /v3 (the server URL holds only the host)."""
    for path in spec["paths"]:
        assert path.startswith("/v3/"), path


def test_every_operation_has_bearer_security_a_description_and_a_5xx(
    spec: dict[str, Any],
) -> None:
    """Per-operation bearer security (global security would not give the generated endpoints an
    AuthenticatedClient), a description, and a 5XX response so server errors are parsed."""
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "security" not in spec, "use per-operation security, not a global one"

    for name, operation in operations(spec):
        assert operation.get("security") == [{"bearerAuth": []}], name
        assert str(operation.get("description", "")).strip(), f"{name} has no description"
        assert "5XX" in operation["responses"], f"{name} has no 5XX response"


def test_every_schema_and_property_has_a_description(spec: dict[str, Any]) -> None:
    """Descriptions become the models' docstrings. A property that is only a `$ref` takes the
    description of the schema it points to, which is checked as a schema itself."""
    schemas = spec["components"]["schemas"]
    missing: list[str] = []

    def check(name: str, schema: dict[str, Any]) -> None:
        if "$ref" not in schema and not str(schema.get("description", "")).strip():
            missing.append(name)
        for prop, sub in schema.get("properties", {}).items():
            check(f"{name}.{prop}", sub)

    for name, schema in schemas.items():
        check(name, schema)
    assert schemas, "no schemas found"
    assert not missing, f"no description: {missing}"


def test_no_schema_uses_enum(spec: dict[str, Any]) -> None:
    """Enum-like fields (verdict, statuses, severity, ...) must accept any string: an `enum` (or a
    `const`) would make a response with a value Rupt adds later fail to parse."""
    closed = [f"{where}/{key}" for where, key, _ in walk(spec) if key in {"enum", "const"}]
    assert not closed


def test_only_ids_of_top_level_resources_are_required(spec: dict[str, Any]) -> None:
    """A required field that the API stops sending breaks every response (Rupt's .NET SDK and
    `category` on risks): only the `id` of a top-level resource may be required."""
    for where, key, value in walk(spec["components"]["schemas"]):
        if key == "required" and isinstance(value, list):
            schema_name = where.strip("/").split("/")[0]
            assert schema_name in TOP_LEVEL_RESOURCES, f"{where} requires {value}"
            assert value == ["id"], f"{where} requires {value}"


def test_every_object_schema_keeps_unknown_properties(spec: dict[str, Any]) -> None:
    """`additionalProperties: false` would silently drop the fields Rupt adds; every object must
    allow and so keep them."""
    for name, schema in spec["components"]["schemas"].items():
        if schema.get("type") == "object":
            assert schema.get("additionalProperties") is True, name
