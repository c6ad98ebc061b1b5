"""Under concurrent load, after SIGTERM and after SIGKILL: every 200 is in the archive as sent."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from benchmarks.receiver_process import ReceiverProcess, start_receiver
from benchmarks.webhook_loadgen import LoadResult, check_archive, run_load
from tap_shipping_exceptions.webhooks.archive_files import read_complete_lines

from .helpers import GOOD_AUTH, GOOD_HEADERS, credentials_env

LOAD_TOTAL = 2000
CLIENTS = 50


def load(receiver: ReceiverProcess, total: int, first_index: int = 0) -> LoadResult:
    return asyncio.run(run_load(receiver.delivery_url, total, CLIENTS, auth=GOOD_AUTH,
                                headers=GOOD_HEADERS, timeout=120, first_index=first_index))


def load_in_background(receiver: ReceiverProcess, total: int
                       ) -> tuple[LoadResult, threading.Thread]:
    result = LoadResult(total, CLIENTS)

    def target() -> None:
        asyncio.run(run_load(receiver.delivery_url, total, CLIENTS, auth=GOOD_AUTH,
                             headers=GOOD_HEADERS, result=result, timeout=120))

    thread = threading.Thread(target=target)
    thread.start()
    return result, thread


def wait_for_acks(result: LoadResult, thread: threading.Thread, count: int) -> None:
    deadline = time.monotonic() + 300
    while len(result.acked) < count:
        assert thread.is_alive(), f"load ended early: {result.failures}"
        assert time.monotonic() < deadline, "load made no progress"
        time.sleep(0.01)


def test_bounded_load_every_acknowledged_delivery_is_archived_as_sent(tmp_path: Path) -> None:
    receiver = start_receiver(tmp_path / "archive", tmp_path, "--max-file-bytes", "131072",
                              env=credentials_env())
    try:
        result = load(receiver, LOAD_TOTAL)
    finally:
        receiver.terminate()
    print(result.summary())
    assert len(result.acked) == LOAD_TOTAL, result.failures
    check = check_archive(tmp_path / "archive", result.acked)
    assert check.ok, (check.missing[:5], check.duplicated[:5], check.unparsable[:5])
    assert check.lines == LOAD_TOTAL
    files = sorted(p.name for p in (tmp_path / "archive").glob("*.jsonl"))
    assert len(files) > 3  # rotated by size during the run
    assert files[0].endswith("-0001.jsonl")
    assert "archive writer stopped: 2000 lines in" in receiver.log_text()


def test_sigterm_during_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    receiver = start_receiver(tmp_path / "archive", tmp_path, env=credentials_env())
    result, thread = load_in_background(receiver, 20000)
    wait_for_acks(result, thread, 300)
    code = receiver.terminate()
    thread.join(timeout=300)
    assert code in (0, -15)
    assert len(result.acked) < 20000  # it really stopped mid-load
    assert not [f for f in result.failures if f.startswith("HTTP")], result.failures
    check = check_archive(tmp_path / "archive", result.acked)
    assert check.ok, (check.missing[:5], check.duplicated[:5], check.unparsable[:5])
    log = receiver.log_text()
    assert "Shutting down" in log
    assert "archive writer stopped" in log


def test_sigkill_during_load_keeps_every_acknowledged_delivery(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    receiver = start_receiver(archive, tmp_path, "--max-file-bytes", "262144",
                              env=credentials_env())
    result, thread = load_in_background(receiver, 20000)
    wait_for_acks(result, thread, 500)
    receiver.kill()
    thread.join(timeout=300)
    acked = dict(result.acked)
    assert len(acked) < 20000

    # Before any restart, a reader that takes complete lines only sees valid JSON lines.
    before_restart = check_archive(archive, acked)
    assert not before_restart.missing and not before_restart.duplicated
    assert not [u for u in before_restart.unparsable if "after last newline" not in u]
    for path in archive.glob("*.jsonl"):
        read_complete_lines(path)

    # The restarted receiver repairs any torn tail and carries on appending.
    restarted = start_receiver(archive, tmp_path, env=credentials_env())
    try:
        more = load(restarted, 200, first_index=100000)
    finally:
        restarted.terminate()
    acked.update(more.acked)
    check = check_archive(archive, acked)
    assert check.ok, (check.missing[:5], check.duplicated[:5], check.unparsable[:5])
    for path in archive.glob("*.jsonl"):
        assert path.read_bytes().endswith(b"\n")
