"""Names of the archive files and the start-up repair of a torn tail.

Files are ``deliveries-YYYYMMDD-NNNN.jsonl`` (UTC day, 4-digit sequence), so a plain sort of
``DIR/*.jsonl`` is arrival order. A file never ends in a partial line once the receiver has
started: an unterminated tail can only come from a write cut short by a crash (SIGKILL, power
loss) and was therefore never acknowledged; ``repair_torn_tails`` truncates it.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "deliveries-"
SUFFIX = ".jsonl"
MAX_SEQUENCE = 9999
_NAME = re.compile(r"^deliveries-(\d{8})-(\d{4})\.jsonl$")


@dataclass(frozen=True, order=True)
class ArchiveName:
    day: str  # YYYYMMDD, UTC
    sequence: int

    @property
    def filename(self) -> str:
        return f"{PREFIX}{self.day}-{self.sequence:04d}{SUFFIX}"


def parse_name(filename: str) -> ArchiveName | None:
    match = _NAME.match(filename)
    if match is None:
        return None
    return ArchiveName(match.group(1), int(match.group(2)))


def archive_files(directory: Path) -> list[tuple[ArchiveName, Path]]:
    """The receiver's files in ``directory``, oldest first (other files are ignored)."""
    found = []
    for entry in directory.iterdir():
        name = parse_name(entry.name)
        if name is not None and entry.is_file():
            found.append((name, entry))
    return sorted(found)


def complete_length(path: Path, chunk: int = 64 * 1024) -> int:
    """Byte length of the prefix of ``path`` that ends with its last newline."""
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        position = end
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            data = handle.read(position - start)
            newline = data.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            position = start
        return 0


def _is_json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:
        return False


def repair_torn_tails(directory: Path) -> list[tuple[Path, int]]:
    """End every archive file on a line boundary; return ``(file, bytes removed)``.

    A tail that is a whole JSON object (only the newline was lost) is kept and terminated:
    the tap may already have consumed it (it takes an unterminated last line that parses), so
    removing it could leave the tap's remembered offset inside a later line. Any other tail is
    a cut-off prefix, which no reader consumes, and is truncated (0 bytes removed = kept).
    """
    repaired = []
    for _, path in archive_files(directory):
        size = path.stat().st_size
        if size == 0:
            continue
        keep = complete_length(path)
        if keep == size:
            continue
        with path.open("r+b") as handle:
            handle.seek(keep)
            tail = handle.read()
            if _is_json_object(tail):
                handle.seek(size)
                handle.write(b"\n")
                removed = 0
            else:
                handle.truncate(keep)
                removed = size - keep
            handle.flush()
            os.fsync(handle.fileno())
        if removed:
            log.warning(
                "archive %s ended in a partial line (%d bytes, never acknowledged: a crash cut "
                "the write short); truncated it to its last complete line", path.name, removed,
            )
        else:
            log.warning("archive %s ended in a complete delivery without its newline; added "
                        "the newline", path.name)
        repaired.append((path, removed))
    return repaired


def read_complete_lines(path: Path, offset: int = 0) -> tuple[list[bytes], int]:
    """Complete lines of ``path`` from ``offset`` and the offset after the last one.

    A reader that runs while the receiver writes (or after a crash, before the receiver's
    next start-up repairs the file) may see an unterminated tail: it is not returned, and the
    returned offset stops before it so the next read picks the line up once complete.
    """
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    return data[: end + 1].splitlines(), offset + end + 1
