"""Phrasebook: schema validation errors, and agreement with the project's classifier."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipping_sandbox.datafiles import DataFileError
from shipping_sandbox.phrasebook import PHRASEBOOK, load_phrasebook
from shipping_sandbox.world import World

FORWARD = {"in_transit", "out_for_delivery", "delivered"}


def fill(message: str) -> str:
    return (message.replace("{city}", "MILANO").replace("{hub}", "LEIPZIG - GERMANY")
            .replace("{name}", "ROSSI"))


def test_bad_category_names_the_path(tmp_path: Path) -> None:
    text = PHRASEBOOK.read_text(encoding="utf-8").replace(
        "category: address, reason: address.incorrect",
        "category: adress, reason: address.incorrect", 1)
    bad = tmp_path / "phrasebook.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_phrasebook(bad)
    assert "phrasebook.yaml: carriers/BRT/exceptions/" in str(err.value)
    assert "'adress' is not one of" in str(err.value)


def test_reason_outside_category_is_rejected(tmp_path: Path) -> None:
    text = PHRASEBOOK.read_text(encoding="utf-8").replace(
        "category: address, reason: address.incorrect",
        "category: address, reason: recipient.refused", 1)
    bad = tmp_path / "phrasebook.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="does not belong to category 'address'"):
        load_phrasebook(bad)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "phrasebook.yaml"
    bad.write_text("version: 1\ncarriers: {BRT: [\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"phrasebook.yaml line \d+: invalid YAML"):
        load_phrasebook(bad)


def test_every_phrase_classifies_as_intended() -> None:
    classifier_mod = pytest.importorskip("tap_shipping_exceptions.normalize.classifier")
    carriers_mod = pytest.importorskip("shipping_core.carriers")
    classifier = classifier_mod.default_classifier()
    wrong = []
    for carrier, phrase in load_phrasebook().all_phrases():
        got = classifier.classify(carriers_mod.carrier_key(carrier), phrase.code,
                                  fill(phrase.message), phrase.carrier_code)
        if (got.exception_category, got.exception_reason) != (phrase.category, phrase.reason):
            wrong.append(f"{carrier}: {phrase.message!r} intended {phrase.reason}, "
                         f"classified {got.exception_reason} by {got.classified_by}")
    assert not wrong, "\n".join(wrong)


def test_auto_resolution_agrees_with_the_classifier(worked_world: World) -> None:
    """truth_transient equals the data contract's rule applied to the classifier's output."""
    classifier_mod = pytest.importorskip("tap_shipping_exceptions.normalize.classifier")
    carriers_mod = pytest.importorskip("shipping_core.carriers")
    classifier = classifier_mod.default_classifier()
    disagreements = []
    for s in worked_world.shipments:
        if not any(e.truth_category for e in s.events):
            continue
        key = carriers_mod.carrier_key(s.carrier_name)
        labelled = [(e, classifier.classify(key, e.code, e.message, e.carrier_code))
                    for e in s.events]
        resolved = True
        for i, (e, c) in enumerate(labelled):
            if not c.is_exception or c.exception_class == "transient":
                continue
            if c.exception_class == "real":
                resolved = False
                break
            later = [(f, d) for f, d in labelled[i + 1:] if f.date <= e.date + 72 * 3600]
            if not any(d.milestone in FORWARD and not d.is_exception for _, d in later):
                resolved = False
                break
        if resolved != s.truth_transient:
            disagreements.append(s.tracking_number)
    assert not disagreements, disagreements[:10]


def test_every_generated_event_classifies_as_its_truth(worked_world: World) -> None:
    """Filled-in messages (cities, hubs, names) keep their meaning for the classifier."""
    classifier_mod = pytest.importorskip("tap_shipping_exceptions.normalize.classifier")
    carriers_mod = pytest.importorskip("shipping_core.carriers")
    classifier = classifier_mod.default_classifier()
    wrong = set()
    for s in worked_world.shipments:
        key = carriers_mod.carrier_key(s.carrier_name)
        for e in s.events:
            got = classifier.classify(key, e.code, e.message, e.carrier_code)
            if got.exception_reason != e.truth_reason:
                wrong.add((s.carrier_name, e.message, e.truth_reason, got.exception_reason))
    assert not wrong, sorted(wrong)[:10]
