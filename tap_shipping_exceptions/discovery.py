"""Discover ShippyPro OrderIDs from an archive of webhook deliveries.

The archive format (file names, line framing, what a delivery must be) lives in
``archive_format``, shared with the receiver. Every file matching the glob is read in sorted
order, line by line (streaming), starting from the byte offset remembered in state, so a rerun
reads only lines appended since. Offsets are kept per path together with the file's identity
(device + inode): a file replaced under the same name (rotated, restored, rewritten) or one that
shrank below the offset is read again from the start. Glob matches are de-duplicated by real path
and ``**`` never follows a symlink into a directory it already visited, so links and loops
neither repeat a file nor hang. Only complete lines are consumed: a last line without its
newline is left for the next run unless it already parses as a full delivery.

A malformed line raises ``ArchiveError`` naming the file, the line number and what was
expected (policy ``fail``, the default: the sync stops before any API call and no offset moves),
or is counted and reported in one WARNING summary (policy ``skip``: the offset moves past it).
"""

from __future__ import annotations

import glob
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from tap_shipping_exceptions.archive_format import DeliveryRejected, is_blank, order_fields
from tap_shipping_exceptions.errors import ArchiveError

logger = logging.getLogger("tap_shipping_exceptions.discovery")

SKIPPED_SHOWN = 20  # malformed lines quoted in the summary WARNING (all are counted)


@dataclass(slots=True)
class Delivery:
    """What one delivery says about a shipment."""

    order_id: int
    tracking: str | None
    carrier_name: str | None


@dataclass
class ArchiveScan:
    """Result of reading the new part of the archive."""

    # latest per OrderID; None where ``details_for`` said the details are not needed
    deliveries: dict[int, Delivery | None] = field(default_factory=dict)
    offsets: dict[str, dict[str, int]] = field(default_factory=dict)
    files: int = 0
    lines: int = 0
    duplicates: int = 0
    ignored: int = 0
    skipped: list[str] = field(default_factory=list)


def archive_files(pattern: str) -> list[str]:
    """Files matching a path or glob (``~`` expanded), as sorted, distinct real paths."""
    expanded = os.path.expanduser(pattern)
    matches = _recursive_glob(expanded) if "**" in expanded else glob.glob(expanded)
    return sorted({os.path.realpath(m) for m in matches if os.path.isfile(m)})


def _recursive_glob(pattern: str) -> list[str]:
    """``glob(pattern, recursive=True)`` that visits each directory once (by device + inode),
    so a symlink loop is walked once instead of until the path length limit."""
    parts = pattern.split(os.sep)
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = os.sep.join(parts[:fixed]) or (os.sep if pattern.startswith(os.sep) else ".")
    regex = _pattern_regex(parts[fixed:])
    matches: list[str] = []
    visited: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(base, followlinks=True):
        try:
            info = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in visited:
            dirs[:] = []
            continue
        visited.add((info.st_dev, info.st_ino))
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = os.path.join(root, name)
            if regex.fullmatch(os.path.relpath(path, base)):
                matches.append(path)
    return matches


def _pattern_regex(parts: list[str]) -> re.Pattern[str]:
    """Regex for the magic tail of a glob (``**`` = any number of directories)."""
    out = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            out.append(r"(?!\.)[^/]*(?:/(?!\.)[^/]*)*" if last else r"(?:(?!\.)[^/]+/)*")
            continue
        out.append(_component_regex(part) + ("" if last else "/"))
    return re.compile("".join(out))


def _component_regex(part: str) -> str:
    out, i = [], 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in part[i + 2:]:
            close = part.index("]", i + 2)
            body = part[i + 1:close]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    if part.startswith("*") or part.startswith("?"):
        out.insert(0, "(?!\\.)")  # like glob: wildcards do not match a leading dot
    return "".join(out)


def _read_lines(scan: ArchiveScan, handle: BinaryIO, path: str, offset: int, line_no: int,
                on_malformed: str, details_for: Callable[[int], bool] | None) -> tuple[int, int]:
    """Read ``handle`` from ``offset`` into ``scan``; return the offset and line number after
    the last line consumed. The hot loop of a first scan: the ``where`` text of a line is only
    built when the line is rejected, and a rejected line is only then tested for blankness."""
    deliveries = scan.deliveries
    lines = duplicates = ignored = 0  # counted locally, added to ``scan`` at the end
    handle.seek(offset)
    try:
        for line in handle:
            end = offset + len(line)
            try:
                fields = order_fields(line)
            except DeliveryRejected as exc:
                complete = line.endswith(b"\n")
                if is_blank(line):
                    if complete:
                        offset, line_no = end, line_no + 1
                    continue
                where = f"webhook archive {path} line {line_no + 1}"
                if not complete:
                    logger.info("%s: incomplete last line left for the next run", where)
                    break
                if on_malformed != "skip":
                    raise ArchiveError(f"{where}: {exc.reason}") from None
                logger.debug("Skipping malformed line: %s: %s", where, exc.reason)
                scan.skipped.append(f"{where}: {exc.reason}")
                offset, line_no = end, line_no + 1
                continue
            offset, line_no = end, line_no + 1
            lines += 1
            if fields is None:
                ignored += 1
                continue
            order_id, tracking, carrier_name = fields
            if order_id in deliveries:
                duplicates += 1
                known = deliveries[order_id]
                if known is not None:  # None: details not needed for this id
                    known.tracking = tracking or known.tracking
                    known.carrier_name = carrier_name or known.carrier_name
            elif details_for is not None and not details_for(order_id):
                deliveries[order_id] = None
            else:
                deliveries[order_id] = Delivery(order_id, tracking, carrier_name)
    finally:
        scan.lines += lines
        scan.duplicates += duplicates
        scan.ignored += ignored
    return offset, line_no


def file_identity(stat: os.stat_result) -> dict[str, int]:
    return {"dev": stat.st_dev, "ino": stat.st_ino}


def _start_offset(path: str, previous: dict[str, int], stat: os.stat_result) -> tuple[int, int]:
    """Where to resume ``path``: the remembered offset unless the file is another one now."""
    try:
        offset, line_no = int(previous.get("offset", 0)), int(previous.get("line", 0))
    except (TypeError, ValueError):
        offset, line_no = 0, 0
    if "ino" in previous and (previous.get("ino"), previous.get("dev")) != (
            stat.st_ino, stat.st_dev):
        logger.warning("Webhook archive %s is a different file than the one read up to byte %d "
                       "(replaced or rotated); reading it from the start", path, offset)
        return 0, 0
    if stat.st_size < offset:
        logger.warning("Webhook archive %s shrank below the %d bytes already read; reading "
                       "it again from the start", path, offset)
        return 0, 0
    return offset, line_no


def scan_archive(pattern: str, offsets: dict[str, dict[str, int]], *,
                 on_malformed: str = "fail",
                 details_for: Callable[[int], bool] | None = None) -> ArchiveScan:
    """Read lines added since ``offsets``; return deliveries and the offsets to commit.

    With ``details_for``, only OrderIDs for which it returns True keep their ``Delivery``
    (tracking number and carrier name); the others map to None, so a large first scan keeps
    little more than the ids."""
    scan = ArchiveScan()
    for path in archive_files(pattern):
        scan.files += 1
        previous = offsets.get(path)
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            logger.warning("Webhook archive %s cannot be read (%s); skipped this run", path, exc)
            if isinstance(previous, dict):
                scan.offsets[path] = previous
            continue
        with handle:
            stat = os.fstat(handle.fileno())  # identity of the file actually read
            offset, line_no = _start_offset(
                path, previous if isinstance(previous, dict) else {}, stat)
            offset, line_no = _read_lines(scan, handle, path, offset, line_no,
                                          on_malformed, details_for)
        scan.offsets[path] = {"offset": offset, "line": line_no, **file_identity(stat)}
    if scan.skipped:
        shown = scan.skipped[:SKIPPED_SHOWN]
        logger.warning("Skipped %d malformed webhook archive line(s): %s%s", len(scan.skipped),
                       "; ".join(shown), " …" if len(scan.skipped) > SKIPPED_SHOWN else "")
    return scan
