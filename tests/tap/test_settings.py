"""Config validation: every bad setting fails before any request, with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tap_shipping_exceptions.errors import SettingsError
from tap_shipping_exceptions.settings import check_settings

from .conftest import NoSleepTap
from .fake_api import FakeShippyPro
from .run_tap import run_tap


@pytest.mark.parametrize("override, expected", [
    ({"max_concurrency": 0}, "Setting 'max_concurrency': expected an integer >= 1, got 0"),
    ({"active_window_days": -3}, "Setting 'active_window_days'"),
    ({"max_retries": -1}, "Setting 'max_retries'"),
    ({"api_url": "ftp://example.com/api"}, "Setting 'api_url': expected an http(s) URL"),
    ({"api_url": "www.shippypro.com/api"}, "Setting 'api_url'"),
    ({"order_ids": [1, 0]}, "Setting 'order_ids': item 1 expected a positive integer"),
    ({"order_ids": [True]}, "Setting 'order_ids': item 0"),
    ({"start_date": "yesterday"}, "Setting 'start_date': 'yesterday' is not an ISO 8601"),
    ({"request_timeout": 0}, "Setting 'request_timeout'"),
    ({"webhook_errors": "ignore"}, "Setting 'webhook_errors'"),
    ({"carrier_aliases": {"Rossi": ""}}, "Setting 'carrier_aliases'"),
    ({"api_key": " "}, "Setting 'api_key'"),
])
def test_bad_settings_named(override: dict, expected: str) -> None:
    config = {"api_key": "k", "order_ids": [1], **override}
    with pytest.raises(SettingsError) as info:
        check_settings(config)
    assert expected in str(info.value)


def test_archive_matching_nothing(tmp_path: Path) -> None:
    pattern = str(tmp_path / "none-*.jsonl")
    with pytest.raises(SettingsError, match=r"Setting 'webhook_archive': .* matches no file"):
        check_settings({"api_key": "k", "webhook_archive": pattern})
    # Fine when there is other work: explicit ids, or active shipments in state.
    assert check_settings({"api_key": "k", "webhook_archive": pattern, "order_ids": [4]})
    assert check_settings({"api_key": "k", "webhook_archive": pattern}, state_has_work=True)


def test_nothing_to_sync() -> None:
    with pytest.raises(SettingsError, match="nothing to sync"):
        check_settings({"api_key": "k"})


def test_defaults() -> None:
    settings = check_settings({"api_key": "k", "order_ids": [3],
                               "start_date": "2026-01-01T00:00:00Z"})
    assert settings.api_url == "https://www.shippypro.com/api"
    assert (settings.active_window_days, settings.max_concurrency) == (45, 4)
    assert settings.start_date == 1767225600


def test_sdk_schema_rejects_non_integer_order_ids() -> None:
    with pytest.raises(ConfigValidationError) as info:
        NoSleepTap(config={"api_key": "k", "order_ids": ["12a"]})
    assert "config['order_ids'][0]" in " ".join(info.value.errors)


def test_tap_fails_before_any_request(api: FakeShippyPro, base_config: dict) -> None:
    """The config schema holds the rule, so the tap refuses the setting as it starts."""
    with pytest.raises(ConfigValidationError) as info:
        run_tap({**base_config, "order_ids": [1], "max_concurrency": 0}, tap_class=NoSleepTap)
    assert ("Setting 'max_concurrency': expected an integer >= 1, got 0 in "
            "config['max_concurrency']") in info.value.errors
    assert api.calls == []


@pytest.mark.parametrize("override", [
    {"api_url": "ftp://example.com/api"}, {"order_ids": [1, 0]}, {"request_timeout": 0},
    {"carrier_aliases": {"Rossi": " "}}, {"max_failed_runs": 0}, {"api_key": " "},
])
def test_the_tap_and_check_settings_apply_the_same_rules(override: dict) -> None:
    """One rule set: the SDK's check at start-up and ``check_settings`` give the same message."""
    config = {"api_key": "sk_test_0123456789", "order_ids": [1], **override}
    with pytest.raises(SettingsError) as direct:
        check_settings(config)
    with pytest.raises(ConfigValidationError) as started:
        NoSleepTap(config=config)
    assert any(error.startswith(str(direct.value)) for error in started.value.errors)


def test_accepted_values_pass_both_checks() -> None:
    config = {"api_key": "k", "order_ids": [7], "api_url": "HTTP://127.0.0.1:9/api",
              "request_timeout": 0.5, "max_retries": 0, "carrier_aliases": {"Rossi": "rossi"},
              "webhook_errors": "skip", "start_date": "2026-01-01"}
    settings = check_settings(config)
    assert (settings.api_url, settings.request_timeout, settings.max_retries) == (
        "HTTP://127.0.0.1:9/api", 0.5, 0)
    NoSleepTap(config=config)
