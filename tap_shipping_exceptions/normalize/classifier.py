"""Classify one carrier tracking event into the normalised exception taxonomy.

Precedence (see docs/taxonomy.md): the carrier's native code table, then message patterns
(the carrier's own, then generic Italian/English), then the ShippyPro status-code fallback
(4 -> recipient.not_available, 5 -> other.generic). Messages are classified on every event,
not only on codes 4/5. When several rules match, the one matching the longest text wins; ties
go by the category order in ``shippypro.yaml`` (damage_lost > customs_border > address >
recipient > depot_network > other). Results are cached per (carrier, code, message,
carrier_code) in a bounded LRU.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from .mapping import Label, MappingError, MappingSet, Rule, load_mappings
from .text import normalise_text

__all__ = ["Classification", "Classifier", "MappingError", "default_classifier", "is_terminal"]

log = logging.getLogger(__name__)

TERMINAL_MILESTONES = frozenset({"delivered", "returned", "cancelled"})
TERMINAL_REASONS = frozenset({"damage_lost.lost", "damage_lost.destroyed",
                              "customs_border.seized"})
DEFAULT_CACHE_SIZE = 65_536


@dataclass(frozen=True)
class Classification:
    milestone: str
    exception_category: str | None  # None = progress event
    exception_reason: str | None
    exception_class: str | None  # transient | conditional | real; None for progress
    classified_by: str  # carrier_code | message | shippypro_code
    taxonomy_version: str

    @property
    def is_exception(self) -> bool:
        return self.exception_category is not None


def is_terminal(c: Classification) -> bool:
    """True when no further movement is expected: delivered, returned, cancelled, lost..."""
    return c.milestone in TERMINAL_MILESTONES or c.exception_reason in TERMINAL_REASONS


def fold_status_code(code: int | str | None) -> int | None:
    """ShippyPro status as 1..9: the 1000-series folds onto the legacy code (4000 -> 4)."""
    if code is None or code == "":
        return None
    if isinstance(code, bool) or not isinstance(code, int | str):
        raise TypeError(f"shippypro_code must be an int or None, got {type(code).__name__}")
    if isinstance(code, str):
        if not code.strip().isdigit():
            raise ValueError(f"shippypro_code {code!r} is not an integer")
        code = int(code)
    if 1000 <= code <= 9999:
        return code // 1000
    return code if 1 <= code <= 9 else None


class Classifier:
    """Classifier over one mapping directory (validated at construction)."""

    def __init__(self, mapping_dir: Path | None = None,
                 cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.mappings: MappingSet = load_mappings(mapping_dir)
        self.taxonomy_version: str = self.mappings.taxonomy_version
        self._rank = {cat: i for i, cat in enumerate(self.mappings.tie_break)}
        self.unmapped: Counter[str] = Counter()
        self._warned: set[tuple[str, str | None]] = set()
        self._splits: dict[int, tuple[tuple[Rule, ...], tuple[Rule, ...]]] = {}
        self._cached = lru_cache(maxsize=cache_size)(self._classify)

    def classify(self, carrier: str, shippypro_code: int | None, message: str | None,
                 carrier_code: str | None = None) -> Classification:
        """Classify one event; ``carrier`` is a key from :func:`carrier_key`."""
        result, unmapped = self._cached(carrier, shippypro_code, message, carrier_code)
        if unmapped:
            self.unmapped[carrier] += 1
            if (carrier, message) not in self._warned:
                self._warned.add((carrier, message))
                log.warning("unmapped exception message: carrier=%s shippypro_code=%s "
                            "message=%r (classified by code fallback as %s)", carrier,
                            shippypro_code, message, result.exception_reason)
        return result

    def unmapped_summary(self) -> dict[str, int]:
        """Exception-coded events whose message matched no rule, per carrier (most first)."""
        return dict(self.unmapped.most_common())

    def cache_info(self) -> object:
        return self._cached.cache_info()

    # -- internals -------------------------------------------------------------------------

    def _best(self, rules: Sequence[Rule], text: str) -> Rule | None:
        best: Rule | None = None
        best_key: tuple[int, int] = (0, 0)
        for rule in rules:
            spec = rule.specificity(text)
            if not spec:
                continue
            key = (spec, -self._rank.get(rule.label.category, len(self._rank)))
            if key > best_key:
                best, best_key = rule, key
        return best

    def _message_rule(self, carrier: str, text: str, exceptions: bool) -> Rule | None:
        if not text:
            return None
        own = self.mappings.carriers.get(carrier)
        if own is not None:
            found = self._best(self._split(own.patterns)[exceptions], text)
            if found is not None:
                return found
        return self._best(self._split(self.mappings.generic)[exceptions], text)

    def _split(self, rules: tuple[Rule, ...]) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
        """(progress rules, exception rules) of a rule list, computed once per list."""
        found = self._splits.get(id(rules))
        if found is None:
            found = (tuple(r for r in rules if not r.label.is_exception),
                     tuple(r for r in rules if r.label.is_exception))
            self._splits[id(rules)] = found
        return found

    def _make(self, label: Label, milestone: str, by: str) -> Classification:
        return Classification(milestone=label.milestone or milestone,
                              exception_category=label.category,
                              exception_reason=label.reason,
                              exception_class=label.exception_class,
                              classified_by=by, taxonomy_version=self.taxonomy_version)

    def _classify(self, carrier: str, shippypro_code: int | None, message: str | None,
                  carrier_code: str | None) -> tuple[Classification, bool]:
        status = self.mappings.status_codes.get(fold_status_code(shippypro_code))
        code_milestone = status.milestone if status is not None else "unknown"
        text = normalise_text(message)
        progress = self._message_rule(carrier, text, exceptions=False)
        text_milestone = progress.label.milestone if progress is not None else None
        milestone = text_milestone or code_milestone
        # milestone of an exception event: the rule's own, else a recognised outcome in the
        # text, else the status code's
        exc_milestone = (text_milestone if text_milestone in
                         self.mappings.exception_keeps_text_milestones else code_milestone)

        own = self.mappings.carriers.get(carrier)
        entry = None
        if carrier_code and own is not None:
            entry = own.codes.get(str(carrier_code).strip().upper())
        if entry is not None:
            if entry.refine_by_message:
                refined = self._message_rule(carrier, text, exceptions=True)
                if refined is not None:
                    return self._make(refined.label, exc_milestone, "message"), False
            if (not entry.label.is_exception and text_milestone in TERMINAL_MILESTONES
                    and entry.label.milestone not in TERMINAL_MILESTONES):
                # a progress code ("return to shipper" in progress) whose text reports the
                # final outcome ("returned to the sender"): the text is the more specific
                return self._make(Label(milestone=text_milestone), text_milestone,
                                  "carrier_code"), False
            return self._make(entry.label, exc_milestone, "carrier_code"), False

        exception = self._message_rule(carrier, text, exceptions=True)
        if exception is not None:
            return self._make(exception.label, exc_milestone, "message"), False
        fallback = status.fallback if status is not None else None
        if progress is not None:
            if fallback is not None and text_milestone not in \
                    self.mappings.fallback_suppressed_by:
                return self._make(fallback, exc_milestone, "shippypro_code"), False
            return self._make(progress.label, milestone, "message"), False
        if fallback is not None:
            return self._make(fallback, code_milestone, "shippypro_code"), True
        return self._make(Label(milestone=code_milestone), code_milestone, "shippypro_code"), False


@cache
def default_classifier() -> Classifier:
    """The shared classifier over the packaged mappings."""
    return Classifier()
