"""Stall cards: in-flight shipments with no carrier event for N business days, read at an instant.

A card with a ``stall`` block is evaluated here instead of by window buckets. Each reading is a
point in time ``t``: the in-flight set is the shipments created from the start of the look-back
window (``time.window_days`` local days before ``t``'s day) up to ``t``, not delivered at ``t`` and
with no terminal event (delivered, returned, cancelled) at or before ``t``. A shipment's reference
instant is its last tracking event at or before ``t`` (else ``shipped_at``, else ``created_at``:
parcels the carrier never scanned stall too, under the milestone ``no_carrier_scan``). A
shipment the contract marks ``is_terminal`` (delivered, returned, cancelled, lost, destroyed)
whose ``updated_at`` is at or before ``t`` is closed too.

Business-day arithmetic stays in Python (``metric_cards.business_days``): for each carrier the
engine binds the UTC instant at which the cutoff day starts in the card's zone, and the warehouse
only compares instants, so every dialect counts the same shipments. One aggregate query per
reading (grouped by carrier, last milestone and stalled flag) plus one bounded list query. The
SQL lives in ``metric_cards.stall_sql``; this module reads the rows through any
``metric_cards.readers.Reader`` and imports no SQLAlchemy (a cached plan serves it too).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from metric_cards.business_days import business_days_between, stall_cutoff_day
from metric_cards.definitions import CardDefinition
from metric_cards.errors import WarehouseError
from metric_cards.holidays import annotations
from metric_cards.instants import to_utc
from metric_cards.params import CardParams, threshold_names
from metric_cards.payload import card_value
from metric_cards.readers import QueryFailed, Reader, Rows
from metric_cards.stats import card_status, wilson_interval
from shipping_core.windows import (
    Window,
    day_start_utc,
    iso_utc,
    local_days,
    window_ending_before,
    zone,
)

log = logging.getLogger(__name__)

NO_SCAN = "no_carrier_scan"
DEFAULT_KEY = "*"


@dataclass(frozen=True)
class StallRule:
    """Business days per carrier (``DEFAULT_KEY`` for the others) and the list bound."""

    business_days: int
    per_carrier: dict[str, int]
    list_limit: int
    calendar: str = "it_national"

    @classmethod
    def of(cls, card: CardDefinition) -> StallRule:
        spec = card.stall
        if spec is None:
            raise ValueError(f"card {card.id}: not a stall card (no 'stall' block)")
        return cls(spec.business_days, dict(spec.per_carrier), spec.list_limit, spec.calendar)

    def days_for(self, carrier: str | None) -> int:
        return self.per_carrier.get(carrier or "", self.business_days)

    def cutoffs(self, as_of: datetime, timezone: str) -> dict[str, datetime]:
        """UTC instant per carrier: stalled ⇔ reference instant < cutoff."""
        tz = zone(timezone)
        today = as_of.astimezone(tz).date()
        days = {DEFAULT_KEY: self.business_days, **self.per_carrier}
        return {key: day_start_utc(stall_cutoff_day(today, n), tz) for key, n in days.items()}


@dataclass(frozen=True)
class StallReading:
    as_of: datetime
    lookback: Window
    rows: list[tuple[str | None, str, int, int]]   # carrier, last milestone, stalled, count

    @property
    def numerator(self) -> int:
        return sum(n for _, _, stalled, n in self.rows if stalled)

    @property
    def denominator(self) -> int:
        return sum(n for *_, n in self.rows)


def statement_name(kind: str, as_of: datetime) -> str:
    """``<kind>@<instant>``: the name of a stall statement read at ``as_of``."""
    return f"{kind}@{as_of.astimezone(UTC).isoformat()}"


def statement_instant(name: str) -> tuple[str, datetime]:
    """(kind, instant) of a ``statement_name``."""
    kind, _, text = name.partition("@")
    return kind, datetime.fromisoformat(text)


def _rows(reader: Reader, card: CardDefinition, name: str) -> Rows:
    try:
        return reader.rows(name)
    except QueryFailed as exc:
        raise WarehouseError(f"card {card.id}: query failed: {exc.detail}") from exc


def read(reader: Reader, card: CardDefinition, as_of: datetime, timezone: str) -> StallReading:
    """Aggregate counts of one reading instant."""
    lookback = window_ending_before(as_of, timezone, card.window_days)
    rows = [(r[0], str(r[1]), int(r[2]), int(r[3]))
            for r in _rows(reader, card, statement_name("stall_counts", as_of)).rows]
    return StallReading(as_of, lookback, rows)


def listing(reader: Reader, card: CardDefinition, rule: StallRule, reading: StallReading,
            timezone: str) -> dict[str, Any]:
    """The stalled shipments to act on, longest-stalled first, at most ``list_limit``."""
    tz = zone(timezone)
    today = reading.as_of.astimezone(tz).date()
    rows = []
    found = _rows(reader, card, statement_name("stall_list", reading.as_of)) \
        if rule.list_limit else Rows((), [])
    for values in found.rows:
        r = dict(zip(found.keys, values, strict=True))
        ref = to_utc(r["reference_at"])
        assert ref is not None
        rows.append({"shipment_id": r["shipment_id"], "tracking_number": r["tracking_number"],
                     "carrier": r["carrier"], "last_milestone": r["last_milestone"],
                     "last_event_at": iso_utc(ref),
                     "business_days_stalled": business_days_between(ref.astimezone(tz).date(),
                                                                    today),
                     "threshold_business_days": rule.days_for(r["carrier"])})
    return {"limit": rule.list_limit, "total": reading.numerator, "truncated":
            reading.numerator > len(rows), "order": "longest stalled first", "rows": rows}


def evaluate_stalled(reader: Reader, card: CardDefinition, params: CardParams,
                     as_of: datetime, timezone: str | None) -> dict[str, Any]:
    """The payload of a stall card read at ``as_of`` (same keys as every card payload), from
    the statements of ``metric_cards.stall_sql.stall_statements`` for the same zone."""
    tz = timezone or card.timezone
    zone(tz)
    rule = StallRule.of(card)
    reader.check((statement_name("stall_flight", as_of), "freshness"), f"card {card.id}")
    watermark = to_utc(_rows(reader, card, "freshness").rows[0][0])
    now = read(reader, card, as_of, tz)
    prior_at = as_of - timedelta(days=card.compare_days)
    prior = read(reader, card, prior_at, tz)
    window = now.lookback
    series = _series(reader, card, window, as_of, tz)
    num, den = now.numerator, now.denominator
    value = card_value(card, num, den)
    prior_value = card_value(card, prior.numerator, prior.denominator)
    status = card_status(value, den, kind=card.kind, direction=card.direction, warn=params.warn,
                         critical=params.critical, min_sample=params.min_sample)
    bounds = wilson_interval(num, den)
    warn_name, crit_name = threshold_names(card)
    log.info("evaluated stall card %s as of %s (%s): %d of %d in flight stalled", card.id,
             iso_utc(as_of), tz, num, den)
    return {
        "card_id": card.id,
        "label": card.label,
        "kind": card.kind,
        "direction": card.direction,
        "as_of": iso_utc(as_of),
        "timezone": tz,
        "window": _window(window),
        "value": value,
        "numerator": num,
        "denominator": den,
        "interval": {"method": "wilson", "level": 0.95, "low": bounds[0], "high": bounds[1]}
        if bounds else None,
        "status": status.value,
        "status_reason": status.reason,
        "thresholds": {warn_name: params.warn, crit_name: params.critical},
        "min_sample": params.min_sample,
        "params": params.as_payload(warn_name, crit_name),
        "stall": {"business_days": rule.business_days, "per_carrier": rule.per_carrier,
                  "calendar": rule.calendar,
                  "reading_day": as_of.astimezone(zone(tz)).date().isoformat(),
                  "cutoffs": {k: iso_utc(v) for k, v in rule.cutoffs(as_of, tz).items()}},
        "comparison": _comparison(prior_at, prior, value, prior_value),
        "breakdowns": _breakdowns(card, params, now),
        "series": series,
        "list": listing(reader, card, rule, now, tz),
        "freshness": {"latest_synced_at": iso_utc(watermark) if watermark else None,
                      "lag_hours": round((as_of - watermark).total_seconds() / 3600, 2)
                      if watermark else None},
        "annotations": [a.as_payload() for a in
                        annotations(window.first_day, as_of.astimezone(zone(tz)).date(),
                                    "window")],
        "relations": [],
        "siblings": [{"card": s.card, "reason": s.reason} for s in card.siblings],
        "reconciliation_differences": card.reconciliation_differences,
    }


def _series(reader: Reader, card: CardDefinition, window: Window, as_of: datetime,
            tz: str) -> list[dict[str, Any]]:
    """The card read at the end of each of the last ``2 * compare_days`` local days."""
    series = []
    for day in local_days(window)[-card.compare_days * 2:]:
        end = min(day_start_utc(day + timedelta(days=1), zone(tz)), as_of)
        point = read(reader, card, end, tz)
        series.append({"date": day.isoformat(), "numerator": point.numerator,
                       "denominator": point.denominator,
                       "as_of": iso_utc(end)})
    return series


def _comparison(prior_at: datetime, prior: StallReading, value: float | None,
                prior_value: float | None) -> dict[str, Any]:
    """The reading ``compare_days`` earlier and the change since, in percentage points."""
    evaluable = prior.denominator > 0 and value is not None and prior_value is not None
    return {"as_of": iso_utc(prior_at), "window": _window(prior.lookback),
            "value": prior_value if prior.denominator else None,
            "numerator": prior.numerator, "denominator": prior.denominator,
            "delta_pp": (value - prior_value) * 100 if evaluable and value is not None
            and prior_value is not None else None,
            "delta": None, "status": "ok" if evaluable else "not_evaluable"}


def _window(window: Window) -> dict[str, str]:
    return {**window.as_payload(), "first_day": window.first_day.isoformat(),
            "last_day": window.last_day.isoformat()}


def _breakdowns(card: CardDefinition, params: CardParams,
                reading: StallReading) -> dict[str, list[dict[str, Any]]]:
    column = {"carrier": 0, "last_milestone": 1}
    total = reading.denominator
    out: dict[str, list[dict[str, Any]]] = {}
    for b in card.breakdowns:
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
        for row in reading.rows:
            key = tuple(row[column[f]] for f in b.fields)
            groups[key][0] += row[3] if row[2] else 0
            groups[key][1] += row[3]
        rows = []
        for key, (n, d) in groups.items():
            name = " ".join("unknown" if v is None else str(v) for v in key)
            if b.rows == "share_of_total":
                if n:
                    rows.append({"key": name, "numerator": n,
                                 "share_of_total": n / total if total else None})
                continue
            v = card_value(card, n, d)
            rows.append({"key": name, "fields": dict(zip(b.fields, key, strict=True)),
                         "numerator": n, "denominator": d, "value": v,
                         "status": card_status(v, d, kind=card.kind, direction=card.direction,
                                               warn=params.warn, critical=params.critical,
                                               min_sample=params.min_sample).value})
        rows.sort(key=lambda r: (-r["numerator"], -r.get("denominator", 0), r["key"]))
        out[b.id] = rows
    return out

