"""The shipping-sandbox CLI: check, generate, and serve as a subprocess with SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from shipping_sandbox.cli import main, parse_params

BIN = Path(sys.executable).parent


def test_check_prints_the_worked_example(capsys) -> None:
    assert main(["check", "--scenario", "worked_example"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["matches_card"] is True and out["numerator"] == 464


def test_generate_writes_archive(tmp_path: Path, capsys) -> None:
    code = main(["generate", "--scenario", "bulk", "--seed", "2", "--param", "shipments=200",
                 "--param", "days=3", "--webhook-archive", str(tmp_path)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] == len(list(tmp_path.glob("deliveries-*.jsonl"))) > 0


def test_bad_param_is_a_clear_error(capsys) -> None:
    assert main(["generate", "--scenario", "bulk", "--param", "shipments",
                 "--webhook-archive", "/tmp/unused"]) == 2
    assert "expected key=value" in capsys.readouterr().err
    assert parse_params(["a=1", "b = x"]) == {"a": "1", "b": "x"}


def test_serve_subprocess_ready_file_and_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    archive = tmp_path / "hooks"
    portal = tmp_path / "portal.csv"
    proc = subprocess.Popen(
        [str(BIN / "shipping-sandbox"), "serve", "--scenario", "bulk", "--param", "shipments=150",
         "--param", "days=2", "--port", "0", "--api-key", "k", "--at-as-of",
         "--webhook-archive", str(archive), "--ready-file", str(ready),
         "--portal-export", str(portal)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text().strip()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "sandbox did not become ready"
            time.sleep(0.1)
        url = ready.read_text().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        response = requests.post(url, json={"Method": "Ping", "Params": {}}, auth=("k", ""),
                                 timeout=10)
        assert response.json() == {"Result": "OK"}
        assert list(archive.glob("deliveries-*.jsonl"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    # the portal export written from the served world equals the standalone command's
    standalone = tmp_path / "standalone.csv"
    assert main(["portal-export", "--scenario", "bulk", "--param", "shipments=150",
                 "--param", "days=2", "--out", str(standalone)]) == 0
    assert portal.read_bytes() == standalone.read_bytes()
    summary = json.loads(Path(f"{portal}.json").read_text("utf-8"))
    assert summary["total"] > 0 and summary["listed"] == len(portal.read_text().splitlines()) - 1
