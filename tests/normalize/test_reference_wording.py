"""Generic rules and the fallback lexicon on reference wording, message only, unknown carrier.

``reference_wording.csv`` holds short texts written for this test from published vocabularies
(aggregator sub-statuses: AfterShip, EasyPost, Shippo, 17TRACK, karrio incident reasons, ANSI
X12 1651 reason codes; carrier legends' meanings: BRT, GLS, DHL checkpoint codes, Poste) plus
inflections, synonyms, sentence-style phrasings, BRT-style abbreviations and progress texts
that must stay progress ("delivered to neighbour", "customs clearance successful"). None of
them is a corpus text (checked below), so this table never leaks the corpus's blind part.
The carrier is unknown (``zz``): only ``generic.yaml`` and ``lexicon.yaml`` can decide.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tap_shipping_exceptions.normalize.classifier import Classifier
from tap_shipping_exceptions.normalize.corpus import CATEGORIES, read_corpus, split_key

TABLE = Path(__file__).with_name("reference_wording.csv")


def _rows() -> list[dict[str, str]]:
    with TABLE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


ROWS = _rows()


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["text"][:60])
def test_reference_wording(clf: Classifier, row: dict[str, str]) -> None:
    expected = row["category"] or None
    got, source = clf.explain("zz", None, row["text"])
    assert got.exception_category == expected, (row["text"], got, source)
    if expected is not None:  # every exception says what decided it
        assert got.classified_by in ("message", "lexicon") and source, (got, source)


def test_table_is_broad_and_disjoint_from_the_corpus() -> None:
    categories = {r["category"] for r in ROWS if r["category"]}
    assert categories == CATEGORIES
    assert {r["language"] for r in ROWS} == {"it", "en"}
    progress = sum(not r["category"] for r in ROWS)
    assert progress >= 100  # negatives: false friends must stay progress
    corpus = {split_key(r.text) for r in read_corpus()}
    assert [r["text"] for r in ROWS if split_key(r["text"]) in corpus] == []
    assert all(r["source"].strip() for r in ROWS)
