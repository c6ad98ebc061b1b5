"""Fixtures: a fresh hand-made DuckDB warehouse per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from .warehouse_builder import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.duckdb")
