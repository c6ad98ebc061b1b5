"""Card parameters: the names a workspace (or ``--set key=value``) may override, typed.

Names are binding (exception-rate-card.md): ``exclude_returns``, ``include_transient``,
``warn_above``/``critical_above`` (``warn_below``/``critical_below`` for higher-is-better cards),
``min_sample``; plus ``carriers`` (scope: comma-separated carrier keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from metric_cards.definitions import CardDefinition
from metric_cards.errors import ParameterError
from shipping_core.options import parse_assignments as key_values

TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class CardParams:
    """Resolved parameters of one evaluation."""

    exclude_returns: bool
    include_transient: bool
    carriers: tuple[str, ...] | None
    warn: float | None
    critical: float | None
    min_sample: int
    promise_basis: str | None = None  # "day" / "instant" for cards that judge promises

    def switches(self) -> dict[str, bool]:
        return {"exclude_returns": self.exclude_returns,
                "include_transient": self.include_transient}

    def as_payload(self, warn_name: str, critical_name: str) -> dict[str, Any]:
        """Parameters under their binding names (``warn_above`` … or ``warn_below`` …)."""
        out = asdict(self)
        out["carriers"] = list(self.carriers) if self.carriers is not None else None
        out[warn_name] = out.pop("warn")
        out[critical_name] = out.pop("critical")
        if out["promise_basis"] is None:
            del out["promise_basis"]
        return out


def threshold_names(card: CardDefinition) -> tuple[str, str]:
    if card.direction == "higher_is_better":
        return "warn_below", "critical_below"
    return "warn_above", "critical_above"


def valid_names(card: CardDefinition) -> list[str]:
    """Every parameter name ``card`` accepts."""
    return sorted([*card.switch_defaults, *card.choice_defaults, "carriers",
                   *threshold_names(card), "min_sample"])


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` → ``{"a": "1", "b": "x"}``; malformed items raise ParameterError."""
    try:
        return key_values(items, "--set")
    except ValueError as exc:
        raise ParameterError(str(exc)) from None


def resolve(card: CardDefinition, overrides: Mapping[str, Any] | None = None) -> CardParams:
    """Defaults from the definition, overridden by ``overrides`` (strings or typed values)."""
    overrides = dict(overrides or {})
    names = valid_names(card)
    for key in overrides:
        if key not in names:
            raise ParameterError(f"unknown parameter {key!r} for card {card.id!r}; "
                                 f"valid parameters: {', '.join(names)}")
    switches = card.switch_defaults
    for key in switches:
        if key in overrides:
            switches[key] = _boolean(key, overrides[key])
    warn_name, crit_name = threshold_names(card)
    defaults = card.thresholds or {}
    warn = defaults.get(warn_name)
    critical = defaults.get(crit_name)
    if warn_name in overrides:
        warn = _threshold(card, warn_name, overrides[warn_name])
    if crit_name in overrides:
        critical = _threshold(card, crit_name, overrides[crit_name])
    if (warn is None) != (critical is None):
        raise ParameterError(f"card {card.id!r} has no default thresholds: set both "
                             f"{warn_name} and {crit_name}")
    if warn is not None and critical is not None:
        bad = warn > critical if warn_name == "warn_above" else warn < critical
        if bad:
            raise ParameterError(f"{warn_name}={warn} and {crit_name}={critical}: expected "
                                 f"{warn_name} {'<=' if warn_name == 'warn_above' else '>='} "
                                 f"{crit_name}")
    min_sample = card.min_sample
    if "min_sample" in overrides:
        min_sample = _integer("min_sample", overrides["min_sample"])
    carriers = tuple(card.carriers) if card.carriers else None
    if "carriers" in overrides:
        carriers = _carriers(overrides["carriers"])
    promise_basis = card.choice_defaults.get("promise_basis")
    if "promise_basis" in overrides:
        promise_basis = _choice(card, "promise_basis", overrides["promise_basis"])
    return CardParams(switches["exclude_returns"], switches.get("include_transient", True),
                      carriers, warn, critical, min_sample, promise_basis)


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ParameterError(f"{key}={value!r}: expected a boolean (true or false)")


def _choice(card: CardDefinition, key: str, value: Any) -> str:
    allowed = card.choice_values(key)
    text = str(value).strip().lower()
    if text not in allowed:
        raise ParameterError(f"{key}={value!r}: expected one of {', '.join(allowed)}")
    return text


def _integer(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ParameterError(f"{key}={value!r}: expected a non-negative integer")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ParameterError(f"{key}={value!r}: expected a non-negative integer") from None
    if number < 0:
        raise ParameterError(f"{key}={value!r}: expected a non-negative integer")
    return number


def _threshold(card: CardDefinition, key: str, value: Any) -> float:
    if card.kind == "count":
        return float(_integer(key, value))
    if isinstance(value, bool):
        raise ParameterError(f"{key}={value!r}: expected a fraction between 0 and 1")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ParameterError(f"{key}={value!r}: expected a fraction between 0 and 1 "
                             "(e.g. 0.02 for 2 %)") from None
    if not 0.0 <= number <= 1.0:
        raise ParameterError(f"{key}={value!r}: expected a fraction between 0 and 1 "
                             "(e.g. 0.02 for 2 %)")
    return number


def _carriers(value: Any) -> tuple[str, ...] | None:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    cleaned = tuple(str(v).strip() for v in items if str(v).strip())
    if not cleaned:
        return None
    return cleaned
