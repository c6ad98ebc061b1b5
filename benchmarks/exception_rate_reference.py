"""Two independent computations of the Exception Rate card's numbers, for benchmark 5.

* ``pandas_exception_rate``: what a user would write by hand - read the needed columns of the
  raw tables into DataFrames (``load_frames``, timed separately) and compute in pandas.
* ``sql_floor_exception_rate``: one hand-written DuckDB query over the same columns - the
  floor the compiled card is compared with.

Both return ``RateNumbers`` so they can be checked against the card's own result
(``numbers_from_card``). Semantics: docs/metric-cards.md, the Exception Rate card (defaults:
returns excluded, transient exceptions included; first exception event decides the category,
ties broken by ``TIE_BREAK``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from shipping_core.windows import Window

TIE_BREAK = ("damage_lost", "customs_border", "address", "recipient", "depot_network", "other")


@dataclass(frozen=True)
class RateNumbers:
    denominator: int
    numerator: int
    prior_denominator: int
    prior_numerator: int
    by_category: dict[str, int]
    by_carrier: dict[str, tuple[int, int]]  # carrier -> (numerator, denominator)

    def differences(self, other: RateNumbers) -> list[str]:
        """Human-readable list of fields that differ (empty when equal)."""
        out = []
        for name in ("denominator", "numerator", "prior_denominator", "prior_numerator",
                     "by_category", "by_carrier"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                out.append(f"{name}: {mine!r} != {theirs!r}")
        return out


def naive_utc(moment: datetime) -> pd.Timestamp:
    """The warehouse stores naive UTC timestamps: compare with naive UTC bounds."""
    return pd.Timestamp(moment.astimezone(UTC).replace(tzinfo=None))


def load_frames(con: duckdb.DuckDBPyConnection,
                schema: str = "raw") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The columns the card needs, whole tables, as DataFrames."""
    shipments = con.execute(
        f"SELECT shipment_id, carrier, created_at, is_return FROM {schema}.shipments").df()
    events = con.execute(
        f"SELECT shipment_id, occurred_at, exception_category FROM {schema}.tracking_events").df()
    return shipments, events


def _first_exceptions(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per shipment: its earliest exception event up to ``as_of`` (tie-broken)."""
    exc = events[events["exception_category"].notna() & (events["occurred_at"] <= as_of)]
    priority = {c: i for i, c in enumerate(TIE_BREAK)}
    exc = exc.assign(priority=exc["exception_category"].map(priority).fillna(len(TIE_BREAK)))
    exc = exc.sort_values(["shipment_id", "occurred_at", "priority"], kind="stable")
    return exc.drop_duplicates("shipment_id", keep="first")


def _in_window(shipments: pd.DataFrame, window: Window) -> pd.DataFrame:
    start, end = naive_utc(window.start), naive_utc(window.end)
    created = shipments["created_at"]
    return shipments[(created >= start) & (created < end) & ~shipments["is_return"].astype(bool)]


def pandas_exception_rate(shipments: pd.DataFrame, events: pd.DataFrame, as_of: datetime,
                          window: Window, prior: Window) -> RateNumbers:
    first = _first_exceptions(events, naive_utc(as_of))
    current = _in_window(shipments, window)
    previous = _in_window(shipments, prior)
    hit = current.merge(first[["shipment_id", "exception_category"]], on="shipment_id")
    prior_hits = previous["shipment_id"].isin(first["shipment_id"]).sum()
    by_category = hit["exception_category"].value_counts().to_dict()
    num_by_carrier = hit["carrier"].value_counts()
    den_by_carrier = current["carrier"].value_counts()
    by_carrier = {str(c): (int(num_by_carrier.get(c, 0)), int(n))
                  for c, n in den_by_carrier.items()}
    return RateNumbers(
        denominator=len(current), numerator=len(hit),
        prior_denominator=len(previous), prior_numerator=int(prior_hits),
        by_category={str(k): int(v) for k, v in by_category.items()},
        by_carrier=by_carrier,
    )


FLOOR_SQL = """
WITH first_exc AS (
    SELECT shipment_id,
           arg_min(exception_category,
                   (epoch_us(occurred_at), {priority})) AS category
    FROM {schema}.tracking_events
    WHERE exception_category IS NOT NULL AND occurred_at <= $as_of
    GROUP BY shipment_id
),
scoped AS (
    SELECT s.carrier, f.category,
           s.created_at >= $start AND s.created_at < $end AS in_current
    FROM {schema}.shipments s LEFT JOIN first_exc f USING (shipment_id)
    WHERE NOT s.is_return AND s.created_at >= $prior_start AND s.created_at < $end
)
SELECT in_current, carrier, category, count(*) AS n
FROM scoped GROUP BY ALL
"""


def sql_floor_exception_rate(con: duckdb.DuckDBPyConnection, as_of: datetime, window: Window,
                             prior: Window, schema: str = "raw") -> RateNumbers:
    """The same numbers from one hand-written DuckDB query (window bounds must be contiguous)."""
    if prior.end != window.start:
        raise ValueError("sql floor expects the prior window to end where the window starts")
    priority = "CASE exception_category " + " ".join(
        f"WHEN '{c}' THEN {i}" for i, c in enumerate(TIE_BREAK)) + f" ELSE {len(TIE_BREAK)} END"
    sql = FLOOR_SQL.format(schema=schema, priority=priority)
    params = {"as_of": naive_utc(as_of).to_pydatetime(),
              "start": naive_utc(window.start).to_pydatetime(),
              "end": naive_utc(window.end).to_pydatetime(),
              "prior_start": naive_utc(prior.start).to_pydatetime()}
    rows = con.execute(sql, params).fetchall()
    den = num = pden = pnum = 0
    by_category: dict[str, int] = {}
    by_carrier: dict[str, tuple[int, int]] = {}
    for in_current, carrier, category, n in rows:
        if not in_current:
            pden += n
            pnum += n if category is not None else 0
            continue
        den += n
        c_num, c_den = by_carrier.get(carrier, (0, 0))
        if category is not None:
            num += n
            by_category[category] = by_category.get(category, 0) + n
            c_num += n
        by_carrier[carrier] = (c_num, c_den + n)
    return RateNumbers(den, num, pden, pnum, by_category, by_carrier)


def numbers_from_card(payload: dict[str, Any]) -> RateNumbers:
    """Extract ``RateNumbers`` from the card's JSON payload (``metric-cards --format json``)."""
    breakdowns = payload.get("breakdowns") or {}
    prior = payload.get("prior") or payload.get("comparison") or {}
    return RateNumbers(
        denominator=int(payload["denominator"]), numerator=int(payload["numerator"]),
        prior_denominator=int(prior.get("denominator", -1)),
        prior_numerator=int(prior.get("numerator", -1)),
        by_category={r["key"]: int(r["numerator"]) for r in breakdowns.get("by_category", [])
                     if int(r["numerator"])},
        by_carrier={r["key"]: (int(r["numerator"]), int(r["denominator"]))
                    for r in breakdowns.get("by_carrier", [])},
    )
