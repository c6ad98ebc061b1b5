"""A real PostgreSQL server for the tests: ``TEST_POSTGRES_URL`` or a throwaway cluster.

``server_url()`` returns the URL of a server that answers: the one at ``TEST_POSTGRES_URL``
(default ``postgresql://postgres@127.0.0.1:5432/test``) or, when none answers, a cluster it
initialises from the machine's PostgreSQL binaries (``/usr/lib/postgresql/*/bin``) on
127.0.0.1 and a free port, stopped at exit. Where neither is possible the tests skip, except
with ``CI=true``, where they fail. ``scratch_database()`` creates a uniquely named database
(parallel runs never collide) and drops it afterwards.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks import postgres_scratch


def answers(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _throwaway_cluster() -> str | None:
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        return None
    bindir = Path(binaries[-1]).parent
    home = Path(tempfile.mkdtemp(prefix="tse-pg-"))
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    subprocess.run(_as_postgres_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                                      "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    port = _free_port()
    subprocess.run(_as_postgres_user([
        str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(home / "log"),
        "-o", f"-p {port} -k {home} -c listen_addresses=127.0.0.1", "start"]),
        check=True, capture_output=True)

    def stop() -> None:
        subprocess.run(_as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                          "stop"]), capture_output=True)
        shutil.rmtree(home, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


@cache
def _server() -> str | None:
    url = postgres_scratch.configured_url()
    if answers(url):
        return url
    try:
        return _throwaway_cluster()
    except (OSError, subprocess.CalledProcessError):
        return None


def server_url() -> str:
    url = _server()
    if url is None:
        message = ("no PostgreSQL server: TEST_POSTGRES_URL does not answer and no "
                   "/usr/lib/postgresql/*/bin/initdb to start one")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def scratch_database(prefix: str = "tse_pg",
                     timezone: str | None = None) -> AbstractContextManager[str]:
    """A fresh database on the test server (optionally with ``ALTER DATABASE … SET timezone``);
    dropped after."""
    return postgres_scratch.scratch_database(server_url(), prefix, timezone)
