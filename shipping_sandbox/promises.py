"""Delivery promises the sandbox serves (``EstDeliveryDate``), read from ``promises.yaml``.

Deterministic and free of randomness: the promise follows from the carrier, the service, the
lane and the collection instant (the journey's first carrier scan), so adding promises draws
nothing from the generator's random stream. A day promise is served as the Unix seconds of
that date's 00:00 UTC (no time of day); a time-definite service ("by 12:00") as the instant of
that local time in the recipient's zone. Sources of the figures: docs/sandbox.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from .datafiles import HERE, DataFileError, load_validated
from .world import Address

LANE_KINDS = ("domestic", "eu", "customs")


@dataclass(frozen=True)
class Service:
    days: dict[str, int]  # lane kind -> working days after the collection day
    by: time | None       # a time-definite service's local time of day


@dataclass(frozen=True)
class Promises:
    origin_zone: ZoneInfo
    holidays: frozenset[tuple[int, int]]  # (month, day)
    remote: dict[str, frozenset[str]]
    remote_extra_days: int
    zones: dict[str, dict[str, str]]
    carriers: dict[str, dict[str, Service]]

    def working(self, day: date) -> bool:
        return day.weekday() < 5 and (day.month, day.day) not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """``days`` working days after ``start`` (moved to a working day first)."""
        day = start
        while not self.working(day):
            day += timedelta(days=1)
        for _ in range(days):
            day += timedelta(days=1)
            while not self.working(day):
                day += timedelta(days=1)
        return day

    def zone_of(self, address: Address) -> ZoneInfo:
        zones = self.zones.get(address.country) or {"default": "UTC"}
        return ZoneInfo(zones.get(address.state, zones["default"]))

    def est_delivery(self, carrier: str, service: str, lane_kind: str, collected: int,
                     recipient: Address) -> int:
        """``EstDeliveryDate`` (Unix seconds) for one shipment; 0 when there is no figure."""
        spec = self.carriers.get(carrier, {}).get(service)
        if spec is None:
            return 0
        days = spec.days[lane_kind]
        if lane_kind == "domestic" and recipient.state in self.remote.get(recipient.country, ()):
            days += self.remote_extra_days
        start = datetime.fromtimestamp(collected, UTC).astimezone(self.origin_zone).date()
        day = self.add_working_days(start, days)
        if spec.by is None:
            return int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())
        return int(datetime.combine(day, spec.by, tzinfo=self.zone_of(recipient)).timestamp())


def load_promises(raw: dict) -> Promises:
    for country, zones in raw["zones"].items():
        for state, name in zones.items():
            try:
                ZoneInfo(name)
            except (ValueError, KeyError) as exc:
                raise DataFileError(f"promises.yaml: zones/{country}/{state}: unknown time zone "
                                    f"{name!r} (expected an IANA name)") from exc
    carriers = {
        carrier: {name: Service({k: spec[k] for k in LANE_KINDS},
                                time.fromisoformat(spec["by"]) if "by" in spec else None)
                  for name, spec in services.items()}
        for carrier, services in raw["carriers"].items()}
    holidays = frozenset((int(h[:2]), int(h[3:])) for h in raw["holidays"])
    return Promises(ZoneInfo(raw["origin_zone"]), holidays,
                    {k: frozenset(v) for k, v in raw["remote"].items()},
                    raw["remote_extra_days"], dict(raw["zones"]), carriers)


@lru_cache(maxsize=1)
def default_promises() -> Promises:
    return load_promises(load_validated(HERE / "promises.yaml", HERE / "promises.schema.json"))
