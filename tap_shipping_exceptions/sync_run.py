"""One sync of the tap: discover shipments, fetch them, turn them into records, keep state.

``SyncRun`` is created once per sync by the tap and shared by its streams. ``shipment_records``
drives the ``shipments`` stream: it

1. prunes expired entries from state (non-terminal shipments created more than
   ``active_window_days`` ago, old terminal ids),
2. reads the new part of the webhook archive and the configured ``order_ids`` (a malformed
   archive line stops here, before any API call, unless ``webhook_errors`` is ``skip``),
3. registers newly discovered OrderIDs as pending in state and commits the archive offsets in
   the same state snapshot, so nothing discovered is lost if the sync dies later,
4. fetches every active shipment (GetOrder when due, then GetTracking) concurrently, and in
   OrderID order emits its new tracking events (through ``emit_event``) and yields its shipment
   record when it changed since the last emission,
5. moves terminal shipments out of the active set, logs failures, unmapped-message counts per
   carrier and API call counts.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shipping_core.carriers import carrier_key
from tap_shipping_exceptions.client import ShippyProClient, subject_for
from tap_shipping_exceptions.discovery import Delivery, scan_archive
from tap_shipping_exceptions.errors import ShippyProError, TransientAPIError
from tap_shipping_exceptions.fetch_loop import fetch_in_order
from tap_shipping_exceptions.fetcher import FetchJob, FetchResult
from tap_shipping_exceptions.normalize.classifier import default_classifier, is_terminal
from tap_shipping_exceptions.records import RecordBuilder, now_iso, record_hash
from tap_shipping_exceptions.settings import Settings
from tap_shipping_exceptions.state import (
    DAY,
    EVENT_PREFIX_CHARS,
    TapBookkeeping,
    compact_order,
    order_of,
)

logger = logging.getLogger("tap_shipping_exceptions.sync")

Record = dict[str, Any]


@dataclass
class SyncStats:
    discovered_new: int = 0
    skipped_done: int = 0
    shipments_fetched: int = 0
    shipments_emitted: int = 0
    shipments_unchanged: int = 0
    events_emitted: int = 0
    before_start_date: int = 0
    terminal: int = 0
    aged_out: int = 0
    skipped_parked: int = 0
    failures: list[str] = field(default_factory=list)
    parked: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Built:
    """One shipment's records, built before anything is emitted or kept in state."""

    record: Record | None  # None: created before start_date
    events: list[Record]
    created: int
    terminal: bool
    order: Any  # the Order encoded for state when it stays active (encoding can fail)
    prefixes: set[str]
    digest: str | None
    changed: bool


class SyncRun:
    """Per-sync context shared by the streams."""

    def __init__(self, settings: Settings, client: ShippyProClient, *,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.client = client
        self.classifier = default_classifier()
        self.builder = RecordBuilder(self.classifier, carrier_key, settings.carrier_aliases)
        self.now = int(wall_clock())
        self.carriers_seen: dict[str, str] = {}
        self.stats = SyncStats()
        self._unmapped_before = self.classifier.unmapped_summary()

    # -- discovery ---------------------------------------------------------------------------

    def _carrier_changed(self, delivery: Delivery) -> Callable[[dict[str, Any]], bool]:
        def changed(order: dict[str, Any]) -> bool:
            if delivery.tracking and delivery.tracking != (order.get("TrackingNumber") or None):
                return True
            if delivery.carrier_name and order.get("CarrierName"):
                return (self.builder.carrier_key(delivery.carrier_name)
                        != self.builder.carrier_key(order["CarrierName"]))
            return False
        return changed

    def discover(self, book: TapBookkeeping) -> None:
        """Steps 1-3: prune, read the archive and order_ids, register pending ids."""
        pruned = book.prune(now=self.now, window_days=self.settings.active_window_days)
        if any(pruned.values()):
            logger.info("State pruned before sync: %s", pruned)
        if self.settings.webhook_archive:
            def has_order(order_id: int) -> bool:
                entry = book.active.get(str(order_id))
                return entry is not None and entry.get("order") is not None

            scan = scan_archive(self.settings.webhook_archive, book.archive,
                                on_malformed=self.settings.webhook_errors, details_for=has_order)
            logger.info("Webhook archive: %d file(s), %d new line(s), %d OrderID(s), %d repeat "
                        "deliveries, %d other events, %d malformed line(s) skipped", scan.files,
                        scan.lines, len(scan.deliveries), scan.duplicates, scan.ignored,
                        len(scan.skipped))
            for order_id in sorted(scan.deliveries):
                delivery = scan.deliveries[order_id]
                changed = self._carrier_changed(delivery) if delivery is not None else None
                self._count(book.discover(order_id, now=self.now, carrier_changed=changed))
            book.archive.clear()  # files no longer matched are forgotten
            book.archive.update(scan.offsets)
            del scan  # free the per-delivery map before fetching
        for order_id in self.settings.order_ids:
            self._count(book.discover(order_id, now=self.now))
        book.seal_pending(now=self.now)

    def _count(self, outcome: str) -> None:
        if outcome == "new":
            self.stats.discovered_new += 1
        elif outcome == "done":
            self.stats.skipped_done += 1
        elif outcome == "parked":
            self.stats.skipped_parked += 1

    # -- fetching and records ------------------------------------------------------------------

    def jobs(self, book: TapBookkeeping) -> Iterator[FetchJob]:
        """Known active shipments and pending ids, merged in OrderID order."""
        known = sorted(int(key) for key in book.active)
        for order_id in heapq.merge(known, book.pending_ids()):
            entry = book.active.get(str(order_id))
            if entry is None:
                yield FetchJob(order_id, None, False)
            else:
                yield FetchJob(order_id, order_of(entry), bool(entry.get("refetch")))

    def shipment_records(self, book: TapBookkeeping, *, emit_event: Callable[[Record], None],
                         events_selected: bool, shipments_selected: bool) -> Iterator[Record]:
        """Steps 1-5; yields the shipments records to emit."""
        self.discover(book)
        logger.info("Syncing %d active shipment(s) (%d newly discovered, %d already terminal "
                    "skipped) with max_concurrency=%d",
                    len(book.active) + book.pending_count(),
                    self.stats.discovered_new, self.stats.skipped_done,
                    self.settings.max_concurrency)

        results = fetch_in_order(self.jobs(book), self.client,
                                 start_date=self.settings.start_date,
                                 connections=self.settings.max_concurrency)
        try:
            for result in results:
                record = self._process(result, book, emit_event=emit_event,
                                       events_selected=events_selected,
                                       shipments_selected=shipments_selected)
                if record is not None:
                    yield record
        finally:
            results.close()
            self.finish(book)

    def _process(self, result: FetchResult, book: TapBookkeeping, *,
                 emit_event: Callable[[Record], None], events_selected: bool,
                 shipments_selected: bool) -> Record | None:
        key = str(result.job.order_id)
        if key not in book.active:
            book.claim_pending(result.job.order_id)
        entry = book.active.get(key) or {}
        if result.error is not None:
            return self._failed(result, book, result.error, keep_order=result.order_fetched)
        try:  # everything that reads API values happens here, before anything is emitted
            built = self._build(result, entry, events_selected=events_selected,
                                shipments_selected=shipments_selected)
        except Exception as exc:  # a hostile value costs this shipment only
            return self._failed(result, book, exc, keep_order=False)
        self.stats.shipments_fetched += 1
        if built.record is None:
            self.stats.before_start_date += 1
            book.finish(key, built.created)
            return None
        for event_record in built.events:
            emit_event(event_record)
        self.stats.events_emitted += len(built.events)
        if built.terminal:
            self.stats.terminal += 1
            book.finish(key, built.created)
        elif built.created < self.now - self.settings.active_window_days * DAY:
            self.stats.aged_out += 1
            book.drop(key)
        else:
            book.keep_active(key, order=built.order, prefixes=built.prefixes,
                             record=built.digest, seen=int(entry.get("seen") or self.now))
        if built.changed:
            self.stats.shipments_emitted += 1
            return built.record
        self.stats.shipments_unchanged += 1
        return None

    def _failed(self, result: FetchResult, book: TapBookkeeping, error: BaseException, *,
                keep_order: bool) -> None:
        """Mark one shipment failed: WARNING with its OrderID and reason, counted in the
        summary, retried next run; parked after ``max_failed_runs`` non-transient failures."""
        key = str(result.job.order_id)
        order = result.order if isinstance(result.order, dict) else None
        carrier = order.get("CarrierName") if order else None
        tracking = order.get("TrackingNumber") if order else None
        reason = str(error) if isinstance(error, ShippyProError) else (
            f"{type(error).__name__}: {error}")
        reason = reason if len(reason) <= 300 else reason[:300] + "…"
        message = (f"stream=shipments shipment={key} carrier={str(carrier or '?')[:40]} "
                   f"tracking={str(tracking or '?')[:40]}: {reason}")
        self.stats.failures.append(message)
        if order is not None and keep_order:
            book.keep_order(key, order)
        if isinstance(error, TransientAPIError) or key in book.parked:
            logger.warning("Skipping shipment, it stays active for the next run: %s", message)
            return None
        limit = self.settings.max_failed_runs
        failures = book.record_failure(key, message, now=self.now, limit=limit)
        if failures >= limit:
            self.stats.parked.append(key)
            logger.warning("Parking shipment after %d failed runs (not fetched again; list "
                           "parked shipments with python -m tap_shipping_exceptions.parked): %s",
                           failures, message)
        else:
            logger.warning("Skipping shipment (failed run %d of %d before it is parked), it "
                           "stays active for the next run: %s", failures, limit, message)
        return None

    def _build(self, result: FetchResult, entry: dict[str, Any], *, events_selected: bool,
               shipments_selected: bool) -> Built:
        """One shipment's records and bookkeeping values (no record before ``start_date``)."""
        key = str(result.job.order_id)
        order = result.order
        assert order is not None  # fetch_steps sets it whenever there is no error
        created = int(order["Date"])
        if result.before_start:
            return Built(None, [], created, False, None, set(), None, False)
        carrier = self.builder.carrier_key(order["CarrierName"])
        self.carriers_seen.setdefault(carrier, order["CarrierName"])
        events = result.events
        classifications = self.builder.classify(carrier, events)
        terminal = bool(classifications) and is_terminal(classifications[-1])
        record = self.builder.shipment_record(
            order, shipment_id=key, carrier=carrier, events=events,
            classifications=classifications, is_terminal=terminal,
            tracking_body=result.tracking, subject=subject_for(key, order["TrackingNumber"]))
        prefixes = TapBookkeeping.emitted_prefixes(entry)
        event_records: list[Record] = []
        if events_selected:
            synced_at = now_iso()
            for event, classification in zip(events, classifications, strict=True):
                prefix = event.event_id[:EVENT_PREFIX_CHARS]
                if prefix in prefixes:
                    continue
                prefixes.add(prefix)
                event_records.append(self.builder.event_record(
                    event, classification, shipment_id=key,
                    tracking_number=order["TrackingNumber"], carrier=carrier,
                    synced_at=synced_at))
        kept = not terminal and created >= self.now - self.settings.active_window_days * DAY
        digest, changed = self._digest(record, entry.get("record"), kept=kept,
                                       shipments_selected=shipments_selected)
        return Built(record, event_records, created, terminal,
                     compact_order(order) if kept else None, prefixes, digest, changed)

    @staticmethod
    def _digest(record: Record, previous: str | None, *, kept: bool,
                shipments_selected: bool) -> tuple[str | None, bool]:
        """(digest kept in state, whether the record is emitted). The record is hashed only when
        the digest is used: kept with an active shipment, or compared with one emitted before.
        A shipment seen for the first time that leaves the active set (most of a first sync:
        terminal) is emitted without hashing its record."""
        if not shipments_selected:
            return previous, False
        if not kept and previous is None:
            return None, True
        digest = record_hash(record)
        return digest, digest != previous

    def finish(self, book: TapBookkeeping) -> None:
        """Step 5: prune and log the sync's summary."""
        book.prune(now=self.now, window_days=self.settings.active_window_days)
        stats = self.stats
        logger.info(
            "Shipments sync summary: fetched=%d emitted=%d unchanged=%d events_emitted=%d "
            "terminal=%d aged_out=%d before_start_date=%d failed=%d parked=%d "
            "parked_total=%d parked_skipped=%d still_active=%d api_calls=%s",
            stats.shipments_fetched, stats.shipments_emitted,
            stats.shipments_unchanged, stats.events_emitted, stats.terminal, stats.aged_out,
            stats.before_start_date, len(stats.failures), len(stats.parked), len(book.parked),
            stats.skipped_parked, len(book.active), self.client.call_counts)
        if stats.failures:
            logger.warning("%d shipment(s) failed and were skipped (retried next run, %d "
                           "parked after %d failed runs): %s", len(stats.failures),
                           len(stats.parked), self.settings.max_failed_runs,
                           "; ".join(stats.failures[:20])
                           + (" …" if len(stats.failures) > 20 else ""))
        after = self.classifier.unmapped_summary()
        unmapped = {c: n - self._unmapped_before.get(c, 0) for c, n in after.items()
                    if n > self._unmapped_before.get(c, 0)}
        if unmapped:
            logger.warning("Unmapped exception messages this sync, per carrier (classified by "
                           "ShippyPro code fallback): %s; most frequent texts (carrier, text, "
                           "events): %s", unmapped, self.classifier.top_unmatched(5))
        else:
            logger.info("Unmapped exception messages this sync: none")

    # -- carriers ------------------------------------------------------------------------------

    def carrier_records(self) -> Iterator[Record]:
        """GetCarriers (keys normalised, services merged) plus carriers seen in shipments."""
        version = self.classifier.taxonomy_version
        merged: dict[str, Record] = {}
        for name in sorted(self.client.get_carriers().items(), key=lambda kv: kv[0]):
            carrier_name, services = name
            key = self.builder.carrier_key(carrier_name)
            record = merged.setdefault(key, {"carrier": key, "carrier_name": carrier_name,
                                             "services": [], "taxonomy_version": version})
            for service in services:
                label = service.get("CarrierService") if isinstance(service, dict) else None
                if label and label not in record["services"]:
                    record["services"].append(str(label))
        for key, carrier_name in sorted(self.carriers_seen.items()):
            merged.setdefault(key, {"carrier": key, "carrier_name": carrier_name,
                                    "services": [], "taxonomy_version": version})
        yield from merged.values()
