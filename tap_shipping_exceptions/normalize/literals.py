"""Required literals of a regular expression: a cheap, exact pre-check before ``re.search``.

``required_literals(pattern)`` returns a set of strings such that every match of the pattern
contains at least one of them (``None`` when no such set can be read off the pattern). A rule
whose required strings are all absent from a text cannot match it, so the classifier skips
its regex searches with a few ``in`` tests. The analysis is conservative: anything it does not
understand (character classes, backreferences, conditionals) contributes nothing, so a
pattern may get ``None`` but never a set that some match lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

try:  # the stdlib's own parser of regular expressions (re._parser since Python 3.11)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_C = _sre_parse  # constants (LITERAL, BRANCH, ...) live in the parser module's namespace
MIN_USEFUL = 2  # a one-character literal filters too little to be worth checking

Literals = frozenset[str]


def required_literals(pattern: str) -> Literals | None:
    """Strings at least one of which is in every match of ``pattern`` (None = unknown)."""
    try:
        parsed = _sre_parse.parse(pattern)
    except (re.error, ValueError, RecursionError):  # reported by the caller's re.compile
        return None
    if parsed.state.flags & ~(_C.SRE_FLAG_UNICODE):  # (?i), (?x)...: do not reason about it
        return None
    found = _sequence(list(parsed))
    return found if found and min(map(len, found)) >= MIN_USEFUL else None


def rule_literals(patterns: Iterable[str]) -> Literals | None:
    """Union over alternative patterns; None if any of them has no required literal."""
    union: set[str] = set()
    for pattern in patterns:
        found = required_literals(pattern)
        if found is None:
            return None
        union |= found
    return frozenset(union)


def _better(a: Literals | None, b: Literals | None) -> Literals | None:
    """The more selective of two candidates: longest shortest string, then fewer strings."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b, key=lambda s: (min(map(len, s)), -len(s)))


def _sequence(items: list[tuple[Any, Any]]) -> Literals | None:
    best: Literals | None = None
    run = ""
    for op, av in items:
        if op is _C.LITERAL:
            run += chr(av)
            continue
        if run:
            best = _better(best, frozenset({run}))
            run = ""
        best = _better(best, _element(op, av))
    if run:
        best = _better(best, frozenset({run}))
    return best


def _element(op: Any, av: Any) -> Literals | None:
    if op is _C.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        return None if add_flags or del_flags else _sequence(list(body))
    if op is _C.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            found = _sequence(list(alternative))
            if not found:
                return None
            union |= found
        return frozenset(union)
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
        low, _high, body = av
        return _sequence(list(body)) if low >= 1 else None
    if op is getattr(_C, "ATOMIC_GROUP", None):
        return _sequence(list(av))
    return None  # AT, IN, ANY, CATEGORY, ASSERT, GROUPREF...: zero-width or not a literal
