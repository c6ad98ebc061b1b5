"""The test server helper: a throwaway cluster where none answers; CI fails instead of skipping."""

from __future__ import annotations

import glob

import pytest

from . import server


@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                    reason="no PostgreSQL binaries on this machine")
def test_throwaway_cluster_starts_on_loopback() -> None:
    url = server._throwaway_cluster()
    assert url is not None and "@127.0.0.1:" in url
    assert server.answers(url)


def test_no_server_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "_server", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no PostgreSQL server"):
        server.server_url()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        server.server_url()
