"""The exception-rate payload's data_quality.classification_coverage, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .warehouses import Rows


def _rows() -> Rows:
    rows = Rows()
    sid = rows.ship("s1", "2026-03-02T09:00:00Z")
    # in the window (2026-03-02 .. 03-08 read as of 03-09): 4 events with words
    for at, by, code, message in [
            ("2026-03-03T08:00:00Z", "message", 2, "PARTITA"),
            ("2026-03-04T08:00:00Z", "lexicon", 5, "INDIRIZ.INESISTENTE"),
            ("2026-03-05T08:00:00Z", "shippypro_code", 5, "EVENTO 77"),
            ("2026-03-06T08:00:00Z", "carrier_code", 4000, None)]:
        rows.event(sid, at)
        rows.events[-1].update(classified_by=by, shippypro_code=code, message=message,
                               carrier_code="AVV" if message is None else None)
    rows.event(sid, "2026-03-06T09:00:00Z")  # no message and no carrier code: not counted
    rows.events[-1].update(classified_by="none", message=None, carrier_code=None)
    rows.event(sid, "2026-02-01T08:00:00Z")  # outside the window: not counted
    rows.events[-1].update(classified_by="none", message="x")
    return rows


def test_classification_coverage_in_the_data_quality_block(
        run: Callable[..., dict[str, Any]]) -> None:
    payload = run(_rows(), "exception_rate", "2026-03-09T00:00:00Z")
    cov = payload["data_quality"]["classification_coverage"]
    assert cov["events"] == 4
    assert cov["decided_by_code_rule_or_lexicon"] == 3
    assert cov["value"] == 0.75
    assert cov["exception_coded_events"] == 3  # 5, 5 and 4000
    assert cov["exception_coded_decided"] == 2
    assert cov["exception_coded_value"] == round(2 / 3, 4)


def test_classification_coverage_is_null_without_events(
        run: Callable[..., dict[str, Any]]) -> None:
    rows = Rows()
    rows.ship("s1", "2026-03-02T09:00:00Z")
    cov = run(rows, "exception_rate", "2026-03-09T00:00:00Z")["data_quality"][
        "classification_coverage"]
    assert cov["value"] is None and cov["events"] == 0
