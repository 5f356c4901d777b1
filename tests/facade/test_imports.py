"""What `import rupt_api` and a first call load: only what they use (docs/performance.md).

The generated models load one by one, when first asked for (templates/models_init.py.jinja.patch):
`import rupt_api` loads none, and a call loads the model of its answer (or body) and the models
nested in it, as openapi.yaml nests them, and no other. Each case runs in a fresh interpreter,
calling the stand-in over loopback HTTP with the SDK's own pool, as an app's first call does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

import rupt_api
import rupt_api.models
from rupt_api._generated import models as generated_models
from rupt_api.testing import FakeRupt
from rupt_api.testing._state import ROUTES
from tests.operations import OPERATION_CASES, OperationCase, spec

MODELS = "rupt_api._generated.models."
# Loaded on first use elsewhere, and never by `import rupt_api` or a sync call that succeeds:
# asyncio (AsyncRuptAPI), tenacity (the first retry), the generated low-level client.
NEVER_BY_A_SYNC_CALL = ("asyncio", "tenacity", "rupt_api._generated.client")

_REPORT = """
import json, sys
def loaded():
    watched = ("rupt_api", "asyncio", "tenacity")
    return sorted(name for name in sys.modules if name.startswith(watched))
"""


def _fresh(program: str, *args: str) -> Any:
    """Run `program` in a fresh interpreter; what it prints last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", _REPORT + program, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _module(schema: str) -> str:
    """The generated module of a schema's model: `EvaluationChallenge` -> `evaluation_challenge`."""
    return MODELS + re.sub(r"(?<!^)(?=[A-Z])", "_", schema).lower()


def _nested(*schemas: str) -> set[str]:
    """The schemas' model modules and those of every schema they refer to, read from the spec."""
    every = spec()["components"]["schemas"]
    found: set[str] = set()
    pending = list(schemas)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += re.findall(r"#/components/schemas/(\w+)", json.dumps(every[name]))
    return {_module(name) for name in found}


def _models(modules: list[str]) -> set[str]:
    return {name for name in modules if name.startswith(MODELS)}


def test_import_loads_no_model_nor_what_a_call_loads_later() -> None:
    modules = _fresh("import rupt_api; print(json.dumps(loaded()))")
    assert "rupt_api._client" in modules  # the report sees rupt_api's own modules
    unexpected = [
        name
        for name in modules
        if name.startswith(("rupt_api._generated", "rupt_api.models", *NEVER_BY_A_SYNC_CALL))
    ]
    assert unexpected == []


_FIRST_CALL = """
import rupt_api
name, url, secret, args, kwargs = sys.argv[1:]
client = rupt_api.RuptAPI(secret, domain=url, retries=0)
getattr(client, name)(*json.loads(args), **json.loads(kwargs))
client.close()
print(json.dumps(loaded()))
"""


@pytest.mark.parametrize("case", OPERATION_CASES, ids=repr)
def test_a_first_call_loads_only_the_models_it_parses_or_sends(case: OperationCase) -> None:
    fake = FakeRupt()
    args, kwargs = ROUTES[case.name].example(fake)
    with fake.serve() as url:
        modules = _fresh(
            _FIRST_CALL, case.name, url, fake.secret, json.dumps(args), json.dumps(kwargs)
        )
    used = [name for name in (case.operation.response, case.operation.body) if name is not None]
    assert used, "every operation answers or sends a model"
    assert _models(modules) == _nested(*used)
    assert [name for name in modules if name.startswith(NEVER_BY_A_SYNC_CALL)] == []


_CONCURRENT_FIRST_CALLS = """
import threading, rupt_api
url, secret, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = rupt_api.RuptAPI(secret, domain=url, retries=0)
start = threading.Barrier(len(calls))
answers = [None] * len(calls)
def call(index, name, args, kwargs):
    start.wait()
    try:
        result = getattr(client, name)(*args, **kwargs)
        items = result if isinstance(result, list) else [result]
        answers[index] = [type(item).__name__ for item in items]
    except BaseException as error:
        answers[index] = repr(error)
threads = [threading.Thread(target=call, args=(i, *c)) for i, c in enumerate(calls)]
for thread in threads: thread.start()
for thread in threads: thread.join()
client.close()
print(json.dumps(answers))
"""


def test_first_calls_in_many_threads_at_once_each_get_their_models() -> None:
    # The models' modules are imported by whichever thread asks first, while others ask for the
    # same or other models: every call must still get complete model classes, none an error.
    fake = FakeRupt()
    # Three of each call, but one consume: the examples use fixed ids, and consuming is single use.
    cases = [
        case
        for case in OPERATION_CASES
        for _ in range(1 if case.name == "consume_evaluation" else 3)
    ]
    calls = [(case.name, *ROUTES[case.name].example(fake)) for case in cases]
    with fake.serve() as url:
        answers = _fresh(_CONCURRENT_FIRST_CALLS, url, fake.secret, json.dumps(calls))
    expected = [[case.operation.response or "NoneType"] for case in cases]
    assert [answer[:1] if isinstance(answer, list) else answer for answer in answers] == expected


def test_get_evaluation_loads_the_evaluation_and_its_nested_models_only() -> None:
    # The same as above for the cold start `make bench` times, spelled out: nine models of 17.
    evaluation = _nested("Evaluation")
    assert {name.removeprefix(MODELS) for name in evaluation} == {
        "evaluation",
        "evaluation_challenge",
        "fingerprint",
        "geolocation",
        "geolocation_security",
        "policy",
        "policy_action",
        "risk",
        "user",
    }
    assert len(evaluation) < len(generated_models.__all__)


def test_async_first_call_loads_only_its_models_too() -> None:
    fake = FakeRupt()
    evaluation = fake.add_evaluation(user_id="user_1")
    program = """
import asyncio, rupt_api
async def main(url, secret, evaluation_id):
    async with rupt_api.AsyncRuptAPI(secret, domain=url) as client:
        await client.get_evaluation(evaluation_id)
asyncio.run(main(*sys.argv[1:]))
print(json.dumps(loaded()))
"""
    with fake.serve() as url:
        modules = _fresh(program, url, fake.secret, evaluation["id"])
    assert _models(modules) == _nested("Evaluation")


@pytest.mark.parametrize(
    "statement",
    ["from rupt_api.models import Device", "from rupt_api import Device", "rupt_api.models.Device"],
)
def test_a_model_asked_for_loads_with_what_it_nests_only(statement: str) -> None:
    modules = _fresh(f"import rupt_api.models; {statement}; print(json.dumps(loaded()))")
    assert _models(modules) == _nested("Device")


def test_every_model_is_importable_where_it_was() -> None:
    names = set(spec()["components"]["schemas"])
    assert set(rupt_api.models.__all__) == set(generated_models.__all__) == names
    for name in sorted(names):
        model = getattr(rupt_api.models, name)
        assert model is getattr(generated_models, name)
        assert model.__name__ == name
        assert model.__module__ == _module(name)
        assert name in dir(rupt_api.models)
        assert name in dir(generated_models)
        namespace: dict[str, Any] = {}
        exec(f"from rupt_api.models import {name} as a, {name}", namespace)
        exec(f"from rupt_api._generated.models import {name} as b", namespace)
        assert namespace["a"] is namespace["b"] is namespace[name] is model
    for name in ("Challenge", "Device", "Evaluation", "Group", "Risk", "User"):
        assert getattr(rupt_api, name) is getattr(rupt_api.models, name)
        assert name in dir(rupt_api)
    from rupt_api._generated import AuthenticatedClient, Client
    from rupt_api._generated.client import AuthenticatedClient as Direct

    assert AuthenticatedClient is Direct
    assert Client.__name__ == "Client"


@pytest.mark.parametrize("module", [rupt_api, rupt_api.models, generated_models])
def test_an_unknown_name_is_an_attribute_error_naming_the_module(module: Any) -> None:
    message = rf"module '{module.__name__}' has no attribute 'Nope'"
    with pytest.raises(AttributeError, match=message):
        module.Nope  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {module.__name__} import Nope", {})
