"""Load the fallback lexicon (``lexicon.yaml``, checked by ``lexicon.schema.json``).

The lexicon is the classifier's last message-based step: when no native code and no message
rule found an exception, the first category (in tie-break order) whose vocabulary is in the
text decides, with that category's generic reason. A category has *stems* that are problems
in themselves (``smarr``, ``rifiut``) and *pairs*: *topics* that only name what a problem
could be about (``indiriz``, ``address``), which decide only with a problem *cue*
(``errat``, ``wrong``...; the file's shared cues plus the pair's own) within ``window``
characters on either side, in the same sentence. A pair with ``failure_cues`` also counts
the file's stated delivery *failures* ("mancata consegna"): its topics are written as the
failure's cause ("per indirizzo", "due to the recipient"). Problems raise
:class:`MappingError` naming the file, the path inside it and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipping_core.datafile import DataFileProblem, parse_yaml, validate

from .mapping import YAML_LOADER, Label, MappingError

LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")
LEXICON_SCHEMA_PATH = Path(__file__).with_name("lexicon.schema.json")
DEFAULT_WINDOW = 40
# the end of a sentence between a topic and its cue: ";", "!", "?" or ". " ("INDIRIZ.ERRATO"
# and "C.O.D. charges" keep their abbreviation dots)
_SENTENCE_END = re.compile(r"[;!?]|(?<!\b\w)\.(?=\s)")
_LOOK = 60  # characters a cue may extend beyond the window (lookaheads, long cues)


@dataclass(frozen=True)
class TopicCuePair:
    """A topic that decides only with a cue within ``window`` characters, same sentence."""

    topic: re.Pattern[str]
    cue: re.Pattern[str]
    window: int
    kind: str = "topic+cue"  # "topic+failure": the cues are stated delivery failures

    def search(self, text: str) -> str | None:
        """The text from topic to cue (either order) of the first pair found, or None."""
        for t in self.topic.finditer(text):
            lo, hi = max(0, t.start() - self.window - _LOOK), t.end() + self.window + _LOOK
            for c in self.cue.finditer(text, lo, hi):
                if c.end() <= t.start():
                    gap_start, gap_end = c.end(), t.start()
                elif c.start() >= t.end():
                    gap_start, gap_end = t.end(), c.start()
                else:
                    continue  # overlapping: one word is not a pair
                if (gap_end - gap_start <= self.window
                        and _SENTENCE_END.search(text, gap_start, gap_end) is None):
                    return text[min(c.start(), t.start()):max(c.end(), t.end())]
        return None


@dataclass(frozen=True)
class LexiconEntry:
    """One category's vocabulary (all languages) compiled into alternations."""

    label: Label
    pattern: re.Pattern[str] | None  # stems: a problem by themselves
    stems: tuple[str, ...]
    unless: re.Pattern[str] | None = None
    pairs: tuple[TopicCuePair, ...] = ()  # a topic with a problem cue nearby
    # every topic of every pair: one search skips all pairs of a text that names none
    any_topic: re.Pattern[str] | None = None

    def stem_in(self, text: str) -> str | None:
        """The matched text of the first stem found in ``text`` (None = no stem)."""
        found = self.find(text)
        return found[1] if found is not None else None

    def find(self, text: str) -> tuple[str, str] | None:
        """("stem" | "topic+cue" | "topic+failure", matched text) in ``text``, or None."""
        found = self.pattern.search(text) if self.pattern is not None else None
        matched, kind = (found.group(0) if found is not None else None), "stem"
        pairs = (self.pairs if matched is None and (self.any_topic is None
                                                     or self.any_topic.search(text)) else ())
        for pair in pairs:
            matched, kind = pair.search(text), pair.kind
            if matched is not None:
                break
        if matched is None or (self.unless is not None and self.unless.search(text)):
            return None
        return kind, matched


@dataclass(frozen=True)
class Lexicon:
    version: str
    # in tie-break order; no all-stems gate in front: one alternation of every stem and topic
    # cost more than the per-category searches it saved, even on progress texts
    entries: tuple[LexiconEntry, ...]

    def match(self, text: str) -> tuple[LexiconEntry, str, str] | None:
        """(entry, "stem" | "topic+cue" | "topic+failure", matched text) of the first
        category in ``text``."""
        for entry in self.entries:
            found = entry.find(text)
            if found is not None:
                return entry, *found
        return None


def _words(node: Mapping[str, Any] | None) -> tuple[str, ...]:
    """All languages' regexes of a ``{language: [regex...]}`` node, in a stable order."""
    return tuple(w for language in sorted(node or {}) for w in node[language])  # type: ignore[index]


def _non_capturing(regex: str) -> str:
    """``regex`` with its capturing groups made non-capturing (the lexicon reads only the
    whole match): a capturing group anywhere in a long alternation keeps the regex engine
    from its fast paths and made each category's search up to twice as slow."""
    if re.search(r"\\[1-9]|\(\?P=", regex):  # a backreference counts groups: leave it
        return regex
    out: list[str] = []
    escaped = in_class = False
    class_start = 0  # where a class's members begin: a "]" there is a member, not the end
    for i, ch in enumerate(regex):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]" or i == class_start
        elif ch == "[":
            in_class = True
            class_start = i + 2 if regex.startswith("^", i + 1) else i + 1
        elif ch == "(" and not regex.startswith("?", i + 1):
            out.append("(?:")
            continue
        out.append(ch)
    return "".join(out)


def _alternation(words: Sequence[str]) -> str:
    return "|".join(rf"\b(?:{_non_capturing(w)})" for w in words)


def _pair(topics: Sequence[str], cues: Sequence[str], window: int,
          kind: str = "topic+cue") -> TopicCuePair | None:
    if not topics or not cues:
        return None
    return TopicCuePair(topic=re.compile(_alternation(topics)),
                        cue=re.compile(_alternation(cues)), window=window, kind=kind)


def _pair_cues(pair: Mapping[str, Any], shared_cues: Sequence[str],
               failures: Sequence[str]) -> tuple[str, ...]:
    """A pair's cues: the shared cues (unless ``shared_cues: false``), the shared failures
    (with ``failure_cues: true``), then its own."""
    return (*(shared_cues if pair.get("shared_cues", True) else ()),
            *(failures if pair.get("failure_cues", False) else ()), *_words(pair.get("cues")))


def _load_doc(path: Path) -> Any:
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"), YAML_LOADER)
        validate(doc, LEXICON_SCHEMA_PATH, order=lambda e: (list(map(str, e.path)), e.message))
    except DataFileProblem as problem:
        details = "; ".join(f"$.{'.'.join(map(str, e.absolute_path))}: {e.message}"
                            for e in (problem.errors or ())) or problem.message
        raise MappingError(f"{path.name}: invalid lexicon: {details}") from None
    return doc


def _bad_regex(node: Any, where: str) -> str:
    """The JSON path of the first entry under ``node`` that does not compile alone."""
    if isinstance(node, str):
        try:
            re.compile(node)
        except re.error:
            return where
        return ""
    items = (node.items() if isinstance(node, Mapping)
             else enumerate(node) if isinstance(node, list) else ())
    for key, child in items:
        found = _bad_regex(child, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}")
        if found:
            return found
    return ""


def _entry(path: Path, category: str, node: Mapping[str, Any], shared_cues: Sequence[str],
           window: int, failures: Sequence[str] = ()) -> LexiconEntry:
    if not node["reason"].startswith(category + "."):
        raise MappingError(f"{path.name}: $.categories.{category}.reason: "
                           f"{node['reason']!r} must start with '{category}.'")
    where = f"$.categories.{category}"
    stems = _words(node.get("stems"))
    pairs = node.get("pairs") or ()
    topics = tuple(t for pair in pairs for t in _words(pair["topics"]))
    try:
        pattern = re.compile(_alternation(stems)) if stems else None
        compiled = [_pair(_words(pair["topics"]), _pair_cues(pair, shared_cues, failures), window,
                          "topic+failure" if pair.get("failure_cues") else "topic+cue")
                    for pair in pairs]
        any_topic = re.compile(_alternation(topics)) if len(pairs) > 1 else None
        unless = re.compile(_alternation(node["unless"])) if node.get("unless") else None
    except re.error as exc:
        raise MappingError(f"{path.name}: {_bad_regex(node, where) or where}: "
                           f"invalid regular expression: {exc}") from exc
    return LexiconEntry(label=Label(milestone=None, category=category, reason=node["reason"],
                                    exception_class=node["class"]),
                        pattern=pattern, stems=stems + topics, unless=unless,
                        pairs=tuple(p for p in compiled if p is not None), any_topic=any_topic)


def load_lexicon(order: Sequence[str], path: Path = LEXICON_PATH) -> Lexicon:
    """Load, validate and compile ``path``; categories are ordered by ``order``."""
    doc = _load_doc(path)
    bad = _bad_regex(doc.get("cues"), "$.cues") or _bad_regex(doc.get("failures"), "$.failures")
    if bad:
        raise MappingError(f"{path.name}: {bad}: invalid regular expression")
    shared_cues = _words(doc.get("cues"))
    window = int(doc.get("window", DEFAULT_WINDOW))
    failures = _words(doc.get("failures"))
    categories = doc["categories"]
    entries = [_entry(path, category, categories[category], shared_cues, window, failures)
               for category in sorted(categories,
                                      key=lambda c: order.index(c) if c in order else 99)]
    return Lexicon(version=doc["version"], entries=tuple(entries))
