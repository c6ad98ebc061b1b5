"""Read YAML/JSON data files and validate them against a JSON Schema, with error locations.

The steps every data-file loader of the distribution shares (card definitions, the
reconciliation rule set, the sandbox data files and fault rules, the normalizer's mapping files,
the webhook receiver's test-delivery list): read the text, parse it, validate the document
against a JSON Schema (loaded and checked once per schema file) and report the first violation
with where it is. Anything that goes wrong raises :class:`DataFileProblem` (stage, path inside
the document, message, line when known, the original exception); each caller turns it into its
own exception class and message format (``shipping_core.yaml_locations`` maps a path inside a
YAML document to its line, for callers that report one).

``yaml`` is imported only when a YAML document is parsed, so JSON-only callers (the webhook
receiver) do not pay for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import jsonschema
from jsonschema.exceptions import ValidationError

Location = tuple[str | int, ...]
Stage = Literal["read", "syntax", "schema"]
Source = Path | Traversable
Schema = Source | jsonschema.protocols.Validator


def document_order(error: ValidationError) -> list[str | int]:
    """Default error order: by path inside the document (a parent before its children)."""
    return list(error.absolute_path)


class DataFileProblem(ValueError):
    """A data file could not be read, parsed or validated.

    ``stage`` is ``"read"``, ``"syntax"`` or ``"schema"``; ``message`` the short reason (the
    ``strerror`` of a read error, the parser's problem, the first schema violation's message);
    ``location`` the path inside the document (``()`` = top level); ``line``/``column`` are
    1-based when known; ``errors`` every schema violation, in the order requested, the reported
    one first; ``cause`` the original exception of a read or syntax problem.
    """

    def __init__(self, stage: Stage, message: str, *, location: Location = (),
                 line: int | None = None, column: int | None = None,
                 errors: Sequence[ValidationError] = (), cause: BaseException | None = None
                 ) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.location = location
        self.line = line
        self.column = column
        self.errors = tuple(errors)
        self.cause = cause


@cache
def schema_validator(schema_file: Source) -> jsonschema.protocols.Validator:
    """A validator for the JSON Schema in ``schema_file`` (its ``$schema`` draft, default
    2020-12), the schema itself checked; loaded once per file."""
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def read_text(path: Source) -> str:
    """The UTF-8 text of ``path``; a ``"read"`` problem (``strerror``) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileProblem("read", str(exc.strerror), cause=exc) from exc


def parse_yaml(text: str, loader: Any = None) -> Any:
    """Parse YAML ``text`` with ``loader`` (default ``yaml.SafeLoader``).

    A ``"syntax"`` problem carries the parser's problem (``str(error)`` when it has none) and the
    line of the problem mark when there is one.
    """
    import yaml

    try:
        return yaml.load(text, Loader=loader or yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise DataFileProblem("syntax", str(exc.problem),
                              line=mark.line + 1 if mark else None, cause=exc) from exc
    except yaml.YAMLError as exc:
        raise DataFileProblem("syntax", str(exc), cause=exc) from exc


def parse_json(text: str) -> Any:
    """Parse JSON ``text``; a ``"syntax"`` problem carries the decoder's message, line, column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileProblem("syntax", exc.msg, line=exc.lineno, column=exc.colno,
                              cause=exc) from exc


def validate(document: Any, schema: Schema, *,
             order: Callable[[ValidationError], Any] = document_order) -> None:
    """Raise a ``"schema"`` problem when ``document`` violates ``schema`` (a schema file or a
    validator); it reports the first violation in ``order`` and carries them all."""
    validator = schema if hasattr(schema, "iter_errors") else schema_validator(schema)
    errors = sorted(validator.iter_errors(document), key=order)
    if errors:
        first = errors[0]
        raise DataFileProblem("schema", first.message, location=tuple(first.absolute_path),
                              errors=errors)


def load_validated(path: Source, schema: Schema, *, syntax: Literal["yaml", "json"] = "yaml",
                   order: Callable[[ValidationError], Any] = document_order) -> Any:
    """Read ``path``, parse it as ``syntax`` and validate it against ``schema``; the parsed
    document, or a :class:`DataFileProblem`."""
    text = read_text(path)
    document = parse_json(text) if syntax == "json" else parse_yaml(text)
    validate(document, schema, order=order)
    return document
