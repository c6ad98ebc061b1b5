"""Accuracy on the hand-labelled message tables (real-style carrier phrasing, IT + EN).

``message_table.csv`` was labelled from the reference code tables before the patterns were
written. ``holdout_table.csv`` and then ``blind_table.csv`` were written later, each measured
once on the then-current patterns (holdout: category it 0.921 / en 0.952; blind: it 0.80 /
en 1.00) before the gaps they revealed were fixed with general patterns; they now serve as
regression data. Every table must reach 0.95 category accuracy per language.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tap_shipping_exceptions.normalize.accuracy import (
    evaluate,
    format_report,
    main,
    read_table,
)

HERE = Path(__file__).parent
TABLES = [HERE / "message_table.csv", HERE / "holdout_table.csv", HERE / "blind_table.csv"]
MIN_CATEGORY_ACCURACY = 0.95


@pytest.mark.parametrize("table", TABLES, ids=lambda p: p.stem)
def test_category_accuracy_per_language(table: Path) -> None:
    report = evaluate(read_table(table))
    text = format_report(report)
    print(text)  # figures and misclassifications, visible with -s or on failure
    assert set(report.by_language) == {"it", "en"}
    for language, tally in report.by_language.items():
        assert tally.category_accuracy >= MIN_CATEGORY_ACCURACY, \
            f"{table.name} {language}: category accuracy {tally.category_accuracy:.3f}\n{text}"


def test_main_table_size_and_coverage() -> None:
    rows = read_table(TABLES[0])
    languages = Counter(r.language for r in rows)
    assert languages["it"] >= 100 and languages["en"] >= 100
    carriers = {r.carrier for r in rows}
    assert {"BRT", "Poste Italiane", "SDA", "GLS", "DHL Express", "UPS", "FedEx", "TNT",
            "DPD"} <= carriers
    progress = sum(r.expected_category is None for r in rows)
    assert 0.25 < progress / len(rows) < 0.6  # both progress and exception messages


def test_read_table_rejects_bad_rows(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("language,carrier,shippypro_code,message,expected_category,expected_reason\n"
                   "it,BRT,5,CIAO,address,recipient.refused\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.csv:2: expected_reason 'recipient.refused' must "
                                         r"be '<expected_category>.<sub-reason>'"):
        read_table(bad)
    bad.write_text("language,carrier,code,message\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header must be language,carrier,shippypro_code"):
        read_table(bad)


def test_accuracy_cli_prints_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--table", str(TABLES[0]), "--no-misses"]) == 0
    out = capsys.readouterr().out
    assert "language=it" in out and "language=en" in out and "carrier=brt" in out
    assert "taxonomy_version" in out
