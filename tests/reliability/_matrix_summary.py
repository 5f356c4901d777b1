"""The fault matrix's summary line: `fault matrix: N cases, N passed, 0 untyped escapes (...)`.

Printed once at the end of the session by the process that reports it: with plain pytest the
only one; under pytest-xdist (`make test`) the controller, which runs no test. So each case of
`test_fault` records what it measured as user properties of its report (`record_property`),
which xdist carries from the worker to the controller, and this plugin (registered by
tests/conftest.py) counts the reports there.
"""

from __future__ import annotations

from typing import Any

import pytest

PREFIX = "tests/reliability/test_fault_matrix.py::test_fault["
PLUGIN_NAME = "rupt-fault-matrix-summary"
# The user properties a case records.
UNTYPED_ESCAPES = "untyped_escapes"  # errors the call raised that are not a RuptError
OVERSHOOT = "deadline_overshoot"  # seconds past its deadline a call raised RuptTimeoutError


class MatrixSummary:
    def __init__(self) -> None:
        self.counts = {"cases": 0, "passed": 0, "xfailed": 0, "failed": 0}
        self.untyped_escapes = 0
        self.worst_overshoot = 0.0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not report.nodeid.startswith(PREFIX):
            return
        for name, value in report.user_properties:
            if name == UNTYPED_ESCAPES:
                self.untyped_escapes += int(value)
            elif name == OVERSHOOT:
                self.worst_overshoot = max(self.worst_overshoot, float(value))
        if report.when == "call":
            self.counts["cases"] += 1
            if hasattr(report, "wasxfail"):
                self.counts["xfailed" if report.skipped else "failed"] += 1
            else:
                self.counts["passed" if report.passed else "failed"] += 1
        elif report.failed:  # setup or teardown errors count against the case
            self.counts["cases"] += report.when == "setup"
            self.counts["failed"] += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        c = self.counts
        if not c["cases"]:
            return
        line = f"fault matrix: {c['cases']} cases, {c['passed']} passed"
        if c["xfailed"]:
            line += f", {c['xfailed']} xfailed (known SDK defects)"
        if c["failed"]:
            line += f", {c['failed']} failed"
        line += f", {self.untyped_escapes} untyped escapes"
        line += f" (latest deadline raise: {self.worst_overshoot * 1000:.0f} ms past it)"
        terminalreporter.write_line(line)
