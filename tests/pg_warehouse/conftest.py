"""Fixtures: a seeded DuckDB warehouse to compare Postgres against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cards.test_backends_agree import seeded_rows
from cards.warehouses import Rows, build
from sqlalchemy import Engine


@pytest.fixture(scope="module")
def rows() -> Rows:
    return seeded_rows(seed=11, count=500)


@pytest.fixture(scope="module")
def duckdb_warehouse(rows: Rows, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine, _ = build("duckdb_naive", Path(tmp_path_factory.mktemp("duck")), rows)
    yield engine
    engine.dispose()
