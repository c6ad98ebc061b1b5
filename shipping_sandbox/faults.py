"""Fault rules for the sandbox server: what goes wrong, for which calls, how often.

A rule (validated by ``FAULT_SCHEMA``) has a ``kind``:
``rate_limit`` (HTTP 429 with ``Retry-After``), ``http_error`` (``status`` 500/502/503/...),
``slow`` (``delay_ms`` before the normal answer), ``truncate`` (the normal body cut short),
``malformed`` (a body that is not valid JSON), ``error`` (HTTP 200 ``Result: Error`` with
``message``). It matches calls by ``method`` and by ``id`` (the OrderID or tracking Code) when
given, fires at most ``times`` times when given, and with ``probability`` (its own
``random.Random(seed)``) when given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from shipping_core.datafile import DataFileProblem, validate

FAULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind"],
    "properties": {
        "kind": {"enum": ["rate_limit", "http_error", "slow", "truncate", "malformed", "error"]},
        "method": {"type": "string", "minLength": 1},
        "id": {"type": ["string", "integer"]},
        "times": {"type": "integer", "minimum": 1},
        "probability": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "seed": {"type": "integer"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "retry_after": {"type": "integer", "minimum": 0},
        "delay_ms": {"type": "number", "minimum": 0},
        "message": {"type": "string", "minLength": 1},
    },
    "allOf": [
        {"if": {"properties": {"kind": {"const": "http_error"}}},
         "then": {"required": ["status"]}},
        {"if": {"properties": {"kind": {"const": "slow"}}}, "then": {"required": ["delay_ms"]}},
    ],
}
_VALIDATOR = jsonschema.Draft202012Validator(FAULT_SCHEMA)


class FaultSpecError(ValueError):
    """A fault rule does not match ``FAULT_SCHEMA``."""


@dataclass
class FaultRule:
    kind: str
    method: str | None = None
    id: str | None = None
    times: int | None = None
    probability: float | None = None
    seed: int = 0
    status: int = 503
    retry_after: int = 1
    delay_ms: float = 0.0
    message: str = "Internal error, please retry"
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def from_dict(cls, raw: Any, where: str = "fault") -> FaultRule:
        try:
            validate(raw, _VALIDATOR)
        except DataFileProblem as problem:
            path = "/".join(str(p) for p in problem.location)
            raise FaultSpecError(f"{where}{'/' + path if path else ''}: {problem.message}"
                                 ) from None
        data = dict(raw)
        if "id" in data:
            data["id"] = str(data["id"])
        return cls(**data)

    def matches(self, method: str, ident: str | None) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.id is not None and self.id != ident:
            return False
        return self.probability is None or self._rng.random() < self.probability

    def describe(self) -> dict[str, Any]:
        out = {"kind": self.kind, "method": self.method, "id": self.id, "times": self.times,
               "probability": self.probability, "fired": self.fired}
        return {k: v for k, v in out.items() if v is not None}


class FaultBook:
    """The installed rules, checked in order; the first that matches fires."""

    def __init__(self, rules: list[FaultRule] | None = None) -> None:
        self.rules: list[FaultRule] = list(rules or [])

    @staticmethod
    def parse(raw: Any) -> list[FaultRule]:
        if not isinstance(raw, list):
            raise FaultSpecError("faults: expected a list of fault rules")
        return [FaultRule.from_dict(item, f"faults/{i}") for i, item in enumerate(raw)]

    def install(self, rules: list[FaultRule], replace: bool = False) -> None:
        if replace:
            self.rules = []
        self.rules.extend(rules)

    def pick(self, method: str, ident: str | None) -> FaultRule | None:
        for rule in self.rules:
            if rule.matches(method, ident):
                rule.fired += 1
                return rule
        return None
