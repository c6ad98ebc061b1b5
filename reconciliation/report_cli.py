"""``metric-cards report``: evaluate cards, optionally reconcile, write one HTML report.

The glue lives at the reconciliation layer because it may also compute the reconciliation
payload; the card engine never imports it. Figures come from ``metric_cards.evaluate.evaluate``
(the payload ``evaluate --format json`` prints) and are laid out by the pure renderer
``metric_cards.html_report.render_html``. ``metric_cards.cli`` registers the subcommand through
``add_parser(subparsers)`` (alias of ``add_report_parser``), like ``reconcile``.
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metric_cards.errors import ParameterError

log = logging.getLogger(__name__)

#: The exception-rate card and its breakdown siblings.
DEFAULT_CARDS = ("exception_rate", "exception_rate_by_category", "exception_rate_by_carrier")


def add_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from metric_cards.cli import add_warehouse_arguments
    from reconciliation.cli import _rate, _whole

    p = subparsers.add_parser(
        "report", help="write one self-contained HTML report of cards (works offline)",
        description="Evaluate cards (default: " + ", ".join(DEFAULT_CARDS) + ") and write one "
                    "HTML file with no network dependency. With --portal-export/--portal-rate "
                    "and --portal-total the reconciliation bridge is added to the exception "
                    "rate card's notes.")
    p.add_argument("cards", nargs="*", metavar="CARD", help="card ids, in report order")
    add_warehouse_arguments(p)
    p.add_argument("--out", required=True, type=Path, metavar="FILE.html")
    p.add_argument("--json-out", type=Path, default=None, metavar="FILE.json",
                   help="also write the payloads the report was built from")
    p.add_argument("--title", default="Shipping metric cards")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--portal-export", metavar="FILE",
                        help="the portal's Exceptions CSV export (adds reconciliation notes)")
    source.add_argument("--portal-rate", type=_rate, metavar="RATE",
                        help="the portal's exception rate alone (0.027 or 2.7%%)")
    p.add_argument("--portal-total", type=_whole, metavar="N",
                   help="the portal's total shipment count (with --portal-export/--portal-rate)")
    p.add_argument("--workspace-timezone", default="Europe/Rome", metavar="ZONE",
                   help="the portal workspace's zone (default: Europe/Rome)")
    p.set_defaults(handler=cmd_report)
    return p


add_parser = add_report_parser


def overrides_for(card: Any, overrides: dict[str, str], used: set[str]) -> dict[str, str]:
    """The ``--set`` assignments ``card`` understands (others may belong to other cards)."""
    from metric_cards.params import valid_names

    names = set(valid_names(card))
    mine = {k: v for k, v in overrides.items() if k in names}
    used.update(mine)
    return mine


def cmd_report(args: argparse.Namespace) -> int:
    from metric_cards.cli import resolve_schema
    from metric_cards.connection import open_engine
    from metric_cards.evaluate import evaluate
    from metric_cards.html_report import render_html
    from metric_cards.params import parse_assignments
    from metric_cards.registry import get_card
    from shipping_core.windows import parse_instant, zone

    from .bridge import reconcile

    portal_given = bool(args.portal_export) or args.portal_rate is not None
    if portal_given != (args.portal_total is not None):
        raise ValueError("--portal-total goes with --portal-export or --portal-rate "
                         "(give both or neither)")
    if args.out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out: expected a .html file name, got {str(args.out)!r}")
    cards = [get_card(c) for c in (args.cards or DEFAULT_CARDS)]
    overrides = parse_assignments(args.assignments)
    used: set[str] = set()
    per_card = [overrides_for(c, overrides, used) for c in cards]
    unused = sorted(set(overrides) - used)
    if unused:
        raise ParameterError(f"--set {', '.join(unused)}: not a parameter of any card in the "
                             f"report ({', '.join(c.id for c in cards)})")
    as_of = parse_instant(args.as_of) if args.as_of else datetime.now(UTC)
    if args.timezone:
        zone(args.timezone)
    schema = resolve_schema(args.warehouse, args.schema)
    engine = open_engine(args.warehouse)
    try:
        payloads = [evaluate(card, engine, as_of, timezone=args.timezone, params=params,
                             schema=schema) for card, params in zip(cards, per_card, strict=True)]
        recon = None
        if args.portal_total is not None:
            zone(args.workspace_timezone)
            recon = reconcile(engine, schema, args.portal_export, args.portal_total, as_of,
                              args.workspace_timezone, portal_rate=args.portal_rate,
                              our_timezone=args.timezone or "UTC")
    finally:
        engine.dispose()
    html = render_html(payloads, recon, title=args.title)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(html, "utf-8")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps({"cards": payloads, "reconciliation": recon},
                                            indent=2), "utf-8")
    log.info("report of %d card(s) written to %s", len(payloads), args.out)
    print(args.out.resolve())
    return 0
