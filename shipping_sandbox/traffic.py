"""The traffic mix for generated scenarios, read from ``traffic.yaml``.

Carrier shares and their lane (destination country) mixes, exception rates per lane kind and
category weights, Easy Return share, and how often the API serves events out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .datafiles import HERE, DataFileError, load_validated


@dataclass(frozen=True)
class Weighted:
    items: tuple[str, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, weights: dict[str, float]) -> Weighted:
        total, cum = 0.0, []
        for w in weights.values():
            total += float(w)
            cum.append(total)
        return cls(tuple(weights), tuple(cum))


@dataclass(frozen=True)
class Traffic:
    carriers: Weighted
    lanes: dict[str, Weighted]
    return_carriers: Weighted
    return_share: float
    return_exception_rate: float
    exception_rate: dict[str, float]  # domestic / eu / customs
    categories: Weighted
    customs_lane_customs_share: float
    second_exception: float
    out_of_order: float
    repeated: float
    portal_disagreement: float


def load_traffic(known_carriers: set[str] | None = None,
                 known_countries: set[str] | None = None) -> Traffic:
    raw = load_validated(HERE / "traffic.yaml", HERE / "traffic.schema.json")
    for name, spec in raw["carriers"].items():
        if known_carriers is not None and name not in known_carriers:
            raise DataFileError(f"traffic.yaml: carriers/{name}: not in phrasebook.yaml")
        for country in spec["lanes"]:
            if known_countries is not None and country not in known_countries:
                raise DataFileError(f"traffic.yaml: carriers/{name}/lanes/{country}: "
                                    "country not in places.yaml")
    for name in raw["return_carriers"]:
        if known_carriers is not None and name not in known_carriers:
            raise DataFileError(f"traffic.yaml: return_carriers/{name}: not in phrasebook.yaml")
    exc = raw["exceptions"]
    return Traffic(
        carriers=Weighted.of({k: v["share"] for k, v in raw["carriers"].items()}),
        lanes={k: Weighted.of(v["lanes"]) for k, v in raw["carriers"].items()},
        return_carriers=Weighted.of(raw["return_carriers"]),
        return_share=raw["return_share"],
        return_exception_rate=raw["return_exception_rate"],
        exception_rate=dict(exc["rate"]),
        categories=Weighted.of(exc["categories"]),
        customs_lane_customs_share=exc["customs_lane_customs_share"],
        second_exception=exc["second_exception"],
        out_of_order=raw["serving"]["out_of_order"],
        repeated=raw["serving"]["repeated"],
        portal_disagreement=raw["serving"]["portal_disagreement"],
    )


@lru_cache(maxsize=1)
def default_traffic() -> Traffic:
    from .phrasebook import default_phrasebook
    from .places import default_places
    return load_traffic(set(default_phrasebook().carriers), set(default_places().countries))
