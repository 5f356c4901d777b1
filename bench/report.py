"""The table `make bench` prints: one row per measurement, with its budget and PASS/FAIL.

The table is Markdown, so a run's output can be pasted into docs/performance.md as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .budgets import Budget

Row = tuple[str, str, str, str, str]
HEADER: Row = ("Measurement", "Figures (medians)", "Value", "Budget", "Result")


def _us(value: float) -> str:
    return f"{value:,.0f} µs" if value >= 10 else f"{value:.1f} µs"


def _x(value: float) -> str:
    return f"{value:.3f}x"


def _verdict(budget: Budget | None) -> str:
    if budget is None:
        return ""
    return "PASS" if budget.passed else "**FAIL**"


def _mock_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    sync, asynchronous = figures["sync"], figures["async"]
    return [
        (
            "Per call, mock transport, sync: RuptAPI / raw httpx",
            f"SDK {_us(sync['sdk_us'])}, raw {_us(sync['raw_httpx_us'])}; generated client"
            f" {_us(sync['generated_us'])} ({_x(sync['generated_ratio'])});"
            f" thread hop floor {_us(sync['thread_hop_us'])} ({_x(sync['thread_hop_ratio'])} raw)",
            _x(sync["sdk_ratio"]),
            "≤ 1.50x",
            _verdict(budgets.get("mock_sync_ratio")),
        ),
        (
            "Per call, mock transport, async: AsyncRuptAPI / raw httpx",
            f"SDK {_us(asynchronous['sdk_us'])}, raw {_us(asynchronous['raw_httpx_us'])};"
            f" generated client {_us(asynchronous['generated_us'])}"
            f" ({_x(asynchronous['generated_ratio'])})",
            _x(asynchronous["sdk_ratio"]),
            "≤ 1.30x",
            _verdict(budgets.get("mock_async_ratio")),
        ),
    ]


def _loopback_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    rows = []
    for surface in ("sync", "async"):
        latency = figures[surface]["latency"]
        rows.append(
            (
                f"Loopback latency, concurrency 1, {surface}: SDK / raw",
                f"p50 SDK {_us(latency['sdk_p50_us'])}, raw {_us(latency['raw_p50_us'])};"
                f" p99 SDK {_us(latency['sdk_p99_us'])}, raw {_us(latency['raw_p99_us'])}",
                _x(latency["ratio"]),
                "≤ 1.10x",
                _verdict(budgets.get(f"loopback_c1_{surface}_ratio")),
            )
        )
    for surface, workers, name in (
        ("sync", "threads", "loopback_threads_ratio"),
        ("async", "tasks", "loopback_tasks_ratio"),
    ):
        throughput = figures[surface]["throughput"]
        rows.append(
            (
                f"Loopback throughput, {throughput['workers']} {workers}: raw req/s / SDK req/s",
                f"SDK {throughput['sdk_per_s']:,.0f} req/s,"
                f" raw {throughput['raw_per_s']:,.0f} req/s",
                _x(throughput["ratio"]),
                "≤ 1.10x",
                _verdict(budgets.get(name)),
            )
        )
    return rows


def _imports_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    return [
        (
            "`import rupt_api` / `import httpx`, fresh interpreters",
            f"rupt_api {figures['rupt_api_ms']:.0f} ms, httpx {figures['httpx_ms']:.0f} ms"
            f" (net of a bare start, {figures['bare_ms']:.0f} ms); with a client created:"
            f" {figures['rupt_api_client_ms']:.0f} / {figures['httpx_client_ms']:.0f} ms"
            f" ({_x(figures['client_ratio'])})",
            _x(figures["ratio"]),
            "≤ 1.50x",
            _verdict(budgets.get("import_ratio")),
        )
    ]


def _resources_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    rows = []
    for surface in ("sync", "async"):
        memory = figures[f"memory_{surface}"]
        rows.append(
            (
                f"RSS over {memory['calls']:,} calls, {surface} (mock transport)",
                f"{memory['rss_client_kb'] / 1024:.1f} MB after creating the client,"
                f" {memory['rss_first_call_kb'] / 1024:.1f} MB after the first call (which"
                f" loads the models), {memory['rss_after_calls_kb'] / 1024:.1f} MB after the calls",
                f"{memory['growth_after_first_call_kb']:+,} KB",
                "< 2,048 KB",
                _verdict(budgets.get(f"rss_growth_{surface}_kb")),
            )
        )
    for surface in ("sync", "async"):
        result = figures[f"timeouts_{surface}"]
        before, after = result["before"], result["after"]
        rows.append(
            (
                f"Threads and fds after {result['timeouts']:,} timed-out calls, {surface}",
                f"threads {before['threads']}→{after['threads']}"
                f" (OS {before['os_threads']}→{after['os_threads']}), fds {before['fds']}→"
                f"{after['fds']} (sockets to the server {before['server_sockets']}→"
                f"{after['server_sockets']}, ≤ 20 kept alive);"
                f" continuations ok {result['continuations_ok']}/{result['timeouts']}",
                f"settled in {result['settle_s']:.1f} s",
                f"back within {result['settle_limit_s']:g} s",
                _verdict(budgets.get(f"timeouts_{surface}_settled")),
            )
        )
    return rows


def _options_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    return [
        (
            "`client.with_options(timeout=5)`",
            "a copy sharing the pool",
            _us(figures["with_options_us"]),
            "≤ 20 µs",
            _verdict(budgets.get("with_options_us")),
        )
    ]


ROWS: dict[str, Callable[[dict[str, Any], dict[str, Budget]], list[Row]]] = {
    "mock": _mock_rows,
    "loopback": _loopback_rows,
    "imports": _imports_rows,
    "resources": _resources_rows,
    "options": _options_rows,
}


def markdown_table(rows: list[Row]) -> str:
    """`rows` under `HEADER`, as a Markdown table."""
    lines = [HEADER, ("---",) * len(HEADER), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def render(sections: dict[str, Any], budgets: list[Budget]) -> str:
    """The results table, then how `import rupt_api` splits up."""
    by_name = {budget.name: budget for budget in budgets}
    rows = [
        row
        for name, make in ROWS.items()
        if name in sections
        for row in make(sections[name], by_name)
    ]
    text = markdown_table(rows)
    steps = sections.get("imports", {}).get("steps_ms")
    if steps:
        parts = ", ".join(f"{name} +{ms:.1f} ms" for name, ms in steps.items())
        text += f"\n\nImport steps, in order, each adding to the ones before: {parts}."
    failed = [budget.name for budget in budgets if not budget.passed]
    verdict = f"FAILED: {', '.join(failed)}" if failed else "all passed"
    text += f"\n\nBudgets: {len(budgets) - len(failed)}/{len(budgets)} passed; {verdict}."
    return text
