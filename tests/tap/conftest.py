"""Shared fixtures for the tap tests: a mocked ShippyPro API and a tap class that never sleeps."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tap_shipping_exceptions.tap import TapShippingExceptions

from .fake_api import FakeShippyPro
from .fakes import SECRET_KEY, FakeTime
from .loopback import scripted_server

NOW = int(time.time())
DAY = 86_400


class NoSleepTap(TapShippingExceptions):
    """The tap with an injected sleep: retries and backoff don't wait."""

    fake_time = FakeTime()
    client_options = {"sleep": fake_time.sleep, "clock": fake_time.clock,
                      "jitter": lambda: 0.0}


@pytest.fixture
def api() -> Iterator[FakeShippyPro]:
    fake = FakeShippyPro()
    with scripted_server() as server:
        fake.install(server)
        yield fake


@pytest.fixture
def base_config(api: FakeShippyPro) -> dict:
    return {"api_key": SECRET_KEY, "api_url": api.url, "max_retries": 1}


# -- the sandbox (real HTTP on 127.0.0.1, port 0) ----------------------------------------------

SANDBOX_KEY = "sandbox-key"


class Sandbox:
    """A running sandbox server plus helpers for its admin endpoints."""

    def __init__(self, world: object, server: object) -> None:
        self.world = world
        self.server = server
        self.url: str = server.url  # type: ignore[attr-defined]
        self.admin: str = server.admin_url  # type: ignore[attr-defined]

    def admin_call(self, path: str, payload: object | None = None, method: str = "POST") -> dict:
        import requests
        response = requests.request(method, f"{self.admin}/{path}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict:
        return self.admin_call("stats", method="GET")

    def reset(self, now: int) -> None:
        self.admin_call("stats/reset")
        self.admin_call("faults", method="DELETE")
        self.admin_call("clock", {"now": now})


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """A small 'month' world (ends today 00:00 UTC, so it lies inside the active window)."""
    from shipping_sandbox.generator import generate
    from shipping_sandbox.runner import start_server
    from shipping_sandbox.server import create_app

    world = generate("month", seed=11, shipments=150)
    server = start_server(create_app(world, api_key=SANDBOX_KEY, now=world.end))
    try:
        yield Sandbox(world, server)
    finally:
        server.stop()
