"""Error types of the metric-card package, each carrying enough context to act on."""

from __future__ import annotations


class MetricCardError(Exception):
    """Base class: every error the CLI reports as a one-line message."""


class CardDefinitionError(MetricCardError):
    """A card YAML file is not a valid definition.

    ``file`` is the file, ``location`` the path inside it (``measures.numerator.filters[0].op``),
    ``line`` the 1-based line when known, ``problem`` what was wrong and what was expected.
    ``problems`` lists every problem found (semantic validation reports them all), this one
    first; the message names each on its own line.
    """

    def __init__(self, file: str, location: str, problem: str, line: int | None = None, *,
                 others: list[tuple[str, str, int | None]] | None = None):
        self.file = file
        self.location = location or "(top level)"
        self.problem = problem
        self.line = line
        #: every problem found, this one first: (location, problem, line)
        self.problems = [(self.location, problem, line),
                         *((loc or "(top level)", text, at) for loc, text, at in others or ())]
        where = f"{file}:{line}" if line is not None else file
        also = "".join(f"\n  and {file}{f':{at}' if at is not None else ''}: at {loc}: {text}"
                       for loc, text, at in self.problems[1:])
        super().__init__(f"{where}: at {self.location}: {problem}{also}")


class UnknownCardError(MetricCardError):
    def __init__(self, card_id: str, known: list[str]):
        self.card_id = card_id
        super().__init__(f"unknown card {card_id!r}; known cards: {', '.join(sorted(known))}")


class ParameterError(MetricCardError):
    """A ``--set key=value`` (or params dict entry) is unknown or has the wrong type."""


class WarehouseError(MetricCardError):
    """The warehouse cannot be reached or lacks a contract table."""
