"""Serialised use of the repository's Meltano project by the tests that drive Meltano.

The project's ``.meltano/`` is shared by every test process: the plugin virtualenvs, and the run
directory where Meltano writes each plugin's catalog and config before starting it. Meltano does
not support two invocations of one plugin in one project at a time (one rewrites the catalog
file the other's tap is reading), and the suite runs on several xdist workers, so every Meltano
command a test runs holds one file lock (:func:`meltano_lock`) for its whole duration.

``meltano install`` builds each plugin's virtualenv with uv from the shared uv cache. On a busy
machine a concurrent uv process can make one wheel's install fail ("Failed to move data
files"); the install is idempotent, so a failed attempt is retried once before the test fails
with both attempts' output.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCK_FILE = ROOT / ".meltano" / "tests.lock"
INSTALL_ATTEMPTS = 2


@contextmanager
def meltano_lock() -> Iterator[None]:
    """Hold the project-wide lock (blocking) while a Meltano command runs."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_meltano(cmd: list[str]) -> bool:
    return Path(cmd[0]).name == "meltano"


def install_plugin(plugin_type: str, name: str) -> None:
    """``meltano install --plugin-type TYPE NAME`` in the repository's project."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
           "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    failures = []
    for _ in range(INSTALL_ATTEMPTS):
        with meltano_lock():
            proc = subprocess.run([str(BIN / "meltano"), "install", "--plugin-type", plugin_type,
                                   name], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=1200)
        if proc.returncode == 0:
            return
        failures.append(proc.stderr[-4000:])
    raise AssertionError(f"meltano install {plugin_type} {name} failed {INSTALL_ATTEMPTS} "
                         "times:\n" + "\n--- next attempt\n".join(failures))
