"""Score the classifier on the public carrier corpus (message only), split once by a fixed hash.

The corpus (``tests/data/carrier_corpus/corpus.csv``) holds real carrier texts copied from
public legends and documentation, each with its source and a hand label (empty category =
progress). Every row belongs to exactly one part, decided by its text alone::

    sha256(split_key(text)).digest()[0] < 77  ->  blind   (~30 %)
    otherwise                                 ->  tuning

Rules and lexicon entries are written against the tuning part only; the blind part is
measured at the end and its scores are recorded in ``blind_scores.json`` beside the corpus
(a regression floor checked by the tests). Run::

    python -m tap_shipping_exceptions.normalize.corpus [--part blind|tuning|all] [--misses]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .accuracy import checked_rows
from .classifier import Classifier, default_classifier

CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "carrier_corpus"
CORPUS_PATH = CORPUS_DIR / "corpus.csv"
BLIND_SCORES_PATH = CORPUS_DIR / "blind_scores.json"
COLUMNS = ("carrier", "language", "text", "category", "source")
CATEGORIES = frozenset({"address", "recipient", "depot_network", "customs_border",
                        "damage_lost", "other"})
BLIND_BELOW = 77  # first sha256 byte < 77 -> blind (77/256 = 30.1 %)


def split_key(text: str) -> str:
    """The form a text is hashed and de-duplicated in: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def part_of(text: str) -> str:
    """'blind' or 'tuning', fixed forever by the text's hash."""
    digest = hashlib.sha256(split_key(text).encode("utf-8")).digest()
    return "blind" if digest[0] < BLIND_BELOW else "tuning"


@dataclass(frozen=True)
class CorpusRow:
    line: int
    carrier: str
    language: str
    text: str
    category: str | None  # None = progress
    source: str

    @property
    def part(self) -> str:
        return part_of(self.text)


def read_corpus(path: Path = CORPUS_PATH) -> list[CorpusRow]:
    """Read and check the corpus; errors name the file, line and column."""
    rows = []
    for line, rec in checked_rows(path, COLUMNS):
        category = rec["category"].strip() or None
        if category is not None and category not in CATEGORIES:
            raise ValueError(f"{path}:{line}: category {category!r} is not one of "
                             f"{sorted(CATEGORIES)} (empty = progress)")
        for column in ("carrier", "language", "text", "source"):
            if not rec[column].strip():
                raise ValueError(f"{path}:{line}: column {column!r} is empty")
        rows.append(CorpusRow(line=line, carrier=rec["carrier"].strip(),
                              language=rec["language"].strip(), text=rec["text"],
                              category=category, source=rec["source"].strip()))
    return rows


@dataclass
class Score:
    """Category accuracy, exception recall and precision (exception vs progress)."""

    total: int = 0
    category_ok: int = 0
    true_exceptions: int = 0  # labelled exception
    caught: int = 0  # labelled exception, classified as any exception
    flagged: int = 0  # classified as exception
    flagged_right: int = 0  # classified as exception and labelled exception

    def add(self, expected: str | None, got: str | None) -> None:
        self.total += 1
        self.category_ok += expected == got
        if expected is not None:
            self.true_exceptions += 1
            self.caught += got is not None
        if got is not None:
            self.flagged += 1
            self.flagged_right += expected is not None

    @property
    def accuracy(self) -> float:
        return self.category_ok / self.total if self.total else 1.0

    @property
    def recall(self) -> float:
        return self.caught / self.true_exceptions if self.true_exceptions else 1.0

    @property
    def precision(self) -> float:
        return self.flagged_right / self.flagged if self.flagged else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {"n": self.total, "category_accuracy": round(self.accuracy, 4),
                "exception_recall": round(self.recall, 4),
                "precision": round(self.precision, 4)}


@dataclass
class CorpusReport:
    overall: Score = field(default_factory=Score)
    by_language: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    by_carrier: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    misses: list[tuple[CorpusRow, str | None, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"overall": self.overall.as_dict(),
                "by_language": {k: v.as_dict() for k, v in sorted(self.by_language.items())},
                "by_carrier": {k: v.as_dict() for k, v in sorted(self.by_carrier.items())}}


def score(rows: Iterable[CorpusRow], classifier: Classifier | None = None) -> CorpusReport:
    """Classify every row's text alone (no status code, no native code) and tally."""
    clf = classifier or default_classifier()
    report = CorpusReport()
    for row in rows:
        got = clf.classify(row.carrier, None, row.text)
        for tally in (report.overall, report.by_language[row.language],
                      report.by_carrier[row.carrier]):
            tally.add(row.category, got.exception_category)
        if got.exception_category != row.category:
            report.misses.append((row, got.exception_category, got.classified_by))
    return report


def format_report(report: CorpusReport, misses: bool) -> str:
    lines = [f"{'group':<26}{'n':>5}{'accuracy':>10}{'recall':>9}{'precision':>11}"]

    def add(name: str, s: Score) -> None:
        lines.append(f"{name:<26}{s.total:>5}{s.accuracy:>10.3f}{s.recall:>9.3f}"
                     f"{s.precision:>11.3f}")

    add("overall", report.overall)
    for lang, s in sorted(report.by_language.items()):
        add(f"language={lang}", s)
    for carrier, s in sorted(report.by_carrier.items()):
        add(f"carrier={carrier}", s)
    if misses:
        lines.append(f"\nmisses ({len(report.misses)}):")
        for row, got, by in report.misses:
            lines.append(f"  line {row.line} [{row.carrier} {row.language}] {row.text!r}: "
                         f"expected {row.category or 'progress'}, got {got or 'progress'} "
                         f"({by})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_PATH)
    parser.add_argument("--part", choices=("tuning", "blind", "all"), default="tuning")
    parser.add_argument("--misses", action="store_true", help="list every misclassified row")
    parser.add_argument("--record", action="store_true",
                        help=f"write the blind part's scores to {BLIND_SCORES_PATH.name}")
    args = parser.parse_args(argv)
    rows = read_corpus(args.corpus)
    chosen = [r for r in rows if args.part == "all" or r.part == args.part]
    report = score(chosen)
    print(f"{args.corpus} part={args.part}: {len(chosen)} of {len(rows)} rows")
    print(format_report(report, args.misses))
    if args.record:
        if args.part != "blind":
            parser.error("--record needs --part blind")
        BLIND_SCORES_PATH.write_text(json.dumps(report.as_dict(), indent=2) + "\n",
                                     encoding="utf-8")
        print(f"recorded {BLIND_SCORES_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
