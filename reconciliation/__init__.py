"""Shipment-by-shipment reconciliation of our exception rate against the vendor portal."""
