"""The import layers of pyproject.toml ``[tool.importlinter]`` hold (also run by scripts/test.sh
before pytest, so a plain ``pytest`` run checks them too).

``lint-imports`` runs in its own process: inside pytest, test packages such as
``tests/reconciliation`` shadow the real packages of the same name on ``sys.path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([Path(sys.executable).parent / "lint-imports", "--no-cache"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
