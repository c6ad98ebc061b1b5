"""The cumulative views between our card and the portal, each one a variant of the card itself.

A ``View`` is a set of switches, one per reconciliation rule kind; all off is our card exactly as
``metric_cards.evaluate`` reads it (same card, parameters and zone), all on is the portal's
modelled behaviour. ``ViewContext`` turns a view into the card-engine inputs that express it:
the window (the card's ``window_days`` in the card's or the workspace's zone), the card
parameters (``exclude_returns``/``include_transient`` switched off by the returns and transient
rules), the last instant whose events count (``as_of``, or just before the portal's overnight
recompute) and whether the numerator is anchored on the exception event rather than the card's
anchor. Membership itself is never computed here: ``memberships`` runs the card engine's
``shipment_set`` with these inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from metric_cards.definitions import CardDefinition
from metric_cards.params import CardParams
from metric_cards.reading import card_windows
from shipping_core.windows import Window

#: Rule kind -> the View switch it turns on.
KIND_SWITCH = {
    "window_anchor": "event_anchor",
    "time_zone": "workspace_zone",
    "hide_transient": "hide_transient",
    "include_returns": "include_returns",
    "overnight_cutoff": "overnight_cutoff",
}

#: Events strictly before the overnight cut-off count: the card engine's bound is inclusive, so
#: the cut-off view reads as of one tick earlier (finer than any warehouse's timestamps).
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class View:
    event_anchor: bool = False  # numerator: exception event in the window (else the card anchor)
    workspace_zone: bool = False  # window days in the workspace zone (else the card's zone)
    hide_transient: bool = False  # include_transient=false (the card's auto-resolve definition)
    include_returns: bool = False  # exclude_returns=false (Easy Return legs on both sides)
    overnight_cutoff: bool = False  # events only before the last workspace midnight

    def switched(self, kind: str) -> View:
        return replace(self, **{KIND_SWITCH[kind]: True})


@dataclass(frozen=True)
class Status:
    numerator: bool
    denominator: bool
    category: str | None  # set only when in the numerator

    @property
    def membership(self) -> tuple[bool, bool]:
        return self.numerator, self.denominator


OUTSIDE = Status(False, False, None)


@dataclass(frozen=True)
class ViewContext:
    card: CardDefinition
    params: CardParams
    as_of: datetime
    ours: Window
    workspace: Window

    @classmethod
    def build(cls, card: CardDefinition, params: CardParams, as_of: datetime,
              our_timezone: str | None, workspace_timezone: str) -> ViewContext:
        """Our window is the card's (``card_windows``); the portal's is the same days elsewhere."""
        return cls(card, params, as_of, card_windows(card, as_of, our_timezone)[0],
                   card_windows(card, as_of, workspace_timezone)[0])

    @property
    def cutoff(self) -> datetime:
        """The portal's overnight recompute: the last workspace-zone midnight before as_of."""
        return self.workspace.end

    def window(self, view: View) -> Window:
        return self.workspace if view.workspace_zone else self.ours

    def params_for(self, view: View) -> CardParams:
        """The card parameters that express ``view`` (ours: the card's own)."""
        return replace(
            self.params,
            exclude_returns=self.params.exclude_returns and not view.include_returns,
            include_transient=self.params.include_transient and not view.hide_transient)

    def events_until(self, view: View) -> datetime:
        """The last instant whose events count in ``view`` (inclusive)."""
        return self.cutoff - TICK if view.overnight_cutoff else self.as_of


def view_sequence(kinds: list[str]) -> list[View]:
    """Ours, then one view per rule kind switched on cumulatively, in the given order."""
    views = [View()]
    for kind in kinds:
        views.append(views[-1].switched(kind))
    return views
