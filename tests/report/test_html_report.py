"""The HTML renderer as a pure function: escaping, status words and shapes, optional blocks."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from metric_cards.html_report import STATUS_SHAPES, STATUS_WORDS, render_html


def payload(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "card_id": "exception_rate", "label": "Exception Rate", "kind": "ratio",
        "direction": "lower_is_better", "as_of": "2026-03-12T08:00:00Z", "timezone": "UTC",
        "window": {"start": "2026-02-10T00:00:00Z", "end": "2026-03-12T00:00:00Z",
                   "first_day": "2026-02-10", "last_day": "2026-03-11"},
        "value": 0.029, "numerator": 464, "denominator": 16000,
        "interval": {"method": "wilson", "level": 0.95, "low": 0.0265, "high": 0.0317},
        "status": "warn", "status_reason": "2.90% > warn 1.00%",
        "thresholds": {"warn_above": 0.01, "critical_above": 0.03}, "min_sample": 300,
        "comparison": {"window": {"first_day": "2026-01-11", "last_day": "2026-02-09"},
                       "value": 0.02, "numerator": 300, "denominator": 15000,
                       "delta_pp": 0.9, "delta": None, "status": "ok"},
        "breakdowns": {
            "by_category": [{"key": "address", "numerator": 138, "share_of_total": 0.008625}],
            "by_carrier": [{"key": "brt", "fields": {"carrier": "brt"}, "numerator": 150,
                            "denominator": 6000, "value": 0.025, "status": "warn"}]},
        "series": [{"date": "2026-02-10", "numerator": 10, "denominator": 500},
                   {"date": "2026-02-11", "numerator": 0, "denominator": 0}],
        "freshness": {"latest_synced_at": "2026-03-12T06:00:00Z", "lag_hours": 2.0},
        "annotations": [], "relations": [], "siblings": [],
    }
    base.update(changes)
    return base


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed(html: str) -> Tags:
    t = Tags()
    t.feed(html)
    return t


def test_text_from_data_is_escaped_everywhere():
    evil = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    p = payload(label=evil, status_reason=evil)
    p["breakdowns"]["by_carrier"][0]["key"] = evil
    p["breakdowns"]["by_category"][0]["key"] = evil
    p["siblings"] = [{"card": evil, "reason": evil}]
    p["data_quality"] = {"classification_coverage": evil}
    html = render_html([p], title=evil)
    tags = parsed(html)
    assert not [t for t, _ in tags.tags if t in ("img", "iframe", "object", "embed", "link")]
    assert [t for t, _ in tags.tags if t == "script"] == ["script"]       # the JSON block
    assert not any(k.startswith("on") for _, attrs in tags.tags for k in attrs)
    data = html.split('id="card-payloads">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data      # "</script>" inside the data cannot end the block


def test_page_requests_nothing():
    html = render_html([payload()])
    assert not re.search(r"(?:src|href)=\"(?!#)", html)     # only in-page anchors
    assert "url(" not in html and "@import" not in html
    assert "default-src 'none'" in html


@pytest.mark.parametrize("status", sorted(STATUS_WORDS))
def test_status_is_word_and_shape_not_colour_alone(status):
    html = render_html([payload(status=status)])
    head = html.split('class="headline"', 1)[1].split("</div></div>", 2)[1]
    assert STATUS_WORDS[status] in head and STATUS_SHAPES[status] in head
    assert len(set(STATUS_SHAPES.values())) == len(STATUS_SHAPES)


def test_optional_blocks():
    p = payload(data_quality={"classification_coverage": {
        "value": 0.9512, "events": 12345, "decided_by_code_rule_or_lexicon": 11743,
        "exception_coded_value": 0.9, "exception_coded_events": 1000,
        "exception_coded_decided": 900, "definition": "…"}},
        reconciliation_differences=[{"reason": "Time zone", "direction": "boundary days",
                                     "explanation": "Portal days are CET."}])
    html = render_html([p])
    assert "95.12\u00a0% of 12,345 events" in html and "90.00\u00a0% of 1,000" in html
    assert "Portal days are CET." in html
    bare = copy.deepcopy(p)
    for key in ("series", "comparison", "data_quality", "reconciliation_differences"):
        bare.pop(key)
    html = render_html([bare])
    assert "<svg viewBox=\"0 0 520" not in html and "Why the vendor portal" not in html


def test_at_least_one_payload():
    with pytest.raises(ValueError, match="at least one card payload"):
        render_html([])
