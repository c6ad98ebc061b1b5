"""Fixtures for the normaliser tests: a writable copy of the packaged mapping directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tap_shipping_exceptions.normalize.mapping import PACKAGED_MAPPINGS


@pytest.fixture
def mapping_copy(tmp_path: Path) -> Path:
    target = tmp_path / "mappings"
    shutil.copytree(PACKAGED_MAPPINGS, target)
    return target
