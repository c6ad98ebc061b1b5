"""Items 3, 9, 10, 12: the key never reaches a log, data files are bounded, a 429 burst costs
seconds, and bad inputs end in one-line errors (no tracebacks, no flood of warnings)."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from singer_sdk.exceptions import ConfigValidationError

from benchmarks.pacer_recovery import simulated_cost
from reconciliation.portal_export import PortalExportError
from shipping_core.datafile import DataFileProblem, parse_yaml
from tap_shipping_exceptions.errors import redact
from tap_shipping_exceptions.normalize.classifier import Classifier
from tap_shipping_exceptions.tap import TapShippingExceptions

BIN = Path(sys.executable).parent
KEY = "sk_live/Ünïcode+key=="

# -- item 9: redaction ------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", [
    KEY, quote(KEY, safe=""), quote_plus(KEY), json.dumps(KEY)[1:-1],
    base64.b64encode(f"{KEY}:".encode()).decode(), base64.b64encode(f":{KEY}".encode()).decode(),
    base64.b64encode(KEY.encode()).decode(), base64.urlsafe_b64encode(f"{KEY}:".encode()).decode(),
    base64.b64encode(f"{KEY}:".encode()).decode().rstrip("="),
])
def test_key_is_redacted_in_every_encoding(spelling: str) -> None:
    text = f"HTTP 400: echoed header Authorization: Basic {spelling} (request id 7)"
    cleaned = redact(text, KEY)
    assert spelling not in cleaned and "***" in cleaned and "request id 7" in cleaned


@pytest.mark.parametrize("bad_key", [12345678901234, {"nested": "sk_live_in_a_dict"},
                                     ["sk_live_in_a_list"], 3.14159265, True])
def test_non_string_key_is_never_echoed_by_config_validation(bad_key: object) -> None:
    with pytest.raises(ConfigValidationError) as info:
        TapShippingExceptions(config={"api_key": bad_key, "order_ids": [1]})
    text = " ".join(info.value.errors) + str(info.value)
    assert "api_key" in text and "not shown" in text
    for fragment in (str(bad_key), "sk_live_in_a", "12345678901234", "3.14159265"):
        assert fragment not in text


def test_other_config_errors_do_not_echo_the_key() -> None:
    with pytest.raises(ConfigValidationError) as info:
        TapShippingExceptions(config={"api_key": KEY, "order_ids": [KEY]})
    assert KEY not in " ".join(info.value.errors)


# -- item 10: YAML limits ---------------------------------------------------------------------

BOMB = "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)])


def test_alias_bomb_is_refused_without_expanding_it() -> None:
    with pytest.raises(DataFileProblem, match="expands to more than"):
        parse_yaml(BOMB)


@pytest.mark.parametrize("text", ["a: " + "[" * 50_000 + "]" * 50_000,
                                  "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + "  " * 300
                                  + "v"])
def test_deep_yaml_is_a_syntax_problem(text: str) -> None:
    with pytest.raises(DataFileProblem, match="nest"):
        parse_yaml(text)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("content", [BOMB.encode(), b"id: caf\xe9\n",
                                     b"a: " + b"[" * 50_000 + b"]" * 50_000])
def test_metric_cards_validate_reports_one_line(tmp_path: Path, content: bytes) -> None:
    card = tmp_path / "card.yaml"
    card.write_bytes(content)
    done = run_cli("metric-cards", "validate", str(card))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "INVALID" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 2  # the problem + the count


# -- item 12: one-line errors -----------------------------------------------------------------

def test_as_of_at_the_edge_of_time_is_a_one_line_error() -> None:
    done = run_cli("metric-cards", "evaluate", "exception_rate", "--warehouse",
                   "duckdb:///:memory:", "--as-of", "0001-01-01T00:00:00Z")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "as_of" in done.stderr


def test_portal_csv_unterminated_quote_is_reported_where_it_opens(tmp_path: Path) -> None:
    from reconciliation.portal_export import read_portal_export
    from reconciliation.ruleset import load_ruleset

    rows = ["OrderID,TrackingNumber,Carrier,Category,EventDate,Resolution,IsReturn"]
    rows += [f"{i},TN{i},BRT,Address,2026-02-21 11:00,open,0" for i in range(1, 4)]
    rows.insert(4, '9,"TN9,BRT,Address,2026-02-21 11:00,open,0')  # line 5: quote never closed
    rows += [f"{i},TN{i},BRT,Address,2026-02-21 11:00,open,0" for i in range(5, 40)]
    path = tmp_path / "portal.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(PortalExportError) as info:
        read_portal_export(path, load_ruleset().export)
    assert f"{path}:5:" in str(info.value) and "never closed" in str(info.value)


def test_unmapped_messages_are_summarised_not_one_warning_each(
        caplog: pytest.LogCaptureFixture) -> None:
    classifier = Classifier()
    with caplog.at_level(logging.WARNING):
        for index in range(5_000):  # a 100k-event response had 33,333 distinct ones
            classifier.classify("brt", 4000, f"zzz weird number {index}")
    assert caplog.records == []  # counted here, logged once per sync as a summary
    assert classifier.unmapped_summary()["brt"] >= 5_000
    assert len(classifier.top_unmatched(3)) == 3


# -- item 3: a 429 burst costs seconds, not minutes --------------------------------------------

@pytest.mark.parametrize("latency", [0.002, 0.02])
def test_pacer_recovers_from_a_burst_of_429s_within_seconds(latency: float) -> None:
    """838 calls; calls 300-304 each answered 429 ``Retry-After: 1`` (five episodes, as each
    retry starts after the previous hold), on the simulated clock of the pacer benchmark. Cost
    beyond the 5 s of holds must stay under 2 s (it was ~280 s: the hold was counted as the
    server's sustainable spacing)."""
    lost = simulated_cost(latency=latency, calls=838)
    assert lost < 2.0, lost
