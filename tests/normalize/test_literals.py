"""Required literals: a pre-check that must never reject a text the regex would match."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from shipping_core.text import normalise_text
from tap_shipping_exceptions.normalize.accuracy import read_table
from tap_shipping_exceptions.normalize.classifier import Classifier
from tap_shipping_exceptions.normalize.literals import required_literals, rule_literals

HERE = Path(__file__).parent


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\b(due to )?(severe |bad )?weather( conditions)?", {"weather"}),
    (r"\brifiut\w*", {"rifiut"}),
    # the stdlib parser factors the common "r" out of the branch: still required, still exact
    (r"\b(rifiut|respint)\w*", {"ifiut", "espint"}),
    (r"a(bc|de)f", {"bc", "de"}),  # the branch is longer than the one-letter runs
    (r"\b(ab)+cd", {"ab"}),  # a repeated group counts when it must occur once
    (r"(?i)danno", None),  # flags: not reasoned about
    (r"(?i:danno)", None),
    (r"[ab]c", None),  # one character is not worth a check
    (r"\b(x)?\w+", None),
    (r"(", None),  # invalid: left to re.compile to report
])
def test_required_literals(pattern: str, expected: set[str] | None) -> None:
    assert required_literals(pattern) == (frozenset(expected) if expected else None)


def test_rule_literals_need_every_pattern() -> None:
    assert rule_literals([r"\bdanno", r"\bdamage"]) == {"danno", "damage"}
    assert rule_literals([r"\bdanno", r"\b\w+"]) is None


def _texts() -> list[str]:
    texts = [r.message for r in read_table(HERE / "message_table.csv")]
    with (HERE / "reference_wording.csv").open(newline="", encoding="utf-8") as fh:
        texts += [row["text"] for row in csv.DictReader(fh)]
    return [normalise_text(t) for t in texts]


def test_no_packaged_rule_is_wrongly_skipped() -> None:
    # the pre-check must be exact: wherever a rule's regex matches, one literal is present
    clf = Classifier()
    rules = list(clf.mappings.generic) + [r for m in clf.mappings.carriers.values()
                                          for r in m.patterns]
    assert sum(r.literals is not None for r in rules) >= len(rules) * 0.9
    checked = 0
    for text in _texts():
        for rule in rules:
            if rule.literals is None:
                continue
            if any(p.search(text) for p in rule.match):
                checked += 1
                assert any(s in text for s in rule.literals), (rule.source, text)
    assert checked > 500
    # and a text with none of them is skipped without a search
    rule = next(r for r in rules if r.literals)
    assert rule.specificity("zzz") == 0 and re.search("zzz", "zzz")
