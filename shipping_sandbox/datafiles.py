"""Load the sandbox's YAML data files and validate them against their JSON Schemas.

Errors name the file, the path inside it and what was expected, e.g.
``phrasebook.yaml: carriers/BRT/exceptions/3/category: 'adress' is not one of [...]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipping_core.datafile import DataFileProblem
from shipping_core.datafile import load_validated as load_document

HERE = Path(__file__).resolve().parent


class DataFileError(ValueError):
    """A sandbox data file is missing, unparsable or does not match its schema."""


def load_validated(path: Path, schema_path: Path) -> dict[str, Any]:
    """Parse ``path`` (YAML) and validate it against the JSON Schema at ``schema_path``."""
    try:
        return load_document(path, schema_path)
    except DataFileProblem as problem:
        if problem.stage == "read":
            message = f"{path}: cannot read ({problem.message})"
        elif problem.stage == "syntax":
            where = f" line {problem.line}" if problem.line is not None else ""
            message = f"{path.name}{where}: invalid YAML ({problem.cause})"
        else:
            where = "/".join(str(p) for p in problem.location) or "(top level)"
            more = (f" (and {len(problem.errors) - 1} more problems)"
                    if len(problem.errors) > 1 else "")
            message = f"{path.name}: {where}: {problem.message}{more}"
        raise DataFileError(message) from problem.cause
