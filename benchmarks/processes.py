"""Run a child process and measure it: wall-clock seconds, CPU seconds and peak RSS.

The command runs under ``benchmarks.measure_child`` (a small launcher that times it and reads
its ``ru_maxrss`` with ``os.wait4``), so the peak RSS is the command's own and not the image of
this process it was forked from. Its stdout goes to a file (never a pipe the parent must
drain), its stderr to another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class ChildFailed(RuntimeError):
    """A measured child exited non-zero or timed out; carries the tail of its stderr."""


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mib: float
    stdout: Path
    stderr: Path
    cpu_seconds: float = 0.0  # user + system CPU of the command (all threads)


def run_measured(cmd: list[str], *, stdout: Path, stderr: Path, cwd: Path | None = None,
                 env: dict[str, str] | None = None, timeout: float = 3600,
                 stdin: Path | None = None) -> ChildRun:
    """Run ``cmd`` to completion; raise ``ChildFailed`` (with its stderr tail) on failure."""
    launcher = [sys.executable, "-m", "benchmarks.measure_child", "--stdout", str(stdout),
                "--stderr", str(stderr), "--timeout", str(timeout)]
    if stdin is not None:
        launcher += ["--stdin", str(stdin)]
    if cwd is not None:
        launcher += ["--cwd", str(cwd)]
    # the launcher runs from the repository root so ``-m benchmarks...`` resolves
    proc = subprocess.run([*launcher, "--", *map(str, cmd)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout + 120)
    if proc.returncode != 0:
        raise ChildFailed(f"measuring launcher failed for {cmd[0]}: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if report["timed_out"]:
        raise ChildFailed(f"{cmd[0]} did not finish within {timeout:.0f} s (killed)")
    if report["returncode"] != 0:
        tail = stderr.read_text(errors="replace")[-4000:]
        raise ChildFailed(f"{' '.join(map(str, cmd))} exited {report['returncode']}; "
                          f"stderr tail:\n{tail}")
    return ChildRun(report["seconds"], report["maxrss_kib"] / 1024, stdout, stderr,
                    report["cpu_seconds"])


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a running process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
