"""Install the repository's Meltano plugins for the tests that drive Meltano.

``meltano install`` builds each plugin's virtualenv with uv from the shared uv cache. On a busy
machine a concurrent uv process can make one wheel's install fail ("Failed to move data
files"); the install is idempotent, so a failed attempt is retried once before the test fails
with both attempts' output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ATTEMPTS = 2


def install_plugin(plugin_type: str, name: str) -> None:
    """``meltano install --plugin-type TYPE NAME`` in the repository's project."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
           "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    failures = []
    for _ in range(ATTEMPTS):
        proc = subprocess.run([str(BIN / "meltano"), "install", "--plugin-type", plugin_type,
                               name], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=1200)
        if proc.returncode == 0:
            return
        failures.append(proc.stderr[-4000:])
    raise AssertionError(f"meltano install {plugin_type} {name} failed {ATTEMPTS} times:\n"
                         + "\n--- next attempt\n".join(failures))
