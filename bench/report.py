"""The table `make bench` prints: one row per measurement, with its budget and PASS/FAIL.

Every timing is a median with the lowest and highest round beside it, `160 µs (152-171)`, and
every ratio too. Rows without a budget are references (raw urllib3, raw aiohttp): they are there
to show what the fastest plain clients do, not to be passed. The table is Markdown, so a run's
output can be pasted into docs/performance.md as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .budgets import Budget

Row = tuple[str, str, str, str, str]
HEADER: Row = ("Measurement", "Figures: median (min-max over rounds)", "Value", "Budget", "Result")
REFERENCE = "reference"
Spread = dict[str, float]


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def _spread(values: Spread, digits: int, unit: str = "") -> str:
    """`median unit (min-max)`, e.g. `160 µs (152-171)`."""
    low, high = _number(values["min"], digits), _number(values["max"], digits)
    return f"{_number(values['median'], digits)}{unit} ({low}-{high})"


def _us(values: Spread) -> str:
    return _spread(values, 0 if values["median"] >= 10 else 1, " µs")


def _ms(values: Spread) -> str:
    return _spread(values, 0 if values["median"] >= 10 else 1, " ms")


def _x(values: Spread) -> str:
    return _spread(values, 3, "x")


def _rate(values: Spread) -> str:
    return _spread(values, 0, " req/s")


def _verdict(budget: Budget | None) -> str:
    if budget is None:
        return REFERENCE
    return "PASS" if budget.passed else "**FAIL**"


def _limit(budget: Budget | None, unit: str = "x") -> str:
    if budget is None:
        return ""
    digits = 2 if unit == "x" else 0
    return f"{'≥' if budget.at_least else '≤'} {budget.limit:,.{digits}f}{unit}"


def _one_cpu(sync: dict[str, Any]) -> str:
    figure = sync.get("call_hop_one_cpu_us")
    return "" if figure is None else f", {_us(figure)} with both threads on one CPU"


def _mock_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    sync, asynchronous = figures["sync"], figures["async"]
    return [
        (
            "Per call, mock transport, sync: RuptAPI / raw httpx",
            f"SDK {_us(sync['sdk_us'])}, raw {_us(sync['raw_httpx_us'])}; generated client"
            f" {_us(sync['generated_us'])} = {_x(sync['generated_ratio'])}; thread hop floor"
            f" {_us(sync['thread_hop_us'])} = {_x(sync['thread_hop_ratio'])} raw;"
            f" the SDK's hand-off {_us(sync['call_hop_us'])}{_one_cpu(sync)}",
            _x(sync["sdk_ratio"]),
            _limit(budgets.get("mock_sync_ratio")),
            _verdict(budgets.get("mock_sync_ratio")),
        ),
        (
            "Per call, mock transport, async: AsyncRuptAPI / raw httpx",
            f"SDK {_us(asynchronous['sdk_us'])}, raw {_us(asynchronous['raw_httpx_us'])};"
            f" generated client {_us(asynchronous['generated_us'])}"
            f" = {_x(asynchronous['generated_ratio'])}",
            _x(asynchronous["sdk_ratio"]),
            _limit(budgets.get("mock_async_ratio")),
            _verdict(budgets.get("mock_async_ratio")),
        ),
    ]


# The SDK contenders of each surface, with the names the table gives them.
SDK_NAMES = {"sdk": "SDK", "sdk_aiohttp": "SDK on aiohttp"}
RAW_NAMES = {"httpx": "raw httpx", "urllib3": "raw urllib3", "aiohttp": "raw aiohttp"}


def _names(figures: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The SDK contenders and the raw references (besides httpx) present in `figures`."""
    sdks = [name for name in SDK_NAMES if name in figures]
    references = [name for name in RAW_NAMES if name in figures and name != "httpx"]
    return sdks, references


def _latency_rows(surface: str, latency: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    sdks, references = _names(latency)
    everyone = [*sdks, "httpx", *references]
    label = {**SDK_NAMES, **RAW_NAMES}
    p50 = ", ".join(f"{label[name]} {_us(latency[name]['p50_us'])}" for name in everyone)
    p99 = ", ".join(f"{label[name]} {latency[name]['p99_us']:,.0f} µs" for name in everyone)
    rows = []
    for sdk in sdks:
        budget = budgets.get(f"loopback_c1_{surface}_ratio" if sdk == "sdk" else f"{sdk}_c1_ratio")
        over_references = "; ".join(
            f"= {_x(latency['ratios'][f'{sdk}/{ref}'])} {label[ref]}" for ref in references
        )
        rows.append(
            (
                f"Loopback latency p50, concurrency 1, {surface}: {label[sdk]} / raw httpx",
                f"p50 {p50}; p99 {p99}; {label[sdk]} {over_references}",
                _x(latency["ratios"][f"{sdk}/httpx"]),
                _limit(budget),
                _verdict(budget),
            )
        )
    for ref in references:
        rows.append(
            (
                f"Reference: loopback latency p50, concurrency 1, {surface}:"
                f" {label[ref]} / raw httpx",
                f"{label[ref]} {_us(latency[ref]['p50_us'])},"
                f" raw httpx {_us(latency['httpx']['p50_us'])}",
                _x(latency["ratios"][f"{ref}/httpx"]),
                "",
                REFERENCE,
            )
        )
    return rows


def _throughput_rows(
    surface: str, throughput: dict[str, Any], budgets: dict[str, Budget]
) -> list[Row]:
    sdks, references = _names(throughput)
    everyone = [*sdks, "httpx", *references]
    label = {**SDK_NAMES, **RAW_NAMES}
    workers = f"{throughput['workers']} {'threads' if surface == 'sync' else 'tasks'}"
    rates = ", ".join(f"{label[name]} {_rate(throughput[name]['per_s'])}" for name in everyone)
    cpu = ", ".join(f"{label[name]} {_us(throughput[name]['cpu_us'])}" for name in everyone)
    ratios = throughput["ratios"]
    rows = []
    for sdk in sdks:
        over_references = "; ".join(
            f"{label[sdk]} req/s = {_x(ratios[f'{sdk}/{ref}']['per_s'])} {label[ref]}'s"
            for ref in references
        )
        figures = f"{rates}; CPU per request {cpu}; {over_references}"
        if surface == "sync":
            budget = budgets.get("loopback_threads_cpu_ratio")
            rows.append(
                (
                    f"Loopback, {workers}: {label[sdk]} CPU per request / raw httpx's",
                    figures,
                    _x(ratios[f"{sdk}/httpx"]["cpu"]),
                    _limit(budget),
                    _verdict(budget),
                )
            )
            continue
        budget = budgets.get("loopback_tasks_ratio" if sdk == "sdk" else f"{sdk}_tasks_ratio")
        rows.append(
            (
                f"Loopback throughput, {workers}: {label[sdk]} req/s / raw httpx's",
                figures,
                _x(ratios[f"{sdk}/httpx"]["per_s"]),
                _limit(budget),
                _verdict(budget),
            )
        )
        for ref in references:
            ref_budget = budgets.get(f"{sdk}_tasks_{ref}_ratio")
            if ref_budget is not None:
                rows.append(
                    (
                        f"Loopback throughput, {workers}: {label[sdk]} req/s / {label[ref]}'s",
                        f"{label[sdk]} {_rate(throughput[sdk]['per_s'])},"
                        f" {label[ref]} {_rate(throughput[ref]['per_s'])}",
                        _x(ratios[f"{sdk}/{ref}"]["per_s"]),
                        _limit(ref_budget),
                        _verdict(ref_budget),
                    )
                )
    for ref in references:
        rows.append(
            (
                f"Reference: loopback, {workers}: {label[ref]} req/s / raw httpx's",
                f"{label[ref]} {_rate(throughput[ref]['per_s'])}, CPU per request"
                f" {_us(throughput[ref]['cpu_us'])}",
                _x(ratios[f"{ref}/httpx"]["per_s"]),
                "",
                REFERENCE,
            )
        )
    return rows


def _loopback_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    rows = []
    for surface in ("sync", "async"):
        rows += _latency_rows(surface, figures[surface]["latency"], budgets)
        rows += _throughput_rows(surface, figures[surface]["throughput"], budgets)
    return rows


def _imports_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    return [
        (
            "`import rupt_api` / `import httpx`, fresh interpreters",
            f"rupt_api {_ms(figures['rupt_api_ms'])}, httpx {_ms(figures['httpx_ms'])}"
            f" (net of a bare start, {_ms(figures['bare_ms'])}); with a client created:"
            f" {_ms(figures['rupt_api_client_ms'])} / {_ms(figures['httpx_client_ms'])}"
            f" = {_x(figures['client_ratio'])}",
            _x(figures["ratio"]),
            _limit(budgets.get("import_ratio")),
            _verdict(budgets.get("import_ratio")),
        ),
        (
            "Cold start: import, create a client, first call (models included) / httpx's",
            f"rupt_api {_ms(figures['rupt_api_first_call_ms'])},"
            f" httpx + json.loads {_ms(figures['httpx_first_call_ms'])} (net of a bare start)",
            _x(figures["first_call_ratio"]),
            _limit(budgets.get("cold_start_ratio")),
            _verdict(budgets.get("cold_start_ratio")),
        ),
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
    for surface in ("sync", "async"):
        storm = figures.get(f"storm_{surface}")
        if storm is None:
            continue
        callers = "threads on one RuptAPI" if surface == "sync" else "tasks on one loop"
        rows.append(
            (
                f"Storm: {storm['calls']:,} {callers} time out together ({storm['timeout_s']:g} s"
                " deadline, server answers later): raise lateness",
                f"p50 {storm['late_p50_ms']:,.0f} ms, p99 {storm['late_p99_ms']:,.0f} ms, max"
                f" {storm['late_max_ms']:,.0f} ms; {storm['raised']:,} raised; continuations ok"
                f" {storm['continuations_ok']:,}/{storm['raised']:,}, all resolved after"
                f" {storm['resolved_s']:.1f} s; requests the server got"
                f" {storm['requests_seen']:,} (expected {storm['requests_expected']:,})",
                f"p99 {storm['late_p99_ms']:,.0f} ms",
                _limit(budgets.get(f"storm_{surface}_p99_late_ms"), " ms"),
                _verdict(budgets.get(f"storm_{surface}_p99_late_ms")),
            )
        )
        rows.append(
            (
                f"Storm, {surface}: fresh calls once it resolved",
                f"{storm['fresh_ok']}/{storm['fresh_calls']} fresh calls ok",
                f"{storm['fresh_s']:.2f} s",
                f"all ok within {budgets['storm_' + surface + '_fresh_s'].limit:g} s"
                if f"storm_{surface}_fresh_s" in budgets
                else "",
                _verdict(budgets.get(f"storm_{surface}_fresh_s")),
            )
        )
    return rows


def _options_rows(figures: dict[str, Any], budgets: dict[str, Budget]) -> list[Row]:
    return [
        (
            "`client.with_options(timeout=5)`",
            "a copy sharing the pool",
            _us(figures["with_options_us"]),
            _limit(budgets.get("with_options_us"), " µs"),
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
        parts = ", ".join(f"{name} +{ms['median']:.1f} ms" for name, ms in steps.items())
        text += f"\n\nImport steps (medians), in order, each adding to the ones before: {parts}."
    failed = [budget.name for budget in budgets if not budget.passed]
    verdict = f"FAILED: {', '.join(failed)}" if failed else "all passed"
    text += f"\n\nBudgets: {len(budgets) - len(failed)}/{len(budgets)} passed; {verdict}."
    return text
