"""The tap records the promise the source gave: a day, an instant, or none — never invented."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from tap_shipping_exceptions.promises import (
    NO_PROMISE,
    Promise,
    PromiseFormatError,
    parse_promise,
    read_promise,
)

MIDNIGHT_UTC_12_MAR = 1_773_273_600          # 2026-03-12T00:00:00Z
NOON_ROME_12_MAR = 1_773_313_200             # 2026-03-12T11:00:00Z = 12:00 CET


@pytest.mark.parametrize(("value", "expected"), [
    (None, NO_PROMISE), (0, NO_PROMISE), ("0", NO_PROMISE), ("", NO_PROMISE), ("  ", NO_PROMISE),
    (MIDNIGHT_UTC_12_MAR, Promise(day=date(2026, 3, 12))),
    (str(MIDNIGHT_UTC_12_MAR), Promise(day=date(2026, 3, 12))),
    (float(MIDNIGHT_UTC_12_MAR), Promise(day=date(2026, 3, 12))),
    (NOON_ROME_12_MAR, Promise(at=NOON_ROME_12_MAR)),
    ("2026-03-12", Promise(day=date(2026, 3, 12))),
    ("2026-03-12T12:00:00+01:00", Promise(at=NOON_ROME_12_MAR)),
    ("2026-03-12T00:00:00+01:00", Promise(day=date(2026, 3, 12))),   # midnight as written: a day
    ("2026-03-12T11:00:00Z", Promise(at=NOON_ROME_12_MAR)),
])
def test_parse_promise(value, expected):
    assert parse_promise(value, "Order.EstDeliveryDate") == expected


@pytest.mark.parametrize("value", ["tomorrow", "2026-02-30", "2026-03-12T12:00:00", -5, True,
                                   {"date": 1}, 1.5])
def test_malformed_promise_names_the_field(value):
    with pytest.raises(PromiseFormatError, match=r"field 'Order\.EstDeliveryDate'"):
        parse_promise(value, "Order.EstDeliveryDate")


def test_read_promise_falls_back_and_logs_a_malformed_value(caplog):
    caplog.set_level(logging.WARNING, logger="tap_shipping_exceptions.promises")
    promise = read_promise([("soon", "Order.EstDeliveryDate"),
                            ("2026-03-13", "GetTracking.est_delivery_date")],
                           subject="shipment=7 carrier=brt")
    assert promise == Promise(day=date(2026, 3, 13))
    assert "shipment=7 carrier=brt" in caplog.text
    assert "field 'Order.EstDeliveryDate'" in caplog.text
    assert read_promise([(0, "Order.EstDeliveryDate"), ("0", "GetTracking.est_delivery_date")],
                        subject="shipment=8") == NO_PROMISE


class _Classifier:
    taxonomy_version = "t"

    def classify(self, *args):  # pragma: no cover - no events in these records
        raise AssertionError


@pytest.mark.parametrize(("est", "tracking_est", "at", "day"), [
    (MIDNIGHT_UTC_12_MAR, 0, None, "2026-03-12"),
    (NOON_ROME_12_MAR, 0, "2026-03-12T11:00:00Z", None),
    (0, str(MIDNIGHT_UTC_12_MAR), None, "2026-03-12"),   # GetTracking fills a missing estimate
    (0, "0", None, None),
])
def test_shipment_record_carries_day_or_instant(est, tracking_est, at, day):
    from tap_shipping_exceptions.records import RecordBuilder

    from .fakes import order
    builder = RecordBuilder(_Classifier(), lambda name, aliases: name.lower())
    record = builder.shipment_record(order(1, est=est), shipment_id="1", carrier="brt", events=[],
                                     classifications=[], is_terminal=False,
                                     tracking_body={"est_delivery_date": tracking_est},
                                     subject="1")
    assert (record["promised_delivery_at"], record["promised_delivery_date"]) == (at, day)
