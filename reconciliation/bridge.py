"""``reconcile``: the bridge from our Exception Rate to the vendor portal's, shipment by shipment.

With the portal's export, every shipment counted by one side only (or under another category) is
attributed to exactly one rule of the rule set or to ``unexplained``, and the per-rule moves add
up exactly to the difference. With the portal's rate alone, the bridge is the coarser sequence of
modelled step counts and the remainder cannot be traced to shipments (``mode: rate_only``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from metric_cards.definitions import CardDefinition
from metric_cards.params import CardParams, resolve, threshold_names
from metric_cards.registry import get_card
from shipping_core.carriers import carrier_key
from shipping_core.windows import Window, iso_utc, zone

from .attribution import UNEXPLAINED, attribute, moves
from .breakdowns import annotations, by_carrier, by_category, side, value
from .memberships import CardViews, Memberships, lookup_shipments
from .portal_export import PortalExport, read_portal_export
from .ruleset import RuleSet, load_ruleset
from .verdict import judge
from .views import OUTSIDE, Status, View, ViewContext, view_sequence

#: The card whose number the packaged rule set bridges to the portal's.
DEFAULT_CARD = "exception_rate"

log = logging.getLogger(__name__)


def _window(window: Window) -> dict[str, str]:
    return {**window.as_payload(), "timezone": window.timezone,
            "first_day": window.first_day.isoformat(), "last_day": window.last_day.isoformat()}


class _ExportTally:
    """Running counts of the export bridge: both sides' figures and each rule's moves."""

    def __init__(self) -> None:
        self.buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.cat_moves: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.car_moves: dict[str, dict[str, list[int]]] = defaultdict(
            lambda: defaultdict(lambda: [0, 0]))
        self.ours_num = self.ours_den = self.modelled_den = 0
        self.ours_cat: dict[str, int] = defaultdict(int)
        self.carriers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def count(self, carrier: str, ours: Status, final: Status, actual: Status) -> None:
        """One shipment on our side, the modelled portal view and the portal's export."""
        self.ours_num += ours.numerator
        self.ours_den += ours.denominator
        self.modelled_den += final.denominator
        if ours.numerator:
            self.ours_cat[ours.category or "other"] += 1
        c = self.carriers[carrier]
        c["ours_num"] += ours.numerator
        c["ours_den"] += ours.denominator
        c["portal_num"] += actual.numerator
        c["portal_den"] += actual.denominator

    def move(self, rule: str, entry: dict[str, Any], ours: Status, actual: Status) -> None:
        """One shipment's difference filed under ``rule``, by category and by carrier."""
        self.buckets[rule].append(entry)
        if ours.category:
            self.cat_moves[ours.category][rule] -= 1
        if actual.category:
            self.cat_moves[actual.category][rule] += 1
        self.car_moves[entry["carrier"]][rule][0] += entry["numerator_delta"]
        self.car_moves[entry["carrier"]][rule][1] += entry["denominator_delta"]


class _Reconciliation:
    def __init__(self, engine: Engine, schema: str | None, as_of: datetime,
                 ruleset: RuleSet, card: CardDefinition, params: CardParams,
                 our_timezone: str | None, workspace_timezone: str) -> None:
        self.engine = engine
        self.schema = schema
        self.ruleset = ruleset
        self.context = ViewContext.build(card, params, as_of, our_timezone, workspace_timezone)
        self.skipped: dict[str, str] = {}

    def active_rules(self) -> list:
        return [r for r in self.ruleset.view_rules if r.id not in self.skipped]

    def lag_since(self, final: View) -> datetime | None:
        """Start of the margin a late webhook could carry into the portal's window across."""
        sync = next((r for r in self.active_rules() if r.kind == "overnight_cutoff"), None)
        if sync is None or not sync.webhook_lag_hours or not final.event_anchor:
            return None
        return self.context.window(final).start - timedelta(hours=sync.webhook_lag_hours)

    def compute_states(self) -> tuple[list[View], Memberships]:
        views = view_sequence([r.kind for r in self.active_rules()])
        card_views = CardViews(self.engine, self.schema, self.context)
        return views, card_views.run(views, self.lag_since(views[-1]))

    def base_payload(self) -> dict[str, Any]:
        ctx = self.context
        return {
            "ruleset": self.ruleset.name,
            "card": {"id": ctx.card.id, "timezone": ctx.ours.timezone,
                     "params": ctx.params.as_payload(*threshold_names(ctx.card))},
            "as_of": iso_utc(ctx.as_of),
            "windows": {
                "ours": _window(ctx.ours),
                "portal": _window(ctx.workspace),
                "portal_cutoff": iso_utc(ctx.cutoff),
            },
            "rules": [{"id": r.id, "kind": r.kind, "description": r.description,
                       **({"skipped": self.skipped[r.id]} if r.id in self.skipped else {})}
                      for r in self.ruleset.rules],
            "annotations": annotations(self.ruleset, [ctx.ours, ctx.workspace]),
        }

    def with_export(self, export: PortalExport, portal_total: int) -> dict[str, Any]:
        """The per-shipment bridge: every shipment either side counts, attributed to one rule."""
        self._skip_transient_rule_if_export_lists_them(export)
        views, found = self.compute_states()
        unknown = lookup_shipments(self.engine, self.schema,
                                   [i for i in export.rows if i not in found.statuses])
        taxonomy = self.ruleset.rule("taxonomy")
        rules = ([r.id for r in self.active_rules()], taxonomy.id if taxonomy else None)
        tally = _ExportTally()
        for sid in sorted(set(found.statuses) | set(export.rows), key=lambda x: (len(x), x)):
            self._attribute_shipment(tally, sid, rules, views, found, export, unknown)
        return self._export_payload(export, portal_total, tally)

    def _skip_transient_rule_if_export_lists_them(self, export: PortalExport) -> None:
        transient = self.ruleset.rule("hide_transient")
        if transient and export.includes_auto_resolved:
            self.skipped[transient.id] = ("the export lists auto-resolved exceptions, so it was "
                                          "taken with 'Include transient' on")

    def _attribute_shipment(self, tally: _ExportTally, sid: str,
                            rules: tuple[list[str], str | None], views: list[View],
                            found: Memberships, export: PortalExport,
                            unknown: dict[str, str | None]) -> None:
        """Count one shipment on both sides and file its difference under one rule.

        ``rules``: the active rules' ids in order and the taxonomy rule's id (if any).
        """
        known = found.statuses.get(sid)
        row = export.rows.get(sid)
        states = known or [OUTSIDE] * len(views)
        ours, final = states[0], states[-1]
        actual = Status(row is not None, final.denominator, row.category if row else None)
        carrier = self._carrier(sid, found, row, unknown)
        tally.count(carrier, ours, final, actual)
        rule = attribute(states, actual, *rules)
        if rule == UNEXPLAINED and known is not None:
            rule = self._webhook_lag(sid, found, views, final, actual) or rule
        if rule is None:
            return
        dn, dd = moves(ours, actual)
        entry = {"shipment_id": sid, "carrier": carrier, "numerator_delta": dn,
                 "denominator_delta": dd, "ours_category": ours.category,
                 "portal_category": actual.category}
        if rule == UNEXPLAINED:
            entry["reason"] = self._reason(known is not None, row, final, unknown)
        tally.move(rule, entry, ours, actual)

    def _export_payload(self, export: PortalExport, portal_total: int,
                        tally: _ExportTally) -> dict[str, Any]:
        order = [r.id for r in self.ruleset.rules]
        unexplained_rows = tally.buckets.get(UNEXPLAINED, [])
        unlisted = portal_total - tally.modelled_den
        payload = self.base_payload()
        payload.update({
            "mode": "export",
            "portal_export": export.path,
            "ours": side(tally.ours_num, tally.ours_den),
            "portal": side(len(export.rows), portal_total),
            "bridge": self._bridge(order, tally.buckets, tally.ours_num, tally.ours_den),
            "unexplained": {
                "numerator_delta": sum(e["numerator_delta"] for e in unexplained_rows),
                "denominator_delta": (sum(e["denominator_delta"] for e in unexplained_rows)
                                      + unlisted),
                "denominator_unlisted": unlisted,
                "shipments": unexplained_rows,
            },
        })
        payload.update(judge(payload, self.ruleset.tolerance))
        portal_cat: dict[str, int] = defaultdict(int)
        for row in export.rows.values():
            portal_cat[row.category] += 1
        payload["by_category"] = by_category(order, self.ruleset.category_priority,
                                             tally.ours_cat, portal_cat, tally.cat_moves)
        payload["by_carrier"] = by_carrier(order, tally.carriers, tally.car_moves)
        self._check_additivity(payload)
        return payload

    def with_rate(self, portal_rate: float, portal_total: int) -> dict[str, Any]:
        taxonomy = self.ruleset.rule("taxonomy")
        if taxonomy:
            self.skipped[taxonomy.id] = "the portal's categories are only known from its export"
        views, found = self.compute_states()
        rules = self.active_rules()
        counts = [[0, 0] for _ in views]
        movers: list[list[dict[str, Any]]] = [[] for _ in rules]
        for sid in sorted(found.statuses, key=lambda x: (len(x), x)):
            states = found.statuses[sid]
            for k, st in enumerate(states):
                counts[k][0] += st.numerator
                counts[k][1] += st.denominator
            for k in range(1, len(states)):
                if states[k].membership != states[k - 1].membership:
                    dn, dd = moves(states[k - 1], states[k])
                    movers[k - 1].append({"shipment_id": sid, "carrier": found.carriers.get(sid),
                                          "numerator_delta": dn, "denominator_delta": dd})
        by_id = {r.id: k for k, r in enumerate(rules)}
        bridge = []
        num, den = counts[0]
        for rule in self.ruleset.rules:
            k = by_id.get(rule.id)
            dn = dd = 0
            if k is not None:
                dn, dd = counts[k + 1][0] - counts[k][0], counts[k + 1][1] - counts[k][1]
            num, den = num + dn, den + dd
            bridge.append({"rule": rule.id, "numerator_delta": dn, "denominator_delta": dd,
                           "value_after": value(num, den),
                           "shipments": movers[k] if k is not None else []})
        portal_num = round(portal_rate * portal_total)
        payload = self.base_payload()
        payload.update({
            "mode": "rate_only",
            "bridge_basis": ("modelled step counts without the portal's export: each rule's "
                             "moves are our view before and after it; what remains cannot be "
                             "traced to shipments, and the taxonomy rule cannot be applied"),
            "ours": side(*counts[0]),
            "portal": {**side(portal_num, portal_total), "rate_given": portal_rate},
            "bridge": bridge,
            "unexplained": {"numerator_delta": portal_num - counts[-1][0],
                            "denominator_delta": portal_total - counts[-1][1],
                            "shipments": []},
        })
        payload.update(judge(payload, self.ruleset.tolerance))
        self._check_additivity(payload)
        return payload

    def _webhook_lag(self, sid: str, found: Memberships, views: list[View], final: Status,
                     actual: Status) -> str | None:
        """The sync rule's id when the difference is a webhook landing across a window edge."""
        final_view = views[-1]
        if self.lag_since(final_view) is None or final.denominator != actual.denominator:
            return None
        sync = next(r for r in self.active_rules() if r.kind == "overnight_cutoff")
        window_start = self.context.window(final_view).start
        if actual.numerator and not final.numerator:
            early = found.lag_first_event.get(sid)
            if early is not None and early < window_start:
                return sync.id  # an event just before the window, its webhook landed inside
        if final.numerator and not actual.numerator:
            first = found.first_event.get((len(views) - 1, sid))
            if first is not None and first >= self.context.cutoff - timedelta(
                    hours=sync.webhook_lag_hours):
                return sync.id  # its only events' webhooks may have landed after the recompute
        return None

    @staticmethod
    def _carrier(sid: str, found: Memberships, row, unknown: dict[str, str | None]) -> str:
        """The warehouse's carrier key; a portal-only shipment's name through the tap's keys."""
        if found.carriers.get(sid):
            return str(found.carriers[sid])
        if unknown.get(sid):
            return str(unknown[sid])
        return carrier_key(row.carrier) if row is not None else "unknown"

    def _reason(self, known: bool, row, final: Status, unknown) -> str:
        if row is None:
            return ("not in the portal's export although the modelled portal view lists it "
                    f"(category {final.category})")
        if not known and row.shipment_id not in unknown:
            return "listed by the portal but not in the warehouse's shipments"
        if not known:
            return ("listed by the portal; in the warehouse, but neither its label date nor an "
                    "exception event falls in either window")
        if not final.numerator:
            return ("listed by the portal, but no exception event of ours falls in the portal's "
                    "modelled view")
        return f"category differs: modelled {final.category}, portal {row.category}"

    def _bridge(self, order, buckets, num: int, den: int) -> list[dict[str, Any]]:
        bridge = []
        for rule_id in order:
            rows = buckets.get(rule_id, [])
            dn = sum(e["numerator_delta"] for e in rows)
            dd = sum(e["denominator_delta"] for e in rows)
            num, den = num + dn, den + dd
            step = {"rule": rule_id, "numerator_delta": dn, "denominator_delta": dd,
                    "value_after": value(num, den), "shipments": rows}
            bridge.append(step)
        return bridge

    @staticmethod
    def _check_additivity(payload: dict[str, Any]) -> None:
        for part, key in (("numerator", "numerator_delta"), ("denominator", "denominator_delta")):
            total = sum(s[key] for s in payload["bridge"]) + payload["unexplained"][key]
            expected = payload["portal"][part] - payload["ours"][part]
            if total != expected:  # an internal invariant, not an input error
                raise AssertionError(f"bridge {part} moves sum to {total}, expected {expected}")


def reconcile(engine: Engine, schema: str | None, portal_export_path: str | Path | None,
              portal_total: int, as_of: datetime, workspace_timezone: str = "Europe/Rome", *,
              portal_rate: float | None = None, our_timezone: str | None = None,
              ruleset: RuleSet | str | Path | None = None,
              card: CardDefinition | str = DEFAULT_CARD,
              params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Reconcile our card (default: Exception Rate) with the portal's; the JSON-ready payload.

    "Ours" is the card as ``metric_cards.evaluate`` reads it with the same ``params`` and zone
    (``our_timezone``, default the card's). Give ``portal_export_path`` (the Exceptions CSV)
    for the per-shipment bridge, or ``portal_rate`` alone for the coarser modelled bridge.
    ``portal_total`` is the portal's shipment count for its window; ``as_of`` must be
    timezone-aware.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of: must carry a UTC offset (e.g. 2026-03-12T08:00:00Z)")
    if isinstance(portal_total, bool) or not isinstance(portal_total, int) or portal_total < 0:
        raise ValueError(f"portal_total: expected a whole number >= 0, got {portal_total!r}")
    if (portal_export_path is None) == (portal_rate is None):
        raise ValueError("give exactly one of portal_export_path (the Exceptions CSV) or "
                         "portal_rate (the portal's rate alone)")
    rules = ruleset if isinstance(ruleset, RuleSet) else load_ruleset(ruleset)
    definition = get_card(card) if isinstance(card, str) else card
    zone(workspace_timezone)
    job = _Reconciliation(engine, schema, as_of.astimezone(UTC), rules, definition,
                          resolve(definition, params), our_timezone, workspace_timezone)
    if portal_rate is not None:
        if not 0 <= portal_rate <= 1:
            raise ValueError(f"portal_rate: expected a fraction between 0 and 1 (e.g. 0.027), "
                             f"got {portal_rate}")
        return _logged(job.with_rate(portal_rate, portal_total))
    export = read_portal_export(portal_export_path, rules.export, workspace_timezone)
    if len(export.rows) > portal_total:
        log.warning("reconciliation: the export %s lists %d shipments but the portal total is "
                    "%d", export.path, len(export.rows), portal_total)
    return _logged(job.with_export(export, portal_total))


def _logged(payload: dict[str, Any]) -> dict[str, Any]:
    ours, portal, un = payload["ours"], payload["portal"], payload["unexplained"]
    log.info("reconciliation as of %s (%s): ours %d/%d, portal %d/%d, %d shipment(s) "
             "unexplained, verdict %s", payload["as_of"], payload["mode"], ours["numerator"],
             ours["denominator"], portal["numerator"], portal["denominator"],
             len(un["shipments"]), payload["verdict"])
    return payload
