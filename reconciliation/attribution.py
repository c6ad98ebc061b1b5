"""Attribute each shipment whose status differs between our card and the portal to one rule.

Given a shipment's status in every cumulative view (ours first, then after each rule) and its
status on the portal, the shipment goes to the rule after which the modelled view agrees with the
portal for good; a category-only difference that no view explains goes to the taxonomy rule; a
difference that even the fully modelled view does not reproduce is ``unexplained``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .views import Status

UNEXPLAINED = "unexplained"


def _settled_at(states: Sequence[Status], matches) -> int:
    """The smallest index k such that every state from k on matches."""
    k = len(states)
    while k > 0 and matches(states[k - 1]):
        k -= 1
    return k


def attribute(states: Sequence[Status], actual: Status, rule_ids: Sequence[str],
              taxonomy_id: str | None) -> str | None:
    """The rule id that explains the difference, ``UNEXPLAINED``, or None when there is none."""
    ours, final = states[0], states[-1]
    if ours == actual:
        return None
    if final == actual:
        return rule_ids[_settled_at(states, lambda s: s == actual) - 1]
    if final.membership != actual.membership:
        return UNEXPLAINED
    if ours.membership != actual.membership:
        # Counted differently and also labelled differently: the count move belongs to the rule
        # that explains the membership; the category change rides along with it.
        return rule_ids[_settled_at(states, lambda s: s.membership == actual.membership) - 1]
    return taxonomy_id if taxonomy_id else UNEXPLAINED


def moves(ours: Status, actual: Status) -> tuple[int, int]:
    """Numerator and denominator deltas of one shipment, from ours to the portal's."""
    return int(actual.numerator) - int(ours.numerator), \
        int(actual.denominator) - int(ours.denominator)
