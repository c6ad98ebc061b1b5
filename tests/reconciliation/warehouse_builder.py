"""Hand-made warehouses for reconciliation tests: contract tables in DuckDB, rows by hand.

Tables are created as target-duckdb 0.8.0 creates them (naive TIMESTAMP holding UTC, schema
``raw``), and rows are inserted through ``metric_cards.warehouse.contract_tables``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, insert

from metric_cards.warehouse import contract_tables

ROME = ZoneInfo("Europe/Rome")
DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE raw.shipments (shipment_id VARCHAR PRIMARY KEY, order_ref VARCHAR, carrier VARCHAR,
  carrier_name VARCHAR, carrier_service VARCHAR, tracking_number VARCHAR, created_at TIMESTAMP,
  shipped_at TIMESTAMP, origin_country VARCHAR, destination_country VARCHAR, is_return BOOLEAN,
  status VARCHAR, promised_delivery_at TIMESTAMP, delivered_at TIMESTAMP, is_terminal BOOLEAN,
  updated_at TIMESTAMP, raw JSON);
CREATE TABLE raw.tracking_events (event_id VARCHAR PRIMARY KEY, shipment_id VARCHAR,
  tracking_number VARCHAR, carrier VARCHAR, occurred_at TIMESTAMP, shippypro_code BIGINT,
  carrier_code VARCHAR, message VARCHAR, city VARCHAR, milestone VARCHAR,
  exception_category VARCHAR, exception_reason VARCHAR, exception_class VARCHAR,
  classified_by VARCHAR, taxonomy_version VARCHAR, synced_at TIMESTAMP, raw JSON);
CREATE TABLE raw.carriers (carrier VARCHAR PRIMARY KEY, carrier_name VARCHAR, services JSON,
  taxonomy_version VARCHAR);
"""
CARRIER_NAMES = {"brt": "BRT", "poste_italiane": "Poste Italiane", "gls": "GLS",
                 "dhl_express": "DHL Express"}
PORTAL_LABELS = {"address": "Address", "recipient": "Recipient", "depot_network": "Depot",
                 "customs_border": "Customs", "damage_lost": "Damage/Lost", "other": "Other"}
HEADER = ["OrderID", "TrackingNumber", "Carrier", "Category", "EventDate", "Resolution",
          "IsReturn"]


def utc(text: str) -> datetime:
    """'2026-02-10 00:30' read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Warehouse:
    path: Path
    shipments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    built: Engine | None = None

    def shipment(self, sid: str, created: str, *, carrier: str = "brt",
                 is_return: bool = False) -> str:
        at = utc(created).replace(tzinfo=None)
        self.shipments.append({
            "shipment_id": sid, "order_ref": f"T{sid}", "carrier": carrier,
            "carrier_name": CARRIER_NAMES.get(carrier, carrier), "tracking_number": f"TN{sid}",
            "created_at": at, "is_return": is_return, "status": "in_transit",
            "is_terminal": False, "updated_at": at, "raw": {},
        })
        return sid

    def event(self, sid: str, at: str, category: str | None = None, cls: str | None = None,
              milestone: str | None = None) -> None:
        moment = utc(at).replace(tzinfo=None)
        self.events.append({
            "event_id": f"{sid}-{len(self.events)}", "shipment_id": sid,
            "tracking_number": f"TN{sid}", "carrier": "brt", "occurred_at": moment,
            "shippypro_code": 5 if category else 2,
            "milestone": milestone or ("exception" if category else "in_transit"),
            "exception_category": category, "exception_class": cls or ("real" if category
                                                                      else None),
            "exception_reason": f"{category}.x" if category else None,
            "classified_by": "carrier_code", "taxonomy_version": "test", "synced_at": moment,
            "raw": {},
        })

    def engine(self) -> Engine:
        """Create the tables and load the rows on first call; later calls reuse the engine."""
        if self.built is not None:
            return self.built
        engine = self.built = create_engine(f"duckdb:///{self.path}")
        tables = contract_tables("raw")
        with engine.begin() as conn:
            for statement in DDL.split(";"):
                if statement.strip():
                    conn.exec_driver_sql(statement)
            if self.shipments:
                conn.execute(insert(tables.shipments), self.shipments)
            if self.events:
                conn.execute(insert(tables.tracking_events), self.events)
        return engine


def write_export(path: Path, rows: list[dict[str, Any]], *, sep: str = ",",
                 order: list[str] | None = None, names: dict[str, str] | None = None,
                 bom: bool = False, trailing_blank: int = 0) -> Path:
    """Rows as {shipment_id, category, event (UTC text), resolution?, is_return?, carrier?}.

    ``order`` reorders the (English) columns, ``names`` renames them (e.g. Italian headers).
    """
    header = order or HEADER
    names = names or {}
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=sep)
        writer.writerow([names.get(h, h) for h in header])
        for r in rows:
            local = utc(r["event"]).astimezone(ROME).strftime("%Y-%m-%d %H:%M")
            values = {
                "OrderID": r["shipment_id"], "TrackingNumber": f"TN{r['shipment_id']}",
                "Carrier": r.get("carrier", "BRT"),
                "Category": r.get("label") or PORTAL_LABELS[r["category"]],
                "EventDate": local, "Resolution": r.get("resolution", "open"),
                "IsReturn": "1" if r.get("is_return") else "0",
            }
            writer.writerow([values[h] for h in header])
        fh.write("\n" * trailing_blank)
    return path
