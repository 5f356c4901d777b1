"""Section 3: import time and cold start, `rupt_api` next to `httpx`, in fresh interpreters.

Each run starts a new interpreter for `pass`, `import httpx` and `import rupt_api`, each import
followed by creating a client, and the cold start: import, create a client and make the first
call to the loopback server (`bench.server`), the answer parsed (`json.loads` for httpx, the
generated models for rupt_api, which load with that first call). Interleaved; a program's time
is its run minus the bare interpreter's in the same round. Then one interpreter per run imports
httpx and, step by step, what rupt_api adds to it, timing each step: that says where the
difference goes.

Every package is timed with its bytecode compiled, as installing it leaves it: pip compiles a
wheel's modules at install, so httpx and attrs here (and rupt_api on a user's machine) are never
compiled at import. This checkout's rupt_api is an editable install, whose bytecode Python writes
on the first import only when allowed to: with PYTHONDONTWRITEBYTECODE set, every fresh
interpreter compiled its ~40 modules again (~40 ms), and the rows timed the compiler.
"""

from __future__ import annotations

import compileall
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

from .payload import EVALUATION_ID, EVALUATION_PATH, SECRET
from .server import ROOT, running_server
from .sizes import Sizes
from .timing import interleave, ratio_spread, spread

PROGRAMS = {
    "bare": "pass",
    "httpx": "import httpx",
    "rupt_api": "import rupt_api",
    # Ready to send: httpx builds its transport (and imports httpcore) only when a client is made.
    "httpx_client": "import httpx; httpx.Client()",
    "rupt_api_client": "import rupt_api; rupt_api.RuptAPI('secret')",
    # Cold start, ready to serve: argv holds the base URL, secret, path and evaluation id.
    "httpx_first_call": (
        "import json, sys, httpx; base, secret, path, _ = sys.argv[1:];"
        " json.loads(httpx.Client().get(base + path,"
        " headers={'Authorization': 'Bearer ' + secret}).content)"
    ),
    "rupt_api_first_call": (
        "import sys, rupt_api; base, secret, _, evaluation_id = sys.argv[1:];"
        " rupt_api.RuptAPI(secret, domain=base).get_evaluation(evaluation_id)"
    ),
}
# What `import rupt_api` adds on top of `import httpx`, one step at a time, in this order: each
# step's cost is what it adds to everything imported before it. asyncio (AsyncRuptAPI), tenacity
# (the first retry), httpcore (the first pool) and the generated models (each with the first call
# that parses it) load on first use, not with the import; the last two steps time on their own
# the models `get_evaluation` loads (the Evaluation and those it nests) and the generated endpoint
# module, which the facade does not use.
STEPS = (
    "httpx",
    "logging",
    "attrs",
    "rupt_api",
    "rupt_api._generated.models.evaluation",
    "rupt_api._generated.api.evaluations.get_evaluation",
)
# Importing `rupt_api._generated...` would run `rupt_api/__init__.py` first. To time the
# generated code on its own, a bare stand-in for the `rupt_api` package is registered while it is
# imported, and removed before the real `import rupt_api` (which reuses the generated modules).
_STEP_PROGRAM = """
import sys, time, types
import importlib.util
marks = [time.perf_counter()]
for name in sys.argv[1:]:
    if name.startswith("rupt_api.") and "rupt_api" not in sys.modules:
        stub = types.ModuleType("rupt_api")
        stub.__path__ = list(importlib.util.find_spec("rupt_api").submodule_search_locations)
        sys.modules["rupt_api"] = stub
    elif name == "rupt_api":
        sys.modules.pop("rupt_api", None)
    __import__(name)
    marks.append(time.perf_counter())
print(" ".join(f"{(b - a) * 1000:.3f}" for a, b in zip(marks, marks[1:])))
"""


def compile_bytecode() -> None:
    """Write rupt_api's bytecode (`__pycache__/`, as pip writes it at install), whatever
    PYTHONDONTWRITEBYTECODE says: the programs then import it as they import httpx."""
    if not compileall.compile_dir(ROOT / "rupt_api", quiet=1):
        raise RuntimeError("bench: rupt_api/ does not compile")


def _run_ms(program: str, args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", program, *args], cwd=ROOT, check=True)
    return (time.perf_counter() - started) * 1000


def _steps_ms() -> list[float]:
    """Milliseconds each of `STEPS` adds, imported in order in one fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _STEP_PROGRAM, *STEPS],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return [float(value) for value in done.stdout.split()]


def run(sizes: Sizes) -> dict[str, Any]:
    """Section 3: spreads of interpreter runs, net of a bare start, and the ratios."""
    compile_bytecode()
    with running_server() as port:
        args = [f"http://127.0.0.1:{port}", SECRET, EVALUATION_PATH, EVALUATION_ID]
        for program in PROGRAMS.values():
            _run_ms(program, args)  # warm the page cache first
        samples = interleave(
            {
                name: (lambda program=program: _run_ms(program, args))
                for name, program in PROGRAMS.items()
            },
            sizes.import_runs,
        )
    net = {
        name: [run - bare for run, bare in zip(samples[name], samples["bare"], strict=True)]
        for name in PROGRAMS
        if name != "bare"
    }
    steps: dict[str, list[float]] = defaultdict(list)
    for _ in range(sizes.import_runs):
        for name, value in zip(STEPS, _steps_ms(), strict=True):
            steps[name].append(value)
    return {
        "bare_ms": spread(samples["bare"]),
        **{f"{name}_ms": spread(values) for name, values in net.items()},
        "ratio": ratio_spread(net["rupt_api"], net["httpx"]),
        "client_ratio": ratio_spread(net["rupt_api_client"], net["httpx_client"]),
        "first_call_ratio": ratio_spread(net["rupt_api_first_call"], net["httpx_first_call"]),
        "steps_ms": {name: spread(values) for name, values in steps.items()},
    }
