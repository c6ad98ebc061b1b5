"""Read the vendor portal's Exceptions export (CSV) into one row per listed shipment.

Tolerant of what real exports do: English or Italian headers and labels (vocabulary from the rule
set), any column order, a UTF-8 BOM, ``,`` ``;`` or tab separators, and trailing blank lines.
Strict about everything else: a broken file raises ``PortalExportError`` naming the file, the line
and the column, and nothing is returned, never a partial answer.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from shipping_core.windows import zone

from .ruleset import ExportVocabulary

SEPARATORS = (",", ";", "\t")


class PortalExportError(ValueError):
    """The export cannot be read; the message names the file, line and column."""


@dataclass(frozen=True)
class PortalRow:
    shipment_id: str
    tracking_number: str
    carrier: str
    category: str  # our category key, mapped from the portal's label
    category_label: str  # the label as the portal wrote it
    event_at: datetime  # UTC
    resolution: str  # open | resolved | auto-resolved
    is_return: bool
    line: int


@dataclass(frozen=True)
class PortalExport:
    path: str
    rows: dict[str, PortalRow]  # by shipment_id

    @property
    def includes_auto_resolved(self) -> bool:
        """True when the export was taken with "Include transient" on."""
        return any(r.resolution == "auto-resolved" for r in self.rows.values())


def _key(text: str) -> str:
    """Normalise a header or label for matching: case, accents, spaces and punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(alias): canonical for canonical, names in aliases.items() for alias in names}


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PortalExportError(f"{path}: cannot read the portal export ({exc.strerror})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PortalExportError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); export the "
                                "CSV as UTF-8") from exc


def _separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


class _Reader:
    def __init__(self, path: Path, vocab: ExportVocabulary, timezone: str) -> None:
        self.path = path
        self.vocab = vocab
        self.tz: ZoneInfo = zone(timezone)
        self.columns = _lookup(vocab.columns)
        self.categories = _lookup(vocab.categories)
        self.resolutions = _lookup(vocab.resolutions)
        self.true_flags = {_key(v) for v in vocab.true_flags}
        self.false_flags = {_key(v) for v in vocab.false_flags}

    def fail(self, line: int, column: str | None, message: str) -> PortalExportError:
        where = f"{self.path}:{line}" + (f", column {column!r}" if column else "")
        return PortalExportError(f"{where}: {message}")

    def header(self, cells: list[str]) -> dict[str, int]:
        index: dict[str, int] = {}
        for position, cell in enumerate(cells):
            canonical = self.columns.get(_key(cell))
            if canonical is None:
                continue  # extra portal columns are ignored
            if canonical in index:
                raise self.fail(1, cell, f"column given twice (also column {index[canonical] + 1})")
            index[canonical] = position
        missing = [c for c in self.vocab.columns if c not in index]
        if missing:
            expected = "; ".join(f"{c} (one of {', '.join(self.vocab.columns[c])})"
                                 for c in missing)
            raise self.fail(1, None, f"header lacks {expected}; header was {cells}")
        return index

    def event_at(self, text: str, line: int, column: str) -> datetime:
        for fmt in self.vocab.event_date_formats:
            try:
                local = datetime.strptime(text.strip(), fmt)
            except ValueError:
                continue
            return local.replace(tzinfo=self.tz).astimezone(UTC)
        raise self.fail(line, column, f"{text!r} is not a workspace-local date-time "
                        f"(expected {' or '.join(self.vocab.event_date_formats)})")

    def flag(self, text: str, line: int, column: str) -> bool:
        key = _key(text)
        if key in self.true_flags:
            return True
        if key in self.false_flags:
            return False
        raise self.fail(line, column, f"{text!r} is not a 0/1 flag")

    def row(self, cells: list[str], index: dict[str, int], names: list[str],
            line: int) -> PortalRow:
        def cell(field: str) -> tuple[str, str]:
            return cells[index[field]].strip(), names[index[field]]

        order_id, col = cell("order_id")
        if not order_id:
            raise self.fail(line, col, "empty order id")
        label, col = cell("category")
        category = self.categories.get(_key(label))
        if category is None:
            known = sorted({a for names_ in self.vocab.categories.values() for a in names_})
            raise self.fail(line, col, f"unknown category {label!r} (expected one of "
                            f"{', '.join(known)})")
        resolution_text, col = cell("resolution")
        resolution = self.resolutions.get(_key(resolution_text))
        if resolution is None:
            raise self.fail(line, col, f"unknown resolution {resolution_text!r} (expected "
                            f"{', '.join(self.vocab.resolutions)})")
        date_text, date_col = cell("event_date")
        return_text, return_col = cell("is_return")
        return PortalRow(
            shipment_id=order_id,
            tracking_number=cell("tracking_number")[0],
            carrier=cell("carrier")[0],
            category=category,
            category_label=label,
            event_at=self.event_at(date_text, line, date_col),
            resolution=resolution,
            is_return=self.flag(return_text, line, return_col),
            line=line,
        )

    def read(self) -> PortalExport:
        text = _decode(self.path)
        lines = text.splitlines()
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            raise self.fail(1, None, "empty file (expected a header row)")
        sep = _separator(lines[0])
        reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=sep, strict=True)
        try:
            names = [c.strip() for c in next(reader)]
            index = self.header(names)
            rows: dict[str, PortalRow] = {}
            for cells in reader:
                number = reader.line_num
                if not any(c.strip() for c in cells):
                    raise self.fail(number, None, "blank line inside the data (only trailing "
                                    "blank lines are allowed)")
                if len(cells) != len(names):
                    raise self.fail(number, None, f"{len(cells)} fields, expected {len(names)} "
                                    f"as in the header (separator {sep!r})")
                row = self.row(cells, index, names, number)
                if row.shipment_id in rows:
                    raise self.fail(number, names[index["order_id"]],
                                    f"order {row.shipment_id} listed twice (also line "
                                    f"{rows[row.shipment_id].line}); the export has one row per "
                                    "shipment")
                rows[row.shipment_id] = row
        except csv.Error as exc:
            raise self.fail(reader.line_num, None, f"malformed CSV: {exc}") from exc
        return PortalExport(str(self.path), rows)


def read_portal_export(path: str | Path, vocab: ExportVocabulary,
                       timezone: str = "Europe/Rome") -> PortalExport:
    """Parse the export at ``path``; ``timezone`` is the workspace zone of its ``EventDate``."""
    return _Reader(Path(path), vocab, timezone).read()
