"""Carrier-name keys and the declarative exception classifier (mapping files + schema).

Public interface: :func:`carrier_key` (from ``shipping_core.carriers``), :class:`Classifier`,
:class:`Classification`, :class:`MappingError`, :func:`default_classifier` and
:func:`is_terminal` (``classifier``).
"""

from shipping_core.carriers import carrier_key

from .classifier import (
    Classification,
    Classifier,
    MappingError,
    default_classifier,
    is_terminal,
)

__all__ = ["Classification", "Classifier", "MappingError", "carrier_key", "default_classifier",
           "is_terminal"]
