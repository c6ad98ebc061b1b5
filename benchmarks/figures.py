"""The result model: one ``Figure`` per measured cost, with its floor, ratio and target verdict.

A figure's ``value`` is the median of its ``samples``. ``ratio`` is always expressed as a cost
(>= 1 means worse than the floor): ``value / floor`` for times, calls and memory, and
``floor / value`` for throughputs (``higher_is_better``).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    benchmark: int
    name: str
    unit: str
    samples: list[float]
    floor: float | None = None
    floor_label: str = ""
    higher_is_better: bool = False
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float:
        if not self.samples:
            raise ValueError(f"figure {self.name!r} has no samples")
        return float(statistics.median(self.samples))

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0 or self.value == 0:
            return None
        return self.floor / self.value if self.higher_is_better else self.value / self.floor

    def check_ratio(self, limit: float) -> Figure:
        """Set ``target``/``met`` for "ratio to floor at most ``limit``"."""
        self.target = f"ratio ≤ {limit:g}"
        ratio = self.ratio
        self.met = None if ratio is None else ratio <= limit
        return self

    def check_at_most(self, limit: float, text: str | None = None) -> Figure:
        """Set ``target``/``met`` for "value at most ``limit``" (in this figure's unit)."""
        self.target = text or f"≤ {format_number(limit)} {self.unit}"
        self.met = self.value <= limit
        return self

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = self.value
        data["ratio"] = self.ratio
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def median(samples: list[float]) -> float:
    return float(statistics.median(samples))


def format_number(value: float | None) -> str:
    """Compact human formatting: 3 significant figures, thousands separators for big values."""
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    if magnitude == 0:
        return "0"
    return f"{value:.3g}"


def format_ratio(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}x"


def format_verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "—"}[met]
