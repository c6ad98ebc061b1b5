"""Classifier behaviour: precedence, code fallbacks, 1000-series, precision, unmapped, cache."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from tap_shipping_exceptions.normalize.classifier import (
    Classification,
    Classifier,
    default_classifier,
    fold_status_code,
    is_terminal,
)


@pytest.fixture
def clf() -> Classifier:
    return Classifier()


# -- precedence -------------------------------------------------------------------------------

def test_native_code_beats_message(clf: Classifier) -> None:
    c = clf.classify("brt", 5, "DESTINATARIO ASSENTE", carrier_code="022")
    assert (c.exception_reason, c.classified_by) == ("address.incorrect", "carrier_code")


def test_native_code_is_case_and_space_insensitive(clf: Classifier) -> None:
    assert clf.classify("dhl_express", 4, None, carrier_code=" nh ").exception_reason == \
        "recipient.not_available"


def test_native_progress_code_makes_a_progress_event(clf: Classifier) -> None:
    c = clf.classify("dhl_express", 5, "Shipment damaged", carrier_code="WC")
    assert (c.milestone, c.exception_category, c.classified_by) == \
        ("out_for_delivery", None, "carrier_code")


def test_unknown_native_code_falls_through_to_message(clf: Classifier) -> None:
    c = clf.classify("brt", 5, "INDIRIZZO INSUFFICIENTE", carrier_code="ZZZ")
    assert (c.exception_reason, c.classified_by) == ("address.incorrect", "message")


def test_native_code_of_another_carrier_is_ignored(clf: Classifier) -> None:
    # "022" is BRT's "address nonexistent"; for GLS it means nothing
    c = clf.classify("gls", 2, "In transito", carrier_code="022")
    assert (c.exception_category, c.classified_by) == (None, "message")


def test_refine_by_message_code_uses_text_then_falls_back_to_entry(clf: Classifier) -> None:
    refined = clf.classify("fedex", 5, "Delivery exception - Incorrect address", carrier_code="DE")
    assert (refined.exception_reason, refined.classified_by) == ("address.incorrect", "message")
    bare = clf.classify("fedex", 5, "Delivery exception", carrier_code="DE")
    assert (bare.exception_reason, bare.milestone, bare.classified_by) == \
        ("other.generic", "attempt_failed", "carrier_code")


def test_carrier_patterns_beat_generic_patterns(clf: Classifier) -> None:
    text = "Spedizione in giacenza presso l'Ufficio Postale"
    # generic: courier "giacenza" = stock awaiting sender instructions
    assert clf.classify("brt", 5, text).exception_reason == "other.stock"
    # Poste: held at the post office for the recipient to collect
    poste = clf.classify("poste_italiane", 4, text)
    assert (poste.exception_reason, poste.milestone) == \
        ("recipient.not_available", "available_for_pickup")


def test_message_beats_shippypro_code(clf: Classifier) -> None:
    c = clf.classify("gls", 4, "Chiuso per turno")
    assert (c.exception_reason, c.exception_class, c.classified_by) == \
        ("recipient.closed", "transient", "message")


def test_messages_are_classified_under_in_transit_code(clf: Classifier) -> None:
    delay = clf.classify("ups", 2, "Severe weather conditions have delayed delivery.")
    assert (delay.exception_reason, delay.milestone) == ("depot_network.weather_fm", "in_transit")
    customs = clf.classify("dhl_express", 2, "Clearance delay")
    assert customs.exception_category == "customs_border"


def test_most_specific_match_wins(clf: Classifier) -> None:
    # "ritardo" (delay) is shorter than "ritardo nello sdoganamento" (customs)
    c = clf.classify("dhl_express", 2, "Ritardo nello sdoganamento")
    assert c.exception_reason == "customs_border.processing"
    # "rifiuta" (refused) vs "rifiuta il pagamento dei dazi" (duties)
    assert clf.classify("brt", 5, "RIFIUTA IL PAGAMENTO DEI DAZI").exception_reason == \
        "customs_border.duties"


def test_tie_break_by_category_order(clf: Classifier) -> None:
    # "danneggiata" and "in giacenza" match 11 characters each: damage_lost beats other
    assert clf.classify("gls", 5, "Danneggiata - in giacenza").exception_category == "damage_lost"
    assert clf.classify("gls", 5, "In giacenza - danneggiata").exception_category == "damage_lost"


# -- ShippyPro code fallbacks and 1000-series ------------------------------------------------

@pytest.mark.parametrize(("code", "milestone"), [
    (1, "info_received"), (2, "in_transit"), (3, "out_for_delivery"), (6, "delivered"),
    (1000, "info_received"), (2000, "in_transit"), (3000, "out_for_delivery"),
    (6000, "delivered"), (2010, "in_transit"), (None, "unknown"), (0, "unknown"), (7, "unknown"),
    (12345, "unknown"),
])
def test_code_milestones_without_message(clf: Classifier, code: int | None,
                                         milestone: str) -> None:
    c = clf.classify("tnt", code, None)
    # an unknown code with no text: nothing decided it (classified_by "none")
    assert (c.milestone, c.exception_category, c.classified_by) == \
        (milestone, None, "shippypro_code" if milestone != "unknown" else "none")


@pytest.mark.parametrize("code", [4, 4000, 4001, "4"])
def test_code_4_fallback(clf: Classifier, code: int) -> None:
    c = clf.classify("other:acme", code, "Avviso 7781/B")
    assert (c.milestone, c.exception_reason, c.exception_class, c.classified_by) == \
        ("attempt_failed", "recipient.not_available", "conditional", "shippypro_code")


@pytest.mark.parametrize("code", [5, 5000, 5042])
def test_code_5_fallback(clf: Classifier, code: int) -> None:
    c = clf.classify("dpd", code, "Evento 12")
    assert (c.milestone, c.exception_reason, c.exception_class, c.classified_by) == \
        ("exception", "other.generic", "conditional", "shippypro_code")


def test_fallback_keeps_progress_milestone_from_text(clf: Classifier) -> None:
    c = clf.classify("ups", 4, "Delivery attempted")
    assert (c.milestone, c.exception_reason, c.classified_by) == \
        ("attempt_failed", "recipient.not_available", "shippypro_code")


def test_return_under_code_5_is_a_milestone_not_an_exception(clf: Classifier) -> None:
    c = clf.classify("brt", 5, "SPEDIZIONE IN RESO AL MITTENTE")
    assert (c.milestone, c.exception_category, c.classified_by) == \
        ("returning", None, "message")


@pytest.mark.parametrize("bad", ["four", 4.0, True])
def test_bad_status_code_is_rejected(clf: Classifier, bad) -> None:
    with pytest.raises((TypeError, ValueError), match="shippypro_code"):
        clf.classify("brt", bad, "x")


def test_fold_status_code() -> None:
    assert [fold_status_code(c) for c in (1, 6, 1000, 5999, 9, 10, 999, None, " 3 ")] == \
        [1, 6, 1, 5, 9, None, None, None, 3]


# -- precision: routine progress messages stay progress -----------------------------------------

@pytest.mark.parametrize(("carrier", "code", "message", "milestone"), [
    ("poste_italiane", 2, "In transito", "in_transit"),
    ("brt", 2, "Partita dalla filiale", "in_transit"),
    ("sda", 3, "Spedizione in consegna", "out_for_delivery"),
    ("gls", 6, "Consegnata", "delivered"),
    ("dhl_express", 2, "Arrived at DHL facility", "in_transit"),
    ("dhl_express", 2, "Clearance processing complete", "in_transit"),
    ("dhl_express", 2, "Customs status updated", "in_transit"),
    ("fedex", 2, "Shipment picked up", "in_transit"),
    ("ups", 3, "Out for delivery", "out_for_delivery"),
    ("ups", 3, "Delivered to UPS Access Point. Ready for customer pickup.",
     "available_for_pickup"),
    ("dpd", 1, "Parcel data received", "info_received"),
    ("gls", 2, "Sdoganata", "in_transit"),
    ("fedex", 5, "Shipment cancelled by sender", "cancelled"),
    ("poste_italiane", 6, "Restituita al mittente", "returned"),
    ("dhl_express", 2, "Forwarded to third party - no further updates available", "in_transit"),
])
def test_routine_messages_are_progress(clf: Classifier, carrier: str, code: int, message: str,
                                       milestone: str) -> None:
    c = clf.classify(carrier, code, message)
    assert (c.exception_category, c.milestone) == (None, milestone), c


def test_milestone_of_exception_events(clf: Classifier) -> None:
    assert clf.classify("poste_italiane", 5, "Destinatario trasferito").milestone == "exception"
    assert clf.classify("ups", 5, "The package was refused by the receiver and will be "
                                  "returned to the sender.").milestone == "returning"
    partial = clf.classify("brt", 6, "CONSEGNA PARZIALE")
    assert (partial.milestone, partial.exception_reason) == \
        ("delivered", "damage_lost.missing_pieces")


def test_accents_case_and_quotes_do_not_matter(clf: Classifier) -> None:
    a = clf.classify("brt", 5, "CESSATA ATTIVITA'")
    b = clf.classify("brt", 5, "cessata attività")
    c = clf.classify("brt", 5, "Cessata  Attivita\u2019")
    assert a == b == c and a.exception_reason == "address.moved"


# -- terminal --------------------------------------------------------------------------------

def test_is_terminal(clf: Classifier) -> None:
    assert is_terminal(clf.classify("gls", 6, "Consegnata"))
    assert is_terminal(clf.classify("poste_italiane", 6, "Restituita al mittente"))
    assert is_terminal(clf.classify("fedex", 5, "Shipment cancelled by sender"))
    assert is_terminal(clf.classify("gls", 5, "Smarrimento accertato"))
    assert is_terminal(clf.classify("gls", 5, "Distrutta"))
    assert is_terminal(clf.classify("brt", 5, None, carrier_code="DDC"))
    assert not is_terminal(clf.classify("brt", 5, "SPEDIZIONE IN RESO AL MITTENTE"))
    assert not is_terminal(clf.classify("brt", 4, "DESTINATARIO ASSENTE"))
    assert not is_terminal(clf.classify("gls", 5, "Mancante al primo controllo"))
    manual = Classification("in_transit", "customs_border", "customs_border.seized", "real",
                            "message", "x")
    assert is_terminal(manual)


# -- unmapped ---------------------------------------------------------------------------------

def test_unmapped_counts_every_event_and_is_summarised_not_logged_per_message(
        clf: Classifier, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tap_shipping_exceptions.normalize.classifier")
    for _ in range(3):
        clf.classify("brt", 5, "EVENTO 77 - VEDI NOTE")
    clf.classify("brt", 4, "ESITO X")
    clf.classify("gls", 5, "EVENTO 77 - VEDI NOTE")
    clf.classify("gls", 2, "Messaggio senza senso")  # not exception-coded: not unmapped
    clf.classify("gls", 5, "Rifiutata")  # matched a rule
    clf.classify("gls", 5, None, carrier_code="4")  # classified by native code
    assert clf.unmapped_summary() == {"brt": 4, "gls": 1}
    assert clf.top_unmatched(2) == [("brt", "evento 77 - vedi note", 3),
                                    ("brt", "esito x", 1)]
    # the sync logs one summary (sync_run); the classifier itself logs nothing per message
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_unmapped_counting_survives_cache_eviction(tmp_path: Path) -> None:
    clf = Classifier(cache_size=1)
    for message in ("aaa", "bbb", "aaa", "bbb"):
        clf.classify("tnt", 5, message)
    assert clf.unmapped_summary() == {"tnt": 4}


# -- cache and sharing -----------------------------------------------------------------------

def test_results_are_cached(clf: Classifier) -> None:
    first = clf.classify("brt", 4, "DESTINATARIO ASSENTE")
    again = clf.classify("brt", 4, "DESTINATARIO ASSENTE")
    assert first is again
    assert clf.cache_info().hits == 1


def test_default_classifier_is_shared() -> None:
    assert default_classifier() is default_classifier()


def test_custom_mapping_dir_changes_behaviour(mapping_copy: Path) -> None:
    path = mapping_copy / "tnt.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["patterns"].append({"match": r"\bgiacenza tnt\b", "category": "recipient",
                            "reason": "recipient.unclaimed", "class": "real"})
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert Classifier(mapping_copy).classify("tnt", 5, "Giacenza TNT").exception_reason == \
        "recipient.unclaimed"
    assert Classifier().classify("tnt", 5, "Giacenza TNT").exception_reason == "other.stock"


@pytest.mark.parametrize(("carrier", "message", "code"), [
    ("brt", "RESTITUITA AL MITTENTE", "708"),
    ("dhl_express", "Shipment returned to shipper - delivered to shipper", "RT"),
    ("ups", "The package was returned to the sender.", "RS"),
])
def test_progress_code_with_final_outcome_in_text_is_terminal(carrier: str, message: str,
                                                              code: str) -> None:
    c = default_classifier().classify(carrier, 6, message, code)
    assert c.milestone == "returned"
    assert c.exception_category is None
    assert is_terminal(c)
