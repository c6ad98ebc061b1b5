"""The SDK's built-in tap tests (discovery, connection, schema/record agreement, primary keys,
attribute types) against the sandbox started for the session."""

from __future__ import annotations

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_shipping_exceptions.tap import TapShippingExceptions

from .conftest import SANDBOX_KEY, Sandbox

# Filled in by the fixture below once the sandbox is listening (the runner keeps this object).
SANDBOX_CONFIG: dict = {"api_key": SANDBOX_KEY, "max_concurrency": 4}

_SuiteBase = get_tap_test_class(
    TapShippingExceptions,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=None),
    parse_env_config=False,
)


class TestTapShippingExceptionsOnSandbox(_SuiteBase):  # type: ignore[misc,valid-type]
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _point_at_sandbox(cls, sandbox: Sandbox) -> None:
        now = sandbox.world.end - 2 * 86_400
        sandbox.reset(now)
        ids = sorted(s.order_id for s in sandbox.world.shipments if s.created <= now)[-60:]
        SANDBOX_CONFIG.update(api_url=sandbox.url, order_ids=ids)
