"""Webhook archive scanning: sorted files, offsets, shrinking files, event filtering."""

from __future__ import annotations

import json
from pathlib import Path

from tap_shipping_exceptions.discovery import scan_archive


def line(order_id: int | str, event: str = "ORDER_SHIPPED", **extra: object) -> str:
    return json.dumps({"Event": event, "OrderID": order_id, **extra}) + "\n"


def test_reads_files_in_sorted_order_and_keeps_latest_details(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text(line(1, TrackingNumber="NEW", CarrierName="GLS"))
    (tmp_path / "a.jsonl").write_text(line(1, TrackingNumber="OLD", CarrierName="BRT")
                                      + line(2, "TRACKING_UPDATE", tracking="T2")
                                      + line(3, "ORDER_ERROR") + "\n")
    scan = scan_archive(str(tmp_path / "*.jsonl"), {})
    assert sorted(scan.deliveries) == [1, 2]
    assert scan.deliveries[1].tracking == "NEW" and scan.deliveries[1].carrier_name == "GLS"
    assert scan.deliveries[2].tracking == "T2"
    assert (scan.files, scan.lines, scan.duplicates, scan.ignored) == (2, 4, 1, 1)
    assert {Path(p).name: o["line"] for p, o in scan.offsets.items()} == {"a.jsonl": 4,
                                                                        "b.jsonl": 1}


def test_offsets_resume_and_shrunk_file_rereads(tmp_path: Path) -> None:
    archive = tmp_path / "d.jsonl"
    archive.write_text(line(1) + line(2))
    first = scan_archive(str(archive), {})
    assert sorted(first.deliveries) == [1, 2]
    with archive.open("a") as handle:
        handle.write(line(3))
    second = scan_archive(str(archive), first.offsets)
    assert sorted(second.deliveries) == [3]
    assert second.offsets[str(archive.resolve())]["line"] == 3
    archive.write_text(line(9))  # rotated/truncated by someone: read again from the start
    third = scan_archive(str(archive), second.offsets)
    assert sorted(third.deliveries) == [9]
    unchanged = scan_archive(str(archive), third.offsets)
    assert unchanged.deliveries == {} and unchanged.lines == 0


def test_details_kept_only_where_asked(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(line(1, TrackingNumber="T1", CarrierName="BRT")
                                      + line(2, TrackingNumber="T2", CarrierName="GLS")
                                      + line(2, "TRACKING_UPDATE", tracking="T2b")
                                      + line(1, "TRACKING_UPDATE", TrackingCarrier="SDA"))
    scan = scan_archive(str(tmp_path / "*.jsonl"), {}, details_for=lambda oid: oid == 1)
    assert sorted(scan.deliveries) == [1, 2]
    assert scan.deliveries[2] is None  # only the id is kept
    kept = scan.deliveries[1]
    assert kept is not None and (kept.tracking, kept.carrier_name) == ("T1", "SDA")
    assert scan.duplicates == 2
