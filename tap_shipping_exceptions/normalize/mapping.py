"""Load, validate and compile the declarative mapping files into immutable rule sets.

Every ``*.yaml`` file in a mapping directory is validated against ``mapping.schema.json``
(unknown keys rejected), then checked for what a JSON Schema cannot express (reason under its
category, regexes compile, carrier file named after its key, one ``shippypro`` and one
``generic`` file). Any problem raises :class:`MappingError` naming the file, the path inside
it and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shipping_core.datafile import DataFileProblem, parse_yaml, validate

from .literals import rule_literals

PACKAGED_MAPPINGS = Path(__file__).with_name("mappings")
SCHEMA_PATH = Path(__file__).with_name("mapping.schema.json")
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available (10x faster)


class MappingError(ValueError):
    """A mapping file is invalid; the message names the file, the path inside it and why."""


@dataclass(frozen=True)
class Label:
    """What a rule, native code or fallback says about an event."""

    milestone: str | None
    category: str | None = None
    reason: str | None = None
    exception_class: str | None = None

    @property
    def is_exception(self) -> bool:
        return self.category is not None


@dataclass(frozen=True)
class Rule:
    """A compiled message rule; ``source`` is ``file:$.path`` for diagnostics."""

    label: Label
    match: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    source: str
    # all ``match`` patterns as one alternation: one search rejects most rules at once
    prefilter: re.Pattern[str] | None = None
    # strings one of which every match contains (literals.py): cheaper still than a search
    literals: frozenset[str] | None = None

    def specificity(self, text: str) -> int:
        """Length of the longest text matched (0 = rule does not apply to ``text``)."""
        if self.literals is not None:
            for literal in self.literals:
                if literal in text:
                    break
            else:
                return 0
        if self.prefilter is not None and self.prefilter.search(text) is None:
            return 0
        best = 0
        for pattern in self.match:
            found = pattern.search(text)
            if found is not None:
                best = max(best, len(found.group(0)) or 1)
        if best and any(p.search(text) for p in self.unless):
            return 0
        return best


@dataclass(frozen=True)
class CodeEntry:
    label: Label
    refine_by_message: bool
    source: str


@dataclass(frozen=True)
class CarrierMapping:
    carrier: str
    version: str
    codes: Mapping[str, CodeEntry]
    patterns: tuple[Rule, ...]


@dataclass(frozen=True)
class StatusCode:
    milestone: str
    fallback: Label | None


@dataclass(frozen=True)
class MappingSet:
    """Everything the classifier needs, compiled."""

    carriers: Mapping[str, CarrierMapping]
    generic: tuple[Rule, ...]
    status_codes: Mapping[int, StatusCode]
    tie_break: tuple[str, ...]
    fallback_suppressed_by: frozenset[str]
    exception_keeps_text_milestones: frozenset[str]
    versions: Mapping[str, str]  # file name -> version
    # milestones that are failures in themselves ("Could not deliver"): their exception label
    failure_milestones: Mapping[str, Label] = field(default_factory=dict)
    # conditional clauses ("if not collected, ...") that exception rules do not read
    conditional_clause: re.Pattern[str] | None = None
    # reasons that report how a problem shows (a delay, a hold), not its cause: a cause the
    # lexicon reads in the same text decides instead
    symptom_reasons: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def without_conditionals(self, text: str) -> str:
        """``text`` with every conditional clause blanked: what exception rules read."""
        if self.conditional_clause is None or self.conditional_clause.search(text) is None:
            return text
        return self.conditional_clause.sub(" ", text)

    @property
    def taxonomy_version(self) -> str:
        """The highest file version: bumping any file's version moves the taxonomy version."""
        return max(self.versions.values(), key=_version_key)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[.-]", version))


def _json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _load_yaml(path: Path) -> Any:
    try:
        return parse_yaml(path.read_text(encoding="utf-8"), YAML_LOADER)
    except DataFileProblem as problem:
        line = f" line {problem.line}" if problem.line is not None else ""
        raise MappingError(f"{path.name}:{line}: not valid YAML: {problem.cause}"
                           ) from problem.cause


def _check_keys_are_strings(doc: Any, path: Path, parts: tuple[Any, ...] = ()) -> None:
    """YAML turns unquoted keys like ``001`` or ``on`` into numbers/booleans: reject them."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if not isinstance(key, str):
                raise MappingError(
                    f"{path.name}: {_json_path(parts)}: key {key!r} is a {type(key).__name__}, "
                    "expected a string (quote native codes such as '001' in YAML)")
            _check_keys_are_strings(value, path, (*parts, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            _check_keys_are_strings(value, path, (*parts, i))


def validate_document(doc: Any, path: Path) -> None:
    """Raise :class:`MappingError` listing every schema violation of ``doc`` (from ``path``)."""
    if not isinstance(doc, dict):
        raise MappingError(f"{path.name}: $: expected a mapping with 'version' and 'kind', "
                           f"got {type(doc).__name__}")
    _check_keys_are_strings(doc, path)
    try:
        validate(doc, SCHEMA_PATH, order=lambda e: (list(map(str, e.path)), e.message))
    except DataFileProblem as problem:
        lines = [f"{path.name}: {_json_path(e.absolute_path)}: {e.message}"
                 for e in problem.errors]
        raise MappingError("invalid mapping file\n  " + "\n  ".join(lines)) from None


def _compile_all(value: str | list[str], path: Path, parts: tuple[Any, ...]
                 ) -> tuple[re.Pattern[str], ...]:
    items = [value] if isinstance(value, str) else value
    compiled = []
    for i, text in enumerate(items):
        where = parts if isinstance(value, str) else (*parts, i)
        try:
            compiled.append(re.compile(text))
        except re.error as exc:
            raise MappingError(f"{path.name}: {_json_path(where)}: invalid regular expression "
                               f"{text!r}: {exc}") from exc
    return tuple(compiled)


def _label(node: Mapping[str, Any], path: Path, parts: tuple[Any, ...]) -> Label:
    category, reason = node.get("category"), node.get("reason")
    if category is not None and not reason.startswith(category + "."):
        raise MappingError(f"{path.name}: {_json_path((*parts, 'reason'))}: reason {reason!r} "
                           f"does not belong to category {category!r} (expected "
                           f"'{category}.<sub-reason>')")
    return Label(milestone=node.get("milestone"), category=category, reason=reason,
                 exception_class=node.get("class"))


def _rules(nodes: list[Mapping[str, Any]], path: Path) -> tuple[Rule, ...]:
    rules = []
    for i, node in enumerate(nodes):
        parts = ("patterns", i)
        match = _compile_all(node["match"], path, (*parts, "match"))
        rules.append(Rule(
            label=_label(node, path, parts),
            match=match,
            unless=_compile_all(node["unless"], path, (*parts, "unless")) if "unless" in node
            else (),
            source=f"{path.name}:{_json_path(parts)}",
            prefilter=_alternation(match),
            literals=rule_literals(p.pattern for p in match)))
    return tuple(rules)


def _alternation(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    if len(patterns) < 2:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except re.error:  # e.g. global inline flags in one pattern: no prefilter, same result
        return None


# a conditional clause runs from its opener to the next comma or end of sentence; an
# abbreviation dot ("c.o.d.") or a decimal point does not end it
_CLAUSE_REST = r"(?:[^,;.!?]|\.(?!\s|$))*"


def _conditional_clause(doc: Mapping[str, Any], path: Path) -> re.Pattern[str] | None:
    openers = doc.get("conditional_clauses") or ()
    _compile_all(list(openers), path, ("conditional_clauses",))  # names a bad entry
    if not openers:
        return None
    return re.compile("|".join(rf"\b(?:{o})\b{_CLAUSE_REST}" for o in openers))


def _carrier(doc: Mapping[str, Any], path: Path) -> CarrierMapping:
    if doc["carrier"] != path.stem:
        raise MappingError(f"{path.name}: $.carrier: {doc['carrier']!r} must equal the file "
                           f"name without .yaml ({path.stem!r})")
    codes: dict[str, CodeEntry] = {}
    for raw_code, node in (doc.get("codes") or {}).items():
        code = raw_code.strip().upper()
        parts = ("codes", raw_code)
        if code in codes:
            raise MappingError(f"{path.name}: {_json_path(parts)}: duplicate native code "
                               f"(codes are case-insensitive)")
        codes[code] = CodeEntry(label=_label(node, path, parts),
                                refine_by_message=bool(node.get("refine_by_message", False)),
                                source=f"{path.name}:{_json_path(parts)}")
    return CarrierMapping(carrier=doc["carrier"], version=doc["version"], codes=codes,
                          patterns=_rules(doc.get("patterns") or [], path))


def load_mappings(mapping_dir: Path | None = None) -> MappingSet:
    """Load and validate every ``*.yaml`` in ``mapping_dir`` (default: the packaged mappings)."""
    directory = Path(mapping_dir) if mapping_dir is not None else PACKAGED_MAPPINGS
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise MappingError(f"{directory}: no *.yaml mapping files found")
    carriers: dict[str, CarrierMapping] = {}
    generic: list[tuple[Rule, ...]] = []
    status: list[tuple[Path, Mapping[str, Any]]] = []
    conditional: re.Pattern[str] | None = None
    versions: dict[str, str] = {}
    for path in files:
        doc = _load_yaml(path)
        validate_document(doc, path)
        versions[path.name] = doc["version"]
        if doc["kind"] == "carrier":
            carriers[doc["carrier"]] = _carrier(doc, path)
        elif doc["kind"] == "generic":
            generic.append(_rules(doc["patterns"], path))
            conditional = _conditional_clause(doc, path)
        else:
            status.append((path, doc))
    if len(status) != 1 or len(generic) != 1:
        raise MappingError(f"{directory}: expected exactly one file of kind 'shippypro' and one "
                           f"of kind 'generic', found {len(status)} and {len(generic)}")
    status_path, status_doc = status[0]
    status_codes = {
        int(code): StatusCode(
            milestone=node["milestone"],
            fallback=_label(node["fallback"], status_path, ("codes", code, "fallback"))
            if "fallback" in node else None)
        for code, node in status_doc["codes"].items()}
    return MappingSet(carriers=carriers, generic=generic[0], status_codes=status_codes,
                      tie_break=tuple(status_doc["tie_break"]),
                      fallback_suppressed_by=frozenset(status_doc["fallback_suppressed_by"]),
                      exception_keeps_text_milestones=frozenset(
                          status_doc["exception_keeps_text_milestones"]),
                      versions=versions,
                      failure_milestones={
                          milestone: _label(node, status_path, ("failure_milestones", milestone))
                          for milestone, node in
                          (status_doc.get("failure_milestones") or {}).items()},
                      conditional_clause=conditional,
                      symptom_reasons={
                          reason: frozenset(causes) for reason, causes in
                          (status_doc.get("symptom_reasons") or {}).items()})
