"""Recognise ShippyPro's "Test" (sample) deliveries, listed in a JSON file under a JSON Schema."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from tap_shipping_exceptions.webhooks.errors import ConfigurationError

_PACKAGE = "tap_shipping_exceptions.webhooks"
DEFAULT_FILE = "known_test_deliveries.json"
SCHEMA_FILE = "known_test_deliveries.schema.json"


@dataclass(frozen=True)
class SampleDelivery:
    name: str
    match: dict[str, str]

    def matches(self, body: dict[str, Any]) -> bool:
        return all(
            key in body and str(body[key]) == value for key, value in self.match.items()
        )


def load_sample_deliveries(path: Path | None = None) -> list[SampleDelivery]:
    """Load and validate the file (the packaged one unless ``path`` is given)."""
    if path is None:
        text = resources.files(_PACKAGE).joinpath(DEFAULT_FILE).read_text("utf-8")
        where = f"{_PACKAGE}/{DEFAULT_FILE}"
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read test-delivery file {path}: {exc}") from exc
        where = str(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{where}: line {exc.lineno} column {exc.colno}: not JSON ({exc.msg})"
        ) from exc
    schema = json.loads(resources.files(_PACKAGE).joinpath(SCHEMA_FILE).read_text("utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document),
                    key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        location = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ConfigurationError(f"{where}: at {location}: {first.message}")
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
