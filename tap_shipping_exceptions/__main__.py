"""``python -m tap_shipping_exceptions`` runs the tap's CLI."""

from tap_shipping_exceptions.tap import TapShippingExceptions

TapShippingExceptions.cli()
