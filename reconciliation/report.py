"""Render a reconciliation payload as a plain-text table for the terminal."""

from __future__ import annotations

from typing import Any

MAX_LISTED = 25


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _signed(n: int) -> str:
    return f"{n:+d}" if n else "0"


def render(payload: dict[str, Any]) -> str:
    """The payload as terminal text: headline, bridge, verdict, then the details it carries."""
    lines = _headline(payload) + _bridge(payload) + _verdict(payload)
    lines += _unexplained_list(payload) + _by_category(payload) + _by_carrier(payload)
    for note in payload["annotations"]:
        lines += ["", f"  NOTE ({note['id']}, {note['first_day']} .. {note['last_day']}): "
                  f"{note['text']}"]
    return "\n".join(lines)


def _headline(payload: dict[str, Any]) -> list[str]:
    w = payload["windows"]
    ours, portal = payload["ours"], payload["portal"]
    lines = [
        f"Exception Rate reconciliation as of {payload['as_of']} "
        f"(rule set {payload['ruleset']}, mode {payload['mode']})",
        f"  ours    {_pct(ours['value']):>9}  {ours['numerator']:>7,} / {ours['denominator']:<9,}"
        f" {w['ours']['timezone']} days {w['ours']['first_day']} .. {w['ours']['last_day']}",
        f"  portal  {_pct(portal['value']):>9}  {portal['numerator']:>7,} / "
        f"{portal['denominator']:<9,} {w['portal']['timezone']} days {w['portal']['first_day']} "
        f".. {w['portal']['last_day']} (recomputed {w['portal_cutoff']})",
    ]
    if payload["mode"] == "rate_only":
        lines.append(f"  NOTE: {payload['bridge_basis']}")
    return lines


def _bridge(payload: dict[str, Any]) -> list[str]:
    """One line per rule, then the unexplained remainder."""
    lines = ["", f"  {'rule':<16}{'Δ numerator':>12}{'Δ denominator':>15}{'value after':>13}"
             f"{'shipments':>11}"]
    skipped = {r["id"]: r["skipped"] for r in payload["rules"] if "skipped" in r}
    for step in payload["bridge"]:
        note = f"  (skipped: {skipped[step['rule']]})" if step["rule"] in skipped else ""
        lines.append(f"  {step['rule']:<16}{_signed(step['numerator_delta']):>12}"
                     f"{_signed(step['denominator_delta']):>15}{_pct(step['value_after']):>13}"
                     f"{len(step['shipments']):>11}{note}")
    un = payload["unexplained"]
    lines.append(f"  {'unexplained':<16}{_signed(un['numerator_delta']):>12}"
                 f"{_signed(un['denominator_delta']):>15}{_pct(payload['portal']['value']):>13}"
                 f"{len(un['shipments']):>11}")
    if un.get("denominator_unlisted"):
        lines.append(f"  (of which {_signed(un['denominator_unlisted'])} in the portal's total "
                     "that no shipment of ours accounts for)")
    return lines


def _verdict(payload: dict[str, Any]) -> list[str]:
    res = payload["residual"]
    tol = res["tolerance"]
    applied = ("applied" if res["tolerance_applied"]
               else f"not applied: sample {res['sample']} < {tol['min_sample']}")
    points = "n/a" if res["value_points"] is None else f"{res['value_points']:+.3f} pp"
    return ["", f"  residual {points} (tolerance {tol['abs_points']} pp or "
            f"{tol['relative'] * 100:g} % of the portal's value; {applied})",
            f"  verdict: {payload['verdict'].upper()}"]


def _unexplained_list(payload: dict[str, Any]) -> list[str]:
    shipments = payload["unexplained"]["shipments"]
    if not shipments:
        return []
    lines = ["", "  unexplained shipments:"]
    for item in shipments[:MAX_LISTED]:
        lines.append(f"    {item['shipment_id']:<14} {item['carrier'] or '?':<16} "
                     f"{_signed(item['numerator_delta']):>3} {item['reason']}")
    if len(shipments) > MAX_LISTED:
        lines.append(f"    … and {len(shipments) - MAX_LISTED} more (use --format json)")
    return lines


def _by_category(payload: dict[str, Any]) -> list[str]:
    if not payload.get("by_category"):
        return []
    rules = [s["rule"] for s in payload["bridge"]]
    lines = ["", "  by category     ours  " + "".join(f"{r[:10]:>11}" for r in rules)
             + f"{'unexpl.':>9}{'portal':>8}"]
    for row in payload["by_category"]:
        deltas = "".join(f"{_signed(b['delta']):>11}" for b in row["bridge"])
        lines.append(f"  {row['category']:<15}{row['ours']:>5}  {deltas}"
                     f"{_signed(row['unexplained']):>9}{row['portal']:>8}")
    return lines


def _by_carrier(payload: dict[str, Any]) -> list[str]:
    if not payload.get("by_carrier"):
        return []
    lines = ["", f"  {'by carrier':<16}{'ours':>18}{'portal (modelled total)':>26}"
             f"{'unexplained':>13}"]
    for row in payload["by_carrier"]:
        o, p = row["ours"], row["portal"]
        lines.append(f"  {row['carrier']:<16}{o['numerator']:>7} / {o['denominator']:<6}"
                     f"{_pct(o['value']):>9}  {p['numerator']:>7} / {p['denominator']:<6}"
                     f"{_pct(p['value']):>9}"
                     f"{_signed(row['unexplained']['numerator_delta']):>11}")
    return lines
