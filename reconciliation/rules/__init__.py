"""Reconciliation rule sets (YAML) and their JSON Schema; a package so wheels ship them."""
