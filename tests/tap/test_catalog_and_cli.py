"""Catalog selection (deselected columns/streams), ``--about`` and ``python -m``."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import DAY, NOW, NoSleepTap
from .fake_api import FakeShippyPro
from .fakes import event, order
from .run_tap import run_tap


def catalog_with(*, deselect_streams: tuple[str, ...] = (),
                 deselect_props: tuple[tuple[str, str], ...] = ()) -> dict:
    catalog = NoSleepTap(config={"api_key": "k"}).catalog_dict
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            breadcrumb = tuple(entry["breadcrumb"])
            if not breadcrumb:
                entry["metadata"]["selected"] = stream["tap_stream_id"] not in deselect_streams
            elif (stream["tap_stream_id"], breadcrumb[-1]) in deselect_props:
                entry["metadata"]["selected"] = False
    return catalog


def small_world(api: FakeShippyPro) -> None:
    api.add(order(1, date=NOW - DAY), [event(NOW - DAY + 5, 2, "In transito"),
                                       event(NOW - 100, 3, "In consegna")])


def test_deselected_property_is_dropped(api: FakeShippyPro, base_config: dict) -> None:
    small_world(api)
    catalog = catalog_with(deselect_props=(("shipments", "raw"), ("tracking_events", "city")))
    out = run_tap({**base_config, "order_ids": [1]}, catalog=catalog, tap_class=NoSleepTap)
    assert "raw" not in out.records["shipments"][0]
    assert "order_ref" in out.records["shipments"][0]
    assert all("city" not in e and "message" in e for e in out.records["tracking_events"])


def test_only_tracking_events_selected(api: FakeShippyPro, base_config: dict) -> None:
    small_world(api)
    catalog = catalog_with(deselect_streams=("shipments", "carriers"))
    out = run_tap({**base_config, "order_ids": [1]}, catalog=catalog, tap_class=NoSleepTap)
    assert "shipments" not in out.records and "carriers" not in out.records
    assert len(out.records["tracking_events"]) == 2
    assert out.schemas == ["tracking_events"]
    again = run_tap({**base_config, "order_ids": [1]}, state=out.final_state, catalog=catalog,
                    tap_class=NoSleepTap)
    assert again.records["tracking_events"] == []


def test_final_state_keeps_custom_keys_and_no_progress_markers(api: FakeShippyPro,
                                                               base_config: dict) -> None:
    small_world(api)
    out = run_tap({**base_config, "order_ids": [1]}, tap_class=NoSleepTap)
    shipments_state = out.final_state["bookmarks"]["shipments"]
    assert "progress_markers" not in shipments_state
    assert shipments_state["replication_key"] == "updated_at"
    assert set(shipments_state["shippypro"]) == {"version", "active", "done", "archive"}


def test_about_markdown_documents_every_setting() -> None:
    proc = subprocess.run([sys.executable, "-m", "tap_shipping_exceptions", "--about",
                           "--format=markdown"], capture_output=True, text=True, check=True,
                          timeout=120)
    for setting in ("api_key", "api_url", "webhook_archive", "order_ids", "start_date",
                    "active_window_days", "max_concurrency", "carrier_aliases",
                    "request_timeout", "max_retries", "webhook_errors"):
        assert f"| {setting} |" in proc.stdout
    for capability in ("catalog", "discover", "state", "about", "stream-maps",
                       "schema-flattening"):
        assert f"- `{capability}`" in proc.stdout


def test_discover_needs_no_archive(tmp_path: object) -> None:
    config = tmp_path / "config.json"  # type: ignore[operator]
    config.write_text(json.dumps({"api_key": "k"}))
    proc = subprocess.run([sys.executable, "-m", "tap_shipping_exceptions", "--config",
                           str(config), "--discover"], capture_output=True, text=True,
                          check=True, timeout=120)
    streams = {s["tap_stream_id"]: s for s in json.loads(proc.stdout)["streams"]}
    assert set(streams) == {"shipments", "tracking_events", "carriers"}
    assert streams["tracking_events"]["key_properties"] == ["event_id"]
