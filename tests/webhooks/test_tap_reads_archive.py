"""End to end: sandbox deliveries POSTed to the real receiver, then the tap run on its archive.

ShippyPro delivers at least once, so the archive holds repeated deliveries; the tap must still
discover (and emit) every shipment exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.receiver_process import start_receiver
from shipping_sandbox.archive import deliveries, order_shipped, tracking_update
from shipping_sandbox.generator import generate
from shipping_sandbox.runner import start_server
from shipping_sandbox.server import create_app

from .helpers import GOOD_AUTH, GOOD_HEADERS, credentials_env

API_KEY = "webhook-e2e-key"
TAP = str(Path(sys.executable).parent / "tap-shipping-exceptions")


def test_tap_discovers_every_shipment_once_from_the_receivers_archive(tmp_path: Path) -> None:
    world = generate("month", seed=23, shipments=60)
    by_id = world.by_order_id()
    planned = deliveries(world, world.end)
    bodies = [order_shipped(by_id[oid], "") if index < 0
              else tracking_update(by_id[oid], index, "") for _, oid, index, _ in planned]
    bodies += bodies[:15]  # ShippyPro retrying deliveries it thinks failed
    expected_ids = {oid for _, oid, _, _ in planned}
    assert len(expected_ids) >= 50

    archive = tmp_path / "archive"
    receiver = start_receiver(archive, tmp_path, "--max-file-bytes", "16384",
                              env=credentials_env())
    try:
        with httpx.Client(auth=GOOD_AUTH, headers=GOOD_HEADERS, timeout=30) as http:
            for body in bodies:
                response = http.post(receiver.delivery_url, content=json.dumps(body).encode())
                assert response.status_code == 200, response.text
    finally:
        receiver.terminate()
    files = sorted(archive.glob("*.jsonl"))
    assert len(files) > 1  # rotation happened, the tap reads across files
    assert sum(len(p.read_bytes().splitlines()) for p in files) == len(bodies)
    # What a SIGKILL mid-write can leave before the receiver's next start-up repairs it: the
    # tap must leave an unterminated, unparsable tail alone rather than stop.
    with files[-1].open("ab") as handle:
        handle.write(b'{"Event":"TRACKING_UPDATE","tracking":"CUT-OFF","Ord')

    server = start_server(create_app(world, api_key=API_KEY, now=world.end))
    try:
        config = tmp_path / "tap-config.json"
        config.write_text(json.dumps({"api_key": API_KEY, "api_url": server.url,
                                      "webhook_archive": f"{archive}/*.jsonl",
                                      "max_concurrency": 4}))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SHIPPING")}
        proc = subprocess.run([TAP, "--config", str(config)], capture_output=True, text=True,
                              timeout=600, env=env)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr[-4000:]
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    shipments = Counter(int(m["record"]["shipment_id"]) for m in records
                        if m.get("type") == "RECORD" and m["stream"] == "shipments")
    assert set(shipments) == expected_ids
    assert max(shipments.values()) == 1
