"""List the shipments the tap parked (failed ``max_failed_runs`` runs in a row) from a state.

    meltano state get dev:tap-shipping-exceptions-to-target-duckdb > state.json
    python -m tap_shipping_exceptions.parked state.json      # or: ... | python -m ... -

Prints one line per parked shipment: OrderID, failed runs, when it was parked (UTC) and the
last reason. To retry one, delete its entry from ``parked`` and set the state back
(``meltano state set``), or list it in ``order_ids`` after removing it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tap_shipping_exceptions.state import STATE_KEY


def parked_shipments(state: Any) -> dict[str, dict[str, Any]]:
    """The ``parked`` map of a Singer/Meltano state (``{"bookmarks": ...}`` or wrapped in
    Meltano's ``{"singer_state": ...}``); empty when there is none."""
    if isinstance(state, dict) and isinstance(state.get("singer_state"), dict):
        state = state["singer_state"]
    root = (((state or {}).get("bookmarks") or {}).get("shipments") or {}).get(STATE_KEY)
    parked = root.get("parked") if isinstance(root, dict) else None
    return parked if isinstance(parked, dict) else {}


def lines(parked: dict[str, dict[str, Any]]) -> Iterator[str]:
    for order_id in sorted(parked, key=lambda k: (len(k), k)):
        entry = parked[order_id] if isinstance(parked[order_id], dict) else {}
        at = entry.get("at")
        when = (datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if isinstance(at, int) and 0 <= at < 253_402_300_800 else "?")
        yield f"{order_id}\tfailed_runs={entry.get('failures', '?')}\tparked_at={when}\t" \
              f"{entry.get('reason', '')}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m tap_shipping_exceptions.parked STATE.json|-", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args[0] == "-" else Path(args[0]).read_text("utf-8")
        state = json.loads(text)
    except (OSError, ValueError) as exc:
        print(f"parked: cannot read state {args[0]}: {exc}", file=sys.stderr)
        return 2
    parked = parked_shipments(state)
    for line in lines(parked):
        print(line)
    print(f"{len(parked)} parked shipment(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
