"""Validate a delivery body and turn it into the single archive line that stores it.

The rules (what a delivery is, how a body is framed as one line) are the archive format's
(``tap_shipping_exceptions.archive_format``), the same code the tap reads the archive with, so
the receiver never stores a line the tap would refuse. This module only maps a rejection to the
receiver's ``InvalidDelivery`` (answered 400 with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tap_shipping_exceptions import archive_format
from tap_shipping_exceptions.webhooks.errors import InvalidDelivery


@dataclass(frozen=True)
class Delivery:
    parsed: archive_format.Delivery
    line: bytes  # the archive line, without the trailing newline

    @property
    def body(self) -> dict[str, Any]:
        return self.parsed.body

    @property
    def event(self) -> str:
        return self.parsed.event

    def log_context(self) -> str:
        """Event, order, tracking and carrier for log lines (no addresses, no secrets)."""
        return self.parsed.log_context()


def parse_delivery(raw: bytes) -> Delivery:
    """Parse a request body; raise ``InvalidDelivery`` with the reason for the 400."""
    line = archive_format.frame(raw)
    try:
        parsed = archive_format.parse_delivery(line)
    except archive_format.DeliveryRejected as exc:
        raise InvalidDelivery(exc.reason) from None
    return Delivery(parsed, line)
