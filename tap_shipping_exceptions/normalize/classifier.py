"""Classify one carrier tracking event into the normalised exception taxonomy.

Precedence (see docs/taxonomy.md): the carrier's native code table, then message patterns (the
carrier's own, then generic Italian/English), then the fallback stem lexicon (``lexicon.yaml``)
for a specific cause, then the ShippyPro status-code fallback (4 -> recipient.not_available, 5
-> other.generic), then a failure milestone read by a rule with no cause ("Could not deliver":
``failure_milestones`` in ``shippypro.yaml`` -> other), then the lexicon's generic exception
wording (-> other). Messages are classified on every event, not only on codes 4/5. When several
rules match, a specific category beats ``other`` and then the one matching the longest text
wins; ties go by the category order in ``shippypro.yaml`` (damage_lost > customs_border >
address > recipient > depot_network > other). ``classified_by`` names what decided:
``carrier_code``, ``message`` (a rule), ``lexicon``, ``shippypro_code`` or ``none``. Any text
classifies (empty, huge, control characters, lone surrogates); only the first
``MAX_MESSAGE_CHARS`` characters are read. Results are cached per (carrier, code, message,
carrier_code) in a bounded LRU.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from shipping_core import contract
from shipping_core.text import normalise_text

from .lexicon import Lexicon, LexiconEntry, load_lexicon
from .mapping import Label, MappingError, MappingSet, Rule, load_mappings
from .mapping import _version_key as version_key

__all__ = ["Classification", "Classifier", "MappingError", "default_classifier", "is_terminal"]


log = logging.getLogger(__name__)

TERMINAL_MILESTONES = frozenset(contract.TERMINAL_MILESTONES)  # the set, for lookups
TERMINAL_REASONS = frozenset({"damage_lost.lost", "damage_lost.destroyed",
                              "customs_border.seized"})
DEFAULT_CACHE_SIZE = 65_536
MAX_MESSAGE_CHARS = 2_000  # carrier texts are short; a huge message is read up to here
UNMATCHED_TEXTS_KEPT = 1_000  # distinct unmatched texts remembered for the coverage report


@dataclass(frozen=True)
class Classification:
    milestone: str
    exception_category: str | None  # None = progress event
    exception_reason: str | None
    exception_class: str | None  # transient | conditional | real; None for progress
    classified_by: str  # carrier_code | message | lexicon | shippypro_code | none
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
        self.lexicon: Lexicon = load_lexicon(self.mappings.tie_break)
        self.taxonomy_version: str = max(self.mappings.taxonomy_version, self.lexicon.version,
                                         key=version_key)
        self._rank = {cat: i for i, cat in enumerate(self.mappings.tie_break)}
        self.unmapped: Counter[str] = Counter()
        self.unmatched_texts: Counter[tuple[str, str]] = Counter()
        self._splits: dict[int, tuple[tuple[Rule, ...], tuple[Rule, ...]]] = {}
        self._cached = lru_cache(maxsize=cache_size)(self._classify)

    def classify(self, carrier: str, shippypro_code: int | None, message: str | None,
                 carrier_code: str | None = None) -> Classification:
        """Classify one event; ``carrier`` is a key from :func:`carrier_key`."""
        if message is not None and (type(message) is not str
                                    or len(message) > MAX_MESSAGE_CHARS):
            message = _bounded(message)
        result, unmapped, _ = self._cached(carrier, shippypro_code, message, carrier_code)
        if unmapped:
            # counted here, logged once per sync as a summary by the caller (sync_run)
            self.unmapped[carrier] += 1
            # kept printable: a lone surrogate would break the log line that reports it
            text = normalise_text(message)[:200].encode("utf-8", "backslashreplace")
            key = (carrier, text.decode("utf-8"))
            if key in self.unmatched_texts or len(self.unmatched_texts) < UNMATCHED_TEXTS_KEPT:
                self.unmatched_texts[key] += 1
        return result

    def explain(self, carrier: str, shippypro_code: int | None, message: str | None,
                carrier_code: str | None = None) -> tuple[Classification, str]:
        """(classification, what decided it: ``file:$.path`` of the rule/code, or a stem)."""
        if message is not None:
            message = _bounded(message)
        result, _, source = self._cached(carrier, shippypro_code, message, carrier_code)
        return result, source

    def top_unmatched(self, n: int = 20) -> list[tuple[str, str, int]]:
        """(carrier, normalised text, count) of the most frequent unmatched texts."""
        return [(c, t, k) for (c, t), k in self.unmatched_texts.most_common(n)]

    def unmapped_summary(self) -> dict[str, int]:
        """Exception-coded events whose message matched no rule, per carrier (most first)."""
        return dict(self.unmapped.most_common())

    def cache_info(self) -> object:
        return self._cached.cache_info()

    # -- internals -------------------------------------------------------------------------

    def _best(self, rules: Sequence[Rule], text: str) -> Rule | None:
        best: Rule | None = None
        best_key: tuple[bool, int, int] = (False, 0, 0)
        for rule in rules:
            spec = rule.specificity(text)
            if not spec:
                continue
            # a specific cause anywhere in the text beats the catch-all ``other``
            key = (rule.label.category != "other", spec,
                   -self._rank.get(rule.label.category, len(self._rank)))
            if key > best_key:
                best, best_key = rule, key
        return best

    def _message_rule(self, carrier: str, text: str, exceptions: bool) -> Rule | None:
        if not text:
            return None
        own = self.mappings.carriers.get(carrier)
        found = (self._best(self._split(own.patterns)[exceptions], text)
                 if own is not None else None)
        if found is not None and not exceptions:
            return found  # the carrier's own milestone wording decides
        generic = self._best(self._split(self.mappings.generic)[exceptions], text)
        if found is not None and (generic is None
                                  or generic.specificity(text) <= found.specificity(text)):
            return found  # a generic cause overrides the carrier's own only with a longer phrase
        return generic

    def _split(self, rules: tuple[Rule, ...]) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
        """(progress rules, exception rules) of a rule list, computed once per list."""
        found = self._splits.get(id(rules))
        if found is None:
            found = (tuple(r for r in rules if not r.label.is_exception),
                     tuple(r for r in rules if r.label.is_exception))
            self._splits[id(rules)] = found
        return found

    def _cause_over_symptom(self, rule: Rule, text: str) -> tuple[Label, str]:
        """A symptom rule (a delay, a hold, a refusal) yields to a cause the lexicon reads.

        "Held while the importer provides the documents", "A government agency is reviewing
        this shipment. Delivery may be delayed", "refused due to damage": the hold, delay or
        refusal is how the cause shows, the cause decides (``symptom_reasons`` in
        ``shippypro.yaml`` lists each symptom reason with the cause categories it yields to).
        """
        causes = self.mappings.symptom_reasons.get(rule.label.reason or "")
        if not causes:
            return rule.label, rule.source
        found = self.lexicon.match(text)
        if found is not None and found[0].label.category in causes:
            return found[0].label, _lexicon_source(*found)
        return rule.label, rule.source

    def _states_failure(self, carrier: str, text: str) -> bool:
        """True when a rule reads a failed delivery (a ``failure_milestones`` milestone)."""
        own = self.mappings.carriers.get(carrier)
        lists = (own.patterns,) if own is not None else ()
        for rules in (*lists, self.mappings.generic):
            for rule in self._split(rules)[False]:
                if (rule.label.milestone in self.mappings.failure_milestones
                        and rule.specificity(text)):
                    return True
        return False

    def _make(self, label: Label, milestone: str, by: str) -> Classification:
        return Classification(milestone=label.milestone or milestone,
                              exception_category=label.category,
                              exception_reason=label.reason,
                              exception_class=label.exception_class,
                              classified_by=by, taxonomy_version=self.taxonomy_version)

    def _by_carrier_code(self, carrier: str, carrier_code: str | None, text: str,
                         text_milestone: str | None, exc_milestone: str,
                         ) -> tuple[Classification, bool, str] | None:
        """The carrier's own code table decides first, when the event carries a known code."""
        own = self.mappings.carriers.get(carrier)
        if not carrier_code or own is None:
            return None
        entry = own.codes.get(str(carrier_code).strip().upper())
        if entry is None:
            return None
        if entry.refine_by_message:
            refined = self._message_rule(carrier, text, exceptions=True)
            if refined is not None:
                return (self._make(refined.label, exc_milestone, "message"), False,
                        refined.source)
        if (not entry.label.is_exception and text_milestone in TERMINAL_MILESTONES
                and entry.label.milestone not in TERMINAL_MILESTONES):
            # a progress code ("return to shipper" in progress) whose text reports the
            # final outcome ("returned to the sender"): the text is the more specific
            return (self._make(Label(milestone=text_milestone), text_milestone,
                               "carrier_code"), False, entry.source)
        return self._make(entry.label, exc_milestone, "carrier_code"), False, entry.source

    def _classify(self, carrier: str, shippypro_code: int | None, message: str | None,
                  carrier_code: str | None) -> tuple[Classification, bool, str]:
        """(classification, unmapped?, source of the deciding rule/code/stem)."""
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

        # exception rules read what the text states: "if not collected, ..." is no failure
        text = self.mappings.without_conditionals(text)
        by_code = self._by_carrier_code(carrier, carrier_code, text, text_milestone,
                                        exc_milestone)
        if by_code is not None:
            return by_code

        exception = self._message_rule(carrier, text, exceptions=True)
        if exception is not None:
            label, source = self._cause_over_symptom(exception, text)
            return self._make(label, exc_milestone, "message"), False, source
        # a return or cancellation is no failure by itself; one stating its cause ("too heavy
        # for delivery. Being returned") or a failure ("attempts failed. Returned") is one
        suppressed = (text_milestone in self.mappings.fallback_suppressed_by
                      and not self._states_failure(carrier, text))
        found = self.lexicon.match(text) if text else None
        if found is not None and suppressed and found[0].label.category == "other":
            found = None
        lexicon_milestone = (exc_milestone if exc_milestone != "unknown"
                             else text_milestone or "exception")
        if found is not None and found[0].label.category != "other":
            return (self._make(found[0].label, lexicon_milestone, "lexicon"), False,
                    _lexicon_source(*found))
        fallback = status.fallback if status is not None else None
        if fallback is not None and not suppressed:
            fold = fold_status_code(shippypro_code)
            return (self._make(fallback, exc_milestone, "shippypro_code"),
                    progress is None and found is None,
                    f"shippypro.yaml:$.codes.{fold}.fallback")
        failure = (self.mappings.failure_milestones.get(text_milestone)
                   if text_milestone is not None else None)
        if failure is not None and progress is not None:
            # "Could not deliver": a failure with no readable cause is an exception; the rule
            # that read the failure explains it better than a generic stem
            return (self._make(failure, text_milestone, "message"), False, progress.source)
        if found is not None:
            return (self._make(found[0].label, lexicon_milestone, "lexicon"), False,
                    _lexicon_source(*found))
        if progress is not None:
            return self._make(progress.label, milestone, "message"), False, progress.source
        if status is not None:
            return (self._make(Label(milestone=code_milestone), code_milestone,
                               "shippypro_code"), False,
                    f"shippypro.yaml:$.codes.{fold_status_code(shippypro_code)}")
        return self._make(Label(milestone="unknown"), "unknown", "none"), False, ""


def _bounded(message: object) -> str:
    """The text actually read: a string, at most ``MAX_MESSAGE_CHARS`` characters."""
    text = message if isinstance(message, str) else str(message)
    return text[:MAX_MESSAGE_CHARS]


def _lexicon_source(entry: LexiconEntry, kind: str, matched: str) -> str:
    """``lexicon.yaml:$.categories.address (topic+cue 'address is missing')``."""
    return f"lexicon.yaml:$.categories.{entry.label.category} ({kind} {matched!r})"


@cache
def default_classifier() -> Classifier:
    """The shared classifier over the packaged mappings."""
    return Classifier()
