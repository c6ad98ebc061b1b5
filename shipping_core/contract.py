"""The warehouse data contract, declared once: tables, columns, kinds, keys and meanings.

The tap's stream JSON schemas (``tap_shipping_exceptions/schemas.py``) and the card engine's
SQLAlchemy tables (``metric_cards/warehouse.py``) are both generated from ``TABLES``; the prose
and the allowed values live in ``docs/data-contract.md``.
``tests/architecture/test_data_contract.py`` checks the generated forms and the document
against this declaration.

Column kinds (each generator maps every kind; an unknown kind fails at import):

- ``string``: text; ``integer``; ``boolean``;
- ``timestamp``: a UTC instant (ISO 8601 ``date-time`` in Singer records, a time-zone-aware
  timestamp in the warehouse);
- ``date``: a calendar day without zone;
- ``object``: any JSON object, kept whole (the API's payload in ``raw``);
- ``string_array``: a JSON array of strings.

Only a table's primary-key column is required (non-nullable); every other column may be null.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = frozenset({"string", "integer", "boolean", "timestamp", "date", "object", "string_array"})


@dataclass(frozen=True)
class ContractColumn:
    """One column: its name, kind (see ``KINDS``) and meaning; ``key`` marks the primary key."""

    name: str
    kind: str
    description: str
    key: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"contract column {self.name}: kind {self.kind!r} is not one of "
                             f"{sorted(KINDS)}")


@dataclass(frozen=True)
class ContractTable:
    """One table of the contract: its name and columns in their declared order."""

    name: str
    columns: tuple[ContractColumn, ...]

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.key)

    def column(self, name: str) -> ContractColumn:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name}.{name} is not in the data contract")


def _col(name: str, kind: str, description: str, *, key: bool = False) -> ContractColumn:
    return ContractColumn(name, kind, description, key)


SHIPMENTS = ContractTable("shipments", (
    _col("shipment_id", "string", "ShippyPro OrderID, as text", key=True),
    _col("order_ref", "string", "Merchant order reference (TransactionID)"),
    _col("carrier", "string",
         "Normalised carrier key (brt, poste_italiane, …; other:<slug> if unknown)"),
    _col("carrier_name", "string", "Carrier name exactly as the API gave it"),
    _col("carrier_service", "string", "Service level"),
    _col("tracking_number", "string", "Carrier tracking number"),
    _col("created_at", "timestamp",
         "Label created (Order.Date); places the shipment in a card window"),
    _col("shipped_at", "timestamp", "ShippedDate, else the first carrier scan"),
    _col("origin_country", "string", "ISO 3166-1 alpha-2 of the sender address"),
    _col("destination_country", "string", "ISO 3166-1 alpha-2 of the recipient address"),
    _col("is_return", "boolean", "True for an Easy Return leg"),
    _col("status", "string",
         "Milestone of the latest tracking event (info_received when none yet)"),
    _col("promised_delivery_at", "timestamp",
         "Time-window promise (EstDeliveryDate / est_delivery_date given with a time of day); "
         "null for a day promise or none"),
    _col("promised_delivery_date", "date",
         "Promised delivery day (EstDeliveryDate / est_delivery_date given as a date); "
         "null for a time-window promise or none"),
    _col("delivered_at", "timestamp", "First delivered event"),
    _col("is_terminal", "boolean", "Delivered, returned, cancelled, lost or destroyed"),
    _col("updated_at", "timestamp",
         "Latest of label, shipped and tracking event times (replication key)"),
    _col("raw", "object", "GetOrder's Order object, untouched"),
))

TRACKING_EVENTS = ContractTable("tracking_events", (
    _col("event_id", "string", "Deterministic SHA-1 of the event's identity", key=True),
    _col("shipment_id", "string", "→ shipments.shipment_id"),
    _col("tracking_number", "string", "As on the shipment"),
    _col("carrier", "string", "Normalised carrier key, as on the shipment"),
    _col("occurred_at", "timestamp", "When the carrier recorded the event"),
    _col("shippypro_code", "integer", "ShippyPro status 1..6"),
    _col("carrier_code", "string", "Carrier's native event code when given"),
    _col("message", "string", "Carrier free text"),
    _col("city", "string", "Carrier free text"),
    _col("milestone", "string", "Normalised milestone"),
    _col("exception_category", "string", "Exception category; null for a progress event"),
    _col("exception_reason", "string", "Sub-reason, e.g. address.incorrect"),
    _col("exception_class", "string", "transient, conditional or real"),
    _col("classified_by", "string",
         "What decided: carrier_code, message, lexicon, shippypro_code or none"),
    _col("taxonomy_version", "string", "Version of the mapping that classified the event"),
    _col("synced_at", "timestamp", "When the tap emitted the event (freshness watermark)"),
    _col("raw", "object", "The event as received"),
))

CARRIERS = ContractTable("carriers", (
    _col("carrier", "string", "Normalised carrier key", key=True),
    _col("carrier_name", "string", "Carrier name as ShippyPro spells it"),
    _col("services", "string_array", "Service levels"),
    _col("taxonomy_version", "string", "Taxonomy version of the tap's classifier"),
))

#: ``tracking_events.milestone`` values after which a shipment moves no more: the tap sets
#: ``shipments.is_terminal`` from them (with the terminal exception reasons) and the stalled
#: card never counts a shipment that reached one. In the order docs/data-contract.md lists them.
TERMINAL_MILESTONES: tuple[str, ...] = ("delivered", "returned", "cancelled")

#: every table of the contract, by name
TABLES: dict[str, ContractTable] = {t.name: t for t in (SHIPMENTS, TRACKING_EVENTS, CARRIERS)}
