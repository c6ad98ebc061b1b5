"""The tap's settings: one JSON Schema holding every rule, and the typed ``Settings``.

``CONFIG_SCHEMA`` states each setting's type and constraints (minimum, pattern, allowed values);
the SDK checks it when the tap starts (``tap.py``) and ``check_settings`` checks it again for a
config given directly, with the same messages (``setting_problems``): each names the setting and
what was expected, and never shows a secret's value. ``check_settings`` adds only what a JSON
Schema cannot say: ``start_date`` read as an instant, and that there is something to sync (ids,
an archive matching files, or work in state). It runs before any request is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft7Validator, ValidationError
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
#: http or https, any case, with a host (the empty string means the default URL)
API_URL_PATTERN = r"^([hH][tT][tT][pP][sS]?://[^/?#]+.*)?$"
#: at least one character that is not white space
NOT_BLANK = r"\S"

CONFIG_SCHEMA = th.PropertiesList(
    th.Property("api_key", th.StringType(pattern=NOT_BLANK), required=True, secret=True,
                title="API key",
                description="ShippyPro API key (sent as the HTTP Basic username with an empty "
                            "password). Never logged."),
    th.Property("api_url", th.StringType(pattern=API_URL_PATTERN), default=DEFAULT_API_URL,
                title="API URL",
                description="ShippyPro API endpoint (http or https); point it at the sandbox "
                            "for tests and demos."),
    th.Property("webhook_archive", th.StringType, title="Webhook archive",
                description="Path or glob of newline-delimited JSON webhook deliveries "
                            "(ORDER_SHIPPED, TRACKING_UPDATE) used to discover OrderIDs. Files "
                            "are read in sorted order; only lines added since the last run are "
                            "read."),
    th.Property("order_ids", th.ArrayType(th.IntegerType(minimum=1)), title="Order IDs",
                description="ShippyPro OrderIDs to fetch explicitly (backfills); integers."),
    th.Property("start_date", th.DateTimeType, title="Start date",
                description="Skip (do not emit) shipments whose label was created before this "
                            "instant (ISO 8601)."),
    th.Property("active_window_days", th.IntegerType(minimum=1), default=DEFAULT_ACTIVE_WINDOW_DAYS,
                title="Active window (days)",
                description="A non-terminal shipment is re-polled with GetTracking until it is "
                            "terminal or was created more than this many days ago (wall "
                            "clock). Also how long terminal ids are remembered."),
    th.Property("max_concurrency", th.IntegerType(minimum=1), default=DEFAULT_MAX_CONCURRENCY,
                title="Max concurrency",
                description="Parallel API calls (keep-alive connections, one event loop)."),
    th.Property("carrier_aliases",
                th.ObjectType(additional_properties=th.StringType(pattern=NOT_BLANK)),
                title="Carrier aliases",
                description="Optional overrides from a carrier name as ShippyPro spells it to "
                            "a normalised carrier key, e.g. {\"Corriere Rossi\": \"rossi\"}."),
    th.Property("request_timeout", th.NumberType(exclusive_minimum=0),
                default=DEFAULT_REQUEST_TIMEOUT,
                title="Request timeout (s)",
                description="Tuning: seconds to wait for one API response before retrying."),
    th.Property("max_retries", th.IntegerType(minimum=0), default=DEFAULT_MAX_RETRIES,
                title="Max retries",
                description="Tuning: retries per call on 429/5xx/timeouts/connection errors/"
                            "unreadable bodies (exponential backoff with jitter, Retry-After "
                            "honoured). A shipment still failing is skipped with a WARNING and "
                            "retried on the next run."),
    th.Property("max_failed_runs", th.IntegerType(minimum=1), default=DEFAULT_MAX_FAILED_RUNS,
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


#: what a setting's value must be, in words, where its schema says it by a pattern or a shape
EXPECTED = {
    "api_key": "a non-empty ShippyPro API key",
    "api_url": f"an http(s) URL such as {DEFAULT_API_URL}",
    "webhook_archive": "a path or glob string",
    "order_ids": "a list of integers",
    "start_date": "an ISO 8601 date or date-time",
    "carrier_aliases": "an object mapping carrier names to non-empty carrier keys",
}
#: a JSON type in words
KIND_WORDS = {"integer": "an integer", "number": "a number", "string": "a string",
              "boolean": "true or false", "array": "a list", "object": "an object"}
#: the same, for one item of a list setting
ITEM_EXPECTED = {"order_ids": "a positive integer OrderID"}

_VALIDATOR = Draft7Validator(CONFIG_SCHEMA)


def _expected(error: ValidationError, spec: dict[str, Any]) -> str:
    """What the schema asked for, in words, from the failing keyword or the phrase tables."""
    keyword, bound = error.validator, error.validator_value
    kind = "an integer" if "integer" in spec.get("type", []) else "a number"
    if keyword == "minimum":
        return f"{kind} >= {bound}"
    if keyword == "exclusiveMinimum":
        return f"{kind} > {bound}"
    if keyword == "enum":
        return f"one of {tuple(bound)}"
    if keyword == "type" and error.path and len(error.path) == 1:
        wanted = [KIND_WORDS.get(t, t) for t in spec.get("type", []) if t != "null"]
        return EXPECTED.get(str(error.path[0]), " or ".join(wanted))
    return EXPECTED.get(str(error.path[0]), "a value matching the schema") if error.path else (
        "a value matching the schema")


def describe_problem(error: ValidationError, schema: dict[str, Any]) -> str:
    """``Setting 'name': expected …, got …`` for one schema error; a secret's value never shown.

    An error inside a list setting names the item; inside an object setting, the setting.
    """
    if not error.path:  # a required setting missing: the keyword names it in its message
        name = error.message.split("'")[1] if "'" in error.message else "?"
        return f"Setting '{name}': expected {EXPECTED.get(name, 'a value')}, got nothing"
    name = str(error.path[0])
    spec = schema.get("properties", {}).get(name, {})
    if spec.get("secret"):
        return (f"Setting '{name}': invalid value (not shown: secret); expected "
                f"{EXPECTED.get(name, 'a value matching the schema')}")
    if len(error.path) == 2 and isinstance(error.path[1], int):
        item_spec = spec.get("items", {})
        expected = ITEM_EXPECTED.get(name) or _expected(error, item_spec)
        return f"Setting '{name}': item {error.path[1]} expected {expected}, got {error.instance!r}"
    if len(error.path) > 1:
        return f"Setting '{name}': expected {EXPECTED.get(name, 'a valid value')}, got " \
               f"{error.instance!r} at {'.'.join(str(p) for p in error.path)}"
    return f"Setting '{name}': expected {_expected(error, spec)}, got {error.instance!r}"


def setting_problems(config: dict[str, Any]) -> list[str]:
    """Every way ``config`` breaks ``CONFIG_SCHEMA``, in setting order, one message each."""
    order = list(CONFIG_SCHEMA["properties"])
    errors = sorted(_VALIDATOR.iter_errors(config), key=lambda e: (
        order.index(e.path[0]) if e.path and e.path[0] in order else -1, list(e.path)))
    return [describe_problem(error, CONFIG_SCHEMA) for error in errors]


def _setting(config: dict[str, Any], name: str, default: Any) -> Any:
    """The configured value; the default when the setting is absent, null or empty."""
    value = config.get(name)
    return default if value is None or value == "" else value


def _parse_start_date(value: Any) -> int | None:
    if value in (None, ""):
        return None
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
    problems = setting_problems(config)
    if problems:
        raise SettingsError(problems[0])
    settings = Settings(
        api_key=config["api_key"],
        api_url=_setting(config, "api_url", DEFAULT_API_URL),
        webhook_archive=_setting(config, "webhook_archive", None),
        order_ids=tuple(int(i) for i in config.get("order_ids") or ()),
        start_date=_parse_start_date(config.get("start_date")),
        active_window_days=int(_setting(config, "active_window_days",
                                        DEFAULT_ACTIVE_WINDOW_DAYS)),
        max_concurrency=int(_setting(config, "max_concurrency", DEFAULT_MAX_CONCURRENCY)),
        carrier_aliases=dict(config.get("carrier_aliases") or {}),
        request_timeout=float(_setting(config, "request_timeout", DEFAULT_REQUEST_TIMEOUT)),
        max_retries=int(_setting(config, "max_retries", DEFAULT_MAX_RETRIES)),
        webhook_errors=_setting(config, "webhook_errors", "fail"),
        max_failed_runs=int(_setting(config, "max_failed_runs", DEFAULT_MAX_FAILED_RUNS)),
    )
    _check_something_to_sync(settings, state_has_work)
    return settings


def _check_something_to_sync(settings: Settings, state_has_work: bool) -> None:
    """Ids, an archive matching files, or active shipments in state: else nothing to do."""
    archive = settings.webhook_archive
    if settings.order_ids or state_has_work:
        return
    if archive is None:
        raise SettingsError("Setting 'webhook_archive': nothing to sync: set webhook_archive "
                            "(a path or glob of webhook deliveries) or order_ids, or run with "
                            "state from an earlier sync")
    if not archive_files(archive):
        raise SettingsError(f"Setting 'webhook_archive': {archive!r} matches no file, and "
                            "there are no order_ids and no active shipments in state")
