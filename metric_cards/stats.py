"""Small-number statistics and the status ladder of a card reading."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when ``total`` is 0."""
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError(f"successes {successes} not within 0..{total}")
    p = successes / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = (z / (1 + z2 / total)) * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Status:
    value: str   # ok | warn | critical | insufficient_data | not_evaluable
    reason: str


def card_status(value: float | None, denominator: int, *, kind: str, direction: str,
                warn: float | None, critical: float | None, min_sample: int) -> Status:
    """Status of a reading: small samples are ``insufficient_data`` (never red)."""
    if denominator < min_sample:
        return Status("insufficient_data",
                      f"denominator {denominator} is below the minimum sample {min_sample}")
    if value is None:
        return Status("not_evaluable", "no shipments in the window")
    if warn is None or critical is None:
        return Status("not_evaluable", "no thresholds set for this card (set warn/critical)")
    shown = _fmt(value, kind)
    if direction == "lower_is_better":
        if value > critical:
            return Status("critical", f"{shown} > critical {_fmt(critical, kind)}")
        if value > warn:
            return Status("warn", f"{shown} > warn {_fmt(warn, kind)}")
        return Status("ok", f"{shown} <= warn {_fmt(warn, kind)}")
    if value < critical:
        return Status("critical", f"{shown} < critical {_fmt(critical, kind)}")
    if value < warn:
        return Status("warn", f"{shown} < warn {_fmt(warn, kind)}")
    return Status("ok", f"{shown} >= warn {_fmt(warn, kind)}")


def _fmt(value: float, kind: str) -> str:
    return f"{value * 100:.2f}%" if kind == "ratio" else f"{value:g}"
