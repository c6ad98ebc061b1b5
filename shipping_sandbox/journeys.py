"""One shipment's carrier journey: the timed event sequence, with planned exceptions.

``build_events`` walks the stages a parcel goes through (label data, pickup, line-haul legs,
customs on non-EU lanes, delivery attempts) and inserts the exceptions an ``ExceptionPlan``
asks for, in the carrier's own phrasing, followed by their realistic outcome (transit resumes,
another attempt, a long hold, return to sender, or silence when lost). Each exception event
carries its ground truth (category, reason, class). Timing constraints on the first exception
(``not_after`` / ``not_before``) let scenarios pin exceptions before or after a reading instant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .phrasebook import CarrierBook, Phrase
from .world import Event

MINUTE = 60
HOUR = 3600
STAGE_RANK = {"transit": 0, "customs": 1, "delivery": 2}
TERMINAL_OUTCOMES = ("return", "lost")
# Events after which the parcel is moving towards the recipient again ("forward progress").
FORWARD = frozenset({"picked_up", "departed", "in_transit", "arrived", "customs_cleared",
                     "out_for_delivery", "delivered"})
AUTO_RESOLVE_WINDOW = 72 * HOUR


@dataclass(frozen=True)
class ExceptionPlan:
    """Which exceptions a journey must contain (first category decides the card attribution)."""

    categories: tuple[str, ...] = ()
    not_after: int | None = None  # the first exception happens at or before this instant
    not_before: int | None = None  # the first exception happens strictly after this instant


@dataclass(frozen=True)
class Lane:
    origin_city: str
    destination_city: str
    customs: bool  # clears customs (UK, CH, US, ...)
    cross_border: bool
    recipient_name: str


@dataclass
class Journey:
    events: list[Event]
    stages: list[str]  # per event: progress stage name or "exception"
    delivered: bool
    returned: bool
    lost: bool


def _pick(rng: random.Random, phrases: tuple[Phrase, ...]) -> Phrase:
    return phrases[rng.randrange(len(phrases))] if len(phrases) > 1 else phrases[0]


def choose_exceptions(rng: random.Random, book: CarrierBook, plan: ExceptionPlan,
                      customs_lane: bool) -> list[tuple[Phrase, str]]:
    """Pick (phrase, outcome) per planned category, in a stage order a journey can follow."""
    chosen: list[tuple[Phrase, str]] = []
    last_rank = -1
    for i, category in enumerate(plan.categories):
        more_follow = i + 1 < len(plan.categories)
        candidates = [p for p in book.exceptions
                      if p.category == category and (customs_lane or p.stage != "customs")]
        if chosen:
            prev_outcome = chosen[-1][1]
            candidates = [p for p in candidates
                          if STAGE_RANK[p.stage] > last_rank
                          or (p.stage == "delivery" and prev_outcome in ("reattempt",
                                                                          "hold_deliver"))]
        if more_follow:
            non_terminal = [p for p in candidates
                            if any(o not in TERMINAL_OUTCOMES for o in p.outcomes)]
            candidates = non_terminal or candidates
        if not candidates:
            if i == 0:
                raise ValueError(f"phrasebook: carrier {book.name!r} has no {category!r} exception "
                                 f"usable on this lane (customs lane: {customs_lane})")
            continue
        phrase = _pick(rng, tuple(candidates))
        outcomes = phrase.outcomes
        if more_follow:
            outcomes = tuple(o for o in outcomes if o not in TERMINAL_OUTCOMES) or outcomes
        outcome = outcomes[rng.randrange(len(outcomes))] if len(outcomes) > 1 else outcomes[0]
        chosen.append((phrase, outcome))
        last_rank = STAGE_RANK[phrase.stage]
        if outcome in TERMINAL_OUTCOMES:
            break
    return chosen


def _resume_delay(rng: random.Random, klass: str, outcome: str) -> int:
    if outcome == "hold_deliver":
        return rng.randint(80 * HOUR, 240 * HOUR)
    if klass == "transient":
        low = 14 * HOUR if outcome == "reattempt" else 2 * HOUR
        return rng.randint(low, 40 * HOUR)
    if klass == "conditional" and rng.random() < 0.55:
        return rng.randint(8 * HOUR, 66 * HOUR)
    return rng.randint(78 * HOUR, 200 * HOUR)


class _Timeline:
    """Accumulates events in time order for one journey."""

    def __init__(self, rng: random.Random, book: CarrierBook, lane: Lane) -> None:
        self.rng = rng
        self.book = book
        self.lane = lane
        self.events: list[Event] = []
        self.stages: list[str] = []

    def _fill(self, message: str, city: str) -> str:
        if "{" not in message:
            return message
        bare = message.replace("{city}", "").replace("{hub}", "").replace("{name}", "")
        shout = bare.isupper()  # BRT-style all-caps messages keep their place names in caps
        values = {"city": self.lane.destination_city, "hub": city,
                  "name": self.lane.recipient_name.upper()}
        if shout:
            values = {k: v.upper() for k, v in values.items()}
        return message.format(**values)

    def progress(self, stage: str, at: int, city: str) -> None:
        phrase = _pick(self.rng, self.book.progress[stage])
        self.events.append(Event(at, phrase.code, self._fill(phrase.message, city), city,
                                 phrase.carrier_code))
        self.stages.append(stage)

    def exception(self, phrase: Phrase, at: int, city: str) -> None:
        self.events.append(Event(at, phrase.code, self._fill(phrase.message, city), city,
                                 phrase.carrier_code, truth_category=phrase.category,
                                 truth_reason=phrase.reason, truth_class=phrase.klass))
        self.stages.append("exception")


def build_events(rng: random.Random, book: CarrierBook, created: int, lane: Lane,
                 plan: ExceptionPlan) -> Journey:
    """The full event history of one shipment (true time order), honouring ``plan``."""
    pending = choose_exceptions(rng, book, plan, lane.customs) if plan.categories else []
    trip = _Trip(rng, _Timeline(rng, book, lane), lane, rng.choice(book.hubs), pending)
    trip.first_mile(created)
    trip.transit_legs()
    trip.customs()
    trip.last_mile()
    ended = trip.ended
    journey = Journey(trip.tl.events, trip.tl.stages, ended == "delivered", ended == "returned",
                      ended == "lost")
    _apply_timing(rng, journey, created, plan)
    return journey


class _Trip:
    """One shipment's way from label to its end, stage by stage (draws from ``rng`` in order).

    ``t`` is the running clock; ``ended`` becomes ``delivered``, ``returned`` or ``lost``.
    """

    def __init__(self, rng: random.Random, tl: _Timeline, lane: Lane, hub: str,
                 pending: list[tuple[Phrase, str]]) -> None:
        self.rng, self.tl, self.lane, self.hub, self.pending = rng, tl, lane, hub, pending
        self.t = 0
        self.ended: str | None = None

    def first_mile(self, created: int) -> None:
        rng = self.rng
        self.t = created + rng.randint(5 * MINUTE, 2 * HOUR)
        self.tl.progress("info_received", self.t, self.lane.origin_city)
        self.t += rng.randint(3 * HOUR, 28 * HOUR)
        self.tl.progress("picked_up", self.t, self.lane.origin_city)

    def transit_legs(self) -> None:
        """Hub to hub; a transit exception, if planned, on one leg chosen at random."""
        rng, lane = self.rng, self.lane
        legs = 3 + rng.randrange(2) if lane.customs else (2 + rng.randrange(2) if lane.cross_border
                                                           else 1 + rng.randrange(2))
        transit_leg = rng.randrange(legs)
        for leg in range(legs):
            self.t += rng.randint(4 * HOUR, 16 * HOUR)
            self.tl.progress("departed" if leg == 0 else "in_transit", self.t, self.hub)
            if self.pending and self.pending[0][0].stage == "transit" and leg == transit_leg:
                phrase, outcome = self.pending.pop(0)
                self.t += rng.randint(1 * HOUR, 8 * HOUR)
                self.tl.exception(phrase, self.t, self.hub)
                resumed = self._aftermath(phrase, outcome, self.hub)
                if resumed is None:
                    break
                self.t = resumed
                self.tl.progress("in_transit", self.t, self.hub)

    def customs(self) -> None:
        """Clearance on a customs lane, with a customs exception first when one is planned."""
        rng = self.rng
        if self.ended is not None or not self.lane.customs:
            return
        self.t += rng.randint(2 * HOUR, 12 * HOUR)
        if self.pending and self.pending[0][0].stage == "customs":
            phrase, outcome = self.pending.pop(0)
            self.tl.exception(phrase, self.t, self.hub)
            resumed = self._aftermath(phrase, outcome, self.hub)
            if resumed is not None:
                self.t = resumed
                self.tl.progress("customs_cleared", self.t, self.hub)
        else:
            self.t += rng.randint(2 * HOUR, 20 * HOUR)
            self.tl.progress("customs_cleared", self.t, self.hub)

    def last_mile(self) -> None:
        """Arrival, delivery attempts (one per remaining delivery exception), then delivered."""
        rng = self.rng
        # a transit exception that could not be placed on a leg (journey order) is dropped
        self.pending = [p for p in self.pending if p[0].stage == "delivery"]
        if self.ended is not None:
            return
        self.t += rng.randint(2 * HOUR, 12 * HOUR)
        dest = self.lane.destination_city
        self.tl.progress("arrived", self.t, dest)
        self.t += rng.randint(6 * HOUR, 20 * HOUR)
        self.tl.progress("out_for_delivery", self.t, dest)
        while self.ended is None:
            self.t += rng.randint(1 * HOUR, 7 * HOUR)
            if not self.pending:
                self.tl.progress("delivered", self.t, dest)
                self.ended = "delivered"
                break
            phrase, outcome = self.pending.pop(0)
            self.tl.exception(phrase, self.t, dest)
            resumed = self._aftermath(phrase, outcome, dest)
            if resumed is None:
                break
            self.t = resumed
            self.tl.progress("out_for_delivery", self.t, dest)

    def _aftermath(self, phrase: Phrase, outcome: str, city: str) -> int | None:
        """Emit the exception's aftermath; return the time transit resumes, None if it ended."""
        rng, at = self.rng, self.t
        if outcome == "lost":
            self.ended = "lost"
            return None
        if outcome == "return":
            r = at + rng.randint(12 * HOUR, 72 * HOUR)
            self.tl.progress("returning", r, city)
            r += rng.randint(48 * HOUR, 144 * HOUR)
            self.tl.progress("returned", r, self.lane.origin_city)
            self.ended = "returned"
            return None
        return at + _resume_delay(rng, phrase.klass or "conditional", outcome)


def _apply_timing(rng: random.Random, journey: Journey, created: int, plan: ExceptionPlan) -> None:
    """Move the first exception before ``not_after`` or after ``not_before`` (order preserved)."""
    events = journey.events
    first = next((i for i, s in enumerate(journey.stages) if s == "exception"), None)
    if first is None:
        return
    te = events[first].date
    if plan.not_after is not None and te > plan.not_after:
        span = plan.not_after - created
        if span < 30 * MINUTE:
            raise ValueError(f"exception plan: created {created} leaves under 30 minutes before "
                             f"not_after {plan.not_after}")
        target = plan.not_after - rng.randint(60, max(61, min(3 * HOUR, span // 8)))
        factor = (target - created) / (te - created)
        for e in events[:first + 1]:
            e.date = created + int((e.date - created) * factor)
        shift = events[first].date - te
        for e in events[first + 1:]:
            e.date += shift
    elif plan.not_before is not None and te <= plan.not_before:
        shift = plan.not_before - te + rng.randint(1 * HOUR, 20 * HOUR)
        for e in events[first:]:
            e.date += shift
    for i in range(1, len(events)):
        if events[i].date <= events[i - 1].date:
            events[i].date = events[i - 1].date + 1


def auto_resolved(journey: Journey) -> bool:
    """True when every exception is transient, or conditional with forward progress in 72 h."""
    events, stages = journey.events, journey.stages
    seen = False
    for i, stage in enumerate(stages):
        if stage != "exception":
            continue
        seen = True
        klass = events[i].truth_class
        if klass == "transient":
            continue
        if klass == "real":
            return False
        limit = events[i].date + AUTO_RESOLVE_WINDOW
        progressed = False
        for j in range(i + 1, len(stages)):
            if events[j].date > limit or stages[j] in ("returning", "returned"):
                break
            if stages[j] in FORWARD:
                progressed = True
                break
        if not progressed:
            return False
    return seen
