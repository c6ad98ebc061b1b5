"""The archive writer in-process: group commit, rotation by size and UTC day, repair, reading."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tap_shipping_exceptions.webhooks.archive import ArchiveWriter
from tap_shipping_exceptions.webhooks.archive_files import read_complete_lines, repair_torn_tails
from tap_shipping_exceptions.webhooks.errors import ArchiveWriteError


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def line(i: int, pad: int = 0) -> bytes:
    return b'{"Event":"TRACKING_UPDATE","n":%d,"pad":"%s"}' % (i, b"p" * pad)


def all_lines(directory: Path) -> list[bytes]:
    return [x for p in sorted(directory.glob("*.jsonl")) for x in p.read_bytes().splitlines()]


def test_concurrent_appends_never_interleave_and_are_grouped(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, max_file_bytes=1 << 30)
    writer.start()
    expected = [line(t * 1000 + i, pad=(i * 37) % 3000) for t in range(16) for i in range(200)]
    futures = []
    lock = threading.Lock()

    def producer(t: int) -> None:
        for i in range(200):
            future = writer.submit(line(t * 1000 + i, pad=(i * 37) % 3000))
            with lock:
                futures.append(future)

    threads = [threading.Thread(target=producer, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = [f.result(timeout=60) for f in futures]
    writer.close()
    assert sorted(all_lines(tmp_path)) == sorted(expected)
    assert len({(s.filename, s.offset) for s in stored}) == len(expected)
    assert writer.commits < len(expected)  # several lines per fsync


def test_rotates_by_size_and_by_utc_day_in_sorted_name_order(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 3, 11, 23, 59, 0, tzinfo=UTC))
    writer = ArchiveWriter(tmp_path, max_file_bytes=4096, clock=clock)
    writer.start()
    sent = []
    for i in range(40):
        sent.append(line(i, pad=300))
        writer.submit(sent[-1]).result(timeout=30)
        if i == 29:
            clock.now += timedelta(minutes=2)  # 00:01 UTC on 12 March
    big = line(99, pad=10000)  # larger than a file: gets a file of its own
    writer.submit(big).result(timeout=30)
    sent.append(big)
    writer.close()
    names = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert names[0] == "deliveries-20260311-0001.jsonl"
    assert "deliveries-20260312-0001.jsonl" in names
    assert len([n for n in names if "20260311" in n]) >= 3
    assert all_lines(tmp_path) == sent  # sorted names = arrival order
    for path in tmp_path.glob("*.jsonl"):
        lines = path.read_bytes().splitlines()
        assert path.stat().st_size <= 4096 or len(lines) == 1


def test_restart_continues_the_last_file_and_never_sorts_backwards(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    writer = ArchiveWriter(tmp_path, max_file_bytes=1 << 20, clock=clock)
    writer.start()
    writer.submit(line(1)).result(timeout=30)
    writer.close()
    clock.now = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # the clock went back a day
    writer = ArchiveWriter(tmp_path, max_file_bytes=1 << 20, clock=clock)
    writer.start()
    writer.submit(line(2)).result(timeout=30)
    writer.close()
    assert [p.name for p in tmp_path.glob("*.jsonl")] == ["deliveries-20260312-0001.jsonl"]
    assert all_lines(tmp_path) == [line(1), line(2)]


def test_repair_truncates_only_the_unterminated_tail(tmp_path: Path) -> None:
    good = tmp_path / "deliveries-20260310-0001.jsonl"
    good.write_bytes(b'{"Event":"A"}\n')
    torn = tmp_path / "deliveries-20260310-0002.jsonl"
    torn.write_bytes(b'{"Event":"A"}\n' + b"x" * 200000)  # tail longer than one scan chunk
    only_partial = tmp_path / "deliveries-20260310-0003.jsonl"
    only_partial.write_bytes(b'{"Eve')
    whole = tmp_path / "deliveries-20260310-0004.jsonl"
    whole.write_bytes(b'{"Event":"A"}\n{"Event":"B"}')  # only the newline was lost
    other = tmp_path / "notes.jsonl"
    other.write_bytes(b"not ours")
    repaired = repair_torn_tails(tmp_path)
    assert sorted((p.name, n) for p, n in repaired) == [
        ("deliveries-20260310-0002.jsonl", 200000), ("deliveries-20260310-0003.jsonl", 5),
        ("deliveries-20260310-0004.jsonl", 0)]
    assert whole.read_bytes() == b'{"Event":"A"}\n{"Event":"B"}\n'
    assert good.read_bytes() == torn.read_bytes() == b'{"Event":"A"}\n'
    assert only_partial.read_bytes() == b""
    assert other.read_bytes() == b"not ours"


def test_reader_skips_an_incomplete_tail_and_resumes_from_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "deliveries-20260310-0001.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":')
    lines, offset = read_complete_lines(path)
    assert (lines, offset) == ([b'{"a":1}'], 8)
    with path.open("ab") as handle:
        handle.write(b'2}\n{"c":3}\n')
    assert read_complete_lines(path, offset) == ([b'{"b":2}', b'{"c":3}'], path.stat().st_size)


def test_rejects_lines_with_line_breaks_and_submits_after_close(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path)
    writer.start()
    with pytest.raises(ValueError, match="CR or LF"):
        writer.submit(b'{"a":\n1}')
    writer.close()
    with pytest.raises(ArchiveWriteError, match="shutting down"):
        writer.submit(line(1))


def test_unwritable_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ArchiveWriteError, match="cannot create archive directory"):
        ArchiveWriter(blocker / "sub").start()
