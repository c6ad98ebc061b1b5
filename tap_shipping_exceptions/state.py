"""The tap's own bookkeeping, kept inside the SDK's ``shipments`` stream state.

Layout of ``state["bookmarks"]["shipments"]["shippypro"]`` (persisted by Meltano like any
bookmark; the SDK keeps custom keys through to the final STATE message)::

    {
      "version": 1,
      "active": {                      # non-terminal shipments still polled with GetTracking
        "<OrderID>": {
          "order": {...} | null,       # GetOrder's Order object (null = GetOrder still due)
          "seen": <unix>,              # when the tap first discovered it (ages out pending ids)
          "events": "<hex10><hex10>…", # 10-hex prefixes of every event_id already emitted
          "record": "<hex16>" | null,  # digest of the last shipments record emitted
          "refetch": true,             # optional: a delivery showed a new tracking/carrier
          "failures": <n>              # optional: consecutive runs this shipment failed in
        }
      },
      "done": {"<OrderID>": <created unix>},   # recently terminal / before start_date
      "parked": {"<OrderID>": {"reason": "...", "failures": <n>, "at": <unix>}},  # see below
      "archive": {"<file path>": {"offset": <bytes read>, "line": <lines read>}},
      "pending": {"seen": <unix>, "ids": [<OrderID>, …]}  # only while a sync runs (see below)
    }

Newly discovered OrderIDs are registered compactly while a sync runs: one ``pending`` list of
plain ints (descending, so the fetch loop pops the next one off the end) instead of one
``active`` entry per id. A STATE message written mid-sync therefore still holds every discovered
id together with the archive offsets. When the sync ends, ids still pending (the sync stopped
early) become ordinary ``active`` entries with ``"order": null`` and the ``pending`` key is
removed; a state left by a sync that died mid-way is converted the same way when loaded.

In memory a cached ``order`` is kept as its encoded JSON (``msgspec.Raw``), a third of the size of
the decoded dicts; STATE messages embed those bytes verbatim, so the layout above is unchanged.
``order_of`` decodes one when it is needed.

A shipment whose fetch or record building fails for a reason other than a transient API error
(a hostile or malformed value, a response nested too deeply, ...) keeps a ``failures`` count and
is retried on the next runs; after ``max_failed_runs`` consecutive failed runs it is *parked*:
moved out of ``active`` into ``parked`` with the last reason, and not fetched again (a later
delivery for it does not bring it back). ``python -m tap_shipping_exceptions.parked`` lists them
from a state file. Transient errors (429/5xx/timeouts after every retry) never park a shipment.

``done``, ``parked`` and pending entries are pruned ``active_window_days`` after their
created/seen/parked instant, so state size follows the number of recent shipments, not history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode

STATE_KEY = "shippypro"
STATE_VERSION = 1
EVENT_PREFIX_CHARS = 10
DAY = 86_400


class TapBookkeeping:
    """Typed view over the mutable state dict (mutations go straight into the SDK's state)."""

    def __init__(self, stream_state: dict[str, Any]) -> None:
        root = stream_state.get(STATE_KEY)
        if not isinstance(root, dict):
            root = {}
            stream_state[STATE_KEY] = root
        root.setdefault("version", STATE_VERSION)
        for key in ("active", "done", "archive"):
            if not isinstance(root.get(key), dict):
                root[key] = {}
        self.root = root
        self._new: set[int] = set()
        self._unpend()
        for entry in root["active"].values():
            if isinstance(entry, dict) and isinstance(entry.get("order"), dict):
                entry["order"] = compact_order(plain_json(entry["order"]))

    @property
    def active(self) -> dict[str, dict[str, Any]]:
        return self.root["active"]

    @property
    def done(self) -> dict[str, int]:
        return self.root["done"]

    @property
    def archive(self) -> dict[str, dict[str, int]]:
        return self.root["archive"]

    @property
    def parked(self) -> dict[str, dict[str, Any]]:
        """Shipments that failed ``max_failed_runs`` runs in a row (read-only view if none)."""
        parked = self.root.get("parked")
        return parked if isinstance(parked, dict) else {}

    def has_work(self) -> bool:
        """True when state alone gives the tap something to poll."""
        return bool(self.active)

    # -- discovery ---------------------------------------------------------------------------

    def discover(self, order_id: int, *, now: int, tracking: str | None = None,
                 carrier_changed: Any = None) -> str:
        """Register a discovered OrderID; returns 'new', 'known', 'refetch' or 'done'.

        ``carrier_changed(order) -> bool`` decides whether a delivery's tracking/carrier differs
        from the order already fetched (then GetOrder is called again).
        """
        key = str(order_id)
        if key in self.done:
            return "done"
        if key in self.parked:
            return "parked"
        entry = self.active.get(key)
        if entry is None:
            order_id = int(order_id)
            if order_id in self._new:
                return "known"
            self._new.add(order_id)
            return "new"
        order = order_of(entry)
        if order is not None and carrier_changed is not None and carrier_changed(order):
            entry["refetch"] = True
            return "refetch"
        return "known"

    def seal_pending(self, *, now: int) -> int:
        """Store the ids registered by ``discover`` as the compact ``pending`` list."""
        ids = sorted(self._new, reverse=True)
        self._new = set()
        if ids:
            self.root["pending"] = {"seen": now, "ids": ids}
        return len(ids)

    def pending_ids(self) -> list[int]:
        """Pending OrderIDs in ascending order (a snapshot)."""
        pending = self.root.get("pending")
        return list(reversed(pending["ids"])) if isinstance(pending, dict) else []

    def pending_count(self) -> int:
        pending = self.root.get("pending")
        return len(pending["ids"]) if isinstance(pending, dict) else 0

    def claim_pending(self, order_id: int) -> None:
        """The fetch result of a pending id arrived: make it an ordinary ``active`` entry (the
        caller then finishes, drops or keeps it exactly like a known shipment)."""
        pending = self.root.get("pending")
        if not isinstance(pending, dict):
            return
        ids = pending["ids"]
        if ids and ids[-1] == order_id:
            ids.pop()
        elif order_id in ids:  # out of order: never expected, kept correct anyway
            ids.remove(order_id)
        else:
            return
        self.active.setdefault(str(order_id), pending_entry(pending["seen"]))
        if not ids:
            del self.root["pending"]

    def _unpend(self) -> None:
        """Turn the compact ``pending`` list back into ``active`` entries."""
        pending = self.root.pop("pending", None)
        if not isinstance(pending, dict):
            return
        try:
            seen = int(pending.get("seen") or 0)
        except (TypeError, ValueError):
            seen = 0
        for order_id in pending.get("ids") or ():
            self.active.setdefault(str(order_id), pending_entry(seen))

    # -- after a fetch -----------------------------------------------------------------------

    @staticmethod
    def emitted_prefixes(entry: dict[str, Any] | None) -> set[str]:
        text = (entry or {}).get("events") or ""
        return {text[i:i + EVENT_PREFIX_CHARS] for i in range(0, len(text), EVENT_PREFIX_CHARS)}

    def keep_active(self, order_id: str, *, order: dict[str, Any], prefixes: set[str],
                    record: str | None, seen: int) -> None:
        self.active[order_id] = {"order": compact_order(order), "seen": seen,
                                 "events": "".join(sorted(prefixes)), "record": record}

    def keep_order(self, order_id: str, order: dict[str, Any]) -> None:
        """Remember a fetched order for a shipment whose tracking call failed."""
        entry = self.active.get(order_id)
        if entry is not None:
            entry["order"] = compact_order(order)
            entry.pop("refetch", None)

    def record_failure(self, order_id: str, reason: str, *, now: int, limit: int) -> int:
        """Count a failed run for an active shipment; park it at ``limit``. Returns the count
        (0 when the shipment is not active)."""
        entry = self.active.get(order_id)
        if entry is None:
            return 0
        try:
            failures = int(entry.get("failures") or 0) + 1
        except (TypeError, ValueError):
            failures = 1
        if failures < limit:
            entry["failures"] = failures
            return failures
        del self.active[order_id]
        parked = self.root.get("parked")
        if not isinstance(parked, dict):
            parked = self.root["parked"] = {}
        parked[order_id] = {"reason": reason[:500], "failures": failures, "at": now}
        return failures

    def finish(self, order_id: str, created: int) -> None:
        """Terminal (or out of scope): never poll again while recent."""
        self.active.pop(order_id, None)
        self.done[order_id] = created

    def drop(self, order_id: str) -> None:
        self.active.pop(order_id, None)

    # -- housekeeping ----------------------------------------------------------------------

    def prune(self, *, now: int, window_days: int) -> dict[str, int]:
        """Drop expired active entries (created/seen before the window) and old ``done`` ids.

        Ids still pending are first made ordinary ``active`` entries."""
        self._unpend()
        cutoff = now - window_days * DAY
        expired = [k for k, e in self.active.items() if entry_instant(e) < cutoff]
        for key in expired:
            del self.active[key]
        old = [k for k, created in self.done.items() if created < cutoff]
        for key in old:
            del self.done[key]
        parked = self.parked
        stale = [k for k, e in parked.items() if not isinstance(e, dict)
                 or not isinstance(e.get("at"), int) or e["at"] < cutoff]
        for key in stale:
            del parked[key]
        return {"expired_active": len(expired), "forgotten_done": len(old),
                "forgotten_parked": len(stale)}


def pending_entry(seen: int) -> dict[str, Any]:
    """A discovered shipment whose GetOrder is still due."""
    return {"order": None, "seen": seen, "events": "", "record": None}


def compact_order(order: dict[str, Any] | msgspec.Raw) -> msgspec.Raw:
    """An Order object as kept in the active set: its JSON encoding."""
    return order if isinstance(order, msgspec.Raw) else msgspec.Raw(_encode(order))


def order_of(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """The cached Order of an active entry, decoded (None while GetOrder is due)."""
    order = (entry or {}).get("order")
    if isinstance(order, msgspec.Raw):
        return _decode(order)
    return order if isinstance(order, dict) else None


def plain_json(value: Any) -> Any:
    """Undo the SDK's state parsing of floats as ``Decimal`` (``--state`` files), so a cached
    order is the same value — and hashes the same — as when it came from the API."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    if isinstance(value, Decimal):  # only JSON floats are parsed as Decimal
        return float(value)
    return value


def entry_instant(entry: dict[str, Any]) -> int:
    """Created instant of a fetched shipment, else when it was first seen."""
    order = order_of(entry)
    if order is not None:
        created = order.get("Date")
        if isinstance(created, int) and not isinstance(created, bool) and created > 0:
            return created
        text = created.strip() if isinstance(created, str) else ""
        if 0 < len(text) <= 19 and text.isascii() and text.isdigit():
            return int(text)
        # a hostile Date (failed shipment): age it by when it was first seen instead
    try:
        return int(entry.get("seen") or 0)
    except (TypeError, ValueError):
        return 0
