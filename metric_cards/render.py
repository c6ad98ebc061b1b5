"""Plain-text rendering of a card payload, laid out like the vendor card (dial, vs prior,
status, category table with "Shipments affected" / "% of total", carrier table)."""

from __future__ import annotations

from typing import Any


def pct(value: float | None, decimals: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{decimals}f}%"


def num(value: int | float | None) -> str:
    if value is None:
        return "n/a"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def category_label(key: str) -> str:
    """``depot_network`` → ``Depot / network``."""
    words = key.split("_")
    return " / ".join([words[0].capitalize(), *words[1:]])


def render(payload: dict[str, Any]) -> str:
    ratio = payload["kind"] == "ratio"
    fmt = pct if ratio else num
    w = payload["window"]
    lines = [f"{payload['label']} ({payload['card_id']})",
             f"As of {payload['as_of']}; window {w['first_day']} to {w['last_day']} "
             f"({payload['timezone']})", ""]
    dial = f"  {fmt(payload['value'])}   ({num(payload['numerator'])} / "
    dial += f"{num(payload['denominator'])})"
    if payload.get("interval"):
        iv = payload["interval"]
        dial += f"   95% CI {pct(iv['low'])} to {pct(iv['high'])}"
    lines.append(dial)
    c = payload["comparison"]
    if c["status"] == "not_evaluable":
        lines.append(f"  vs prior ({c['window']['first_day']} to {c['window']['last_day']}): "
                     "not evaluable (no shipments in the prior window)")
    else:
        delta = (f"{c['delta_pp']:+.2f} pp" if c["delta_pp"] is not None
                 else f"{c['delta']:+d}")
        lines.append(f"  vs prior ({c['window']['first_day']} to {c['window']['last_day']}): "
                     f"{fmt(c['value'])} ({num(c['numerator'])} / {num(c['denominator'])}), "
                     f"change {delta}")
    lines.append(f"  Status: {payload['status'].upper()} ({payload['status_reason']})")
    basis = payload.get("params", {}).get("promise_basis")
    if basis is not None:
        rule = ("by the end of the promised day" if basis == "day" else
                "by the promised instant when the promise has a time, else by the end of its day")
        lines.append(f"  On time = delivered {rule} in {payload['timezone']} "
                     f"(promise_basis={basis})")
    for name, rows in payload["breakdowns"].items():
        lines.append("")
        if rows and "share_of_total" in rows[0] and "denominator" not in rows[0]:
            lines += _share_table(rows, payload, name)
        else:
            lines += _rate_table(name, rows, fmt)
    if payload["annotations"]:
        lines.append("")
        for a in payload["annotations"]:
            span = a["start"] if a["start"] == a["end"] else f"{a['start']} to {a['end']}"
            lines.append(f"  Note ({a['applies_to']}): {a['name']} {span}: {a['note']}")
    for rel in payload.get("relations", []):
        if rel["expected_change_pp"] is not None:
            lines.append(f"  Estimate: {rel['target']} about {rel['expected_change_pp']:+.2f} pp "
                         f"in {rel['lag_days']:g} days ({rel['effect_pp_per_pp']:g} pp per pp; "
                         "an estimate, not a forecast guarantee)")
    if payload.get("list"):
        lines += _list_table(payload["list"])
    fresh = payload["freshness"]
    lines.append(f"  Data freshness: latest event synced {fresh['latest_synced_at'] or 'never'}")
    return "\n".join(lines)


def _share_table(rows: list[dict[str, Any]], payload: dict[str, Any],
                 name: str = "by_category") -> list[str]:
    title = "Exception category" if name == "by_category" else \
        name.removeprefix("by_").replace("_", " ").capitalize()
    out = [f"  {title:<28}{'Shipments affected':>20}{'% of total':>12}"]
    for r in rows:
        key = category_label(r["key"]) if name == "by_category" else r["key"]
        out.append(f"  {key:<28}{num(r['numerator']):>20}"
                   f"{pct(r['share_of_total']):>12}")
    total = "All exceptions (this card)" if name == "by_category" else "All (this card)"
    out.append(f"  {total:<28}{num(payload['numerator']):>20}"
               f"{pct(payload['value']):>12}")
    out.append(f"  Total shipments in window: {num(payload['denominator'])}")
    return out


def _rate_table(name: str, rows: list[dict[str, Any]], fmt: Any) -> list[str]:
    title = name.removeprefix("by_").replace("_", " ").capitalize()
    out = [f"  {title:<28}{'Numerator':>12}{'Shipments':>12}{'Value':>10}  Status"]
    for r in rows:
        out.append(f"  {r['key']:<28}{num(r['numerator']):>12}{num(r['denominator']):>12}"
                   f"{fmt(r.get('value')):>10}  {r.get('status', '')}")
    return out


def _list_table(listing: dict[str, Any], shown: int = 20) -> list[str]:
    rows = listing["rows"][:shown]
    out = ["", f"  Shipments to act on: {len(rows)} of {listing['total']:,} "
           f"(longest stalled first; --format json lists up to {listing['limit']})",
           f"  {'Shipment':<14}{'Tracking number':<22}{'Carrier':<16}{'Last milestone':<22}"
           f"{'Last event (UTC)':<22}{'Bus. days':>9}"]
    for r in rows:
        out.append(f"  {r['shipment_id']:<14}{r['tracking_number'] or '':<22}"
                   f"{r['carrier'] or '':<16}{r['last_milestone']:<22}{r['last_event_at']:<22}"
                   f"{r['business_days_stalled']:>9}")
    return out
