"""Fixtures for the HTML report: the worked-example warehouse, the CLI's payloads, a browser.

The browser is Debian's headless Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``) driven by
Playwright with a fresh profile; Playwright never downloads a browser here. Without Chromium the
browser tests are skipped, except under ``CI=true`` where they fail and say how to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cards.test_worked_example import worked_example_rows
from tests.cards.warehouses import build

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-03-12T08:00:00Z"
CARDS = ("exception_rate", "exception_rate_by_category", "exception_rate_by_carrier")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "output" / "report"


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else None


def metric_cards(*argv: str) -> str:
    """Run the real CLI in a subprocess; returns stdout (fails the test on a non-zero exit)."""
    proc = subprocess.run([sys.executable, "-m", "metric_cards.cli", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"metric-cards {' '.join(argv)}: {proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="session")
def worked_example_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("worked_example")
    engine, _ = build("sqlite", directory, worked_example_rows())
    engine.dispose()
    return f"sqlite:///{directory / 'wh.sqlite'}"


@pytest.fixture(scope="session")
def cli_payloads(worked_example_url: str) -> dict[str, dict[str, Any]]:
    """``evaluate --format json`` of each default card, as a user would print them."""
    return {card: json.loads(metric_cards("evaluate", card, "--warehouse", worked_example_url,
                                          "--as-of", AS_OF, "--format", "json"))
            for card in CARDS}


@pytest.fixture(scope="session")
def report_file(worked_example_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "cards.html"
    printed = metric_cards("report", "--warehouse", worked_example_url, "--as-of", AS_OF,
                           "--out", str(out))
    assert printed.strip() == str(out.resolve())
    return out


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = ("headless Chromium not found (looked at $CHROMIUM, PATH and "
                   "/usr/bin/chromium); install it with `apt-get update && apt-get install -y "
                   "chromium` (scripts/test.sh does this when run as root)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extra missing
        message = "playwright is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=path, headless=True, args=CHROMIUM_FLAGS,
            offline=True)
        try:
            yield context
        finally:
            context.close()
