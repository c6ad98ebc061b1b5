"""Render card payloads as one self-contained HTML page (the card report people look at).

``render_html(payloads, reconciliation=None)`` is a pure function of the payloads that
``metric-cards evaluate --format json`` prints (and, optionally, the payload of
``metric-cards reconcile --format json``): it computes no figure of its own beyond formatting and
the daily ratio of the series the payload carries. The page needs no network: styles are inline,
charts are inline SVG, no script runs, and a Content-Security-Policy forbids every fetch. Status
is shown by word and shape as well as colour (Okabe-Ito palette, distinct in greyscale), and
every text that comes from data (card text, carrier names, shipment ids) is escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from metric_cards.render import num

NBSP = "\u00a0"
STATUS_WORDS = {"ok": "OK", "warn": "WARN", "critical": "CRITICAL",
                "insufficient_data": "INSUFFICIENT DATA", "not_evaluable": "NOT EVALUABLE"}
# Shapes (SVG path in a 12x12 box): circle = ok, triangle = warn, octagon = critical,
# hollow dashed circle = insufficient data, bar = not evaluable.
STATUS_SHAPES = {
    "ok": '<circle cx="6" cy="6" r="5"/>',
    "warn": '<path d="M6 1 L11.5 11 L0.5 11 Z"/>',
    "critical": '<path d="M4 0.5 H8 L11.5 4 V8 L8 11.5 H4 L0.5 8 V4 Z"/>',
    "insufficient_data": '<circle cx="6" cy="6" r="4.5" fill="none" stroke-width="2" '
                         'stroke-dasharray="2 1.5"/>',
    "not_evaluable": '<rect x="1" y="5" width="10" height="2.5"/>',
}
CALENDARS = {"it_national": "Italian"}
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; "
       "connect-src 'none'; font-src 'none'; form-action 'none'; base-uri 'none'")

STYLE = """
:root{--ink:#1b1b1b;--muted:#555;--line:#c9c9c9;--ok:#005a8c;--ok-bg:#fff;--warn:#9a5b00;
--warn-bg:#ffd98a;--crit:#fff;--crit-bg:#a33a00;--bar:#0072b2;--bar2:#56b4e9;--paper:#fff}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--ink);background:#f4f4f2}
main{max-width:980px;margin:0 auto;padding:16px}
header.page h1{font-size:1.35rem;margin:.2rem 0}
header.page p{margin:.2rem 0;color:var(--muted)}
nav.toc{margin:.6rem 0 0;font-size:.9rem}
nav.toc a{margin-right:.8rem}
article.card{background:var(--paper);border:1px solid var(--line);border-radius:8px;
padding:16px;margin:16px 0}
article.card h2{font-size:1.2rem;margin:0 0 .2rem}
.sub{color:var(--muted);font-size:.88rem;margin:0}
.headline{display:flex;flex-wrap:wrap;gap:12px 28px;align-items:flex-end;margin:12px 0}
.value{font-size:2.6rem;font-weight:700;line-height:1;font-variant-numeric:tabular-nums}
.fraction{font-size:1.05rem;font-variant-numeric:tabular-nums}
.status{display:inline-flex;align-items:center;gap:6px;padding:3px 10px;border-radius:999px;
font-weight:700;font-size:.85rem;letter-spacing:.03em;border:2px solid;white-space:nowrap}
.status svg{width:12px;height:12px;flex:none}
.s-ok{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.s-ok svg{fill:var(--ok);stroke:var(--ok)}
.s-warn{color:#3d2600;background:var(--warn-bg);border-color:#e69f00}
.s-warn svg{fill:#3d2600;stroke:#3d2600}
.s-critical{color:var(--crit);background:var(--crit-bg);border-color:var(--crit-bg)}
.s-critical svg{fill:#fff;stroke:#fff}
.s-insufficient_data,.s-not_evaluable{color:#333;background:#eee;border-color:#777;
border-style:dashed}
.s-insufficient_data svg,.s-not_evaluable svg{fill:#333;stroke:#333}
.status.small{font-size:.72rem;padding:1px 7px;border-width:1.5px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0;
font-size:.92rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;font-variant-numeric:tabular-nums}
h3{font-size:1rem;margin:18px 0 6px}
.chart{max-width:680px}
.chart svg{width:100%;height:auto;display:block}
.chart text{font-size:12px;fill:#333;paint-order:stroke;stroke:#fafafa;stroke-width:3px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem;font-variant-numeric:tabular-nums}
th,td{padding:4px 6px;border-bottom:1px solid #e2e2e2;text-align:left;vertical-align:middle}
th{font-weight:600;color:#333;border-bottom:1px solid var(--line)}
td.num,th.num{text-align:right;white-space:nowrap}
td.barcell{width:34%;min-width:90px}
.bar{height:12px;background:#e8e8e8;border-radius:2px;position:relative;overflow:hidden}
.bar span{display:block;height:100%;background:var(--bar)}
.bar.b-warn span{background:#e69f00;background-image:repeating-linear-gradient(45deg,
transparent 0 3px,rgba(0,0,0,.28) 3px 5px)}
.bar.b-critical span{background:var(--crit-bg);background-image:repeating-linear-gradient(
90deg,transparent 0 2px,rgba(255,255,255,.35) 2px 3px)}
.bar i{position:absolute;top:0;bottom:0;width:0;border-left:2px dashed #222}
ul.notes{margin:4px 0;padding-left:1.2rem}
ul.notes li{margin:3px 0}
code{overflow-wrap:anywhere}
.muted{color:var(--muted)}
details summary{cursor:pointer;color:var(--muted);font-size:.88rem}
footer{color:var(--muted);font-size:.8rem;margin:20px 0}
@media (max-width:600px){
 main{padding:6px}
 article.card{padding:10px 8px;border-radius:6px}
 .status.small{font-size:.64rem;padding:1px 5px;gap:3px}
 .value{font-size:2.1rem}
 td.barcell{min-width:60px}
 .barcell.rate{display:none}
 .chart text{font-size:17px}
 table{font-size:.84rem}
 th,td{padding:3px 4px}
}
@media print{
 body{background:#fff;font-size:11pt}
 main{max-width:none;padding:0}
 nav.toc{display:none}
 article.card{border:1px solid #999;break-inside:avoid-page;page-break-inside:avoid}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
"""


def pct(value: float | None, decimals: int = 2) -> str:
    """``0.029`` → ``2.90 %`` (no-break space); ``None`` → ``n/a``."""
    return "n/a" if value is None else f"{value * 100:.{decimals}f}{NBSP}%"


count = num  # shipments and events are counted as the text card counts them


def figure(payload: dict[str, Any], value: float | None) -> str:
    """A card value in the card's own unit (percent for ratios, count otherwise)."""
    return pct(value) if payload["kind"] == "ratio" else count(value)


def category_label(key: str) -> str:
    """``depot_network`` → ``Depot / network`` (category keys; carrier keys are shown as is)."""
    words = key.split("_")
    return " / ".join([words[0].capitalize(), *words[1:]])


def share_label(breakdown: str, key: str) -> str:
    """Row label of a share breakdown: categories as the vendor card writes them, other keys
    (milestones) in words: ``available_for_pickup`` → ``Available for pickup``."""
    if breakdown == "by_category":
        return category_label(key)
    return key.replace("_", " ").capitalize()


def status_badge(status: str, small: bool = False) -> str:
    word = STATUS_WORDS.get(status, status.upper())
    shape = STATUS_SHAPES.get(status, STATUS_SHAPES["not_evaluable"])
    size = " small" if small else ""
    return (f'<span class="status s-{escape(status)}{size}" data-status="{escape(status)}">'
            f'<svg viewBox="0 0 12 12" aria-hidden="true">{shape}</svg>{escape(word)}</span>')


def _thresholds(payload: dict[str, Any]) -> list[tuple[str, float]]:
    return [(name, float(v)) for name, v in (payload.get("thresholds") or {}).items()
            if v is not None]


def _threshold_text(payload: dict[str, Any]) -> str:
    parts = [f"{name.replace('_', ' ')} {figure(payload, v)}" for name, v in _thresholds(payload)]
    return ", ".join(parts) if parts else "no thresholds set"


def render_html(payloads: Sequence[dict[str, Any]],
                reconciliation: dict[str, Any] | None = None,
                title: str = "Shipping metric cards") -> str:
    """The report page for ``payloads`` (card payloads, in order) as one HTML string."""
    if not payloads:
        raise ValueError("render_html: expected at least one card payload")
    present = {p["card_id"] for p in payloads}
    recon_target = "exception_rate" if "exception_rate" in present else payloads[0]["card_id"]
    first = payloads[0]
    zones = sorted({p["timezone"] for p in payloads})
    toc = "".join(f'<a href="#card-{escape(p["card_id"])}">{escape(p["label"])}</a>'
                  for p in payloads)
    cards = "".join(card_html(p, present, reconciliation if p["card_id"] == recon_target
                              else None) for p in payloads)
    data = json.dumps({"cards": list(payloads), "reconciliation": reconciliation},
                      sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f'<header class="page"><h1>{escape(title)}</h1>'
        f"<p>Read as of <time>{escape(first['as_of'])}</time>; window days in "
        f"{escape(', '.join(zones))}. Figures are the card payloads of "
        "<code>metric-cards evaluate --format json</code>.</p>"
        f'<nav class="toc" aria-label="Cards">{toc}</nav></header>'
        f"{cards}"
        "<footer>Status is given by word and shape as well as colour. Interval: 95 % Wilson "
        "score interval. Relations between cards are associational estimates, not forecasts."
        "</footer></main>"
        f'<script type="application/json" id="card-payloads">{data}</script>'
        "</body></html>\n")


def card_html(p: dict[str, Any], present: set[str],
              reconciliation: dict[str, Any] | None) -> str:
    cid = escape(p["card_id"])
    w = p["window"]
    parts = [f'<article class="card" id="card-{cid}" data-card="{cid}">',
             f"<h2>{escape(p['label'])}</h2>",
             f'<p class="sub"><code>{cid}</code> · as of {escape(p["as_of"])} · '
             f'{"look-back (created)" if p.get("stall") else "window"} '
             f"{escape(w['first_day'])} to {escape(w['last_day'])} ({escape(p['timezone'])})</p>",
             headline_html(p), comparison_html(p), series_html(p)]
    for name, rows in (p.get("breakdowns") or {}).items():
        parts.append(breakdown_html(p, name, rows))
    if p.get("list"):
        parts.append(list_html(p["list"]))
    parts.append(quality_html(p))
    parts.append(relations_html(p, present))
    parts.append(reconciliation_html(p, reconciliation))
    parts.append("</article>")
    return "".join(parts)


def headline_html(p: dict[str, Any]) -> str:
    iv = p.get("interval")
    interval = (f"{pct(iv['low'])} to {pct(iv['high'])}" if iv else "n/a")
    level = f"{iv['level'] * 100:g}{NBSP}% " if iv else ""
    return (
        '<div class="headline">'
        f'<div><div class="value" data-field="value">{escape(figure(p, p["value"]))}</div>'
        f'<div class="fraction"><span data-field="numerator">{count(p["numerator"])}</span>'
        f' / <span data-field="denominator">{count(p["denominator"])}</span> '
        '<span class="muted">shipments</span></div></div>'
        f'<div data-field="status">{status_badge(p["status"])}</div></div>'
        '<dl class="facts">'
        f"<dt>Status</dt><dd>{escape(p['status_reason'])}</dd>"
        f'<dt>Thresholds</dt><dd data-field="thresholds">{escape(_threshold_text(p))}</dd>'
        f'<dt>{level}interval</dt><dd data-field="interval">{escape(interval)}</dd>'
        f"{stall_rule_html(p)}</dl>")


def stall_rule_html(p: dict[str, Any]) -> str:
    stall = p.get("stall")
    if not stall:
        return ""
    per = ", ".join(f"{k} {v}" for k, v in sorted(stall.get("per_carrier", {}).items()))
    cutoffs = stall.get("cutoffs", {})
    if set(cutoffs) <= {"*"}:
        cut = f"before {cutoffs.get('*', 'n/a')}"
    else:
        cut = "; ".join(("other carriers" if k == "*" else k) + f" before {v}"
                        for k, v in sorted(cutoffs.items(), key=lambda kv: kv[0] != "*"))
    calendar = CALENDARS.get(stall.get("calendar", ""), stall.get("calendar", ""))
    return (f"<dt>Stalled when</dt><dd>no carrier event for {stall['business_days']} or more "
            f"whole business days ({escape(calendar)} calendar: weekends and "
            f"public holidays excluded{escape('; per carrier: ' + per) if per else ''}), i.e. "
            f"last event {escape(cut)}</dd>")


def comparison_html(p: dict[str, Any]) -> str:
    c = p.get("comparison")
    if not c:
        return ""
    cw = c["window"]
    span = (f"at {escape(c['as_of'])}" if c.get("as_of")
            else f"in the prior window {escape(cw['first_day'])} to {escape(cw['last_day'])}")
    if c["status"] == "not_evaluable":
        body = f"not evaluable (no shipments {span})"
        delta = ""
    else:
        if c.get("delta_pp") is not None:
            d = float(c["delta_pp"])
            delta = f"{d:+.2f}{NBSP}pp"
        elif c.get("delta") is not None:
            d = float(c["delta"])
            delta = f"{int(d):+,}"
        else:
            d, delta = 0.0, "n/a"
        better = (d < 0) == (p["direction"] == "lower_is_better")
        arrow = "▲" if d > 0 else ("▼" if d < 0 else "=")
        word = "no change" if d == 0 else ("better" if better else "worse")
        body = (f"{escape(figure(p, c['value']))} ({count(c['numerator'])} / "
                f"{count(c['denominator'])}) {span}; change "
                f'<strong data-field="delta">{escape(delta)}</strong> {arrow} {word}')
    return (f'<dl class="facts"><dt>vs prior window</dt><dd data-field="comparison">{body}'
            "</dd></dl>")


def _series_points(p: dict[str, Any]) -> list[tuple[str, float | None, int, int]]:
    out = []
    for row in p.get("series") or []:
        n, d = int(row["numerator"]), int(row["denominator"])
        value = (n / d if d else None) if p["kind"] == "ratio" else float(n)
        out.append((row["date"], value, n, d))
    return out


def nice_ticks(top: float, count: int = 4, integer: bool = False) -> list[float]:
    """Round axis values 0, step, 2·step … below ``top`` (step 1, 2, 2.5 or 5 x 10^k;
    whole numbers only when ``integer``)."""
    if top <= 0:
        return [0.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    if integer:
        magnitude = max(magnitude, 1)
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


def series_html(p: dict[str, Any]) -> str:
    points = _series_points(p)
    if not points:
        return ""
    ratio = p["kind"] == "ratio"
    width, height, left, right, top, bottom = 520, 220, 72, 10, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v, _, _ in points if v is not None]
    refs = [v for _, v in _thresholds(p)]
    prior = (p.get("comparison") or {}).get("value")
    if prior is not None and ratio:
        refs.append(float(prior))
    top_value = max([*values, *refs, 0.0]) * 1.12 or 1.0

    def x(i: int) -> float:
        return left + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    cid = escape(p["card_id"])
    svg = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="t-{cid}">',
           f'<title id="t-{cid}">Daily {escape(p["label"])} over the window, '
           "with thresholds</title>",
           f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
           'stroke="#ccc"/>']
    for v in nice_ticks(top_value, integer=not ratio):
        svg.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end">'
                   f"{escape(figure(p, v) if ratio else count(round(v)))}</text>")
    dashes = {0: "6 4", 1: "10 3 2 3"}
    for i, (name, v) in enumerate(_thresholds(p)):
        yy = y(v)
        svg.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" '
                   f'stroke="#222" stroke-width="1.4" stroke-dasharray="{dashes.get(i, "2 2")}"/>'
                   f'<text x="{left + plot_w - 4}" y="{yy - 4:.1f}" text-anchor="end">'
                   f"{escape(name.split('_')[0])} {escape(figure(p, v))}</text>")
    if prior is not None and ratio:
        yy = y(float(prior))
        svg.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" '
                   'stroke="#56b4e9" stroke-width="2" stroke-dasharray="1 3"/>'
                   f'<text x="{left + 4}" y="{yy + 15:.1f}">prior window '
                   f"{escape(pct(prior))}</text>")
    svg += _series_marks(p, points, x, y)
    svg.append(f'<text x="{left}" y="{height - 8}">{escape(points[0][0])}</text>'
               f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end">'
               f"{escape(points[-1][0])}</text></svg>")
    what = "Daily rate" if ratio else "Daily count"
    return (f'<h3>{what} (local days, {escape(p["timezone"])})</h3>'
            f'<div class="chart">{"".join(svg)}</div>{_series_table(p, points)}')


def _series_marks(p: dict[str, Any], points: list[tuple[str, float | None, int, int]],
                  x: Callable[[int], float], y: Callable[[float], float]) -> list[str]:
    """The daily line (broken where a day has no value) and one titled dot per day."""
    marks: list[str] = []
    path, run = [], False
    for i, (_, v, _, _) in enumerate(points):
        if v is None:
            run = False
            continue
        path.append(f"{'L' if run else 'M'}{x(i):.1f} {y(v):.1f}")
        run = True
    if path:
        marks.append(f'<path d="{" ".join(path)}" fill="none" stroke="#0072b2" '
                     'stroke-width="2"/>')
    for i, (day, v, n, d) in enumerate(points):
        if v is None:
            continue
        marks.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.6" fill="#0072b2">'
                     f"<title>{escape(day)}: {escape(figure(p, v))} ({n:,} / {d:,})</title>"
                     "</circle>")
    return marks


def _series_table(p: dict[str, Any], points: list[tuple[str, float | None, int, int]]) -> str:
    """The daily figures behind the chart, as a collapsible table."""
    rows = "".join(f"<tr><td>{escape(day)}</td><td class=num>{n:,}</td><td class=num>{d:,}</td>"
                   f"<td class=num>{escape(figure(p, v))}</td></tr>"
                   for day, v, n, d in points)
    return ("<details><summary>Daily figures</summary><div class=scroll><table>"
            "<thead><tr><th>Day</th><th class=num>Numerator</th><th class=num>Denominator</th>"
            f"<th class=num>Value</th></tr></thead><tbody>{rows}</tbody></table></div>"
            "</details>")


def breakdown_html(p: dict[str, Any], name: str, rows: list[dict[str, Any]]) -> str:
    title = name.removeprefix("by_").replace("_", " ").capitalize()
    if not rows:
        return f"<h3>By {escape(title.lower())}</h3><p class=muted>No rows.</p>"
    shares = "denominator" not in rows[0]
    if shares:
        top = max((r.get("share_of_total") or 0.0) for r in rows) or 1.0
        body = "".join(
            f'<tr data-key="{escape(r["key"])}">'
            f'<th scope=row>{escape(share_label(name, r["key"]))}</th>'
            f'<td class=num data-field="numerator">{count(r["numerator"])}</td>'
            f'<td class=num data-field="share">{escape(pct(r.get("share_of_total")))}</td>'
            f'<td class=barcell><div class="bar"><span style="width:'
            f'{100 * (r.get("share_of_total") or 0) / top:.1f}%"></span></div></td></tr>'
            for r in rows)
        total = (f'<tfoot><tr><th scope=row>All (this card)</th>'
                 f"<td class=num>{count(p['numerator'])}</td>"
                 f"<td class=num>{escape(figure(p, p['value']))}</td><td></td></tr></tfoot>")
        return (f'<h3>By {escape(title.lower())} <span class="muted">(share of all '
                f"{count(p['denominator'])} shipments)</span></h3>"
                f'<div class=scroll><table data-breakdown="{escape(name)}"><thead><tr>'
                f"<th>{escape(title)}</th><th class=num>Shipments</th>"
                "<th class=num>% of total</th><th><span class=muted>share</span></th></tr></thead>"
                f"<tbody>{body}</tbody>{total}</table></div>")
    ratio = p["kind"] == "ratio"
    values = [float(r["value"]) for r in rows if r.get("value") is not None]
    refs = [v for _, v in _thresholds(p)]
    top = max([*values, *refs, 0.0]) * 1.1 or 1.0
    ticks = "".join(f'<i style="left:{100 * v / top:.1f}%"></i>' for v in refs) if ratio else ""
    body = ""
    for r in rows:
        v = r.get("value")
        status = r.get("status", "not_evaluable")
        width = 100 * float(v) / top if v is not None else 0
        body += (f'<tr data-key="{escape(r["key"])}"><th scope=row>{escape(r["key"])}</th>'
                 f'<td class=num><span data-field="numerator">{count(r["numerator"])}</span>'
                 f' / <span data-field="denominator">{count(r["denominator"])}</span></td>'
                 f'<td class=num data-field="value">{escape(figure(p, v))}</td>'
                 f'<td class="barcell rate"><div class="bar b-{escape(status)}"><span style="width:'
                 f'{width:.1f}%"></span>{ticks}</div></td>'
                 f'<td data-field="status">{status_badge(status, small=True)}</td></tr>')
    legend = (" (dashed marks: thresholds)" if ratio and refs else "")
    return (f'<h3>By {escape(title.lower())} <span class="muted">{legend}</span></h3>'
            f'<div class=scroll><table data-breakdown="{escape(name)}"><thead><tr>'
            f"<th>{escape(title)}</th><th class=num>Shipments</th>"
            "<th class=num>Value</th><th class=\"barcell rate\"><span class=muted>rate</span></th>"
            "<th>Status</th></tr>"
            f"</thead><tbody>{body}</tbody></table></div>")


def list_html(listing: dict[str, Any]) -> str:
    rows = listing.get("rows") or []
    cols = [("shipment_id", "Shipment"), ("tracking_number", "Tracking number"),
            ("carrier", "Carrier"), ("last_milestone", "Last milestone"),
            ("last_event_at", "Last carrier event (UTC)"),
            ("business_days_stalled", "Business days stalled")]
    head = "".join(f"<th{' class=num' if k == 'business_days_stalled' else ''}>{escape(t)}</th>"
                   for k, t in cols)
    body = "".join("<tr>" + "".join(
        f"<td{' class=num' if k == 'business_days_stalled' else ''}>"
        f"{escape('' if r.get(k) is None else str(r.get(k)))}</td>" for k, _ in cols) + "</tr>"
        for r in rows)
    shown = (f"{len(rows):,} of {int(listing.get('total', len(rows))):,} "
             f"(limit {int(listing.get('limit', len(rows))):,}, longest stalled first)")
    return (f'<h3>Shipments to act on <span class="muted">{escape(shown)}</span></h3>'
            f'<div class=scroll><table data-list="shipments"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _coverage_text(value: Any) -> str:
    if isinstance(value, dict) and "value" in value and "events" in value:
        text = (f"{pct(value['value'])} of {count(value['events'])} events with carrier text "
                "were classified by the carrier's code, a message rule or the lexicon")
        if value.get("exception_coded_events"):
            text += (f"; exception-coded events: {pct(value.get('exception_coded_value'))} of "
                     f"{count(value['exception_coded_events'])}")
        return text
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pct(float(value)) if 0 <= value <= 1 else count(value)
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            if isinstance(v, dict | list):
                continue
            shown = (pct(float(v)) if isinstance(v, float) and 0 <= v <= 1
                     else count(v) if isinstance(v, int | float) and not isinstance(v, bool)
                     else str(v))
            parts.append(f"{k.replace('_', ' ')} {shown}")
        return "; ".join(parts)
    return str(value)


def quality_html(p: dict[str, Any]) -> str:
    notes: list[str] = []
    fresh = p.get("freshness") or {}
    if fresh:
        lag = fresh.get("lag_hours")
        synced = escape(fresh.get("latest_synced_at") or "never")
        if lag is None:
            when = ""
        elif lag >= 0:
            when = f" ({lag:g} h before the reading)"
        else:
            when = " (after the reading instant: this is a reading of the past)"
        notes.append(f"Freshness: latest event synced {synced}{when}")
    quality = p.get("data_quality") or {}
    coverage = quality.get("classification_coverage", p.get("classification_coverage"))
    if coverage is not None:
        notes.append(f"Classification coverage: {escape(_coverage_text(coverage))}")
    for key, value in quality.items():
        if key != "classification_coverage" and not isinstance(value, dict | list):
            notes.append(f"{escape(key.replace('_', ' ').capitalize())}: {escape(str(value))}")
    min_sample = p.get("min_sample")
    if min_sample is not None:
        state = ("met" if p["denominator"] >= min_sample else "NOT met: status withheld")
        notes.append(f"Minimum sample {count(min_sample)} shipments: {state} "
                     f"(denominator {count(p['denominator'])})")
        small = [f"{r['key']} ({count(r['denominator'])})"
                 for rows in (p.get("breakdowns") or {}).values() for r in rows
                 if r.get("status") == "insufficient_data"]
        if small:
            notes.append("Rows below the minimum sample (no status): " + escape(", ".join(small)))
    for a in p.get("annotations") or []:
        span = a["start"] if a["start"] == a["end"] else f"{a['start']} to {a['end']}"
        notes.append(f"{escape(a['name'])} ({escape(span)}, {escape(a['applies_to'])}): "
                     f"{escape(a['note'])}")
    items = "".join(f"<li>{n}</li>" for n in notes)
    return f'<h3>Data quality</h3><ul class="notes" data-section="quality">{items}</ul>'


def relations_html(p: dict[str, Any], present: set[str]) -> str:
    items = []
    for rel in p.get("relations") or []:
        change = rel.get("expected_change_pp")
        est = (f"expected change about {change:+.2f}{NBSP}pp" if change is not None
               else "no change estimate (prior window not evaluable)")
        items.append(f"<li><strong>Leads {_card_ref(rel['target'], present)}</strong> by "
                     f"{rel['lag_days']:g} days: {escape(est)} ({rel['effect_pp_per_pp']:g} pp "
                     f"per pp; estimate). {escape(rel.get('note', ''))}</li>")
    for s in p.get("siblings") or []:
        items.append(f"<li>{_card_ref(s['card'], present)}: {escape(s['reason'])}</li>")
    if not items:
        return ""
    return (f'<h3>Related cards</h3><ul class="notes" data-section="relations">'
            f"{''.join(items)}</ul>")


def _card_ref(card: str, present: set[str]) -> str:
    if card in present:
        return f'<a href="#card-{escape(card)}"><code>{escape(card)}</code></a>'
    return f"<code>{escape(card)}</code>"


def reconciliation_html(p: dict[str, Any], recon: dict[str, Any] | None) -> str:
    items: list[str] = []
    if recon:
        ours, portal = recon["ours"], recon["portal"]
        items.append(
            f"<li><strong>Vendor portal reads {escape(pct(portal.get('value')))}</strong> "
            f"({count(portal.get('numerator'))} / {count(portal.get('denominator'))}) against "
            f"ours {escape(pct(ours.get('value')))} ({count(ours.get('numerator'))} / "
            f"{count(ours.get('denominator'))}); verdict "
            f"<strong>{escape(str(recon.get('verdict', 'n/a')).upper())}</strong> "
            f"(rule set {escape(str(recon.get('ruleset', '')))}, mode "
            f"{escape(str(recon.get('mode', '')))}).</li>")
        rules = {r["id"]: r for r in recon.get("rules", [])}
        for step in recon.get("bridge", []):
            rule = rules.get(step["rule"], {})
            moved = step["numerator_delta"] or step["denominator_delta"]
            if not moved:
                continue
            items.append(
                f"<li><code>{escape(step['rule'])}</code>: numerator "
                f"{step['numerator_delta']:+,}, denominator {step['denominator_delta']:+,} "
                f"→ {escape(pct(step.get('value_after')))} "
                f"({len(step.get('shipments', [])):,} shipments). "
                f"{escape(rule.get('description', ''))}</li>")
        un = recon.get("unexplained") or {}
        if un:
            items.append(f"<li>Unexplained: numerator {un.get('numerator_delta', 0):+,}, "
                         f"denominator {un.get('denominator_delta', 0):+,} "
                         f"({len(un.get('shipments', [])):,} shipments).</li>")
    known = "".join(
        f"<li>{escape(d['reason'])} <span class=muted>({escape(d['direction'])})</span>: "
        f"{escape(d['explanation'])}</li>" for d in p.get("reconciliation_differences") or [])
    if not items and not known:
        return ""
    out = "<h3>Why the vendor portal may differ</h3>"
    if items:
        out += f'<ul class="notes" data-section="reconciliation">{"".join(items)}</ul>'
    if known:
        out += (f"<details{' open' if not items else ''}><summary>Known differences "
                f"({len(p['reconciliation_differences'])})</summary>"
                f'<ul class="notes" data-section="known-differences">{known}</ul></details>')
    return out

