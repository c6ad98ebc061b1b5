"""Deterministic sandbox worlds: ``generate(scenario, seed, **params) -> World``.

Scenarios:
- ``worked_example``: reproduces the exception-rate card's seed example exactly (16,000
  outbound shipments labelled 10 Feb-11 Mar 2026, 464 with an exception by the reading at
  2026-03-12T08:00Z, fixed category x carrier matrix) plus realistic edge traffic: a prior
  window at ~2.5 %, Easy Return legs, multi-category and transient exceptions, exceptions after
  the reading, and labels just either side of the UTC/Europe-Rome day boundaries.
  ``check_worked_example(world)`` recomputes the card's counts from the ground truth.
- ``month``: a realistic 30-day month ending at ``end`` (default: today 00:00 UTC), ``shipments``
  outbound labels (default 16,000) over all carriers and lanes, plus Easy Return legs.
- ``bulk``: ``shipments`` (default 4,000) labels from ``start`` (default 2026-01-01) over ``days``
  (default 30) for benchmarks.

All randomness comes from one ``random.Random(seed)``; only ``month`` without ``end`` reads
the wall clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from shipping_core.windows import parse_instant

from .assembly import DAY, ORDER_ID_BASE, ShipmentFactory, Spec
from .journeys import ExceptionPlan
from .phrasebook import CATEGORIES, Phrasebook, default_phrasebook
from .places import Places, default_places
from .traffic import Traffic, Weighted, default_traffic
from .world import Shipment, World

HOUR = 3600
# Label creation by UTC hour (merchants print labels in Italian office hours).
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 5, 9, 12, 12, 12, 11, 9, 11, 12, 12, 11, 9, 6, 4, 3, 2, 2, 1)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.55, 0.3)  # Mon..Sun
HOURS = Weighted.of({str(h): w for h, w in enumerate(HOUR_WEIGHTS)})
TIE_ORDER = ("damage_lost", "customs_border", "address", "recipient", "depot_network", "other")


def ts(text: str) -> int:
    return int(parse_instant(text, "instant").timestamp())


# ---- the seed's worked example -------------------------------------------------------------
WE_AS_OF = ts("2026-03-12T08:00:00Z")
WE_WINDOW = (ts("2026-02-10T00:00:00Z"), ts("2026-03-12T00:00:00Z"))
WE_PRIOR = (ts("2026-01-11T00:00:00Z"), ts("2026-02-10T00:00:00Z"))
WE_CARRIERS = ("BRT", "Poste Italiane", "DHL Express", "GLS")
WE_TOTALS = {"BRT": 6000, "Poste Italiane": 4000, "DHL Express": 2500, "GLS": 3500}
WE_ROWS = ("address", "recipient", "depot_network", "customs_border", "damage_lost")
WE_MATRIX = ((50, 50, 8, 30), (40, 50, 10, 22), (40, 50, 4, 16), (8, 10, 26, 12), (12, 20, 2, 4))
WORKED_EXAMPLE_EXPECTED = {
    "denominator": 16000,
    "numerator": 464,
    "by_category": {"address": 138, "recipient": 122, "depot_network": 110,
                    "customs_border": 56, "damage_lost": 38},
    "by_carrier": {"BRT": 150, "Poste Italiane": 180, "DHL Express": 50, "GLS": 84},
    "denominator_by_carrier": dict(WE_TOTALS),
}


class _Context:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.phrasebook: Phrasebook = default_phrasebook()
        self.places: Places = default_places()
        self.traffic: Traffic = default_traffic()

    def choose(self, weighted: Weighted) -> str:
        return self.rng.choices(weighted.items, cum_weights=weighted.cum_weights)[0]

    def label_times(self, start: int, end: int, count: int) -> list[int]:
        """``count`` label instants in ``[start, end)``, office-hours and weekday weighted."""
        rng = self.rng
        days = [start + i * DAY for i in range((end - start + DAY - 1) // DAY)]
        day_weights = [WEEKDAY_WEIGHTS[datetime.fromtimestamp(d, UTC).weekday()] for d in days]
        picked_days = rng.choices(days, weights=day_weights, k=count)
        hours = rng.choices(range(24), cum_weights=HOURS.cum_weights, k=count)
        out = []
        for d, h in zip(picked_days, hours, strict=True):
            t = d + h * HOUR + rng.randrange(HOUR)
            out.append(t if t < end else end - 1 - rng.randrange(HOUR))
        return out

    def lane(self, carrier: str, customs: bool | None = None) -> str:
        weighted = self.traffic.lanes.get(carrier) or Weighted.of({"IT": 1})
        if customs is None:
            return self.choose(weighted)
        options = {c: w for c, w in zip(weighted.items, _weights(weighted), strict=True)
                   if self.places.customs_lane(c) == customs}
        if not options:
            options = {c: 1.0 for c in self.places.countries
                       if self.places.customs_lane(c) == customs}
        return self.choose(Weighted.of(options))

    def lane_kind(self, country: str) -> str:
        if country == "IT":
            return "domestic"
        return "customs" if self.places.customs_lane(country) else "eu"

    def random_plan(self, country: str, first: str | None = None, **timing: int) -> ExceptionPlan:
        """Exception categories for one exception shipment, drawn from the traffic mix."""
        rng = self.rng
        customs = self.places.customs_lane(country)
        if first is None:
            if customs and rng.random() < self.traffic.customs_lane_customs_share:
                first = "customs_border"
            else:
                first = self.choose(self.traffic.categories)
        categories = [first]
        if rng.random() < self.traffic.second_exception:
            others = [c for c in CATEGORIES if c != first and (customs or c != "customs_border")]
            categories.append(rng.choice(others))
        return ExceptionPlan(tuple(categories), **timing)


def _weights(w: Weighted) -> list[float]:
    prev, out = 0.0, []
    for c in w.cum_weights:
        out.append(c - prev)
        prev = c
    return out


def _assemble(ctx: _Context, scenario: str, seed: int, specs: list[Spec], as_of: int) -> World:
    specs.sort(key=lambda s: s.created)
    factory = ShipmentFactory(ctx.rng, ctx.phrasebook, ctx.places, ctx.traffic)
    shipments: list[Shipment] = [factory.build(ORDER_ID_BASE + i, spec)
                                 for i, spec in enumerate(specs)]
    carriers = {
        name: [{"CarrierID": book.carrier_id + i, "CarrierService": service,
                "Label": f"{name} {service}"} for i, service in enumerate(book.services)]
        for name, book in ctx.phrasebook.carriers.items()
        if any(s.carrier for s in specs if s.carrier == name)
    }
    start = shipments[0].created if shipments else as_of
    end = max((s.events[-1].date for s in shipments if s.events), default=as_of)
    return World(scenario, seed, start, max(end, as_of), as_of, carriers, shipments)


def _regular_specs(ctx: _Context, start: int, end: int, count: int,
                   carriers: Weighted | None = None, rate_scale: float = 1.0) -> list[Spec]:
    """Outbound labels plus Easy Return legs with the traffic file's exception mix."""
    rng = ctx.rng
    traffic = ctx.traffic
    carriers = carriers or traffic.carriers
    specs: list[Spec] = []
    for created in ctx.label_times(start, end, count):
        carrier = ctx.choose(carriers)
        country = ctx.lane(carrier)
        plan = ExceptionPlan()
        if rng.random() < traffic.exception_rate[ctx.lane_kind(country)] * rate_scale:
            plan = ctx.random_plan(country)
        specs.append(Spec(created, carrier, country, False, plan))
    returns = round(count * traffic.return_share)
    return_carriers = Weighted.of({c: w for c, w in zip(
        traffic.return_carriers.items, _weights(traffic.return_carriers), strict=True)
        if c in carriers.items}) if carriers is not traffic.carriers else traffic.return_carriers
    for created in ctx.label_times(start, end, returns):
        plan = ExceptionPlan()
        if rng.random() < traffic.return_exception_rate:
            plan = ctx.random_plan("IT")
        specs.append(Spec(created, ctx.choose(return_carriers), "IT", True, plan))
    return specs


def _worked_example(ctx: _Context, seed: int) -> World:
    rng = ctx.rng
    w_start, w_end = WE_WINDOW
    specs: list[Spec] = []
    for col, carrier in enumerate(WE_CARRIERS):
        total = WE_TOTALS[carrier]
        late = 8  # labels in the last UTC hour of the window: their events land after as_of
        created = ctx.label_times(w_start, w_end, total - late)
        created += [w_end - HOUR + rng.randrange(HOUR) for _ in range(late)]
        rng.shuffle(created)
        categories = [row for r, row in enumerate(WE_ROWS) for _ in range(WE_MATRIX[r][col])]
        for i, t in enumerate(created):
            if i < len(categories):
                first = categories[i]
                country = ctx.lane(carrier, customs=True if first == "customs_border" else None)
                specs.append(Spec(t, carrier, country, False,
                                  ctx.random_plan(country, first, not_after=WE_AS_OF)))
                continue
            country = ctx.lane(carrier)
            plan = ExceptionPlan()
            if t >= w_end - 2 * DAY and rng.random() < 0.05:
                # clean by the reading, but an exception arrives after it (must not count)
                plan = ctx.random_plan(country, rng.choice(("address", "recipient",
                                                            "depot_network")),
                                       not_before=WE_AS_OF)
            specs.append(Spec(t, carrier, country, False, plan))
    carriers = Weighted.of(WE_TOTALS)
    # The prior window at ~2.5 % (the exception rate mix is ~2.9 % at scale 1).
    specs += _regular_specs(ctx, *WE_PRIOR, 15000, carriers, rate_scale=0.72)
    # Labels in the last hour of 9 Feb UTC: 10 Feb in Europe/Rome, so only in a Rome window.
    for t in [w_start - HOUR + rng.randrange(HOUR) for _ in range(30)]:
        carrier = ctx.choose(carriers)
        country = ctx.lane(carrier)
        plan = ctx.random_plan(country) if rng.random() < 0.3 else ExceptionPlan()
        specs.append(Spec(t, carrier, country, False, plan))
    # Easy Return legs labelled in the window, with and without exceptions (excluded by default).
    return_carriers = Weighted.of({"BRT": 50, "Poste Italiane": 35, "GLS": 15})
    for t in ctx.label_times(w_start, w_end, 560):
        plan = ExceptionPlan()
        if rng.random() < 0.1:
            plan = ctx.random_plan("IT", not_after=WE_AS_OF)
        specs.append(Spec(t, ctx.choose(return_carriers), "IT", True, plan))
    # Labels on the reading day itself, before the reading (outside the window).
    for t in ctx.label_times(w_end, WE_AS_OF, 90):
        carrier = ctx.choose(carriers)
        specs.append(Spec(t, carrier, ctx.lane(carrier), False, ExceptionPlan()))
    return _assemble(ctx, "worked_example", seed, specs, WE_AS_OF)


def _instant(name: str, value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    text = str(value).strip()
    # a date alone means its UTC midnight; an instant needs its offset
    return int(parse_instant(text, f"param {name}", naive_is_utc=len(text) == 10).timestamp())


def _positive_int(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"param {name}: {value!r} is not an integer") from exc
    if number < 1:
        raise ValueError(f"param {name}: must be >= 1, got {number}")
    return number


def _month(ctx: _Context, seed: int, params: dict[str, Any]) -> World:
    if "end" in params:
        end = _instant("end", params["end"])
    else:
        now = datetime.now(UTC)
        end = int(datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp())
    count = _positive_int("shipments", params.get("shipments", 16000))
    start = end - 30 * DAY
    return _assemble(ctx, "month", seed, _regular_specs(ctx, start, end, count), end)


def _bulk(ctx: _Context, seed: int, params: dict[str, Any]) -> World:
    start = _instant("start", params.get("start", "2026-01-01"))
    days = _positive_int("days", params.get("days", 30))
    count = _positive_int("shipments", params.get("shipments", 4000))
    end = start + days * DAY
    return _assemble(ctx, "bulk", seed, _regular_specs(ctx, start, end, count), end)


SCENARIOS: dict[str, tuple[Callable[..., World], frozenset[str]]] = {
    "worked_example": (lambda ctx, seed, params: _worked_example(ctx, seed), frozenset()),
    "month": (_month, frozenset({"end", "shipments"})),
    "bulk": (_bulk, frozenset({"start", "days", "shipments"})),
}


def generate(scenario: str, seed: int = 7, **params: Any) -> World:
    """Build the world of ``scenario`` deterministically from ``seed``."""
    try:
        builder, allowed = SCENARIOS[scenario]
    except KeyError:
        raise ValueError(f"scenario: unknown {scenario!r} (expected one of "
                         f"{', '.join(sorted(SCENARIOS))})") from None
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(f"scenario {scenario}: unknown param(s) {', '.join(sorted(unknown))} "
                         f"(allowed: {', '.join(sorted(allowed)) or 'none'})")
    return builder(_Context(seed), seed, params)


def canonical_carrier(world_name: str, phrasebook: Phrasebook | None = None) -> str:
    """Map a served carrier spelling (e.g. "Bartolini") to its phrasebook name ("BRT")."""
    book = phrasebook or default_phrasebook()
    for name, carrier in book.carriers.items():
        if world_name in carrier.names:
            return name
    return world_name


def check_worked_example(world: World) -> dict[str, Any]:
    """The card's counts for the worked example, computed from the ground-truth fields."""
    w_start, w_end = WE_WINDOW
    denominator = 0
    by_category: dict[str, int] = {}
    by_carrier: dict[str, int] = {}
    denominator_by_carrier: dict[str, int] = {}
    matrix: dict[str, dict[str, int]] = {}
    for s in world.shipments:
        if s.is_return or not (w_start <= s.created < w_end):
            continue
        carrier = canonical_carrier(s.carrier_name)
        denominator += 1
        denominator_by_carrier[carrier] = denominator_by_carrier.get(carrier, 0) + 1
        exceptions = [e for e in s.events
                      if e.truth_category is not None and e.date <= world.as_of]
        if not exceptions:
            continue
        first = min(exceptions, key=lambda e: (e.date, TIE_ORDER.index(e.truth_category)))
        category = first.truth_category
        by_category[category] = by_category.get(category, 0) + 1
        by_carrier[carrier] = by_carrier.get(carrier, 0) + 1
        matrix.setdefault(category, {})
        matrix[category][carrier] = matrix[category].get(carrier, 0) + 1
    return {
        "as_of": datetime.fromtimestamp(world.as_of, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window": [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                   for t in WE_WINDOW],
        "denominator": denominator,
        "numerator": sum(by_category.values()),
        "by_category": by_category,
        "by_carrier": by_carrier,
        "denominator_by_carrier": denominator_by_carrier,
        "matrix": matrix,
    }


def worked_example_matrix() -> dict[str, dict[str, int]]:
    """The expected category x carrier matrix of the worked example."""
    return {row: {c: WE_MATRIX[r][i] for i, c in enumerate(WE_CARRIERS)}
            for r, row in enumerate(WE_ROWS)}


__all__ = ["SCENARIOS", "WORKED_EXAMPLE_EXPECTED", "canonical_carrier", "check_worked_example",
           "generate", "worked_example_matrix"]
