"""Normalised carrier keys: map a carrier name as an API spells it to one stable key.

The built-in table is the data file ``carrier_aliases.yaml``; the user's ``carrier_aliases``
config (name -> key) overrides it. Unknown names become ``other:<slug>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

from shipping_core.text import normalise_text

ALIASES_PATH = Path(__file__).with_name("carrier_aliases.yaml")
KEY_PATTERN = re.compile(r"^(?:[a-z][a-z0-9_]*|other:[a-z0-9][a-z0-9-]*)$")
UNKNOWN_KEY = "other:unknown"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _name_form(name: str) -> str:
    """Comparison form of a carrier name: 'BRT-Corriere  Espresso' -> 'brt corriere espresso'."""
    return _NON_ALNUM.sub(" ", normalise_text(name)).strip()


def _checked(aliases: Mapping[str, str], origin: str) -> dict[str, str]:
    if not isinstance(aliases, Mapping):
        raise ValueError(f"{origin}: expected a mapping of carrier name -> carrier key, "
                         f"got {type(aliases).__name__}")
    table: dict[str, str] = {}
    for name, key in aliases.items():
        if not isinstance(name, str) or not _name_form(name):
            raise ValueError(f"{origin}: alias name {name!r} must be a non-empty string")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ValueError(f"{origin}[{name!r}]: carrier key {key!r} must match "
                             f"{KEY_PATTERN.pattern} (e.g. 'brt', 'poste_italiane')")
        table[_name_form(name)] = key
    return table


@cache
def builtin_aliases() -> dict[str, str]:
    """The packaged alias table, keyed by comparison form."""
    doc = yaml.safe_load(ALIASES_PATH.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or set(doc) != {"version", "aliases"}:
        raise ValueError(f"{ALIASES_PATH.name}: expected exactly the keys 'version' and "
                         f"'aliases'")
    return _checked(doc["aliases"], f"{ALIASES_PATH.name}: $.aliases")


@cache
def _lookup(form: str, user: tuple[tuple[str, str], ...]) -> str:
    table = {**builtin_aliases(), **dict(user)}
    if form in table:
        return table[form]
    words = form.split(" ")
    for n in range(len(words) - 1, 0, -1):  # longest leading-words alias first
        key = table.get(" ".join(words[:n]))
        if key is not None:
            return key
    compact = form.replace(" ", "")
    if compact in table:  # "Poste-Delivery" vs alias "postedelivery"
        return table[compact]
    return "other:" + form.replace(" ", "-")


def carrier_key(name: str | None, aliases: Mapping[str, str] | None = None) -> str:
    """Normalised carrier key for ``name``: 'Bartolini' -> 'brt', unknown -> 'other:<slug>'.

    ``aliases`` (user config ``carrier_aliases``: name -> key) take precedence over the
    built-in table, for exact names and for leading-word matches alike.
    """
    if name is None:
        return UNKNOWN_KEY
    if not isinstance(name, str):
        raise TypeError(f"carrier name must be a string or None, got {type(name).__name__}")
    form = _name_form(name)
    if not form:
        return UNKNOWN_KEY
    user = tuple(sorted(_checked(aliases, "carrier_aliases").items())) if aliases else ()
    return _lookup(form, user)
