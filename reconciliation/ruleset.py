"""Load and validate a reconciliation rule set (YAML validated by ``rules/ruleset.schema.json``).

The rule set declares, as data, the ordered rules that move our Exception Rate card's view of each
shipment toward the vendor portal's, the calendar annotations, the tolerance on the unexplained
residual, the category tie-break order and the vocabulary of the portal's CSV export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipping_core.datafile import DataFileProblem, load_validated

RULES_DIR = Path(__file__).resolve().parent / "rules"
DEFAULT_RULESET = RULES_DIR / "portal_exceptions.yaml"
SCHEMA_PATH = RULES_DIR / "ruleset.schema.json"

#: Kinds that switch one aspect of the per-shipment view (everything except ``taxonomy``).
VIEW_KINDS = ("window_anchor", "time_zone", "hide_transient", "include_returns",
              "overnight_cutoff")


class RuleSetError(ValueError):
    """A rule set file that does not match the schema or the ordering constraints."""


@dataclass(frozen=True)
class Rule:
    """One ordered rule: which aspect of the per-shipment view it switches (``kind``)."""

    id: str
    kind: str
    description: str
    webhook_lag_hours: int = 0


@dataclass(frozen=True)
class Annotation:
    """A calendar note shown when a window touches the month-day span (both ends included)."""

    id: str
    from_month_day: tuple[int, int]
    to_month_day: tuple[int, int]
    text: str


@dataclass(frozen=True)
class Tolerance:
    """How much residual is explained away: ``abs_points`` percentage points or ``relative``
    of the portal's value, tested only when both denominators reach ``min_sample``."""

    abs_points: float
    relative: float
    min_sample: int


@dataclass(frozen=True)
class ExportVocabulary:
    """The accepted spellings in the portal's CSV export: header names per column, category
    and resolution labels, date formats and yes/no flags."""

    columns: dict[str, tuple[str, ...]]
    categories: dict[str, tuple[str, ...]]
    resolutions: dict[str, tuple[str, ...]]
    event_date_formats: tuple[str, ...]
    true_flags: tuple[str, ...]
    false_flags: tuple[str, ...]


@dataclass(frozen=True)
class RuleSet:
    """A validated rule set file, ready for the bridge."""

    name: str
    path: Path
    rules: tuple[Rule, ...]
    annotations: tuple[Annotation, ...]
    tolerance: Tolerance
    category_priority: tuple[str, ...]
    export: ExportVocabulary
    description: str = ""

    def rule(self, kind: str) -> Rule | None:
        return next((r for r in self.rules if r.kind == kind), None)

    @property
    def view_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind in VIEW_KINDS)


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def _check_constraints(doc: dict[str, Any], path: Path) -> None:
    rules = doc["rules"]
    ids = [r["id"] for r in rules]
    kinds = [r["kind"] for r in rules]
    for label, values in (("id", ids), ("kind", kinds)):
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise RuleSetError(f"{path}: rules: duplicate {label} {', '.join(dupes)} "
                               f"(each rule {label} may appear once)")
    if "taxonomy" in kinds and kinds[-1] != "taxonomy":
        raise RuleSetError(f"{path}: rules: the taxonomy rule must come last (it compares "
                           "categories after every other rule has been applied)")
    categories = set(doc["category_priority"])
    portal = set(doc["portal_export"]["categories"])
    unknown = sorted(portal - categories)
    if unknown:
        raise RuleSetError(f"{path}: portal_export.categories: {', '.join(unknown)} not in "
                           f"category_priority {sorted(categories)}")


def load_ruleset(path: str | Path | None = None) -> RuleSet:
    """Read ``path`` (default: the packaged portal rule set), validate it and build a RuleSet."""
    path = Path(path) if path else DEFAULT_RULESET
    try:
        doc = load_validated(path, SCHEMA_PATH)
    except DataFileProblem as problem:
        if problem.stage == "read":
            message = f"cannot read rule set ({problem.message})"
        elif problem.stage == "syntax":
            message = f"not valid YAML: {problem.cause}"
        else:
            message = f"{'.'.join(str(p) for p in problem.location) or '(top level)'}: " \
                      f"{problem.message}"
        raise RuleSetError(f"{path}: {message}") from problem.cause
    _check_constraints(doc, path)
    rules = []
    for item in doc["rules"]:
        rules.append(Rule(
            id=item["id"], kind=item["kind"], description=" ".join(item["description"].split()),
            webhook_lag_hours=int(item.get("webhook_lag_hours", 0)),
        ))
    export = doc["portal_export"]
    return RuleSet(
        name=doc["ruleset"],
        path=path,
        rules=tuple(rules),
        annotations=tuple(
            Annotation(a["id"], _month_day(a["from_month_day"]), _month_day(a["to_month_day"]),
                       " ".join(a["text"].split()))
            for a in doc.get("annotations", [])
        ),
        tolerance=Tolerance(**doc["tolerance"]),
        category_priority=tuple(doc["category_priority"]),
        export=ExportVocabulary(
            columns={k: tuple(v) for k, v in export["columns"].items()},
            categories={k: tuple(v) for k, v in export["categories"].items()},
            resolutions={k: tuple(v) for k, v in export["resolutions"].items()},
            event_date_formats=tuple(export["event_date_formats"]),
            true_flags=tuple(export["flags"]["true"]),
            false_flags=tuple(export["flags"]["false"]),
        ),
        description=" ".join(doc.get("description", "").split()),
    )
