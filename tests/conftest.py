"""Suite-wide fixtures: nothing a test runs writes to the user's own caches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def session_plan_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``metric-cards evaluate`` processes started by tests keep their plans in a temp dir."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("METRIC_CARDS_PLAN_CACHE", str(tmp_path_factory.mktemp("plan-cache")))
        yield
