"""The vendor portal simulator: ShippyPro's Tracking -> Exceptions export, derived from a World.

Models the portal's behaviour (documented in docs/reconciliation.md) from the sandbox's ground
truth, so the reconciliation can be checked end to end:

- window: the 30 workspace-zone days ending at the start of as_of's local day;
- it recomputes overnight: it knows events whose webhook landed before that local midnight, and
  places each event in the window by its landing (webhook) time;
- it lists a shipment when at least one of its known exception events (in the portal's own
  taxonomy: ``Event.portal_category`` when set, else ``truth_category``) falls in the window;
- its default view hides auto-resolved exceptions (``truth_class`` transient, or conditional
  followed by forward progress within 72 hours);
- its unfiltered view and its total include Easy Return legs; its total counts shipments whose
  label date falls in its window.

``write_portal_export`` writes the CSV (English or Italian labels, any separator) and returns the
portal's total and the number of listed shipments.
"""

from __future__ import annotations

import bisect
import csv
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from shipping_core.windows import iso_utc, parse_instant, zone

from .world import Event, Shipment, World

log = logging.getLogger(__name__)

PRIORITY = ("damage_lost", "customs_border", "address", "recipient", "depot_network", "other")
FORWARD_PROGRESS_CODES = (2, 3, 6)  # in transit, out for delivery, delivered
AUTO_RESOLVE_SECONDS = 72 * 3600
WINDOW_DAYS = 30
COLUMNS = ("OrderID", "TrackingNumber", "Carrier", "Category", "EventDate", "Resolution",
           "IsReturn")
LABELS = {
    "en": {
        "columns": dict(zip(COLUMNS, COLUMNS, strict=True)),
        "categories": {"address": "Address", "recipient": "Recipient", "depot_network": "Depot",
                       "customs_border": "Customs", "damage_lost": "Damage/Lost",
                       "other": "Other"},
        "resolutions": {"open": "open", "resolved": "resolved",
                        "auto-resolved": "auto-resolved"},
    },
    "it": {
        "columns": {"OrderID": "ID Ordine", "TrackingNumber": "Numero di tracking",
                    "Carrier": "Corriere", "Category": "Categoria", "EventDate": "Data evento",
                    "Resolution": "Risoluzione", "IsReturn": "Reso"},
        "categories": {"address": "Indirizzo", "recipient": "Destinatario",
                       "depot_network": "Deposito", "customs_border": "Dogana",
                       "damage_lost": "Danno/Smarrito", "other": "Altro"},
        "resolutions": {"open": "aperta", "resolved": "risolta",
                        "auto-resolved": "risolta automaticamente"},
    },
}


@dataclass(frozen=True)
class PortalSummary:
    total: int  # shipments whose label date falls in the portal's window, returns included
    listed: int  # rows written: shipments on the Exceptions page
    window_start: str
    window_end: str


@dataclass(frozen=True)
class PortalWindow:
    """The portal's reporting window: workspace-zone days ``first_day..last_day``, as the
    half-open interval ``[start, cutoff)`` of Unix seconds."""

    first_day: date
    last_day: date
    start: int
    cutoff: int


def portal_window(as_of: datetime, workspace_timezone: str,
                  days: int = WINDOW_DAYS) -> PortalWindow:
    """The ``days`` workspace-zone days ending at the start of ``as_of``'s local day.

    The portal's own computation, kept apart from the card engine's windows on purpose: the
    round-trip test compares the two, so a shared helper would hide a bug in both.
    """
    tz = zone(workspace_timezone)
    today = as_of.astimezone(tz).date()
    first_day = today - timedelta(days=days)

    def local_midnight(day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())

    return PortalWindow(first_day, today - timedelta(days=1), local_midnight(first_day),
                        local_midnight(today))


@dataclass(frozen=True)
class PortalListing:
    shipment: Shipment
    category: str
    event: Event
    resolution: str


def _instant(as_of: datetime | int | str) -> datetime:
    if isinstance(as_of, str):
        return parse_instant(as_of)
    if isinstance(as_of, int):
        return datetime.fromtimestamp(as_of, UTC)
    if as_of.tzinfo is None:
        raise ValueError("as_of: expected a timezone-aware instant")
    return as_of.astimezone(UTC)


def portal_category(event: Event) -> str | None:
    """The portal's category for an event (None: a progress event to the portal)."""
    return event.portal_category if event.portal_category is not None else event.truth_category


def landing_times(shipment: Shipment) -> list[int]:
    """When the portal learned each event (Unix seconds).

    The generator sends one ``ORDER_SHIPPED`` delivery, then one ``TRACKING_UPDATE`` per event
    in order; with that shape each event lands with its own delivery. Otherwise an event lands
    with the first delivery at or after it (or at its own time when none follows).
    """
    events, hooks = shipment.events, shipment.webhook_times
    if len(hooks) == len(events) + 1:
        return [max(hook, event.date) for hook, event in zip(hooks[1:], events, strict=True)]
    ordered = sorted(hooks)
    out = []
    for event in events:
        i = bisect.bisect_left(ordered, event.date)
        out.append(ordered[i] if i < len(ordered) else event.date)
    return out


def _is_return_stage(event: Event) -> bool:
    """A non-exception event with code 5: the parcel is going back to the sender."""
    return event.truth_category is None and event.code == 5


def _is_progress(event: Event) -> bool:
    return event.truth_category is None and event.code in FORWARD_PROGRESS_CODES


def auto_resolved(shipment: Shipment, index: int, known_until: int) -> bool:
    """The data contract's auto-resolved exception, judged on the truth fields: transient, or
    conditional followed (before the parcel turns back) by forward progress within 72 hours
    that the portal knew of by ``known_until``."""
    event = shipment.events[index]
    if event.truth_class == "transient":
        return True
    if event.truth_class != "conditional":
        return False
    limit = min(event.date + AUTO_RESOLVE_SECONDS, known_until - 1)
    for later in sorted(shipment.events[index + 1:], key=lambda e: e.date):
        if later.date > limit or _is_return_stage(later):
            return False
        if _is_progress(later):
            return True
    return False


def portal_listing(shipment: Shipment, start: int, cutoff: int, as_of: int,
                   include_transient: bool = False) -> PortalListing | None:
    """The shipment's row on the Exceptions page, or None when the portal does not list it."""
    landed = landing_times(shipment)
    candidates = []
    for i, event in enumerate(shipment.events):
        category = portal_category(event)
        if category is None or event.date > as_of or not start <= landed[i] < cutoff:
            continue
        hidden = event.truth_category is not None and auto_resolved(shipment, i, cutoff)
        if hidden and not include_transient:
            continue
        rank = PRIORITY.index(category) if category in PRIORITY else len(PRIORITY)
        candidates.append((event.date, rank, i, category, hidden))
    if not candidates:
        return None
    _, _, i, category, hidden = min(candidates)
    event = shipment.events[i]
    progressed = any(_is_progress(e) and event.date < e.date < cutoff for e in shipment.events)
    resolution = "auto-resolved" if hidden else ("resolved" if progressed else "open")
    return PortalListing(shipment, category, event, resolution)


def write_portal_export(world: World, path: str | Path, *, as_of: datetime | int | str,
                        workspace_timezone: str = "Europe/Rome", language: str = "en",
                        sep: str = ",", include_transient: bool = False) -> PortalSummary:
    """Write the portal's Exceptions CSV for ``world`` as of ``as_of``; return its figures."""
    if language not in LABELS:
        raise ValueError(f"language: expected one of {', '.join(LABELS)}, got {language!r}")
    if sep not in (",", ";", "\t"):
        raise ValueError(f"sep: expected ',', ';' or a tab, got {sep!r}")
    tz: ZoneInfo = zone(workspace_timezone)
    moment = _instant(as_of)
    window = portal_window(moment, workspace_timezone)
    start, cutoff, now = window.start, window.cutoff, int(moment.timestamp())
    total = sum(1 for s in world.shipments if start <= s.created < cutoff)
    listings = [row for s in world.shipments
                if (row := portal_listing(s, start, cutoff, now, include_transient))]
    listings.sort(key=lambda r: (r.event.date, r.shipment.order_id))
    labels = LABELS[language]
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=sep)
        writer.writerow([labels["columns"][c] for c in COLUMNS])
        for r in listings:
            local = datetime.fromtimestamp(r.event.date, UTC).astimezone(tz)
            writer.writerow([r.shipment.order_id, r.shipment.tracking_number,
                             r.shipment.carrier_name, labels["categories"][r.category],
                             local.strftime("%Y-%m-%d %H:%M"), labels["resolutions"][r.resolution],
                             int(r.shipment.is_return)])
    log.info("portal export %s: %d listed, total %d (%s days %s..%s)", out, len(listings), total,
             workspace_timezone, window.first_day, window.last_day)
    return PortalSummary(total, len(listings), iso_utc(datetime.fromtimestamp(start, UTC)),
                         iso_utc(datetime.fromtimestamp(cutoff, UTC)))

