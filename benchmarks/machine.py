"""Describe the machine and software versions a benchmark run used (for ``BENCHMARKS.md``)."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("singer-sdk", "msgspec", "duckdb", "duckdb-engine", "sqlalchemy", "pandas", "numpy",
            "starlette", "uvicorn", "requests", "meltano")
LOADER_SITE = ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "lib"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def loader_versions() -> dict[str, str]:
    """Versions inside Meltano's target-duckdb virtualenv (the loader of benchmark 6)."""
    found: dict[str, str] = {}
    for dist_info in sorted(LOADER_SITE.glob("python*/site-packages/*.dist-info")):
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
        if name.lower().replace("_", "-") in {"target-duckdb", "duckdb"}:
            found[f"{name.lower().replace('_', '-')} (loader venv)"] = version
    return found


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe() -> dict[str, object]:
    """Everything the report header needs, as plain data."""
    mem = memory_gib()
    versions = {"python": platform.python_version(), "tap-shipping-exceptions":
                package_version("tap-shipping-exceptions")}
    versions.update({name: package_version(name) for name in PACKAGES})
    versions.update(loader_versions())
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory": f"{mem:.1f} GiB" if mem else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "git": git_revision(),
        "versions": versions,
    }
