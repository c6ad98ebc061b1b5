"""``metric-cards`` command line: list, show, validate and evaluate cards.

Subcommands are argparse subparsers. Other packages add theirs without this module naming
them: an entry point in the ``metric_cards.commands`` group (``pyproject.toml``)::

    [project.entry-points."metric_cards.commands"]
    reconcile = "reconciliation.cli:add_parser"

names a ``register(subparsers) -> None`` callable that adds a subparser called like the entry
point and sets ``handler=<callable(args) -> int>`` with ``set_defaults``. A plugin that fails
to load or register is reported on stderr and left out; the other subcommands still work.
Reusable helpers for such subcommands: ``add_warehouse_arguments``, ``resolve_schema``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metric_cards.definitions import load_definition
from metric_cards.errors import MetricCardError
from metric_cards.registry import card_directory, card_files, check_references, get_card
from metric_cards.registry import packaged_cards as _packaged

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

COMMAND_GROUP = "metric_cards.commands"


def add_warehouse_arguments(parser: argparse.ArgumentParser) -> None:
    """--warehouse, --schema, --as-of, --timezone, --set (shared with other subcommands)."""
    parser.add_argument("--warehouse", required=True, metavar="SQLALCHEMY_URL",
                        help="e.g. duckdb:///output/warehouse.duckdb or sqlite:///wh.sqlite")
    parser.add_argument("--schema", default=None,
                        help="schema of the contract tables (default: raw; none for SQLite; "
                             "pass '' for no schema)")
    parser.add_argument("--as-of", default=None, metavar="ISO8601|latest|now",
                        help="reading instant with offset (default: latest, the warehouse's "
                             "newest tracking event, at most now; 'now' for the wall clock)")
    parser.add_argument("--timezone", default=None, metavar="ZONE",
                        help="IANA zone of the window days (default: the card's, UTC)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="assignments", help="override a card parameter (repeatable)")


def resolve_schema(url: str, schema: str | None) -> str | None:
    if schema is None:
        return None if url.startswith("sqlite") else "raw"
    return schema or None


BUILTIN_COMMANDS = ("list", "show", "validate", "evaluate")


def build_parser(*, external: bool = True) -> argparse.ArgumentParser:
    """The parser; ``external=False`` skips importing other packages' subcommands (start-up)."""
    parser = argparse.ArgumentParser(prog="metric-cards",
                                     description="Declarative shipping metric cards.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the packaged cards")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", help="print a card's definition")
    p.add_argument("card")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("validate", help="validate card YAML files (default: the packaged ones)")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="card files or directories of *.yaml")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("evaluate", help="evaluate a card in a warehouse")
    p.add_argument("card")
    add_warehouse_arguments(p)
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_evaluate)

    for entry_point in command_plugins() if external else ():
        add_plugin_command(sub, entry_point)
    return parser


def command_plugins() -> list[EntryPoint]:
    """The installed ``metric_cards.commands`` entry points, by name."""
    from importlib.metadata import entry_points

    return sorted(entry_points(group=COMMAND_GROUP), key=lambda ep: ep.name)


def add_plugin_command(sub: argparse._SubParsersAction, entry_point: EntryPoint) -> None:
    """Let one plugin register its subcommand; a broken plugin is reported, not fatal."""
    where = f"{COMMAND_GROUP} entry point {entry_point.name!r} ({entry_point.value})"
    if entry_point.name in sub.choices:
        print(f"metric-cards: warning: {where}: subcommand {entry_point.name!r} already exists; "
              "ignored", file=sys.stderr)
        return
    try:
        entry_point.load()(sub)
    except Exception as exc:  # any failure of third-party code: report it, keep the CLI usable
        print(f"metric-cards: warning: {where} failed: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        sub.choices.pop(entry_point.name, None)
        return
    if entry_point.name not in sub.choices:
        print(f"metric-cards: warning: {where} did not add a subcommand named "
              f"{entry_point.name!r}", file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    cards = _packaged()
    if args.format == "json":
        print(json.dumps([{"id": c.id, "label": c.label, "kind": c.kind,
                           "direction": c.direction, "path": str(c.path)}
                          for c in cards.values()], indent=2))
        return 0
    width = max(len(i) for i in cards)
    for card in cards.values():
        print(f"{card.id:<{width}}  {card.kind:<5}  {card.label}")
    print(f"({len(cards)} cards in {card_directory()})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    card = get_card(args.card)
    print(f"# {card.path}")
    print(card.path.read_text("utf-8"), end="")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    files: list[Path] = []
    for path in args.paths or [card_directory()]:
        if path.is_dir():
            files += card_files(path)
        elif path.exists():
            files.append(path)
        else:
            print(f"{path}: no such file or directory", file=sys.stderr)
            return 1
    failures = 0
    loaded = {}
    for f in files:
        try:
            card = load_definition(f)
        except MetricCardError as exc:
            failures += 1
            print(f"INVALID {exc}", file=sys.stderr)
            continue
        loaded[card.id] = card
        print(f"ok      {f} ({card.id})")
    if not args.paths and not failures:
        try:
            check_references(loaded)
        except MetricCardError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            return 1
    if failures:
        print(f"{failures} of {len(files)} card files invalid", file=sys.stderr)
    return 1 if failures else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from metric_cards.plan_cache import PlanCache
    from metric_cards.warm_evaluate import Cold, Request, evaluate_warm

    schema = resolve_schema(args.warehouse, args.schema)
    request = Request(args.warehouse, args.card, args.as_of, args.timezone,
                      tuple(args.assignments), schema)
    cache = PlanCache.default()
    outcome = evaluate_warm(request, cache)
    if isinstance(outcome, Cold):
        logging.getLogger(__name__).info("compiling card %s (%s)", args.card, outcome.reason)
        from metric_cards.plan_recording import evaluate_and_record
        payload = evaluate_and_record(request, cache, outcome.as_of)
    else:
        payload = outcome
    if args.format == "json":
        print(json.dumps(payload, indent=2))
    else:
        from metric_cards.render import render
        print(render(payload))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(external=command not in BUILTIN_COMMANDS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    handler: Any = args.handler
    try:
        return int(handler(args) or 0)
    except (MetricCardError, ValueError, OverflowError) as exc:
        print(f"metric-cards: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
