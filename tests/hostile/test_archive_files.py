"""Items 4, 5, 8, 11: the archive survives files being deleted, moved, replaced, linked in
loops, and a disk that fills mid-batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tap_shipping_exceptions.archive_format import read_complete_lines
from tap_shipping_exceptions.discovery import archive_files, scan_archive
from tap_shipping_exceptions.webhooks.archive import ArchiveWriter
from tap_shipping_exceptions.webhooks.errors import ArchiveWriteError


def delivery(order_id: int) -> bytes:
    return json.dumps({"Event": "ORDER_SHIPPED", "OrderID": order_id}).encode()


def stored_ids(directory: Path) -> list[int]:
    ids = []
    for path in sorted(directory.glob("deliveries-*.jsonl")):
        ids += [json.loads(line)["OrderID"] for line in read_complete_lines(path)[0]]
    return ids


@pytest.fixture
def writer(tmp_path: Path):
    archive = ArchiveWriter(tmp_path / "archive", max_file_bytes=1024)
    archive.start()
    yield archive
    archive.close()


@pytest.mark.parametrize("how", ["delete", "move away", "replace"])
def test_writer_reopens_a_deleted_moved_or_replaced_file(writer: ArchiveWriter, tmp_path: Path,
                                                         how: str) -> None:
    first = writer.submit(delivery(1)).result(timeout=10)
    current = writer.directory / first.filename
    if how == "delete":
        current.unlink()
    elif how == "move away":
        current.rename(tmp_path / "read-and-archived.jsonl")
    else:
        replacement = writer.directory / "tmp"
        replacement.write_bytes(delivery(100) + b"\n")
        replacement.replace(current)
    for order_id in range(2, 12):  # 10 more deliveries, each acknowledged
        writer.submit(delivery(order_id)).result(timeout=10)
    on_disk = stored_ids(writer.directory)
    assert on_disk[-10:] == list(range(2, 12))  # every acknowledged delivery is readable


def test_tap_rereads_a_file_replaced_under_the_same_name(tmp_path: Path) -> None:
    path = tmp_path / "deliveries-20260101-0001.jsonl"
    path.write_bytes(b"".join(delivery(i) + b"\n" for i in (1, 2, 3)))
    first = scan_archive(str(path), {})
    assert sorted(first.deliveries) == [1, 2, 3]
    # rotated by an operator: renamed away, a new file (longer!) takes the name
    path.rename(tmp_path / "old.jsonl.bak")
    path.write_bytes(b"".join(delivery(i) + b"\n" for i in (4, 5, 6, 7)))
    second = scan_archive(str(path), first.offsets)
    assert sorted(second.deliveries) == [4, 5, 6, 7]  # no line of the new file skipped
    # an unchanged file is still read incrementally
    with path.open("ab") as handle:
        handle.write(delivery(8) + b"\n")
    third = scan_archive(str(path), second.offsets)
    assert sorted(third.deliveries) == [8]


def test_symlink_loops_under_a_glob_read_each_file_once(tmp_path: Path) -> None:
    root = tmp_path / "hooks"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "x.jsonl").write_bytes(delivery(1) + b"\n")
    (root / "a" / "b" / "y.jsonl").write_bytes(delivery(2) + b"\n")
    (root / "a" / "b" / "loop").symlink_to(root / "a")
    (root / "a" / "loop2").symlink_to(root)
    (root / "alias.jsonl").symlink_to(root / "a" / "x.jsonl")
    code = ("import sys; from tap_shipping_exceptions.discovery import archive_files;"
            "print('\\n'.join(archive_files(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, str(root / "**" / "*.jsonl")],
                          capture_output=True, text=True, timeout=60)  # two loops used to hang
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == sorted({str((root / "a" / "x.jsonl").resolve()),
                                          str((root / "a" / "b" / "y.jsonl").resolve())})
    scan = scan_archive(str(root / "**" / "*.jsonl"), {})
    assert scan.files == 2 and scan.duplicates == 0


def test_glob_semantics_kept(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    for name in ("a.jsonl", "b.json", ".hidden.jsonl", "d/c.jsonl"):
        (tmp_path / name).write_text("")
    assert [Path(p).name for p in archive_files(str(tmp_path / "**" / "*.jsonl"))] == [
        "a.jsonl", "c.jsonl"]
    assert [Path(p).name for p in archive_files(str(tmp_path / "*.jsonl"))] == ["a.jsonl"]
    assert [Path(p).name for p in archive_files(str(tmp_path / "[ab].json*"))] == [
        "a.jsonl", "b.json"]


def test_failed_batch_spanning_a_rotation_is_not_stored(writer: ArchiveWriter,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    writer.submit(b'{"Event": "ORDER_SHIPPED", "OrderID": 1, "pad": "' + b"x" * 800 + b'"}'
                  ).result(timeout=10)
    real_write = os.write
    calls = {"n": 0}

    def disk_full_on_second_file(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] >= 2:  # the first chunk fits in file 1, the rotated file hits ENOSPC
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    lines = [b'{"Event": "ORDER_SHIPPED", "OrderID": %d, "pad": "%s"}' % (i, b"y" * 60)
             for i in range(2, 12)]
    with writer._condition:  # queue the whole batch at once so one commit spans the rotation
        futures = [writer.submit(line) for line in lines]
        monkeypatch.setattr(os, "write", disk_full_on_second_file)
    for future in futures:
        with pytest.raises(ArchiveWriteError):
            future.result(timeout=10)
    monkeypatch.setattr(os, "write", real_write)
    assert stored_ids(writer.directory) == [1]  # nothing answered 503 is on disk
    writer.submit(delivery(99)).result(timeout=10)
    assert stored_ids(writer.directory) == [1, 99]
