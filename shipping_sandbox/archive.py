"""Write the world's webhook deliveries as a newline-delimited JSON archive.

One delivery body per line (compact JSON), in delivery-time order: ``ORDER_SHIPPED`` when the
label ships and ``TRACKING_UPDATE`` per carrier event, at the times in
``Shipment.webhook_times``. ShippyPro delivers at least once, so about 3 % of deliveries are
repeated a little later. Files are split per UTC day as ``deliveries-YYYYMMDD.jsonl`` so a
sorted ``DIR/*.jsonl`` glob reads chronologically.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .generator import canonical_carrier
from .phrasebook import default_phrasebook
from .world import Shipment, World

DUPLICATE_SHARE = 0.03
LATE_AFTER = 86400  # "late": still undelivered a day after the estimated delivery date


def _link(shipment: Shipment, links: dict[str, str]) -> str:
    return links.get(shipment.carrier_name, "").format(code=shipment.tracking_number)


def order_shipped(s: Shipment, link: str) -> dict[str, Any]:
    return {
        "Event": "ORDER_SHIPPED", "OrderID": s.order_id, "TransactionID": s.transaction_id,
        "TrackingNumber": s.tracking_number, "CarrierName": s.carrier_name,
        "CarrierService": s.carrier_service, "CarrierID": s.carrier_id,
        "MarketplaceID": s.marketplace_id, "MarketplacePlatform": s.marketplace_platform,
        "PlatformName": s.marketplace_platform, "ExternalLink": link,
        "ShippedDate": s.shipped, "IsReturn": 1 if s.is_return else 0,
        "ToAddressCountry": s.to_address.country, "FromAddressCountry": s.from_address.country,
    }


def tracking_update(s: Shipment, index: int, link: str) -> dict[str, Any]:
    e = s.events[index]
    late = s.est_delivery and e.date > s.est_delivery + LATE_AFTER and e.code != 6
    return {
        "Event": "TRACKING_UPDATE", "tracking": s.tracking_number, "date": e.date,
        "message": e.message, "city": e.city, "est_delivery_date": str(s.est_delivery or 0),
        "first_status_date": str(s.events[0].date), "late": "1" if late else "0",
        "code": e.code, "OrderID": s.order_id, "TransactionID": s.transaction_id,
        "TrackingCarrier": s.carrier_name, "MarketplaceID": s.marketplace_id,
        "MarketplacePlatform": s.marketplace_platform, "ExternalLink": link,
        "FromAddressCompany": s.from_address.company, "ToAddressCompany": s.to_address.company,
        "FromAddressCountry": s.from_address.country, "ToAddressCountry": s.to_address.country,
    }


def deliveries(world: World, until: int) -> list[tuple[int, int, int, int]]:
    """(delivered_at, order_id, event index or -1, copy) for deliveries up to ``until``."""
    rng = random.Random(world.seed * 7919 + 17)
    out: list[tuple[int, int, int, int]] = []
    for s in world.shipments:
        for k, at in enumerate(s.webhook_times):
            index = k - 1
            if at <= until:
                out.append((at, s.order_id, index, 0))
            if rng.random() < DUPLICATE_SHARE:
                again = at + rng.randint(30, 1800)
                if again <= until:
                    out.append((again, s.order_id, index, 1))
    out.sort()
    return out


def write_webhook_archive(world: World, directory: str | Path, until: int | None = None
                          ) -> list[Path]:
    """Write ``deliveries-YYYYMMDD.jsonl`` files into ``directory``; return them sorted.

    A day file whose bytes are already there is left untouched (same inode, same size), as a real
    archive keeps the files it wrote: a reader that remembers how far it read a file (the tap)
    then sees nothing new when the same world is served again. A changed day is replaced
    atomically; day files this world no longer has are removed.
    """
    until = world.as_of if until is None else until
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    book = default_phrasebook()
    links = {}
    for s in world.shipments:
        if s.carrier_name not in links:
            name = canonical_carrier(s.carrier_name, book)
            links[s.carrier_name] = book.carriers[name].link if name in book.carriers else ""
    by_id = world.by_order_id()
    written: list[Path] = []
    day, lines = None, []  # deliveries come in time order: one day in memory at a time
    for at, order_id, index, _copy in deliveries(world, until):
        at_day = datetime.fromtimestamp(at, UTC).strftime("%Y%m%d")
        if at_day != day:
            if day is not None:
                written.append(_settle(root / f"deliveries-{day}.jsonl", lines))
            day, lines = at_day, []
        s = by_id[order_id]
        link = _link(s, links)
        body = order_shipped(s, link) if index < 0 else tracking_update(s, index, link)
        lines.append(json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n")
    if day is not None:
        written.append(_settle(root / f"deliveries-{day}.jsonl", lines))
    for old in root.glob("deliveries-*.jsonl"):
        if old not in written:
            old.unlink()
    return sorted(written)


def _settle(path: Path, lines: list[str]) -> Path:
    """``path`` holding exactly ``lines``: kept as it is when it already does, else replaced."""
    data = "".join(lines).encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return path
    except FileNotFoundError:
        pass
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_bytes(data)
    scratch.replace(path)
    return path
