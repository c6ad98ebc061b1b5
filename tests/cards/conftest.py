"""Fixtures for the metric-card tests: hand-made warehouses on DuckDB and SQLite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from metric_cards.evaluate import evaluate

from .warehouses import Rows, build

BACKENDS = ["duckdb", "duckdb_naive", "sqlite"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def run(backend: str, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """``run(rows, card, as_of, **kw)`` → payload, on a fresh warehouse of ``backend``."""
    built: dict[int, Any] = {}

    def _run(rows: Rows, card: str, as_of: str, **kw: Any) -> dict[str, Any]:
        key = id(rows)
        if key not in built:
            directory = tmp_path / f"wh{len(built)}"
            directory.mkdir()
            built[key] = build(backend, directory, rows)
        engine, schema = built[key]
        params = {"min_sample": 0, **kw.pop("params", {})}
        return evaluate(card, engine, as_of, params=params, schema=schema, **kw)

    yield _run
    for engine, _ in built.values():
        engine.dispose()


@pytest.fixture(autouse=True)
def private_plan_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test (and any ``metric-cards`` process it starts) gets its own plan cache."""
    directory = tmp_path / "plan-cache"
    monkeypatch.setenv("METRIC_CARDS_PLAN_CACHE", str(directory))
    return directory
