"""Load and validate card definition YAML files (JSON Schema + semantic checks).

A definition is data: ``load_definition(path)`` returns a ``CardDefinition`` or raises
``CardDefinitionError`` naming the file, the line, the path inside the document and what was
expected. No SQL lives in a definition; filters are (field, op, value) triples compiled by
``metric_cards.filters``. The YAML parser and the JSON Schema validator are imported when a file
is parsed, so a process that rebuilds a card from a cached, already validated document
(``metric_cards.plan_cache``) does not pay for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from metric_cards.conditions import Condition, build_conditions
from metric_cards.errors import CardDefinitionError
from shipping_core.windows import zone

if TYPE_CHECKING:
    import jsonschema

TIMESTAMP_FIELDS = {"created_at", "shipped_at", "promised_delivery_at", "delivered_at",
                    "updated_at"}
VALUELESS_OPS = {"is_null", "is_not_null"}
LIST_OPS = {"in", "not_in"}
PARAMETER_SWITCHES = {"include_transient", "exclude_returns"}


#: The JSON Schema every card YAML must satisfy.
CARD_SCHEMA = resources.files("metric_cards").joinpath("schema/card.schema.json")


@dataclass(frozen=True)
class Breakdown:
    id: str
    label: str
    rows: str                      # "share_of_total" or "rate"
    fields: tuple[str, ...] = ()   # shipment fields forming the key
    first_event_field: str | None = None
    tie_break: tuple[str, ...] = ()
    key_label: str | None = None


@dataclass(frozen=True)
class Sibling:
    """A card read beside this one, and why."""

    card: str
    reason: str


@dataclass(frozen=True)
class Relation:
    """An estimated leading-indicator link to another card (always labelled an estimate)."""

    type: str
    target: str
    lag_days: float
    effect_pp_per_pp: float
    note: str


@dataclass(frozen=True)
class StallSpec:
    """A stalled-shipments card's block: business days per carrier, calendar, list size."""

    business_days: int
    calendar: str
    list_limit: int
    per_carrier: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CardDefinition:
    """A validated card, built only after the schema and semantic checks pass.

    The engine reads it through typed, read-only values: the filter conditions of both
    measures (:mod:`metric_cards.conditions`, compiled by ``metric_cards.filters``) and
    accessors (``breakdowns``, ``siblings``, ``relations``, ``stall``, …). ``data`` is the YAML
    document as loaded, which those accessors read.
    """

    id: str
    path: Path
    data: dict[str, Any] = field(repr=False)
    numerator_filters: tuple[Condition, ...] = field(repr=False)
    denominator_filters: tuple[Condition, ...] = field(repr=False)

    @classmethod
    def from_document(cls, data: dict[str, Any], path: Path) -> CardDefinition:
        """The card of a document that passed the schema and the semantic checks."""
        measures = data["measures"]
        return cls(data["id"], path, data,
                   build_conditions(measures["numerator"]["filters"]),
                   build_conditions(measures["denominator"]["filters"]))

    @property
    def label(self) -> str:
        return self.data["label"]

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def direction(self) -> str:
        return self.data["direction"]

    @property
    def anchor(self) -> str:
        return self.data["time"]["anchor"]

    @property
    def window_days(self) -> int:
        return self.data["time"]["window_days"]

    @property
    def compare_days(self) -> int:
        return self.data["time"]["compare"]["days"]

    @property
    def timezone(self) -> str:
        return self.data["time"]["timezone"]

    @property
    def thresholds(self) -> dict[str, float] | None:
        return self.data.get("thresholds")

    @property
    def min_sample(self) -> int:
        return self.data["min_sample"]

    @property
    def breakdowns(self) -> tuple[Breakdown, ...]:
        out = []
        for b in self.data.get("breakdowns", []):
            first = b.get("first_event") or {}
            out.append(Breakdown(id=b["id"], label=b["label"], rows=b["rows"],
                                 fields=tuple(b.get("fields", ())),
                                 first_event_field=first.get("field"),
                                 tie_break=tuple(first.get("tie_break", ())),
                                 key_label=b.get("key_label")))
        return tuple(out)

    @property
    def switch_defaults(self) -> dict[str, bool]:
        """Boolean parameters this card understands, with their defaults."""
        out = {"exclude_returns": bool(self.data["scope"]["exclude_returns"])}
        for name, spec in self.data.get("parameters", {}).items():
            if isinstance(spec["default"], bool):
                out[name] = spec["default"]
        return out

    @property
    def choice_defaults(self) -> dict[str, str]:
        """Parameters with a fixed set of text values (``promise_basis``), with their defaults."""
        return {name: spec["default"] for name, spec in self.data.get("parameters", {}).items()
                if not isinstance(spec["default"], bool)}

    @property
    def carriers(self) -> list[str] | None:
        return self.data["scope"].get("carriers")

    @property
    def sibling_ids(self) -> list[str]:
        return [s.card for s in self.siblings]

    @property
    def siblings(self) -> tuple[Sibling, ...]:
        return tuple(Sibling(s["card"], s["reason"]) for s in self.data["siblings"])

    @property
    def relations(self) -> tuple[Relation, ...]:
        return tuple(Relation(r["type"], r["target"], r["lag_days"], r["effect_pp_per_pp"],
                              r["note"]) for r in self.data.get("relations", []))

    @property
    def reconciliation_differences(self) -> list[dict[str, str]]:
        """Known differences from the vendor portal's number, as declared (copied)."""
        return [dict(d) for d in self.data.get("reconciliation_differences", [])]

    @property
    def stall(self) -> StallSpec | None:
        """The stall block of a stalled-shipments card; None for every other card."""
        spec = self.data.get("stall")
        if spec is None:
            return None
        return StallSpec(spec["business_days"], spec["calendar"], spec["list_limit"],
                         tuple((spec.get("per_carrier") or {}).items()))

    def choice_values(self, name: str) -> list[str]:
        """The allowed text values of choice parameter ``name`` (e.g. ``promise_basis``)."""
        return list(self.data["parameters"][name]["values"])


def load_definition(path: Path | str) -> CardDefinition:
    """Read, parse and validate one card file."""
    from shipping_core.datafile import DataFileProblem, read_text

    path = Path(path)
    name = str(path)
    try:
        text = read_text(path)
    except DataFileProblem as problem:
        raise CardDefinitionError(name, "", f"cannot read file ({problem.message})",
                                  problem.line) from problem.cause
    return parse_definition(text, name, path)


def parse_definition(text: str, name: str, path: Path | None = None) -> CardDefinition:
    """Validate YAML ``text`` (reported as ``name``) as a card definition."""
    from shipping_core.datafile import DataFileProblem, parse_yaml, validate

    try:
        data = parse_yaml(text)
    except DataFileProblem as problem:
        raise CardDefinitionError(name, "", f"invalid YAML: {problem.message}", problem.line
                                  ) from problem.cause
    if not isinstance(data, dict):
        raise CardDefinitionError(name, "", "expected a mapping of card fields at the top level, "
                                  f"got {type(data).__name__}", 1)
    try:  # shallowest violation first: a missing top-level field before a nested detail
        validate(data, CARD_SCHEMA,
                 order=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    except DataFileProblem as problem:
        _raise_located(name, [_schema_problem(err) for err in _one_per_place(problem.errors)],
                       text)
    problems = semantic_problems(data, path)
    if problems:
        _raise_located(name, problems, text)
    return CardDefinition.from_document(data, path or Path(name))


def _raise_located(name: str, problems: list[Problem], text: str) -> NoReturn:
    """One error naming every problem, each with its path and line, the first one leading."""
    from shipping_core.yaml_locations import format_path, line_of

    located = [(format_path(loc), message, line_of(text, loc)) for loc, message in problems]
    (where, message, line), others = located[0], located[1:]
    raise CardDefinitionError(name, where, message, line, others=others)


def _one_per_place(errors: Sequence[jsonschema.ValidationError]
                   ) -> list[jsonschema.ValidationError]:
    """The first schema violation at each place in the document (a condition that matches no
    alternative also breaks that alternative's rules there: one problem, not two)."""
    seen: set[tuple[str | int, ...]] = set()
    kept = []
    for err in errors:
        place = tuple(err.absolute_path)
        if place not in seen:
            seen.add(place)
            kept.append(err)
    return kept


def _schema_problem(err: jsonschema.ValidationError) -> Problem:
    """Where a schema violation is and what was expected there."""
    from jsonschema.exceptions import best_match

    if err.context and all(sub.validator == "required" for sub in err.context):
        keys = [sub.validator_value[0] for sub in err.context]
        return list(err.absolute_path), (f"expected one of the keys {', '.join(keys)}; got "
                                         f"{', '.join(map(str, err.instance)) or 'none'}")
    if err.context:
        err = best_match(err.context)
    return list(err.absolute_path), _explain(err)


def validated_again(data: dict[str, Any], path: Path) -> CardDefinition | None:
    """The card of a document that passed ``parse_definition`` before (a cached copy), or None.

    The JSON Schema part is not repeated (same document, same schema, same code: the cache key
    says so); the semantic rules are, since they also read the environment (the time zone
    database). None means "parse the file again": that path reports any problem with its line.
    """
    try:
        if semantic_problems(data, path):
            return None
        return CardDefinition.from_document(data, path)
    except (KeyError, TypeError, AttributeError, IndexError):
        return None  # not the shape a validated card has (a damaged cache file)


def _explain(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        return f"{err.message}; expected only: {', '.join(allowed)}"
    if err.validator == "enum":
        return f"got {err.instance!r}; expected one of: {', '.join(map(str, err.validator_value))}"
    if err.validator == "type":
        return f"got {err.instance!r}; expected type {err.validator_value}"
    if err.validator == "const":
        return f"got {err.instance!r}; expected {err.validator_value!r}"
    if err.validator == "required":
        return f"{err.message} (expected a field named {err.message.split(chr(39))[1]!r})"
    return f"{err.message}"


Problem = tuple[list[str | int], str]


def semantic_problems(data: dict[str, Any], path: Path | None) -> list[Problem]:
    """Rules JSON Schema cannot express: every violation found, in document order of checks.

    Each rule group reports at most one problem per place (a condition, a breakdown), so a
    problem that follows from another is not reported twice.
    """
    problems: list[Problem] = []
    if path is not None and path.stem != data["id"]:
        problems.append((["id"], f"id {data['id']!r} must equal the file name stem "
                                 f"{path.stem!r}"))
    try:
        zone(data["time"]["timezone"])
    except ValueError as exc:
        problems.append((["time", "timezone"], str(exc).removeprefix("timezone: ")))
    if (data["kind"] == "ratio") != (data["format"] == "percent"):
        problems.append((["format"], f"kind {data['kind']!r} expects format " + (
            "'percent'" if data["kind"] == "ratio" else "'count'")))
    problems += [p for p in (_threshold_problem(data), _promise_problem(data)) if p]
    declared = {"exclude_returns", *(name for name, spec in data.get("parameters", {}).items()
                                     if isinstance(spec["default"], bool))}
    for side in ("numerator", "denominator"):
        base: list[str | int] = ["measures", side, "filters"]
        for i, cond in enumerate(data["measures"][side]["filters"]):
            problems += _condition_problems(cond, [*base, i], declared)
    problems += _stall_problems(data)
    problems += _breakdown_problems(data)
    return problems


def _breakdown_problems(data: dict[str, Any]) -> list[Problem]:
    """Breakdown ids are unique; a first_event breakdown needs one has_event numerator condition."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, b in enumerate(data.get("breakdowns", [])):
        if b["id"] in seen:
            problems.append((["breakdowns", i, "id"], f"duplicate breakdown id {b['id']!r}"))
        seen.add(b["id"])
        if "first_event" in b:
            events = [c for c in data["measures"]["numerator"]["filters"] if "has_event" in c]
            if len(events) != 1:
                problems.append((["breakdowns", i, "first_event"],
                                 "a first_event breakdown expects exactly one top-level "
                                 "has_event condition in measures.numerator.filters, found "
                                 f"{len(events)}"))
    return problems


def _promise_problem(data: dict[str, Any]) -> Problem | None:
    """A card judging promises declares ``promise_basis``; its default is one of its values."""
    spec = data.get("parameters", {}).get("promise_basis")
    if spec is not None and spec["default"] not in spec["values"]:
        return (["parameters", "promise_basis", "default"],
                f"got {spec['default']!r}; expected one of {', '.join(spec['values'])}")

    def judges(conds: list[dict[str, Any]]) -> bool:
        return any(c.get("promise") in ("kept", "missed") or judges(c.get("any_of", []))
                   for c in conds)

    uses = data["time"]["anchor"] == "promised_day" or any(
        judges(data["measures"][side]["filters"]) for side in ("numerator", "denominator"))
    if uses and spec is None:
        return (["parameters"], "a card that judges promises (promise: kept / missed, or anchor "
                "promised_day) declares parameters.promise_basis (values [day, instant])")
    return None


def _stall_problems(data: dict[str, Any]) -> list[Problem]:
    """A stall card is a ratio read at the instant; last_milestone exists only there."""
    problems: list[Problem] = []
    stall = "stall" in data
    if stall and data["kind"] != "ratio":
        problems.append((["kind"], "a stall card is a ratio of in-flight shipments: expected "
                                   "kind 'ratio'"))
    if stall and data["time"]["anchor"] != "created_at":
        problems.append((["time", "anchor"], "a stall card looks back over shipments by "
                                             "created_at: expected anchor 'created_at'"))
    for i, b in enumerate(data.get("breakdowns", [])):
        if not stall and "last_milestone" in b.get("fields", ()):
            problems.append((["breakdowns", i, "fields"], "field 'last_milestone' exists only "
                             "on stall cards (add a 'stall' block)"))
        if stall and "first_event" in b:
            problems.append((["breakdowns", i, "first_event"],
                             "a stall card takes field breakdowns only"))
    return problems


def _threshold_problem(data: dict[str, Any]) -> Problem | None:
    th = data.get("thresholds")
    if th is None:
        return None
    if data["direction"] == "lower_is_better":
        if "warn_above" not in th:
            return ["thresholds"], "direction lower_is_better expects warn_above/critical_above"
        if th["warn_above"] > th["critical_above"]:
            return ["thresholds", "warn_above"], (
                f"expected warn_above ({th['warn_above']}) <= critical_above "
                f"({th['critical_above']})")
    else:
        if "warn_below" not in th:
            return ["thresholds"], "direction higher_is_better expects warn_below/critical_below"
        if th["warn_below"] < th["critical_below"]:
            return ["thresholds", "warn_below"], (
                f"expected warn_below ({th['warn_below']}) >= critical_below "
                f"({th['critical_below']})")
    return None


def _condition_problems(cond: dict[str, Any], loc: list[str | int],
                        declared: set[str]) -> list[Problem]:
    """Problems of one condition and, for ``any_of`` / ``has_event``, of each item inside.

    One problem per condition at most (the first of its own checks); the items of a compound
    condition are each checked, so two bad items give two problems.
    """
    when = cond.get("when")
    if when and when["param"] not in declared:
        return [([*loc, "when", "param"], (
            f"parameter {when['param']!r} is not declared by this card (expected one of: "
            f"{', '.join(sorted(declared))}; declare it under 'parameters')"))]
    kinds = [k for k in ("field", "any_of", "has_event", "promise") if k in cond]
    if len(kinds) != 1:
        return [(loc, f"expected exactly one of field / any_of / has_event / promise, "
                      f"got {kinds}")]
    kind = kinds[0]
    if kind != "field":
        extra = set(cond) - {kind, "when"}
        if extra:
            return [(loc, f"{kind} takes no {', '.join(sorted(extra))}")]
    if kind == "any_of":
        return [p for i, sub in enumerate(cond["any_of"])
                for p in _condition_problems(sub, [*loc, "any_of", i], declared)]
    if kind == "has_event":
        return [p for i, sub in enumerate(cond["has_event"]["where"])
                if (p := _event_condition_problem(sub, [*loc, "has_event", "where", i],
                                                  declared))]
    if kind == "field" and "op" not in cond:
        return [(loc, "'op' is a required property (expected an operator such as 'eq')")]
    problem = _operand_problem(cond, loc, allow_refs=True) if kind == "field" else None
    return [problem] if problem else []


def _event_condition_problem(cond: dict[str, Any], loc: list[str | int],
                             declared: set[str]) -> Problem | None:
    """A ``has_event.where`` item: a declared switch and one literal operand."""
    if cond.get("when") and cond["when"]["param"] not in declared:
        return [*loc, "when", "param"], (
            f"parameter {cond['when']['param']!r} is not declared by this card "
            f"(expected one of: {', '.join(sorted(declared))})")
    return _operand_problem(cond, loc, allow_refs=False)


def _operand_problem(cond: dict[str, Any], loc: list[str | int],
                     allow_refs: bool) -> Problem | None:
    op = cond["op"]
    operands = [k for k in ("value", "column", "instant") if k in cond]
    if op in VALUELESS_OPS:
        if operands:
            return loc, f"operator {op!r} takes no operand, got {', '.join(operands)}"
        return None
    if len(operands) != 1:
        return loc, (f"operator {op!r} expects exactly one of value / column / instant, got "
                     f"{operands or 'none'}")
    if operands[0] != "value":
        if not allow_refs:
            return [*loc, operands[0]], "event conditions compare with a literal 'value' only"
        if op in LIST_OPS:
            return [*loc, "op"], f"operator {op!r} expects a list 'value'"
        if operands[0] == "instant" and cond["field"] not in TIMESTAMP_FIELDS:
            return [*loc, "instant"], (f"instant comparison expects a timestamp field "
                                       f"({', '.join(sorted(TIMESTAMP_FIELDS))}), "
                                       f"got {cond['field']!r}")
        return None
    is_list = isinstance(cond["value"], list)
    if op in LIST_OPS and not is_list:
        return [*loc, "value"], f"operator {op!r} expects a list value, got {cond['value']!r}"
    if op not in LIST_OPS and is_list:
        return [*loc, "value"], f"operator {op!r} expects a single value, got a list"
    return None
