"""The sandbox's ground truth: every shipment leg and every carrier event it will ever serve.

A ``World`` is produced deterministically by the generator from a scenario and a seed. The
server answers ``GetOrder``/``GetTracking`` from it as of a simulated clock, the webhook archive
writer replays its deliveries, and the portal simulator derives the vendor portal's view from it.
Fields named ``truth_*`` are the generator's intent (what category the carrier meant, whether the
exception resolves by itself); they are never served by the API and exist so tests and the
portal simulator can check or model behaviour without re-deriving it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Address:
    name: str
    company: str
    street1: str
    street2: str
    city: str
    state: str
    zip: str
    country: str  # ISO 3166-1 alpha-2
    phone: str
    email: str


@dataclass
class Event:
    """One carrier event as ``GetTracking`` serves it (``date`` in Unix seconds, UTC)."""

    date: int
    code: int  # ShippyPro status 1..6
    message: str
    city: str
    carrier_code: str | None = None
    # Ground truth, never served: the normalised category/reason/class the generator intended
    # (None for progress events), and the portal's own label for it when the portal's
    # taxonomy differs from ours (None = the portal agrees).
    truth_category: str | None = None
    truth_reason: str | None = None
    truth_class: str | None = None
    portal_category: str | None = None


@dataclass
class Shipment:
    """One shipment leg (an outbound parcel or an Easy Return leg)."""

    order_id: int
    transaction_id: str
    marketplace_id: str
    marketplace_platform: str
    carrier_name: str  # exactly as ShippyPro spells it, e.g. "BRT", "Poste Italiane"
    carrier_service: str
    carrier_id: int
    tracking_number: str
    created: int  # label created (Order.Date), Unix seconds UTC
    shipped: int  # ShippedDate, 0 when not shipped yet
    est_delivery: int  # EstDeliveryDate, 0 when unknown
    is_return: bool
    from_address: Address
    to_address: Address
    parcels: list[dict]
    events: list[Event] = field(default_factory=list)  # in true time order
    # Ground truth, never served.
    truth_transient: bool = False  # every exception on it resolved by itself
    # When ShippyPro sent the webhook deliveries (Unix seconds); the archive replays them.
    # webhook_times[0] is the ORDER_SHIPPED delivery, webhook_times[i + 1] the TRACKING_UPDATE
    # for events[i].
    webhook_times: list[int] = field(default_factory=list)
    # The order in which GetTracking lists the events (indices into ``events``, repeats allowed);
    # None = true time order. The API contract says events may come in any order and repeat.
    serve_order: list[int] | None = None

    def events_until(self, now: int) -> list[Event]:
        return [e for e in self.events if e.date <= now]


@dataclass
class World:
    scenario: str
    seed: int
    start: int  # first label date generated (Unix seconds)
    end: int  # last instant with traffic (Unix seconds)
    as_of: int  # the scenario's reading instant (default sandbox clock)
    # GetCarriers: {"BRT": [{"CarrierID", "CarrierService", "Label"}]}
    carriers: dict[str, list[dict]]
    shipments: list[Shipment]

    def by_order_id(self) -> dict[int, Shipment]:
        return {s.order_id: s for s in self.shipments}

    def by_tracking(self) -> dict[str, Shipment]:
        return {s.tracking_number: s for s in self.shipments}
