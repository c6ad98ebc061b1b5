"""Error types of the metric-card package, each carrying enough context to act on."""

from __future__ import annotations


class MetricCardError(Exception):
    """Base class: every error the CLI reports as a one-line message."""


class CardDefinitionError(MetricCardError):
    """A card YAML file is not a valid definition.

    ``file`` is the file, ``location`` the path inside it (``measures.numerator.filters[0].op``),
    ``line`` the 1-based line when known, ``problem`` what was wrong and what was expected.
    """

    def __init__(self, file: str, location: str, problem: str, line: int | None = None):
        self.file = file
        self.location = location or "(top level)"
        self.problem = problem
        self.line = line
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: at {self.location}: {problem}")


class UnknownCardError(MetricCardError):
    def __init__(self, card_id: str, known: list[str]):
        self.card_id = card_id
        super().__init__(f"unknown card {card_id!r}; known cards: {', '.join(sorted(known))}")


class ParameterError(MetricCardError):
    """A ``--set key=value`` (or params dict entry) is unknown or has the wrong type."""


class WarehouseError(MetricCardError):
    """The warehouse cannot be reached or lacks a contract table."""
