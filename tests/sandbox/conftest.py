"""Shared sandbox fixtures: generated worlds (once per session) and a running server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from shipping_sandbox.generator import generate
from shipping_sandbox.runner import SandboxServer, start_server
from shipping_sandbox.server import create_app
from shipping_sandbox.world import World

API_KEY = "test-key"


@pytest.fixture(scope="session")
def worked_world() -> World:
    return generate("worked_example", seed=7)


@pytest.fixture(scope="session")
def small_world() -> World:
    return generate("bulk", seed=11, shipments=600, start="2026-02-01", days=10)


@pytest.fixture()
def server(small_world: World) -> Iterator[SandboxServer]:
    app = create_app(small_world, api_key=API_KEY, now=small_world.as_of)
    with start_server(app) as srv:
        yield srv


@pytest.fixture()
def client() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = (API_KEY, "")
        yield session


def call(session: requests.Session, url: str, method: str, **params: object) -> requests.Response:
    return session.post(url, json={"Method": method, "Params": params}, timeout=10)
