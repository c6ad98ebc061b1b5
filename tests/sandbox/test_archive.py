"""Webhook archive: per-day files, delivery order, field sets, at-least-once duplicates."""

from __future__ import annotations

import json
from pathlib import Path

from shipping_sandbox.archive import write_webhook_archive
from shipping_sandbox.world import World

TRACKING_FIELDS = {"Event", "tracking", "date", "message", "city", "est_delivery_date",
                   "first_status_date", "late", "code", "OrderID", "TransactionID",
                   "TrackingCarrier", "MarketplaceID", "MarketplacePlatform", "ExternalLink",
                   "FromAddressCompany", "ToAddressCompany", "FromAddressCountry",
                   "ToAddressCountry"}


def read(files: list[Path]) -> list[dict]:
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]


def test_archive_format_order_and_duplicates(small_world: World, tmp_path: Path) -> None:
    files = write_webhook_archive(small_world, tmp_path)
    assert files == sorted(tmp_path.glob("*.jsonl"))
    assert all(f.name.startswith("deliveries-") and len(f.stem) == len("deliveries-20260101")
               for f in files)
    bodies = read(files)
    kinds = {b["Event"] for b in bodies}
    assert kinds == {"ORDER_SHIPPED", "TRACKING_UPDATE"}
    updates = [b for b in bodies if b["Event"] == "TRACKING_UPDATE"]
    assert all(set(b) == TRACKING_FIELDS for b in updates)
    shipped = [b for b in bodies if b["Event"] == "ORDER_SHIPPED"]
    assert all({"OrderID", "TransactionID", "TrackingNumber", "CarrierName",
                "CarrierService"} <= set(b) for b in shipped)
    # every shipment labelled before as_of announced once at least; every event up to as_of
    by_id = small_world.by_order_id()
    assert {b["OrderID"] for b in shipped} == {
        s.order_id for s in small_world.shipments if s.webhook_times[0] <= small_world.as_of}
    keys = [(b["tracking"], b["date"], b["code"], b["message"]) for b in updates]
    expected = {(s.tracking_number, e.date, e.code, e.message)
                for s in small_world.shipments for e, at in zip(s.events, s.webhook_times[1:],
                                                                strict=True)
                if at <= small_world.as_of}
    assert set(keys) == expected
    duplicates = len(keys) - len(set(keys))
    assert 0.01 * len(keys) <= duplicates <= 0.06 * len(keys)
    # chronological: first deliveries (duplicates come later) are in delivery-time order
    times, seen = [], set()
    for b in bodies:
        key = json.dumps(b, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        s = by_id[b["OrderID"]]
        if b["Event"] == "ORDER_SHIPPED":
            times.append(s.webhook_times[0])
        else:
            i = next(i for i, e in enumerate(s.events) if e.date == b["date"])
            times.append(s.webhook_times[i + 1])
    assert times == sorted(times)


def test_archive_until_and_rewrite(small_world: World, tmp_path: Path) -> None:
    early = small_world.start + 2 * 86400
    files = write_webhook_archive(small_world, tmp_path, until=early)
    bodies = read(files)
    assert bodies and all(b.get("date", 0) <= early for b in bodies)
    assert len(files) <= 3
    write_webhook_archive(small_world, tmp_path)
    assert len(read(sorted(tmp_path.glob("*.jsonl")))) > len(bodies)


def test_serving_the_same_world_again_keeps_the_archive_files(small_world: World,
                                                               tmp_path: Path) -> None:
    """A restart with the same world leaves every day file as it was (a reader that remembers
    device + inode + offset sees nothing new); a different cut-off replaces what changed and
    removes the days it no longer has."""
    files = write_webhook_archive(small_world, tmp_path)
    before = {f.name: (f.stat().st_ino, f.stat().st_mtime_ns, f.read_bytes()) for f in files}
    again = write_webhook_archive(small_world, tmp_path)
    assert [f.name for f in again] == sorted(before)
    assert {f.name: (f.stat().st_ino, f.stat().st_mtime_ns, f.read_bytes())
            for f in again} == before
    early = small_world.start + 2 * 86400
    cut = write_webhook_archive(small_world, tmp_path, until=early)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f.name for f in cut]
    assert len(cut) < len(files)
    assert read(cut) == read(write_webhook_archive(small_world, tmp_path / "fresh", until=early))
