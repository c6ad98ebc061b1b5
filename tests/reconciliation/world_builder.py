"""Small sandbox Worlds (by hand or a seeded random mix) and the warehouse the tap lands.

``land(world, warehouse)`` writes the rows the tap would: one shipment per leg and one event per
carrier event, classified with the generator's truth fields (what a correct tap produces), so a
reconciliation against the portal simulator's export can be checked without the network.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from shipping_sandbox.generator import canonical_carrier
from shipping_sandbox.world import Address, Event, Shipment, World

from .warehouse_builder import Warehouse

CARRIERS = {"BRT": "brt", "Poste Italiane": "poste_italiane", "GLS": "gls",
            "DHL Express": "dhl_express"}
CATEGORIES = ("address", "recipient", "depot_network", "customs_border", "damage_lost", "other")
MILESTONE = {1: "info_received", 2: "in_transit", 3: "out_for_delivery", 4: "attempt_failed",
             5: "exception", 6: "delivered"}


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def _address(country: str = "IT") -> Address:
    return Address("Mario Rossi", "", "Via Roma 1", "", "Milano", "MI", "20100", country,
                   "+39 02 0000", "m@example.com")


def shipment(order_id: int, created: str | int, *, carrier: str = "BRT",
             is_return: bool = False, events: list[Event] | None = None,
             webhook_times: list[int] | None = None) -> Shipment:
    when = created if isinstance(created, int) else ts(created)
    return Shipment(order_id, f"T{order_id}", "M1", "shopify", carrier, "Standard", 1,
                    f"TN{order_id}", when, when + 3600, 0, is_return, _address(), _address(),
                    [], events or [], False, webhook_times or [])


def progress(at: str | int, code: int = 2) -> Event:
    return Event(at if isinstance(at, int) else ts(at), code, "In transito", "Milano")


def exception(at: str | int, category: str, cls: str = "real",
              portal: str | None = None) -> Event:
    return Event(at if isinstance(at, int) else ts(at), 5, f"{category} problem", "Milano",
                 truth_category=category, truth_reason=f"{category}.x", truth_class=cls,
                 portal_category=portal)


def world(shipments: list[Shipment], as_of: str = "2026-03-12 08:00") -> World:
    return World("test", 0, min(s.created for s in shipments), ts(as_of), ts(as_of),
                 {name: [] for name in CARRIERS}, shipments)


def _milestones(s: Shipment) -> list[str | None]:
    """Progress milestones as a correct classifier gives them (None for exceptions): a
    non-exception code 5 means the parcel turned back, and a later code 6 is then 'returned'."""
    out: list[str | None] = []
    returning = False
    for e in s.events:
        if e.truth_category is not None:
            out.append(None)
        elif e.code == 5:
            returning = True
            out.append("returning")
        else:
            out.append("returned" if returning and e.code == 6 else MILESTONE[e.code])
    return out


def land(w: World, warehouse: Warehouse) -> None:
    """Write the World's legs and events into the warehouse as a correct tap would."""
    for s in w.shipments:
        sid = str(s.order_id)
        created = datetime.fromtimestamp(s.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        carrier = CARRIERS.get(canonical_carrier(s.carrier_name),
                               canonical_carrier(s.carrier_name).lower().replace(" ", "_"))
        warehouse.shipment(sid, created, carrier=carrier, is_return=s.is_return)
        for e, milestone in zip(s.events, _milestones(s), strict=True):
            at = datetime.fromtimestamp(e.date, UTC).strftime("%Y-%m-%d %H:%M:%S")
            warehouse.event(sid, at, e.truth_category, e.truth_class, milestone=milestone)


def random_world(seed: int, n: int, as_of: str = "2026-03-12 08:00") -> World:
    """A month of traffic with every effect the rules model, in realistic proportions."""
    rng = random.Random(seed)
    end = ts(as_of)
    start = end - 40 * 86400
    shipments = []
    for order_id in range(1, n + 1):
        created = rng.randrange(start, end - 3600)
        is_return = rng.random() < 0.06
        events = [progress(created + 4 * 3600)]
        t = created + rng.randrange(6, 60) * 3600
        if rng.random() < 0.05:
            cls = rng.choice(["real", "real", "transient", "conditional"])
            category = rng.choice(CATEGORIES)
            portal = rng.choice([c for c in CATEGORIES if c != category]) \
                if rng.random() < 0.05 else None
            events.append(exception(t, category, cls, portal))
            if cls == "conditional":
                events.append(progress(t + rng.choice([10, 48, 100]) * 3600))
            if rng.random() < 0.2:
                events.append(exception(t + rng.randrange(1, 90) * 3600, rng.choice(CATEGORIES)))
        events.append(progress(t + 30 * 3600, 6))
        events = sorted((e for e in events if e.date <= end), key=lambda e: e.date)
        hooks = [e.date + rng.randrange(5, 240) for e in events]
        shipments.append(shipment(order_id, created, carrier=rng.choice(list(CARRIERS)),
                                  is_return=is_return, events=events, webhook_times=hooks))
    return world(shipments, as_of)

