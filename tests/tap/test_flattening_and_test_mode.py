"""``raw`` survives schema flattening; ``--test`` emits one record per stream."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from .conftest import NoSleepTap
from .fake_api import FakeShippyPro
from .test_sync import world


def singer_messages(config: dict[str, Any]) -> list[dict[str, Any]]:
    tap = NoSleepTap(config=config, state={})
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(buffer):
        tap.sync_all()
    buffer.seek(0)
    return [json.loads(line) for line in buffer.read().splitlines()]


def test_raw_survives_flattening_as_one_declared_json_column(api: FakeShippyPro,
                                                            base_config: dict) -> None:
    world(api)
    config = {**base_config, "order_ids": [1, 2, 3], "flattening_enabled": True,
              "flattening_max_depth": 3}
    messages = singer_messages(config)
    schemas = {m["stream"]: m["schema"] for m in messages if m["type"] == "SCHEMA"}
    records = [m for m in messages if m["type"] == "RECORD"]
    assert {"shipments", "tracking_events"} <= {m["stream"] for m in records}
    for stream in ("shipments", "tracking_events"):
        assert "raw" in schemas[stream]["properties"], stream
    for message in records:
        declared = set(schemas[message["stream"]]["properties"])
        undeclared = set(message["record"]) - declared
        assert undeclared == set(), (message["stream"], sorted(undeclared))
        if message["stream"] in ("shipments", "tracking_events"):
            raw = json.loads(message["record"]["raw"])
            assert isinstance(raw, dict) and raw, message["record"]["raw"]


def test_raw_is_an_object_without_flattening(api: FakeShippyPro, base_config: dict) -> None:
    world(api)
    messages = singer_messages({**base_config, "order_ids": [1, 2, 3]})
    shipments = [m["record"] for m in messages
                 if m["type"] == "RECORD" and m["stream"] == "shipments"]
    assert shipments and all(isinstance(r["raw"], dict) and r["raw"] for r in shipments)


def test_test_mode_emits_one_record_per_stream(sandbox, tmp_path) -> None:
    """``tap-shipping-exceptions --config … --test`` against the sandbox: one record a stream."""
    ids = [s.order_id for s in list(sandbox.world.shipments)[:5]]
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": "sandbox-key", "api_url": sandbox.url,
                                  "order_ids": ids}), encoding="utf-8")
    tap = [str(Path(sys.executable).parent / "tap-shipping-exceptions")]
    proc = subprocess.run([*tap, "--config", str(config), "--test"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            counts[message["stream"]] = counts.get(message["stream"], 0) + 1
    assert counts == {"shipments": 1, "tracking_events": 1, "carriers": 1}
