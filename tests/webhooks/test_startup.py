"""The CLI refuses unsafe or malformed configurations with a clear message, and starts when told."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from benchmarks.receiver_process import start_receiver

from .helpers import credentials_env

CLI = str(Path(sys.executable).parent / "shipping-webhooks")


def run_cli(tmp_path: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, "serve", "--host", "127.0.0.1", "--port", "0", "--archive-dir",
         str(tmp_path / "archive"), *extra],
        env=env, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SHIPPING_WEBHOOKS_USER": None, "SHIPPING_WEBHOOKS_PASSWORD": None,
          "SHIPPING_WEBHOOKS_HEADER": None}, "no credentials: set SHIPPING_WEBHOOKS_USER"),
        ({"SHIPPING_WEBHOOKS_PASSWORD": ""},
         "SHIPPING_WEBHOOKS_PASSWORD is empty or unset but SHIPPING_WEBHOOKS_USER is set"),
        ({"SHIPPING_WEBHOOKS_HEADER": "no-colon-here"},
         "SHIPPING_WEBHOOKS_HEADER must look like 'Name: value'"),
        ({"SHIPPING_WEBHOOKS_HEADER": "Bad Name: v"}, "is not a valid HTTP header name"),
    ],
)
def test_refuses_to_start(tmp_path: Path, overrides: dict, message: str) -> None:
    proc = run_cli(tmp_path, credentials_env(**overrides))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "pa55" not in proc.stderr + proc.stdout


def test_refuses_a_directory_already_served(tmp_path: Path) -> None:
    first = start_receiver(tmp_path / "archive", tmp_path, env=credentials_env())
    try:
        proc = run_cli(tmp_path, credentials_env())
        assert proc.returncode == 2
        assert "in use by another shipping-webhooks process" in proc.stderr
    finally:
        first.terminate()


def test_insecure_no_auth_accepts_without_credentials(tmp_path: Path) -> None:
    env = credentials_env(SHIPPING_WEBHOOKS_USER=None, SHIPPING_WEBHOOKS_PASSWORD=None,
                          SHIPPING_WEBHOOKS_HEADER=None)
    receiver = start_receiver(tmp_path / "archive", tmp_path, "--insecure-no-auth", env=env)
    try:
        body = json.dumps({"Event": "ORDER_SHIPPED", "OrderID": 1, "TrackingNumber": "T",
                           "CarrierName": "GLS"}).encode()
        assert httpx.post(receiver.delivery_url, content=body).status_code == 200
    finally:
        receiver.terminate()
    assert "auth: none (--insecure-no-auth)" in receiver.log_text()
    assert [p.read_bytes() for p in (tmp_path / "archive").glob("*.jsonl")] == [body + b"\n"]


def test_start_up_truncates_a_torn_tail_left_by_a_crash(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    torn = archive / "deliveries-20260101-0001.jsonl"
    torn.write_bytes(b'{"Event":"A"}\n{"Event":"B"}\n{"Event":"TRACK')
    receiver = start_receiver(archive, tmp_path, env=credentials_env())
    receiver.terminate()
    assert torn.read_bytes() == b'{"Event":"A"}\n{"Event":"B"}\n'
    assert "ended in a partial line (15 bytes" in receiver.log_text()
