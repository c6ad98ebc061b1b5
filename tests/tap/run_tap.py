"""Run the tap in-process and collect its Singer messages (the tap and hostile-input tests).

Every output line must be valid JSON, as a target reads it."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from tap_shipping_exceptions.tap import TapShippingExceptions


@dataclass
class TapOutput:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    schemas: list[str] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1]

    @property
    def book(self) -> dict[str, Any]:
        """The tap's own bookkeeping in the final STATE."""
        return self.final_state["bookmarks"]["shipments"]["shippypro"]

    def ids(self, stream: str = "shipments", key: str = "shipment_id") -> list[str]:
        return [str(r[key]) for r in self.records[stream]]


def run_tap(config: dict[str, Any], state: dict[str, Any] | None = None,
            catalog: dict[str, Any] | None = None,
            tap_class: type[TapShippingExceptions] = TapShippingExceptions) -> TapOutput:
    tap = tap_class(config=config, state=state or {}, catalog=catalog)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(buffer):
        tap.sync_all()
    buffer.seek(0)
    out = TapOutput()
    for line in buffer.read().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            out.records[message["stream"]].append(message["record"])
        elif message["type"] == "SCHEMA":
            out.schemas.append(message["stream"])
        elif message["type"] == "STATE":
            out.states.append(message["value"])
    return out
