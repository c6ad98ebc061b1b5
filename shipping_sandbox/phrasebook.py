"""The carrier phrasebook: per-carrier names, services, progress and exception messages.

``load_phrasebook()`` reads ``phrasebook.yaml`` (validated by ``phrasebook.schema.json``) into
typed, immutable objects the generator draws from. Each exception phrase carries the category,
reason and class our taxonomy assigns to it, which becomes the event's ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .datafiles import HERE, DataFileError, load_validated

PHRASEBOOK = HERE / "phrasebook.yaml"
STAGES = ("info_received", "picked_up", "departed", "in_transit", "arrived", "customs_cleared",
          "out_for_delivery", "delivered", "returning", "returned")
STAGE_CODES = {"info_received": 1, "picked_up": 2, "departed": 2, "in_transit": 2, "arrived": 2,
               "customs_cleared": 2, "out_for_delivery": 3, "delivered": 6, "returning": 5,
               "returned": 6}
CATEGORIES = ("address", "recipient", "depot_network", "customs_border", "damage_lost")


@dataclass(frozen=True)
class Phrase:
    """A progress message (``category`` is None) or an exception message with its truth."""

    message: str
    code: int
    carrier_code: str | None = None
    category: str | None = None
    reason: str | None = None
    klass: str | None = None
    stage: str | None = None
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CarrierBook:
    name: str  # canonical ShippyPro spelling
    key: str
    carrier_id: int
    languages: tuple[str, ...]
    names: tuple[str, ...]
    name_weights: tuple[float, ...]
    services: tuple[str, ...]
    tracking: dict
    link: str
    hubs: tuple[str, ...]
    progress: dict[str, tuple[Phrase, ...]]
    exceptions: tuple[Phrase, ...]

    def categories(self) -> set[str]:
        return {p.category for p in self.exceptions if p.category}


@dataclass(frozen=True)
class Phrasebook:
    carriers: dict[str, CarrierBook]
    portal_disagreements: dict[str, tuple[str, ...]]

    def carrier(self, name: str) -> CarrierBook:
        try:
            return self.carriers[name]
        except KeyError:
            raise KeyError(f"phrasebook: no carrier {name!r} (known: "
                           f"{', '.join(sorted(self.carriers))})") from None

    def all_phrases(self) -> list[tuple[str, Phrase]]:
        """Every (carrier name, phrase) pair, progress and exceptions alike."""
        out: list[tuple[str, Phrase]] = []
        for name, book in self.carriers.items():
            for stage in STAGES:
                out.extend((name, p) for p in book.progress[stage])
            out.extend((name, p) for p in book.exceptions)
        return out


def _carrier(name: str, raw: dict) -> CarrierBook:
    progress = {
        stage: tuple(Phrase(p["message"], p.get("code", STAGE_CODES[stage]), p.get("carrier_code"))
                     for p in raw["progress"][stage])
        for stage in STAGES
    }
    exceptions = tuple(
        Phrase(e["message"], e["code"], e.get("carrier_code"), e["category"], e["reason"],
               e["class"], e["stage"], tuple(e["outcomes"]))
        for e in raw["exceptions"]
    )
    for i, e in enumerate(exceptions):
        if not e.reason.startswith(e.category + "."):
            raise DataFileError(f"phrasebook.yaml: carriers/{name}/exceptions/{i}/reason: "
                                f"{e.reason!r} does not belong to category {e.category!r}")
    return CarrierBook(
        name=name, key=raw["key"], carrier_id=raw["carrier_id"],
        languages=tuple(raw["languages"]),
        names=tuple(n["name"] for n in raw["names"]),
        name_weights=tuple(float(n["weight"]) for n in raw["names"]),
        services=tuple(raw["services"]), tracking=dict(raw["tracking"]), link=raw["link"],
        hubs=tuple(raw["hubs"]), progress=progress, exceptions=exceptions,
    )


def load_phrasebook(path: Path = PHRASEBOOK) -> Phrasebook:
    raw = load_validated(path, HERE / "phrasebook.schema.json")
    carriers = {name: _carrier(name, body) for name, body in raw["carriers"].items()}
    disagreements = {k: tuple(v) for k, v in raw["portal_disagreements"].items()}
    return Phrasebook(carriers, disagreements)


@lru_cache(maxsize=1)
def default_phrasebook() -> Phrasebook:
    return load_phrasebook()
