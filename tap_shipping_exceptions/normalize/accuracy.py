"""Measure the classifier against a labelled message table and print accuracy figures.

The table is a CSV with columns ``language, carrier, shippypro_code, message,
expected_category, expected_reason`` (empty expected_category = a progress event); carrier is
the name as the API spells it and goes through :func:`carrier_key`. Run::

    python -m tap_shipping_exceptions.normalize.accuracy --table PATH [--no-misses]

The repository's labelled tables are ``tests/normalize/*_table.csv``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shipping_core.carriers import carrier_key

from .classifier import Classification, Classifier, default_classifier

COLUMNS = ("language", "carrier", "shippypro_code", "message", "expected_category",
           "expected_reason")


@dataclass(frozen=True)
class Row:
    line: int
    language: str
    carrier: str
    shippypro_code: int | None
    message: str
    expected_category: str | None
    expected_reason: str | None


@dataclass(frozen=True)
class Miss:
    row: Row
    got: Classification


@dataclass
class Tally:
    total: int = 0
    category_ok: int = 0
    reason_ok: int = 0

    def add(self, category_ok: bool, reason_ok: bool) -> None:
        self.total += 1
        self.category_ok += category_ok
        self.reason_ok += reason_ok

    @property
    def category_accuracy(self) -> float:
        return self.category_ok / self.total if self.total else 0.0

    @property
    def reason_accuracy(self) -> float:
        return self.reason_ok / self.total if self.total else 0.0


@dataclass
class Report:
    by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_carrier: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    overall: Tally = field(default_factory=Tally)
    misses: list[Miss] = field(default_factory=list)


def checked_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, record) of a labelled CSV table whose header is exactly ``columns``.

    Errors name the file (and the line) and what was expected.
    """
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != columns:
            raise ValueError(f"{path}: header must be {','.join(columns)}, "
                             f"got {reader.fieldnames}")
        for rec in reader:
            if None in rec or any(rec[c] is None for c in columns):
                raise ValueError(f"{path}:{reader.line_num}: expected {len(columns)} columns")
            yield reader.line_num, rec


def read_table(path: Path) -> list[Row]:
    """Read and check the message table; errors name the file, line and column."""
    rows = []
    for line, rec in checked_rows(path, COLUMNS):
        code = rec["shippypro_code"].strip()
        if code and not code.isdigit():
            raise ValueError(f"{path}:{line}: shippypro_code {code!r} is not an integer")
        category = rec["expected_category"].strip() or None
        reason = rec["expected_reason"].strip() or None
        if (category is None) != (reason is None) or (
                category and not reason.startswith(category + ".")):
            raise ValueError(f"{path}:{line}: expected_reason {reason!r} must be "
                             f"'<expected_category>.<sub-reason>' (both empty = progress)")
        if not rec["message"].strip():
            raise ValueError(f"{path}:{line}: message is empty")
        rows.append(Row(line=line, language=rec["language"].strip(),
                        carrier=rec["carrier"].strip(),
                        shippypro_code=int(code) if code else None,
                        message=rec["message"], expected_category=category,
                        expected_reason=reason))
    return rows


def evaluate(rows: Iterable[Row], classifier: Classifier | None = None) -> Report:
    clf = classifier or default_classifier()
    report = Report()
    for row in rows:
        key = carrier_key(row.carrier)
        got = clf.classify(key, row.shippypro_code, row.message)
        category_ok = got.exception_category == row.expected_category
        reason_ok = category_ok and got.exception_reason == row.expected_reason
        for tally in (report.by_language[row.language], report.by_carrier[key], report.overall):
            tally.add(category_ok, reason_ok)
        if not reason_ok:
            report.misses.append(Miss(row=row, got=got))
    return report


def format_report(report: Report, show_misses: bool = True) -> str:
    lines = [f"{'group':<22}{'n':>5}{'category':>10}{'reason':>9}"]

    def add(name: str, t: Tally) -> None:
        lines.append(f"{name:<22}{t.total:>5}{t.category_accuracy:>10.3f}"
                     f"{t.reason_accuracy:>9.3f}")

    add("overall", report.overall)
    for lang in sorted(report.by_language):
        add(f"language={lang}", report.by_language[lang])
    for carrier in sorted(report.by_carrier):
        add(f"carrier={carrier}", report.by_carrier[carrier])
    if show_misses and report.misses:
        lines.append(f"\nmisclassified ({len(report.misses)}):")
        for m in report.misses:
            lines.append(f"  line {m.row.line} [{m.row.language} {m.row.carrier} "
                         f"{m.row.shippypro_code}] {m.row.message!r}: expected "
                         f"{m.row.expected_reason or 'progress'}, got "
                         f"{m.got.exception_reason or 'progress'} "
                         f"({m.got.classified_by}, milestone {m.got.milestone})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", type=Path, required=True,
                        help="labelled CSV (e.g. tests/normalize/message_table.csv)")
    parser.add_argument("--mapping-dir", type=Path, default=None,
                        help="mapping directory to evaluate (default: packaged mappings)")
    parser.add_argument("--no-misses", action="store_true", help="only print the figures")
    args = parser.parse_args(argv)
    if not args.table.is_file():
        parser.error(f"--table {args.table}: file not found")
    clf = Classifier(args.mapping_dir) if args.mapping_dir else default_classifier()
    report = evaluate(read_table(args.table), clf)
    print(f"taxonomy_version {clf.taxonomy_version}, table {args.table}")
    print(format_report(report, show_misses=not args.no_misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
