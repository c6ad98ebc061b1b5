"""The HTML card report of the worked example, opened in headless Chromium.

Checks what a reader sees against the JSON the CLI prints (``evaluate --format json``): the
headline, the interval, the status, every breakdown row. The page must load with no console
message of level error, no failed page script and no request but the file itself; screenshots at
390 px (phone) and 1280 px (laptop) are written under ``output/report/`` for review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import CARDS, SCREENSHOTS

pytestmark = pytest.mark.browser

NBSP = "\u00a0"


def as_percent(value: float) -> str:
    return f"{value * 100:.2f} %"


def clean(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def whole(text: str) -> int:
    return int(clean(text).replace(",", ""))


@pytest.fixture(scope="module")
def page_at(browser_context: Any, report_file: Path):
    """``page_at(width)`` → (page, console errors, requested URLs) with the report loaded."""
    opened: dict[int, tuple[Any, list[str], list[str]]] = {}

    def _open(width: int) -> tuple[Any, list[str], list[str]]:
        if width in opened:
            return opened[width]
        page = browser_context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report_file.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)   # let late requests or CSP reports surface
        opened[width] = (page, errors, requests)
        return opened[width]

    yield _open
    for page, _, _ in opened.values():
        page.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_loads_offline_without_errors_and_screenshots(page_at, report_file, width):
    page, errors, requests = page_at(width)
    assert errors == []
    assert requests == [report_file.resolve().as_uri()]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full = SCREENSHOTS / f"report-{width}.png"
    page.screenshot(path=str(full), full_page=True)
    page.locator("#card-exception_rate").screenshot(
        path=str(SCREENSHOTS / f"exception-rate-card-{width}.png"))
    assert full.stat().st_size > 10_000
    # readable on a phone: nothing wider than the viewport (tables scroll inside their box)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_worked_example_reads_as_the_seed_card(page_at):
    page, _, _ = page_at(1280)
    card = page.locator("#card-exception_rate")
    assert clean(card.locator('.headline [data-field="value"]').inner_text()) == "2.90 %"
    fraction = clean(card.locator(".fraction").inner_text())
    assert fraction == "464 / 16,000 shipments"
    assert clean(card.locator('.headline [data-field="status"]').inner_text()) == "WARN"
    categories = card.locator('table[data-breakdown="by_category"] tbody th')
    assert [clean(t) for t in categories.all_inner_texts()] == [
        "Address", "Recipient", "Depot / network", "Customs / border", "Damage / lost", "Other"]
    shares = card.locator('table[data-breakdown="by_category"] tbody [data-field="numerator"]')
    assert [whole(t) for t in shares.all_inner_texts()] == [138, 122, 110, 56, 38, 0]
    carriers = card.locator('table[data-breakdown="by_carrier"] tbody th')
    assert [clean(t) for t in carriers.all_inner_texts()] == [
        "poste_italiane", "brt", "gls", "dhl_express"]
    rates = card.locator('table[data-breakdown="by_carrier"] tbody [data-field="value"]')
    assert [clean(t) for t in rates.all_inner_texts()] == ["4.50 %", "2.50 %", "2.80 %",
                                                          "1.67 %"]


def test_every_figure_equals_the_cli_json(page_at, cli_payloads):
    page, _, _ = page_at(1280)
    for card_id in CARDS:
        p = cli_payloads[card_id]
        card = page.locator(f"#card-{card_id}")
        head = card.locator(".headline")
        assert clean(head.locator('[data-field="value"]').inner_text()) == as_percent(p["value"])
        assert whole(head.locator('[data-field="numerator"]').inner_text()) == p["numerator"]
        assert whole(head.locator('[data-field="denominator"]').inner_text()) == p["denominator"]
        assert head.locator("[data-status]").get_attribute("data-status") == p["status"]
        iv = p["interval"]
        assert clean(card.locator('[data-field="interval"]').inner_text()) == (
            f"{as_percent(iv['low'])} to {as_percent(iv['high'])}")
        for name, rows in p["breakdowns"].items():
            table = card.locator(f'table[data-breakdown="{name}"]')
            assert table.locator("tbody tr").count() == len(rows)
            for row in rows:
                tr = table.locator(f'tbody tr[data-key="{row["key"]}"]')
                assert whole(tr.locator('[data-field="numerator"]').inner_text()) == \
                    row["numerator"]
                if "share_of_total" in row:
                    assert clean(tr.locator('[data-field="share"]').inner_text()) == \
                        as_percent(row["share_of_total"])
                else:
                    assert whole(tr.locator('[data-field="denominator"]').inner_text()) == \
                        row["denominator"]
                    assert clean(tr.locator('[data-field="value"]').inner_text()) == \
                        as_percent(row["value"])
                    assert tr.locator("[data-status]").get_attribute("data-status") == \
                        row["status"]
        points = card.locator(".chart svg circle")
        assert points.count() == sum(1 for s in p["series"] if s["denominator"])


def test_report_embeds_exactly_the_cli_payloads(page_at, cli_payloads):
    page, _, _ = page_at(1280)
    embedded = json.loads(page.locator("#card-payloads").text_content())
    assert embedded["cards"] == [cli_payloads[c] for c in CARDS]
    assert embedded["reconciliation"] is None


def test_print_layout_keeps_the_cards(page_at, tmp_path):
    page, errors, _ = page_at(1280)
    page.emulate_media(media="print")
    try:
        assert page.locator("nav.toc").is_hidden()
        assert page.locator("#card-exception_rate .chart svg").is_visible()
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4")
        assert pdf.read_bytes().startswith(b"%PDF") and errors == []
    finally:
        page.emulate_media(media="screen")


HOSTILE_CARRIER = '<img src="http://127.0.0.1:9/x.png" onerror="document.title=1">'
HOSTILE_TRACKING = "</script><script>document.title='pwned'</script>&amp;"


@pytest.fixture(scope="module")
def stalled_report(tmp_path_factory):
    """The stalled card's report on the hand-count fixture plus a shipment with hostile text."""
    from tests.cards.test_stalled_shipments import AS_OF as STALL_AS_OF
    from tests.cards.test_stalled_shipments import hand_rows
    from tests.cards.warehouses import build

    from .conftest import metric_cards

    rows = hand_rows()
    rows.ship("h1", "2026-03-30T08:00:00Z", carrier=HOSTILE_CARRIER)
    rows.shipments[-1]["tracking_number"] = HOSTILE_TRACKING
    directory = tmp_path_factory.mktemp("stalled")
    engine, _ = build("duckdb", directory, rows)
    engine.dispose()
    url = f"duckdb:///{directory / 'wh.duckdb'}"
    common = ("--warehouse", url, "--as-of", STALL_AS_OF, "--set", "min_sample=0")
    payload = json.loads(metric_cards("evaluate", "stalled_shipments", *common,
                                      "--format", "json"))
    out = directory / "stalled.html"
    metric_cards("report", "stalled_shipments", *common, "--out", str(out))
    return out, payload


def test_stalled_list_matches_json_and_hostile_text_stays_text(browser_context, stalled_report):
    out, payload = stalled_report
    page = browser_context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(out.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        assert errors == [] and requests == [out.resolve().as_uri()]
        assert page.title() == "Shipping metric cards"
        assert page.locator("img").count() == 0
        assert page.locator("script").count() == 1   # the inert JSON data block
        card = page.locator("#card-stalled_shipments")
        assert clean(card.locator('.headline [data-field="value"]').inner_text()) == \
            as_percent(payload["value"])
        cells = card.locator('table[data-list="shipments"] tbody tr')
        listed = payload["list"]["rows"]
        assert cells.count() == len(listed) == payload["numerator"]
        for i, row in enumerate(listed):
            texts = [clean(t) for t in cells.nth(i).locator("td").all_inner_texts()]
            assert texts == [row["shipment_id"], row["tracking_number"], row["carrier"],
                             row["last_milestone"], row["last_event_at"],
                             str(row["business_days_stalled"])]
        hostile = [r for r in listed if r["shipment_id"] == "h1"]
        assert hostile and hostile[0]["carrier"] == HOSTILE_CARRIER
        carriers = card.locator('table[data-breakdown="by_carrier"] tbody th')
        assert HOSTILE_CARRIER in carriers.all_inner_texts()
    finally:
        page.close()
