"""Load benchmark for ``shipping-webhooks``: start the receiver, send deliveries, check, print.

    .venv/bin/python benchmarks/webhook_load.py --deliveries 20000 --clients 50

Loopback only. Prints throughput and p50/p99 latency of acknowledged deliveries, the number of
fsync group commits, and whether every acknowledged delivery is in the archive as sent.
Exit status 1 when the archive check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

from benchmarks.receiver_process import start_receiver
from benchmarks.webhook_loadgen import check_archive, run_load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pretty-every", type=int, default=10,
                        help="every Nth body is pretty-printed over several lines (0: never)")
    parser.add_argument("--max-file-bytes", type=int, default=4 * 1024 * 1024,
                        help="receiver rotation size, small so the run crosses files")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep archive and logs here (default: a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="webhook-load-") as tmp:
        workdir = args.workdir or Path(tmp)
        archive = workdir / "archive"
        env = {**os.environ, "SHIPPING_WEBHOOKS_USER": "bench",
               "SHIPPING_WEBHOOKS_PASSWORD": "bench-password"}
        receiver = start_receiver(archive, workdir, "--max-file-bytes", str(args.max_file_bytes),
                                  env=env)
        try:
            result = asyncio.run(run_load(receiver.delivery_url, args.deliveries, args.clients,
                                          auth=("bench", "bench-password"),
                                          pretty_every=args.pretty_every))
        finally:
            receiver.terminate()
        check = check_archive(archive, result.acked)
        files = sorted(p.name for p in archive.glob("*.jsonl"))
        commits = re.search(r"archive writer stopped: (\d+) lines in (\d+) commits",
                            receiver.log_text())
        print(f"receiver: {result.summary()}")
        if commits:
            lines, rounds = int(commits.group(1)), int(commits.group(2))
            print(f"group commit: {lines} lines in {rounds} fsyncs "
                  f"({lines / max(rounds, 1):.1f} deliveries per fsync)")
        print(f"archive: {check.lines} lines in {len(files)} files ({files[0]} .. {files[-1]}); "
              f"missing {len(check.missing)}, duplicated {len(check.duplicated)}, "
              f"unparsable {len(check.unparsable)}")
        return 0 if check.ok and len(result.acked) == args.deliveries else 1


if __name__ == "__main__":
    sys.exit(main())
