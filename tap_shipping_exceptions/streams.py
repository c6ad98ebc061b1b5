"""The tap's Singer streams: ``shipments``, ``tracking_events`` (its child) and ``carriers``.

ShippyPro has one call per shipment and no listing method, so the streams are not REST streams
with pages: ``shipments`` drives a ``SyncRun`` that fetches shipments concurrently. Each
shipment's new tracking events are written through the ``tracking_events`` stream (its schema,
selection mask, stream maps and record counter) right before the shipment record, so both streams
come out of one pass over the API without per-shipment child syncs or buffering. The SDK never
syncs ``tracking_events`` on its own (it is declared a child of ``shipments``; selecting only it
still runs ``shipments``' fetch loop without emitting shipment records).

Records are built with the right types, so SDK type conformance is switched off for speed, and
with every property selected a record goes from the stream maps straight to the tap's writer.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable

from singer_sdk import Stream
from singer_sdk import singerlib as singer
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_shipping_exceptions import schemas, sdk_private
from tap_shipping_exceptions.output import BufferedMsgSpecWriter
from tap_shipping_exceptions.sdk_private import utc_now
from tap_shipping_exceptions.state import TapBookkeeping

if t.TYPE_CHECKING:
    from singer_sdk import Tap

    from tap_shipping_exceptions.sync_run import SyncRun


class ShippyProStream(Stream):
    """Base: schema from ``schemas.py``, no type conformance (records are built typed)."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    record_schema: t.ClassVar[dict[str, t.Any]]
    _lean_records: bool | None = None

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap, schema=self.record_schema)

    @property
    def sync_run(self) -> SyncRun:
        return sdk_private.stream_tap(self).sync_run  # type: ignore[attr-defined,no-any-return]

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        """The SDK's record path, lean when every property is selected and type conformance is
        off: selection and conformance then leave the record as it is, so it goes straight
        through the stream maps to the writer - no per-record walk of the selection mask
        (nested ``raw`` objects make that walk the largest SDK cost) and, with the tap's
        buffered writer, no message object per record (the same bytes are written)."""
        if self._lean_records is None:
            self._lean_records = all(self.mask.values()) and (
                self.TYPE_CONFORMANCE_LEVEL is TypeConformanceLevel.NONE)
        if not self._lean_records:
            sdk_private.sdk_write_record(self, record)
            return
        tap = sdk_private.stream_tap(self)
        writer = tap.message_writer
        version = sdk_private.stream_version(self)
        extracted = utc_now()
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is None:
                continue
            if isinstance(writer, BufferedMsgSpecWriter):
                writer.write_record(stream_map.stream_alias, mapped, version, extracted)
            else:
                tap.write_message(singer.RecordMessage(
                    stream=stream_map.stream_alias, record=mapped, version=version,
                    time_extracted=extracted))
        self.state_manager.is_flushed = False


class ShipmentsStream(ShippyProStream):
    """One row per shipment leg; state holds the tap's active set and archive offsets."""

    name = "shipments"
    primary_keys = ("shipment_id",)
    replication_key = "updated_at"
    record_schema = schemas.SHIPMENTS

    def get_records(self, context: t.Any) -> Iterable[dict[str, t.Any]]:
        events = self._events_stream()
        events_selected = events is not None and events.selected
        book = TapBookkeeping(self.stream_state)
        run = self.sync_run
        if events_selected:
            assert events is not None
            sdk_private.write_schema_message(events)
            counter = events.get_record_counter()
            write = sdk_private.record_writer(events)
            # ``--test`` (the SDK's dry run) caps every stream; the SDK only checks streams it
            # syncs itself, so the events written from this loop honour the cap here.
            limit = events.ABORT_AT_RECORD_COUNT
            written = 0

            def emit_event(record: dict[str, t.Any]) -> None:
                nonlocal written
                if limit is not None and written >= limit:
                    return
                write(record)
                counter.increment()
                written += 1
        else:
            counter = None

            def emit_event(record: dict[str, t.Any]) -> None:
                return None

        records = run.shipment_records(book, emit_event=emit_event,
                                       events_selected=events_selected,
                                       shipments_selected=self.selected)
        if counter is None:
            yield from records
            return
        with counter:
            yield from records

    def _events_stream(self) -> Stream | None:
        for child in self.child_streams:
            if child.name == TrackingEventsStream.name:
                return child
        return None

    def generate_child_contexts(self, record: dict[str, t.Any],
                                context: t.Any) -> Iterable[t.Any]:
        """No per-shipment child sync: events are written by the fetch loop."""
        return ()


class TrackingEventsStream(ShippyProStream):
    """One row per distinct carrier event; written while ``shipments`` syncs."""

    name = "tracking_events"
    primary_keys = ("event_id",)
    replication_key = None
    parent_stream_type = ShipmentsStream
    state_partitioning_keys = ()
    record_schema = schemas.TRACKING_EVENTS

    def get_records(self, context: t.Any) -> Iterable[dict[str, t.Any]]:
        """Never called by the SDK (events come from the shipments pass)."""
        return ()


class CarriersStream(ShippyProStream):
    """Carriers from GetCarriers plus any carrier seen in this sync's shipments."""

    name = "carriers"
    primary_keys = ("carrier",)
    replication_key = None
    record_schema = schemas.CARRIERS

    def get_records(self, context: t.Any) -> Iterable[dict[str, t.Any]]:
        yield from self.sync_run.carrier_records()
