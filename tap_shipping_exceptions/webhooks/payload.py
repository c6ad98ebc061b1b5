"""Validate a delivery body and turn it into the single archive line that stores it.

"As sent" means: the archive line is the request body's bytes, with surrounding whitespace
removed and every CR/LF byte replaced by a space. Valid JSON can hold CR/LF only as whitespace
between tokens (inside strings they must be escaped), so the line parses to exactly the same
JSON value, keeps key order, number spelling and duplicate keys, and a body sent on one line
is stored byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from shipping_core.datafile import schema_validator
from tap_shipping_exceptions.webhooks.errors import InvalidDelivery

SCHEMA_FILE = "delivery.schema.json"

_LINE_BREAKS = bytes.maketrans(b"\r\n", b"  ")
_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


@dataclass(frozen=True)
class Delivery:
    body: dict[str, Any]
    line: bytes  # the archive line, without the trailing newline

    @property
    def event(self) -> str:
        return self.body["Event"]

    def log_context(self) -> str:
        """Event, order, tracking and carrier for log lines (no addresses, no secrets)."""
        tracking = self.body.get("tracking", self.body.get("TrackingNumber"))
        carrier = self.body.get("TrackingCarrier", self.body.get("CarrierName"))
        return (f"event={self.event} order={self.body.get('OrderID')} tracking={tracking} "
                f"carrier={carrier}")


def parse_delivery(raw: bytes) -> Delivery:
    """Parse a request body; raise ``InvalidDelivery`` with the reason for the 400."""
    stripped = raw.strip(b" \t\r\n")
    if not stripped:
        raise InvalidDelivery('empty body: expected a JSON object with an "Event" field')
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDelivery(f"body is not UTF-8 text (byte {exc.start}): expected JSON") from exc
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidDelivery(
            f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except ValueError as exc:
        raise InvalidDelivery(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidDelivery(
            f'body is a JSON {_JSON_TYPES.get(type(body), type(body).__name__)}, expected an '
            'object with an "Event" field'
        )
    if "Event" not in body:
        raise InvalidDelivery('JSON object has no "Event" field (expected e.g. "TRACKING_UPDATE")')
    event = body["Event"]
    if not isinstance(event, str) or not event.strip():
        raise InvalidDelivery(f'"Event" must be a non-empty string, got {json.dumps(event)}')
    _check_schema(body)
    return Delivery(body, stripped.translate(_LINE_BREAKS))


@cache
def _validator() -> jsonschema.protocols.Validator:
    return schema_validator(resources.files(__package__).joinpath(SCHEMA_FILE))


def _check_schema(body: dict[str, Any]) -> None:
    """Event-specific rules from ``delivery.schema.json``; the reason names the field."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(body))
    if error is None:
        return
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        raise InvalidDelivery(
            f"{body['Event']} delivery has no {missing!r} field (expected the ShippyPro "
            "OrderID)"
        )
    field = "/".join(str(p) for p in error.absolute_path) or "(body)"
    # anyOf failures land on the branch; the described schema is the property's own.
    described = error.parent.schema if error.parent is not None else error.schema
    expected = described.get("description") if isinstance(described, dict) else None
    raise InvalidDelivery(
        f"field {field!r}: expected {expected or error.message}, got {json.dumps(error.instance)}"
    )
