"""Shipment-by-shipment reconciliation of our exception rate against the vendor portal.

Entry points: ``reconciliation.bridge.reconcile`` (Python) and ``metric-cards reconcile`` (CLI,
wired from ``reconciliation.cli``). Rules are data: ``reconciliation/rules/*.yaml``.
"""
