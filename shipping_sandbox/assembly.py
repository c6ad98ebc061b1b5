"""Turns a shipment spec (when, which carrier, which lane, which exceptions) into a ``Shipment``.

Owns everything per shipment that is not the event journey itself: ShippyPro identifiers,
tracking numbers in the carrier's format, addresses, parcels, how GetTracking orders/repeats
the events, webhook delivery times, the portal's taxonomy disagreements and the
``truth_transient`` flag.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from .journeys import ExceptionPlan, Lane, auto_resolved, build_events
from .phrasebook import CarrierBook, Phrasebook
from .places import Places
from .promises import Promises, default_promises
from .traffic import Traffic
from .world import Event, Shipment

DAY = 86400
ALNUM = string.ascii_uppercase + string.digits
ORDER_ID_BASE = 40_000_000


@dataclass(frozen=True)
class Spec:
    created: int
    carrier: str  # canonical phrasebook name
    country: str  # destination country of an outbound leg (origin of a return leg)
    is_return: bool = False
    plan: ExceptionPlan = field(default_factory=ExceptionPlan)


def tracking_number(rng: random.Random, book: CarrierBook, order_id: int) -> str:
    """A carrier-shaped tracking number, unique per order id."""
    fmt = book.tracking
    prefix = fmt["prefix"]
    if "alnum" in fmt:
        body = "".join(rng.choice(ALNUM) for _ in range(fmt["alnum"] - 8))
        return f"{prefix}{body}{order_id % 100_000_000:08d}"
    digits = fmt["digits"]
    head = digits - 8
    body = "".join(rng.choice(string.digits) for _ in range(head)) if head > 0 else ""
    number = f"{body}{order_id % 100_000_000:08d}"
    letters = "".join(rng.choice(string.ascii_uppercase)
                      for _ in range(fmt.get("letters_prefix", 0)))
    suffix = "IT" if fmt.get("letters_suffix") else ""
    return f"{prefix}{letters}{number}{suffix}"


class ShipmentFactory:
    def __init__(self, rng: random.Random, phrasebook: Phrasebook, places: Places,
                 traffic: Traffic, promises: Promises | None = None) -> None:
        self.rng = rng
        self.phrasebook = phrasebook
        self.places = places
        self.traffic = traffic
        self.promises = promises or default_promises()

    def build(self, order_id: int, spec: Spec) -> Shipment:
        rng = self.rng
        book = self.phrasebook.carrier(spec.carrier)
        name = (book.names[0] if len(book.names) == 1
                else rng.choices(book.names, weights=book.name_weights)[0])
        merchant = self.places.merchants[rng.randrange(len(self.places.merchants))]
        recipient = self.places.recipient(rng, spec.country)
        if spec.is_return:
            from_address, to_address = recipient, merchant.address
        else:
            from_address, to_address = merchant.address, recipient
        customs = self.places.customs_lane(spec.country)
        lane = Lane(from_address.city, to_address.city, customs, spec.country != "IT",
                    recipient.name.split(" ")[-1])
        journey = build_events(rng, book, spec.created, lane, spec.plan)
        service_index = rng.randrange(len(book.services))
        # the promise draws nothing from ``rng``: it follows from carrier, service, lane and
        # the collection scan
        collected = next((e.date for e in journey.events if e.code != 1), spec.created)
        lane_kind = "customs" if customs else ("eu" if spec.country != "IT" else "domestic")
        est_delivery = self.promises.est_delivery(spec.carrier, book.services[service_index],
                                                  lane_kind, collected, to_address)
        self._portal_disagreements(journey.events)
        serve_order = self._serve_order(len(journey.events))
        shipped = spec.created + rng.randint(60, 20 * 60)
        webhook_times = [shipped + rng.randint(5, 300)]
        webhook_times.extend(e.date + rng.randint(5, 400) for e in journey.events)
        ref = f"{'R' if spec.is_return else '#'}{100000 + order_id % 900000}"
        return Shipment(
            order_id=order_id,
            transaction_id=ref,
            marketplace_id=str(5_000_000 + order_id % 5_000_000),
            marketplace_platform=merchant.platform,
            carrier_name=name,
            carrier_service=book.services[service_index],
            carrier_id=book.carrier_id + service_index,
            tracking_number=tracking_number(rng, book, order_id),
            created=spec.created,
            shipped=shipped,
            est_delivery=est_delivery,
            is_return=spec.is_return,
            from_address=from_address,
            to_address=to_address,
            parcels=[{"length": rng.randint(10, 60), "width": rng.randint(10, 40),
                      "height": rng.randint(5, 40), "weight": round(rng.uniform(0.2, 12.0), 1)}],
            events=journey.events,
            truth_transient=auto_resolved(journey),
            webhook_times=webhook_times,
            serve_order=serve_order,
        )

    def _portal_disagreements(self, events: list[Event]) -> None:
        """Give some exception events the portal's own (different) category label."""
        rng = self.rng
        for event in events:
            if (event.truth_category is not None
                    and rng.random() < self.traffic.portal_disagreement):
                event.portal_category = rng.choice(
                    self.phrasebook.portal_disagreements[event.truth_category])

    def _serve_order(self, n: int) -> list[int] | None:
        """The order GetTracking lists ``n`` events in: None (true order), shuffled or repeated."""
        rng = self.rng
        serve_order: list[int] | None = None
        roll = rng.random()
        if n >= 2 and roll < self.traffic.out_of_order:
            serve_order = list(range(n))
            if rng.random() < 0.5:
                serve_order.reverse()  # newest first, as some carriers list them
            else:
                i = rng.randrange(n - 1)
                serve_order[i], serve_order[i + 1] = serve_order[i + 1], serve_order[i]
        elif n >= 1 and roll < self.traffic.out_of_order + self.traffic.repeated:
            serve_order = list(range(n))
            serve_order.insert(rng.randrange(n + 1), rng.randrange(n))
        return serve_order
