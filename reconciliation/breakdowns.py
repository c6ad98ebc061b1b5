"""Per-category and per-carrier rows of a reconciliation, and its calendar annotations.

Both breakdowns are built from the same per-shipment attributions as the total bridge, so each
row reads ours + per-rule moves + unexplained = portal, and the rows sum to the totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from shipping_core.windows import Window, local_days

from .attribution import UNEXPLAINED
from .ruleset import RuleSet


def value(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def side(numerator: int, denominator: int) -> dict[str, Any]:
    """The binding {value, numerator, denominator} shape of one side."""
    return {"value": value(numerator, denominator), "numerator": numerator,
            "denominator": denominator}


def by_category(order: Sequence[str], priority: Sequence[str], ours: Mapping[str, int],
                portal: Mapping[str, int],
                moves: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """One row per category: ours, each rule's move, unexplained move, the portal's count."""
    rank = {c: i for i, c in enumerate(priority)}
    cats = sorted(set(ours) | set(portal) | set(moves), key=lambda c: (rank.get(c, len(rank)), c))
    return [{"category": c, "ours": ours.get(c, 0), "portal": portal.get(c, 0),
             "bridge": [{"rule": r, "delta": moves.get(c, {}).get(r, 0)} for r in order],
             "unexplained": moves.get(c, {}).get(UNEXPLAINED, 0)} for c in cats]


def by_carrier(order: Sequence[str], counts: Mapping[str, Mapping[str, int]],
               moves: Mapping[str, Mapping[str, Sequence[int]]]) -> list[dict[str, Any]]:
    """One row per carrier; the portal's denominator per carrier is the modelled one."""
    rows = []
    for name in sorted(counts):
        c = counts[name]
        if not any(c.values()):
            continue
        m = moves.get(name, {})
        rows.append({
            "carrier": name,
            "ours": side(c["ours_num"], c["ours_den"]),
            "portal": {**side(c["portal_num"], c["portal_den"]), "denominator_modelled": True},
            "bridge": [{"rule": r, "numerator_delta": m.get(r, (0, 0))[0],
                        "denominator_delta": m.get(r, (0, 0))[1]} for r in order],
            "unexplained": {"numerator_delta": m.get(UNEXPLAINED, (0, 0))[0],
                            "denominator_delta": m.get(UNEXPLAINED, (0, 0))[1]},
        })
    return rows


def annotations(ruleset: RuleSet, windows: Sequence[Window]) -> list[dict[str, Any]]:
    """The rule set's calendar notes (ferragosto) for any window day in their span."""
    notes = []
    days: set[date] = {d for w in windows for d in local_days(w)}
    for note in ruleset.annotations:
        hits = sorted(d for d in days
                      if note.from_month_day <= (d.month, d.day) <= note.to_month_day)
        if hits:
            notes.append({"id": note.id, "text": note.text, "first_day": hits[0].isoformat(),
                          "last_day": hits[-1].isoformat()})
    return notes
