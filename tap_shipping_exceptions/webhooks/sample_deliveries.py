"""Recognise ShippyPro's "Test" (sample) deliveries, listed in a JSON file under a JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from shipping_core.datafile import DataFileProblem, load_validated
from tap_shipping_exceptions.webhooks.errors import ConfigurationError

_PACKAGE = "tap_shipping_exceptions.webhooks"
DEFAULT_FILE = "known_test_deliveries.json"
SCHEMA_FILE = "known_test_deliveries.schema.json"


@dataclass(frozen=True, slots=True)
class SampleDelivery:
    """A known test delivery: its name and the body fields (compared as text) that mark it."""

    name: str
    match: dict[str, str]

    def matches(self, body: dict[str, Any]) -> bool:
        return all(
            key in body and str(body[key]) == value for key, value in self.match.items()
        )


def load_sample_deliveries(path: Path | None = None) -> list[SampleDelivery]:
    """Load and validate the file (the packaged one unless ``path`` is given)."""
    packaged = resources.files(_PACKAGE)
    source = packaged.joinpath(DEFAULT_FILE) if path is None else path
    where = f"{_PACKAGE}/{DEFAULT_FILE}" if path is None else str(path)
    try:
        document = load_validated(source, packaged.joinpath(SCHEMA_FILE), syntax="json")
    except DataFileProblem as problem:
        if problem.stage == "read":
            message = f"cannot read test-delivery file {where}: {problem.cause}"
        elif problem.stage == "syntax":
            message = (f"{where}: line {problem.line} column {problem.column}: "
                       f"not JSON ({problem.message})")
        else:
            location = "/".join(str(p) for p in problem.location) or "(top level)"
            message = f"{where}: at {location}: {problem.message}"
        raise ConfigurationError(message) from problem.cause
    return [
        SampleDelivery(entry["name"], {k: str(v) for k, v in entry["match"].items()})
        for entry in document["test_deliveries"]
    ]


def matching_sample(body: dict[str, Any], known: list[SampleDelivery]) -> str | None:
    """Name of the known test delivery ``body`` is, or ``None`` for a real delivery."""
    for candidate in known:
        if candidate.matches(body):
            return candidate.name
    return None
