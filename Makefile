# Everything runs from a local virtual environment, created on first use from python3 alone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-stamp
RUNTIME_STAMP := $(VENV)/.runtime-stamp
HAND_WRITTEN := rupt_api tests tools examples bench
# pip reads PEP 735 dependency groups (`--group`) from 25.1 on; the venv's own pip is replaced by
# this pinned one first, so python3 + make stay the only prerequisites.
PIP_VERSION := 26.3

.PHONY: install generate check-generated check-spec lint test demo bench clean cassettes prism compat compat-export dist

install: $(STAMP)

# Reinstall whenever pyproject.toml changes (new or re-pinned tools).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check 'pip==$(PIP_VERSION)'
	$(PY) -m pip install --quiet --disable-pip-version-check -e . --group dev
	@touch $(STAMP)

# The demo needs only the package itself (httpx, attrs, tenacity): a quick install.
$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $(RUNTIME_STAMP)

demo: $(RUNTIME_STAMP)
	$(PY) examples/demo.py

generate: $(STAMP)
	$(PY) tools/codegen.py generate

check-generated: $(STAMP)
	$(PY) tools/codegen.py check

check-spec: $(STAMP)
	$(PY) -m openapi_spec_validator openapi.yaml

lint: $(STAMP)
	$(BIN)/ruff check $(HAND_WRITTEN)
	$(BIN)/ruff format --check $(HAND_WRITTEN)
	$(BIN)/mypy rupt_api tools examples/demo.py examples/aiohttp_service

# The checks side by side (each one's output kept together), then the tests on two processes
# (pytest-xdist; modules that share an expensive fixture stay on one: --dist loadgroup).
test: $(STAMP)
	@$(MAKE) --no-print-directory -j4 --output-sync=target check-spec check-generated lint compat
	$(PY) -m pytest -n 2 --dist loadgroup

# The compatibility gate (~25 s): the previous release's tests (compat/<version>/) against this
# build, type-checked, and the public API diff; fails on a break compat/allowed-breaks.toml does
# not list with its reason (CONTRIBUTING.md, "The compatibility gate").
compat: $(STAMP)
	$(PY) tools/compat.py check

# At a release, after tagging it: freeze its tests and API for the next release's gate, e.g.
# `make compat-export VERSION=v0.2.0` (CONTRIBUTING.md, "Releasing").
compat-export: $(STAMP)
	$(PY) tools/compat.py export $(VERSION) $(VERSION)

# Benchmarks and performance budgets (~2 minutes): prints the table, writes bench/results/latest.json.
bench: $(STAMP)
	$(PY) bench/run.py

# The wheel and the sdist, into dist/, built offline with the pinned hatchling of the venv.
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache dist

# Re-record every cassette in cassettes/ from the loopback stand-in (replayed offline by `make test`).
cassettes: $(STAMP)
	$(PY) -m pytest tests/facade/test_cassettes.py --record-mode=rewrite -p no:cacheprovider -q

# Install Prism (the spec-conformance tests' mock server) ahead of time; the tests do it on demand.
prism: $(STAMP)
	$(PY) -m tests.reliability._prism_support
