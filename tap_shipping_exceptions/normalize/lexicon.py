"""Load the fallback stem lexicon (``lexicon.yaml``, checked by ``lexicon.schema.json``).

The lexicon is the classifier's last message-based step: when no native code and no message
rule found an exception, the first category (in tie-break order) with a stem in the text
decides, with that category's generic reason. Problems raise :class:`MappingError` naming the
file, the path inside it and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shipping_core.datafile import DataFileProblem, parse_yaml, validate

from .mapping import Label, MappingError

LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")
LEXICON_SCHEMA_PATH = Path(__file__).with_name("lexicon.schema.json")


@dataclass(frozen=True)
class LexiconEntry:
    """One category's stems (all languages) compiled into one alternation."""

    label: Label
    pattern: re.Pattern[str]
    stems: tuple[str, ...]
    unless: re.Pattern[str] | None = None

    def stem_in(self, text: str) -> str | None:
        """The matched text of the first stem found in ``text`` (None = no stem)."""
        found = self.pattern.search(text)
        if found is None or (self.unless is not None and self.unless.search(text)):
            return None
        return found.group(0)


@dataclass(frozen=True)
class Lexicon:
    version: str
    entries: tuple[LexiconEntry, ...]  # in tie-break order
    # every stem as one alternation: one search rejects most (progress) texts at once
    any_stem: re.Pattern[str] | None = None

    def match(self, text: str) -> tuple[LexiconEntry, str] | None:
        """(entry, matched stem) of the first category with a stem in ``text``."""
        if self.any_stem is not None and self.any_stem.search(text) is None:
            return None
        for entry in self.entries:
            stem = entry.stem_in(text)
            if stem is not None:
                return entry, stem
        return None


def load_lexicon(order: Sequence[str], path: Path = LEXICON_PATH) -> Lexicon:
    """Load, validate and compile ``path``; categories are ordered by ``order``."""
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
        validate(doc, LEXICON_SCHEMA_PATH, order=lambda e: (list(map(str, e.path)), e.message))
    except DataFileProblem as problem:
        details = "; ".join(f"$.{'.'.join(map(str, e.absolute_path))}: {e.message}"
                            for e in (problem.errors or ())) or problem.message
        raise MappingError(f"{path.name}: invalid lexicon: {details}") from None
    entries = []
    categories = doc["categories"]
    for category in sorted(categories, key=lambda c: order.index(c) if c in order else 99):
        node = categories[category]
        if not node["reason"].startswith(category + "."):
            raise MappingError(f"{path.name}: $.categories.{category}.reason: "
                               f"{node['reason']!r} must start with '{category}.'")
        stems = tuple(s for language in sorted(node["stems"]) for s in node["stems"][language])
        try:
            pattern = re.compile("|".join(rf"\b(?:{s})" for s in stems))
            unless = (re.compile("|".join(rf"\b(?:{u})" for u in node["unless"]))
                      if node.get("unless") else None)
        except re.error as exc:
            raise MappingError(f"{path.name}: $.categories.{category}.stems: invalid regular "
                               f"expression: {exc}") from exc
        entries.append(LexiconEntry(
            label=Label(milestone=None, category=category, reason=node["reason"],
                        exception_class=node["class"]),
            pattern=pattern, stems=stems, unless=unless))
    any_stem = re.compile("|".join(e.pattern.pattern for e in entries)) if entries else None
    return Lexicon(version=doc["version"], entries=tuple(entries), any_stem=any_stem)
