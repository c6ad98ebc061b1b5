"""Carrier-name keys and the declarative exception classifier (mapping files + schema)."""
