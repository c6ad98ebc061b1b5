"""Fixtures for end-to-end runs: the sandbox API as a subprocess and an isolated Meltano run.

Each test session gets its own Meltano system database (state), DuckDB file and webhook archive
under pytest's tmp dir; the plugin virtualenvs in `.meltano/` are shared and installed once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.meltano_project import install_plugin, is_meltano, meltano_lock

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
AS_OF = "2026-03-12T08:00:00Z"
RECORD_COUNT = re.compile(
    r'"metric":\s*"record_count",\s*"value":\s*(\d+),\s*"tags":\s*\{[^}]*"stream":\s*"(\w+)"'
)


def run(cmd: list[str], env: dict[str, str], timeout: int = 1200) -> subprocess.CompletedProcess:
    """Run a command in the repository; a Meltano command holds the project lock meanwhile."""
    with meltano_lock() if is_meltano(cmd) else nullcontext():
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}"
            f"\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def emitted_records(log_text: str) -> dict[str, int]:
    """Sum the SDK's record_count metrics per stream from a tap's (or meltano's) log."""
    counts: dict[str, int] = {}
    for value, stream in RECORD_COUNT.findall(log_text):
        counts[stream] = counts.get(stream, 0) + int(value)
    return counts


@dataclass
class Sandbox:
    url: str
    archive_glob: str
    process: subprocess.Popen


@dataclass
class MeltanoProject:
    env: dict[str, str]
    warehouse: Path

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return run([str(BIN / "meltano"), *args], self.env)


def start_sandbox(workdir: Path, *args: str) -> Sandbox:
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "ready"
    archive = workdir / "webhooks"
    log = (workdir / "sandbox.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "shipping-sandbox"), "serve", *args, "--host", "127.0.0.1", "--port", "0",
         "--api-key", "sandbox-key", "--webhook-archive", str(archive), "--ready-file", str(ready)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while not (ready.exists() and ready.read_text().strip()):
        if process.poll() is not None:
            raise AssertionError((workdir / "sandbox.log").read_text())
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("sandbox did not start within 300 s")
        time.sleep(0.2)
    return Sandbox(ready.read_text().strip(), str(archive / "*.jsonl"), process)


@pytest.fixture(scope="session")
def meltano_plugins() -> None:
    """Install the plugins the pipeline needs (idempotent; uv makes a warm install ~1 s)."""
    for plugin_type, name in (("extractor", "tap-shipping-exceptions"),
                              ("loader", "target-duckdb"), ("utility", "metric-cards")):
        install_plugin(plugin_type, name)


@pytest.fixture(scope="session")
def worked_example_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox"), "--scenario", "worked_example",
                            "--seed", "7", "--at-as-of")
    yield sandbox
    sandbox.process.terminate()
    sandbox.process.wait(timeout=30)


@pytest.fixture(scope="session")
def worked_example_project(meltano_plugins: None, worked_example_sandbox: Sandbox,
                           tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    work = tmp_path_factory.mktemp("meltano")
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_SHIPPING_EXCEPTIONS_API_URL": worked_example_sandbox.url,
        "TAP_SHIPPING_EXCEPTIONS_WEBHOOK_ARCHIVE": worked_example_sandbox.archive_glob,
        "TARGET_DUCKDB_PATH": str(work / "warehouse.duckdb"),
    }
    return MeltanoProject(env, work / "warehouse.duckdb")


def cli_json(*args: str) -> dict:
    proc = run([str(BIN / "metric-cards"), *args, "--format", "json"], dict(os.environ))
    return json.loads(proc.stdout)
