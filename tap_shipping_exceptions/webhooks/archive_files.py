"""The start-up repair of a torn archive tail (names and framing: ``archive_format``).

A file never ends in a partial line once the receiver has
started: an unterminated tail can only come from a write cut short by a crash (SIGKILL, power
loss) and was therefore never acknowledged; ``repair_torn_tails`` truncates it.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from tap_shipping_exceptions.archive_format import (
    MAX_SEQUENCE,
    ArchiveName,
    complete_length,
    parse_name,
    read_complete_lines,
)
from tap_shipping_exceptions.archive_format import receiver_files as archive_files

__all__ = ["MAX_SEQUENCE", "ArchiveName", "archive_files", "complete_length", "parse_name",
           "read_complete_lines", "repair_torn_tails"]

log = logging.getLogger(__name__)


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
