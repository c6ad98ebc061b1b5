"""Benchmark suite: sync latency, API economy, CPU throughput, memory, cards at scale, end to end.

Each benchmark measures a cost beside its floor in the same run and returns ``Figure`` rows;
``python -m benchmarks`` prints them as a table and writes ``BENCHMARKS.md``.
"""
