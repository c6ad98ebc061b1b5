"""``metric-cards reconcile``: the argparse wiring for the reconciliation subcommand.

``add_parser`` joins ``metric-cards`` through the ``metric_cards.commands`` entry point
declared in ``pyproject.toml`` (the card engine never names this package);
``add_reconcile_parser`` is the same function under its own name.
"""

from __future__ import annotations

import argparse
import json

from metric_cards.connection import open_engine
from metric_cards.default_as_of import resolve_as_of
from metric_cards.params import parse_assignments
from shipping_core.windows import zone

from .bridge import reconcile
from .report import render


def _whole(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _rate(text: str) -> float:
    raw = text.strip()
    try:
        value = float(raw.rstrip("%").replace(",", ".")) / (100 if raw.endswith("%") else 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a rate such as 0.027 or 2.7%, got {text!r}") \
            from exc
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a rate between 0 and 1 (or 0-100%), "
                                         f"got {text!r}")
    return value


def add_reconcile_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "reconcile",
        help="explain, shipment by shipment, why our exception rate differs from the portal's",
        description="Bridge our Exception Rate card to the vendor portal's number rule by rule. "
                    "Give --portal-export (the Exceptions CSV) for the per-shipment bridge, or "
                    "--portal-rate alone for a coarser modelled bridge.")
    p.add_argument("--warehouse", required=True, metavar="SQLALCHEMY_URL",
                   help="e.g. duckdb:///output/warehouse.duckdb")
    p.add_argument("--schema", default=None,
                   help="schema of the contract tables (default: raw; none for SQLite)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--portal-export", metavar="FILE",
                        help="the portal's Tracking -> Exceptions CSV export")
    source.add_argument("--portal-rate", type=_rate, metavar="RATE",
                        help="the portal's exception rate alone (0.027 or 2.7%%)")
    p.add_argument("--portal-total", required=True, type=_whole, metavar="N",
                   help="the portal's total shipment count for its window")
    p.add_argument("--as-of", default=None, metavar="ISO8601|latest|now",
                   help="reading instant with offset (default: latest, the warehouse's newest "
                        "tracking event, at most now; 'now' for the wall clock)")
    p.add_argument("--workspace-timezone", default="Europe/Rome", metavar="ZONE",
                   help="the portal workspace's zone (default: Europe/Rome)")
    p.add_argument("--card-timezone", default=None, metavar="ZONE",
                   help="our card's zone (default: the card's own, UTC)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   dest="assignments",
                   help="card parameter, as for evaluate (e.g. include_transient=false); ours "
                        "is the card read with these")
    p.add_argument("--rules", default=None, metavar="YAML",
                   help="a rule set file (default: the packaged portal rule set)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_reconcile)
    return p


add_parser = add_reconcile_parser


def cmd_reconcile(args: argparse.Namespace) -> int:
    from metric_cards.cli import resolve_schema

    zone(args.workspace_timezone)
    if args.card_timezone:
        zone(args.card_timezone)
    params = parse_assignments(args.assignments)
    engine = open_engine(args.warehouse)
    schema = resolve_schema(args.warehouse, args.schema)
    try:
        as_of = resolve_as_of(args.as_of, engine, schema)
        payload = reconcile(engine, schema,
                            args.portal_export, args.portal_total, as_of,
                            args.workspace_timezone, portal_rate=args.portal_rate,
                            our_timezone=args.card_timezone, ruleset=args.rules,
                            params=params)
    finally:
        engine.dispose()
    print(json.dumps(payload, indent=2) if args.format == "json" else render(payload))
    return 0
