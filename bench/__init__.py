"""Benchmarks and performance budgets for rupt-api: run them with `make bench`.

Each module measures one thing and returns plain dicts of numbers; `bench.cli` runs them all,
checks the budgets (`bench.budgets`), prints the table (`bench.report`) and writes the JSON.
"""
