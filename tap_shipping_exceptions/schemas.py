"""JSON Schemas of the three streams, exactly the columns of docs data-contract.md.

Timestamps are ``date-time`` strings in UTC (``Z``); ``raw`` keeps the API's object untouched
(``additionalProperties`` allowed, no declared properties, so it survives schema flattening as
one JSON column). Primary keys are non-nullable strings.
"""

from __future__ import annotations

from singer_sdk import typing as th

#: ``raw``: an object of any shape. No ``properties`` on purpose: with ``flattening_enabled`` the
#: SDK then keeps ``raw`` as one column holding the object as JSON text (every key kept) instead
#: of recursing into an empty property list and emitting undeclared ``raw__*`` keys a loader
#: drops. Unflattened, loaders store it as a JSON column (jsonb, DuckDB JSON).
RAW_SCHEMA: dict = {"type": ["object", "null"], "additionalProperties": True}
RAW = th.CustomType(RAW_SCHEMA)


def _ts(name: str, description: str, *, required: bool = False) -> th.Property:
    return th.Property(name, th.DateTimeType(nullable=not required), required=required,
                       description=description)


def _str(name: str, description: str, *, required: bool = False) -> th.Property:
    return th.Property(name, th.StringType(nullable=not required), required=required,
                       description=description)


SHIPMENTS = th.PropertiesList(
    _str("shipment_id", "ShippyPro OrderID, as text", required=True),
    _str("order_ref", "Merchant order reference (TransactionID)"),
    _str("carrier", "Normalised carrier key (brt, poste_italiane, …; other:<slug> if unknown)"),
    _str("carrier_name", "Carrier name exactly as the API gave it"),
    _str("carrier_service", "Service level"),
    _str("tracking_number", "Carrier tracking number"),
    _ts("created_at", "Label created (Order.Date); places the shipment in a card window"),
    _ts("shipped_at", "ShippedDate, else the first carrier scan"),
    _str("origin_country", "ISO 3166-1 alpha-2 of the sender address"),
    _str("destination_country", "ISO 3166-1 alpha-2 of the recipient address"),
    th.Property("is_return", th.BooleanType, description="True for an Easy Return leg"),
    _str("status", "Milestone of the latest tracking event (info_received when none yet)"),
    _ts("promised_delivery_at", "Time-window promise (EstDeliveryDate / est_delivery_date given "
        "with a time of day); null for a day promise or none"),
    th.Property("promised_delivery_date", th.DateType(nullable=True),
                description="Promised delivery day (EstDeliveryDate / est_delivery_date given as "
                            "a date); null for a time-window promise or none"),
    _ts("delivered_at", "First delivered event"),
    th.Property("is_terminal", th.BooleanType,
                description="Delivered, returned, cancelled, lost or destroyed"),
    _ts("updated_at", "Latest of label, shipped and tracking event times (replication key)"),
    th.Property("raw", RAW, description="GetOrder's Order object, untouched"),
).to_dict()

TRACKING_EVENTS = th.PropertiesList(
    _str("event_id", "Deterministic SHA-1 of the event's identity", required=True),
    _str("shipment_id", "→ shipments.shipment_id"),
    _str("tracking_number", "As on the shipment"),
    _str("carrier", "Normalised carrier key, as on the shipment"),
    _ts("occurred_at", "When the carrier recorded the event"),
    th.Property("shippypro_code", th.IntegerType, description="ShippyPro status 1..6"),
    _str("carrier_code", "Carrier's native event code when given"),
    _str("message", "Carrier free text"),
    _str("city", "Carrier free text"),
    _str("milestone", "Normalised milestone"),
    _str("exception_category", "Exception category; null for a progress event"),
    _str("exception_reason", "Sub-reason, e.g. address.incorrect"),
    _str("exception_class", "transient, conditional or real"),
    _str("classified_by", "What decided: carrier_code, message, lexicon, shippypro_code or none"),
    _str("taxonomy_version", "Version of the mapping that classified the event"),
    _ts("synced_at", "When the tap emitted the event (freshness watermark)"),
    th.Property("raw", RAW, description="The event as received"),
).to_dict()

CARRIERS = th.PropertiesList(
    _str("carrier", "Normalised carrier key", required=True),
    _str("carrier_name", "Carrier name as ShippyPro spells it"),
    th.Property("services", th.ArrayType(th.StringType), description="Service levels"),
    _str("taxonomy_version", "Taxonomy version of the tap's classifier"),
).to_dict()
