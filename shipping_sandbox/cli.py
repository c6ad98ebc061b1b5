"""``shipping-sandbox``: generate worlds, serve the sandbox API, check the worked example.

Subcommands are registered in ``COMMANDS`` (name -> (help, add_arguments, run)); another
module can add one with ``register_command`` before ``main`` runs.

    shipping-sandbox serve --scenario worked_example --seed 7 --at-as-of --port 0 \\
        --api-key KEY --webhook-archive DIR --ready-file F
    shipping-sandbox generate --scenario month --param shipments=4000 --webhook-archive DIR
    shipping-sandbox check --scenario worked_example
    shipping-sandbox portal-export --scenario worked_example --as-of T --out FILE.csv
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shipping_core.options import parse_assignments
from shipping_core.windows import parse_instant

from .portal import LABELS, write_portal_export

log = logging.getLogger("shipping_sandbox")

Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {}


def register_command(name: str, help_text: str,
                     add_arguments: Callable[[argparse.ArgumentParser], None],
                     run: Callable[[argparse.Namespace], int]) -> None:
    COMMANDS[name] = (help_text, add_arguments, run)


def parse_params(items: list[str]) -> dict[str, Any]:
    return parse_assignments(items, "--param", example="shipments=4000")


def unix_instant(text: str, option: str) -> int:
    return int(parse_instant(text, option).timestamp())


def add_world_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="worked_example",
                        help="worked_example | month | bulk (default: worked_example)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="scenario parameter, e.g. shipments=4000, end=2026-03-01")


def build_world(args: argparse.Namespace):  # -> World
    from .generator import generate
    started = time.monotonic()
    world = generate(args.scenario, args.seed, **parse_params(args.param))
    log.info("generated scenario=%s seed=%s shipments=%d in %.1f s", args.scenario, args.seed,
             len(world.shipments), time.monotonic() - started)
    return world


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    add_world_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 = any free port")
    parser.add_argument("--api-key", required=True, help="the key clients must send")
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--now", help="fix the sandbox clock at this ISO instant")
    clock.add_argument("--at-as-of", action="store_true",
                       help="fix the sandbox clock at the scenario's reading instant")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second")
    parser.add_argument("--faults", type=Path, default=None,
                        help="JSON file with a list of fault rules to install at start")
    parser.add_argument("--webhook-archive", type=Path, default=None,
                        help="write the webhook deliveries up to the clock into this directory")
    parser.add_argument("--ready-file", type=Path, default=None,
                        help="write the API URL here once the server listens")
    parser.add_argument("--portal-export", type=Path, default=None, metavar="FILE",
                        help="also write the vendor portal's Exceptions CSV as of the clock "
                             "from this same world (figures as JSON beside it, FILE.json)")


def _serve(args: argparse.Namespace) -> int:
    from .archive import write_webhook_archive
    from .runner import start_server
    from .server import create_app
    world = build_world(args)
    now = world.as_of if args.at_as_of else (unix_instant(args.now, "--now") if args.now else None)
    faults = None
    if args.faults is not None:
        try:
            faults = json.loads(args.faults.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"--faults {args.faults}: {exc}") from exc
    if args.webhook_archive is not None:
        until = now if now is not None else int(time.time())
        files = write_webhook_archive(world, args.webhook_archive, until=min(until, world.end))
        log.info("webhook archive: %d files in %s", len(files), args.webhook_archive)
    if args.portal_export is not None:
        from .portal import write_portal_export
        summary = write_portal_export(world, args.portal_export,
                                      as_of=now if now is not None else world.as_of)
        Path(f"{args.portal_export}.json").write_text(json.dumps({
            "path": str(args.portal_export), "total": summary.total, "listed": summary.listed,
            "window_start": summary.window_start, "window_end": summary.window_end}) + "\n",
            encoding="utf-8")
    app = create_app(world, api_key=args.api_key, now=now, rate_limit=args.rate_limit,
                     latency_ms=args.latency_ms, faults=faults)
    server = start_server(app, host=args.host, port=args.port)
    stop = lambda *_: server.stop()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("sandbox listening on %s (admin %s)", server.url, server.admin_url)
    print(server.url, flush=True)
    if args.ready_file is not None:
        tmp = args.ready_file.with_suffix(args.ready_file.suffix + ".tmp")
        tmp.write_text(server.url + "\n", encoding="utf-8")
        tmp.replace(args.ready_file)
    server.wait()
    log.info("sandbox stopped")
    return 0


def _generate_arguments(parser: argparse.ArgumentParser) -> None:
    add_world_arguments(parser)
    parser.add_argument("--webhook-archive", type=Path, required=True)
    parser.add_argument("--until", help="write deliveries up to this ISO instant "
                        "(default: the scenario's reading instant)")


def _generate(args: argparse.Namespace) -> int:
    from .archive import write_webhook_archive
    world = build_world(args)
    until = unix_instant(args.until, "--until") if args.until else None
    files = write_webhook_archive(world, args.webhook_archive, until=until)
    print(json.dumps({"scenario": world.scenario, "seed": world.seed,
                      "shipments": len(world.shipments), "files": len(files),
                      "directory": str(args.webhook_archive)}))
    return 0


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="worked_example", choices=["worked_example"])
    parser.add_argument("--seed", type=int, default=7)


def _check(args: argparse.Namespace) -> int:
    from .generator import WORKED_EXAMPLE_EXPECTED, check_worked_example, generate
    counts = check_worked_example(generate(args.scenario, args.seed))
    ok = all(counts[k] == v for k, v in WORKED_EXAMPLE_EXPECTED.items())
    print(json.dumps({**counts, "matches_card": ok}, indent=2, sort_keys=True))
    return 0 if ok else 1


register_command("serve", "serve the sandbox API", _serve_arguments, _serve)
register_command("generate", "write a scenario's webhook archive", _generate_arguments,
                 _generate)
register_command("check", "print the worked example's ground-truth counts", _check_arguments,
                 _check)


def _portal_export_arguments(parser: argparse.ArgumentParser) -> None:
    add_world_arguments(parser)
    parser.add_argument("--as-of", default=None, metavar="ISO8601",
                        help="reading instant (default: the scenario's as_of)")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="CSV file to write")
    parser.add_argument("--workspace-timezone", default="Europe/Rome", metavar="ZONE")
    parser.add_argument("--language", choices=sorted(LABELS), default="en")
    parser.add_argument("--sep", choices=[",", ";", "tab"], default=",")
    parser.add_argument("--include-transient", action="store_true",
                        help="the portal's 'Include transient' toggle on")


def _portal_export(args: argparse.Namespace) -> int:
    """Write the export; print its figures as JSON (``total`` goes to ``--portal-total``)."""
    world = build_world(args)
    summary = write_portal_export(
        world, args.out, as_of=args.as_of or world.as_of,
        workspace_timezone=args.workspace_timezone, language=args.language,
        sep="\t" if args.sep == "tab" else args.sep, include_transient=args.include_transient)
    print(json.dumps({"path": str(args.out), "total": summary.total, "listed": summary.listed,
                      "window_start": summary.window_start, "window_end": summary.window_end}))
    return 0


register_command("portal-export", "write the vendor portal's Exceptions CSV (reconciliation)",
                 _portal_export_arguments, _portal_export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shipping-sandbox",
                                     description="ShippyPro-compatible sandbox")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_arguments, _run) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        return COMMANDS[args.command][2](args)
    except ValueError as exc:
        print(f"shipping-sandbox {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
