"""The import layers of pyproject.toml ``[tool.importlinter]`` hold (also run by scripts/test.sh
before pytest, so a plain ``pytest`` run checks them too)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from importlinter import cli

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    code = cli.lint_imports(config_filename=os.fspath(ROOT / "pyproject.toml"), no_cache=True)
    out = capsys.readouterr().out
    assert code == cli.EXIT_STATUS_SUCCESS, out
    assert "0 broken" in out and "layers" in out.lower()
