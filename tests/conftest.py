"""Plugins of the whole session, registered here because this conftest is loaded everywhere.

`make test` runs the suite with pytest-xdist: its controller process starts the workers and
reports the session but collects no test module, so the conftests below this folder are never
loaded there; this one is (pytest loads it before collecting). Each plugin is registered in every
process and does its part where it runs.
"""

from __future__ import annotations

import pytest

from tests.packaging._other_pythons import PLUGIN_NAME as OTHER_PYTHONS
from tests.packaging._other_pythons import OtherPythons
from tests.reliability._matrix_summary import PLUGIN_NAME as MATRIX_SUMMARY
from tests.reliability._matrix_summary import MatrixSummary


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(OtherPythons(config), OTHER_PYTHONS)
    if not hasattr(config, "workerinput"):  # a worker's report reaches the controller's
        config.pluginmanager.register(MatrixSummary(), MATRIX_SUMMARY)
