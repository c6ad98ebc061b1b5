"""Fixtures: the real receiver started through its CLI on 127.0.0.1 with a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.receiver_process import ReceiverProcess, start_receiver

from .helpers import credentials_env


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ReceiverProcess]:
    """A receiver requiring Basic auth and the custom header, with its own archive dir."""
    process = start_receiver(tmp_path / "archive", tmp_path, "--max-file-bytes", "65536",
                             env=credentials_env())
    yield process
    process.terminate()


@pytest.fixture(scope="module")
def shared_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReceiverProcess]:
    """One receiver for the read-only rejection checks (saves start-up time)."""
    workdir = tmp_path_factory.mktemp("shared-receiver")
    process = start_receiver(workdir / "archive", workdir, env=credentials_env())
    yield process
    process.terminate()
