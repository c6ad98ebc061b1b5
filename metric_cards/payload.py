"""The card payload (binding keys, see docs/metric-cards.md) built from aggregated counts.

Ratios, Wilson interval, deltas, status, breakdowns, the daily series and relations are
computed in Python from the integer counts of ``metric_cards.query``; nothing here queries
(and nothing imports SQLAlchemy: the plan-cache path builds payloads without it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from metric_cards.definitions import CardDefinition
from metric_cards.holidays import annotations
from metric_cards.params import CardParams, threshold_names
from metric_cards.reading import PRIOR_BUCKET, Reading
from metric_cards.stats import card_status, wilson_interval
from shipping_core.windows import Window, iso_utc, local_days


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
        "siblings": [{"card": s.card, "reason": s.reason} for s in card.siblings],
        "reconciliation_differences": card.reconciliation_differences,
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
    for rel in card.relations:
        delta = comparison["delta_pp"]
        out.append({"type": rel.type, "target": rel.target, "lag_days": rel.lag_days,
                    "effect_pp_per_pp": rel.effect_pp_per_pp,
                    "expected_change_pp": delta * rel.effect_pp_per_pp
                    if delta is not None else None,
                    "estimate": True, "note": rel.note})
    return out
