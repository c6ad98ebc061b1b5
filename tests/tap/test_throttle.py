"""RequestPacer: one widening per throttling episode, Retry-After honoured without compounding,
recovery toward the measured sustainable rate; and the tap against a rate-limited sandbox."""

from __future__ import annotations

import pytest

from tap_shipping_exceptions.throttle import INITIAL_INTERVAL, RequestPacer

from .conftest import SANDBOX_KEY
from .fakes import FakeTime
from .run_tap import run_tap


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pacer(fake_time: FakeTime) -> RequestPacer:
    return RequestPacer(sleep=fake_time.sleep, clock=fake_time.clock)


def test_unthrottled_pacer_never_waits(pacer: RequestPacer, fake_time: FakeTime) -> None:
    for _ in range(100):
        pacer.wait_turn()
        pacer.succeeded()
    assert fake_time.sleeps == [] and pacer.interval == 0.0


def test_burst_of_concurrent_429s_widens_once(pacer: RequestPacer, fake_time: FakeTime) -> None:
    in_flight = [pacer.wait_turn() for _ in range(16)]  # 16 requests started together
    for generation in in_flight:  # ... and all of them come back 429
        pacer.throttled(1.0, generation)
    assert pacer.episodes == 1
    assert pacer.interval == INITIAL_INTERVAL  # widened once, not doubled 16 times
    # the Retry-After holds everyone once (max, not a sum of 16 waits)
    pacer.wait_turn()
    assert fake_time.sleeps == [pytest.approx(1.0)]


def test_429_for_request_started_after_widening_widens_again(pacer: RequestPacer) -> None:
    pacer.throttled(1.0, pacer.wait_turn())
    first = pacer.interval
    retry = pacer.wait_turn()  # started after the widening
    pacer.throttled(1.0, retry)
    assert pacer.episodes == 2 and pacer.interval == pytest.approx(2 * first)


def test_429_without_generation_counts_as_new_episode(pacer: RequestPacer) -> None:
    pacer.throttled(0.0)
    pacer.throttled(0.0)
    assert pacer.episodes == 2


def test_recovery_stops_at_measured_sustainable_rate(pacer: RequestPacer,
                                                     fake_time: FakeTime) -> None:
    pacer.wait_turn()
    for _ in range(100):  # 100 successes in 1 s, then the server throttles
        pacer.succeeded()
        fake_time.now += 0.01
    pacer.throttled(0.0, pacer.wait_turn())
    assert pacer.interval == pytest.approx(0.01, rel=0.05)  # ~100/s measured
    widened = pacer.wait_turn()
    pacer.throttled(0.0, widened)
    assert pacer.interval >= 0.015
    for _ in range(30):
        pacer.wait_turn()
        pacer.succeeded()
    # recovered quickly toward the measured spacing, but not to "no pacing at all"
    assert 0.005 < pacer.interval < 0.015


def test_tap_against_rate_limited_sandbox_few_429s() -> None:
    from shipping_sandbox.generator import generate
    from shipping_sandbox.runner import start_server
    from shipping_sandbox.server import create_app

    world = generate("month", seed=5, shipments=300)
    server = start_server(create_app(world, api_key=SANDBOX_KEY, now=world.end, rate_limit=200))
    try:
        import requests
        ids = sorted(s.order_id for s in world.shipments if s.created <= world.end)
        config = {"api_key": SANDBOX_KEY, "api_url": server.url, "max_concurrency": 16,
                  "max_retries": 8, "order_ids": ids}
        out = run_tap(config)
        stats = requests.get(f"{server.admin_url}/stats", timeout=10).json()
    finally:
        server.stop()
    assert sorted(int(r["shipment_id"]) for r in out.records["shipments"]) == ids
    calls = sum(stats["by_method"].values())
    assert calls >= 2 * len(ids)
    assert stats["status_429"] < 0.1 * calls, stats
