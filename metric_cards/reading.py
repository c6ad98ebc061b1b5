"""A card's windows and the shape of its aggregated reading (no SQL, no SQLAlchemy).

``card_windows`` gives the current and prior windows of a card read at an instant; a
``Reading`` holds the rows of the card's one aggregate query (``metric_cards.query``):
``(bucket, dims..., numerator, denominator)`` with bucket ``PRIOR_BUCKET`` for the prior window
and ``0..N-1`` for the local days of the current one. ``metric_cards.payload`` builds the payload
from it, whichever path (SQLAlchemy or a cached plan) read the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from metric_cards.definitions import CardDefinition
from shipping_core.windows import Window, prior_window, window_ending_before, zone

PRIOR_BUCKET = -1


@dataclass(frozen=True)
class Reading:
    """Aggregated rows of one evaluation: (bucket, dims..., numerator, denominator)."""

    dims: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def card_windows(card: CardDefinition, as_of: datetime,
                 timezone: str | None = None) -> tuple[Window, Window]:
    """(window, prior window) of ``card`` read at ``as_of`` in ``timezone`` (default: card's)."""
    tz = timezone or card.timezone
    zone(tz)
    window = window_ending_before(as_of, tz, card.window_days)
    return window, prior_window(window, card.compare_days)
