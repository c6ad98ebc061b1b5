"""Carrier names as the APIs spell them map to one normalised key."""

from __future__ import annotations

import pytest

from shipping_core.carriers import carrier_key

TABLE = [
    ("BRT", "brt"), ("Bartolini", "brt"), ("BRT Corriere Espresso", "brt"),
    ("brt-corriere espresso", "brt"),
    ("Poste Italiane", "poste_italiane"), ("PosteDelivery", "poste_italiane"),
    ("Poste Delivery Business", "poste_italiane"), ("Poste-Delivery", "poste_italiane"),
    ("SDA", "sda"), ("SDA Express Courier", "sda"),
    ("GLS", "gls"), ("GLS Italy", "gls"), ("gls italia", "gls"),
    ("DHL Express", "dhl_express"), ("DHL", "dhl_express"), ("DHL Express Italy", "dhl_express"),
    ("DHL Parcel", "dhl_parcel"),
    ("UPS", "ups"), ("UPS Standard", "ups"), ("FedEx", "fedex"),
    ("FedEx International Priority", "fedex"), ("TNT", "tnt"), ("TNT Express", "tnt"),
    ("DPD", "dpd"), ("InPost", "inpost"),
    ("Amazon Shipping", "other:amazon-shipping"),
    ("Spedisci.online  Corriere", "other:spedisci-online-corriere"),
    ("Colissimo", "colissimo"), ("Poste Itàliane", "poste_italiane"),
]


@pytest.mark.parametrize(("name", "key"), TABLE)
def test_builtin_table(name: str, key: str) -> None:
    assert carrier_key(name) == key


@pytest.mark.parametrize("name", [None, "", "  ", "---"])
def test_missing_name(name: str | None) -> None:
    assert carrier_key(name) == "other:unknown"


def test_user_aliases_override_builtin() -> None:
    aliases = {"BRT": "bartolini_it", "Spedizioni Rapide": "rapide"}
    assert carrier_key("BRT", aliases) == "bartolini_it"
    assert carrier_key("Spedizioni Rapide S.r.l.", aliases) == "rapide"
    assert carrier_key("Bartolini", aliases) == "brt"  # untouched built-ins still apply
    assert carrier_key("BRT") == "brt"  # overrides do not leak between calls


def test_longest_leading_alias_wins() -> None:
    assert carrier_key("BRT Corriere Internazionale", {"BRT Corriere": "brt_b2b"}) == "brt_b2b"
    assert carrier_key("BRT Internazionale", {"BRT Corriere": "brt_b2b"}) == "brt"


@pytest.mark.parametrize(("aliases", "expected"), [
    ({"BRT": "Not A Key"}, "carrier_aliases['BRT']: carrier key 'Not A Key' must match"),
    ({"": "brt"}, "carrier_aliases: alias name '' must be a non-empty string"),
    (["BRT"], "carrier_aliases: expected a mapping of carrier name -> carrier key, got list"),
])
def test_bad_user_aliases(aliases, expected: str) -> None:
    with pytest.raises(ValueError) as info:
        carrier_key("BRT", aliases)
    assert expected in str(info.value)


def test_non_string_name() -> None:
    with pytest.raises(TypeError, match="carrier name must be a string or None, got int"):
        carrier_key(42)  # type: ignore[arg-type]
