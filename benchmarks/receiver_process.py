"""Run ``shipping-webhooks serve`` as a subprocess and wait until it listens (tests, benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SERVE_TIMEOUT_S = 60.0


@dataclass
class ReceiverProcess:
    process: subprocess.Popen
    url: str  # base URL, e.g. http://127.0.0.1:40123
    archive_dir: Path
    log_path: Path
    path: str = "/webhooks/shippypro"
    _log_handle: object = field(default=None, repr=False)

    @property
    def delivery_url(self) -> str:
        return self.url + self.path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait: the graceful path (in-flight requests finish)."""
        return self._stop(signal.SIGTERM, timeout)

    def kill(self) -> int:
        """SIGKILL: the crash path."""
        return self._stop(signal.SIGKILL, 30.0)

    def _stop(self, sig: int, timeout: float) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        if self._log_handle is not None:
            self._log_handle.close()  # type: ignore[attr-defined]
            self._log_handle = None
        return code


def start_receiver(archive_dir: Path, workdir: Path, *extra_args: str,
                   env: dict[str, str] | None = None, host: str = "127.0.0.1") -> ReceiverProcess:
    """Start the CLI on a free port (``--port 0``) and return once its ready file names the URL.

    ``env`` replaces the environment (credentials included); it defaults to the current one.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / f"ready-{time.monotonic_ns()}"
    log_path = workdir / f"receiver-{time.monotonic_ns()}.log"
    log_handle = log_path.open("w")
    executable = Path(sys.executable).parent / "shipping-webhooks"
    command = [str(executable), "serve", "--host", host, "--port", "0",
               "--archive-dir", str(archive_dir), "--ready-file", str(ready), *extra_args]
    process = subprocess.Popen(command, env=dict(os.environ) if env is None else env,
                               stdout=log_handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while not (ready.exists() and ready.read_text().strip()):
        if process.poll() is not None:
            log_handle.close()
            raise RuntimeError(
                f"shipping-webhooks exited with {process.returncode} before listening:\n"
                + log_path.read_text(errors="replace")
            )
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            log_handle.close()
            raise RuntimeError(f"shipping-webhooks did not listen within {SERVE_TIMEOUT_S} s")
        time.sleep(0.05)
    path = "/webhooks/shippypro"
    if "--path" in extra_args:
        path = extra_args[extra_args.index("--path") + 1]
    return ReceiverProcess(process, ready.read_text().strip(), archive_dir, log_path, path,
                           log_handle)
