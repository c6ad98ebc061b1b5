"""The tap's settings: JSON Schema (for ``--about`` and the SDK's validation) and a checker.

``check_settings`` turns a config mapping into a typed ``Settings`` or raises ``SettingsError``
naming the setting and what was expected. It runs before any request is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from singer_sdk import typing as th

from tap_shipping_exceptions.client import DEFAULT_API_URL
from tap_shipping_exceptions.discovery import archive_files
from tap_shipping_exceptions.errors import SettingsError

DEFAULT_ACTIVE_WINDOW_DAYS = 45
DEFAULT_MAX_CONCURRENCY = 4
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_MAX_FAILED_RUNS = 3
MALFORMED_POLICIES = ("fail", "skip")

CONFIG_SCHEMA = th.PropertiesList(
    th.Property("api_key", th.StringType, required=True, secret=True, title="API key",
                description="ShippyPro API key (sent as the HTTP Basic username with an empty "
                            "password). Never logged."),
    th.Property("api_url", th.StringType, default=DEFAULT_API_URL, title="API URL",
                description="ShippyPro API endpoint (http or https); point it at the sandbox "
                            "for tests and demos."),
    th.Property("webhook_archive", th.StringType, title="Webhook archive",
                description="Path or glob of newline-delimited JSON webhook deliveries "
                            "(ORDER_SHIPPED, TRACKING_UPDATE) used to discover OrderIDs. Files "
                            "are read in sorted order; only lines added since the last run are "
                            "read."),
    th.Property("order_ids", th.ArrayType(th.IntegerType), title="Order IDs",
                description="ShippyPro OrderIDs to fetch explicitly (backfills); integers."),
    th.Property("start_date", th.DateTimeType, title="Start date",
                description="Skip (do not emit) shipments whose label was created before this "
                            "instant (ISO 8601)."),
    th.Property("active_window_days", th.IntegerType, default=DEFAULT_ACTIVE_WINDOW_DAYS,
                title="Active window (days)",
                description="A non-terminal shipment is re-polled with GetTracking until it is "
                            "terminal or was created more than this many days ago (wall "
                            "clock). Also how long terminal ids are remembered."),
    th.Property("max_concurrency", th.IntegerType, default=DEFAULT_MAX_CONCURRENCY,
                title="Max concurrency",
                description="Parallel API calls (worker threads sharing one connection pool)."),
    th.Property("carrier_aliases", th.ObjectType(additional_properties=th.StringType),
                title="Carrier aliases",
                description="Optional overrides from a carrier name as ShippyPro spells it to "
                            "a normalised carrier key, e.g. {\"Corriere Rossi\": \"rossi\"}."),
    th.Property("request_timeout", th.NumberType, default=DEFAULT_REQUEST_TIMEOUT,
                title="Request timeout (s)",
                description="Tuning: seconds to wait for one API response before retrying."),
    th.Property("max_retries", th.IntegerType, default=DEFAULT_MAX_RETRIES, title="Max retries",
                description="Tuning: retries per call on 429/5xx/timeouts/connection errors/"
                            "unreadable bodies (exponential backoff with jitter, Retry-After "
                            "honoured). A shipment still failing is skipped with a WARNING and "
                            "retried on the next run."),
    th.Property("max_failed_runs", th.IntegerType, default=DEFAULT_MAX_FAILED_RUNS,
                title="Max failed runs per shipment",
                description="A shipment whose response cannot be turned into records (a hostile "
                            "or malformed value) is skipped with a WARNING naming its OrderID "
                            "and the reason, and retried on the next runs; after this many "
                            "failed runs in a row it is parked in state "
                            "(bookmarks.shipments.shippypro.parked) and no longer fetched. List "
                            "parked shipments with `python -m tap_shipping_exceptions.parked "
                            "STATE.json` (e.g. from `meltano state get`). Transient API errors "
                            "never park a shipment."),
    th.Property("webhook_errors", th.StringType, default="fail",
                allowed_values=list(MALFORMED_POLICIES), title="Malformed webhook lines",
                description="'fail' (default): a malformed archive line stops the sync before "
                            "any API call, naming file and line; 'skip': log a WARNING naming "
                            "file and line, count it, and move on."),
).to_dict()


@dataclass(frozen=True)
class Settings:
    api_key: str
    api_url: str = DEFAULT_API_URL
    webhook_archive: str | None = None
    order_ids: tuple[int, ...] = ()
    start_date: int | None = None  # Unix seconds
    active_window_days: int = DEFAULT_ACTIVE_WINDOW_DAYS
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    carrier_aliases: dict[str, str] = field(default_factory=dict)
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    webhook_errors: str = "fail"
    max_failed_runs: int = DEFAULT_MAX_FAILED_RUNS


def _positive_int(config: dict[str, Any], name: str, default: int, *, minimum: int) -> int:
    value = config.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SettingsError(f"Setting '{name}': expected an integer >= {minimum}, got {value!r}")
    return value


def _parse_start_date(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise SettingsError(f"Setting 'start_date': expected an ISO 8601 date or date-time, got "
                            f"{value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SettingsError(f"Setting 'start_date': {value!r} is not an ISO 8601 date or "
                            "date-time (e.g. 2026-01-01 or 2026-01-01T00:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def check_settings(config: dict[str, Any], *, state_has_work: bool = False) -> Settings:
    """Validate every setting; raise ``SettingsError`` naming the first bad one."""
    api_key = config.get("api_key")
    if not isinstance(api_key, str) or not api_key.strip():
        raise SettingsError("Setting 'api_key': a non-empty ShippyPro API key is required")
    api_url = config.get("api_url") or DEFAULT_API_URL
    parsed = urlparse(api_url) if isinstance(api_url, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"Setting 'api_url': expected an http(s) URL such as "
                            f"{DEFAULT_API_URL}, got {api_url!r}")
    raw_ids = config.get("order_ids") or []
    if not isinstance(raw_ids, list | tuple):
        raise SettingsError(f"Setting 'order_ids': expected a list of integers, got {raw_ids!r}")
    order_ids = []
    for index, value in enumerate(raw_ids):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise SettingsError(f"Setting 'order_ids': item {index} expected a positive integer "
                                f"OrderID, got {value!r}")
        order_ids.append(value)
    aliases = config.get("carrier_aliases") or {}
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in aliases.items()
    ):
        raise SettingsError("Setting 'carrier_aliases': expected an object mapping carrier names "
                            f"to non-empty carrier keys, got {aliases!r}")
    policy = config.get("webhook_errors") or "fail"
    if policy not in MALFORMED_POLICIES:
        raise SettingsError(f"Setting 'webhook_errors': expected one of {MALFORMED_POLICIES}, "
                            f"got {policy!r}")
    timeout = config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise SettingsError(f"Setting 'request_timeout': expected a number of seconds > 0, got "
                            f"{timeout!r}")
    archive = config.get("webhook_archive") or None
    if archive is not None and not isinstance(archive, str):
        raise SettingsError(f"Setting 'webhook_archive': expected a path or glob string, got "
                            f"{archive!r}")
    settings = Settings(
        api_key=api_key,
        api_url=api_url,
        webhook_archive=archive,
        order_ids=tuple(order_ids),
        start_date=_parse_start_date(config.get("start_date")),
        active_window_days=_positive_int(config, "active_window_days",
                                         DEFAULT_ACTIVE_WINDOW_DAYS, minimum=1),
        max_concurrency=_positive_int(config, "max_concurrency", DEFAULT_MAX_CONCURRENCY,
                                      minimum=1),
        carrier_aliases=dict(aliases),
        request_timeout=float(timeout),
        max_retries=_positive_int(config, "max_retries", DEFAULT_MAX_RETRIES, minimum=0),
        webhook_errors=policy,
        max_failed_runs=_positive_int(config, "max_failed_runs", DEFAULT_MAX_FAILED_RUNS,
                                      minimum=1),
    )
    if not settings.order_ids and not state_has_work:
        if archive is None:
            raise SettingsError("Setting 'webhook_archive': nothing to sync: set webhook_archive "
                                "(a path or glob of webhook deliveries) or order_ids, or run with "
                                "state from an earlier sync")
        if not archive_files(archive):
            raise SettingsError(f"Setting 'webhook_archive': {archive!r} matches no file, and "
                                "there are no order_ids and no active shipments in state")
    return settings
