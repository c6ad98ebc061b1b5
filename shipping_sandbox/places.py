"""Addresses for generated shipments: merchants (senders) and recipients on a lane.

Reads ``places.yaml`` (validated by ``places.schema.json``); every draw uses the caller's
``random.Random`` so generation stays deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from .datafiles import HERE, load_validated
from .world import Address


@dataclass(frozen=True)
class Merchant:
    address: Address
    platform: str


class Places:
    """Draws recipient addresses per destination country; knows which lanes clear customs."""

    def __init__(self, raw: dict) -> None:
        self.merchants = tuple(
            Merchant(Address(name="Magazzino", company=m["company"], street1=m["street1"],
                             street2="", city=m["city"], state=m["state"], zip=m["zip"],
                             country="IT", phone=m["phone"], email=m["email"]), m["platform"])
            for m in raw["merchants"]
        )
        self.first_names = tuple(raw["first_names"])
        self.last_names = tuple(raw["last_names"])
        self.countries = raw["countries"]

    def customs_lane(self, country: str) -> bool:
        return bool(self.countries[country]["customs"])

    def recipient(self, rng: random.Random, country: str) -> Address:
        spec = self.countries[country]
        place = rng.choice(spec["cities"])
        first, last = rng.choice(self.first_names), rng.choice(self.last_names)
        number = rng.randint(1, 180)
        zip_code = place["zip"] + (f"{rng.randint(0, 99):02d}" if place["zip"].isdigit() else
                                   f" {rng.randint(1, 9)}AB")
        company = f"{last} Studio" if rng.random() < 0.12 else ""
        return Address(
            name=f"{first} {last}", company=company,
            street1=f"{rng.choice(spec['streets'])} {number}", street2="",
            city=place["city"], state=place["state"], zip=zip_code, country=country,
            phone=f"+{rng.randint(30, 49)} {rng.randint(300, 399)} {rng.randint(1000000, 9999999)}",
            email=f"{first.lower()}.{last.lower().replace(' ', '')}{number}@mail.example",
        )


@lru_cache(maxsize=1)
def default_places() -> Places:
    return Places(load_validated(HERE / "places.yaml", HERE / "places.schema.json"))
