"""Evaluate a card in the warehouse and build its JSON payload.

One aggregate query per card runs inside the warehouse over the card's shipment set
(``shipment_sets.shipment_set``) for the prior window plus the current window: it groups by a
day bucket (bounds computed in Python with ``zoneinfo`` and bound as UTC instants) and by the
breakdown dimensions, so only a few hundred aggregated rows come back. A second tiny query
reads the freshness watermark (latest ``tracking_events.synced_at``). Ratios, Wilson interval,
deltas and status are computed in Python from the integer counts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from metric_cards.classification_coverage import classification_coverage
from metric_cards.connection import connect, open_engine, safe_url
from metric_cards.contract_check import check_contract
from metric_cards.definitions import CardDefinition
from metric_cards.dialect import instant, to_utc
from metric_cards.errors import WarehouseError
from metric_cards.holidays import annotations
from metric_cards.params import CardParams, resolve, threshold_names
from metric_cards.registry import get_card
from metric_cards.shipment_sets import attribution_of, shipment_set
from metric_cards.stats import card_status, wilson_interval
from metric_cards.warehouse import contract_tables
from shipping_core.windows import (
    Window,
    day_start_utc,
    iso_utc,
    local_days,
    parse_instant,
    prior_window,
    window_ending_before,
    zone,
)

log = logging.getLogger(__name__)

PRIOR_BUCKET = -1


@dataclass(frozen=True)
class Reading:
    """Aggregated rows of one evaluation: (bucket, dims..., numerator, denominator)."""

    dims: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def evaluate(card: CardDefinition | str, engine: Engine | str, as_of: datetime | str,
             timezone: str | None = None, params: dict[str, Any] | None = None,
             schema: str | None = "raw") -> dict[str, Any]:
    """Evaluate ``card`` as of ``as_of`` in ``timezone`` (default: the card's, UTC).

    ``engine`` is a SQLAlchemy Engine or URL; ``schema`` qualifies the contract tables
    (``raw`` for the DuckDB loader, ``None`` for SQLite). ``params`` overrides the card's
    parameters (``exclude_returns``, ``include_transient``, thresholds, ``min_sample``,
    ``carriers``). Returns the card payload (JSON-serialisable dict).
    """
    definition = get_card(card) if isinstance(card, str) else card
    resolved = resolve(definition, params)
    moment = parse_instant(as_of) if isinstance(as_of, str) else as_of
    if moment.tzinfo is None:
        raise ValueError("as_of: expected a timezone-aware instant, got a naive datetime")
    moment = moment.astimezone(UTC)
    window, prior = card_windows(definition, moment, timezone)
    owned = isinstance(engine, str)
    eng = open_engine(engine) if isinstance(engine, str) else engine
    try:
        with connect(eng) as conn:
            if "stall" in definition.data:  # read at the instant (metric_cards.stalled)
                from metric_cards.stalled import StallRule, evaluate_stalled, in_flight_set
                zone_name = timezone or definition.timezone
                lookback = window_ending_before(moment, zone_name, definition.window_days)
                flight = in_flight_set(definition, resolved, StallRule.of(definition),
                                       as_of=moment, start=lookback.start, timezone=zone_name,
                                       schema=schema)
                check_contract(conn, schema, [flight, freshness_query(schema)],
                               f"card {definition.id}")
                return evaluate_stalled(conn, definition, resolved, moment, timezone, schema,
                                        latest_sync(conn, schema))
            query = aggregate_query(definition, resolved, moment, window, prior, schema)[0]
            check_contract(conn, schema, [query, freshness_query(schema)],
                           f"card {definition.id}")
            reading = aggregate(conn, definition, resolved, moment, window, prior, schema)
            watermark = latest_sync(conn, schema)
            quality = classification_coverage(conn, schema, window)
    finally:
        if owned:
            eng.dispose()
    log.info("evaluated card %s as of %s (%s, schema %s)", definition.id, iso_utc(moment),
             window.timezone, schema)
    payload = build_payload(definition, resolved, moment, window, prior, reading, watermark)
    payload.setdefault("data_quality", {}).update(quality)
    return payload


def card_windows(card: CardDefinition, as_of: datetime,
                 timezone: str | None = None) -> tuple[Window, Window]:
    """(window, prior window) of ``card`` read at ``as_of`` in ``timezone`` (default: card's)."""
    tz = timezone or card.timezone
    zone(tz)
    window = window_ending_before(as_of, tz, card.window_days)
    return window, prior_window(window, card.compare_days)


def aggregate_query(card: CardDefinition, params: CardParams, as_of: datetime, window: Window,
                    prior: Window, schema: str | None) -> tuple[Select[Any], tuple[str, ...]]:
    """The card's one aggregate query and its dimension column names.

    Rows: ``(bucket, dims..., num, den)`` where bucket ``-1`` is the prior window and
    ``0..N-1`` the local days of the current window.
    """
    fields: list[str] = []
    for b in card.breakdowns:
        fields += [f for f in b.fields if f not in fields]
    has_key = attribution_of(card) is not None
    shipments = shipment_set(card, params, as_of=as_of, start=prior.start, end=window.end,
                             schema=schema, fields=fields or ("carrier",),
                             timezone=window.timezone).subquery("card_set")
    day_ends = [day_start_utc(d + timedelta(days=1), zone(window.timezone))
                for d in local_days(window)]
    bucket = case((shipments.c.anchor_at < instant(window.start), PRIOR_BUCKET),
                  *[(shipments.c.anchor_at < instant(end), i) for i, end in enumerate(day_ends)],
                  else_=len(day_ends))
    dim_cols = [shipments.c[f] for f in fields]
    if has_key:
        dim_cols.append(shipments.c.attribution_key)
    bucketed = select(bucket.label("bucket"), shipments.c.in_numerator, *dim_cols).subquery("b")
    dims = [bucketed.c[c.name] for c in dim_cols]
    query = (select(bucketed.c.bucket, *dims, func.sum(bucketed.c.in_numerator).label("num"),
                    func.count().label("den"))
             .group_by(bucketed.c.bucket, *dims))
    return query, tuple(c.name for c in dims)


def aggregate(conn: Connection, card: CardDefinition, params: CardParams, as_of: datetime,
              window: Window, prior: Window, schema: str | None) -> Reading:
    """Run the card's aggregate query (prior bucket + one bucket per local day)."""
    query, dims = aggregate_query(card, params, as_of, window, prior, schema)
    try:
        rows = [tuple(r) for r in conn.execute(query)]
    except SQLAlchemyError as exc:
        raise WarehouseError(f"card {card.id}: query failed on {safe_url(conn.engine)}: "
                             f"{str(exc).splitlines()[0]}") from exc
    return Reading(dims, rows)


def freshness_query(schema: str | None) -> Select[Any]:
    """The freshness watermark: the latest ``tracking_events.synced_at``."""
    events = contract_tables(schema).tracking_events
    return select(func.max(events.c.synced_at))


def latest_sync(conn: Connection, schema: str | None) -> datetime | None:
    return to_utc(conn.execute(freshness_query(schema)).scalar())


def build_payload(card: CardDefinition, params: CardParams, as_of: datetime, window: Window,
                  prior: Window, reading: Reading, watermark: datetime | None) -> dict[str, Any]:
    """The card payload (binding keys, see docs/metric-cards.md)."""
    current = [r for r in reading.rows if r[0] != PRIOR_BUCKET]
    num = sum(int(r[-2] or 0) for r in current)
    den = sum(int(r[-1]) for r in current)
    prior_rows = [r for r in reading.rows if r[0] == PRIOR_BUCKET]
    p_num = sum(int(r[-2] or 0) for r in prior_rows)
    p_den = sum(int(r[-1]) for r in prior_rows)
    value = card_value(card, num, den)
    prior_value = card_value(card, p_num, p_den)
    status = card_status(value, den, kind=card.kind, direction=card.direction,
                         warn=params.warn, critical=params.critical, min_sample=params.min_sample)
    interval = None
    if card.kind == "ratio":
        bounds = wilson_interval(num, den)
        if bounds is not None:
            interval = {"method": "wilson", "level": 0.95, "low": bounds[0], "high": bounds[1]}
    comparison = comparison_payload(card, prior, value, prior_value, num, p_num, p_den)
    warn_name, crit_name = threshold_names(card)
    payload: dict[str, Any] = {
        "card_id": card.id,
        "label": card.label,
        "kind": card.kind,
        "direction": card.direction,
        "as_of": iso_utc(as_of),
        "timezone": window.timezone,
        "window": {**window.as_payload(), "first_day": window.first_day.isoformat(),
                   "last_day": window.last_day.isoformat()},
        "value": value,
        "numerator": num,
        "denominator": den,
        "interval": interval,
        "status": status.value,
        "status_reason": status.reason,
        "thresholds": {warn_name: params.warn, crit_name: params.critical},
        "min_sample": params.min_sample,
        "params": params.as_payload(warn_name, crit_name),
        "comparison": comparison,
        "breakdowns": breakdowns_payload(card, params, reading, current, den),
        "series": series_payload(window, current),
        "freshness": {"latest_synced_at": iso_utc(watermark) if watermark else None,
                      "lag_hours": round((as_of - watermark).total_seconds() / 3600, 2)
                      if watermark else None},
        "annotations": [a.as_payload() for a in
                        annotations(window.first_day, window.last_day, "window")
                        + annotations(prior.first_day, prior.last_day, "comparison")],
        "relations": relations_payload(card, comparison),
        "siblings": [{"card": s["card"], "reason": s["reason"]} for s in card.data["siblings"]],
        "reconciliation_differences": list(card.data.get("reconciliation_differences", [])),
    }
    return payload


def card_value(card: CardDefinition, num: int, den: int) -> float | None:
    if card.kind == "count":
        return float(num) if den > 0 or num > 0 else None
    return num / den if den else None


def comparison_payload(card: CardDefinition, prior: Window, value: float | None,
                       prior_value: float | None, num: int, p_num: int,
                       p_den: int) -> dict[str, Any]:
    evaluable = p_den > 0 and value is not None and prior_value is not None
    delta_pp = None
    delta = None
    if evaluable and value is not None and prior_value is not None:
        if card.kind == "ratio":
            delta_pp = (value - prior_value) * 100
        else:
            delta = num - p_num
    return {"window": {**prior.as_payload(), "first_day": prior.first_day.isoformat(),
                       "last_day": prior.last_day.isoformat()},
            "value": prior_value if p_den > 0 else None,
            "numerator": p_num, "denominator": p_den,
            "delta_pp": delta_pp, "delta": delta,
            "status": "ok" if evaluable else "not_evaluable"}


def breakdowns_payload(card: CardDefinition, params: CardParams, reading: Reading,
                       current: list[tuple[Any, ...]],
                       total: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    index = {name: i + 1 for i, name in enumerate(reading.dims)}
    for b in card.breakdowns:
        if b.first_event_field:
            counts: dict[str, int] = dict.fromkeys(b.tie_break, 0)
            for r in current:
                n = int(r[-2] or 0)
                if n:
                    key = r[index["attribution_key"]] or "unknown"
                    counts[key] = counts.get(key, 0) + n
            order = {k: i for i, k in enumerate(b.tie_break)}
            rows = [{"key": k, "numerator": n, "share_of_total": n / total if total else None}
                    for k, n in counts.items()]
            rows.sort(key=lambda row: (-row["numerator"], order.get(row["key"], len(order)),
                                       row["key"]))
            out[b.id] = rows
            continue
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
        for r in current:
            key = tuple(r[index[f]] for f in b.fields)
            groups[key][0] += int(r[-2] or 0)
            groups[key][1] += int(r[-1])
        rate_rows = []
        for key, (n, d) in groups.items():
            row_value = card_value(card, n, d)
            row: dict[str, Any] = {"key": route_key(b.fields, key),
                                   "fields": dict(zip(b.fields, key, strict=True)),
                                   "numerator": n, "denominator": d}
            if b.rows == "share_of_total":
                row["share_of_total"] = n / total if total else None
            else:
                row["value"] = row_value
                row["status"] = card_status(row_value, d, kind=card.kind,
                                            direction=card.direction, warn=params.warn,
                                            critical=params.critical,
                                            min_sample=params.min_sample).value
            rate_rows.append(row)
        rate_rows.sort(key=lambda row: (-row["numerator"], -row["denominator"], row["key"]))
        out[b.id] = rate_rows
    return out


def route_key(fields: tuple[str, ...], values: tuple[Any, ...]) -> str:
    """``("brt", "IT", "GB")`` for carrier/origin/destination → ``brt IT→GB``."""
    named = dict(zip(fields, ("unknown" if v is None else str(v) for v in values), strict=True))
    lane = "→".join(named.pop(f) for f in ("origin_country", "destination_country") if f in named)
    return " ".join([*named.values(), lane] if lane else named.values())


def series_payload(window: Window, current: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    days = local_days(window)
    num = [0] * len(days)
    den = [0] * len(days)
    for r in current:
        i = int(r[0])
        if 0 <= i < len(days):
            num[i] += int(r[-2] or 0)
            den[i] += int(r[-1])
    return [{"date": d.isoformat(), "numerator": n, "denominator": m}
            for d, n, m in zip(days, num, den, strict=True)]


def relations_payload(card: CardDefinition, comparison: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for rel in card.data.get("relations", []):
        delta = comparison["delta_pp"]
        out.append({"type": rel["type"], "target": rel["target"], "lag_days": rel["lag_days"],
                    "effect_pp_per_pp": rel["effect_pp_per_pp"],
                    "expected_change_pp": delta * rel["effect_pp_per_pp"]
                    if delta is not None else None,
                    "estimate": True, "note": rel["note"]})
    return out


def count_shipment_set(conn: Connection, card: CardDefinition, params: CardParams, *,
                       as_of: datetime, start: datetime, end: datetime,
                       schema: str | None) -> tuple[int, int]:
    """(numerator, denominator) of ``card`` over ``[start, end)`` — one aggregate query."""
    ss = shipment_set(card, params, as_of=as_of, start=start, end=end, schema=schema).subquery()
    row = conn.execute(select(func.coalesce(func.sum(ss.c.in_numerator), 0), func.count())).one()
    return int(row[0]), int(row[1])


def fetch_shipment_set(conn: Connection, card: CardDefinition, params: CardParams, *,
                       as_of: datetime, start: datetime, end: datetime, schema: str | None,
                       numerator_only: bool = False) -> list[dict[str, Any]]:
    """Rows of the card's shipment set (for shipment-by-shipment reconciliation).

    Timestamps come back as aware UTC datetimes whatever the dialect stores.
    """
    ss = shipment_set(card, params, as_of=as_of, start=start, end=end, schema=schema).subquery()
    query = select(ss)
    if numerator_only:
        query = query.where(ss.c.in_numerator == 1)
    out = []
    for row in conn.execute(query.order_by(ss.c.shipment_id)).mappings():
        item = dict(row)
        for key in ("anchor_at", "first_event_at"):
            item[key] = to_utc(item[key])
        out.append(item)
    return out
