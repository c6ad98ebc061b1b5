"""Run one command and report its wall time and peak RSS as JSON (a small measuring parent).

    python -m benchmarks.measure_child --stdout OUT --stderr ERR [--stdin IN] [--cwd DIR] \
        [--timeout S] -- CMD...

Why a separate process: on Linux, ``ru_maxrss`` of a child includes the high-water RSS of the
memory image it had *before* ``exec`` - a copy of the forking parent. Forked directly from a
benchmark process holding a large sandbox world, a 70 MiB tap would be reported at the size of
that world. This launcher is small, so what it reports is the command's own peak. Prints
``{"seconds", "cpu_seconds", "maxrss_kib", "returncode", "timed_out"}`` (``cpu_seconds`` = the
command's user + system CPU, all its threads).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", type=Path, required=True)
    parser.add_argument("--stderr", type=Path, required=True)
    parser.add_argument("--stdin", type=Path, default=Path("/dev/null"))
    parser.add_argument("--cwd", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("expected a command after --")
    with args.stdout.open("wb") as out, args.stderr.open("wb") as err, \
            args.stdin.open("rb") as inp:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdin=inp, stdout=out, stderr=err, cwd=args.cwd)
        timer = threading.Timer(args.timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "maxrss_kib": usage.ru_maxrss,
                      "returncode": proc.returncode, "timed_out": seconds >= args.timeout}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
