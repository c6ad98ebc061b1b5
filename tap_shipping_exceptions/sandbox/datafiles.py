"""Load the sandbox's YAML data files and validate them against their JSON Schemas.

Errors name the file, the path inside it and what was expected, e.g.
``phrasebook.yaml: carriers/BRT/exceptions/3/category: 'adress' is not one of [...]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent


class DataFileError(ValueError):
    """A sandbox data file is missing, unparsable or does not match its schema."""


def load_validated(path: Path, schema_path: Path) -> dict[str, Any]:
    """Parse ``path`` (YAML) and validate it against the JSON Schema at ``schema_path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{path.name}{where}: invalid YAML ({exc})") from exc
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise DataFileError(f"{path.name}: {where}: {first.message}{more}")
    return data
