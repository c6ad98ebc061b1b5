"""The packaged card registry: discoverable as plain YAML files and via the ``metric_cards``
entry point group (``shipping = metric_cards.registry:card_directory``)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from metric_cards.definitions import CardDefinition, load_definition
from metric_cards.errors import CardDefinitionError, UnknownCardError


def card_directory() -> Path:
    """Directory holding the packaged card YAMLs (the entry point's target)."""
    return Path(__file__).resolve().parent / "cards"


def card_files(directory: Path | None = None) -> list[Path]:
    """Every ``*.yaml`` card file in ``directory`` (default: the packaged one), sorted."""
    return sorted((directory or card_directory()).glob("*.yaml"))


def load_directory(directory: Path | None = None) -> dict[str, CardDefinition]:
    """Load and validate every card in ``directory``, including cross-card references."""
    cards = {d.id: d for d in (load_definition(p) for p in card_files(directory))}
    check_references(cards)
    return cards


def check_references(cards: dict[str, CardDefinition]) -> None:
    """Siblings and relation targets must name cards that exist in the same registry."""
    for card in cards.values():
        for i, sib in enumerate(card.siblings):
            if sib.card not in cards and not sib.card.startswith("external:"):
                raise CardDefinitionError(
                    str(card.path), f"siblings[{i}].card",
                    f"unknown card {sib.card!r} (expected a card id of this registry: "
                    f"{', '.join(sorted(cards))}, or 'external:<connector.card>')")
        for i, rel in enumerate(card.relations):
            if rel.target not in cards:
                raise CardDefinitionError(
                    str(card.path), f"relations[{i}].target",
                    f"unknown card {rel.target!r} (expected one of: {', '.join(sorted(cards))})")


@cache
def packaged_cards() -> dict[str, CardDefinition]:
    """The packaged cards, loaded once."""
    return load_directory()


def card_file(card_id: str) -> Path | None:
    """The packaged file ``<card_id>.yaml`` if ``card_id`` is a plain id and it exists."""
    if not re.fullmatch(r"[a-z0-9_]+", card_id):
        return None
    path = card_directory() / f"{card_id}.yaml"
    return path if path.is_file() else None


@cache
def _single_card(card_id: str) -> CardDefinition | None:
    """The packaged card whose file is ``<card_id>.yaml`` and whose id matches, else None."""
    path = card_file(card_id)
    if path is None:
        return None
    card = load_definition(path)
    return card if card.id == card_id else None


def get_card(card_id: str) -> CardDefinition:
    """The packaged card ``card_id`` or ``UnknownCardError`` listing the known ones.

    A process that needs one card (``metric-cards evaluate``) parses and validates only that
    card's file; cross-card references are checked when the whole registry is loaded
    (``metric-cards validate``, ``list``)."""
    if packaged_cards.cache_info().currsize == 0:
        single = _single_card(card_id)
        if single is not None:
            return single
    cards = packaged_cards()
    if card_id not in cards:
        raise UnknownCardError(card_id, list(cards))
    return cards[card_id]
