"""Native code tables decide first: InPost ShipX status names (long names included)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tap_shipping_exceptions.normalize.classifier import Classifier
from tap_shipping_exceptions.normalize.mapping import MappingError


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


@pytest.mark.parametrize(("code", "milestone", "reason"), [
    ("undelivered_wrong_address", "attempt_failed", "address.incorrect"),
    ("undelivered_unknown_receiver", "attempt_failed", "address.unknown_consignee"),
    ("undelivered_cod_cash_receiver", "attempt_failed", "recipient.cod_unpaid"),
    ("pickup_reminder_sent_address", "attempt_failed", "recipient.not_available"),
    ("pickup_time_expired", "available_for_pickup", "recipient.unclaimed"),
    ("taken_by_courier_from_customer_service_point", "returning", "recipient.unclaimed"),
    ("oversized", "unknown", "depot_network.locker"),
    ("delay_in_delivery", "unknown", "depot_network.delay"),
    ("ready_to_pickup", "available_for_pickup", None),
    ("stack_parcel_in_box_machine_pickup_time_expired", "in_transit", None),
    ("return_pickup_confirmation_to_sender", "delivered", None),
    ("returned_to_sender", "returning", None),
    ("canceled", "cancelled", None),
])
def test_inpost_status_name_decides(clf: Classifier, code: str, milestone: str,
                                    reason: str | None) -> None:
    # the message reports a different exception on purpose: the code table is consulted first
    c = clf.classify("inpost", None, "The Recipient has refused to accept the parcel.",
                     carrier_code=code.upper())
    assert (c.milestone, c.exception_reason, c.classified_by) == \
        (milestone, reason, "carrier_code")


def test_inpost_code_refined_by_message(clf: Classifier) -> None:
    # 'undelivered' carries no reason of its own: a reason in the text wins, else the fallback
    refined = clf.classify("inpost", None, "No delivery possible today. Reason: no mailbox.",
                           carrier_code="undelivered")
    assert (refined.exception_reason, refined.classified_by) == ("address.access", "message")
    bare = clf.classify("inpost", None, "Transfer of undeliverable parcels to the warehouse.",
                        carrier_code="undelivered")
    assert (bare.exception_reason, bare.classified_by) == ("other.not_delivered",
                                                           "carrier_code")


def test_inpost_unknown_status_falls_through_to_the_message(clf: Classifier) -> None:
    # "other" is deliberately not in the table; a name InPost adds later behaves the same
    c = clf.classify("inpost", None, "The Recipient has refused to accept the parcel.",
                     carrier_code="other")
    assert (c.exception_category, c.classified_by) == ("recipient", "message")


def test_code_names_longer_than_64_characters_are_refused(mapping_copy: Path) -> None:
    path = mapping_copy / "inpost.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["codes"]["x" * 65] = {"milestone": "in_transit"}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MappingError, match=r"inpost\.yaml: \$\.codes: 'x{65}' does not match"):
        Classifier(mapping_copy)


@pytest.mark.parametrize(("code", "reason"), [
    ("DD", "depot_network.delay"), ("PD", "depot_network.delay"),
    ("CP", "customs_border.processing"), ("CC", None), ("OW", None),
])
def test_fedex_legend_codes(clf: Classifier, code: str, reason: str | None) -> None:
    c = clf.classify("fedex", None, None, carrier_code=code)
    assert (c.exception_reason, c.classified_by) == (reason, "carrier_code")


@pytest.mark.parametrize(("code", "milestone", "reason"), [
    ("48", "attempt_failed", "recipient.not_available"),
    ("G3", "attempt_failed", "recipient.closed"),
    ("6C", "returning", "recipient.unclaimed"),
    ("A7", "unknown", "address.moved"),
    ("34", "unknown", "depot_network.missort"),
    ("UP", "unknown", "damage_lost.trace"),
    ("ZP", "available_for_pickup", None),
    ("9E", "delivered", None),
])
def test_ups_activity_status_codes(clf: Classifier, code: str, milestone: str,
                                   reason: str | None) -> None:
    c = clf.classify("ups", None, "Import Scan", carrier_code=code.lower())
    assert (c.milestone, c.exception_reason, c.classified_by) == \
        (milestone, reason, "carrier_code")


@pytest.mark.parametrize(("code", "milestone", "reason"), [
    ("LMD.9002", "unknown", "recipient.unclaimed"),
    ("lmd.9006", "attempt_failed", "recipient.refused"),
    ("CC.003", "unknown", "customs_border.inspection"),
    ("EOL.9003", "unknown", "damage_lost.destroyed"),
    ("LMD.3008", "in_transit", None),
    ("RTS.1002", "returned", None),
])
def test_inpost_group_event_codes(clf: Classifier, code: str, milestone: str,
                                  reason: str | None) -> None:
    c = clf.classify("inpost", None, None, carrier_code=code)
    assert (c.milestone, c.exception_reason, c.classified_by) == \
        (milestone, reason, "carrier_code")
