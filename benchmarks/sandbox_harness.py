"""Drive a sandbox for a benchmark: start it in a subprocess, move its clock, read its stats,
and write the webhook archive the tap discovers shipments from.

The same world is generated in this process (generation is deterministic from the seed) so the
archive can be written up to any simulated instant and ground truth can be consulted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from benchmarks.sandbox_process import world_params
from shipping_sandbox.archive import write_webhook_archive
from shipping_sandbox.generator import generate
from shipping_sandbox.world import World


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recent_start(days: int, *, now: datetime | None = None) -> datetime:
    """Midnight UTC ``days`` days before now: worlds anchored near the real date, so the tap's
    wall-clock active window (45 days by default) does not age their shipments out."""
    now = now or datetime.now(UTC)
    return (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class WorldSpec:
    scenario: str
    params: dict[str, Any]
    seed: int = 7
    latency_ms: int = 0
    rate_limit: float | None = None
    now: datetime | None = None

    def world(self) -> World:
        return generate(self.scenario, seed=self.seed, **world_params(self.json_params()))

    def json_params(self) -> dict[str, Any]:
        return {k: iso(v) if isinstance(v, datetime) else v for k, v in self.params.items()}


@dataclass
class Sandbox:
    spec: WorldSpec
    workdir: Path
    process: subprocess.Popen
    url: str
    admin_url: str
    world: World
    session: requests.Session = field(default_factory=requests.Session)

    # -- admin --------------------------------------------------------------------------------
    def set_clock(self, moment: datetime) -> None:
        self._admin("post", "clock", json={"now": int(moment.timestamp())})

    def set_rate_limit(self, rate: float | None) -> None:
        """Token-bucket limit in calls/s (burst = rate); None removes it."""
        self._admin("post", "rate-limit", json={"rate": rate})

    def stats(self) -> dict[str, Any]:
        return self._admin("get", "stats")

    def reset_stats(self) -> None:
        self._admin("post", "stats/reset")

    def _admin(self, verb: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.admin_url.rstrip('/')}/{path}"
        response = self.session.request(verb, url, timeout=60, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"sandbox admin {verb.upper()} {url}: HTTP "
                               f"{response.status_code}: {response.text[:300]}")
        return response.json() if response.content else {}

    # -- webhook archive ---------------------------------------------------------------------
    def write_archive(self, until: datetime | None) -> str:
        """(Re)write the archive with every delivery up to ``until``; return the tap's glob."""
        directory = self.workdir / "webhooks"
        directory.mkdir(parents=True, exist_ok=True)
        write_webhook_archive(self.world, directory,
                              until=int(until.timestamp()) if until else None)
        return str(directory / "*.jsonl")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.session.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(spec: WorldSpec, workdir: Path, *, timeout: float = 600) -> Sandbox:
    """Start the sandbox subprocess and generate the same world here (in parallel)."""
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "sandbox-ready.json"
    ready.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.sandbox_process", "--scenario", spec.scenario,
           "--seed", str(spec.seed), "--params", json.dumps(spec.json_params()),
           "--latency-ms", str(spec.latency_ms), "--ready-file", str(ready)]
    if spec.rate_limit is not None:
        cmd += ["--rate-limit", str(spec.rate_limit)]
    if spec.now is not None:
        cmd += ["--now", iso(spec.now)]
    log = (workdir / "sandbox.log").open("wb")
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                               cwd=Path(__file__).resolve().parents[1])
    try:
        world = spec.world()
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if process.poll() is not None:
                raise RuntimeError("sandbox exited before it was ready:\n"
                                   + (workdir / "sandbox.log").read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                raise RuntimeError(f"sandbox not ready within {timeout:.0f} s")
            time.sleep(0.05)
    except BaseException:
        process.kill()
        process.wait()
        raise
    info = json.loads(ready.read_text("utf-8"))
    return Sandbox(spec, workdir, process, info["url"], info["admin_url"], world)
