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

Hostile files fail as problems, never as tracebacks or runaway memory: text over
``MAX_TEXT_CHARS`` or not UTF-8 is a ``"read"`` problem (with the line of the first bad byte);
a document nested deeper than ``MAX_DEPTH`` or whose aliases expand to more than
``MAX_EXPANDED_NODES`` values (a "billion laughs" alias bomb) is a ``"syntax"`` problem. The
expansion is counted without building it, whatever loader parsed the text.
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

MAX_TEXT_CHARS = 16 * 1024 * 1024
MAX_DEPTH = 100
MAX_EXPANDED_NODES = 1_000_000


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
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileProblem("read", str(exc.strerror), cause=exc) from exc
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise DataFileProblem("read", f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                                      f"offset {exc.start}); expected a UTF-8 file",
                              line=line, cause=exc) from None
    if len(text) > MAX_TEXT_CHARS:
        raise DataFileProblem("read", f"file has {len(text)} characters; expected at most "
                                      f"{MAX_TEXT_CHARS}")
    return text


def check_size(document: Any) -> None:
    """A ``"syntax"`` problem when ``document`` nests deeper than ``MAX_DEPTH`` or expands to
    more than ``MAX_EXPANDED_NODES`` values (shared, aliased values count each time they are
    reached, as any consumer walking the document would reach them). Iterative, and it stops as
    soon as a limit is passed, so the check itself is bounded."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_EXPANDED_NODES:
            raise DataFileProblem("syntax", f"document expands to more than "
                                            f"{MAX_EXPANDED_NODES} values (aliases repeated "
                                            "too often); expected a plain data file")
        if isinstance(value, dict):
            children: Any = [*value.keys(), *value.values()]
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth >= MAX_DEPTH and children:
            raise DataFileProblem("syntax", f"document nests deeper than {MAX_DEPTH} levels; "
                                            "expected a plain data file")
        stack.extend((child, depth + 1) for child in children)


def parse_yaml(text: str, loader: Any = None) -> Any:
    """Parse YAML ``text`` with ``loader`` (default ``yaml.SafeLoader``).

    A ``"syntax"`` problem carries the parser's problem (``str(error)`` when it has none) and the
    line of the problem mark when there is one.
    """
    import yaml

    if len(text) > MAX_TEXT_CHARS:
        raise DataFileProblem("read", f"text has {len(text)} characters; expected at most "
                                      f"{MAX_TEXT_CHARS}")
    try:
        document = yaml.load(text, Loader=loader or yaml.SafeLoader)
    except RecursionError:
        raise DataFileProblem("syntax", f"document nests deeper than {MAX_DEPTH} levels; "
                                        "expected a plain data file") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise DataFileProblem("syntax", str(exc.problem),
                              line=mark.line + 1 if mark else None, cause=exc) from exc
    except yaml.YAMLError as exc:
        raise DataFileProblem("syntax", str(exc), cause=exc) from exc
    check_size(document)
    return document


def parse_json(text: str) -> Any:
    """Parse JSON ``text``; a ``"syntax"`` problem carries the decoder's message, line, column."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileProblem("syntax", exc.msg, line=exc.lineno, column=exc.colno,
                              cause=exc) from exc
    except RecursionError:
        raise DataFileProblem("syntax", f"document nests deeper than {MAX_DEPTH} levels; "
                                        "expected a plain data file") from None
    check_size(document)
    return document


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
