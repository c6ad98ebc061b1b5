"""Per-shipment views of the Exception Rate: ours, the portal's, and every step in between.

A ``View`` is a set of switches, one per reconciliation rule kind; all off is our card, all on is
the portal's modelled behaviour. ``ViewContext`` fixes the instants (as_of, our window, the
workspace window, the portal's overnight cut-off) and ``status`` answers, for one shipment's
facts, whether it is in the view's numerator and denominator and under which category.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shipping_core.windows import Window, window_ending_before

#: Rule kind -> the View switch it turns on.
KIND_SWITCH = {
    "window_anchor": "event_anchor",
    "time_zone": "workspace_zone",
    "hide_transient": "hide_transient",
    "include_returns": "include_returns",
    "overnight_cutoff": "overnight_cutoff",
}


@dataclass(frozen=True)
class View:
    event_anchor: bool = False  # numerator: exception event in the window (else label date)
    workspace_zone: bool = False  # window days in the workspace zone (else the card's zone)
    hide_transient: bool = False  # auto-resolved exception events do not count
    include_returns: bool = False  # Easy Return legs count on both sides
    overnight_cutoff: bool = False  # events only before the last workspace midnight

    def switched(self, kind: str) -> View:
        return replace(self, **{KIND_SWITCH[kind]: True})


@dataclass(frozen=True)
class EventScope:
    """Which exception events count: a time range and whether auto-resolved ones are hidden."""

    start: datetime | None  # inclusive; None = no lower bound
    end: datetime
    end_inclusive: bool
    hide_transient: bool


@dataclass(frozen=True)
class ViewContext:
    as_of: datetime
    ours: Window
    workspace: Window

    @classmethod
    def build(cls, as_of: datetime, our_timezone: str, workspace_timezone: str,
              days: int = 30) -> ViewContext:
        return cls(as_of, window_ending_before(as_of, our_timezone, days),
                   window_ending_before(as_of, workspace_timezone, days))

    @property
    def cutoff(self) -> datetime:
        """The portal's overnight recompute: the last workspace-zone midnight before as_of."""
        return self.workspace.end

    def window(self, view: View) -> Window:
        return self.workspace if view.workspace_zone else self.ours

    def scope(self, view: View) -> EventScope:
        start = self.window(view).start if view.event_anchor else None
        if view.overnight_cutoff:
            return EventScope(start, self.cutoff, False, view.hide_transient)
        return EventScope(start, self.as_of, True, view.hide_transient)


@dataclass(frozen=True)
class ShipmentFacts:
    """What the warehouse says about one shipment, reduced to what the views need."""

    shipment_id: str
    carrier: str | None
    is_return: bool
    created_at: datetime | None
    # For each event scope the view sequence needs: (time, category) of the earliest exception
    # event in that scope, or None when it has none.
    first_exception: dict[EventScope, tuple[datetime, str] | None]


@dataclass(frozen=True)
class Status:
    numerator: bool
    denominator: bool
    category: str | None  # set only when in the numerator

    @property
    def membership(self) -> tuple[bool, bool]:
        return self.numerator, self.denominator


OUTSIDE = Status(False, False, None)


def status(facts: ShipmentFacts, view: View, context: ViewContext) -> Status:
    """Where ``facts`` lands in ``view``: numerator, denominator and category."""
    window = context.window(view)
    leg_counts = view.include_returns or not facts.is_return
    in_den = (leg_counts and facts.created_at is not None
              and window.start <= facts.created_at < window.end)
    first = facts.first_exception.get(context.scope(view))
    anchored = leg_counts if view.event_anchor else in_den
    in_num = anchored and first is not None
    return Status(in_num, in_den, first[1] if in_num and first else None)


def view_sequence(kinds: list[str]) -> list[View]:
    """Ours, then one view per rule kind switched on cumulatively, in the given order."""
    views = [View()]
    for kind in kinds:
        views.append(views[-1].switched(kind))
    return views
