"""Durable, append-only archive of deliveries with one writer thread that group-commits.

Request handlers call ``await writer.append(line)``. The writer thread takes every line queued
while its previous fsync ran, writes them with as few ``write`` calls as possible, fsyncs once
and only then resolves every waiting request, so a 200 is sent only for bytes on stable
storage. Only this thread touches the files: concurrent requests never interleave or tear
lines. Files rotate when the UTC day changes or the next line would push a file past
``max_file_bytes`` (a single larger line gets a file of its own).

Before every batch the writer checks that its open file is still the one at its path (same
device and inode, not unlinked); if someone deleted, moved or replaced it, the writer opens the
path again (appending to the replacement, or creating a new file), so no 200 is ever given for a
line written to a file nobody can read. A batch that fails part-way (e.g. the disk fills while a
batch spans a rotation) is removed from every file it touched before the requests get their 503:
a delivery is stored if and only if it was answered 200.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tap_shipping_exceptions.webhooks.archive_files import (
    MAX_SEQUENCE,
    ArchiveName,
    archive_files,
    repair_torn_tails,
)
from tap_shipping_exceptions.webhooks.errors import ArchiveWriteError

log = logging.getLogger(__name__)

LOCK_FILE = ".shipping-webhooks.lock"
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Stored:
    """Where a line landed: the file name and the byte offset where it starts."""

    filename: str
    offset: int


@dataclass
class _Pending:
    line: bytes
    future: concurrent.futures.Future[Stored]


class ArchiveWriter:
    """Owns ``directory``: locks it, repairs torn tails, appends lines durably."""

    def __init__(self, directory: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 clock: Callable[[], datetime] = utc_now):
        if max_file_bytes < 1024:
            raise ArchiveWriteError(f"max_file_bytes must be at least 1024, got {max_file_bytes}")
        self.directory = directory
        self.max_file_bytes = max_file_bytes
        self._clock = clock
        self._condition = threading.Condition()
        self._queue: list[_Pending] = []
        self._closing = False
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._name: ArchiveName | None = None
        self._size = 0
        self.commits = 0  # fsync rounds, for figures
        self.lines_written = 0

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveWriteError(
                f"cannot create archive directory {self.directory}: {exc}") from exc
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise ArchiveWriteError(f"archive directory {self.directory} is not writable")
        self._lock_fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise ArchiveWriteError(
                f"archive directory {self.directory} is in use by another shipping-webhooks "
                "process (one writer per directory)"
            ) from exc
        repair_torn_tails(self.directory)
        existing = archive_files(self.directory)
        if existing:
            last_name, last_path = existing[-1]
            self._name, self._size = last_name, last_path.stat().st_size
        self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)
        self._thread.start()
        log.info("archive writer started in %s (%d existing files)", self.directory,
                 len(existing))

    def close(self) -> None:
        """Stop accepting lines, write and fsync everything queued, release the directory."""
        with self._condition:
            if self._closing and self._thread is None:
                return
            self._closing = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        log.info("archive writer stopped: %d lines in %d commits", self.lines_written,
                 self.commits)

    @property
    def healthy(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._closing

    @property
    def queued(self) -> int:
        return len(self._queue)

    # ---- submitting ------------------------------------------------------------------------
    def submit(self, line: bytes) -> concurrent.futures.Future[Stored]:
        """Queue one line (no newline inside); the future resolves once it is durable."""
        if b"\n" in line or b"\r" in line:
            raise ValueError("an archive line must not contain CR or LF")
        future: concurrent.futures.Future[Stored] = concurrent.futures.Future()
        with self._condition:
            if self._closing:
                raise ArchiveWriteError("archive writer is shutting down; delivery not stored")
            self._queue.append(_Pending(line + b"\n", future))
            self._condition.notify()
        return future

    async def append(self, line: bytes) -> Stored:
        return await asyncio.wrap_future(self.submit(line))

    # ---- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._queue and not self._closing:
                    self._condition.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
            try:
                stored = self._commit(batch)
            except Exception as exc:  # report to every waiting request, keep serving
                log.error("archive commit of %d deliveries failed: %s", len(batch), exc)
                error = ArchiveWriteError(f"archive write failed: {exc}")
                for pending in batch:
                    pending.future.set_exception(error)
                continue
            for pending, where in zip(batch, stored, strict=True):
                pending.future.set_result(where)

    def _commit(self, batch: list[_Pending]) -> list[Stored]:
        self._reopen_if_moved()
        touched: list[tuple[Path, int]] = []  # (file, size before this batch)
        try:
            return self._write_batch(batch, touched)
        except BaseException:
            self._undo(touched)
            raise

    def _undo(self, touched: list[tuple[Path, int]]) -> None:
        """Cut every file this batch wrote back to its size before the batch."""
        for path, size in touched:
            try:
                with path.open("r+b") as handle:
                    handle.truncate(size)
                    os.fsync(handle.fileno())
            except OSError as exc:
                log.error("could not remove a failed batch from %s: %s", path.name, exc)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self._size = os.fstat(self._fd).st_size

    def _reopen_if_moved(self) -> None:
        """Reopen the current file's path if the open file is no longer linked there."""
        if self._fd is None or self._name is None:
            return
        opened = os.fstat(self._fd)
        try:
            current = os.stat(self.directory / self._name.filename)
        except FileNotFoundError:
            current = None
        if current is not None and opened.st_nlink > 0 and (
                current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino):
            return
        log.warning("archive file %s was deleted, moved or replaced; opening %s again",
                    self._name.filename, self._name.filename)
        os.close(self._fd)
        self._fd = None
        self._open(self._name)

    def _write_batch(self, batch: list[_Pending], touched: list[tuple[Path, int]]
                     ) -> list[Stored]:
        stored: list[Stored] = []
        index = 0
        while index < len(batch):
            self._rotate_if_needed(len(batch[index].line))
            assert self._name is not None
            path = self.directory / self._name.filename
            if not touched or touched[-1][0] != path:
                touched.append((path, self._size))
            chunk: list[bytes] = []
            start = self._size
            size = self._size
            while index < len(batch):
                line = batch[index].line
                if chunk and size + len(line) > self.max_file_bytes:
                    break
                assert self._name is not None
                stored.append(Stored(self._name.filename, size))
                chunk.append(line)
                size += len(line)
                index += 1
            self._write_all(b"".join(chunk), start)
            self._size = size
        assert self._fd is not None
        os.fdatasync(self._fd)
        self.commits += 1
        self.lines_written += len(batch)
        return stored

    def _write_all(self, data: bytes, start: int) -> None:
        assert self._fd is not None
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError:
            # Remove a partial write so no torn line stays behind, then fail the batch.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise

    def _rotate_if_needed(self, next_line: int) -> None:
        today = self._clock().strftime("%Y%m%d")
        name = self._name
        if name is not None and name.day > today:
            today = name.day  # the clock went back: keep names sorting in arrival order
        if name is None or name.day != today:
            target = ArchiveName(today, 1)
        elif self._size > 0 and self._size + next_line > self.max_file_bytes:
            if name.sequence >= MAX_SEQUENCE:
                log.warning("archive day %s reached %d files; %s grows past max_file_bytes",
                            today, MAX_SEQUENCE, name.filename)
                target = name
            else:
                target = ArchiveName(today, name.sequence + 1)
        else:
            target = name
        if target == name and self._fd is not None:
            return
        if self._fd is not None:
            os.fdatasync(self._fd)
            os.close(self._fd)
            self._fd = None
        self._open(target)

    def _open(self, target: ArchiveName) -> None:
        path = self.directory / target.filename
        created = not path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._size = os.fstat(self._fd).st_size
        self._name = target
        if created:
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # make the new directory entry durable too
            finally:
                os.close(dir_fd)
            log.info("archive rotated to %s", target.filename)
