"""Smoke run of the benchmark suite at tiny sizes: proves the harness works end to end.

No timing is asserted (benchmarks print figures; they are not timed tests). What is asserted:
every selected benchmark ran without error, produced figures with samples, the markdown report
and the JSON results were written, and the cards' three computations agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.figures import Figure
from benchmarks.report import BenchmarkResult, render_markdown

ROOT = Path(__file__).resolve().parents[2]


def results_file(report: Path) -> Path:
    """The JSON results are kept in the cache directory, named after the report."""
    return report.parent / "cache" / f"{report.stem}.json"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    work = tmp_path_factory.mktemp("bench")
    report = work / "BENCHMARKS.md"
    cmd = [sys.executable, "-m", "benchmarks", "--size", "smoke", "--output", str(report),
           "--cache-dir", str(work / "cache")]
    for number in (1, 2, 3, 4, 5):
        cmd += ["--only", str(number)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return report, proc


def test_suite_runs_and_writes_the_report(smoke_run: tuple[Path, subprocess.CompletedProcess]
                                          ) -> None:
    report, proc = smoke_run
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-6000:]}"
    text = report.read_text("utf-8")
    for heading in ("## Machine", "## Summary", "## 1. Latency-bound sync", "## 2. API economy",
                    "## 3. CPU cost per record", "## 4. Memory", "## 5. Cards at scale"):
        assert heading in text, f"{heading!r} missing from the report"
    assert "singer-sdk" in text and "duckdb" in text
    assert "median (min-max)" in proc.stdout


def test_every_benchmark_has_figures(smoke_run: tuple[Path, subprocess.CompletedProcess]
                                     ) -> None:
    report, _ = smoke_run
    results = json.loads(results_file(report).read_text("utf-8"))["results"]
    assert sorted(results) == ["1", "2", "3", "4", "5"]
    for number, result in results.items():
        assert result["error"] is None, f"benchmark {number}: {result['error']}"
        assert result["figures"], f"benchmark {number} produced no figures"
        for fig in result["figures"]:
            assert fig["samples"] and all(x >= 0 for x in fig["samples"]), fig


def test_cards_agree_with_sql_floor_and_pandas(smoke_run: tuple[Path, subprocess.CompletedProcess]
                                               ) -> None:
    report, _ = smoke_run
    cards = json.loads(results_file(report).read_text("utf-8"))["results"]["5"]
    agreement = [f for f in cards["figures"] if f["name"].startswith("card = hand-written SQL")]
    assert agreement and agreement[0]["met"] is True, agreement


def test_ratio_is_a_cost_for_times_and_throughputs() -> None:
    slow = Figure(9, "time", "s", [3.0, 2.0, 4.0], floor=1.0)
    assert slow.value == 3.0 and slow.ratio == 3.0
    fast = Figure(9, "rate", "rec/s", [500.0], floor=1000.0, higher_is_better=True)
    assert fast.ratio == 2.0
    assert fast.check_ratio(2.0).met is True
    assert slow.check_ratio(1.25).met is False


def test_missed_targets_are_listed_in_the_markdown() -> None:
    fig = Figure(1, "first sync", "s", [10.0], floor=5.0, note="twice the floor")
    fig.check_ratio(1.25)
    result = BenchmarkResult(1, "Latency-bound sync", "smoke", "today", 1.0, [fig])
    text = render_markdown({"versions": {}}, {1: result}, {1: "Latency-bound sync"}, "cmd")
    assert "MISSED" in text
    assert "**1. first sync**: twice the floor" in text
