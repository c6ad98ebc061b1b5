"""``tap-shipping-exceptions``: the Singer tap class (singer-sdk 0.54).

Streams are synced in the order ``shipments`` (with its child ``tracking_events``) then
``carriers``, so the carriers stream can include every carrier seen in shipments. Settings are
checked (``settings.check_settings``) before the first request; the client and per-sync context
(``sync_run.SyncRun``) are created lazily on first use and shared by the streams.
"""

from __future__ import annotations

import time
import typing as t
from collections.abc import Callable

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from singer_sdk.plugin_base import JSONSchemaValidator

from tap_shipping_exceptions import sdk_private
from tap_shipping_exceptions.client import ShippyProClient
from tap_shipping_exceptions.errors import redact_value
from tap_shipping_exceptions.output import BufferedMsgSpecWriter, LeanStateWriter
from tap_shipping_exceptions.settings import (
    CONFIG_SCHEMA,
    Settings,
    check_settings,
    describe_problem,
)
from tap_shipping_exceptions.state import TapBookkeeping
from tap_shipping_exceptions.streams import CarriersStream, ShipmentsStream, TrackingEventsStream
from tap_shipping_exceptions.sync_run import SyncRun

STREAM_ORDER = (ShipmentsStream.name, TrackingEventsStream.name, CarriersStream.name)


class TapShippingExceptions(Tap):
    """Singer tap for ShippyPro shipments and normalised carrier exception events."""

    name = "tap-shipping-exceptions"
    package_name = "tap-shipping-exceptions"
    config_jsonschema = CONFIG_SCHEMA
    message_writer_class = BufferedMsgSpecWriter
    capabilities: t.ClassVar[list] = [
        TapCapabilities.CATALOG,
        TapCapabilities.DISCOVER,
        TapCapabilities.STATE,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    #: Wall clock used for the active window (tests may replace it).
    wall_clock: t.ClassVar[Callable[[], float]] = time.time
    #: Extra keyword arguments for ``ShippyProClient`` (tests inject ``sleep``/``clock``).
    client_options: t.ClassVar[dict[str, t.Any]] = {}

    _sync_run: SyncRun | None = None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # STATE messages without the SDK's deep copies of the whole state (see output.py)
        sdk_private.install_state_writer(self, LeanStateWriter(self.message_writer))

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check with the settings' own messages (``settings.describe_problem``:
        the setting, what was expected; a secret setting's value never shown), every message
        also scrubbed of secret values."""
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        secrets = [name for name, spec in schema.get("properties", {}).items()
                   if isinstance(spec, dict) and spec.get("secret")]
        errors = []
        for error in JSONSchemaValidator(schema).iter_errors(dict(self._config)):
            message = describe_problem(error, schema)  # a secret's own value is never in it
            about_secret = bool(error.absolute_path) and error.absolute_path[0] in secrets
            for secret in [] if about_secret else secrets:
                message = redact_value(message, self._config.get(secret))
            where = "".join(f"[{index!r}]" for index in error.absolute_path)
            errors.append(f"{message} in config{where}" if where else message)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors, schema=schema)
        return errors

    def discover_streams(self) -> list[Stream]:
        return [ShipmentsStream(self), TrackingEventsStream(self), CarriersStream(self)]

    def load_streams(self) -> list[Stream]:
        """SDK order is alphabetical; carriers must come after shipments."""
        return sorted(super().load_streams(), key=lambda s: STREAM_ORDER.index(s.name))

    def settings(self) -> Settings:
        """Checked settings; raises ``SettingsError`` naming the bad setting."""
        shipments = self.streams[ShipmentsStream.name]
        has_work = TapBookkeeping(dict(shipments.stream_state)).has_work()
        return check_settings(dict(self.config), state_has_work=has_work)

    def build_client(self, settings: Settings) -> ShippyProClient:
        return ShippyProClient(
            settings.api_key, settings.api_url, max_concurrency=settings.max_concurrency,
            timeout=settings.request_timeout, max_retries=settings.max_retries,
            **self.client_options)

    @property
    def sync_run(self) -> SyncRun:
        if self._sync_run is None:
            settings = self.settings()
            self._sync_run = SyncRun(settings, self.build_client(settings),
                                     wall_clock=type(self).wall_clock)
        return self._sync_run


if __name__ == "__main__":
    TapShippingExceptions.cli()
