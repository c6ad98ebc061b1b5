"""Print classifier throughput figures (not a test: performance is reported, not asserted).

    python -m benchmarks.classifier_throughput [--events N] [--table CSV]

Measures cold classification (every message distinct, so every call runs the rules; wall time
once, then CPU time best of ``--cpu-repeats``) and the steady state of a sync (a few hundred
distinct carrier phrasings repeated over many events).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from shipping_core.carriers import carrier_key
from tap_shipping_exceptions.normalize.accuracy import read_table
from tap_shipping_exceptions.normalize.classifier import Classifier

DEFAULT_TABLE = Path(__file__).resolve().parents[1] / "tests" / "normalize" / "message_table.csv"


def _rate(n: int, seconds: float) -> str:
    return f"{n:>9,} events in {seconds:6.3f}s = {n / seconds:>12,.0f} events/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cpu-repeats", type=int, default=5,
                        help="fresh classifiers timed in CPU seconds for the cold figure")
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE,
                        help="labelled messages to classify (default: %(default)s)")
    args = parser.parse_args(argv)
    rows = read_table(args.table)
    samples = [(carrier_key(r.carrier), r.shippypro_code, r.message) for r in rows]

    t0 = time.perf_counter()
    Classifier()
    print(f"load + validate mappings: {time.perf_counter() - t0:.3f}s")

    clf = Classifier()
    cold = [(c, code, f"{msg} #{i}") for i, (c, code, msg) in enumerate(samples * 20)]
    t0 = time.perf_counter()
    for carrier, code, message in cold:
        clf.classify(carrier, code, message)
    print("cold (all distinct):   " + _rate(len(cold), time.perf_counter() - t0))
    # CPU seconds of this process, best of N fresh classifiers: far less sensitive than wall
    # time to other jobs on a shared machine (compare revisions with this line)
    best = float("inf")
    for _ in range(args.cpu_repeats):
        clf = Classifier()
        t0 = time.process_time()
        for carrier, code, message in cold:
            clf.classify(carrier, code, message)
        best = min(best, time.process_time() - t0)
    print(f"cold, CPU best of {args.cpu_repeats}: " + _rate(len(cold), best))

    clf = Classifier()
    rng = random.Random(args.seed)
    stream = [rng.choice(samples) for _ in range(args.events)]
    t0 = time.perf_counter()
    for carrier, code, message in stream:
        clf.classify(carrier, code, message)
    print("repeated (sync-like):  " + _rate(len(stream), time.perf_counter() - t0))
    print(f"cache: {clf.cache_info()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
