"""``shipping-taxonomy``: classify one text, or report how a warehouse's events were classified.

    shipping-taxonomy classify --carrier brt "INDIRIZ.INESISTENTE/INCOMPLETO"
    shipping-taxonomy classify --carrier dhl --carrier-code OH --code 5 "Shipment on hold"
    shipping-taxonomy coverage --warehouse duckdb:///warehouse.duckdb [--schema raw] [--top 20]

``classify`` prints the category, reason, class, milestone, what decided (``classified_by``)
and the rule, native code or stem that did. ``coverage`` reads ``tracking_events`` (the data
contract) and prints, per carrier, the share of events and of exception-coded events (ShippyPro
4/5) decided by carrier code / message rule / fallback lexicon / status code only / nothing,
then the most frequent texts that nothing in the text decided, with counts, so a user can
extend a mapping file. Exit status: 0 ok, 2 bad arguments or unreadable warehouse.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, column, create_engine, func, or_, select, table
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from shipping_core.carriers import carrier_key

from .classifier import default_classifier

DECIDERS = ("carrier_code", "message", "lexicon", "shippypro_code", "none")
TEXT_DECIDERS = ("carrier_code", "message", "lexicon")


def _classify(args: argparse.Namespace) -> int:
    clf = default_classifier()
    key = carrier_key(args.carrier)
    try:
        result, source = clf.explain(key, args.code, args.text, args.carrier_code)
    except (TypeError, ValueError) as exc:
        print(f"shipping-taxonomy classify: --code: {exc}", file=sys.stderr)
        return 2
    out = {"carrier": key, "text": args.text, "category": result.exception_category,
           "reason": result.exception_reason, "class": result.exception_class,
           "milestone": result.milestone, "classified_by": result.classified_by,
           "decided_by": source or None, "taxonomy_version": result.taxonomy_version}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"carrier        {key}")
    print(f"category       {result.exception_category or '- (progress)'}")
    print(f"reason         {result.exception_reason or '-'}")
    print(f"class          {result.exception_class or '-'}")
    print(f"milestone      {result.milestone}")
    print(f"classified_by  {result.classified_by}")
    print(f"decided by     {source or 'nothing recognised (no code, no rule, no stem)'}")
    print(f"taxonomy       {result.taxonomy_version}")
    return 0


def coverage_report(url: str, schema: str | None, top: int) -> dict[str, Any]:
    """Per-carrier classified_by shares and the top undecided texts, read from ``url``."""
    events = table("tracking_events", column("carrier"), column("classified_by"),
                   column("shippypro_code"), column("message"), schema=schema)
    c = events.c
    code = func.coalesce(c.shippypro_code, 0)
    folded = case((and_(code >= 1000, code <= 9999), code / 1000), else_=code)
    exception_coded = folded.in_((4, 5))
    by_carrier = (select(c.carrier, c.classified_by, func.count(),
                         func.sum(case((exception_coded, 1), else_=0)))
                  .group_by(c.carrier, c.classified_by))
    undecided = (select(c.carrier, c.message, func.count(),
                        func.sum(case((exception_coded, 1), else_=0)))
                 .where(or_(c.classified_by.is_(None),
                            c.classified_by.not_in(TEXT_DECIDERS)),
                        c.message.is_not(None), c.message != "")
                 .group_by(c.carrier, c.message)
                 .order_by(func.count().desc(), c.carrier, c.message).limit(top))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(by_carrier).all()
            unmatched = conn.execute(undecided).all()
    finally:
        engine.dispose()
    carriers: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"events": 0, "exception_coded": 0,
                 "by": {d: 0 for d in DECIDERS}, "exception_coded_by": {d: 0 for d in DECIDERS}})
    for carrier, decider, n, n_exc in rows:
        entry = carriers[carrier or "(none)"]
        name = decider if decider in DECIDERS else "none"
        entry["events"] += int(n)
        entry["exception_coded"] += int(n_exc or 0)
        entry["by"][name] += int(n)
        entry["exception_coded_by"][name] += int(n_exc or 0)
    return {"carriers": dict(sorted(carriers.items())),
            "top_undecided_texts": [{"carrier": carrier, "text": message, "events": int(n),
                                     "exception_coded": int(n_exc or 0)}
                                    for carrier, message, n, n_exc in unmatched]}


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def format_coverage(report: dict[str, Any]) -> str:
    head = "".join(f"{d:>15}" for d in DECIDERS)
    lines = [f"{'carrier':<18}{'scope':<16}{'n':>8}{head}"]
    for carrier, entry in report["carriers"].items():
        for scope, n, by in (("all events", entry["events"], entry["by"]),
                             ("exception-coded", entry["exception_coded"],
                              entry["exception_coded_by"])):
            cells = "".join(f"{_share(by[d], n):>15}" for d in DECIDERS)
            lines.append(f"{carrier:<18}{scope:<16}{n:>8}{cells}")
    lines.append("")
    texts = report["top_undecided_texts"]
    if texts:
        lines.append("texts nothing in the text decided (status code or nothing did), most "
                     "frequent first:")
        lines.append(f"{'events':>8}{'exc-coded':>10}  carrier            text")
        for t in texts:
            lines.append(f"{t['events']:>8}{t['exception_coded']:>10}  {t['carrier'] or '-':<18} "
                         f"{t['text']!r}")
    else:
        lines.append("every event with text was decided by its code, a rule or the lexicon")
    return "\n".join(lines)


def _coverage(args: argparse.Namespace) -> int:
    schema = args.schema or None
    try:
        report = coverage_report(args.warehouse, schema, args.top)
    except (ArgumentError, NoSuchModuleError) as exc:
        print(f"shipping-taxonomy coverage: --warehouse {args.warehouse!r}: not a usable "
              f"SQLAlchemy URL ({exc})", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        where = f"{schema}.tracking_events" if schema else "tracking_events"
        print(f"shipping-taxonomy coverage: cannot read {where}: "
              f"{str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json
          else format_coverage(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shipping-taxonomy", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("classify", help="classify one carrier text and say what decided")
    p.add_argument("text", help="the carrier's message")
    p.add_argument("--carrier", required=True, help="carrier name or key (brt, GLS Italy, dhl)")
    p.add_argument("--code", type=int, default=None, help="ShippyPro status code (optional)")
    p.add_argument("--carrier-code", default=None, help="the carrier's native event code")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_classify)
    p = sub.add_parser("coverage", help="how a warehouse's events were classified")
    p.add_argument("--warehouse", required=True,
                   help="SQLAlchemy URL, e.g. duckdb:///warehouse.duckdb")
    p.add_argument("--schema", default="raw",
                   help="schema of tracking_events (default raw; '' for none)")
    p.add_argument("--top", type=int, default=20, help="how many undecided texts to list")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=_coverage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "top", 1) < 1:
        print("shipping-taxonomy coverage: --top must be at least 1", file=sys.stderr)
        return 2
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
