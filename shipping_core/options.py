"""Command-line values every CLI shares: repeatable ``KEY=VALUE`` assignments."""

from __future__ import annotations

from collections.abc import Iterable


def parse_assignments(items: Iterable[str], option: str, example: str = "key=value"
                      ) -> dict[str, str]:
    """``["a=1", "b = x=y"]`` → ``{"a": "1", "b": "x=y"}`` (later items win).

    ``option`` names the flag the items came from (``--set``), for the error message.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            hint = "" if example == "key=value" else f" (e.g. {example})"
            raise ValueError(f"{option} {item!r}: expected key=value{hint}")
        out[key.strip()] = value.strip()
    return out
